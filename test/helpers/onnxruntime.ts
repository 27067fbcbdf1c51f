// Runs an ONNX model in ONNX Runtime (onnxruntime-web's wasm build, in Node) and compares outputs.
import * as ort from "onnxruntime-web";
import { expect } from "vitest";
import type { Tensor } from "../../src/index.js";

ort.env.wasm.numThreads = 1;
ort.env.logLevel = "error";

export type Feed = Record<string, Tensor>;

/** Every output of the model in ONNX Runtime for the given inputs (float32 or int32 tensors). */
export async function runOrt(model: Uint8Array, feeds: Feed): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>> {
  const session = await ort.InferenceSession.create(model);
  const inputs: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    inputs[name] = t.dtype === "float32" ? new ort.Tensor("float32", t.data() as Float32Array, [...t.shape]) : new ort.Tensor("int32", t.data() as Int32Array, [...t.shape]);
  }
  const out = await session.run(inputs);
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { data: v.data as Float32Array, dims: v.dims }]));
}

/** |a − b| <= atol + rtol·|b| elementwise (numpy.allclose), with the shapes equal. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-4, atol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  let worst = -1, excess = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i]));
    if (!(e <= excess)) [worst, excess] = [i, Number.isNaN(e) ? Infinity : e];
  }
  if (worst >= 0) expect.fail(`element ${worst}: ${actual[worst]} vs ${expected[worst]} (beyond rtol ${rtol} / atol ${atol})`);
}

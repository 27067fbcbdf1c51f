// TensorFlow.js peers in this process: the wasm backend (XNNPACK, SIMD, forced to 1 thread) and
// the plain-JS cpu backend. Both register on import; tensors are created after switching. And
// ONNX Runtime Web (its wasm build, 1 thread) running the model simdgrad exports (exportOnnx).
import { createRequire } from "node:module";
import { build } from "esbuild";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { getThreadsCount, setThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import * as ort from "onnxruntime-web";
import type * as sg from "../src/index.js";
import { exportOnnx } from "../src/onnx.js";
import type { AsyncCase, Impl } from "./harness.js";

export { tf };
export type TfBackend = "wasm" | "cpu";

const require = createRequire(import.meta.url);

/**
 * tfjs-core's Node bundle ships no gradients (the @tensorflow/tfjs union package registers them).
 * Bundle its register_all_gradients module and load it: the copy of core it drags in shares the
 * engine and the gradient registry, which tfjs-core keeps on globalThis.
 */
async function registerGradients(): Promise<void> {
  const entry = join(dirname(require.resolve("@tensorflow/tfjs-core/package.json")), "dist", "register_all_gradients.js");
  const out = await build({ entryPoints: [entry], bundle: true, format: "esm", platform: "neutral", write: false, logLevel: "error" });
  await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].contents).toString("base64")}`);
}

export async function initPeers(): Promise<void> {
  await registerGradients();
  tf.env().set("PROD", true); // silences the "install tfjs-node" banner; no effect on kernels
  setWasmPaths(join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + "/");
  setThreadsCount(1);
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = "error";
  for (const b of ["wasm", "cpu"]) {
    if (!(await tf.setBackend(b))) throw new Error(`bench: TensorFlow.js backend ${b} failed to initialise`);
  }
}

export async function useBackend(b: TfBackend): Promise<void> {
  if (tf.getBackend() !== b) await tf.setBackend(b);
}

/**
 * ONNX Runtime Web running `model` as simdgrad exports it, on x (the input is fed once; each call
 * is session.run, whose outputs ORT copies out of its wasm memory, as a caller gets them).
 */
export async function ortCase(model: sg.nn.Module<unknown>, x: sg.Tensor): Promise<AsyncCase> {
  const session = await ort.InferenceSession.create(exportOnnx(model, x), { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  const feeds = { input: new ort.Tensor("float32", x.data() as Float32Array, [...x.shape]) };
  return { run: async () => void (await session.run(feeds)), dispose: () => session.release() };
}

export function threadsOf(impl: Impl): number {
  return impl === "tfjs-wasm" ? getThreadsCount() : 1;
}

export function peerInfo(): string {
  return `TF.js ${tf.version_core} (wasm: SIMD ${tf.env().getBool("WASM_HAS_SIMD_SUPPORT")}, ${getThreadsCount()} thread) | ONNX Runtime Web ${ort.env.versions.web} (wasm, ${ort.env.wasm.numThreads} thread)`;
}

/** Maps TF.js's "kernel not registered" error (the wasm backend has no Conv2DBackpropFilter) to a note. */
export function cannotTrain(e: unknown): string | null {
  const m = /Kernel '(\w+)' not registered for backend '(\w+)'/.exec(String((e as Error)?.message ?? e));
  return m ? `cannot train (${m[1]} not registered in tfjs-${m[2]})` : null;
}

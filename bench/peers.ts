// TensorFlow.js peers in this process: the wasm backend (XNNPACK, SIMD, forced to 1 thread) and
// the plain-JS cpu backend. Both register on import; tensors are created after switching.
import { createRequire } from "node:module";
import { build } from "esbuild";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { getThreadsCount, setThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import type { Impl } from "./harness.js";

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
  for (const b of ["wasm", "cpu"]) {
    if (!(await tf.setBackend(b))) throw new Error(`bench: TensorFlow.js backend ${b} failed to initialise`);
  }
}

export async function useBackend(b: TfBackend): Promise<void> {
  if (tf.getBackend() !== b) await tf.setBackend(b);
}

export function threadsOf(impl: Impl): number {
  return impl === "tfjs-wasm" ? getThreadsCount() : 1;
}

export function peerInfo(): string {
  return `TF.js ${tf.version_core} (wasm: SIMD ${tf.env().getBool("WASM_HAS_SIMD_SUPPORT")}, ${getThreadsCount()} thread)`;
}

/** Maps TF.js's "kernel not registered" error (the wasm backend has no Conv2DBackpropFilter) to a note. */
export function cannotTrain(e: unknown): string | null {
  const m = /Kernel '(\w+)' not registered for backend '(\w+)'/.exec(String((e as Error)?.message ?? e));
  return m ? `cannot train (${m[1]} not registered in tfjs-${m[2]})` : null;
}

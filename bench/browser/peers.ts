// The page's TensorFlow.js peers, in place of bench/peers.ts (which reads the files of Node's
// packages): tfjs-core with its gradients and the wasm backend (XNNPACK, SIMD; threads as the page
// asks), its .wasm files served next to the page.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { getThreadsCount, setThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

export { tf };

/** Starts the wasm backend asking for `threads`; returns its description and the threads it got. */
export async function initTfjs(threads: number): Promise<{ info: string; threads: number }> {
  tf.env().set("PROD", true);
  setWasmPaths(new URL("/tfjs/", location.href).href);
  setThreadsCount(threads);
  if (!(await tf.setBackend("wasm"))) throw new Error("bench: TensorFlow.js wasm backend failed to initialise");
  const got = getThreadsCount();
  const multithreaded = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
  return { info: `TF.js ${tf.version_core} wasm (SIMD ${tf.env().getBool("WASM_HAS_SIMD_SUPPORT")}, multithread support ${multithreaded}, asked ${threads} thread(s), got ${got})`, threads: got };
}

/** Maps TF.js's "kernel not registered" error (the wasm backend has no Conv2DBackpropFilter) to a note. */
export function cannotTrain(e: unknown): string | null {
  const m = /Kernel '(\w+)' not registered for backend '(\w+)'/.exec(String((e as Error)?.message ?? e));
  return m ? `cannot train (${m[1]} not registered in tfjs-${m[2]})` : null;
}

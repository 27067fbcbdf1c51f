// Node-only: starts pool workers with worker_threads (Node 20 has no global Web Worker).
import { Worker } from "node:worker_threads";
import type { WorkerSpawner } from "./threads.js";

export const nodeWorkerSpawner: WorkerSpawner = (source, message) => {
  const worker = new Worker(`const { parentPort } = require("node:worker_threads");\n${source}\nparentPort.once("message", main);`, { eval: true });
  worker.postMessage(message);
  // Idle workers must not keep the process alive.
  worker.unref();
  return worker;
};

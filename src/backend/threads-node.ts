// Node-only: starts pool workers with worker_threads, for Node versions whose process has no
// getBuiltinModule (init() finds worker_threads by itself from Node 20.16 on).
import { Worker } from "node:worker_threads";
import { workerThreadsSpawner } from "./threads.js";

export const nodeWorkerSpawner = workerThreadsSpawner(Worker);

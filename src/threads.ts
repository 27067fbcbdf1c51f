// simdgrad/threads: importing this module adds the shared-memory builds (plain and relaxed SIMD)
// and the worker pool that `init({ threads })` runs on them. A separate entry point so bundles
// without threads carry neither.
import { registerThreading } from "./backend/wasm.js";
import { ThreadPool } from "./backend/threads.js";
import { relaxedSharedWasm, simdSharedWasm } from "./backend/generated/wasm-binaries-shared.js";

registerThreading({ builds: { relaxed: relaxedSharedWasm, simd: simdSharedWasm }, startPool: (...args) => ThreadPool.start(...args) });

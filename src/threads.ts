// simdgrad/threads: importing this module adds the shared-memory builds (plain and relaxed SIMD)
// that `init({ threads })` runs its worker pool on. A separate entry point so bundles without
// threads do not carry them.
import { registerBuilds } from "./backend/wasm.js";
import { relaxedSharedWasmHex, simdSharedWasmHex } from "./backend/generated/wasm-binaries-shared.js";

registerBuilds({ shared: { relaxed: relaxedSharedWasmHex, simd: simdSharedWasmHex } });

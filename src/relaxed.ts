// simdgrad/relaxed: importing this module adds the relaxed-SIMD (fused multiply-add) build, which
// init() then picks wherever the runtime validates it (Chromium, Deno, Bun, Node 22+; Node 20 with
// --experimental-wasm-relaxed-simd). A separate entry point so default bundles carry one build.
import { registerRelaxedBuild } from "./backend/wasm.js";
import { relaxedWasm } from "./backend/generated/wasm-binaries-relaxed.js";

registerRelaxedBuild(relaxedWasm);

import { defineConfig } from "vitest/config";

// SIMDGRAD_RELAXED=1 runs the suite on the relaxed-SIMD build: Node 20 accepts relaxed SIMD only
// behind a V8 flag, and the library picks that build whenever the runtime validates it.
const relaxed = process.env.SIMDGRAD_RELAXED === "1";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: relaxed ? [] : ["test/relaxed-build.test.ts"],
    // The relaxed build is opt-in (simdgrad/relaxed): the relaxed pass imports it before each file.
    setupFiles: relaxed ? ["src/relaxed.ts"] : [],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // --expose-gc lets the memory tests exercise the FinalizationRegistry safety net.
    poolOptions: {
      forks: { maxForks: 2, minForks: 1, execArgv: ["--expose-gc", ...(relaxed ? ["--experimental-wasm-relaxed-simd"] : [])] },
    },
  },
});

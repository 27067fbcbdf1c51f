import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: more workers only thrash.
    pool: "forks",
    // --expose-gc lets the memory tests exercise the FinalizationRegistry safety net.
    poolOptions: { forks: { maxForks: 2, minForks: 1, execArgv: ["--expose-gc"] } },
  },
});

import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { init, tensor, matmul } from "../src/index.js";
import { backend } from "../src/backend/wasm.js";

// Edge runtimes (Cloudflare workerd) forbid compiling wasm from bytes at run time: there the
// user imports build/simdgrad.wasm as a precompiled WebAssembly.Module and hands it to init().
// This file runs in a fresh module graph, so init() comes before any tensor.
describe("init with a precompiled module", () => {
  it("uses the given WebAssembly.Module", async () => {
    const module = new WebAssembly.Module(readFileSync("build/simdgrad.wasm"));
    const b = await init({ source: module });
    expect(b.build).toBe("custom");
    expect(backend()).toBe(b);
    const y = matmul(tensor([[1, 2], [3, 4]]), tensor([[5], [6]]));
    expect(Array.from(y.data())).toEqual([17, 39]);
  });

  it("refuses a second module once tensors exist", async () => {
    await expect(init({ source: readFileSync("build/simdgrad.wasm") })).rejects.toThrow(/already initialised; init\(\) must come before any tensor/);
  });
});

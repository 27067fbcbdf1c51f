import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { initSync, tensor } from "../src/index.js";

// The module's bytes (e.g. fetched by the application) are accepted as well; this file runs in
// a fresh module graph, so initSync() comes before any tensor.
describe("init with the module's bytes", () => {
  it("compiles and uses them", () => {
    const b = initSync({ source: readFileSync("build/simdgrad.wasm") });
    expect(b.build).toBe("custom");
    expect(tensor([1, 2, 3]).mul(2).sum().item()).toBe(12);
  });
});

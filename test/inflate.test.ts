import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { constants, deflateRawSync } from "node:zlib";
import { inflateRaw } from "../src/backend/inflate.js";

// The decoder of the embedded wasm builds against zlib's encoder: every block type (stored, fixed
// and dynamic Huffman) and the strategies that make unusual code tables, on the real build and on
// data with no, short and long repeats.
describe("inflateRaw", () => {
  const wasm = readFileSync("build/simdgrad.wasm");
  let seed = 1;
  const random = Buffer.from(Array.from({ length: 70_000 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24)));
  const inputs: Record<string, Buffer> = {
    wasm,
    empty: Buffer.alloc(0),
    "one byte": Buffer.from("a"),
    "one value repeated": Buffer.alloc(100_000, 7),
    random,
    "short period": Buffer.from("abcabcabd".repeat(5000)),
  };
  const settings = {
    "level 9": { level: 9 },
    "stored blocks": { level: 0 },
    "level 1": { level: 1 },
    "fixed codes": { level: 9, strategy: constants.Z_FIXED },
    "Huffman only": { level: 6, strategy: constants.Z_HUFFMAN_ONLY },
    "run lengths": { level: 9, strategy: constants.Z_RLE },
  };
  for (const [what, data] of Object.entries(inputs)) {
    it(`${what}: every block type and strategy inflates to the original bytes`, () => {
      for (const [how, options] of Object.entries(settings)) {
        const out = inflateRaw(deflateRawSync(data, options), data.length);
        expect(Buffer.from(out).equals(data), how).toBe(true);
      }
    });
  }

  it("a stream that does not inflate to the stated size, or is cut short, is an error", () => {
    const deflated = deflateRawSync(wasm, { level: 9 });
    expect(() => inflateRaw(deflated, wasm.length + 1)).toThrow(/embedded wasm build is corrupt/);
    expect(() => inflateRaw(deflated, wasm.length - 1)).toThrow(/embedded wasm build is corrupt/);
    expect(() => inflateRaw(deflated.subarray(0, deflated.length >> 1), wasm.length)).toThrow(/embedded wasm build is corrupt/);
    // block type 3 is reserved
    expect(() => inflateRaw(Uint8Array.of(0b111), 1)).toThrow(/embedded wasm build is corrupt/);
  });
});

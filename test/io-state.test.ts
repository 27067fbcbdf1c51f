import { describe, it, expect } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tensor, randn, dispose, manualSeed, Generator, nn, type Tensor } from "../src/index.js";
import { save, load } from "../src/io/state.js";
import { decodeSafetensors, encodeSafetensors } from "../src/io/safetensors.js";
import { saveFile, loadFile } from "../src/node.js";

const bits = (t: Tensor) => Array.from(new Uint32Array(t.data().buffer));

function mlp(seed: number): nn.Sequential {
  manualSeed(seed);
  return new nn.Sequential(new nn.Linear(5, 7), new nn.ReLU(), new nn.Linear(7, 3));
}

describe("save / load", () => {
  it("round-trips an MLP's state dict bit for bit through safetensors", () => {
    const a = mlp(1);
    // Make sure every bit pattern class is there: subnormals, -0, huge values.
    a.stateDict()["0.bias"].liveData().set([1e-42, -0, 3.4e38, -1.17549435e-38, 0.1, Math.PI, -2]);
    const bytes = save(a.stateDict(), { format: "pt" });
    const header = decodeSafetensors(bytes);
    expect(header.metadata).toEqual({ format: "pt" });
    expect(Object.fromEntries(Object.entries(header.tensors).map(([k, t]) => [k, [t.dtype, t.shape]]))).toEqual({
      "0.weight": ["F32", [7, 5]], "0.bias": ["F32", [7]], "2.weight": ["F32", [3, 7]], "2.bias": ["F32", [3]],
    });
    const b = new nn.Sequential(new nn.Linear(5, 7), new nn.ReLU(), new nn.Linear(7, 3));
    const sd = load(bytes);
    b.loadStateDict(sd);
    dispose(sd);
    for (const [k, t] of Object.entries(a.stateDict())) expect(bits(b.stateDict()[k]), k).toEqual(bits(t));
    a.dispose();
    b.dispose();
  });

  it("writes int32 tensors as I64 (PyTorch's num_batches_tracked) and reads every integer and float dtype", () => {
    const steps = tensor(Int32Array.of(-3, 2147483647), [2]);
    const bytes = save({ num_batches_tracked: steps });
    const raw = decodeSafetensors(bytes).tensors.num_batches_tracked;
    expect(raw.dtype).toBe("I64");
    expect(Array.from(new BigInt64Array(raw.data.slice().buffer))).toEqual([-3n, 2147483647n]);
    const back = load(bytes).num_batches_tracked;
    expect(back.dtype).toBe("int32");
    expect(Array.from(back.data())).toEqual([-3, 2147483647]);

    const le = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
    const mixed = load(encodeSafetensors({
      f64: { dtype: "F64", shape: [2], data: le(new Float64Array([0.1, -1e300])) },
      i32: { dtype: "I32", shape: [1, 1], data: le(new Int32Array([-7])) },
      f16: { dtype: "F16", shape: [4], data: le(new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7c00])) },
      bf16: { dtype: "BF16", shape: [1], data: le(new Uint16Array([0x3fc0])) },
      u8: { dtype: "U8", shape: [], data: new Uint8Array([200]) },
      empty: { dtype: "F32", shape: [0, 4], data: new Uint8Array(0) },
    }));
    expect(Array.from(mixed.f64.data())).toEqual([Math.fround(0.1), -Infinity]);
    expect(mixed.i32.dtype).toBe("int32");
    expect(mixed.i32.toArray()).toEqual([[-7]]);
    expect(Array.from(mixed.f16.data())).toEqual([1, -2, 2 ** -24, Infinity]);
    expect(mixed.bf16.item()).toBe(1.5);
    expect(mixed.u8.shape).toEqual([]);
    expect(mixed.u8.item()).toBe(200);
    expect(mixed.empty.shape).toEqual([0, 4]);
    dispose([steps, back, mixed]);
  });

  it("rejects int64 values outside int32 and headers that lie about sizes or offsets", () => {
    const big = encodeSafetensors({ n: { dtype: "I64", shape: [1], data: new Uint8Array(new BigInt64Array([2n ** 40n]).buffer) } });
    expect(() => load(big)).toThrow(/I64 tensor "n" holds 1099511627776, outside the int32 range/);

    const w = randn([2, 3], { generator: new Generator(2) });
    const good = save({ w });
    const headerLength = new DataView(good.buffer).getUint32(0, true);
    const header = new TextDecoder().decode(good.subarray(8, 8 + headerLength));
    const withHeader = (json: string) => {
      const h = new TextEncoder().encode(json);
      const out = new Uint8Array(8 + h.length + 24);
      new DataView(out.buffer).setUint32(0, h.length, true);
      out.set(h, 8);
      return out;
    };
    expect(() => load(withHeader(header.replace("[2,3]", "[3,3]")))).toThrow(/tensor "w" \(F32 \[3, 3\]\) needs 36 bytes but data_offsets \[0, 24\] span 24/);
    expect(() => load(withHeader(header.replace("[0,24]", "[8,32]")))).toThrow(/data_offsets \[8,32\], expected \[begin, end\] with 0 <= begin <= end <= 24/);
    const lying = good.slice();
    new DataView(lying.buffer).setUint32(0, headerLength + 1000, true);
    expect(() => load(lying)).toThrow(/header length \d+ runs past the end of the file/);
    expect(() => load(good.subarray(0, good.length - 4))).toThrow(/data_offsets \[0,24\], expected \[begin, end\] with 0 <= begin <= end <= 20/);
    w.dispose();
  });

  it("loading into a model with a wrong key or shape fails listing the keys", () => {
    const model = mlp(3);
    const sd = load(save(model.stateDict()));
    const renamed = { ...sd, "9.weight": sd["2.weight"] };
    delete (renamed as Record<string, Tensor>)["2.weight"];
    expect(() => model.loadStateDict(renamed)).toThrow(/missing keys: 2\.weight.*unexpected keys: 9\.weight/);
    const wider = new nn.Sequential(new nn.Linear(5, 8), new nn.ReLU(), new nn.Linear(8, 3));
    expect(() => wider.loadStateDict(sd)).toThrow(/size mismatch for 0\.weight: checkpoint \[7, 5\] vs model \[8, 5\]/);
    dispose(sd);
    model.dispose();
    wider.dispose();
  });

  it("saveFile / loadFile write and read .safetensors files", () => {
    const dir = mkdtempSync(join(tmpdir(), "simdgrad-state-"));
    try {
      const w = randn([4, 4], { generator: new Generator(9) });
      saveFile(join(dir, "w.safetensors"), { w });
      const { w: back } = loadFile(join(dir, "w.safetensors"));
      expect(bits(back)).toEqual(bits(w));
      dispose([w, back]);
      expect(() => loadFile(join(dir, "missing.safetensors"))).toThrow(/ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

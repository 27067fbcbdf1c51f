// A failed load changes nothing and names the key; dicts built from untrusted keys are safe.
import { describe, it, expect } from "vitest";
import { tensor, zeros, randn, dispose, manualSeed, nn, optim, type Tensor } from "../src/index.js";
import { save, load } from "../src/io/state.js";
import { decodeSafetensors, encodeSafetensors } from "../src/io/safetensors.js";

const values = (m: nn.Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.data())]));

function mlp(seed: number): nn.Sequential {
  manualSeed(seed);
  return new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
}

describe("Module.loadStateDict is atomic", () => {
  it("a disposed last entry: nothing copied, the error names the key", () => {
    const model = mlp(1);
    const before = values(model);
    const sd = mlp(2).stateDict();
    const bad = { ...sd, "2.bias": tensor([1, 2]) };
    bad["2.bias"].dispose();
    expect(() => model.loadStateDict(bad)).toThrow(/loadStateDict \(Sequential\): the tensor for "2\.bias" was disposed/);
    expect(values(model)).toEqual(before);
  });

  it("casts another dtype like PyTorch's copy_ (int32 into a float parameter)", () => {
    const model = new nn.Linear(2, 1);
    model.loadStateDict({ weight: tensor(Int32Array.of(3, -4), [1, 2]), bias: tensor([0.5]) });
    expect(Array.from(model.weight.data())).toEqual([3, -4]);
  });

  it.each([
    ["an array", [1, 2], /expected a Tensor for "2\.bias", got an array/],
    ["a Float32Array", new Float32Array(2), /expected a Tensor for "2\.bias", got a Float32Array/],
    ["null", null, /expected a Tensor for "2\.bias", got null/],
  ])("a non-tensor value (%s) is an error naming the key, and nothing is copied", (_, value, message) => {
    const model = mlp(1);
    const before = values(model);
    const sd = { ...mlp(3).stateDict(), "2.bias": value } as unknown as Record<string, Tensor>;
    expect(() => model.loadStateDict(sd)).toThrow(message);
    expect(values(model)).toEqual(before);
  });

  it("keys named like Object.prototype members are ordinary keys", () => {
    const model = mlp(1);
    for (const key of ["__proto__", "constructor", "toString"]) {
      const sd: Record<string, Tensor> = Object.create(null);
      Object.assign(sd, mlp(2).stateDict());
      Object.defineProperty(sd, key, { value: zeros([1]), enumerable: true });
      expect(() => model.loadStateDict(sd)).toThrow(new RegExp(`unexpected keys: ${key}`));
      expect(model.loadStateDict(sd, { strict: false }).unexpectedKeys).toEqual([key]);
      sd[key].dispose();
    }
    // a state dict lacking them is not "missing" a constructor or toString
    expect(model.loadStateDict(mlp(2).stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
  });
});

describe("Optimizer.loadStateDict validates, then swaps", () => {
  function trained(): { p: Tensor[]; opt: optim.Adam } {
    manualSeed(5);
    const p = [randn([3], { requiresGrad: true }), randn([2], { requiresGrad: true })];
    const opt = new optim.Adam(p, { lr: 0.1 });
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      p[0].square().sum().add(p[1].square().sum()).backward();
      opt.step();
    }
    return { p, opt };
  }
  const moments = (opt: optim.Adam) =>
    Object.values(opt.stateDict().state).map((s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v instanceof Object ? Array.from((v as Tensor).data()) : v])));

  it.each([
    ["an int32 state buffer", (t: Tensor) => tensor(Int32Array.of(1, 2), [2]) ?? t, /state 1\.exp_avg_sq is an int32 tensor/],
    ["a disposed state buffer", (t: Tensor) => (t.dispose(), t), /Adam\.loadStateDict: the tensor for state 1\.exp_avg_sq was disposed/],
    ["a non-tensor", () => [1, 2] as unknown as Tensor, /Adam\.loadStateDict: expected a Tensor for state 1\.exp_avg_sq, got an array/],
  ])("%s: the error names it and the old state is intact", (_, corrupt, message) => {
    const { opt } = trained();
    const before = moments(opt);
    const sd = trained().opt.stateDict();
    (sd.state[1] as Record<string, unknown>).exp_avg_sq = corrupt(sd.state[1].exp_avg_sq as Tensor);
    expect(() => opt.loadStateDict(sd)).toThrow(message);
    expect(moments(opt)).toEqual(before);
  });

  it("keys named like Object.prototype members in param_groups are unknown options, not accepted silently", () => {
    const { opt } = trained();
    for (const key of ["__proto__", "constructor", "toString"]) {
      const sd = trained().opt.stateDict();
      Object.defineProperty(sd.param_groups[0], key, { value: 1, enumerable: true });
      expect(() => opt.loadStateDict(sd)).toThrow(/unknown option/);
    }
    expect(() => new optim.SGD([zeros([1], { requiresGrad: true })], { lr: 0.1, toString: 1 } as never)).toThrow(/unknown option "toString"/);
  });
});

describe("dicts built from untrusted keys", () => {
  const names = ["__proto__", "constructor", "toString"];

  it("safetensors tensors and metadata named __proto__, constructor, toString are ordinary entries", () => {
    const raw: Record<string, { dtype: "F32"; shape: number[]; data: Uint8Array }> = Object.create(null);
    names.forEach((n, i) => (raw[n] = { dtype: "F32", shape: [1], data: new Uint8Array(new Float32Array([i]).buffer) }));
    const meta: Record<string, string> = Object.create(null);
    for (const n of names) meta[n] = n.toUpperCase();
    const bytes = encodeSafetensors(raw, meta);
    const decoded = decodeSafetensors(bytes);
    expect(Object.keys(decoded.tensors).sort()).toEqual([...names].sort());
    expect(Object.getPrototypeOf(decoded.tensors)).toBe(null);
    expect(Object.keys(decoded.metadata).sort()).toEqual([...names].sort());
    expect(decoded.metadata.toString).toBe("TOSTRING");

    const sd = load(bytes);
    expect(Object.keys(sd).sort()).toEqual([...names].sort());
    expect(sd.__proto__.item()).toBe(0);
    const all = Object.values(sd);
    dispose(sd); // frees every entry, __proto__ included
    for (const t of all) expect(t.isDisposed).toBe(true);
  });

  it("save() keeps a __proto__ entry", () => {
    const sd: Record<string, Tensor> = Object.create(null);
    sd.__proto__ = tensor([7]);
    sd.w = tensor([1]);
    const back = load(save(sd));
    expect(Object.keys(back).sort()).toEqual(["__proto__", "w"]);
    expect(back.__proto__.item()).toBe(7);
    dispose([sd, back]);
  });
});

// ModuleList, ModuleDict, Module.apply / namedModules and init.sparse_ (torch.nn semantics).
import { describe, expect, it } from "vitest";
import { nn, optim, zeros, randn, Tensor, manualSeed } from "../src/index.js";

describe("ModuleList", () => {
  it("registers its modules as 0, 1, … so their parameters and state-dict keys are the list's", () => {
    const list = new nn.ModuleList([new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2)]);
    expect(list.length).toBe(3);
    expect(Object.keys(list.stateDict())).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]);
    expect(list.parameters()).toHaveLength(4);
    list.append(new nn.Linear(2, 2, { bias: false }));
    expect(Object.keys(list.stateDict()).at(-1)).toBe("3.weight");
    expect(list.get(-1)).toBe(list[3]);
    expect(() => list.get(4)).toThrow(/ModuleList.get: index 4 is out of range for 4 modules/);
    expect(() => list.forward()).toThrow(/ModuleList has no forward/);
    expect(() => list.append({} as nn.Module)).toThrow(/expected a Module/);
  });

  it("insert shifts the later modules; iteration is in order; a model holding a list trains", () => {
    const a = new nn.Linear(2, 2), b = new nn.Linear(2, 2), c = new nn.Tanh();
    const list = new nn.ModuleList([a, b]).insert(1, c);
    expect([...list]).toEqual([a, c, b]);
    expect(Object.keys(list.stateDict())).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]);

    class Stack extends nn.Module {
      readonly layers = new nn.ModuleList([new nn.Linear(2, 8), new nn.Tanh(), new nn.Linear(8, 1)]);
      forward(x: Tensor): Tensor {
        for (const m of this.layers) x = (m as nn.Module).forward(x);
        return x;
      }
    }
    manualSeed(0);
    const model = new Stack();
    expect(Object.keys(model.stateDict())).toEqual(["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]);
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    const x = randn([16, 2]);
    const y = x.sum(1, true);
    const lossAt = () => nn.functional.mseLoss(model.forward(x), y);
    const first = lossAt().item();
    for (let i = 0; i < 100; i++) {
      opt.zeroGrad();
      lossAt().backward();
      opt.step();
    }
    expect(lossAt().item()).toBeLessThan(first / 10);
  });
});

describe("ModuleDict", () => {
  it("holds modules under keys in insertion order, with their keys in the state dict", () => {
    const d = new nn.ModuleDict({ encoder: new nn.Linear(3, 2), act: new nn.ReLU() });
    d.set("decoder", new nn.Linear(2, 3));
    expect(d.keys()).toEqual(["encoder", "act", "decoder"]);
    expect(d.size).toBe(3);
    expect(Object.keys(d.stateDict())).toEqual(["encoder.weight", "encoder.bias", "decoder.weight", "decoder.bias"]);
    expect(d.get("act")).toBeInstanceOf(nn.ReLU);
    expect(d.delete("act")).toBeInstanceOf(nn.ReLU);
    expect(d.has("act")).toBe(false);
    expect(() => d.get("act")).toThrow(/no module under key "act" \(keys: encoder, decoder\)/);
  });

  it("treats __proto__ as a plain key and refuses keys that would shadow the module", () => {
    const d = new nn.ModuleDict([["__proto__", new nn.Tanh()]]);
    expect(d.keys()).toEqual(["__proto__"]);
    expect(Object.keys(d.stateDict())).toEqual([]);
    expect(Object.getPrototypeOf(d)).toBe(nn.ModuleDict.prototype);
    expect(() => d.set("constructor", new nn.ReLU())).toThrow(/key "constructor" would shadow a property/);
    expect(() => d.set("toString", new nn.ReLU())).toThrow(/would shadow a property/);
    expect(() => d.set("training", new nn.ReLU())).toThrow(/key "training" would shadow a property/);
    expect(() => d.set("parameters", new nn.ReLU())).toThrow(/would shadow a property/);
    expect(() => d.set("a.b", new nn.ReLU())).toThrow(/without "\."/);
    expect(() => d.forward()).toThrow(/ModuleDict has no forward/);
  });
});

describe("Module.namedModules and apply", () => {
  it("lists every module once under its dotted name, depth first", () => {
    const shared = new nn.Linear(2, 2);
    const model = new nn.Sequential(shared, new nn.Sequential(new nn.ReLU(), shared));
    expect(model.namedModules().map(([k]) => k)).toEqual(["", "0", "1", "1.0"]);
    expect(model.namedModules("net").map(([k]) => k)).toEqual(["net", "net.0", "net.1", "net.1.0"]);
  });

  it("apply visits children before their parent and returns the module (PyTorch's init idiom)", () => {
    const model = new nn.Sequential(new nn.Linear(3, 3), new nn.Sequential(new nn.Linear(3, 3)));
    const visited: string[] = [];
    const ret = model.apply((m) => {
      visited.push(m.constructor.name);
      if (m instanceof nn.Linear) nn.init.constant_(m.weight, 0.5);
    });
    expect(ret).toBe(model);
    expect(visited).toEqual(["Linear", "Linear", "Sequential", "Sequential"]);
    for (const p of model.parameters().filter((_, i) => i % 2 === 0)) expect([...p.float32Data()].every((v) => v === 0.5)).toBe(true);
  });
});

describe("init.sparse_", () => {
  it("zeroes ceil(sparsity·rows) entries in every column and draws the rest from N(0, std²)", () => {
    manualSeed(1);
    const w = nn.init.sparse_(zeros([200, 500]), 0.3, 0.05);
    const v = w.float32Data();
    const nonzero: number[] = [];
    for (let c = 0; c < 500; c++) {
      let zerosInColumn = 0;
      for (let r = 0; r < 200; r++) {
        const x = v[r * 500 + c];
        if (x === 0) zerosInColumn++;
        else nonzero.push(x);
      }
      expect(zerosInColumn).toBe(60);
    }
    const mean = nonzero.reduce((a, b) => a + b, 0) / nonzero.length;
    const std = Math.sqrt(nonzero.reduce((a, b) => a + (b - mean) ** 2, 0) / (nonzero.length - 1));
    expect(Math.abs(std / 0.05 - 1)).toBeLessThan(0.02);
    expect(Math.abs(mean)).toBeLessThan(0.02 * 0.05);
  });

  it("rejects tensors that are not 2-D and sparsities outside [0, 1]", () => {
    expect(() => nn.init.sparse_(zeros([4]), 0.5)).toThrow(/init.sparse: only 2-D tensors are supported, got \[4\]/);
    expect(() => nn.init.sparse_(zeros([4, 4]), 1.5)).toThrow(/sparsity must be in \[0, 1\], got 1.5/);
  });
});

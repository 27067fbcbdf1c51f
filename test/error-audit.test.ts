// Error-path audit: every public op (the top level and nn.functional) is called with argument lists
// that are tensors but wrong — mismatched shapes, int32 where float32 belongs, a disposed tensor,
// dims and indices out of range, inputs that need grad. Whenever a call throws, it must have freed
// what it allocated (bytes in use and live tensors unchanged) and left its inputs' values intact.
import { describe, it, expect } from "vitest";
import * as sg from "../src/index.js";
import { randn, tensor, memoryStats, type Tensor } from "../src/index.js";

// Not ops over tensors, or with effects beyond their result.
const skip = new Set(["init", "initSync", "emptyCache", "shutdownThreads", "setNumThreads", "getNumThreads", "manualSeed", "memoryStats", "tidy",
  "keep", "dispose", "noGrad", "enableGrad", "fit", "fitAsync", "evaluate", "save", "load", "setDetectAnomaly", "isGradEnabled", "isAnomalyEnabled",
  "detectAnomaly", "setPrintOptions", "getPrintOptions", "parseIdx", "encodeIdx", "decodeSafetensors", "encodeSafetensors", "gradcheck",
  "gradgradcheck", "jacobian", "hessian", "hvp", "jvp", "vjp", "grad", "randomSplit", "step"]);

function tensorsIn(value: unknown, out: Tensor[] = [], seen = new Set<unknown>()): Tensor[] {
  if (value instanceof sg.Tensor) out.push(value);
  else if (value && typeof value === "object" && !seen.has(value)) {
    seen.add(value);
    for (const v of Object.values(value)) tensorsIn(v, out, seen);
  }
  return out;
}

// Argument lists, each made fresh: the tensors they hold are the inputs whose values must survive.
const disposed = () => { const t = randn([2, 3]); t.dispose(); return t; };
const recipes: [string, () => unknown[]][] = [
  ["int32", () => [tensor([1, 2, 3], { dtype: "int32" })]],
  ["int32 pair", () => [tensor([[1, 2]], { dtype: "int32" }), tensor([[1, 2]], { dtype: "int32" })]],
  ["mismatched pair", () => [randn([2, 3]), randn([4, 5])]],
  ["mismatched pair, grad", () => [randn([2, 3], { requiresGrad: true }), randn([4, 5], { requiresGrad: true })]],
  ["mismatched triple", () => [randn([2, 3]), randn([4, 5]), randn([7])]],
  ["image and a wrong weight", () => [randn([1, 2, 5, 5]), randn([4, 3, 3, 3])]],
  ["image and a wrong weight, grad", () => [randn([1, 2, 5, 5], { requiresGrad: true }), randn([4, 3, 3, 3], { requiresGrad: true }), randn([5])]],
  ["sequence and a wrong weight", () => [randn([1, 2, 5]), randn([4, 3, 3])]],
  ["a disposed second operand", () => [randn([2, 3]), disposed()]],
  ["a disposed first operand", () => [disposed(), randn([2, 3])]],
  ["a dim out of range", () => [randn([2, 3]), 7]],
  ["a negative dim out of range", () => [randn([2, 3], { requiresGrad: true }), -9]],
  ["indices out of range", () => [randn([2, 3]), 0, tensor([5, -7], { dtype: "int32" })]],
  ["float indices", () => [randn([2, 3]), 1, randn([2, 3])]],
  ["class targets out of range", () => [randn([3, 4], { requiresGrad: true }), tensor([0, 9, 1], { dtype: "int32" })]],
  ["targets of the wrong size", () => [randn([3, 4], { requiresGrad: true }), tensor([0, 1], { dtype: "int32" })]],
  ["a bad size list", () => [randn([2, 3]), [5, -2]]],
  ["a matrix and a vector of the wrong length", () => [randn([2, 3]), randn([4])]],
];

const functions = (ns: object, prefix: string) => Object.entries(ns)
  .filter(([name, f]) => typeof f === "function" && /^[a-z]/.test(name) && !skip.has(name))
  .map(([name, f]) => [`${prefix}${name}`, f] as [string, (...a: unknown[]) => unknown]);
const ops = [...functions(sg, ""), ...functions(sg.nn.functional, "nn.functional.")];

describe("error paths of every op free what they allocated and leave inputs intact", () => {
  it.each(ops)("%s", (name, op) => {
    let threw = 0;
    for (const [what, make] of recipes) {
      const args = make();
      const inputs = tensorsIn(args).filter((t) => !t.isDisposed);
      const values = inputs.map((t) => Array.from(t.data()));
      const before = memoryStats();
      let result: unknown;
      try {
        result = op(...args);
      } catch (e) {
        threw++;
        expect(e, `${name}(${what})`).toBeInstanceOf(Error);
        const after = memoryStats();
        expect({ bytesInUse: after.bytesInUse, liveTensors: after.liveTensors }, `${name}(${what}) threw "${(e as Error).message}"`)
          .toEqual({ bytesInUse: before.bytesInUse, liveTensors: before.liveTensors });
        inputs.forEach((t, i) => expect(Array.from(t.data()), `${name}(${what}) changed an input`).toEqual(values[i]));
      }
      sg.dispose(tensorsIn(result).filter((t) => !t.isDisposed && !inputs.includes(t)));
      for (const t of inputs) {
        t.grad?.dispose();
        t.dispose();
      }
    }
    // every op rejects at least one of these (an op that accepts all of them is checked elsewhere)
    expect(threw, name).toBeGreaterThan(0);
  });


  // Layers: forward with inputs of the wrong width, rank, dtype, or disposed.
  const nn = sg.nn;
  const layers: [string, () => sg.nn.Module<unknown>][] = [
    ["Linear", () => new nn.Linear(3, 4)], ["Conv1d", () => new nn.Conv1d(3, 4, 3)], ["Conv2d", () => new nn.Conv2d(3, 4, 3)],
    ["ConvTranspose2d", () => new nn.ConvTranspose2d(3, 4, 3)], ["BatchNorm1d", () => new nn.BatchNorm1d(3)], ["BatchNorm2d", () => new nn.BatchNorm2d(3)],
    ["LayerNorm", () => new nn.LayerNorm(3)], ["GroupNorm", () => new nn.GroupNorm(1, 3)], ["Embedding", () => new nn.Embedding(5, 3)],
    ["RNN", () => new nn.RNN(3, 4)], ["LSTM", () => new nn.LSTM(3, 4)], ["GRU", () => new nn.GRU(3, 4)], ["LSTMCell", () => new nn.LSTMCell(3, 4)],
    ["MultiheadAttention", () => new nn.MultiheadAttention(4, 2)], ["TransformerEncoderLayer", () => new nn.TransformerEncoderLayer(4, 2)],
    ["PReLU", () => new nn.PReLU(3)], ["MaxPool2d", () => new nn.MaxPool2d(2)], ["AvgPool2d", () => new nn.AvgPool2d(2)],
  ];
  const inputs: [string, () => Tensor[]][] = [
    ["a float [2, 5, 7, 9]", () => [randn([2, 5, 7, 9])]], ["a float [2, 5]", () => [randn([2, 5])]], ["a float [7]", () => [randn([7])]],
    ["an int32 [2, 3]", () => [tensor([[1, 2, 3], [4, 5, 9]], { dtype: "int32" })]], ["a disposed [2, 3]", () => [disposed()]],
    ["a float [2, 3] and a mismatched state", () => [randn([2, 3]), randn([5, 2, 7])]],
  ];
  it.each(layers)("nn.%s forward", (name, makeLayer) => {
    const layer = makeLayer();
    const params = layer.parameters();
    const paramValues = params.map((p) => Array.from(p.data()));
    let threw = 0;
    for (const [what, make] of inputs) {
      const args = make();
      const live = args.filter((t) => !t.isDisposed);
      const before = memoryStats();
      let result: unknown;
      try {
        result = layer.forward(...args);
      } catch (e) {
        threw++;
        const after = memoryStats();
        expect({ bytesInUse: after.bytesInUse, liveTensors: after.liveTensors }, `${name}(${what}) threw "${(e as Error).message}"`)
          .toEqual({ bytesInUse: before.bytesInUse, liveTensors: before.liveTensors });
      }
      sg.dispose(tensorsIn(result).filter((t) => !t.isDisposed && !live.includes(t)));
      sg.dispose(live);
    }
    params.forEach((p, i) => expect(Array.from(p.data()), `${name} changed a parameter`).toEqual(paramValues[i]));
    expect(threw, name).toBeGreaterThan(0);
    layer.dispose();
  });
});

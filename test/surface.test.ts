// The PyTorch-faithful surface (issue 11 §1): positional arguments and options, no silently
// ignored settings, varargs shapes, view, non-tensor arguments, printing.
import { describe, expect, it } from "vitest";
import * as sg from "../src/index.js";
import { tensor, randn, rand, zeros, ones, empty, full, nn, optim } from "../src/index.js";

describe("view", () => {
  it("is PyTorch's view: another shape over the same storage, -1 inferred", () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    const v = x.view(-1, 2);
    expect(v.shape).toEqual([3, 2]);
    expect(x.view([6]).shape).toEqual([6]);
    x.fill_(7);
    expect(Array.from(v.data())).toEqual([7, 7, 7, 7, 7, 7]);
    expect(() => x.view(4, -1)).toThrow(/view: shape \[4, -1\] is invalid for input of shape \[2, 3\]/);
  });

  it("liveData() is the storage in place (no copy), data() a copy", () => {
    const x = tensor([1, 2]);
    x.liveData()[0] = 5;
    const copy = x.data();
    copy[1] = 9;
    expect(x.toArray()).toEqual([5, 2]);
  });
});

describe("PyTorch's positional order, or options, never silently ignored", () => {
  const image = () => randn([1, 1, 28, 28]);

  it("Conv2d(1, 4, 3, 2) has stride 2: 13×13 from 28×28, as in PyTorch", () => {
    expect(new nn.Conv2d(1, 4, 3, 2).forward(image()).shape).toEqual([1, 4, 13, 13]);
    expect(new nn.Conv2d(1, 4, 3, { stride: 2 }).forward(image()).shape).toEqual([1, 4, 13, 13]);
    // (in, out, kernel, stride, padding, dilation, groups, bias)
    const c = new nn.Conv2d(2, 4, 3, 1, 1, 2, 2, false);
    expect([c.padding, c.dilation, c.groups, c.bias]).toEqual([[1, 1], [2, 2], 2, null]);
    expect(c.forward(randn([1, 2, 8, 8])).shape).toEqual([1, 4, 6, 6]);
    expect(new nn.Conv1d(1, 2, 3, 2).forward(randn([1, 1, 9])).shape).toEqual([1, 2, 4]);
    // ConvTranspose2d: (in, out, kernel, stride, padding, outputPadding, groups, bias, dilation)
    const t = new nn.ConvTranspose2d(2, 2, 3, 2, 1, 1, 1, true, 1);
    expect(t.forward(randn([1, 2, 4, 4])).shape).toEqual([1, 2, 8, 8]);
  });

  it("MaxPool2d(2, 1) has stride 1; AvgPool2d takes its order too", () => {
    expect(new nn.MaxPool2d(2, 1).forward(randn([1, 1, 4, 4])).shape).toEqual([1, 1, 3, 3]);
    expect(new nn.MaxPool2d(2).forward(randn([1, 1, 4, 4])).shape).toEqual([1, 1, 2, 2]);
    // (kernel, stride, padding, dilation, returnIndices, ceilMode)
    expect(new nn.MaxPool2d(2, 2, 0, 1, false, true).forward(randn([1, 1, 5, 5])).shape).toEqual([1, 1, 3, 3]);
    // (kernel, stride, padding, ceilMode, countIncludePad, divisorOverride)
    const avg = new nn.AvgPool2d(2, 1, 0, false, true, 1);
    expect(Array.from(avg.forward(tensor([[[[1, 2], [3, 4]]]])).data())).toEqual([10]);
  });

  it("Linear(784, 10, false) has no bias", () => {
    expect(new nn.Linear(784, 10, false).bias).toBeNull();
    expect(new nn.Linear(784, 10, { bias: false }).parameters().length).toBe(1);
    expect(new nn.Linear(784, 10).parameters().length).toBe(2);
  });

  it("a setting given twice, an unknown or unsupported option, a wrong kind: errors naming it", () => {
    expect(() => new nn.Conv2d(1, 4, 3, 2, { stride: 2 })).toThrow(/Conv2d: stride is given both as an argument and in the options/);
    expect(() => new nn.Conv2d(1, 4, 3, { strides: 2 } as never)).toThrow(/Conv2d: unknown option "strides"/);
    expect(() => new nn.Conv2d(1, 4, 3, { paddingMode: "reflect" as never })).toThrow(/Conv2d: paddingMode "reflect" is not supported/);
    expect(() => new nn.MaxPool2d(2, 2, 0, 1, true)).toThrow(/MaxPool2d: returnIndices true is not supported/);
    expect(() => new nn.Linear(784, 10, "no" as never)).toThrow(/Linear: bias must be a boolean, got "no"/);
    expect(() => new (nn.Linear as any)(784, 10, false, 1)).toThrow(/Linear: too many arguments/);
  });
});

describe("attention and Transformer layers take PyTorch's positional order too", () => {
  const g = () => new sg.Generator(3);

  it("MultiheadAttention(embedDim, numHeads, dropout, bias, addBiasKV, addZeroAttn, kdim, vdim, batchFirst)", () => {
    const m = new nn.MultiheadAttention(4, 2, 0.25, false, false, false, null, 4, true);
    expect([m.dropout, m.in_proj_bias, m.out_proj.bias, m.batchFirst]).toEqual([0.25, null, null, true]);
    expect(() => new nn.MultiheadAttention(4, 2, 0, true, true)).toThrow(/MultiheadAttention: addBiasKV true is not supported/);
    expect(() => new nn.MultiheadAttention(4, 2, 1.5)).toThrow(/MultiheadAttention: dropout must be a number in \[0, 1\], got 1.5/);
  });

  it.each([["TransformerEncoderLayer", nn.TransformerEncoderLayer], ["TransformerDecoderLayer", nn.TransformerDecoderLayer]] as const)(
    "%s(dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias) is the options form", (name, Layer) => {
      const positional = new Layer(8, 2, 16, 0, "gelu", 1e-6, true, true, false, { generator: g() });
      const named = new Layer(8, 2, { dimFeedforward: 16, dropout: 0, activation: "gelu", layerNormEps: 1e-6, batchFirst: true, normFirst: true, bias: false, generator: g() });
      expect(positional.options).toEqual(named.options);
      const keys = (l: nn.Module) => l.namedParameters().map(([k, p]) => `${k} ${p.shape.join("x")}`);
      expect(keys(positional)).toEqual(keys(named));
      const x = randn([2, 3, 8]);
      const run = (l: InstanceType<typeof Layer>) => (l instanceof nn.TransformerDecoderLayer ? l.forward(x, x) : (l as nn.TransformerEncoderLayer).forward(x));
      expect(Array.from(run(positional).data())).toEqual(Array.from(run(named).data()));
      expect(() => new Layer(8, 2, 16, { dimFeedforward: 32 })).toThrow(new RegExp(`${name}: dimFeedforward is given both`));
      expect(() => new Layer(8, 2, 16, 0.1, "tanh" as never)).toThrow(new RegExp(`${name}: activation must be "relu", "gelu" or a function, got "tanh"`));
    });

  it("the decoder layer's parameters come in PyTorch's order (its state-dict keys)", () => {
    const names = new nn.TransformerDecoderLayer(4, 2, 8).namedParameters().map(([k]) => k);
    expect(names).toEqual([
      "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
      "multihead_attn.in_proj_weight", "multihead_attn.in_proj_bias", "multihead_attn.out_proj.weight", "multihead_attn.out_proj.bias",
      "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
      "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias", "norm3.weight", "norm3.bias",
    ]);
  });

  it("TransformerEncoder/Decoder(layer, numLayers, norm)", () => {
    const enc = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2, 8), 2, new nn.LayerNorm(4));
    expect([enc.layers.length, enc.norm instanceof nn.LayerNorm]).toEqual([2, true]);
    const dec = new nn.TransformerDecoder(new nn.TransformerDecoderLayer(4, 2, 8), 3, { norm: null });
    expect([dec.layers.length, dec.norm]).toEqual([3, null]);
    expect(() => new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2), 1, new nn.Linear(4, 4) as never)).toThrow(/TransformerEncoder: norm must be a LayerNorm or null/);
  });
});

// The smallest valid positional arguments of every exported layer; a new layer must be added here.
const REQUIRED: Record<string, unknown[]> = {
  Linear: [2, 3], Identity: [], Flatten: [], Dropout: [], GaussianNoise: [0.1], Embedding: [4, 2],
  RNN: [2, 3], LSTM: [2, 3], GRU: [2, 3], RNNCell: [2, 3], LSTMCell: [2, 3], GRUCell: [2, 3],
  MultiheadAttention: [4, 2], TransformerEncoderLayer: [4, 2], TransformerDecoderLayer: [4, 2],
  SinusoidalPositionalEncoding: [4], LearnedPositionalEncoding: [8, 4],
  Conv1d: [1, 1, 3], Conv2d: [1, 1, 3], ConvTranspose2d: [1, 1, 3], MaxPool2d: [2], AvgPool2d: [2], AdaptiveAvgPool2d: [2],
  GlobalAvgPool2d: [], Upsample: [2], BatchNorm1d: [3], BatchNorm2d: [3], LayerNorm: [3], GroupNorm: [1, 3], ResidualBlock: [2, 2],
  SOM: [2, 2, 3], CosineSimilarity: [], PReLU: [], LeakyReLU: [], ELU: [], GELU: [], Softplus: [], Softmax: [1], LogSoftmax: [1],
};
// Layers that take other layers rather than settings: built from one.
const BUILT_FROM: Record<string, () => unknown[]> = {
  TransformerEncoder: () => [new nn.TransformerEncoderLayer(4, 2), 1],
  TransformerDecoder: () => [new nn.TransformerDecoderLayer(4, 2), 1],
};
// Layers PyTorch builds without arguments (no settings): an options object is refused too.
const NO_SETTINGS = ["ReLU", "SiLU", "Swish", "Sigmoid", "Tanh", "Hardswish", "Hardsigmoid", "Mish", "LogSigmoid", "Step", "Sign"];

describe("every exported layer, function and optimizer refuses an unknown option, naming it", () => {
  const layers = Object.entries(nn).filter(([, v]) => typeof v === "function" && (v as { prototype: unknown }).prototype instanceof nn.Module) as [string, new (...a: unknown[]) => nn.Module][];

  it.each(layers)("nn.%s", (name, Layer) => {
    if (name === "Sequential" || name === "ModuleList" || name === "ModuleDict") {
      // containers take modules, not settings: anything else is refused, naming the container
      expect(() => new Layer({ bogusOption: 1 })).toThrow(new RegExp(name));
      return;
    }
    if (name === "Identity") return; // PyTorch's Identity takes any arguments and uses none
    const positional = REQUIRED[name] ?? BUILT_FROM[name]?.() ?? (NO_SETTINGS.includes(name) || name.endsWith("Loss") ? [] : undefined);
    expect(positional, `${name}: add its required arguments to this test`).toBeDefined();
    expect(() => new Layer(...positional!, { bogusOption: 1 })).toThrow(/bogusOption/);
  });

  const x = () => randn([1, 1, 4, 4]);
  const calls: [string, (o: object) => unknown][] = [
    ["conv1d", (o) => nn.functional.conv1d(randn([1, 1, 4]), randn([1, 1, 3]), null, o)],
    ["conv2d", (o) => nn.functional.conv2d(x(), randn([1, 1, 3, 3]), null, o)],
    ["convTranspose2d", (o) => nn.functional.convTranspose2d(x(), randn([1, 1, 3, 3]), null, o)],
    ["maxPool2d", (o) => nn.functional.maxPool2d(x(), 2, o)],
    ["maxPool2dWithIndices", (o) => nn.functional.maxPool2dWithIndices(x(), 2, o)],
    ["avgPool2d", (o) => nn.functional.avgPool2d(x(), 2, o)],
    ["interpolate", (o) => nn.functional.interpolate(x(), { size: 2, ...o })],
    ["batchNorm", (o) => nn.functional.batchNorm(x(), null, null, null, null, { training: true, ...o })],
    ["linear", (o) => nn.functional.linear(randn([2, 3]), randn([4, 3]), null, o)],
    ["dropout", (o) => nn.functional.dropout(randn([2]), 0.5, true, o)],
    ["gaussianNoise", (o) => nn.functional.gaussianNoise(randn([2]), 0.5, true, o)],
    ["mseLoss", (o) => nn.functional.mseLoss(randn([2]), randn([2]), o)],
    ["crossEntropy", (o) => nn.functional.crossEntropy(randn([2, 3]), tensor([0, 1], { dtype: "int32" }), o)],
    ["scaledDotProductAttention", (o) => nn.functional.scaledDotProductAttention(randn([1, 2, 4]), randn([1, 2, 4]), randn([1, 2, 4]), o)],
  ];
  it.each(calls)("nn.functional.%s", (_name, call) => {
    expect(() => call({ bogusOption: 1 })).toThrow(/bogusOption/);
  });

  const params = () => [randn([2]).setRequiresGrad()];
  const optimizers: [string, new (p: never, o: never) => optim.Optimizer][] = [
    ["SGD", optim.SGD as never], ["Adam", optim.Adam as never], ["AdamW", optim.AdamW as never], ["RMSprop", optim.RMSprop as never],
    ["Adagrad", optim.Adagrad as never], ["Adadelta", optim.Adadelta as never],
  ];
  it.each(optimizers)("optim.%s", (_name, Optimizer) => {
    expect(() => new Optimizer(params() as never, { lr: 0.1, bogusOption: 1 } as never)).toThrow(/bogusOption/);
  });

  it("the schedulers", () => {
    const opt = new optim.SGD(params(), { lr: 0.1 });
    const schedulers: [new (o: optim.Optimizer, x: never) => unknown, object][] = [
      [optim.StepLR as never, { stepSize: 2 }], [optim.MultiStepLR as never, { milestones: [2] }], [optim.ExponentialLR as never, { gamma: 0.5 }],
      [optim.CosineAnnealingLR as never, { tMax: 3 }], [optim.LinearLR as never, {}], [optim.LambdaLR as never, { lrLambda: () => 1 }],
      [optim.ReduceLROnPlateau as never, {}],
    ];
    for (const [Scheduler, o] of schedulers) expect(() => new Scheduler(opt, { ...o, bogusOption: 1 } as never)).toThrow(/bogusOption/);
  });
});

describe("optimizers and schedulers take PyTorch's positional order too", () => {
  const params = () => [randn([2]).setRequiresGrad()];
  const settings = (opt: optim.Optimizer) => {
    const { params: _, initialLr: __, ...rest } = opt.paramGroups[0];
    return rest;
  };

  it.each([
    ["SGD", () => new optim.SGD(params(), 0.1, 0.9, 0, 0.01, true), () => new optim.SGD(params(), { lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true })],
    ["Adam", () => new optim.Adam(params(), 1e-2, [0.8, 0.9], 1e-6, 0.1, true), () => new optim.Adam(params(), { lr: 1e-2, betas: [0.8, 0.9], eps: 1e-6, weightDecay: 0.1, amsgrad: true })],
    ["AdamW", () => new optim.AdamW(params(), 1e-2), () => new optim.AdamW(params(), { lr: 1e-2, weightDecay: 1e-2 })],
    ["RMSprop", () => new optim.RMSprop(params(), 1e-3, 0.9, 1e-6, 0.1, 0.5, true, { maximize: true }),
      () => new optim.RMSprop(params(), { lr: 1e-3, alpha: 0.9, eps: 1e-6, weightDecay: 0.1, momentum: 0.5, centered: true, maximize: true })],
    ["Adagrad", () => new optim.Adagrad(params(), 0.1, 0.01, 0.001, 0.5, 1e-8), () => new optim.Adagrad(params(), { lr: 0.1, lrDecay: 0.01, weightDecay: 0.001, initialAccumulatorValue: 0.5, eps: 1e-8 })],
    ["Adadelta", () => new optim.Adadelta(params(), 0.5, 0.8, 1e-5, 0.1), () => new optim.Adadelta(params(), { lr: 0.5, rho: 0.8, eps: 1e-5, weightDecay: 0.1 })],
  ] as const)("%s(params, ...) is the options form", (_name, positional, named) => {
    expect(settings(positional())).toEqual(settings(named()));
  });

  it("AdamW keeps its own weight-decay default; errors name the optimizer and the setting", () => {
    expect(new optim.AdamW(params()).paramGroups[0].weightDecay).toBe(1e-2);
    expect(new optim.Adam(params()).paramGroups[0].weightDecay).toBe(0);
    expect(() => new (optim.SGD as any)(params())).toThrow(/SGD: lr is required/);
    expect(() => new optim.SGD(params(), 0.1, { lr: 0.2 })).toThrow(/SGD: lr is given both as an argument and in the options/);
    expect(() => new (optim.Adam as any)(params(), 1e-3, [0.9, 0.99], 1e-8, 0, false, false)).toThrow(/Adam: too many arguments/);
    expect(() => new optim.Adam(params(), -1)).toThrow(/Adam: invalid learning rate: -1/);
  });

  it("schedulers: (optimizer, PyTorch's order) or options, lastEpoch and verbose refused unless default", () => {
    const lrs = (make: (o: optim.Optimizer) => optim.LRScheduler) => {
      const opt = new optim.SGD(params(), 1);
      const s = make(opt);
      return Array.from({ length: 5 }, () => (s.step(), s.getLastLr()[0]));
    };
    expect(lrs((o) => new optim.StepLR(o, 2, 0.5))).toEqual(lrs((o) => new optim.StepLR(o, { stepSize: 2, gamma: 0.5 })));
    expect(lrs((o) => new optim.MultiStepLR(o, [1, 3], 0.5, -1, false))).toEqual(lrs((o) => new optim.MultiStepLR(o, { milestones: [1, 3], gamma: 0.5 })));
    expect(lrs((o) => new optim.ExponentialLR(o, 0.9))).toEqual(lrs((o) => new optim.ExponentialLR(o, { gamma: 0.9 })));
    expect(lrs((o) => new optim.CosineAnnealingLR(o, 4, 0.1))).toEqual(lrs((o) => new optim.CosineAnnealingLR(o, { tMax: 4, etaMin: 0.1 })));
    expect(lrs((o) => new optim.LinearLR(o, 0.5, 1, 3))).toEqual(lrs((o) => new optim.LinearLR(o, { startFactor: 0.5, totalIters: 3 })));
    expect(lrs((o) => new optim.LambdaLR(o, (e) => 1 / (e + 1)))).toEqual([1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 6]);
    expect(lrs((o) => new optim.SequentialLR(o, [new optim.LinearLR(o, 0.5, 1, 2), new optim.ExponentialLR(o, 0.5)], [2])))
      .toEqual(lrs((o) => new optim.SequentialLR(o, { schedulers: [new optim.LinearLR(o, { startFactor: 0.5, totalIters: 2 }), new optim.ExponentialLR(o, { gamma: 0.5 })], milestones: [2] })));
    const opt = new optim.SGD(params(), 1);
    expect(() => new optim.StepLR(opt, 2, 0.1, 5)).toThrow(/StepLR: lastEpoch 5 is not supported; only -1 \(resume with loadStateDict\)/);
    expect(() => new optim.ExponentialLR(opt, 0.9, -1, true)).toThrow(/ExponentialLR: verbose true is not supported/);
    expect(() => new (optim.StepLR as any)(opt)).toThrow(/StepLR: stepSize is required/);
    expect(() => new optim.StepLR(opt, 2, { stepSize: 3 })).toThrow(/StepLR: stepSize is given both/);
  });

  it("ReduceLROnPlateau(optimizer, mode, factor, patience, ...)", () => {
    const opt = new optim.SGD(params(), 1);
    const s = new optim.ReduceLROnPlateau(opt, "max", 0.5, 1, 0, "abs");
    for (const metric of [1, 1, 1]) s.step(metric);
    expect(s.getLastLr()).toEqual([0.5]);
    expect(() => new optim.ReduceLROnPlateau(opt, "min", 0.5, { factor: 0.1 })).toThrow(/ReduceLROnPlateau: factor is given both/);
    expect(() => new optim.ReduceLROnPlateau(opt, { verbose: true } as never)).toThrow(/ReduceLROnPlateau: verbose true is not supported/);
  });
});

describe("shapes as PyTorch takes them", () => {
  it("zeros/ones/empty/rand/randn take varargs sizes or one array, options last", () => {
    for (const make of [zeros, ones, empty, rand, randn]) {
      expect(make(2, 3).shape).toEqual([2, 3]);
      expect(make([2, 3]).shape).toEqual([2, 3]);
    }
    expect(zeros(2, 3, { dtype: "int32" }).dtype).toBe("int32");
    expect(ones(4).toArray()).toEqual([1, 1, 1, 1]);
    expect(zeros().shape).toEqual([]);
    expect(full([2], 7).toArray()).toEqual([7, 7]);
    expect(full(2, 7).toArray()).toEqual([7, 7]);
    expect(randn(2, 2, { requiresGrad: true }).requiresGrad).toBe(true);
    expect(() => zeros(2, -1)).toThrow(/zeros: sizes must be non-negative integers, got \[2, -1\]/);
    expect(() => ones(2, "3" as never)).toThrow(/ones: expected sizes as numbers/);
    expect(() => randn(2, { dtyp: "int32" } as never)).toThrow(/randn: unknown option "dtyp"/);
  });

  it("tensor(data, { dtype }) as in PyTorch", () => {
    const t = tensor([1.7, 2, 3], { dtype: "int32" });
    expect([t.dtype, t.toArray()]).toEqual(["int32", [1, 2, 3]]);
    expect(tensor([1, 2, 3, 4], [2, 2], { dtype: "int32" }).shape).toEqual([2, 2]);
    expect(() => tensor([1], { dype: "int32" } as never)).toThrow(/tensor: unknown option "dype"/);
  });
});

describe("non-tensor arguments", () => {
  it("numbers work where PyTorch takes a scalar", () => {
    const t = tensor([1, 2]);
    expect(sg.add(t, 1).toArray()).toEqual([2, 3]);
    expect(sg.mul(t, 3).toArray()).toEqual([3, 6]);
    expect(sg.gt(t, 1).toArray()).toEqual([0, 1]);
    expect(sg.where(sg.gt(t, 1), t, 0).toArray()).toEqual([0, 2]);
  });

  // Every public op that takes a tensor: an array, a typed array, a string or null in its place is
  // an error naming the op, never a TypeError from deep inside.
  const skip = new Set(["tensor", "keep", "dispose", "tidy", "noGrad", "enableGrad", "grad", "init", "initSync", "fit", "fitAsync", "evaluate",
    "load", "save", "manualSeed", "setNumThreads", "getNumThreads", "memoryStats", "isGradEnabled", "setDetectAnomaly", "isAnomalyEnabled",
    "detectAnomaly", "jacobian", "hessian", "hvp", "jvp", "vjp", "gradcheck", "gradgradcheck", "parseIdx", "encodeIdx", "decodeSafetensors",
    "encodeSafetensors", "randomSplit", "accuracy", "getPrintOptions", "shutdownThreads", "emptyCache", "full", "zeros", "ones", "empty", "rand", "randn", "randint", "eye", "linspace", "arange", "einsum"]);
  const ops = Object.entries(sg).filter(([name, f]) => typeof f === "function" && /^[a-z]/.test(name) && !skip.has(name)) as [string, (...a: unknown[]) => unknown][];
  const bad: [string, unknown][] = [["an array", [1, 2]], ["a Float32Array", new Float32Array(4)], ["a string", "x"], ["null", null]];

  // The second operand of the binary and matrix ops is a tensor (or a scalar) too.
  const binary = new Set(["add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "ne", "gt", "ge", "lt", "le", "matmul", "bmm", "mm", "dot", "linear"]);
  it.each(ops)("%s", (name, op) => {
    const t = randn([2, 2]);
    for (const [, value] of bad) {
      for (const args of binary.has(name) ? [[value], [t, value]] : [[value]]) {
        let message = "";
        try {
          op(...args);
        } catch (e) {
          message = (e as Error).message;
        }
        expect(message, `${name}(${args.length === 2 ? "t, " : ""}${String(value)})`).toMatch(/^[a-zA-Z0-9.]+( \([^)]*\))?: /);
        expect(message).not.toMatch(/Cannot read|is not a function|is not iterable/);
      }
    }
  });

  it("add(t, [1, 2]), relu([1, 2]), matmul(t, Float32Array) name the op and the argument", () => {
    const t = randn([2, 2]);
    expect(() => sg.add(t, [1, 2] as never)).toThrow(/^add: expected a Tensor for other, got an array/);
    expect(() => sg.relu([1, 2] as never)).toThrow(/^relu: expected a Tensor for the input, got an array/);
    expect(() => sg.matmul(t, new Float32Array(4) as never)).toThrow(/^matmul: expected a Tensor for other, got a Float32Array/);
    expect(() => tensor(null as never)).toThrow(/^tensor: data must be a number, a \(nested\) array or a typed array, got null/);
  });
});

// Every tensor argument of every op that takes more than one (the first is swept above): an array,
// a typed array, a string or null in its place is an error naming the op and that argument.
describe("non-tensor arguments in any tensor position", () => {
  const f = (...shape: number[]) => randn(shape);
  const idx = (values: number[], shape = [values.length]) => tensor(values, shape, { dtype: "int32" });
  const F = nn.functional;
  const rnnWeights = () => ({ weightIh: f(4, 3), weightHh: f(4, 4), biasIh: f(4), biasHh: f(4) });
  // name -> a valid call, and the names of its tensor arguments in order (a tensor inside an
  // options object is named by its key; "?" marks an optional one, for which null means none).
  const calls: [string, (...t: unknown[]) => unknown, () => unknown[], string[]][] = [
    ["where", (c, a, b) => sg.where(c as never, a as never, b as never), () => [sg.gt(f(2), 0), f(2), f(2)], ["condition", "input", "other"]],
    ["maskedFill", (x, m, v) => sg.maskedFill(x as never, m as never, v as never), () => [f(2), idx([0, 1]), tensor(1)], ["input", "mask", "value"]],
    ["linear", (x, w, b) => sg.linear(x as never, w as never, b as never), () => [f(2, 3), f(4, 3), f(4)], ["input", "weight", "bias?"]],
    ["conv1d", (x, w, b) => sg.conv1d(x as never, w as never, b as never), () => [f(1, 1, 5), f(2, 1, 3), f(2)], ["input", "weight", "bias?"]],
    ["conv2d", (x, w, b) => sg.conv2d(x as never, w as never, b as never), () => [f(1, 1, 5, 5), f(2, 1, 3, 3), f(2)], ["input", "weight", "bias?"]],
    ["convTranspose2d", (x, w, b) => sg.convTranspose2d(x as never, w as never, b as never), () => [f(1, 1, 3, 3), f(1, 2, 3, 3), f(2)], ["input", "weight", "bias?"]],
    ["embedding", (i, w) => sg.embedding(i as never, w as never), () => [idx([0, 1]), f(3, 2)], ["input", "weight"]],
    ["gather", (x, i) => sg.gather(x as never, 0, i as never), () => [f(2), idx([1])], ["input", "index"]],
    ["scatterAdd", (x, i, s) => sg.scatterAdd(x as never, 0, i as never, s as never), () => [f(2), idx([1]), f(1)], ["input", "index", "src"]],
    ["indexSelect", (x, i) => sg.indexSelect(x as never, 0, i as never), () => [f(2), idx([1])], ["input", "index"]],
    ["indexAdd", (x, i, s) => sg.indexAdd(x as never, 0, i as never, s as never), () => [f(2), idx([1]), f(1)], ["input", "index", "source"]],
    ["batchNorm", (x, m, v, w, b) => sg.batchNorm(x as never, m as never, v as never, w as never, b as never), () => [f(2, 3), f(3), sg.ones(3), f(3), f(3)],
      ["input", "runningMean?", "runningVar?", "weight?", "bias?"]],
    ["layerNorm", (x, w, b) => sg.layerNorm(x as never, 3, w as never, b as never), () => [f(2, 3), f(3), f(3)], ["input", "weight?", "bias?"]],
    ["groupNorm", (x, w, b) => sg.groupNorm(x as never, 1, w as never, b as never), () => [f(2, 3), f(3), f(3)], ["input", "weight?", "bias?"]],
    ["rnn", (x, h) => sg.rnn(x as never, h as never, rnnWeights()), () => [f(2, 1, 3), f(1, 1, 4)], ["input", "h0?"]],
    ["lstm", (x, h, c) => sg.lstm(x as never, h as never, c as never, { ...rnnWeights(), weightIh: f(16, 3), weightHh: f(16, 4), biasIh: f(16), biasHh: f(16) }),
      () => [f(2, 1, 3), f(1, 1, 4), f(1, 1, 4)], ["input", "h0?", "c0?"]],
    ["rnnCell", (x, h) => sg.rnnCell(x as never, h as never, rnnWeights()), () => [f(1, 3), f(1, 4)], ["input", "h?"]],
    ["scaledDotProductAttention", (q, k, v) => sg.scaledDotProductAttention(q as never, k as never, v as never), () => [f(1, 2, 4), f(1, 3, 4), f(1, 3, 4)],
      ["query", "key", "value"]],
    ["prelu", (x, w) => F.prelu(x as never, w as never), () => [f(2), f(1)], ["input", "weight"]],
    ["mseLoss", (x, y) => F.mseLoss(x as never, y as never), () => [f(2), f(2)], ["input", "target"]],
    ["l1Loss", (x, y) => F.l1Loss(x as never, y as never), () => [f(2), f(2)], ["input", "target"]],
    ["smoothL1Loss", (x, y) => F.smoothL1Loss(x as never, y as never), () => [f(2), f(2)], ["input", "target"]],
    ["huberLoss", (x, y) => F.huberLoss(x as never, y as never), () => [f(2), f(2)], ["input", "target"]],
    ["binaryCrossEntropy", (x, y) => F.binaryCrossEntropy(x as never, y as never), () => [sg.rand(2), sg.rand(2)], ["input", "target"]],
    ["binaryCrossEntropyWithLogits", (x, y, p) => F.binaryCrossEntropyWithLogits(x as never, y as never, { posWeight: p as never }), () => [f(2), sg.rand(2), sg.ones(2)],
      ["input", "target", "posWeight?"]],
    ["klDiv", (x, y) => F.klDiv(x as never, y as never), () => [f(2), sg.rand(2)], ["input", "target"]],
    ["crossEntropy", (x, y, w) => F.crossEntropy(x as never, y as never, { weight: w as never }), () => [f(2, 3), idx([0, 2]), sg.ones(3)], ["input", "target", "weight?"]],
    ["nllLoss", (x, y, w) => F.nllLoss(x as never, y as never, { weight: w as never }), () => [f(2, 3), idx([0, 2]), sg.ones(3)], ["input", "target", "weight?"]],
    ["gaussianNllLoss", (x, y, v) => F.gaussianNllLoss(x as never, y as never, v as never), () => [f(2), f(2), sg.ones(2)], ["input", "target", "var"]],
    ["cosineSimilarity", (a, b) => F.cosineSimilarity(a as never, b as never), () => [f(2, 3), f(2, 3)], ["x1", "x2"]],
    ["cosineEmbeddingLoss", (a, b, y) => F.cosineEmbeddingLoss(a as never, b as never, y as never), () => [f(2, 3), f(2, 3), tensor([1, -1])], ["input1", "input2", "target"]],
    ["marginRankingLoss", (a, b, y) => F.marginRankingLoss(a as never, b as never, y as never), () => [f(2), f(2), tensor([1, -1])], ["input1", "input2", "target"]],
    ["tripletMarginLoss", (a, p, n) => F.tripletMarginLoss(a as never, p as never, n as never), () => [f(2, 3), f(2, 3), f(2, 3)], ["anchor", "positive", "negative"]],
  ];
  const bad: [string, unknown][] = [["an array", [1, 2]], ["a Float32Array", new Float32Array(4)], ["a string", "x"], ["null", null]];

  it.each(calls)("%s", (name, call, valid, argNames) => {
    expect(() => call(...valid())).not.toThrow();
    argNames.forEach((argName, i) => {
      for (const [what, value] of bad) {
        const args = valid();
        if (value === null && argName.endsWith("?")) continue; // an optional tensor: null means none
        args[i] = value;
        let message = "";
        try {
          call(...args);
        } catch (e) {
          message = (e as Error).message;
        }
        // The op, the argument by its PyTorch name, and what was given instead.
        expect(message, `${name}: ${argName} = ${what}`).toMatch(new RegExp(`^${name}: .*\\b${argName.replace("?", "")}\\b.*${what}`));
        expect(message).not.toMatch(/Cannot read|is not a function|is not iterable|input \d/);
      }
    });
  });
});

import { describe, it, expect } from "vitest";
import { nn, tensor, randn, gradcheck, Generator, linear, relu, noGrad, type Tensor } from "../src/index.js";

function expectGradOk(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  const r = gradcheck(fn, inputs);
  expect(r.mismatch).toBeNull();
}

/** Standard-normal values kept at least 0.05 away from 0, so kinked activations have clean finite differences. */
function awayFromZero(shape: number[], seed: number): Tensor {
  const gen = new Generator(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Float32Array.from({ length: n }, () => {
    const z = gen.normal();
    return Math.abs(z) < 0.05 ? z + Math.sign(z || 1) * 0.1 : z;
  });
  return tensor(v, shape, { requiresGrad: true });
}

function values(t: Tensor): number[] {
  return Array.from(t.liveData());
}

describe("Linear", () => {
  it("has weight [out, in] and bias [out], computes x·Wᵀ + b, and passes gradcheck for input, weight and bias", () => {
    const layer = new nn.Linear(5, 3, { generator: new Generator(1) });
    expect(layer.weight.shape).toEqual([3, 5]);
    expect(layer.bias!.shape).toEqual([3]);
    const x = randn([4, 5], { generator: new Generator(2), requiresGrad: true });
    const y = layer.forward(x);
    const w = values(layer.weight), b = values(layer.bias!), xv = values(x);
    for (let n = 0; n < 4; n++) {
      for (let o = 0; o < 3; o++) {
        let s = b[o];
        for (let i = 0; i < 5; i++) s += xv[n * 5 + i] * w[o * 5 + i];
        expect(y.liveData()[n * 3 + o]).toBeCloseTo(s, 5);
      }
    }
    expectGradOk((a, wt, bs) => linear(a, wt, bs), [x, layer.weight, layer.bias!]);
  });

  it("takes any number of leading dims and can drop the bias", () => {
    const layer = new nn.Linear(4, 2, { bias: false });
    expect(layer.bias).toBeNull();
    expect(layer.parameters()).toHaveLength(1);
    expect(layer.forward(randn([2, 3, 4])).shape).toEqual([2, 3, 2]);
    expect(layer.toString()).toBe("Linear(in_features=4, out_features=2, bias=False)");
  });

  it("initialises like PyTorch: weight and bias in U(±1/√in), reproducible from a Generator", () => {
    const layer = new nn.Linear(400, 300, { generator: new Generator(3) });
    const bound = 1 / Math.sqrt(400);
    const w = values(layer.weight);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound * (1 + 1e-6));
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.99 * bound);
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(Math.abs(std / (bound / Math.sqrt(3)) - 1)).toBeLessThan(0.02);
    expect(Math.max(...values(layer.bias!).map(Math.abs))).toBeLessThanOrEqual(bound * (1 + 1e-6));
    const again = new nn.Linear(400, 300, { generator: new Generator(3) });
    expect(values(again.weight)).toEqual(w);
  });

  it("rejects inputs of the wrong width with the shapes in the message", () => {
    const layer = new nn.Linear(4, 2);
    expect(() => layer.forward(randn([3, 5]))).toThrow(/linear: input \[3, 5\] does not match weight \[2, 4\]/);
  });
});

describe("Sequential", () => {
  it("chains its children and fuses Linear + ReLU into one pass with the same values and gradients", () => {
    const gen = new Generator(4);
    const model = new nn.Sequential(new nn.Linear(6, 8, { generator: gen }), new nn.ReLU(), new nn.Linear(8, 3, { generator: gen }), new nn.Tanh());
    const x = randn([5, 6], { generator: new Generator(5) });
    const fused = model.forward(x);
    const [l0, , l2] = model.children() as nn.Linear[];
    const unfused = linear(relu(linear(x, l0.weight, l0.bias)), l2.weight, l2.bias).tanh();
    values(fused).forEach((v, i) => expect(v).toBeCloseTo(unfused.liveData()[i], 6));

    fused.sum().backward();
    const fusedGrads = model.parameters().map((p) => values(p.grad!));
    model.zeroGrad();
    unfused.sum().backward();
    model.parameters().forEach((p, k) => values(p.grad!).forEach((v, i) => expect(v).toBeCloseTo(fusedGrads[k][i], 5)));
    expectGradOk((a) => model.forward(a), [awayFromZero([3, 6], 6)]);
  });

  it("asks each layer to fuse the activation after it: Linear and Conv2d run ReLU in their epilogue, a custom layer may too, others do not", () => {
    const lin = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU()).forward(randn([2, 3], { requiresGrad: true }));
    expect(lin.gradFn!.name).toBe("linearRelu");
    const conv = new nn.Sequential(new nn.Conv2d(2, 3, 3, { padding: 1 }), new nn.ReLU()).forward(randn([1, 2, 5, 5], { requiresGrad: true }));
    expect(conv.gradFn!.name).toBe("conv2dRelu");
    // a layer without a fused form runs, then the ReLU on its own
    expect(new nn.Sequential(new nn.Tanh(), new nn.ReLU()).forward(randn([2, 3], { requiresGrad: true })).gradFn!.name).toBe("relu");
    class Doubling extends nn.Module {
      fusedWith: string | null = null;
      forward(x: Tensor): Tensor { return x.mul(2); }
      override forwardFused(x: Tensor, activation: "relu"): Tensor {
        this.fusedWith = activation;
        return relu(this.forward(x));
      }
    }
    const d = new Doubling();
    const y = new nn.Sequential(d, new nn.ReLU()).forward(tensor([-1, 2], [2]));
    expect(d.fusedWith).toBe("relu");
    expect(Array.from(y.data())).toEqual([0, 4]);
  });

  it("indexes, iterates and appends like PyTorch's", () => {
    const a = new nn.Linear(2, 2), b = new nn.ReLU();
    const model = new nn.Sequential(a);
    model.append(b);
    expect(model.length).toBe(2);
    expect(model[0]).toBe(a);
    expect(model[1]).toBe(b);
    expect([...model]).toEqual([a, b]);
    expect(() => model.append({} as nn.Module)).toThrow(/Sequential: expected a Module/);
  });

  it("prints exactly PyTorch's repr of an MLP", () => {
    const model = new nn.Sequential(
      new nn.Flatten(), new nn.Linear(784, 256), new nn.ReLU(), new nn.Dropout(0.25),
      new nn.Linear(256, 10, { bias: false }), new nn.LogSoftmax(1),
    );
    expect(model.toString()).toBe(
      "Sequential(\n" +
        "  (0): Flatten(start_dim=1, end_dim=-1)\n" +
        "  (1): Linear(in_features=784, out_features=256, bias=True)\n" +
        "  (2): ReLU()\n" +
        "  (3): Dropout(p=0.25, inplace=False)\n" +
        "  (4): Linear(in_features=256, out_features=10, bias=False)\n" +
        "  (5): LogSoftmax(dim=1)\n" +
        ")",
    );
  });
});

describe("activation modules", () => {
  const cases: [string, nn.Module, string][] = [
    ["ReLU", new nn.ReLU(), "ReLU()"],
    ["LeakyReLU", new nn.LeakyReLU(0.2), "LeakyReLU(negative_slope=0.2)"],
    ["ELU", new nn.ELU(), "ELU(alpha=1.0)"],
    ["GELU", new nn.GELU(), "GELU(approximate='none')"],
    ["GELU tanh", new nn.GELU("tanh"), "GELU(approximate='tanh')"],
    ["SiLU", new nn.SiLU(), "SiLU()"],
    ["Sigmoid", new nn.Sigmoid(), "Sigmoid()"],
    ["Tanh", new nn.Tanh(), "Tanh()"],
    ["Softplus", new nn.Softplus(), "Softplus(beta=1, threshold=20)"],
    ["Softplus beta 2", new nn.Softplus(2, 3), "Softplus(beta=2, threshold=3)"],
    ["Softmax", new nn.Softmax(1), "Softmax(dim=1)"],
    ["LogSoftmax", new nn.LogSoftmax(-1), "LogSoftmax(dim=-1)"],
    ["Flatten", new nn.Flatten(0, 1), "Flatten(start_dim=0, end_dim=1)"],
  ];
  for (const [name, module, repr] of cases) {
    it(`${name} passes gradcheck and prints ${repr}`, () => {
      expectGradOk((a) => module.forward(a), [awayFromZero([3, 4, 2], 7)]);
      expect(module.toString()).toBe(repr);
    });
  }

  it("compute their definitions", () => {
    const x = tensor([-2, -0.5, 0.5, 3]);
    expect(values(new nn.LeakyReLU(0.1).forward(x))).toEqual([-0.2, -0.05, 0.5, 3].map((v) => expect.closeTo(v, 6)));
    expect(values(new nn.ELU(2).forward(x))).toEqual([2 * Math.expm1(-2), 2 * Math.expm1(-0.5), 0.5, 3].map((v) => expect.closeTo(v, 6)));
    expect(values(new nn.SiLU().forward(x))).toEqual([-2, -0.5, 0.5, 3].map((v) => expect.closeTo(v / (1 + Math.exp(-v)), 6)));
    expect(values(new nn.Softplus(2, 4).forward(x))).toEqual([-2, -0.5, 0.5].map((v) => expect.closeTo(Math.log1p(Math.exp(2 * v)) / 2, 6)).concat([3]));
    expect(nn.Swish).toBe(nn.SiLU);
    expect(new nn.Identity().forward(x)).toBe(x);
    expect(new nn.Identity().toString()).toBe("Identity()");
  });

  it("Step and Sign are the perceptron activations, with zero gradient", () => {
    const x = tensor([-1.5, 0, 2], undefined, { requiresGrad: true });
    expect(values(new nn.Step().forward(x))).toEqual([0, 0, 1]);
    const s = new nn.Sign().forward(x);
    expect(values(s)).toEqual([-1, 0, 1]);
    s.sum().backward();
    expect(values(x.grad!)).toEqual([0, 0, 0]);
    expect(new nn.Step().toString()).toBe("Step()");
  });

  it("PReLU learns one shared slope or one per channel; gradcheck covers the input and the slopes", () => {
    const shared = new nn.PReLU();
    expect(values(shared.weight)).toEqual([0.25]);
    expect(shared.namedParameters().map(([k]) => k)).toEqual(["weight"]);
    expect(shared.toString()).toBe("PReLU(num_parameters=1)");
    expect(values(shared.forward(tensor([-2, 3])))).toEqual([-0.5, 3]);
    expectGradOk((a, w) => nn.functional.prelu(a, w), [awayFromZero([4, 3], 8), shared.weight]);

    const perChannel = new nn.PReLU(3, 0.1);
    perChannel.weight.liveData().set([0.1, 0.2, 0.3]);
    const x = tensor([[[-1, 1], [-1, 1], [-1, 1]]]);
    expect(values(perChannel.forward(x))).toEqual([-0.1, 1, -0.2, 1, -0.3, 1].map((v) => expect.closeTo(v, 6)));
    expectGradOk((a, w) => nn.functional.prelu(a, w), [awayFromZero([2, 3, 2, 2], 9), perChannel.weight]);
    expect(() => perChannel.forward(randn([2, 4]))).toThrow(/prelu: 3 slopes do not match input \[2, 4\]/);
  });
});

describe("Dropout and GaussianNoise", () => {
  it("Dropout zeroes about p of the elements, scales the rest by 1/(1 − p) and preserves the mean in training", () => {
    const x = tensor(new Float32Array(100_000).fill(1), [100_000]);
    const y = new nn.Dropout(0.3, { generator: new Generator(10) }).forward(x);
    const v = values(y);
    const zeros = v.filter((z) => z === 0).length;
    expect(Math.abs(zeros / v.length - 0.3)).toBeLessThan(0.01);
    expect(v.every((z) => z === 0 || Math.abs(z - 1 / 0.7) < 1e-6)).toBe(true);
    expect(Math.abs(v.reduce((a, b) => a + b, 0) / v.length - 1)).toBeLessThan(0.02);
  });

  it("Dropout is the identity in eval mode and its gradient is the same mask", () => {
    const d = new nn.Dropout(0.5, { generator: new Generator(11) });
    const x = randn([8, 8], { requiresGrad: true });
    d.eval();
    expect(d.forward(x)).toBe(x);
    d.train();
    const y = d.forward(x);
    y.sum().backward();
    const xv = values(x), yv = values(y), gv = values(x.grad!);
    yv.forEach((v, i) => expect(v).toBeCloseTo(xv[i] * gv[i], 5));
    expect(new Set(gv)).toEqual(new Set([0, 2]));
  });

  it("Dropout masks are reproducible from a seeded generator and rejects p outside [0, 1]", () => {
    const x = randn([50]);
    const a = values(nn.functional.dropout(x, 0.5, true, { generator: new Generator(12) }));
    const b = values(nn.functional.dropout(x, 0.5, true, { generator: new Generator(12) }));
    expect(a).toEqual(b);
    expect(values(nn.functional.dropout(x, 1)).every((v) => v === 0)).toBe(true);
    expect(() => new nn.Dropout(1.5)).toThrow(/Dropout: p must be a number in \[0, 1\], got 1.5/);
  });

  it("GaussianNoise adds N(0, std²) in training only", () => {
    const noise = new nn.GaussianNoise(0.2, { generator: new Generator(13) });
    const x = tensor(new Float32Array(100_000).fill(3), [100_000], { requiresGrad: true });
    const y = noise.forward(x);
    const d = values(y).map((v) => v - 3);
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    const std = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length);
    expect(Math.abs(mean)).toBeLessThan(0.02 * 0.2);
    expect(Math.abs(std / 0.2 - 1)).toBeLessThan(0.02);
    noGrad(() => expect(noise.eval().forward(x)).toBe(x));
    y.sum().backward();
    expect(values(x.grad!).every((g) => g === 1)).toBe(true);
    expect(noise.toString()).toBe("GaussianNoise(std=0.2)");
  });
});

describe("Embedding", () => {
  it("looks up rows, zeroes and freezes the padding row, names its weight like PyTorch", () => {
    const emb = new nn.Embedding(6, 3, { paddingIdx: -1, generator: new Generator(20) });
    expect(emb.paddingIdx).toBe(5);
    expect(emb.namedParameters().map(([k, p]) => `${k} [${p.shape}]`)).toEqual(["weight [6,3]"]);
    expect(values(emb.weight).slice(15)).toEqual([0, 0, 0]);
    expect(emb.toString()).toBe("Embedding(6, 3, padding_idx=5)");
    expect(new nn.Embedding(10, 4).toString()).toBe("Embedding(10, 4)");
    const idx = tensor(new Int32Array([2, 5, 2, 0]), [2, 2]);
    const out = emb.forward(idx);
    expect(out.shape).toEqual([2, 2, 3]);
    const w = values(emb.weight);
    expect(values(out).slice(0, 3)).toEqual(w.slice(6, 9));
    out.sum().backward();
    const g = values(emb.weight.grad!);
    expect(g.slice(6, 9)).toEqual([2, 2, 2]);
    expect(g.slice(15)).toEqual([0, 0, 0]);
    expect(() => new nn.Embedding(4, 2, { paddingIdx: 4 })).toThrow(/paddingIdx 4 must be within \[-4, 3\]/);
  });
});

describe("RNN, LSTM and GRU", () => {
  const gen = () => new Generator(21);
  const x = () => randn([4, 2, 3], { generator: new Generator(22), requiresGrad: true });

  it("use PyTorch's parameter names, shapes and U(±1/√H) init, and print like PyTorch", () => {
    const lstm = new nn.LSTM(3, 5, { generator: gen() });
    expect(lstm.namedParameters().map(([k, p]) => `${k} [${p.shape}]`)).toEqual([
      "weight_ih_l0 [20,3]", "weight_hh_l0 [20,5]", "bias_ih_l0 [20]", "bias_hh_l0 [20]",
    ]);
    expect(lstm.parameters().every((p) => values(p).every((v) => Math.abs(v) <= 1 / Math.sqrt(5)))).toBe(true);
    expect(new nn.GRU(3, 5, { bias: false }).namedParameters().map(([k, p]) => `${k} [${p.shape}]`)).toEqual(["weight_ih_l0 [15,3]", "weight_hh_l0 [15,5]"]);
    expect(lstm.toString()).toBe("LSTM(3, 5)");
    expect(new nn.GRU(3, 5, { bias: false, batchFirst: true }).toString()).toBe("GRU(3, 5, bias=False, batch_first=True)");
    expect(new nn.RNN(3, 5, { nonlinearity: "relu" }).toString()).toBe("RNN(3, 5)");
  });

  it("return the output sequence and final state of the sequence ops", () => {
    const rnnLayer = new nn.RNN(3, 4, { generator: gen() });
    const [out, hN] = rnnLayer.forward(x());
    expect(out.shape).toEqual([4, 2, 4]);
    expect(hN.shape).toEqual([1, 2, 4]);
    expect(values(hN)).toEqual(values(out).slice(3 * 8));
    const lstm = new nn.LSTM(3, 4, { generator: gen() });
    const [lo, [lh, lc]] = lstm.forward(x(), [randn([1, 2, 4]), randn([1, 2, 4])]);
    expect([lo.shape, lh.shape, lc.shape]).toEqual([[4, 2, 4], [1, 2, 4], [1, 2, 4]]);
    const [go, gh] = new nn.GRU(3, 4, { generator: gen() }).forward(x());
    expect(values(gh)).toEqual(values(go).slice(3 * 8));
  });

  it("batchFirst takes and returns [N, T, features] with the same values", () => {
    const seqFirst = new nn.GRU(3, 4, { generator: gen() });
    const batchFirst = new nn.GRU(3, 4, { generator: gen(), batchFirst: true });
    const xs = x();
    const [a, ha] = seqFirst.forward(xs);
    const [b, hb] = batchFirst.forward(xs.transpose(0, 1));
    expect(b.shape).toEqual([2, 4, 4]);
    expect(values(b)).toEqual(values(a.transpose(0, 1)));
    expect(values(hb)).toEqual(values(ha));
  });

  it("pass gradcheck through the output and the final states, for the input and every parameter", () => {
    const lstm = new nn.LSTM(3, 2, { generator: gen() });
    const params = lstm.parameters();
    expectGradOk((xs) => {
      const [out, [h, c]] = lstm.forward(xs);
      return out.sum().add(h.mul(c).sum());
    }, [x(), ...params]);
    const rnnLayer = new nn.RNN(3, 2, { generator: gen() });
    expectGradOk((xs) => rnnLayer.forward(xs)[0], [x(), ...rnnLayer.parameters()]);
  });
});

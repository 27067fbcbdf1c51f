import { describe, it, expect } from "vitest";
import { nn, tensor, randn, rand, gradcheck, Generator, tidy, type Tensor } from "../src/index.js";

const F = nn.functional;
const reductions = ["mean", "sum", "none"] as const;

function expectGradOk(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  const r = gradcheck(fn, inputs);
  expect(r.mismatch).toBeNull();
  expect(r.ok).toBe(true);
}

function values(t: Tensor): number[] {
  return Array.from(t.liveData());
}

/** input = target + d with |d| kept at least `margin` away from every kink in `kinks` (and from 0). */
function pairAwayFromKinks(shape: number[], kinks: number[], seed: number, margin = 0.05): [Tensor, Tensor] {
  const gen = new Generator(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const t = new Float32Array(n), x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let d: number;
    do d = (gen.uniform() * 2 - 1) * 2.5;
    while ([0, ...kinks].some((k) => Math.abs(Math.abs(d) - k) < margin));
    t[i] = gen.normal();
    x[i] = t[i] + d;
  }
  return [tensor(x, shape, { requiresGrad: true }), tensor(t, shape, { requiresGrad: true })];
}

describe("regression losses", () => {
  it("mseLoss, l1Loss, smoothL1Loss and huberLoss match their closed forms for every reduction", () => {
    const x = tensor([[0.5, -1.5, 3.0], [0.2, 0.0, -2.5]]);
    const t = tensor([[0.0, 0.5, 0.5], [0.0, 0.1, 0.0]]);
    const d = [0.5, -2.0, 2.5, 0.2, -0.1, -2.5];
    const per = {
      mse: d.map((v) => v * v),
      l1: d.map(Math.abs),
      smoothL1: d.map((v) => (Math.abs(v) < 0.8 ? (0.5 * v * v) / 0.8 : Math.abs(v) - 0.4)),
      huber: d.map((v) => (Math.abs(v) < 2 ? 0.5 * v * v : 2 * (Math.abs(v) - 1))),
    };
    const fns = {
      mse: (r: any) => F.mseLoss(x, t, { reduction: r }),
      l1: (r: any) => F.l1Loss(x, t, { reduction: r }),
      smoothL1: (r: any) => F.smoothL1Loss(x, t, { reduction: r, beta: 0.8 }),
      huber: (r: any) => F.huberLoss(x, t, { reduction: r, delta: 2 }),
    };
    for (const [name, fn] of Object.entries(fns)) {
      const expected = per[name as keyof typeof per];
      const sum = expected.reduce((a, b) => a + b, 0);
      const none = fn("none");
      expect(none.shape).toEqual([2, 3]);
      values(none).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
      expect(fn("sum").item()).toBeCloseTo(sum, 5);
      expect(fn("sum").shape).toEqual([]);
      expect(fn("mean").item()).toBeCloseTo(sum / 6, 5);
      expect(fn(undefined).item()).toBeCloseTo(sum / 6, 5);
    }
  });

  it("smoothL1Loss with beta 0 is the L1 loss", () => {
    const [x, t] = pairAwayFromKinks([4, 5], [], 3);
    expect(F.smoothL1Loss(x, t, { beta: 0 }).item()).toBeCloseTo(F.l1Loss(x, t).item(), 6);
  });

  for (const reduction of reductions) {
    it(`gradients of input and target pass gradcheck (reduction ${reduction})`, () => {
      const [x, t] = pairAwayFromKinks([3, 5], [], 11);
      expectGradOk((a, b) => F.mseLoss(a, b, { reduction }), [x, t]);
      expectGradOk((a, b) => F.l1Loss(a, b, { reduction }), [x, t]);
      const [xs, ts] = pairAwayFromKinks([3, 5], [0.7], 12);
      expectGradOk((a, b) => F.smoothL1Loss(a, b, { reduction, beta: 0.7 }), [xs, ts]);
      const [xh, th] = pairAwayFromKinks([2, 2, 4], [1.3], 13);
      expectGradOk((a, b) => F.huberLoss(a, b, { reduction, delta: 1.3 }), [xh, th]);
    });
  }

  it("rejects mismatched shapes, non-float targets and unknown reductions, naming the op and shapes", () => {
    const x = randn([3, 4]);
    expect(() => F.mseLoss(x, randn([4, 3]))).toThrow(/mseLoss: target \[4, 3\] must have the same shape as input \[3, 4\]/);
    expect(() => F.l1Loss(x, tensor([1, 2, 3], [3], { dtype: "int32" }))).toThrow(/l1Loss: expected float32/);
    expect(() => F.huberLoss(x, x, { reduction: "avg" as any })).toThrow(/huberLoss: reduction must be/);
    expect(() => F.huberLoss(x, x, { delta: 0 })).toThrow(/delta must be positive/);
    expect(x.isDisposed).toBe(false);
  });
});

describe("binary cross-entropy", () => {
  it("binaryCrossEntropy matches −(t·log p + (1 − t)·log(1 − p)) and passes gradcheck (soft targets, every reduction)", () => {
    const p = tensor([[0.1, 0.7, 0.5], [0.9, 0.3, 0.25]], undefined, { requiresGrad: true });
    const t = tensor([[0, 1, 0.3], [1, 0.5, 0]], undefined, { requiresGrad: true });
    const pv = values(p), tv = values(t);
    const expected = pv.map((q, i) => -(tv[i] * Math.log(q) + (1 - tv[i]) * Math.log(1 - q)));
    values(F.binaryCrossEntropy(p, t, { reduction: "none" })).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    for (const reduction of reductions) expectGradOk((a, b) => F.binaryCrossEntropy(a, b, { reduction }), [p, t]);
  });

  it("binaryCrossEntropy clamps log(0) at −100 like PyTorch and rejects inputs outside [0, 1]", () => {
    expect(F.binaryCrossEntropy(tensor([0, 1]), tensor([1, 0]), { reduction: "sum" }).item()).toBeCloseTo(200, 3);
    expect(() => F.binaryCrossEntropy(tensor([0.5, 1.5]), tensor([1, 0]))).toThrow(/binaryCrossEntropy: input must hold probabilities in \[0, 1\], found 1.5 at element 1/);
  });

  it("binaryCrossEntropyWithLogits equals binaryCrossEntropy of sigmoid(x) and passes gradcheck", () => {
    const x = randn([4, 3], { generator: new Generator(5), requiresGrad: true });
    const t = rand([4, 3], { generator: new Generator(6), requiresGrad: true });
    const viaProbs = F.binaryCrossEntropy(x.sigmoid(), t, { reduction: "none" });
    const logits = F.binaryCrossEntropyWithLogits(x, t, { reduction: "none" });
    values(logits).forEach((v, i) => expect(v).toBeCloseTo(viaProbs.liveData()[i], 5));
    for (const reduction of reductions) expectGradOk((a, b) => F.binaryCrossEntropyWithLogits(a, b, { reduction }), [x, t]);
  });

  it("posWeight scales the positive term, broadcasts over the last dim or any broadcastable shape, and passes gradcheck", () => {
    const x = randn([2, 3, 4], { generator: new Generator(7), requiresGrad: true });
    const t = rand([2, 3, 4], { generator: new Generator(8), requiresGrad: true });
    const posWeight = tensor([0.5, 1, 2, 3]);
    const xv = values(x), tv = values(t);
    const logSig = (v: number) => -Math.log1p(Math.exp(-v));
    const expected = xv.map((v, i) => -(posWeight.liveData()[i % 4] * tv[i] * logSig(v) + (1 - tv[i]) * logSig(-v)));
    values(F.binaryCrossEntropyWithLogits(x, t, { reduction: "none", posWeight })).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    for (const reduction of reductions) expectGradOk((a, b) => F.binaryCrossEntropyWithLogits(a, b, { reduction, posWeight }), [x, t]);
    // [3, 1] broadcasts over dims 1 and 2 (expanded), [1] over everything.
    const pw31 = tensor([[1], [2], [0.5]]);
    const expected31 = xv.map((v, i) => -(pw31.liveData()[Math.floor(i / 4) % 3] * tv[i] * logSig(v) + (1 - tv[i]) * logSig(-v)));
    values(F.binaryCrossEntropyWithLogits(x, t, { reduction: "none", posWeight: pw31 })).forEach((v, i) => expect(v).toBeCloseTo(expected31[i], 5));
    const scalarPw = F.binaryCrossEntropyWithLogits(x, t, { posWeight: tensor([1]) }).item();
    expect(scalarPw).toBeCloseTo(F.binaryCrossEntropyWithLogits(x, t).item(), 6);
  });

  it("binaryCrossEntropyWithLogits stays finite for huge logits", () => {
    const x = tensor([-200, -90, 90, 200], undefined, { requiresGrad: true });
    const t = tensor([0, 1, 0, 1]);
    const loss = F.binaryCrossEntropyWithLogits(x, t, { reduction: "none" });
    expect(values(loss)).toEqual([0, 90, 90, 0].map((v) => expect.closeTo(v, 4)));
    F.binaryCrossEntropyWithLogits(x, t, { reduction: "sum" }).backward();
    expect(values(x.grad!)).toEqual([0, -1, 1, 0].map((v) => expect.closeTo(v, 5)));
  });
});

describe("crossEntropy and nllLoss", () => {
  const logitsOf = (shape: number[], seed: number) => randn(shape, { generator: new Generator(seed), requiresGrad: true });

  function logSoftmaxRows(x: Tensor, C: number): number[][] {
    const v = values(x);
    const rows: number[][] = [];
    for (let r = 0; r < v.length / C; r++) {
      const row = v.slice(r * C, (r + 1) * C);
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, z) => s + Math.exp(z - m), 0));
      rows.push(row.map((z) => z - lse));
    }
    return rows;
  }

  it("is the mean of −log softmax at the target, and nllLoss of logSoftmax gives the same", () => {
    const x = logitsOf([5, 4], 1);
    const target = tensor(new Int32Array([0, 3, 1, 1, 2]), [5]);
    const lp = logSoftmaxRows(x, 4);
    const per = [0, 3, 1, 1, 2].map((c, n) => -lp[n][c]);
    values(F.crossEntropy(x, target, { reduction: "none" })).forEach((v, i) => expect(v).toBeCloseTo(per[i], 5));
    const mean = per.reduce((a, b) => a + b) / 5;
    expect(F.crossEntropy(x, target).item()).toBeCloseTo(mean, 5);
    expect(F.nllLoss(x.logSoftmax(1), target).item()).toBeCloseTo(mean, 5);
  });

  it("label smoothing mixes in (ε/C)·Σ_c(−log p_c)", () => {
    const x = logitsOf([3, 5], 2);
    const target = tensor(new Int32Array([4, 0, 2]), [3]);
    const eps = 0.2;
    const lp = logSoftmaxRows(x, 5);
    const per = [4, 0, 2].map((c, n) => (1 - eps) * -lp[n][c] + (eps / 5) * lp[n].reduce((s, v) => s - v, 0));
    values(F.crossEntropy(x, target, { reduction: "none", labelSmoothing: eps })).forEach((v, i) => expect(v).toBeCloseTo(per[i], 5));
  });

  it("class weights give PyTorch's weighted mean (divided by the summed target weights), also with smoothing", () => {
    const x = logitsOf([4, 3], 3);
    const targets = [2, 0, 2, 1];
    const target = tensor(new Int32Array(targets), [4]);
    const w = [0.2, 1.5, 3];
    const weight = tensor(w);
    const lp = logSoftmaxRows(x, 3);
    const eps = 0.1;
    const per = targets.map((c, n) => (1 - eps) * w[c] * -lp[n][c] + (eps / 3) * lp[n].reduce((s, v, k) => s - w[k] * v, 0));
    const denom = targets.reduce((s, c) => s + w[c], 0);
    values(F.crossEntropy(x, target, { weight, labelSmoothing: eps, reduction: "none" })).forEach((v, i) => expect(v).toBeCloseTo(per[i], 5));
    expect(F.crossEntropy(x, target, { weight, labelSmoothing: eps }).item()).toBeCloseTo(per.reduce((a, b) => a + b) / denom, 5);
    const nllPer = targets.map((c, n) => -w[c] * lp[n][c]);
    expect(F.nllLoss(x.logSoftmax(1), target, { weight }).item()).toBeCloseTo(nllPer.reduce((a, b) => a + b) / denom, 5);
  });

  it("ignoreIndex drops targets from the loss, the mean's count and the gradient", () => {
    const x = logitsOf([4, 3], 4);
    const target = tensor(new Int32Array([2, -100, 1, -100]), [4]);
    const kept = F.crossEntropy(x, target, { reduction: "none" });
    expect(kept.liveData()[1]).toBe(0);
    expect(kept.liveData()[3]).toBe(0);
    const mean = F.crossEntropy(x, target);
    expect(mean.item()).toBeCloseTo((kept.liveData()[0] + kept.liveData()[2]) / 2, 5);
    mean.backward();
    expect(values(x.grad!).slice(3, 6)).toEqual([0, 0, 0]);
    const custom = F.crossEntropy(x, tensor(new Int32Array([2, 7, 1, 7]), [4]), { ignoreIndex: 7 });
    expect(custom.item()).toBeCloseTo(mean.item(), 6);
  });

  for (const reduction of reductions) {
    it(`passes gradcheck with smoothing, class weights, ignored targets and extra dims (reduction ${reduction})`, () => {
      const x2 = logitsOf([4, 5], 5);
      const t2 = tensor(new Int32Array([1, 4, 0, 3]), [4]);
      expectGradOk((a) => F.crossEntropy(a, t2, { reduction }), [x2]);
      expectGradOk((a) => F.crossEntropy(a, t2, { reduction, labelSmoothing: 0.15 }), [x2]);
      const weight = tensor([0.5, 2, 1, 0.1, 3]);
      expectGradOk((a) => F.crossEntropy(a, t2, { reduction, weight, labelSmoothing: 0.1 }), [x2]);
      expectGradOk((a) => F.nllLoss(a, t2, { reduction, weight }), [x2]);
      const x4 = logitsOf([2, 3, 2, 3], 6);
      const t4 = tensor(new Int32Array([0, 2, 1, 1, -100, 0, 2, 2, 0, 1, 1, 0]), [2, 2, 3]);
      expectGradOk((a) => F.crossEntropy(a, t4, { reduction, labelSmoothing: 0.2, weight: tensor([1, 2, 0.5]) }), [x4]);
      expectGradOk((a) => F.nllLoss(a, t4, { reduction }), [x4]);
    });
  }

  it("accepts an unbatched [C] input with a scalar target", () => {
    const x = logitsOf([4], 7);
    const lp = logSoftmaxRows(x, 4);
    const loss = F.crossEntropy(x, tensor(new Int32Array([2]), []));
    expect(loss.shape).toEqual([]);
    expect(loss.item()).toBeCloseTo(-lp[0][2], 5);
  });

  it("is stable for logits in the thousands", () => {
    const x = tensor([[1000, 0, -1000], [5000, 5001, 4999]], undefined, { requiresGrad: true });
    const loss = F.crossEntropy(x, tensor(new Int32Array([0, 1]), [2]), { reduction: "none" });
    expect(values(loss)[0]).toBeCloseTo(0, 6);
    expect(values(loss)[1]).toBeCloseTo(-1 + Math.log(Math.E + 1 + Math.exp(-1)), 4);
  });

  it("rejects float targets, out-of-range classes, mismatched shapes and bad weights with clear errors", () => {
    const x = logitsOf([3, 4], 8);
    expect(() => F.crossEntropy(x, tensor([0, 1, 2]))).toThrow(/crossEntropy: target must be int32 class indices \[3\] or float32 class probabilities of the input's shape \[3, 4\]; got float32 \[3\]/);
    expect(() => F.crossEntropy(x, tensor(new Int32Array([0, 4, 1]), [3]))).toThrow(/crossEntropy: target 4 is out of bounds for 4 classes/);
    expect(() => F.nllLoss(x, tensor(new Int32Array([0, -1, 1]), [3]))).toThrow(/nllLoss: target -1 is out of bounds for 4 classes/);
    expect(() => F.crossEntropy(x, tensor(new Int32Array([0, 1]), [2]))).toThrow(/target \[2\] does not match input \[3, 4\] \(expected target \[3\]\)/);
    expect(() => F.crossEntropy(x, tensor(new Int32Array([0, 1, 1]), [3]), { weight: tensor([1, 2]) })).toThrow(/weight must be a float32 tensor of shape \[4\]/);
    expect(() => F.crossEntropy(x, tensor(new Int32Array([0, 1, 1]), [3]), { labelSmoothing: 1.5 })).toThrow(/labelSmoothing must be in \[0, 1\]/);
    expect(x.isDisposed).toBe(false);
    expect(x.grad).toBeNull();
  });
});

describe("klDiv", () => {
  const setup = (seed: number) => {
    const input = randn([3, 4], { generator: new Generator(seed), requiresGrad: true }).logSoftmax(1);
    const target = randn([3, 4], { generator: new Generator(seed + 1) }).softmax(1);
    return { input, target };
  };

  it("is t·(log t − x); batchmean divides the sum by the batch size, mean by the element count", () => {
    const { input, target } = setup(1);
    const x = values(input), t = values(target);
    const per = t.map((v, i) => v * (Math.log(v) - x[i]));
    const sum = per.reduce((a, b) => a + b);
    values(F.klDiv(input, target, { reduction: "none" })).forEach((v, i) => expect(v).toBeCloseTo(per[i], 5));
    expect(F.klDiv(input, target, { reduction: "sum" }).item()).toBeCloseTo(sum, 5);
    expect(F.klDiv(input, target, { reduction: "batchmean" }).item()).toBeCloseTo(sum / 3, 5);
    expect(F.klDiv(input, target).item()).toBeCloseTo(sum / 12, 5);
    const logT = tidy(() => target.log());
    expect(F.klDiv(input, logT, { reduction: "sum", logTarget: true }).item()).toBeCloseTo(sum, 5);
    expect(F.klDiv(input, tensor([[0, 1, 0, 0], [0.5, 0.5, 0, 0], [0.25, 0.25, 0.25, 0.25]]), { reduction: "sum" }).item()).not.toBeNaN();
  });

  for (const reduction of ["batchmean", "sum", "mean", "none"] as const) {
    it(`passes gradcheck for input and target, with and without logTarget (reduction ${reduction})`, () => {
      const x = randn([3, 4], { generator: new Generator(9), requiresGrad: true });
      const t = rand([3, 4], { generator: new Generator(10), low: 0.1, high: 1, requiresGrad: true });
      expectGradOk((a, b) => F.klDiv(a, b, { reduction }), [x, t]);
      expectGradOk((a, b) => F.klDiv(a, b, { reduction, logTarget: true }), [x, t]);
    });
  }
});

describe("loss modules", () => {
  it("forward to the functional forms with their options", () => {
    const x = randn([4, 3], { generator: new Generator(1) });
    const t = rand([4, 3], { generator: new Generator(2) });
    const target = tensor(new Int32Array([0, 2, 1, 1]), [4]);
    const weight = tensor([1, 2, 3]);
    const pairs: [nn.Module, Tensor][] = [
      [new nn.MSELoss({ reduction: "sum" }), F.mseLoss(x, t, { reduction: "sum" })],
      [new nn.L1Loss(), F.l1Loss(x, t)],
      [new nn.SmoothL1Loss({ beta: 0.3 }), F.smoothL1Loss(x, t, { beta: 0.3 })],
      [new nn.HuberLoss({ delta: 0.3 }), F.huberLoss(x, t, { delta: 0.3 })],
      [new nn.BCEWithLogitsLoss({ posWeight: tensor([1, 2, 3]) }), F.binaryCrossEntropyWithLogits(x, t, { posWeight: tensor([1, 2, 3]) })],
      [new nn.KLDivLoss({ reduction: "batchmean" }), F.klDiv(x, t, { reduction: "batchmean" })],
    ];
    for (const [m, expected] of pairs) expect(m.forward(x, t).item()).toBeCloseTo(expected.item(), 6);
    expect(new nn.BCELoss().forward(t, t).item()).toBeCloseTo(F.binaryCrossEntropy(t, t).item(), 6);
    const ce = new nn.CrossEntropyLoss({ weight, labelSmoothing: 0.1 });
    expect(ce.forward(x, target).item()).toBeCloseTo(F.crossEntropy(x, target, { weight, labelSmoothing: 0.1 }).item(), 6);
    expect(new nn.NLLLoss().forward(x, target).item()).toBeCloseTo(F.nllLoss(x, target).item(), 6);
    expect(Object.keys(ce.stateDict())).toEqual(["weight"]);
    expect(ce.toString()).toBe("CrossEntropyLoss()");
  });
});

// The losses beyond loss.json: cross-entropy with probability targets, Gaussian NLL, cosine
// similarity and the embedding/ranking losses. Closed forms on small inputs, finite-difference
// gradients of every differentiable input, the nn modules (positional and options forms) and errors.
import { describe, it, expect } from "vitest";
import { nn, tensor, gradcheck, gradgradcheck, Generator, tidy, type Tensor } from "../src/index.js";

const F = nn.functional;
const gen = new Generator(77);

function randT(shape: number[], { lo = -1.5, hi = 1.5, requiresGrad = true } = {}): Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  return tensor(Array.from({ length: n }, () => lo + (hi - lo) * gen.uniform()), shape, { requiresGrad });
}

/** Rows of class probabilities over dim 1 of `shape` ([N, C, d...]). */
function probabilities(shape: number[], requiresGrad = false): Tensor {
  const [N, C] = shape;
  const inner = shape.slice(2).reduce((a, d) => a * d, 1);
  const data = new Float32Array(N * C * inner);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < inner; i++) {
      const raw = Array.from({ length: C }, () => 0.1 + gen.uniform());
      const s = raw.reduce((a, b) => a + b, 0);
      raw.forEach((r, c) => (data[(n * C + c) * inner + i] = r / s));
    }
  }
  return tensor(data, shape, { requiresGrad });
}

function expectGradOk(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  const r = gradcheck(fn, inputs, { eps: 1e-2 });
  expect(r.mismatch).toBeNull();
  expect(r.ok).toBe(true);
}

const vals = (t: Tensor) => Array.from(t.data());
const close = (got: number[], want: number[], tol = 1e-5) => got.forEach((g, i) => expect(g).toBeCloseTo(want[i], -Math.log10(tol)));
const logSoftmax = (row: number[]) => {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((a, x) => a + Math.exp(x - m), 0));
  return row.map((x) => x - lse);
};

describe("crossEntropy with class-probability targets", () => {
  it("is −Σ w_c·t′_c·log_softmax_c per sample; mean divides by the sample count, not the weights", () => {
    tidy(() => {
      const x = [[1, 2, 0.5], [-1, 0, 3]];
      const t = [[0.2, 0.5, 0.3], [1, 0, 0]];
      const w = [2, 1, 0.5];
      const eps = 0.1;
      const per = x.map((row, n) => {
        const l = logSoftmax(row);
        return -l.reduce((a, lc, c) => a + w[c] * ((1 - eps) * t[n][c] + eps / 3) * lc, 0);
      });
      const input = tensor(x, [2, 3]), target = tensor(t, [2, 3]), weight = tensor(w, [3]);
      close(vals(F.crossEntropy(input, target, { weight, labelSmoothing: eps, reduction: "none" })), per);
      close(vals(F.crossEntropy(input, target, { weight, labelSmoothing: eps })), [(per[0] + per[1]) / 2]);
      close(vals(F.crossEntropy(input, target, { weight, labelSmoothing: eps, reduction: "sum" })), [per[0] + per[1]]);
      // a one-hot probability target equals the class-index form (without weights)
      const onehot = F.crossEntropy(input, tensor([[0, 1, 0], [0, 0, 1]], [2, 3]));
      const index = F.crossEntropy(input, tensor([1, 2], [2], { dtype: "int32" }));
      close(vals(onehot), vals(index));
      // unbatched [C]
      close(vals(F.crossEntropy(tensor(x[0], [3]), tensor(t[0], [3]))), [-logSoftmax(x[0]).reduce((a, l, c) => a + t[0][c] * l, 0)]);
    });
  });

  it("gradchecks the input and the target, with weights, smoothing and extra dims", () => {
    tidy(() => {
      const weight = tensor([0.5, 1.5, 1, 2], [4]);
      for (const reduction of ["mean", "sum", "none"] as const) {
        expectGradOk((x, t) => F.crossEntropy(x, t, { reduction, weight, labelSmoothing: 0.2 }), [randT([3, 4, 2]), probabilities([3, 4, 2], true)]);
      }
      const fixed = probabilities([5, 3]);
      expectGradOk((x) => F.crossEntropy(x, fixed), [randT([5, 3])]);
    });
  });

  it("has a double backward (createGraph): gradgradcheck of input and target", () => {
    tidy(() => {
      const weight = tensor([0.5, 1.5, 1], [3]);
      for (const reduction of ["mean", "none"] as const) {
        const r = gradgradcheck((x, t) => F.crossEntropy(x, t, { reduction, weight, labelSmoothing: 0.1 }), [randT([2, 3, 2]), probabilities([2, 3, 2], true)]);
        expect(r.mismatch).toBeNull();
        expect(r.ok).toBe(true);
      }
      const r = gradgradcheck((x, t) => F.crossEntropy(x, t), [randT([3]), tensor(probabilities([1, 3]).data(), [3], { requiresGrad: true })]);
      expect(r.mismatch).toBeNull();
    });
  });

  it("class indices with weight, ignoreIndex and smoothing: mean divides by Σ w_y of the kept samples", () => {
    tidy(() => {
      const x = [[1, 2, 0.5], [-1, 0, 3], [0.3, 0.1, -0.2]];
      const y = [1, 0, 2];
      const w = [2, 1, 0.5];
      const eps = 0.1;
      const per = x.map((row, n) => {
        const l = logSoftmax(row);
        return (1 - eps) * -w[y[n]] * l[y[n]] + (eps / 3) * -l.reduce((a, lc, c) => a + w[c] * lc, 0);
      });
      const out = F.crossEntropy(tensor(x, [3, 3]), tensor(y, [3], { dtype: "int32" }), { weight: tensor(w, [3]), ignoreIndex: 0, labelSmoothing: eps });
      close(vals(out), [(per[0] + per[2]) / (w[1] + w[2])]);
      expectGradOk((a) => F.crossEntropy(a, tensor(y, [3], { dtype: "int32" }), { weight: tensor(w, [3]), ignoreIndex: 0, labelSmoothing: eps }), [randT([3, 3])]);
    });
  });

  it("errors name the problem", () => {
    tidy(() => {
      const x = randT([2, 3], { requiresGrad: false });
      expect(() => F.crossEntropy(x, probabilities([2, 4]))).toThrow(/crossEntropy: target must be int32 class indices \[2\] or float32 class probabilities of the input's shape \[2, 3\]; got float32 \[2, 4\]/);
      expect(() => F.crossEntropy(x, probabilities([2, 3]), { ignoreIndex: 1 })).toThrow(/ignoreIndex applies to class-index targets only/);
      expect(() => F.crossEntropy(x, probabilities([2, 3]), { weight: tensor([1, 2], [2]) })).toThrow(/weight must be a float32 tensor of shape \[3\]/);
      expect(() => F.crossEntropy(x, probabilities([2, 3]), { smoothing: 0.1 } as never)).toThrow(/crossEntropy: unknown option "smoothing"/);
    });
  });
});

describe("gaussianNllLoss", () => {
  it("is 0.5·(log var + (x − t)²/var) (+ 0.5·log 2π when full), var broadcast from [N, 1] or [N]", () => {
    tidy(() => {
      const x = [[1, 2], [3, 4]], t = [[0.5, 2.5], [2, 4]], v = [0.5, 2];
      const per = x.flatMap((row, n) => row.map((xi, j) => 0.5 * (Math.log(v[n]) + (xi - t[n][j]) ** 2 / v[n])));
      const input = tensor(x, [2, 2]), target = tensor(t, [2, 2]);
      close(vals(F.gaussianNllLoss(input, target, tensor(v, [2, 1]), { reduction: "none" })), per);
      close(vals(F.gaussianNllLoss(input, target, tensor(v, [2]), { reduction: "sum" })), [per.reduce((a, b) => a + b, 0)]);
      const full = F.gaussianNllLoss(input, target, tensor([[0.5, 0.5], [2, 2]], [2, 2]), { full: true });
      close(vals(full), [per.reduce((a, b) => a + b, 0) / 4 + 0.5 * Math.log(2 * Math.PI)]);
    });
  });

  it("clamps var at eps with the gradient passing the clamp (PyTorch)", () => {
    tidy(() => {
      const x = tensor([1], [1]), t = tensor([0], [1]);
      const v = tensor([0], [1], { requiresGrad: true });
      const loss = F.gaussianNllLoss(x, t, v, { eps: 0.5 });
      close(vals(loss), [0.5 * (Math.log(0.5) + 1 / 0.5)]);
      loss.backward();
      close(vals(v.grad!), [0.5 * (1 / 0.5 - 1 / 0.25)]);
      v.grad!.dispose();
    });
  });

  it("gradchecks input, target and var for every var layout and reduction", () => {
    tidy(() => {
      for (const varShape of [[3, 4], [3, 1], [3]]) {
        for (const reduction of ["mean", "sum", "none"] as const) {
          expectGradOk((x, t, v) => F.gaussianNllLoss(x, t, v, { reduction }), [randT([3, 4]), randT([3, 4]), randT(varShape, { lo: 0.5, hi: 2 })]);
        }
      }
    });
  });

  it("rejects a var of the wrong shape or with negative entries", () => {
    tidy(() => {
      const x = randT([3, 4], { requiresGrad: false });
      expect(() => F.gaussianNllLoss(x, x, randT([4], { lo: 1, hi: 2 }))).toThrow(/gaussianNllLoss: var \[4\] must have the input's shape \[3, 4\]/);
      expect(() => F.gaussianNllLoss(x, x, tensor([1, -1, 1], [3]))).toThrow(/var has negative entries/);
      expect(() => F.gaussianNllLoss(x, x, x, { reduction: "max" as never })).toThrow(/reduction must be/);
    });
  });
});

describe("cosineSimilarity", () => {
  it("is Σ x1·x2 / max(‖x1‖·‖x2‖, eps) along dim, broadcasting", () => {
    tidy(() => {
      const a = tensor([[1, 2, 2], [0, 3, 4]], [2, 3]), b = tensor([[2, 0, 0]], [1, 3]);
      close(vals(F.cosineSimilarity(a, b)), [2 / (3 * 2), 0]);
      close(vals(F.cosineSimilarity(a, a, { dim: 0 })), [1, 1, 1]);
      close(vals(F.cosineSimilarity(tensor([0, 0], [1, 2]), tensor([1, 0], [1, 2]))), [0]);
      expectGradOk((x, y) => F.cosineSimilarity(x, y, { dim: -1 }), [randT([2, 3, 4]), randT([3, 4])]);
      expectGradOk((x, y) => F.cosineSimilarity(x, y, { dim: 0 }), [randT([5, 2]), randT([5, 2])]);
      expect(() => F.cosineSimilarity(a, randT([2, 4]))).toThrow(/cosineSimilarity: shapes \[2, 3\] and \[2, 4\] cannot be broadcast/);
      expect(() => F.cosineSimilarity(a, a, { dim: 2 })).toThrow(/cosineSimilarity/);
    });
  });
});

describe("cosineEmbeddingLoss, marginRankingLoss, tripletMarginLoss", () => {
  it("cosineEmbeddingLoss: 1 − cos for y = 1, max(0, cos − margin) for y = −1", () => {
    tidy(() => {
      const a = tensor([[1, 0], [1, 1], [1, 0]], [3, 2]), b = tensor([[1, 1], [1, 1], [0, 1]], [3, 2]);
      const y = tensor([1, -1, -1], [3]);
      const c0 = 1 / Math.SQRT2;
      close(vals(F.cosineEmbeddingLoss(a, b, y, { margin: 0.5, reduction: "none" })), [1 - c0, 0.5, 0], 1e-5);
      close(vals(F.cosineEmbeddingLoss(a, b, y, { margin: 0.5 })), [(1 - c0 + 0.5) / 3], 1e-5);
      const tgt = tensor([1, -1, 1, -1, -1], [5]);
      expectGradOk((p, q) => F.cosineEmbeddingLoss(p, q, tgt, { margin: -0.9, reduction: "sum" }), [randT([5, 3]), randT([5, 3])]);
      expectGradOk((p, q) => F.cosineEmbeddingLoss(p, q, tensor(1)), [randT([4]), randT([4])]);
      expect(() => F.cosineEmbeddingLoss(a, b, tensor([1, 1], [2]))).toThrow(/cosineEmbeddingLoss: expected input1 and input2 of one shape/);
    });
  });

  it("marginRankingLoss: max(0, −y·(x1 − x2) + margin)", () => {
    tidy(() => {
      const x1 = tensor([1, 2, 3], [3]), x2 = tensor([2, 2, 0], [3]), y = tensor([1, -1, 1], [3]);
      close(vals(F.marginRankingLoss(x1, x2, y, { margin: 0.5, reduction: "none" })), [1.5, 0.5, 0]);
      close(vals(F.marginRankingLoss(x1, x2, y)), [1 / 3]);
      const a = tensor([0.3, -1.2, 2.0, 0.1], [4], { requiresGrad: true }), b = tensor([1.1, 0.4, -0.5, 0.9], [4], { requiresGrad: true });
      expectGradOk((p, q) => F.marginRankingLoss(p, q, tensor([1, 1, -1, -1], [4]), { margin: 0.2, reduction: "sum" }), [a, b]);
      expect(() => F.marginRankingLoss(x1, x2, tensor([[1, 1, 1]], [1, 3]))).toThrow(/marginRankingLoss: input1, input2 and target must have the same number of dims/);
    });
  });

  it("tripletMarginLoss: max(d(a, p) − d(a, n) + margin, 0), d = ‖u − v + eps‖_p, swap takes min(d(a, n), d(p, n))", () => {
    tidy(() => {
      const a = tensor([[0, 0]], [1, 2]), p = tensor([[3, 4]], [1, 2]), n = tensor([[1, 0]], [1, 2]);
      const d = (u: number[], v: number[], q: number) => u.reduce((s, ui, i) => s + Math.abs(ui - v[i] + 1e-6) ** q, 0) ** (1 / q);
      close(vals(F.tripletMarginLoss(a, p, n)), [d([0, 0], [3, 4], 2) - d([0, 0], [1, 0], 2) + 1], 1e-5);
      close(vals(F.tripletMarginLoss(a, p, n, { p: 1, margin: 0 })), [d([0, 0], [3, 4], 1) - d([0, 0], [1, 0], 1)], 1e-5);
      const swapped = d([0, 0], [3, 4], 2) - Math.min(d([0, 0], [1, 0], 2), d([3, 4], [1, 0], 2)) + 1;
      close(vals(F.tripletMarginLoss(a, p, n, { swap: true })), [swapped], 1e-5);
      close(vals(F.tripletMarginLoss(a, p, n, { p: Infinity, margin: 0 })), [4 - 1], 1e-5);
      for (const q of [1, 2, 3, Infinity]) {
        for (const swap of [false, true]) {
          expectGradOk((x, y, z) => F.tripletMarginLoss(x, y, z, { p: q, swap, margin: 3, reduction: "none" }), [randT([4, 3]), randT([4, 3]), randT([4, 3])]);
        }
      }
      expect(() => F.tripletMarginLoss(a, p, tensor([1, 0], [2]))).toThrow(/tripletMarginLoss: anchor, positive and negative must all be \[N, D\] or all \[D\]/);
      expect(() => F.tripletMarginLoss(a, p, n, { p: 0 })).toThrow(/p must be positive/);
    });
  });
});

describe("loss modules", () => {
  it("take PyTorch's positional arguments or an options object, and reject unknown options", () => {
    tidy(() => {
      const x1 = randT([4, 3], { requiresGrad: false }), x2 = randT([4, 3], { requiresGrad: false }), x3 = randT([4, 3], { requiresGrad: false });
      const y = tensor([1, -1, 1, -1], [4]);
      expect(vals(new nn.TripletMarginLoss(0.5, 1, 1e-6, true).forward(x1, x2, x3))).toEqual(vals(F.tripletMarginLoss(x1, x2, x3, { margin: 0.5, p: 1, swap: true })));
      expect(vals(new nn.TripletMarginLoss({ margin: 0.5, reduction: "sum" }).forward(x1, x2, x3))).toEqual(vals(F.tripletMarginLoss(x1, x2, x3, { margin: 0.5, reduction: "sum" })));
      expect(vals(new nn.CosineSimilarity(0, 1e-6).forward(x1, x2))).toEqual(vals(F.cosineSimilarity(x1, x2, { dim: 0, eps: 1e-6 })));
      expect(vals(new nn.CosineSimilarity().forward(x1, x2))).toEqual(vals(F.cosineSimilarity(x1, x2)));
      expect(vals(new nn.CosineEmbeddingLoss(0.2).forward(x1, x2, y))).toEqual(vals(F.cosineEmbeddingLoss(x1, x2, y, { margin: 0.2 })));
      const r1 = x1.sum(1), r2 = x2.sum(1);
      expect(vals(new nn.MarginRankingLoss({ margin: 0.1, reduction: "none" }).forward(r1, r2, y))).toEqual(vals(F.marginRankingLoss(r1, r2, y, { margin: 0.1, reduction: "none" })));
      const v = randT([4, 1], { lo: 0.5, hi: 1, requiresGrad: false });
      expect(vals(new nn.GaussianNLLLoss({ full: true }).forward(x1, x2, v))).toEqual(vals(F.gaussianNllLoss(x1, x2, v, { full: true })));
      expect(() => new nn.TripletMarginLoss({ margin: 1, swapped: true } as never)).toThrow(/TripletMarginLoss: unknown option "swapped"/);
      expect(() => new nn.TripletMarginLoss(1, { margin: 2 })).toThrow(/TripletMarginLoss: margin is given both as an argument and in the options/);
      expect(() => new nn.TripletMarginLoss(1, -2)).toThrow(/TripletMarginLoss: p must be a positive number, got -2/);
      expect(() => new nn.GaussianNLLLoss({ size_average: true } as never)).toThrow(/GaussianNLLLoss: unknown option "size_average"/);
      expect(() => new nn.CrossEntropyLoss({ label_smoothing: 0.1 } as never)).toThrow(/CrossEntropyLoss: unknown option "label_smoothing"/);
      expect(() => F.mseLoss(x1, x2, { reduce: false } as never)).toThrow(/mseLoss: unknown option "reduce"/);
    });
  });

  it("CrossEntropyLoss takes probability targets and keeps its class weights as a state-dict buffer", () => {
    tidy(() => {
      const weight = tensor([1, 2, 3], [3]);
      const loss = new nn.CrossEntropyLoss({ weight, labelSmoothing: 0.1, reduction: "sum" });
      expect(Object.keys(loss.stateDict())).toEqual(["weight"]);
      const x = randT([4, 3]), t = probabilities([4, 3]);
      expect(vals(loss.forward(x, t))).toEqual(vals(F.crossEntropy(x, t, { weight, labelSmoothing: 0.1, reduction: "sum" })));
      const idx = tensor([0, 2, 1, 2], [4], { dtype: "int32" });
      expect(vals(new nn.CrossEntropyLoss({ ignoreIndex: 2 }).forward(x, idx))).toEqual(vals(F.crossEntropy(x, idx, { ignoreIndex: 2 })));
    });
  });
});

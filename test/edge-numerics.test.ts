// Values at the edges of float32, each against PyTorch's (torch 1.13 / 2.x give the same).
import { describe, it, expect } from "vitest";
import { tensor, full, zeros, exp, softmax, logSoftmax, sigmoid, pow, sum, mean, logsumexp, linear, layerNorm, nn, dispose, tidy } from "../src/index.js";

const F = nn.functional;
const inf = Infinity;
const values = (t: { data(): ArrayLike<number> }) => Array.from(t.data());

describe("±Infinity", () => {
  it("exp, softmax, logSoftmax, sigmoid and silu give PyTorch's exact values", () => {
    expect(values(exp(tensor([-inf, inf, -200, 200, 0])))).toEqual([0, inf, 0, inf, 1]);
    expect(values(softmax(tensor([-inf, 0]), 0))).toEqual([0, 1]); // attention masks need exact zeros
    expect(values(softmax(tensor([[0, -inf, 0, -inf, 1, 2, -inf, 3]]), 1)).filter((_, i) => [1, 3, 6].includes(i))).toEqual([0, 0, 0]);
    expect(values(logSoftmax(tensor([-inf, 0]), 0))).toEqual([-inf, 0]);
    expect(values(sigmoid(tensor([-inf, inf])))).toEqual([0, 1]);
    const silu = values(F.silu(tensor([-inf, inf])));
    expect(silu[0]).toBeNaN(); // PyTorch: -inf · sigmoid(-inf) = -inf · 0 = nan
    expect(silu[1]).toBe(inf);
  });
});

describe("small results that rounding used to flush", () => {
  it("softplus(-20) = 2.0612e-9 and softplus(-15) = 3.0590e-7 (log1p, not log(1 + x))", () => {
    const [a, b, c] = values(F.softplus(tensor([-20, -15, -100])));
    expect(a).toBeCloseTo(2.0611536e-9, 15);
    expect(Math.abs(a / 2.0611536e-9 - 1)).toBeLessThan(1e-5);
    expect(Math.abs(b / 3.0590232e-7 - 1)).toBeLessThan(1e-5);
    expect(c).toBe(0); // exp(-100) underflows float32, as in PyTorch
    expect(Math.abs(values(F.logSigmoid(tensor([20])))[0] / -2.0611536e-9 - 1)).toBeLessThan(1e-5);
    const bce = F.binaryCrossEntropyWithLogits(tensor([20]), tensor([1])).item();
    expect(Math.abs(bce / 2.0611536e-9 - 1)).toBeLessThan(1e-5);
  });

  it("d/da a^0 is 0 at a = 0 (scalar and tensor exponents), and d/db a^b is 0 at a = 0, b >= 0", () => {
    const a = tensor([0, 2], undefined, { requiresGrad: true });
    pow(a, 0).sum().backward();
    expect(values(a.grad!)).toEqual([0, 0]);
    const a2 = tensor([0, 2], undefined, { requiresGrad: true });
    const b = tensor([0, 0], undefined, { requiresGrad: true });
    pow(a2, b).sum().backward();
    expect(values(a2.grad!)).toEqual([0, 0]);
    expect(values(b.grad!)[0]).toBe(0);
    expect(values(b.grad!)[1]).toBeCloseTo(Math.log(2), 6);
  });
});

describe("long sums (blocked summation, float64 across blocks)", () => {
  const rel = (got: number, want: number) => Math.abs(got / want - 1);

  it("mean of 1e7 × 0.1 and mseLoss over 1e7 elements are within 1e-6 of PyTorch's", () => {
    const x = full([1e7], 0.1);
    expect(rel(mean(x).item(), 0.1)).toBeLessThan(1e-6);
    expect(rel(F.mseLoss(x, zeros([1e7])).item(), 0.01)).toBeLessThan(1e-6);
    x.dispose();
  });

  it("the sum of 1e6 values alternating +10001 / -9999 is exactly 1e6", () => {
    const alt = tensor(Float32Array.from({ length: 1e6 }, (_, i) => (i % 2 ? -9999 : 10001)));
    expect(sum(alt).item()).toBe(1e6);
    alt.dispose();
  });

  it("crossEntropy mean over 1e6 rows of uniform logits is log 10 = 2.302585", () => {
    const logits = zeros([1e6, 10]);
    const target = zeros([1e6], { dtype: "int32" });
    expect(rel(F.crossEntropy(logits, target).item(), Math.log(10))).toBeLessThan(1e-6);
    logits.dispose();
    target.dispose();
  });

  it("blocked sums stay exact on odd lengths (vector body, block remainder and scalar tail)", () => {
    for (const n of [1, 3, 4, 7, 63, 64, 65, 129, 1000, 4099]) {
      const x = tensor(Float32Array.from({ length: n }, (_, i) => (i % 7) - 3));
      let want = 0;
      for (let i = 0; i < n; i++) want += (i % 7) - 3;
      expect(sum(x).item(), `n = ${n}`).toBe(want);
      x.dispose();
    }
  });
});

// Sums over a dim other than the last (column sums, bias gradients) and the exp-sums of softmax,
// logsumexp and cross-entropy were float32 running sums: mean over dim 0 of a [1e6, 3] matrix of
// 0.1 gave 0.10096, a bias gradient over 1e6 rows 100958 for 1e5, the log-softmax of a 1e6-long
// row was 2.1e-4 off, a layer norm over 1e6 alternating ±1e4 values gave 0.99956 for 1.
describe("long sums over other dims and in softmax / logsumexp / cross-entropy / norms", () => {
  const rel = (got: number, want: number) => Math.abs(got / want - 1);
  // [0, ln 0.1, ln 0.1, ...]: max 0, Σ exp(x − max) = 1 + (n − 1)·0.1, not exact in float32
  const tenths = (n: number) => Float32Array.from({ length: n }, (_, i) => (i === 0 ? 0 : Math.log(0.1)));

  it("sum and mean over dim 0 and over a middle dim are within 1e-6 (odd widths: vector body and tail)", () => {
    tidy(() => {
      for (const cols of [3, 4, 5, 9]) {
        const x = full([1e6, cols], 0.1);
        for (const v of values(mean(x, 0))) expect(rel(v, 0.1)).toBeLessThan(1e-6);
        for (const v of values(sum(x, 0))) expect(rel(v, 1e5)).toBeLessThan(1e-6);
        x.dispose();
      }
      const y = full([2, 300_001, 3], 0.1);
      for (const v of values(sum(y, 1))) expect(rel(v, 30000.1)).toBeLessThan(1e-6);
      const alt = tensor(Float32Array.from({ length: 3e6 }, (_, i) => (Math.floor(i / 3) % 2 ? -9999 : 10001))).reshape([1e6, 3]);
      expect(values(sum(alt, 0))).toEqual([1e6, 1e6, 1e6]);
      // block edges: row counts around multiples of the block
      for (const rows of [1, 2, 3, 63, 64, 65, 66, 67, 128, 129, 1000]) {
        const z = tensor(Float32Array.from({ length: rows * 5 }, (_, i) => (i % 11) - 5)).reshape([rows, 5]);
        const want = [0, 1, 2, 3, 4].map((c) => { let s = 0; for (let r = 0; r < rows; r++) s += ((r * 5 + c) % 11) - 5; return s; });
        expect(values(sum(z, 0)), `rows = ${rows}`).toEqual(want);
      }
      expect(values(sum(zeros([0, 3]), 0))).toEqual([0, 0, 0]);
    });
  });

  it("linear's bias gradient over 1e6 rows is within 1e-6", () => {
    const x = zeros([1e6, 1]);
    const w = zeros([2, 1], { requiresGrad: true }), b = zeros([2], { requiresGrad: true });
    tidy(() => linear(x, w, b).mul(0.1).sum().backward());
    for (const v of values(b.grad!)) expect(rel(v, 1e5)).toBeLessThan(1e-6);
    dispose([x, w, b]);
  });

  it("softmax, logSoftmax and logsumexp over 1e6 elements (last dim and dim 0), and crossEntropy over 1e6 classes", () => {
    tidy(() => {
      const n = 1e6, denominator = 1 + (n - 1) * 0.1;
      const row = tensor(tenths(n));
      expect(rel(logSoftmax(row, 0).data()[0], -Math.log(denominator))).toBeLessThan(1e-6);
      expect(rel(softmax(row, 0).data()[0], 1 / denominator)).toBeLessThan(1e-6);
      expect(rel(sum(softmax(row, 0)).item(), 1)).toBeLessThan(1e-6);
      expect(rel(logsumexp(row, 0).item(), Math.log(denominator))).toBeLessThan(1e-6);
      const column = row.reshape([n, 1]);
      expect(rel(logSoftmax(column, 0).data()[0], -Math.log(denominator))).toBeLessThan(1e-6);
      expect(rel(softmax(column, 0).data()[0], 1 / denominator)).toBeLessThan(1e-6);
      const target = zeros([1], { dtype: "int32" });
      expect(rel(F.crossEntropy(row.reshape([1, n]), target).item(), Math.log(denominator))).toBeLessThan(1e-6);
      // class probabilities 1/n each: Σ_c (1/n)·(log D − x_c) = log D − (n − 1)/n · ln 0.1
      expect(rel(F.crossEntropy(row.reshape([1, n]), full([1, n], 1 / n)).item(), Math.log(denominator) - ((n - 1) / n) * Math.log(0.1))).toBeLessThan(1e-5);
    });
  });

  it("layerNorm over 1e6 alternating +10001 / -9999 values gives ±1", () => {
    tidy(() => {
      const x = tensor(Float32Array.from({ length: 1e6 }, (_, i) => (i % 2 ? -9999 : 10001))).reshape([1, 1e6]);
      const y = layerNorm(x, 1e6).data();
      expect(y[0]).toBeCloseTo(1, 5);
      expect(y[1]).toBeCloseTo(-1, 5);
    });
  });
});


// Values at the edges of float32, each against PyTorch's (torch 1.13 / 2.x give the same).
import { describe, it, expect } from "vitest";
import { tensor, full, zeros, exp, softmax, logSoftmax, sigmoid, pow, sum, mean, nn } from "../src/index.js";

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

import { describe, it, expect } from "vitest";
import { tensor, randn, zeros, gradcheck, memoryStats, optim, Generator, type Tensor } from "../src/index.js";

// Parameters whose .grad holds the given values (a parameter for each array; null = no gradient).
function withGrads(...grads: (number[] | null)[]): Tensor[] {
  return grads.map((g) => {
    const p = zeros([g?.length ?? 1], { requiresGrad: true });
    if (g) p.grad = tensor(g);
    return p;
  });
}

const gradValues = (params: Tensor[]) => params.map((p) => (p.grad ? Array.from(p.grad.data()) : null));

function free(params: Tensor[]): void {
  for (const p of params) {
    p.grad?.dispose();
    p.dispose();
  }
}

describe("clipGradNorm", () => {
  it("returns the joint L2 norm and scales every gradient by maxNorm / (norm + 1e-6)", () => {
    const params = withGrads([3, 4], null, [12]); // joint norm 13
    expect(optim.clipGradNorm(params, 6.5)).toBe(13);
    const s = 6.5 / (13 + 1e-6);
    const got = gradValues(params);
    expect(got[1]).toBeNull();
    [3, 4].forEach((v, i) => expect(got[0]![i]).toBeCloseTo(v * s, 6));
    expect(got[2]![0]).toBeCloseTo(12 * s, 5);
    free(params);
  });

  it("leaves gradients untouched when the norm is already below maxNorm", () => {
    const params = withGrads([0.3, -0.4], [0.1]);
    const before = gradValues(params);
    expect(optim.clipGradNorm(params, 1)).toBeCloseTo(Math.sqrt(0.26), 6);
    expect(gradValues(params)).toEqual(before);
    free(params);
  });

  it("supports the inf norm (max |g|), p = 1 and any p > 0; accepts a single tensor", () => {
    const cases: [number, number][] = [
      [Infinity, 5],
      [1, 1 + 5 + 2 + 0.5],
      [3, (1 + 125 + 8 + 0.125) ** (1 / 3)],
    ];
    for (const [p, norm] of cases) {
      const params = withGrads([1, -5], [2, 0.5]);
      expect(optim.clipGradNorm(params, 1, p)).toBeCloseTo(norm, 5);
      expect(gradValues(params)[0]![1]).toBeCloseTo(-5 / (norm + 1e-6), 6);
      free(params);
    }
    const [single] = withGrads([6, 8]);
    expect(optim.clipGradNorm(single, 5)).toBe(10);
    Array.from(single.grad!.data()).forEach((g, i) => expect(g).toBeCloseTo(([6, 8][i] * 5) / (10 + 1e-6), 6));
    free([single]);
  });

  it("matches a float64 norm over large, odd-sized gradients (vector body and tail)", () => {
    const gen = new Generator(7);
    const params = [randn([1001], { generator: gen, requiresGrad: true }), randn([33, 7], { generator: gen, requiresGrad: true })];
    for (const p of params) p.grad = randn(p.shape, { generator: gen });
    const all = params.flatMap((p) => Array.from(p.grad!.data()));
    for (const p of [2, 1, Infinity, 1.5]) {
      const want = p === Infinity ? Math.max(...all.map(Math.abs)) : all.reduce((s, v) => s + Math.abs(v) ** p, 0) ** (1 / p);
      const got = optim.clipGradNorm(params, Infinity, p);
      expect(Math.abs(got - want) / want).toBeLessThan(1e-6);
    }
    free(params);
  });

  it("returns 0 without gradients; errorIfNonfinite throws on a NaN/inf norm; normType must be positive", () => {
    const none = withGrads(null);
    expect(optim.clipGradNorm(none, 1)).toBe(0);
    const bad = withGrads([1, Infinity]);
    expect(optim.clipGradNorm(bad, 1)).toBe(Infinity);
    expect(() => optim.clipGradNorm(bad, 1, 2, { errorIfNonfinite: true })).toThrow(/clipGradNorm: the total norm of order 2 of the gradients is non-finite/);
    expect(() => optim.clipGradNorm(bad, 1, 0)).toThrow(/normType must be positive/);
    free([...none, ...bad]);
  });

  it("allocates nothing", () => {
    const params = withGrads([3, 4, 5, 6, 7], [1]);
    const before = memoryStats();
    optim.clipGradNorm(params, 1);
    optim.clipGradValue(params, 0.1);
    expect(memoryStats()).toEqual(before);
    free(params);
  });
});

describe("clipGradValue", () => {
  it("clamps every element into [-clipValue, clipValue]", () => {
    const params = withGrads([-3, 0.2, 5, -0.1, 0.7], null);
    optim.clipGradValue(params, 0.5);
    expect(gradValues(params)).toEqual([Array.from(Float32Array.from([-0.5, 0.2, 0.5, -0.1, 0.5])), null]);
    expect(() => optim.clipGradValue(params, -1)).toThrow(/clipValue must be non-negative/);
    free(params);
  });
});

describe("weight penalties", () => {
  it("l2Penalty = Σ w² and l1Penalty = Σ |w| over all tensors, as 0-d tensors", () => {
    const a = tensor([[1, -2], [3, 0.5]]);
    const b = tensor([-4]);
    const l2 = optim.l2Penalty([a, b]);
    const l1 = optim.l1Penalty([a, b]);
    expect(l2.shape).toEqual([]);
    expect(l2.item()).toBeCloseTo(1 + 4 + 9 + 0.25 + 16, 5);
    expect(l1.item()).toBeCloseTo(1 + 2 + 3 + 0.5 + 4, 5);
    for (const t of [a, b, l2, l1]) t.dispose();
    expect(() => optim.l2Penalty([])).toThrow(/l2Penalty: got no parameters/);
  });

  it("pass gradcheck", () => {
    const gen = new Generator(3);
    const w = randn([3, 4], { generator: gen, requiresGrad: true });
    // keep |w| away from 0, where |w| is not differentiable
    w.liveData().forEach((v, i, arr) => (arr[i] = v + (v >= 0 ? 0.1 : -0.1)));
    const b = randn([5], { generator: gen, requiresGrad: true });
    b.liveData().forEach((v, i, arr) => (arr[i] = v + (v >= 0 ? 0.1 : -0.1)));
    for (const penalty of [optim.l2Penalty, optim.l1Penalty]) {
      const r = gradcheck((x, y) => penalty([x, y]), [w, b], { eps: 1e-3 });
      expect(r.mismatch).toBeNull();
    }
    for (const t of [w, b]) {
      t.grad?.dispose();
      t.dispose();
    }
  });

  it("added to a loss, λ·l2Penalty contributes 2λw to the gradient", () => {
    const w = tensor([0.5, -1.5, 2], undefined, { requiresGrad: true });
    const x = tensor([1, 2, 3]);
    const loss = w.mul(x).sum().add(optim.l2Penalty([w]).mul(1e-2));
    loss.backward();
    const want = [1, 2, 3].map((xi, i) => xi + 2e-2 * [0.5, -1.5, 2][i]);
    Array.from(w.grad!.data()).forEach((g, i) => expect(g).toBeCloseTo(want[i], 6));
    for (const t of [w.grad!, w, x, loss]) t.dispose();
  });
});

import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  tensor, randn, arange, maxPool2d, maxPool2dWithIndices, avgPool2d, adaptiveAvgPool2d, globalAvgPool2d, interpolate,
  gradcheck, manualSeed, tidy, nn,
} from "../src/index.js";

/** Pooling by definition over every plane of [P, H, W]: windows from PyTorch's rules, reduced by `reduce`. */
function referencePool(
  x: ArrayLike<number>, P: number, H: number, W: number, k: [number, number], s: [number, number], p: [number, number],
  d: [number, number], ceil: boolean, reduce: (vals: number[], windowWithPad: number) => number,
): { y: number[]; Ho: number; Wo: number } {
  const out = (n: number, a: 0 | 1) => {
    let o = Math.floor((n + 2 * p[a] - d[a] * (k[a] - 1) - 1 + (ceil ? s[a] - 1 : 0)) / s[a]) + 1;
    if (ceil && (o - 1) * s[a] >= n + p[a]) o--;
    return o;
  };
  const Ho = out(H, 0), Wo = out(W, 1);
  const y: number[] = [];
  for (let q = 0; q < P; q++) for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) {
    const vals: number[] = [];
    const h0 = i * s[0] - p[0], w0 = j * s[1] - p[1];
    for (let a = 0; a < k[0]; a++) for (let b = 0; b < k[1]; b++) {
      const h = h0 + a * d[0], w = w0 + b * d[1];
      if (h >= 0 && h < H && w >= 0 && w < W) vals.push(x[(q * H + h) * W + w]);
    }
    const withPad = (Math.min(h0 + k[0], H + p[0]) - h0) * (Math.min(w0 + k[1], W + p[1]) - w0);
    y.push(reduce(vals, withPad));
  }
  return { y, Ho, Wo };
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(tol * (1 + Math.abs(want[i])));
}

const maxOf = (v: number[]) => Math.max(...v);

describe("maxPool2d", () => {
  it("matches the definition over kernels, strides, padding, dilation and ceil mode", () => {
    manualSeed(1);
    const cases = [
      { x: [2, 3, 6, 6], k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1], ceil: false },
      { x: [1, 2, 7, 5], k: [3, 2], s: [2, 1], p: [1, 1], d: [1, 1], ceil: false },
      { x: [1, 2, 7, 7], k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1], ceil: true },
      { x: [2, 1, 8, 9], k: [3, 3], s: [3, 2], p: [1, 1], d: [1, 1], ceil: true },
      { x: [1, 2, 9, 8], k: [3, 2], s: [2, 2], p: [1, 1], d: [2, 3], ceil: true },
      { x: [1, 1, 5, 5], k: [5, 5], s: [1, 1], p: [2, 0], d: [1, 1], ceil: false },
      // wide rows: four windows per SIMD step in the interior, strides 1, 2, 3 and dilation
      { x: [2, 2, 4, 19], k: [2, 2], s: [2, 1], p: [1, 1], d: [1, 1], ceil: false },
      { x: [1, 2, 5, 21], k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1], ceil: true },
      { x: [1, 2, 6, 17], k: [2, 3], s: [1, 3], p: [0, 1], d: [1, 1], ceil: false },
      { x: [1, 1, 7, 23], k: [3, 3], s: [2, 2], p: [1, 1], d: [2, 2], ceil: true },
    ] as const;
    for (const c of cases) {
      tidy(() => {
        const x = randn(c.x);
        const { values, indices } = maxPool2dWithIndices(x, c.k, { stride: c.s, padding: c.p, dilation: c.d, ceilMode: c.ceil });
        const [N, C, H, W] = c.x;
        const ref = referencePool(x.data(), N * C, H, W, [...c.k], [...c.s], [...c.p], [...c.d], c.ceil, maxOf);
        expect(values.shape).toEqual([N, C, ref.Ho, ref.Wo]);
        expect(Array.from(values.data())).toEqual(ref.y.map(Math.fround));
        // Indices point at the maximum within each plane.
        const xv = x.data(), iv = indices.data(), vv = values.data(), plane = ref.Ho * ref.Wo;
        for (let i = 0; i < iv.length; i++) expect(xv[Math.floor(i / plane) * H * W + iv[i]]).toBe(vv[i]);
      });
    }
  });

  it("picks PyTorch's index on ties (the first) and NaNs (the last), at every row width", () => {
    // PyTorch's rule, tap by tap in row-major order: take val when val > max or val is NaN.
    const expectedIndices = (x: Float32Array, H: number, W: number, k: number, s: number) => {
      const Ho = Math.floor((H - k) / s) + 1, Wo = Math.floor((W - k) / s) + 1, idx: number[] = [];
      for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) {
        let best = -Infinity, at = -1;
        for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) {
          const h = i * s + a, w = j * s + b, v = x[h * W + w];
          if (at < 0 || v > best || Number.isNaN(v)) { best = v; at = h * W + w; }
        }
        idx.push(at);
      }
      return idx;
    };
    manualSeed(3);
    // widths 4..21: one group of four windows, two overlapping groups, eight and more
    for (let W = 4; W <= 21; W++) {
      for (const [k, s] of [[2, 2], [2, 1], [3, 2]]) {
        tidy(() => {
          const H = 6;
          // values from {0, 1, 2}: most windows hold ties; about one in seven is NaN
          const v = Float32Array.from({ length: H * W }, (_, i) => ((i * 7919) % 7 === 3 ? NaN : (i * 31) % 3));
          const { values, indices } = maxPool2dWithIndices(tensor(v, [1, 1, H, W]), k, { stride: s });
          const want = expectedIndices(v, H, W, k, s);
          expect(Array.from(indices.data()), `W ${W}, kernel ${k}, stride ${s}`).toEqual(want);
          expect(Array.from(values.data())).toEqual(want.map((i) => v[i]));
        });
      }
    }
  });

  it("max and average pooling match the definition on random geometries (property)", () => {
    const geometry = fc.record({
      P: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 1, max: 12 }), W: fc.integer({ min: 1, max: 20 }),
      kh: fc.integer({ min: 1, max: 4 }), kw: fc.integer({ min: 1, max: 4 }), sh: fc.integer({ min: 1, max: 4 }), sw: fc.integer({ min: 1, max: 4 }),
      ph: fc.integer({ min: 0, max: 2 }), pw: fc.integer({ min: 0, max: 2 }), dh: fc.integer({ min: 1, max: 2 }), dw: fc.integer({ min: 1, max: 2 }),
      ceil: fc.boolean(), include: fc.boolean(),
    }).filter((g) => 2 * g.ph <= g.kh && 2 * g.pw <= g.kw && g.dh * (g.kh - 1) + 1 <= g.H + 2 * g.ph && g.dw * (g.kw - 1) + 1 <= g.W + 2 * g.pw);
    fc.assert(fc.property(geometry, (g) => {
      tidy(() => {
        const x = randn([g.P, g.H, g.W]);
        const k: [number, number] = [g.kh, g.kw], s: [number, number] = [g.sh, g.sw], p: [number, number] = [g.ph, g.pw];
        const ref = referencePool(x.data(), g.P, g.H, g.W, k, s, p, [g.dh, g.dw], g.ceil, (v) => (v.length ? maxOf(v) : -Infinity));
        const y = maxPool2d(x, k, { stride: s, padding: p, dilation: [g.dh, g.dw], ceilMode: g.ceil });
        expect(y.shape).toEqual([g.P, ref.Ho, ref.Wo]);
        expect(Array.from(y.data())).toEqual(ref.y.map(Math.fround));
        const avg = referencePool(x.data(), g.P, g.H, g.W, k, s, p, [1, 1], g.ceil, (v, withPad) => v.reduce((a, b) => a + b, 0) / (g.include ? withPad : v.length));
        expectClose(avgPool2d(x, k, { stride: s, padding: p, ceilMode: g.ceil, countIncludePad: g.include }).data(), avg.y);
      });
    }), { numRuns: 150, seed: 11 });
  });

  it("routes each window's gradient to its maximum, accumulating where windows overlap", () => {
    const x = tensor([1, 5, 2, 3, 4, 0, 6, 7, 8], [1, 1, 3, 3], { requiresGrad: true });
    const y = maxPool2d(x, 2, { stride: 1 });
    expect(Array.from(y.data())).toEqual([5, 5, 7, 8]);
    y.backward(tensor([1, 2, 3, 4], [1, 1, 2, 2]));
    expect(Array.from(x.grad!.data())).toEqual([0, 3, 0, 0, 0, 0, 0, 3, 4]);
  });

  it("passes gradcheck in ceil mode with padding on odd sizes", () => {
    manualSeed(2);
    // Distinct values, far enough apart that the finite differences never change the argmax.
    const x = tensor(Float32Array.from(arange(0, 2 * 2 * 7 * 5).data(), (v) => v * 0.37 % 7.3), [2, 2, 7, 5], { requiresGrad: true });
    const r = gradcheck((x) => maxPool2d(x, [3, 2], { stride: 2, padding: [1, 1], ceilMode: true }), [x], { eps: 1e-3 });
    expect(r.mismatch).toBeNull();
  });

  it("rejects bad geometry clearly", () => {
    expect(() => maxPool2d(randn([1, 1, 4, 4]), 2, { padding: 2 })).toThrow(/padding 2 must be at most half the kernel size 2/);
    expect(() => maxPool2d(randn([1, 1, 2, 2]), 3)).toThrow(/input \[1, 1, 2, 2\] is too small for kernel 3x3/);
    expect(() => maxPool2d(randn([4, 4]), 2)).toThrow(/expected a 3-D \[C, H, W\] or 4-D \[N, C, H, W\] input, got \[4, 4\]/);
    expect(() => maxPool2d(randn([1, 1, 4, 4]), 0)).toThrow(/kernelSize must be/);
  });
});

describe("avgPool2d", () => {
  it("matches the definition with and without padded zeros in the divisor, ceil mode and divisorOverride", () => {
    manualSeed(3);
    const cases = [
      { x: [2, 2, 6, 6], k: [2, 2], s: [2, 2], p: [0, 0], ceil: false, include: true },
      { x: [1, 3, 7, 5], k: [3, 3], s: [2, 2], p: [1, 1], ceil: false, include: true },
      { x: [1, 3, 7, 5], k: [3, 2], s: [2, 1], p: [1, 1], ceil: false, include: false },
      { x: [1, 2, 8, 7], k: [3, 3], s: [2, 2], p: [1, 1], ceil: true, include: true },
      { x: [1, 2, 8, 7], k: [3, 3], s: [2, 2], p: [1, 0], ceil: true, include: false },
    ] as const;
    for (const c of cases) {
      tidy(() => {
        const x = randn(c.x);
        const y = avgPool2d(x, c.k, { stride: c.s, padding: c.p, ceilMode: c.ceil, countIncludePad: c.include });
        const [N, C, H, W] = c.x;
        const ref = referencePool(x.data(), N * C, H, W, [...c.k], [...c.s], [...c.p], [1, 1], c.ceil,
          (v, withPad) => v.reduce((a, b) => a + b, 0) / (c.include ? withPad : v.length));
        expect(y.shape).toEqual([N, C, ref.Ho, ref.Wo]);
        expectClose(y.data(), ref.y);
      });
    }
    const x = randn([1, 1, 4, 4]);
    const ref = referencePool(x.data(), 1, 4, 4, [2, 2], [2, 2], [1, 1], [1, 1], false, (v) => v.reduce((a, b) => a + b, 0) / 3);
    expectClose(avgPool2d(x, 2, { padding: 1, divisorOverride: 3 }).data(), ref.y);
  });

  it("passes gradcheck with countIncludePad false, and in ceil mode", () => {
    manualSeed(4);
    const x = randn([2, 2, 7, 5], { requiresGrad: true });
    expect(gradcheck((x) => avgPool2d(x, [3, 2], { stride: 2, padding: 1, countIncludePad: false }), [x]).mismatch).toBeNull();
    expect(gradcheck((x) => avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [x]).mismatch).toBeNull();
  });
});

describe("adaptive and global average pooling", () => {
  it("averages rows floor(i·H/oh) .. ceil((i+1)·H/oh) − 1 (overlapping when not divisible)", () => {
    const x = arange(0, 35).reshape([1, 1, 5, 7]);
    const y = adaptiveAvgPool2d(x, [2, 3]);
    // rows {0,1,2} and {2,3,4}; columns {0,1,2}, {2,3,4}, {4,5,6}
    const mean = (rs: number[], cs: number[]) => rs.flatMap((r) => cs.map((c) => r * 7 + c)).reduce((a, b) => a + b, 0) / (rs.length * cs.length);
    const R = [[0, 1, 2], [2, 3, 4]], Cs = [[0, 1, 2], [2, 3, 4], [4, 5, 6]];
    expectClose(y.data(), R.flatMap((r) => Cs.map((c) => mean(r, c))));
    expect(adaptiveAvgPool2d(randn([2, 3, 6, 4]), [null, 2]).shape).toEqual([2, 3, 6, 2]);
  });

  it("pass gradcheck on a non-divisible size", () => {
    manualSeed(5);
    const x = randn([2, 3, 7, 5], { requiresGrad: true });
    expect(gradcheck((x) => adaptiveAvgPool2d(x, [3, 2]), [x]).mismatch).toBeNull();
    expect(gradcheck((x) => globalAvgPool2d(x), [x]).mismatch).toBeNull();
  });

  it("global pooling is the mean over each plane, [N, C, H, W] -> [N, C]", () => {
    const x = randn([2, 3, 4, 5]);
    const y = globalAvgPool2d(x);
    expect(y.shape).toEqual([2, 3]);
    expectClose(y.data(), x.mean([2, 3]).data());
  });
});

describe("interpolate (nearest)", () => {
  it("repeats pixels by an integer scale factor and sums the gradient back over each block", () => {
    const x = tensor([1, 2, 3, 4], [1, 1, 2, 2], { requiresGrad: true });
    const y = interpolate(x, { scaleFactor: 2 });
    expect(y.toArray()).toEqual([[[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]]]);
    y.backward(arange(0, 16).reshape([1, 1, 4, 4]));
    expect(Array.from(x.grad!.data())).toEqual([0 + 1 + 4 + 5, 2 + 3 + 6 + 7, 8 + 9 + 12 + 13, 10 + 11 + 14 + 15]);
  });

  it("picks floor(i·in/out) for a target size, and passes gradcheck", () => {
    const x = arange(0, 5).reshape([1, 1, 1, 5]);
    expect(Array.from(interpolate(x, { size: [2, 3] }).data())).toEqual([0, 1, 3, 0, 1, 3]);
    expect(interpolate(randn([2, 3, 5]), { scaleFactor: [1.5, 2] }).shape).toEqual([2, 4, 10]);
    const xg = randn([1, 2, 3, 2], { requiresGrad: true });
    expect(gradcheck((x) => interpolate(x, { size: [5, 4] }), [xg]).mismatch).toBeNull();
    expect(() => interpolate(xg, {})).toThrow(/exactly one of size and scaleFactor/);
  });
});

describe("nn pooling layers", () => {
  it("print like PyTorch and default the stride to the kernel", () => {
    expect(String(new nn.MaxPool2d(2))).toBe("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)");
    expect(String(new nn.MaxPool2d([3, 2], { stride: 1, padding: 1, ceilMode: true })))
      .toBe("MaxPool2d(kernel_size=(3, 2), stride=1, padding=1, dilation=1, ceil_mode=True)");
    expect(String(new nn.AvgPool2d(3, { stride: 2, padding: 1 }))).toBe("AvgPool2d(kernel_size=3, stride=2, padding=1)");
    expect(String(new nn.AdaptiveAvgPool2d([2, null]))).toBe("AdaptiveAvgPool2d(output_size=(2, None))");
    expect(String(new nn.Upsample({ scaleFactor: 2 }))).toBe("Upsample(scale_factor=2.0, mode='nearest')");
    expect(String(new nn.Upsample({ size: [4, 6] }))).toBe("Upsample(size=(4, 6), mode='nearest')");
    const x = randn([2, 3, 8, 8]);
    expect(new nn.MaxPool2d(2).forward(x).shape).toEqual([2, 3, 4, 4]);
    expect(new nn.AvgPool2d(2).forward(x).shape).toEqual([2, 3, 4, 4]);
    expect(new nn.AdaptiveAvgPool2d(1).forward(x).shape).toEqual([2, 3, 1, 1]);
    expect(new nn.GlobalAvgPool2d().forward(x).shape).toEqual([2, 3]);
    expect(new nn.Upsample({ scaleFactor: 2 }).forward(x).shape).toEqual([2, 3, 16, 16]);
  });
});

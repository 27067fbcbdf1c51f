import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { backend } from "../src/backend/wasm.js";
import { tensor, randn, conv1d, conv2d, convTranspose2d, gradcheck, tidy, memoryStats, manualSeed, nn, type Tensor } from "../src/index.js";

/** Direct-definition conv2d in float64 with asymmetric padding [top, bottom, left, right]: output and, given g, all gradients. */
function referenceConv2d(
  x: Float32Array | number[], xs: number[], w: Float32Array | number[], ws: number[], b: Float32Array | null,
  o: { stride: [number, number]; pads: [number, number, number, number]; dilation: [number, number]; groups: number },
  g?: Float32Array,
) {
  const [N, Cin, H, W] = xs, [Cout, cinG, kh, kw] = ws;
  const [sh, sw] = o.stride, [dh, dw] = o.dilation, [pt, pb, pl, pr] = o.pads;
  const Ho = Math.floor((H + pt + pb - dh * (kh - 1) - 1) / sh) + 1, Wo = Math.floor((W + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  const coutG = Cout / o.groups;
  const y = new Float64Array(N * Cout * Ho * Wo), dx = new Float64Array(x.length), dW = new Float64Array(w.length), db = new Float64Array(Cout);
  for (let n = 0; n < N; n++) for (let co = 0; co < Cout; co++) for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) {
    const yi = ((n * Cout + co) * Ho + i) * Wo + j;
    const grp = Math.floor(co / coutG);
    let s = b ? b[co] : 0;
    for (let c = 0; c < cinG; c++) for (let a = 0; a < kh; a++) for (let e = 0; e < kw; e++) {
      const ih = i * sh - pt + a * dh, iw = j * sw - pl + e * dw;
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      const xi = ((n * Cin + grp * cinG + c) * H + ih) * W + iw, wi = ((co * cinG + c) * kh + a) * kw + e;
      s += x[xi] * w[wi];
      if (g) {
        dx[xi] += w[wi] * g[yi];
        dW[wi] += x[xi] * g[yi];
      }
    }
    y[yi] = s;
    if (g) db[co] += g[yi];
  }
  return { y, shape: [N, Cout, Ho, Wo], dx, dW, db };
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-4): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  expect(worst).toBeLessThan(tol);
}

type Case = {
  x: number[]; w: number[]; stride?: [number, number]; padding?: [number, number] | "same"; dilation?: [number, number]; groups?: number;
  bias?: boolean; activation?: "relu";
};

/** conv2d forward and backward against the reference. */
function checkAgainstReference(c: Case, tol = 1e-4): void {
  tidy(() => {
    const { stride = [1, 1], padding = [0, 0], dilation = [1, 1], groups = 1, bias = true, activation } = c;
    const x = randn(c.x, { requiresGrad: true }), w = randn(c.w, { requiresGrad: true }), b = bias ? randn([c.w[0]], { requiresGrad: true }) : null;
    const [kh, kw] = c.w.slice(2);
    const th = dilation[0] * (kh - 1), tw = dilation[1] * (kw - 1);
    const pads: [number, number, number, number] = padding === "same"
      ? [th >> 1, th - (th >> 1), tw >> 1, tw - (tw >> 1)] : [padding[0], padding[0], padding[1], padding[1]];
    const y = conv2d(x, w, b, { stride, padding, dilation, groups, activation });
    const g = randn(y.shape);
    const reference = (g: Float32Array) => referenceConv2d(x.data() as Float32Array, c.x, w.data() as Float32Array, c.w,
      b ? (b.data() as Float32Array) : null, { stride, pads, dilation, groups }, g);
    let ref = reference(g.data() as Float32Array);
    if (activation === "relu") {
      // max(z, 0) and, through it, only the gradient where z > 0
      const z = ref.y;
      ref = reference((g.data() as Float32Array).map((v, i) => (z[i] > 0 ? v : 0)));
      ref.y = z.map((v) => Math.max(v, 0));
    }
    expect(y.shape).toEqual(ref.shape);
    expectClose(y.data(), ref.y, tol);
    y.backward(g);
    expectClose(x.grad!.data(), ref.dx, tol);
    expectClose(w.grad!.data(), ref.dW, tol);
    if (b) expectClose(b.grad!.data(), ref.db, tol);
    for (const t of [x, w, b]) t?.grad?.dispose();
  });
}

describe("conv2d", () => {
  it("matches the direct definition (forward and all gradients) over strides, pads, dilations, groups and kernel shapes", () => {
    manualSeed(1);
    const cases: Case[] = [
      { x: [2, 3, 6, 6], w: [4, 3, 3, 3] },
      { x: [1, 4, 7, 5], w: [6, 2, 3, 2], stride: [2, 1], padding: [1, 2], dilation: [2, 1], groups: 2 },
      { x: [3, 2, 9, 8], w: [3, 2, 1, 4], stride: [1, 3], padding: [0, 1], dilation: [1, 2], bias: false },
      { x: [2, 6, 5, 7], w: [6, 1, 3, 3], padding: [1, 1], groups: 6 }, // depthwise
      { x: [2, 4, 6, 6], w: [8, 1, 3, 3], stride: [2, 2], padding: [1, 1], groups: 4 },
      { x: [2, 5, 4, 6], w: [3, 5, 1, 1] }, // 1x1: GEMM on the input directly
      { x: [2, 4, 4, 6], w: [6, 2, 1, 1], groups: 2 },
      { x: [1, 2, 5, 5], w: [2, 2, 1, 1], stride: [2, 2] }, // 1x1 strided: needs im2col
      { x: [1, 3, 6, 7], w: [2, 3, 4, 2], padding: "same" }, // even kernel: asymmetric padding
      { x: [2, 3, 5, 6], w: [4, 3, 2, 2], padding: "same" }, // padding on the bottom and right only
      { x: [2, 2, 5, 6], w: [3, 2, 3, 3], padding: "same", dilation: [2, 1] },
      { x: [1, 1, 3, 3], w: [1, 1, 3, 3], padding: [0, 0] }, // a single output
    ];
    for (const c of cases) checkAgainstReference(c);
  });

  it("matches the direct definition on random geometries (property)", () => {
    const geometry = fc.record({
      N: fc.integer({ min: 1, max: 2 }), groups: fc.integer({ min: 1, max: 3 }), cinG: fc.integer({ min: 1, max: 3 }), coutG: fc.integer({ min: 1, max: 3 }),
      H: fc.integer({ min: 1, max: 9 }), W: fc.integer({ min: 1, max: 9 }), kh: fc.integer({ min: 1, max: 4 }), kw: fc.integer({ min: 1, max: 4 }),
      sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }), ph: fc.integer({ min: 0, max: 2 }), pw: fc.integer({ min: 0, max: 2 }),
      dh: fc.integer({ min: 1, max: 3 }), dw: fc.integer({ min: 1, max: 3 }), bias: fc.boolean(),
    }).filter((g) => g.dh * (g.kh - 1) + 1 <= g.H + 2 * g.ph && g.dw * (g.kw - 1) + 1 <= g.W + 2 * g.pw);
    fc.assert(fc.property(geometry, (g) => {
      checkAgainstReference({
        x: [g.N, g.cinG * g.groups, g.H, g.W], w: [g.coutG * g.groups, g.cinG, g.kh, g.kw], stride: [g.sh, g.sw],
        padding: [g.ph, g.pw], dilation: [g.dh, g.dw], groups: g.groups, bias: g.bias,
      });
    }), { numRuns: 60, seed: 7 });
  });

  it("convolves chunks of small images in one GEMM (im2col + GEMM, col2im): 3 chunks (2, 2, 1 images), groups, stride, dilation, ReLU", () => {
    manualSeed(8);
    // Two output channels per group (too few for the direct kernels) and a stride (so the input
    // gradient takes col2im too); 300 x 204 floats of columns per image: two images per 128K-float chunk.
    checkAgainstReference({ x: [5, 12, 14, 37], w: [2, 12, 5, 5], stride: [1, 2], padding: [1, 2], dilation: [1, 2] }, 2e-4);
    checkAgainstReference({ x: [5, 12, 14, 37], w: [4, 6, 5, 5], stride: [1, 2], padding: [1, 2], dilation: [1, 2], groups: 2, activation: "relu" }, 2e-4);
    checkAgainstReference({ x: [7, 6, 13, 11], w: [6, 2, 3, 4], stride: [2, 3], padding: [1, 0], dilation: [2, 1], groups: 3, activation: "relu" });
  });

  it("gives the same result for a batch as for its images one at a time (chunked GEMM vs one GEMM per image)", () => {
    manualSeed(9);
    tidy(() => {
      const opts = { stride: [1, 2] as [number, number], padding: [2, 1] as [number, number], dilation: [2, 1] as [number, number], groups: 2, activation: "relu" as const };
      const x = randn([5, 4, 11, 9]), w = randn([4, 2, 3, 3]), b = randn([4]);
      const batch = conv2d(x, w, b, opts).data();
      const perImage = Array.from({ length: 5 }, (_, n) => Array.from(conv2d(x.narrow(0, n, 1), w, b, opts).data())).flat();
      expectClose(batch, perImage, 1e-6);
    });
  });

  it("runs direct: partial 8-channel blocks, groups, strides, dilations, and input chunks of the padded copy", () => {
    manualSeed(13);
    const cases: Case[] = [
      { x: [3, 5, 9, 8], w: [11, 5, 3, 2], stride: [2, 1], padding: [1, 1], dilation: [1, 2] }, // 8 + 3 channels; strided: GEMM adjoint
      { x: [2, 10, 7, 9], w: [12, 5, 3, 3], padding: [2, 1], groups: 2, activation: "relu" }, // direct adjoint, padded by 0 and 1
      { x: [5, 3, 6, 6], w: [9, 1, 2, 3], padding: [1, 0], dilation: [2, 2], groups: 3 },
      { x: [2, 4, 5, 5], w: [8, 4, 1, 1], stride: [2, 2] }, // 1x1 strided
      // 1.36M floats of padded input per image: chunks of 3 images (2 for the weight gradient)
      { x: [4, 256, 72, 72], w: [3, 256, 1, 2], padding: [0, 1] },
    ];
    for (const c of cases) checkAgainstReference(c, 2e-4);
  });

  it("runs few-channel layers with positions in the lanes: LeNet's shapes, partial channel blocks and 4-column tiles, odd heights, taps over padding skipped", () => {
    manualSeed(14);
    // count the lanes kernels' calls (the module's exports are read-only: swap in a copy)
    const be = backend() as unknown as { kernels: Record<string, unknown> }, kernels = be.kernels;
    const calls: Record<string, number> = { conv_direct_lanes_f32: 0, conv_direct_lanes_wgrad_f32: 0 };
    be.kernels = { ...kernels };
    for (const name of Object.keys(calls)) {
      const kernel = kernels[name] as (...a: number[]) => void;
      be.kernels[name] = (...a: number[]) => {
        calls[name]++;
        kernel(...a);
      };
    }
    try {
      const cases: Case[] = [
        { x: [2, 1, 28, 28], w: [6, 1, 5, 5], padding: [2, 2], activation: "relu" }, // LeNet's conv1 (forward, weight gradient)
        { x: [2, 6, 14, 14], w: [16, 6, 5, 5] }, // LeNet's conv2 (input gradient: 6 channels, padded by 4)
        { x: [3, 4, 9, 12], w: [5, 4, 3, 3], stride: [2, 1], padding: [2, 1], dilation: [1, 2] }, // 3 + 2 channels, 10 columns
        { x: [2, 3, 7, 5], w: [6, 3, 2, 4], padding: [3, 3], bias: false }, // tiles over rows and columns of padding only
        { x: [2, 3, 6, 9], w: [11, 3, 3, 2], padding: [1, 0] }, // 4 + 4 + 3 channels; 5 x 2 + 1 for the weight gradient
        { x: [2, 6, 5, 13], w: [8, 3, 3, 2], padding: "same", groups: 2, activation: "relu" }, // 4 per group, 13 columns
        { x: [1, 2, 1, 9], w: [3, 2, 1, 3], padding: [0, 2] }, // one row of 11
      ];
      for (const c of cases) {
        const before = calls.conv_direct_lanes_f32 + calls.conv_direct_lanes_wgrad_f32;
        checkAgainstReference(c, 2e-4);
        expect(calls.conv_direct_lanes_f32 + calls.conv_direct_lanes_wgrad_f32).toBeGreaterThan(before);
      }
      // every build has them (the plain one too): the weight gradient ran on them for 5 cases or more
      expect(calls.conv_direct_lanes_wgrad_f32).toBeGreaterThanOrEqual(5);
    } finally {
      be.kernels = kernels;
    }
    const x = randn([2, 3, 6, 7], { requiresGrad: true }), w = randn([5, 3, 3, 3], { requiresGrad: true }), b = randn([5], { requiresGrad: true });
    expect(gradcheck((x, w, b) => conv2d(x, w, b, { padding: [2, 1], dilation: [1, 2] }), [x, w, b]).mismatch).toBeNull();
  });

  it("runs 3x3 stride-1 convolutions with enough channels by Winograd F(2x2, 3x3): odd sizes, paddings 0..2, 'same', ReLU, chunks", () => {
    manualSeed(11);
    const cases: Case[] = [
      { x: [3, 17, 7, 13], w: [20, 17, 3, 3], padding: [1, 1], activation: "relu" }, // odd height and width: partial tiles
      { x: [2, 16, 5, 9], w: [16, 16, 3, 3] },
      { x: [2, 24, 11, 6], w: [16, 24, 3, 3], padding: [2, 0], bias: false },
      { x: [1, 8, 6, 17], w: [16, 8, 3, 3], padding: "same" },
      { x: [2, 16, 1, 1], w: [16, 16, 3, 3], padding: [1, 1] }, // a single pixel
      { x: [9, 16, 30, 30], w: [16, 16, 3, 3], padding: [1, 1] }, // 240 tiles per image: chunks of 2 images
    ];
    for (const c of cases) checkAgainstReference(c, 2e-4);
    const x = randn([2, 16, 5, 3], { requiresGrad: true }), w = randn([8, 16, 3, 3], { requiresGrad: true }), b = randn([8], { requiresGrad: true });
    expect(gradcheck((x, w, b) => conv2d(x, w, b, { padding: 1 }), [x, w, b]).mismatch).toBeNull();
  });

  it("fuses ReLU: conv2d(..., {activation: 'relu'}) = relu(conv2d(...)), passes gradcheck, and rejects other activations", () => {
    manualSeed(10);
    const x = randn([3, 4, 7, 6], { requiresGrad: true }), w = randn([4, 2, 3, 2], { requiresGrad: true }), b = randn([4], { requiresGrad: true });
    const opts = { stride: [2, 1] as [number, number], padding: [1, 1] as [number, number], dilation: [1, 2] as [number, number], groups: 2 };
    tidy(() => {
      const fused = conv2d(x, w, b, { ...opts, activation: "relu" });
      expect(fused.gradFn!.name).toBe("conv2dRelu");
      expect(Array.from(fused.data())).toEqual(Array.from(conv2d(x, w, b, opts).relu().data()));
    });
    expect(gradcheck((x, w, b) => conv2d(x, w, b, { ...opts, activation: "relu" }), [x, w, b]).mismatch).toBeNull();
    expect(() => conv2d(x, w, b, { activation: "tanh" as "relu" })).toThrow(/conv2d: activation must be "relu" or absent, got "tanh"/);
  });

  it("lowers large inputs in chunks of images and of output rows within the 16 MiB buffer", () => {
    manualSeed(2);
    // 2.4M floats of columns per image: one image per chunk.
    checkAgainstReference({ x: [3, 64, 64, 64], w: [2, 64, 3, 3], padding: [1, 1] }, 2e-4);
    // 4.7M floats per image: chunks of output rows.
    checkAgainstReference({ x: [1, 128, 64, 64], w: [2, 128, 3, 3], stride: [1, 1], padding: [1, 1] }, 2e-4);
  });

  it("passes gradcheck on odd sizes: 7x5 input, 3x2 kernel, stride 2, dilation 2, groups 2", () => {
    manualSeed(3);
    const x = randn([2, 4, 7, 5], { requiresGrad: true }), w = randn([4, 2, 3, 2], { requiresGrad: true }), b = randn([4], { requiresGrad: true });
    const r = gradcheck((x, w, b) => conv2d(x, w, b, { stride: 2, padding: [1, 0], dilation: 2, groups: 2 }), [x, w, b]);
    expect(r.mismatch).toBeNull();
    const r1 = gradcheck((x, w) => conv2d(x, w, null), [randn([2, 3, 3, 4], { requiresGrad: true }), randn([2, 3, 1, 1], { requiresGrad: true })]);
    expect(r1.mismatch).toBeNull();
  });

  it("accepts an unbatched [C, H, W] input", () => {
    const x = randn([2, 5, 5]), w = randn([3, 2, 3, 3]);
    const y = conv2d(x, w, null, { padding: 1 });
    expect(y.shape).toEqual([3, 5, 5]);
    const yb = conv2d(x.reshape([1, 2, 5, 5]), w, null, { padding: 1 });
    expect(Array.from(y.data())).toEqual(Array.from(yb.data()));
  });

  it("reports bad input clearly and leaves the operands intact", () => {
    const x = randn([1, 4, 5, 5]);
    expect(() => conv2d(x, randn([3, 2, 3, 3]), null, { groups: 3 })).toThrow(/input channels \(4\) must be divisible by groups \(3\)/);
    expect(() => conv2d(x, randn([3, 2, 3, 3]), null, { groups: 2 })).toThrow(/output channels \(3\) must be divisible by groups \(2\)/);
    expect(() => conv2d(x, randn([4, 3, 3, 3]))).toThrow(/expects 3 input channels/);
    expect(() => conv2d(x, randn([2, 4, 7, 3]), null, { padding: 0 })).toThrow(/kernel 7x3 \(after dilation\) is larger than the padded input 5x5/);
    expect(() => conv2d(x, randn([2, 4, 3, 3]), null, { dilation: 3 })).toThrow(/kernel 7x7/);
    expect(() => conv2d(randn([4, 5]), randn([2, 4, 3, 3]))).toThrow(/expected a 4-D input \[N, C, H, W\], got \[1, 4, 5\]|expected a 4-D input/);
    expect(() => conv2d(randn([1, 1, 4, 5, 5]), randn([2, 4, 3, 3]))).toThrow(/expected a 4-D input/);
    expect(() => conv2d(x, randn([2, 4, 3]))).toThrow(/expected a 4-D weight/);
    expect(() => conv2d(x, randn([2, 4, 3, 3]), randn([3]))).toThrow(/bias \[3\] does not match the 2 output channels/);
    expect(() => conv2d(x, randn([2, 4, 3, 3]), null, { padding: "same", stride: 2 })).toThrow(/not supported for strided/);
    expect(() => conv2d(x, randn([2, 4, 3, 3]), null, { stride: 0 })).toThrow(/stride must be a positive integer/);
    expect(x.shape).toEqual([1, 4, 5, 5]);
    expect(x.data().length).toBe(100);
  });

  it("reuses its im2col buffer: repeated steps take no new memory", () => {
    const x = randn([4, 3, 12, 12], { requiresGrad: true }), w = randn([5, 3, 3, 3], { requiresGrad: true });
    const step = () => tidy(() => {
      conv2d(x, w, null, { padding: 1, stride: 2 }).sum().backward();
      x.grad!.dispose(); x.grad = null;
      w.grad!.dispose(); w.grad = null;
    });
    step();
    const before = memoryStats().bytesReserved;
    for (let i = 0; i < 5; i++) step();
    expect(memoryStats().bytesReserved).toBe(before);
  });
});

describe("conv1d", () => {
  it("differentiates a step: (0,0,0,0,1,2,3,4,4,4,4) conv (-1,1)", () => {
    const x = tensor([0, 0, 0, 0, 1, 2, 3, 4, 4, 4, 4], [1, 1, 11]);
    const y = conv1d(x, tensor([-1, 1], [1, 1, 2]));
    expect(y.shape).toEqual([1, 1, 10]);
    expect(Array.from(y.data())).toEqual([0, 0, 0, 1, 1, 1, 1, 0, 0, 0]);
  });

  it("matches conv2d on a height-1 image and passes gradcheck (stride, padding, dilation, groups)", () => {
    manualSeed(4);
    const x = randn([2, 4, 9], { requiresGrad: true }), w = randn([6, 2, 3], { requiresGrad: true }), b = randn([6], { requiresGrad: true });
    const opts = { stride: 2, padding: 2, dilation: 2, groups: 2 };
    const y = conv1d(x, w, b, opts);
    const y2 = conv2d(x.reshape([2, 4, 1, 9]), w.reshape([6, 2, 1, 3]), b, { stride: [1, 2], padding: [0, 2], dilation: [1, 2], groups: 2 });
    expect(y.shape).toEqual([2, 6, 5]);
    expectClose(y.data(), y2.data(), 1e-6);
    expect(gradcheck((x, w, b) => conv1d(x, w, b, opts), [x, w, b]).mismatch).toBeNull();
    expect(conv1d(randn([3, 8]), randn([2, 3, 4]), null, { padding: "same" }).shape).toEqual([2, 8]);
    expect(() => conv1d(randn([1, 3, 8, 8]), randn([2, 3, 4]))).toThrow(/conv1d: expected a 2-D \(unbatched\) or 3-D input/);
  });
});

describe("convTranspose2d", () => {
  it("is the adjoint of conv2d: <conv2d(x), y> = <x, convTranspose2d(y)>, and the shapes follow PyTorch's formula", () => {
    manualSeed(5);
    const geometries = [
      { stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 1, x: [2, 3, 7, 8], w: [4, 3, 3, 3] },
      { stride: [2, 3], padding: [0, 1], dilation: [2, 1], groups: 2, x: [1, 4, 9, 7], w: [6, 2, 3, 2] },
      { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 3, x: [1, 3, 4, 4], w: [3, 1, 1, 1] },
    ] as const;
    for (const g of geometries) {
      // The rows/columns conv2d's stride skipped at the end come back as output padding.
      const outputPadding = [0, 1].map((a) => (g.x[2 + a] + 2 * g.padding[a] - g.dilation[a] * (g.w[2 + a] - 1) - 1) % g.stride[a]) as [number, number];
      const geo = { ...g, outputPadding };
      tidy(() => {
        const x = randn(geo.x), w = randn(geo.w);
        const { stride, padding, dilation, groups } = geo;
        const y = conv2d(x, w, null, { stride, padding, dilation, groups });
        const u = randn(y.shape);
        const t = convTranspose2d(u, w, null, { stride, padding, dilation, groups, outputPadding });
        expect(t.shape).toEqual(x.shape);
        const [, , H] = y.shape, [, , kh] = geo.w;
        expect(t.shape[2]).toBe((H - 1) * geo.stride[0] - 2 * geo.padding[0] + geo.dilation[0] * (kh - 1) + geo.outputPadding[0] + 1);
        const lhs = (y.mul(u).sum().item()), rhs = (x.mul(t).sum().item());
        expect(Math.abs(lhs - rhs)).toBeLessThan(1e-3 * (1 + Math.abs(lhs)));
      });
    }
  });

  it("passes gradcheck with output padding, stride, dilation, groups and bias", () => {
    manualSeed(6);
    const x = randn([2, 4, 3, 4], { requiresGrad: true }), w = randn([4, 3, 3, 2], { requiresGrad: true }), b = randn([6], { requiresGrad: true });
    const opts = { stride: [2, 3] as [number, number], padding: [1, 0] as [number, number], outputPadding: [1, 2] as [number, number], dilation: [1, 2] as [number, number], groups: 2 };
    expect(convTranspose2d(x, w, b, opts).shape).toEqual([2, 6, 6, 14]);
    expect(gradcheck((x, w, b) => convTranspose2d(x, w, b, opts), [x, w, b]).mismatch).toBeNull();
    // 5 input channels: its backward's convolutions run direct
    const x2 = randn([2, 5, 3, 4], { requiresGrad: true }), w2 = randn([5, 2, 3, 3], { requiresGrad: true });
    expect(gradcheck((x, w) => convTranspose2d(x, w, null, { stride: 2, padding: 1 }), [x2, w2]).mismatch).toBeNull();
  });

  it("rejects output padding that is not smaller than stride or dilation, and mismatched channels", () => {
    expect(() => convTranspose2d(randn([1, 2, 3, 3]), randn([2, 2, 3, 3]), null, { stride: 2, outputPadding: 2 })).toThrow(/outputPadding 2 must be smaller than either stride 2 or dilation 1/);
    expect(() => convTranspose2d(randn([1, 3, 3, 3]), randn([2, 2, 3, 3]))).toThrow(/expects 2 input channels/);
    expect(() => convTranspose2d(randn([1, 2, 1, 1]), randn([2, 2, 1, 1]), null, { padding: 1 })).toThrow(/leaves no output/);
  });
});

describe("nn conv layers", () => {
  it("print like PyTorch", () => {
    expect(String(new nn.Conv2d(1, 6, 5, { padding: 2 }))).toBe("Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))");
    expect(String(new nn.Conv2d(16, 32, [3, 1], { stride: 2, dilation: [2, 1], groups: 2, bias: false })))
      .toBe("Conv2d(16, 32, kernel_size=(3, 1), stride=(2, 2), dilation=(2, 1), groups=2, bias=False)");
    expect(String(new nn.Conv2d(3, 3, 3, { padding: "same" }))).toBe("Conv2d(3, 3, kernel_size=(3, 3), stride=(1, 1), padding=same)");
    expect(String(new nn.Conv1d(4, 8, 3, { padding: 1 }))).toBe("Conv1d(4, 8, kernel_size=(3,), stride=(1,), padding=(1,))");
    expect(String(new nn.ConvTranspose2d(8, 4, 3, { stride: 2, padding: 1, outputPadding: 1 })))
      .toBe("ConvTranspose2d(8, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1))");
  });

  it("have PyTorch's layouts, keys and default init U(±1/√fan_in)", () => {
    const conv = new nn.Conv2d(16, 32, 5, { groups: 2 });
    expect(conv.weight.shape).toEqual([32, 8, 5, 5]);
    expect(Object.keys(conv.stateDict())).toEqual(["weight", "bias"]);
    const bound = 1 / Math.sqrt(8 * 25);
    for (const p of [conv.weight, conv.bias!]) {
      const v = p.data();
      expect(Math.max(...Array.from(v, Math.abs))).toBeLessThanOrEqual(bound);
    }
    const big = new nn.Conv2d(64, 64, 5); // 102,400 weights: check the distribution
    const v = big.weight.data(), b = 1 / Math.sqrt(64 * 25);
    let s2 = 0, m = 0, mx = 0;
    for (const w of v) { m += w; s2 += w * w; mx = Math.max(mx, Math.abs(w)); }
    m /= v.length;
    const std = Math.sqrt(s2 / v.length - m * m);
    expect(Math.abs(std / (b / Math.sqrt(3)) - 1)).toBeLessThan(0.02);
    expect(mx).toBeLessThanOrEqual(b);
    expect(mx).toBeGreaterThan(0.99 * b);
    const t = new nn.ConvTranspose2d(6, 4, [3, 2], { groups: 2 });
    expect(t.weight.shape).toEqual([6, 2, 3, 2]);
    const tb = 1 / Math.sqrt(2 * 6);
    expect(Math.max(...Array.from(t.weight.data(), Math.abs))).toBeLessThanOrEqual(tb);
    expect(new nn.Conv1d(3, 5, 4, { bias: false }).weight.shape).toEqual([5, 3, 4]);
    for (const l of [conv, big, t]) l.dispose();
  });

  it("check channels against groups, and run forward/backward", () => {
    expect(() => new nn.Conv2d(3, 6, 3, { groups: 2 })).toThrow(/in_channels \(3\) must be divisible by groups \(2\)/);
    expect(() => new nn.Conv2d(4, 6, 3, { groups: 4 })).toThrow(/out_channels \(6\) must be divisible by groups \(4\)/);
    expect(() => new nn.Conv2d(4, 6, 3, { padding: "same", stride: 2 })).toThrow(/padding='same' is not supported/);
    const model = new nn.Sequential(new nn.Conv2d(2, 4, 3, { padding: 1 }), new nn.ConvTranspose2d(4, 2, 2, { stride: 2 }), new nn.Conv1d(2, 2, 1));
    const x: Tensor = randn([2, 2, 5, 5]);
    const y = (model[1] as nn.ConvTranspose2d).forward((model[0] as nn.Conv2d).forward(x));
    expect(y.shape).toEqual([2, 2, 10, 10]);
    y.sum().backward();
    for (const p of model.parameters().slice(0, 4)) expect(p.grad).not.toBeNull();
  });

  it("run a Conv2d followed by a ReLU in Sequential as one fused conv + ReLU, with the same values and gradients", () => {
    manualSeed(12);
    const model = new nn.Sequential(new nn.Conv2d(3, 4, 3, { padding: "same", dilation: 2 }), new nn.ReLU(), new nn.Conv2d(4, 6, 3, { stride: 2, groups: 2 }), new nn.ReLU());
    const x = randn([3, 3, 9, 8]);
    const unfused = (): number[][] => tidy(() => {
      let h: Tensor = x;
      for (const layer of model) h = layer.forward(h);
      h.square().sum().backward();
      return [Array.from(h.data()), ...model.parameters().map((p) => Array.from(p.grad!.data()))];
    });
    const want = unfused();
    model.zeroGrad();
    const got = tidy(() => {
      const y = model.forward(x);
      expect(y.gradFn!.name).toBe("conv2dRelu");
      y.square().sum().backward();
      return [Array.from(y.data()), ...model.parameters().map((p) => Array.from(p.grad!.data()))];
    });
    got.forEach((v, i) => expectClose(v, want[i], 1e-5));
    model.dispose();
  });
});

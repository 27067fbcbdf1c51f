// int8 inference: the kernels against a plain integer reference (exact), quantized Linear/Conv2d
// against float32 within the quantization error bound, the prepare/calibrate/convert flow,
// dynamic quantization, safetensors round trips, and the errors. Runs on either build
// (SIMDGRAD_RELAXED=1: the relaxed dot kernel), which must give the same integers.
import { describe, expect, it } from "vitest";
import { nn, noGrad, tensor, randn, rand, manualSeed, quantize, quantizeDynamic, quantization, save, load, decodeSafetensors, memoryStats, dispose, keep, tidy } from "../src/index.js";
import { backend } from "../src/backend/wasm.js";
import { heap } from "../src/backend/memory.js";
import { Epilogue, PackedWeights, qconv2d, winogradApplies } from "../src/backend/qgemm.js";
import { conv2dGeometry } from "../src/ops/conv.js";

const { QuantizedLinear, QuantizedConv2d, DynamicQuantizedLinear, prepare, convert } = quantization;

/** Deterministic integers in [lo, hi]. */
function ints(n: number, lo: number, hi: number, seed: number): Int32Array {
  let s = seed >>> 0;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + (s % (hi - lo + 1));
  }
  return out;
}

/** Blocks of wasm memory for one kernel call, freed afterwards. */
function withBlocks<T>(sizes: number[], fn: (...ptrs: number[]) => T): T {
  const ptrs = sizes.map((b) => heap().alloc(b, "test block"));
  try {
    return fn(...ptrs);
  } finally {
    ptrs.forEach((p, i) => heap().release(p, sizes[i]));
  }
}

/**
 * C = A·Wᵀ by the kernels, for integer activations a [M, K] in [0, 127] and weights w [N, K] in
 * [-128, 127], with scale 1 and offset 0 so the float output is the int32 sum itself (|sum| < 2^24).
 * As a Linear packs them (activations quantized into rows, weights into panels; C [M, N]), or with
 * perRow as a convolution does (weights as rows, activations as panels; C = the transpose [N, M]).
 * Also returns the kernel's channel sums.
 */
function kernelProduct(a: Int32Array, w: Int32Array, M: number, N: number, K: number, opts: { relu?: boolean; perRow?: boolean } = {}) {
  const k = backend().kernels;
  const pad = (n: number) => Math.ceil(n / 8) * 8;
  const [rowsOf, colsOf] = opts.perRow ? [N, M] : [M, N];
  return withBlocks([4 * M * K + 16, M * K + 16, k.qgemm_packed_rows_bytes(rowsOf, K), N * K + 16, k.qgemm_packed_panels_bytes(colsOf, K), 4 * N, 4 * pad(M + N), 4 * pad(M + N), 4 * M * N + 16, 4 * M], (xf, xb, pr, wr, pp, cs, sc, of, c, asums) => {
    const mem = () => backend().memory.buffer;
    new Float32Array(mem(), xf, M * K).set(Float32Array.from(a));
    new Int8Array(mem(), xb, M * K).set(a);
    new Int8Array(mem(), wr, N * K).set(w);
    new Float32Array(mem(), sc, pad(M + N)).fill(1);
    new Float32Array(mem(), of, pad(M + N)).fill(0);
    const flags = (opts.relu ? 1 : 0) | (opts.perRow ? 2 : 0);
    if (opts.perRow) {
      k.qgemm_pack(wr, N, K, pr, cs, 1);
      k.qgemm_pack(xb, M, K, pp, asums, 0);
      k.qgemm_s8(N, M, K, pr, pp, sc, of, flags, c, M);
    } else {
      k.qgemm_quantize_rows(xf, M, K, K, 1, 0, pr);
      k.qgemm_pack(wr, N, K, pp, cs, 0);
      k.qgemm_s8(M, N, K, pr, pp, sc, of, flags, c, N);
    }
    const out = new Float32Array(mem(), c, M * N).slice();
    return { out, sums: new Int32Array(mem(), cs, N).slice() };
  });
}

describe("int8 GEMM kernel", () => {
  it.each([false, true])("equals the integer product exactly, over tails of every tile dimension (per row: %s)", (perRow) => {
    let seed = 1;
    for (const M of [1, 3, 4, 5, 9]) {
      for (const N of [1, 7, 8, 9, 17]) {
        for (const K of [1, 2, 3, 5, 16, 37, 40]) {
          const a = ints(M * K, 0, 127, seed++), w = ints(N * K, -128, 127, seed++);
          const { out, sums } = kernelProduct(a, w, M, N, K, { perRow });
          for (let m = 0; m < M; m++) {
            for (let n = 0; n < N; n++) {
              let s = 0;
              for (let kk = 0; kk < K; kk++) s += a[m * K + kk] * w[n * K + kk];
              const got = perRow ? out[n * M + m] : out[m * N + n];
              if (got !== s) expect.fail(`M=${M} N=${N} K=${K}: C[${m},${n}] = ${got}, expected ${s}`);
            }
          }
          for (let n = 0; n < N; n++) {
            let s = 0;
            for (let kk = 0; kk < K; kk++) s += w[n * K + kk];
            expect(sums[n]).toBe(s);
          }
        }
      }
    }
  });

  it("writes a convolution's output [channels, pixels] and applies the ReLU", () => {
    const M = 13, N = 11, K = 19;
    const a = ints(M * K, 0, 127, 7), w = ints(N * K, -128, 127, 8);
    const { out } = kernelProduct(a, w, M, N, K, { relu: true, perRow: true });
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let kk = 0; kk < K; kk++) s += a[m * K + kk] * w[n * K + kk];
        expect(out[n * M + m]).toBe(Math.max(s, 0));
      }
    }
  });

  it("holds the extreme sums of a deep product (127·-128 over K = 4099) exactly in int32", () => {
    const M = 2, N = 2, K = 4099;
    const a = new Int32Array(M * K).fill(127), w = new Int32Array(N * K).fill(-128);
    const { out } = kernelProduct(a, w, M, N, K);
    // Beyond 2^24 a float holds the sum to 1 ulp; the int32 sum itself is exact.
    expect(out[0]).toBe(Math.fround(127 * -128 * K));
  });

  it("quantizes like PyTorch: round half to even, plus the zero point, clamped to [0, 127]", () => {
    const k = backend().kernels;
    const xs = [0.5, 1.5, 2.5, -2.5, -3.5, 126.5, 127.5, 1000, -1000, Infinity, -Infinity, 3.49, 64, ...Array.from({ length: 17 }, (_, i) => i * 7.25 - 20)];
    const zp = 3;
    const halfToEven = (v: number) => (Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v));
    const expected = xs.map((v) => Math.min(127, Math.max(0, halfToEven(v) + zp)));
    const got = withBlocks([4 * xs.length, xs.length], (src, dst) => {
      new Float32Array(backend().memory.buffer, src, xs.length).set(xs);
      k.qgemm_quantize_image(src, 1, 1, xs.length, 1, xs.length, 0, 0, 1, zp, dst);
      return Array.from(new Uint8Array(backend().memory.buffer, dst, xs.length));
    });
    expect(got).toEqual(expected);
  });

  it("quantizes a NaN to the code 0, in the bulk and in a row's tail", () => {
    const k = backend().kernels;
    const xs = Array.from({ length: 19 }, (_, i) => (i % 9 === 4 ? NaN : i));
    const got = withBlocks([4 * xs.length, xs.length], (src, dst) => {
      new Float32Array(backend().memory.buffer, src, xs.length).set(xs);
      k.qgemm_quantize_image(src, 1, 1, xs.length, 1, xs.length, 0, 0, 1, 5, dst);
      return Array.from(new Uint8Array(backend().memory.buffer, dst, xs.length));
    });
    expect(got).toEqual(xs.map((v) => (Number.isNaN(v) ? 0 : Math.min(127, v + 5))));
  });

  it("the range pass: min and max of any length, Infinity kept, a NaN anywhere makes both NaN", () => {
    const range = (xs: number[]) => withBlocks([4 * xs.length + 16, 8], (src, out) => {
      new Float32Array(backend().memory.buffer, src, xs.length).set(xs);
      backend().kernels.qgemm_range_f32(src, xs.length, out);
      return Array.from(new Float32Array(backend().memory.buffer, out, 2));
    });
    for (let n = 1; n <= 21; n++) {
      const xs = Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 12.9898 + n) * 100));
      expect(range(xs), `n = ${n}`).toEqual([Math.min(...xs), Math.max(...xs)]);
      for (const at of new Set([0, n >> 1, n - 1])) {
        const withNaN = xs.map((v, i) => (i === at ? NaN : v));
        expect(range(withNaN), `n = ${n}, NaN at ${at}`).toEqual([NaN, NaN]);
      }
    }
    expect(range([1, -Infinity, 3, 4, 5, 6, 7, 8, Infinity])).toEqual([-Infinity, Infinity]);
  });
});

/**
 * A 3x3 stride-1 convolution of x [N, Cin, H, W] (floats) by the kernels with the weight codes
 * packed as `layout`, through the whole qconv2d path (quantized with scale 1 and zero point zp).
 */
function kernelConv(layout: "rows" | "winograd", codes: Int32Array, x: Float32Array, N: number, Cin: number, H: number, W: number, Cout: number,
  pad: number, zp: number, scales: Float32Array, bias: Float32Array, relu: boolean): Float32Array {
  const g = conv2dGeometry("test", [N, Cin, H, W], [Cout, Cin, 3, 3], { stride: 1, padding: pad, dilation: 1, groups: 1 });
  const weights = new PackedWeights("test", codes, Cout, 1, layout);
  const input = { scale: 1, zeroPoint: zp };
  const epilogue = new Epilogue(weights, scales, bias, input);
  try {
    return withBlocks([4 * x.length, 4 * N * Cout * g.Ho * g.Wo], (xp, yp) => {
      new Float32Array(backend().memory.buffer, xp, x.length).set(x);
      qconv2d("test", g, xp, weights, epilogue, input, relu, yp);
      return new Float32Array(backend().memory.buffer, yp, N * Cout * g.Ho * g.Wo).slice();
    });
  } finally {
    weights.dispose();
    epilogue.dispose();
  }
}

// The kernels are in the relaxed builds only (qgemm_winograd_built): the relaxed pass runs these.
const winogradBuilt = backend().kernels.qgemm_winograd_built() !== 0;

describe("int8 Winograd convolution", () => {
  it("is in the relaxed builds only; a plain build never picks it", () => {
    expect(winogradBuilt).toBe(!!process.env.SIMDGRAD_RELAXED);
    if (!winogradBuilt) expect(winogradApplies(64, 64, [3, 3], [1, 1], [1, 1], 1)).toBe(false);
  });

  it.runIf(winogradBuilt)("picks Winograd for stride-1 undilated ungrouped 3x3 convolutions with enough channels only", () => {
    expect(winogradApplies(16, 16, [3, 3], [1, 1], [1, 1], 1)).toBe(true);
    expect(winogradApplies(4, 6, [3, 3], [1, 1], [1, 1], 1)).toBe(false);
    expect(winogradApplies(16, 16, [3, 3], [2, 2], [1, 1], 1)).toBe(false);
    expect(winogradApplies(16, 16, [3, 3], [1, 1], [2, 2], 1)).toBe(false);
    expect(winogradApplies(16, 16, [3, 3], [1, 1], [1, 1], 2)).toBe(false);
    expect(winogradApplies(16, 16, [5, 5], [1, 1], [1, 1], 1)).toBe(false);
    expect(winogradApplies(4000, 16, [3, 3], [1, 1], [1, 1], 1)).toBe(false);
  });

  it.runIf(winogradBuilt)("equals the integer convolution exactly, and the direct kernels bit for bit, over tails of every dimension", () => {
    let seed = 100;
    for (const [N, Cin, H, W, Cout, pad] of [[1, 8, 6, 6, 8, 1], [2, 9, 7, 5, 13, 0], [1, 3, 19, 35, 5, 2], [1, 17, 4, 18, 4, 1], [2, 2, 3, 3, 1, 0]]) {
      const zp = 37;
      const codes = ints(Cout * Cin * 9, -128, 127, seed++);
      // The extremes, so the transforms' ranges are reached: a kernel of -128s over codes of 127 and 0.
      codes.fill(-128, 0, 9);
      const q = ints(N * Cin * H * W, 0, 127, seed++);
      for (let i = 0; i < Math.min(q.length, 64); i++) q[i] = i % 2 ? 127 : 0;
      const x = Float32Array.from(q, (v) => v - zp); // quantizes to q exactly (scale 1)
      const ones = new Float32Array(Cout).fill(1), zeros = new Float32Array(Cout);
      const got = kernelConv("winograd", codes, x, N, Cin, H, W, Cout, pad, zp, ones, zeros, false);
      const Ho = H + 2 * pad - 2, Wo = W + 2 * pad - 2;
      for (let n = 0; n < N; n++) {
        for (let co = 0; co < Cout; co++) {
          for (let oh = 0; oh < Ho; oh++) {
            for (let ow = 0; ow < Wo; ow++) {
              let s = 0;
              for (let ci = 0; ci < Cin; ci++) {
                for (let i = 0; i < 3; i++) {
                  for (let j = 0; j < 3; j++) {
                    const ih = oh + i - pad, iw = ow + j - pad;
                    const v = ih >= 0 && ih < H && iw >= 0 && iw < W ? q[((n * Cin + ci) * H + ih) * W + iw] - zp : 0;
                    s += v * codes[((co * Cin + ci) * 3 + i) * 3 + j];
                  }
                }
              }
              const at = ((n * Cout + co) * Ho + oh) * Wo + ow;
              if (Math.abs(got[at] - s) > 0) expect.fail(`N=${N} Cin=${Cin} ${H}x${W} Cout=${Cout} pad=${pad}: y[${n},${co},${oh},${ow}] = ${got[at]}, expected ${s}`);
            }
          }
        }
      }
      // Real scales, bias and the fused ReLU: the same floats as the direct path's.
      const scales = Float32Array.from({ length: Cout }, (_, i) => Math.fround(0.013 + 0.001 * i));
      const bias = Float32Array.from({ length: Cout }, (_, i) => Math.fround(0.5 - 0.1 * i));
      for (const relu of [false, true]) {
        const w = kernelConv("winograd", codes, x, N, Cin, H, W, Cout, pad, zp, scales, bias, relu);
        const d = kernelConv("rows", codes, x, N, Cin, H, W, Cout, pad, zp, scales, bias, relu);
        expect(w).toEqual(d);
      }
    }
  });
});

/** |quantized − float| ≤ Σ_k (|x_k| + sx/2)·sw/2 + sx/2·|w_k| per output, plus float rounding. */
function linearBound(x: Float32Array, w: Float32Array, sw: Float32Array, sx: number, M: number, N: number, K: number): Float32Array {
  const bound = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let b = 0, mag = 0;
      for (let k = 0; k < K; k++) {
        b += (Math.abs(x[m * K + k]) + sx / 2) * (sw[n] / 2) + (sx / 2) * Math.abs(w[n * K + k]);
        mag += Math.abs(x[m * K + k] * w[n * K + k]);
      }
      bound[m * N + n] = b + 1e-5 * mag + 1e-6;
    }
  }
  return bound;
}

function expectWithin(got: Float32Array, want: Float32Array, bound: Float32Array): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= bound[i])) expect.fail(`element ${i}: ${got[i]} vs float ${want[i]}, beyond the bound ${bound[i]}`);
  }
}

describe("quantized layers vs float32", () => {
  it("a statically quantized Linear stays within the quantization error bound", () => {
    manualSeed(3);
    const lin = new nn.Linear(45, 13);
    const x = randn([10, 45]);
    const want = noGrad(() => lin.forward(x)).float32Data();
    const w = lin.weight.float32Data();
    const q = quantize(new nn.Sequential(lin), { calibration: [x] }) as nn.Sequential;
    const ql = q[0] as InstanceType<typeof QuantizedLinear>;
    expect(ql).toBeInstanceOf(QuantizedLinear);
    const sx = ql.input_scale.float32Data()[0];
    const got = noGrad(() => q.forward(x)).float32Data();
    expectWithin(got, want, linearBound(x.float32Data(), w, ql.weight_scale.float32Data(), sx, 10, 13, 45));
    // The calibrated range covers the batch, 0 included: scale = (max(x, 0) − min(x, 0)) / 127.
    const xs = x.float32Data();
    expect(sx).toBeCloseTo((Math.max(...xs, 0) - Math.min(...xs, 0)) / 127, 6);
  });

  it("dynamic quantization quantizes each batch by its own range", () => {
    manualSeed(4);
    const lin = new nn.Linear(30, 9);
    const ref = new nn.Linear(30, 9);
    ref.loadStateDict(lin.stateDict());
    const model = quantizeDynamic(new nn.Sequential(lin)) as nn.Sequential;
    const dq = model[0] as InstanceType<typeof DynamicQuantizedLinear>;
    expect(dq).toBeInstanceOf(DynamicQuantizedLinear);
    for (const scale of [1, 50]) {
      const x = randn([6, 30]).mul(scale);
      const xs = x.float32Data();
      const sx = (Math.max(...xs, 0) - Math.min(...xs, 0)) / 127;
      const want = noGrad(() => ref.forward(x)).float32Data();
      const got = noGrad(() => model.forward(x)).float32Data();
      expectWithin(got, want, linearBound(xs, ref.weight.float32Data(), dq.weight_scale.float32Data(), sx, 6, 9, 30));
    }
  });

  it("a quantized Conv2d (padding, stride, dilation, groups, fused ReLU) stays within the error bound", () => {
    manualSeed(5);
    for (const [opts, fuse] of [[{ padding: 1 }, true], [{ stride: 2, dilation: 2, padding: 2 }, false], [{ groups: 2, padding: "same" }, true]] as const) {
      const conv = new nn.Conv2d(4, 6, 3, opts as never);
      const x = randn([2, 4, 9, 8]);
      const float = new nn.Sequential(conv, ...(fuse ? [new nn.ReLU()] : []));
      const want = noGrad(() => float.eval().forward(x)).float32Data();
      const weight = conv.weight.float32Data();
      const q = quantize(float, { calibration: [x] }) as nn.Sequential;
      const qc = q[0] as InstanceType<typeof QuantizedConv2d>;
      expect(qc).toBeInstanceOf(QuantizedConv2d);
      const got = noGrad(() => q.forward(x)).float32Data();
      // Per output: the bound of a Linear over the patch, taken loosely over the whole input
      // channel group (every patch entry is at most max|x|).
      const sx = qc.input_scale.float32Data()[0], sw = qc.weight_scale.float32Data();
      const maxX = Math.max(...x.float32Data().map(Math.abs));
      const perCh = weight.length / 6;
      const bound = new Float32Array(want.length).map((_, i) => {
        const c = Math.floor(i / (want.length / 2 / 6)) % 6;
        let b = 0;
        for (let k = 0; k < perCh; k++) b += (maxX + sx / 2) * (sw[c] / 2) + (sx / 2) * Math.abs(weight[c * perCh + k]);
        return b + 1e-5;
      });
      expectWithin(got, want, bound);
      // The error is far below the bound's worst case: a real check that the codes line up.
      const rms = Math.sqrt(got.reduce((s, v, i) => s + (v - want[i]) ** 2, 0) / got.length);
      const scale = Math.sqrt(want.reduce((s, v) => s + v * v, 0) / want.length);
      expect(rms).toBeLessThan(0.03 * scale);
    }
  });
});

describe("the quantization flow", () => {
  it("prepare, calibrate, convert: observers take min/max over every batch", () => {
    manualSeed(6);
    const model = new nn.Sequential(new nn.Linear(8, 5), new nn.ReLU(), new nn.Linear(5, 3));
    prepare(model.eval());
    noGrad(() => {
      model.forward(tensor([[-2, 0, 0, 0, 0, 0, 0, 1]]));
      model.forward(tensor([[0, 0, 0, 3, 0, 0, 0, 0]]));
    });
    const q = convert(model) as nn.Sequential;
    const first = q[0] as InstanceType<typeof QuantizedLinear>;
    expect(first.input_scale.float32Data()[0]).toBeCloseTo(5 / 127, 7);
    expect(first.input_zero_point.int32Data()[0]).toBe(Math.round(2 / (5 / 127)));
    expect(q[2]).toBeInstanceOf(QuantizedLinear);
    expect(q.toString()).toContain("QuantizedLinear(in_features=8, out_features=5");
  });

  it("skip keeps named layers in float32; a model that is a layer comes back as the quantized layer", () => {
    const model = new nn.Sequential(new nn.Linear(4, 4), new nn.ReLU(), new nn.Linear(4, 2));
    const q = quantize(model, { calibration: [randn([3, 4])], skip: ["2"] }) as nn.Sequential;
    expect(q[0]).toBeInstanceOf(QuantizedLinear);
    expect(q[2]).toBeInstanceOf(nn.Linear);
    const single = quantizeDynamic(new nn.Linear(4, 2));
    expect(single).toBeInstanceOf(DynamicQuantizedLinear);
    expect(noGrad(() => (single as InstanceType<typeof DynamicQuantizedLinear>).forward(randn([2, 4]))).shape).toEqual([2, 2]);
  });

  it("runs steady-state inference with flat memory", () => {
    const model = quantize(new nn.Sequential(new nn.Conv2d(2, 4, 3), new nn.ReLU(), new nn.Flatten(), new nn.Linear(4 * 6 * 6, 3)), { calibration: [randn([2, 2, 8, 8])] }) as nn.Sequential;
    const x = randn([2, 2, 8, 8]);
    const step = () => noGrad(() => tidy(() => void model.forward(x)));
    step();
    step();
    const before = memoryStats();
    for (let i = 0; i < 20; i++) step();
    const after = memoryStats();
    expect(after.bytesInUse).toBe(before.bytesInUse);
    expect(after.bytesReserved).toBe(before.bytesReserved);
    expect(after.liveTensors).toBe(before.liveTensors);
  });
});

describe("quantized state dicts", () => {
  it("save as I8 codes + F32 scales and load back into a freshly built quantized model, bit for bit", () => {
    manualSeed(7);
    const make = () => new nn.Sequential(new nn.Conv2d(1, 3, 3), new nn.ReLU(), new nn.Flatten(), new nn.Linear(3 * 4 * 4, 5));
    const x = keep(rand([2, 1, 6, 6]));
    const q = quantize(make(), { calibration: [x] }) as nn.Sequential;
    const bytes = save(q.stateDict());
    const header = decodeSafetensors(bytes).tensors;
    expect(header["0.weight"].dtype).toBe("I8");
    expect(header["3.weight"].dtype).toBe("I8");
    expect(header["0.weight_scale"].dtype).toBe("F32");
    expect(header["3.input_scale"].dtype).toBe("F32");
    const want = noGrad(() => q.forward(x)).float32Data();
    // Another model with other calibration, then the saved state loaded over it.
    const other = quantize(make(), { calibration: [randn([2, 1, 6, 6]).mul(3)] }) as nn.Sequential;
    expect(Array.from(noGrad(() => other.forward(x)).float32Data())).not.toEqual(Array.from(want));
    const sd = load(bytes);
    other.loadStateDict(sd);
    dispose(sd);
    expect(Array.from(noGrad(() => other.forward(x)).float32Data())).toEqual(Array.from(want));
  });

  it("loading is validated and atomic: a float checkpoint is refused, the model unchanged", () => {
    const q = quantize(new nn.Sequential(new nn.Linear(3, 2)), { calibration: [randn([2, 3])] }) as nn.Sequential;
    const x = randn([2, 3]);
    const before = noGrad(() => q.forward(x)).float32Data();
    const floatState = new nn.Sequential(new nn.Linear(3, 2)).stateDict();
    expect(() => q.loadStateDict(floatState)).toThrow(/missing keys: 0\.weight_scale, 0\.input_scale, 0\.input_zero_point/);
    expect(Array.from(noGrad(() => q.forward(x)).float32Data())).toEqual(Array.from(before));
  });

  it("a code outside int8 is an error naming the layer, at save and at use", () => {
    const q = new QuantizedLinear(2, 1);
    q.weight.fill_(300);
    expect(() => save(q.stateDict())).toThrow(/save: "weight" holds int8 codes but element 0 is 300/);
    expect(() => noGrad(() => q.eval().forward(randn([1, 2])))).toThrow(/QuantizedLinear: weight code 300 at index 0 is outside the int8 range/);
  });
});

describe("errors", () => {
  it("training a quantized model is an error naming the layer", () => {
    const q = quantize(new nn.Sequential(new nn.Linear(3, 2)), { calibration: [randn([2, 3])] });
    q.train();
    expect(() => q.forward(randn([1, 3]))).toThrow(/QuantizedLinear: a quantized layer runs inference only and cannot be trained/);
    q.eval();
    const x = randn([1, 3]).setRequiresGrad();
    expect(() => q.forward(x)).toThrow(/QuantizedLinear: quantized layers run inference only and have no gradient/);
    expect(q.parameters()).toEqual([]);
  });

  it("bad options and misuse are named", () => {
    const model = () => new nn.Sequential(new nn.Linear(3, 2));
    const x = randn([2, 3]);
    expect(() => quantize(model(), { calibration: [x], inplace: false } as never)).toThrow(/quantize.*inplace/);
    expect(() => quantize(model(), {} as never)).toThrow(/quantize: options.calibration is required/);
    expect(() => quantize(model(), { calibration: 3 } as never)).toThrow(/quantize.*calibration.*iterable/);
    expect(() => quantize(model(), { calibration: [] })).toThrow(/quantize: options.calibration gave no batch/);
    expect(() => quantize(model(), { calibration: [[1, 2]] } as never)).toThrow(/quantize: calibration batch 0 must be a Tensor/);
    expect(() => quantize(model(), { calibration: [x], skip: ["9"] })).toThrow(/quantize: skip names no module "9" \(modules: "", "0"\)/);
    expect(() => quantizeDynamic(model(), { dtype: "float16" } as never)).toThrow(/quantizeDynamic.*dtype/);
    expect(() => quantizeDynamic(new nn.Sequential(new nn.ReLU()))).toThrow(/quantizeDynamic: the model has no Linear layer/);
    expect(() => convert(model())).toThrow(/convert: the model was not prepared/);
    const m = prepare(model());
    expect(() => prepare(m)).toThrow(/prepare: the model is already prepared/);
    expect(() => convert(m)).toThrow(/convert: no calibration batch reached "0"/);
    expect(() => new QuantizedConv2d(3, 4, 3, { groups: 2 })).toThrow(/QuantizedConv2d: in_channels \(3\) and out_channels \(4\) must both be divisible by groups \(2\)/);
    expect(() => new QuantizedLinear(3, 2, { bias: 1 } as never)).toThrow(/QuantizedLinear.*bias/);
  });

  it("a failed calibration leaves the float model as it was (no observers, no swap)", () => {
    const lin = new nn.Linear(3, 2);
    const model = new nn.Sequential(lin);
    expect(() => quantize(model, { calibration: [randn([2, 4])] })).toThrow(/linear: input \[2, 4\] does not match weight \[2, 3\]/);
    expect(model[0]).toBe(lin);
    expect(Object.hasOwn(lin, "forward")).toBe(false);
    expect(noGrad(() => model.forward(randn([1, 3]))).shape).toEqual([1, 2]);
  });

  it("a quantized layer checks its input", () => {
    const q = quantize(new nn.Sequential(new nn.Conv2d(2, 3, 3)), { calibration: [randn([1, 2, 5, 5])] });
    expect(() => noGrad(() => q.forward(randn([1, 3, 5, 5])))).toThrow(/QuantizedConv2d: weight \[3, 2, 3, 3\] with groups=1 expects 2 input channels, got input \[1, 3, 5, 5\]/);
    const l = quantizeDynamic(new nn.Linear(4, 2));
    expect(() => noGrad(() => (l as nn.Linear).forward(randn([2, 5])))).toThrow(/DynamicQuantizedLinear: input \[2, 5\] does not match the layer's 4 input features/);
    expect(() => noGrad(() => (l as nn.Linear).forward(tensor([[1, 2, 3, 4]], { dtype: "int32" })))).toThrow(/DynamicQuantizedLinear: expected float32/);
  });
});

// The int8 kernels (assembly/qgemm.ts) on raw pointers: the packed weights and the epilogue arrays
// a quantized layer keeps in wasm memory, the per-call scratch blocks, and the call sequences of a
// quantized Linear and Conv2d. The layout of the packed operands stays inside the kernels.
import { heap } from "./memory.js";
import { backend } from "./wasm.js";

// The output channels of one packed panel (assembly/qgemm.ts NR): epilogue arrays are padded to it.
const PANEL = 8;

/** How activations are quantized: x ≈ scale·(q − zeroPoint). */
export interface ActivationQParams {
  scale: number;
  zeroPoint: number;
}

/** A convolution's shape, as ops/conv.ts conv2dGeometry gives it. */
export interface QConvGeometry {
  N: number; Cin: number; H: number; W: number; Cout: number; Ho: number; Wo: number;
  kh: number; kw: number; sh: number; sw: number; ph: number; pw: number; dh: number; dw: number; groups: number;
}

/** A scratch block for one call, released when fn returns or throws. */
function withScratch<T>(bytes: number, what: string, fn: (ptr: number) => T): T {
  const ptr = heap().alloc(bytes, what);
  try {
    return fn(ptr);
  } finally {
    heap().release(ptr, bytes);
  }
}

let rangeScratch = 0;

/** [min, max] of n floats at ptr (n ≥ 1), by one SIMD pass. */
export function rangeOf(ptr: number, n: number): [number, number] {
  rangeScratch ||= heap().alloc(8, "quantization range scratch");
  const b = backend();
  b.kernels.qgemm_range_f32(ptr, n, rangeScratch);
  const r = new Float32Array(b.memory.buffer, rangeScratch, 2);
  return [r[0], r[1]];
}

/**
 * Weights in the kernel's packed layout, per group: codes [groups·Ng, K] packed into panels,
 * with each channel's code sum. Owns its wasm block.
 */
export class PackedWeights {
  readonly ptr: number;
  /** Depth of a channel (Cin/groups·kh·kw; in_features). */
  readonly K: number;
  /** Output channels per group. */
  readonly Ng: number;
  /** Σ_k code[n, k] per channel, for the zero-point correction. */
  readonly sums: Int32Array;
  private readonly bytes: number;
  private readonly groupBytes: number;

  /**
   * codes: N channels of int8 values (as int32) [groups·Ng, ...]; K = the per-channel size. A convolution's
   * codes [Cout, Cg, kh, kw] are packed in tap-major order (kh·kw taps of Cg channels), the order
   * qgemm_im2col gathers its channels-last patches in.
   */
  constructor(op: string, codes: Int32Array, N: number, readonly groups: number, taps = 1) {
    this.K = codes.length / Math.max(N, 1);
    this.Ng = N / groups;
    const k = backend().kernels;
    const src = codes;
    for (let i = 0; i < src.length; i++) {
      if (!(src[i] >= -128 && src[i] <= 127)) {
        throw new Error(`${op}: weight code ${src[i]} at index ${i} is outside the int8 range [-128, 127]`);
      }
    }
    this.groupBytes = k.qgemm_packed_w_bytes(this.Ng, this.K);
    this.bytes = this.groupBytes * groups;
    this.ptr = heap().alloc(this.bytes, `${op} packed weights`);
    this.sums = withScratch(codes.length, `${op} weight staging`, (staging) => withScratch(4 * N, `${op} weight sums`, (sums) => {
      const dst = new Int8Array(backend().memory.buffer, staging, codes.length);
      const cg = this.K / taps;
      for (let o = 0; o < N; o++) {
        for (let c = 0; c < cg; c++) for (let t = 0; t < taps; t++) dst[o * this.K + t * cg + c] = src[o * this.K + c * taps + t];
      }
      for (let g = 0; g < groups; g++) {
        k.qgemm_pack_w(staging + g * this.Ng * this.K, this.Ng, this.K, this.ptr + g * this.groupBytes, sums + 4 * g * this.Ng);
      }
      return new Int32Array(backend().memory.buffer, sums, N).slice();
    }));
  }

  /** The packed panels of group g. */
  group(g: number): number {
    return this.ptr + g * this.groupBytes;
  }

  dispose(): void {
    heap().release(this.ptr, this.bytes);
  }
}

/**
 * The epilogue's per-channel scale and offset for an input quantized with `input`:
 * y = scale[n]·acc + offset[n], scale[n] = sx·sw[n], offset[n] = bias[n] − zp·Σ_k code[n, k]·scale[n].
 * Each group's channels are padded to a whole panel. Owns one wasm block (two arrays).
 */
export class Epilogue {
  readonly ptr: number;
  private readonly stride: number;
  private readonly total: number;

  constructor(weights: PackedWeights, weightScales: Float32Array, bias: Float32Array | null, input: ActivationQParams) {
    this.stride = Math.ceil(weights.Ng / PANEL) * PANEL;
    this.total = this.stride * weights.groups;
    this.ptr = heap().alloc(8 * this.total, "quantized epilogue");
    this.fill(weights, weightScales, bias, input);
  }

  /** Rewrites the arrays for another input scale (dynamic quantization: every batch). */
  fill(weights: PackedWeights, weightScales: Float32Array, bias: Float32Array | null, input: ActivationQParams): void {
    const total = this.total;
    const v = new Float32Array(backend().memory.buffer, this.ptr, 2 * total).fill(0);
    const sums = weights.sums;
    for (let g = 0; g < weights.groups; g++) {
      for (let j = 0; j < weights.Ng; j++) {
        const n = g * weights.Ng + j;
        const scale = Math.fround(input.scale * weightScales[n]);
        v[g * this.stride + j] = scale;
        v[total + g * this.stride + j] = (bias ? bias[n] : 0) - input.zeroPoint * sums[n] * scale;
      }
    }
  }

  scale(g: number): number {
    return this.ptr + 4 * g * this.stride;
  }

  offset(g: number): number {
    return this.ptr + 4 * (this.total + g * this.stride);
  }

  dispose(): void {
    heap().release(this.ptr, 8 * this.total);
  }
}

/** y [M, N] = the quantized product of x [M, K] (floats at x) with the packed weights. */
export function qlinear(op: string, x: number, M: number, weights: PackedWeights, epilogue: Epilogue, input: ActivationQParams, relu: boolean, y: number): void {
  const k = backend().kernels;
  const { K, Ng: N } = weights;
  withScratch(k.qgemm_packed_a_bytes(M, K), `${op} quantized input`, (a) => {
    k.qgemm_quantize_rows(x, M, K, K, 1 / input.scale, input.zeroPoint, a);
    k.qgemm_s8(M, N, K, a, weights.group(0), epilogue.scale(0), epilogue.offset(0), +relu, y, N, 1);
  });
}

/**
 * y [N, Cout, Ho, Wo] = the quantized convolution of x [N, Cin, H, W]: per image, the input is
 * quantized channels-last, then per group its patches are gathered and multiplied.
 */
export function qconv2d(op: string, g: QConvGeometry, x: number, weights: PackedWeights, epilogue: Epilogue, input: ActivationQParams, relu: boolean, y: number): void {
  const k = backend().kernels;
  const P = g.Ho * g.Wo, cinG = g.Cin / g.groups, plane = g.H * g.W;
  const K = weights.K;
  withScratch(g.Cin * plane, `${op} quantized input`, (xq) => {
    withScratch(k.qgemm_packed_a_bytes(P, K), `${op} patches`, (a) => {
      for (let n = 0; n < g.N; n++) {
        k.qgemm_quantize_nhwc(x + 4 * n * g.Cin * plane, g.Cin, plane, 1 / input.scale, input.zeroPoint, xq);
        for (let gi = 0; gi < g.groups; gi++) {
          k.qgemm_im2col(xq + gi * cinG, g.Cin, cinG, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.Ho, g.Wo, input.zeroPoint, a);
          const out = y + 4 * (n * g.Cout + gi * weights.Ng) * P;
          k.qgemm_s8(P, weights.Ng, K, a, weights.group(gi), epilogue.scale(gi), epilogue.offset(gi), +relu, out, 1, P);
        }
      }
    });
  });
}

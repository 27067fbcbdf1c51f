// The int8 kernels (assembly/qgemm.ts) on raw pointers: the packed weights and the epilogue arrays
// a quantized layer keeps in wasm memory, the per-call scratch blocks, and the call sequences of a
// quantized Linear and Conv2d. The layout of the packed operands stays inside the kernels.
import { heap } from "./memory.js";
import { QgemmFlags } from "./kernels.js";
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
 * How a layer's weights are packed: as panels (a Linear's: the columns of its product), as rows (a
 * convolution's: the rows of its product, so the output is stored along the pixels), or as
 * Winograd's transformed kernels (a stride-1, undilated, ungrouped 3x3 convolution with enough
 * channels: winogradApplies).
 */
export type WeightLayout = "panels" | "rows" | "winograd";

// Winograd F(2x2, 3x3) (assembly/qgemm.ts qgemm_winograd; in the relaxed builds only,
// qgemm_winograd_built) pays once both sides have enough channels, as for the f32 convolutions
// (ops/conv-passes.ts); its int32 sums stay exact up to WINOGRAD_MAX_CIN input channels
// (4·9·Cin·127·128 < 2^31).
const WINOGRAD_MIN_CHANNELS = 8;
const WINOGRAD_MIN_CHANNEL_PAIRS = 128;
const WINOGRAD_MAX_CIN = 3600;

/** Whether a convolution of this shape runs by the int8 Winograd kernel (in a build that has it). */
export function winogradApplies(Cin: number, Cout: number, kernel: number[], stride: number[], dilation: number[], groups: number): boolean {
  return backend().kernels.qgemm_winograd_built() !== 0 && kernel.every((k) => k === 3) && stride.every((s) => s === 1) && dilation.every((d) => d === 1) && groups === 1 &&
    Math.min(Cin, Cout) >= WINOGRAD_MIN_CHANNELS && Cin * Cout >= WINOGRAD_MIN_CHANNEL_PAIRS && Cin <= WINOGRAD_MAX_CIN;
}

/**
 * Weights in the kernel's packed layout (WeightLayout), per group: codes [groups·Ng, K], with each
 * channel's code sum. Owns its wasm block.
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

  /** codes: N channels of int8 values (as int32) [groups·Ng, ...] in PyTorch's order; K = the per-channel size. */
  constructor(op: string, codes: Int32Array, N: number, readonly groups: number, readonly layout: WeightLayout) {
    this.K = codes.length / Math.max(N, 1);
    this.Ng = N / groups;
    const k = backend().kernels;
    for (let i = 0; i < codes.length; i++) {
      if (!(codes[i] >= -128 && codes[i] <= 127)) {
        throw new Error(`${op}: weight code ${codes[i]} at index ${i} is outside the int8 range [-128, 127]`);
      }
    }
    const cin = this.K / 9;
    this.groupBytes = layout === "rows" ? k.qgemm_packed_rows_bytes(this.Ng, this.K)
      : layout === "panels" ? k.qgemm_packed_panels_bytes(this.Ng, this.K) : k.qgemm_winograd_weights_bytes(this.Ng, cin);
    this.bytes = this.groupBytes * groups;
    this.ptr = heap().alloc(this.bytes, `${op} packed weights`);
    this.sums = withScratch(codes.length, `${op} weight staging`, (staging) => withScratch(4 * N, `${op} weight sums`, (sums) => {
      new Int8Array(backend().memory.buffer, staging, codes.length).set(codes);
      for (let g = 0; g < groups; g++) {
        const src = staging + g * this.Ng * this.K, dst = this.ptr + g * this.groupBytes, gsums = sums + 4 * g * this.Ng;
        if (layout === "winograd") k.qgemm_winograd_weights(src, this.Ng, cin, dst, gsums);
        else k.qgemm_pack(src, this.Ng, this.K, dst, gsums, +(layout === "rows"));
      }
      return new Int32Array(backend().memory.buffer, sums, N).slice();
    }));
  }

  /** The packed weights of group g. */
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

/** y [M, N] = the quantized product of x [M, K] (floats at x) with the packed weights (panels). */
export function qlinear(op: string, x: number, M: number, weights: PackedWeights, epilogue: Epilogue, input: ActivationQParams, relu: boolean, y: number): void {
  const k = backend().kernels;
  const { K, Ng: N } = weights;
  withScratch(k.qgemm_packed_rows_bytes(M, K), `${op} quantized input`, (a) => {
    k.qgemm_quantize_rows(x, M, K, K, 1 / input.scale, input.zeroPoint, a);
    k.qgemm_s8(M, N, K, a, weights.group(0), epilogue.scale(0), epilogue.offset(0), relu ? QgemmFlags.relu : 0, y, N);
  });
}

/**
 * y [N, Cout, Ho, Wo] = the quantized convolution of x [N, Cin, H, W] with the packed weights
 * (rows): per image, the input is quantized into a zero-point-padded copy, then per group its
 * patches are gathered into panels and multiplied, the output stored along the pixels.
 */
export function qconv2d(op: string, g: QConvGeometry, x: number, weights: PackedWeights, epilogue: Epilogue, input: ActivationQParams, relu: boolean, y: number): void {
  if (weights.layout === "winograd") return qconv2dWinograd(op, g, x, weights, epilogue, input, relu, y);
  const k = backend().kernels;
  const P = g.Ho * g.Wo, cinG = g.Cin / g.groups;
  // The padded image covers every window and no more: rows and columns beyond are never read.
  const Hp = (g.Ho - 1) * g.sh + (g.kh - 1) * g.dh + 1, Wp = (g.Wo - 1) * g.sw + (g.kw - 1) * g.dw + 1;
  const K = weights.K, kp = K + 4;
  const flags = (relu ? QgemmFlags.relu : 0) | QgemmFlags.perRow;
  // 16 bytes of slack: a panel's 8-byte loads may reach past the last pixel's window.
  withScratch(g.Cin * Hp * Wp + 16, `${op} quantized input`, (xq) => {
    withScratch(k.qgemm_packed_panels_bytes(P, K) + 4 * (kp + 10), `${op} patches`, (a) => {
      const tab = a + k.qgemm_packed_panels_bytes(P, K), base = tab + 4 * kp;
      for (let n = 0; n < g.N; n++) {
        k.qgemm_quantize_image(x + 4 * n * g.Cin * g.H * g.W, g.Cin, g.H, g.W, Hp, Wp, g.ph, g.pw, 1 / input.scale, input.zeroPoint, xq);
        for (let gi = 0; gi < g.groups; gi++) {
          k.qgemm_im2col(xq + gi * cinG * Hp * Wp, cinG, Hp, Wp, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.Ho, g.Wo, tab, base, a);
          const out = y + 4 * (n * g.Cout + gi * weights.Ng) * P;
          k.qgemm_s8(weights.Ng, P, K, weights.group(gi), a, epilogue.scale(gi), epilogue.offset(gi), flags, out, P);
        }
      }
    });
  });
}

/**
 * The same convolution by Winograd F(2x2, 3x3) (weights packed "winograd"): per image, the input
 * quantized into a zero-point-padded copy covering whole tiles (2x2 outputs, 8 tiles to a panel),
 * then one kernel call; the output equals qconv2d's bit for bit.
 */
function qconv2dWinograd(op: string, g: QConvGeometry, x: number, weights: PackedWeights, epilogue: Epilogue, input: ActivationQParams, relu: boolean, y: number): void {
  const k = backend().kernels;
  const tilesH = Math.ceil(g.Ho / 2), tilesW = Math.ceil(g.Wo / 16) * 8;
  const Hp = 2 * tilesH + 2, Wp = 2 * tilesW + 2;
  const cp = g.Cin + (g.Cin & 1);
  withScratch(g.Cin * Hp * Wp, `${op} quantized input`, (xq) => {
    withScratch(2560 + 256 * cp, `${op} Winograd tiles`, (scratch) => {
      for (let n = 0; n < g.N; n++) {
        k.qgemm_quantize_image(x + 4 * n * g.Cin * g.H * g.W, g.Cin, g.H, g.W, Hp, Wp, g.ph, g.pw, 1 / input.scale, input.zeroPoint, xq);
        k.qgemm_winograd(xq, g.Cin, Hp, Wp, tilesH, tilesW, weights.ptr, g.Cout, epilogue.scale(0), epilogue.offset(0), +relu, y + 4 * n * g.Cout * g.Ho * g.Wo, g.Ho, g.Wo, scratch);
      }
    });
  });
}

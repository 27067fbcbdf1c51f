// int8 inference ops on the kernels of assembly/qgemm.ts. Weights are int8 codes with one scale
// per output channel (symmetric: w ≈ scale[n]·code, codes in [-127, 127]); activations are
// quantized on the way in to 7 bits, x ≈ scale·(q − zeroPoint) with q in [0, 127] (PyTorch's
// fbgemm default, reduce_range; see assembly/qgemm.ts for why 7). Each op takes float32 and
// returns float32: the epilogue dequantizes, adds the bias and applies a fused ReLU, so float
// layers (pooling, flatten, softmax) run unchanged between quantized ones. No op here records a
// backward: quantized layers run inference only.
import { backend } from "../backend/wasm.js";
import { heap } from "../backend/memory.js";
import { Tensor, shapeToString, numel } from "../tensor.js";
import { isGradEnabled } from "../autograd.js";
import { checkFloat } from "./checks.js";
import type { Geometry } from "./conv-passes.js";

/** The activation codes' range (7 bits, see above). */
export const ACTIVATION_QMIN = 0;
export const ACTIVATION_QMAX = 127;
/** The weight codes' range (symmetric int8). */
export const WEIGHT_QMAX = 127;
// PyTorch's observers' floor on a scale (torch.finfo(torch.float32).eps).
const SCALE_EPS = 1.1920928955078125e-7;
// The output channels of one packed panel (assembly/qgemm.ts NR): epilogue arrays are padded to it.
const PANEL = 8;

/** How activations are quantized: x ≈ scale·(q − zeroPoint). */
export interface ActivationQParams {
  scale: number;
  zeroPoint: number;
}

/**
 * PyTorch's MinMaxObserver qparams (affine, quint8 with reduce_range): the range is widened to
 * include 0, so 0.0 has an exact code (zero padding and ReLU outputs stay exact).
 */
export function activationQParams(min: number, max: number): ActivationQParams {
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    throw new Error(`quantization: the observed activation range [${min}, ${max}] is not finite (NaN or Infinity in the calibration data)`);
  }
  const lo = Math.min(min, 0), hi = Math.max(max, 0);
  const scale = Math.max((hi - lo) / (ACTIVATION_QMAX - ACTIVATION_QMIN), SCALE_EPS);
  const zeroPoint = Math.min(ACTIVATION_QMAX, Math.max(ACTIVATION_QMIN, ACTIVATION_QMIN - Math.round(lo / scale)));
  return { scale: Math.fround(scale), zeroPoint };
}

let rangeScratch = 0;

/** [min, max] of a float32 tensor's values, by one SIMD pass. */
export function valueRange(op: string, x: Tensor): [number, number] {
  checkFloat(op, x);
  if (x.size === 0) throw new Error(`${op}: cannot observe the range of an empty tensor ${shapeToString(x.shape)}`);
  rangeScratch ||= heap().alloc(8, "quantization range scratch");
  const b = backend();
  b.kernels.qgemm_range_f32(x.ptr, x.size, rangeScratch);
  const r = new Float32Array(b.memory.buffer, rangeScratch, 2);
  return [r[0], r[1]];
}

/** Symmetric per-output-channel int8 codes of a float weight [N, ...]: codes int32 (values in [-127, 127]), scales [N]. */
export function quantizeWeight(op: string, weight: Tensor): { codes: Tensor; scales: Tensor } {
  checkFloat(op, weight);
  const N = weight.shape[0], K = weight.size / Math.max(N, 1);
  const w = weight.float32Data();
  const codes = Tensor.empty(weight.shape, "int32", `${op} weight codes`);
  const scales = Tensor.empty([N], "float32", `${op} weight scales`);
  const c = codes.liveData() as Int32Array, s = scales.liveData() as Float32Array;
  for (let n = 0; n < N; n++) {
    let maxAbs = 0;
    for (let k = 0; k < K; k++) maxAbs = Math.max(maxAbs, Math.abs(w[n * K + k]));
    if (!Number.isFinite(maxAbs)) {
      codes.dispose();
      scales.dispose();
      throw new Error(`${op}: weight row ${n} holds NaN or Infinity and cannot be quantized`);
    }
    const scale = Math.fround(Math.max(maxAbs / WEIGHT_QMAX, SCALE_EPS));
    s[n] = scale;
    for (let k = 0; k < K; k++) c[n * K + k] = Math.max(-WEIGHT_QMAX, Math.min(WEIGHT_QMAX, Math.round(w[n * K + k] / scale)));
  }
  return { codes, scales };
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

  /** codes: int32 [groups·Ng, ...] holding int8 values; K = the per-channel size. */
  constructor(op: string, codes: Tensor, readonly groups: number) {
    const N = codes.shape[0];
    this.K = codes.size / Math.max(N, 1);
    this.Ng = N / groups;
    const k = backend().kernels;
    const src = codes.liveData();
    for (let i = 0; i < src.length; i++) {
      if (!(src[i] >= -128 && src[i] <= 127)) {
        throw new Error(`${op}: weight code ${src[i]} at index ${i} is outside the int8 range [-128, 127]`);
      }
    }
    this.groupBytes = k.qgemm_packed_w_bytes(this.Ng, this.K);
    this.bytes = this.groupBytes * groups;
    this.ptr = heap().alloc(this.bytes, `${op} packed weights`);
    this.sums = withScratch(codes.size, `${op} weight staging`, (staging) => withScratch(4 * N, `${op} weight sums`, (sums) => {
      new Int8Array(backend().memory.buffer, staging, codes.size).set(codes.liveData());
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

/** Quantized layers run inference only: an input that needs a gradient is refused, by name. */
export function checkInference(op: string, x: Tensor): void {
  if (x.requiresGrad && isGradEnabled()) {
    throw new Error(`${op}: quantized layers run inference only and have no gradient; call it under noGrad() or detach the input`);
  }
}

/** y = act(dequant(quant(x)·codesᵀ) + bias) for x [..., K]: a quantized Linear's forward. */
export function quantizedLinear(op: string, x: Tensor, weights: PackedWeights, epilogue: Epilogue, input: ActivationQParams, relu: boolean): Tensor {
  checkFloat(op, x);
  checkInference(op, x);
  const { K, Ng: N } = weights;
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== K) {
    throw new Error(`${op}: input ${shapeToString(x.shape)} does not match the layer's ${K} input features (expected [..., ${K}])`);
  }
  const M = numel(x.shape.slice(0, -1));
  const k = backend().kernels;
  const y = Tensor.empty([...x.shape.slice(0, -1), N], "float32", op);
  if (M === 0 || N === 0) return y;
  withScratch(k.qgemm_packed_a_bytes(M, K), `${op} quantized input`, (a) => {
    k.qgemm_quantize_rows(x.ptr, M, K, K, 1 / input.scale, input.zeroPoint, a);
    k.qgemm_s8(M, N, K, a, weights.group(0), epilogue.scale(0), epilogue.offset(0), +relu, y.ptr, N, 1);
  });
  return y;
}

/** A quantized Conv2d's forward over x [N, Cin, H, W] with the geometry g (ops/conv.ts conv2dGeometry). */
export function quantizedConv2d(op: string, x: Tensor, g: Geometry, weights: PackedWeights, epilogue: Epilogue, input: ActivationQParams, relu: boolean): Tensor {
  checkInference(op, x);
  const k = backend().kernels;
  const y = Tensor.empty([g.N, g.Cout, g.Ho, g.Wo], "float32", op);
  const P = g.Ho * g.Wo, cinG = g.Cin / g.groups, plane = g.H * g.W;
  if (y.size === 0) return y;
  const K = weights.K;
  withScratch(x.size, `${op} quantized input`, (xq) => {
    k.qgemm_quantize_bytes(x.ptr, x.size, 1 / input.scale, input.zeroPoint, xq);
    withScratch(k.qgemm_packed_a_bytes(P, K), `${op} patches`, (a) => {
      for (let n = 0; n < g.N; n++) {
        for (let gi = 0; gi < g.groups; gi++) {
          k.qgemm_im2col(xq + (n * g.Cin + gi * cinG) * plane, cinG, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.Ho, g.Wo, input.zeroPoint, a);
          const out = y.ptr + 4 * (n * g.Cout + gi * weights.Ng) * P;
          k.qgemm_s8(P, weights.Ng, K, a, weights.group(gi), epilogue.scale(gi), epilogue.offset(gi), +relu, out, 1, P);
        }
      }
    });
  });
  return y;
}

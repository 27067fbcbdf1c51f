// int8 inference ops on the kernels of assembly/qgemm.ts (through backend/qgemm.ts). Weights are
// int8 codes with one scale per output channel (symmetric: w ≈ scale[n]·code, codes in
// [-127, 127]); activations are quantized on the way in to 7 bits, x ≈ scale·(q − zeroPoint) with
// q in [0, 127] (PyTorch's fbgemm default, reduce_range; see assembly/qgemm.ts for why 7). Each op
// takes float32 and returns float32: the epilogue dequantizes, adds the bias and applies a fused
// ReLU, so float layers (pooling, flatten, softmax) run unchanged between quantized ones. No op
// here records a backward: quantized layers run inference only.
import { Epilogue, PackedWeights, qconv2d, qlinear, rangeOf, type ActivationQParams, type QConvGeometry } from "../backend/qgemm.js";
import { Tensor, shapeToString, numel } from "../tensor.js";
import { isGradEnabled } from "../autograd.js";
import { isTracing } from "../trace.js";
import { checkFloat } from "./checks.js";

export { Epilogue, PackedWeights, type ActivationQParams } from "../backend/qgemm.js";

/** The activation codes' range (7 bits, see above). */
export const ACTIVATION_QMIN = 0;
export const ACTIVATION_QMAX = 127;
/** The weight codes' range (symmetric int8). */
export const WEIGHT_QMAX = 127;
// PyTorch's observers' floor on a scale (torch.finfo(torch.float32).eps).
export const SCALE_EPS = 1.1920928955078125e-7;

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

/** [min, max] of a float32 tensor's values. */
export function valueRange(op: string, x: Tensor): [number, number] {
  checkFloat(op, x);
  if (x.size === 0) throw new Error(`${op}: cannot observe the range of an empty tensor ${shapeToString(x.shape)}`);
  return rangeOf(x.ptr, x.size);
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

/**
 * Quantized layers run inference only: an input that needs a gradient is refused, by name. Under
 * an ONNX export's trace (whose inputs require grad so untraced ops show up) the layers report
 * themselves, and no gradient is asked for.
 */
export function checkInference(op: string, x: Tensor): void {
  if (x.requiresGrad && isGradEnabled() && !isTracing()) {
    throw new Error(`${op}: quantized layers run inference only and have no gradient; call it under noGrad() or detach the input`);
  }
}

/** y = act(dequant(quant(x)·codesᵀ) + bias) for x [..., K]: a quantized Linear's forward. */
export function quantizedLinear(op: string, x: Tensor, weights: PackedWeights, epilogue: Epilogue, input: ActivationQParams, relu: boolean): Tensor<"float32"> {
  checkFloat(op, x);
  checkInference(op, x);
  const { K, Ng: N } = weights;
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== K) {
    throw new Error(`${op}: input ${shapeToString(x.shape)} does not match the layer's ${K} input features (expected [..., ${K}])`);
  }
  const M = numel(x.shape.slice(0, -1));
  const y = Tensor.empty([...x.shape.slice(0, -1), N], "float32", op);
  if (M > 0 && N > 0) qlinear(op, x.ptr, M, weights, epilogue, input, relu, y.ptr);
  return y;
}

/** A quantized Conv2d's forward over x [N, Cin, H, W] with the geometry g (ops/conv.ts conv2dGeometry). */
export function quantizedConv2d(op: string, x: Tensor, g: QConvGeometry, weights: PackedWeights, epilogue: Epilogue, input: ActivationQParams, relu: boolean): Tensor<"float32"> {
  checkInference(op, x);
  const y = Tensor.empty([g.N, g.Cout, g.Ho, g.Wo], "float32", op);
  if (y.size > 0) qconv2d(op, g, x.ptr, weights, epilogue, input, relu, y.ptr);
  return y;
}

// Gradient clipping, applied between backward() and step() (PyTorch's torch.nn.utils.clip_grad_*):
// in place on the .grad of each parameter; parameters without a gradient are skipped.
import { backend } from "../backend/wasm.js";
import { Unary } from "../backend/kernels.js";
import { Tensor } from "../tensor.js";

function gradsOf(params: Tensor | Iterable<Tensor>): Tensor[] {
  const list = params instanceof Tensor ? [params] : [...params];
  return list.flatMap((p) => (p.grad ? [p.grad] : []));
}

function sumOfPowers(values: Float32Array | Int32Array, p: number): number {
  let s = 0;
  for (const v of values) s += Math.abs(v) ** p;
  return s;
}

/**
 * Rescales the gradients so that their joint norm (the norm of all of them concatenated) is at most
 * maxNorm, and returns that norm as it was before clipping. As in PyTorch, the scale is
 * maxNorm / (norm + 1e-6), applied when it is below 1. normType is any p > 0 or Infinity (max |g|).
 */
export function clipGradNorm(params: Tensor | Iterable<Tensor>, maxNorm: number, normType = 2, options: { errorIfNonfinite?: boolean } = {}): number {
  if (!(normType > 0)) throw new Error(`clipGradNorm: normType must be positive or Infinity, got ${normType}`);
  const grads = gradsOf(params);
  const k = backend().kernels;
  let total = 0;
  if (normType === Infinity) {
    for (const g of grads) total = Math.max(total, k.lp_norm_pow_f32(g.ptr, g.size, Infinity));
  } else {
    // The kernel sums p = 1 and 2; other orders here, with Math.pow in double as the kernel did.
    for (const g of grads) total += normType === 1 || normType === 2 ? k.lp_norm_pow_f32(g.ptr, g.size, normType) : sumOfPowers(g.liveData(), normType);
    total = total ** (1 / normType);
  }
  if (options.errorIfNonfinite && !Number.isFinite(total)) {
    throw new Error(`clipGradNorm: the total norm of order ${normType} of the gradients is non-finite (${total}), so it cannot be clipped`);
  }
  const scale = maxNorm / (total + 1e-6);
  if (scale < 1) for (const g of grads) k.unary_f32(Unary.affine, g.ptr, g.ptr, g.size, scale, 0);
  return total;
}

/** Clamps every gradient element into [−clipValue, clipValue]. */
export function clipGradValue(params: Tensor | Iterable<Tensor>, clipValue: number): void {
  if (!(clipValue >= 0)) throw new Error(`clipGradValue: clipValue must be non-negative, got ${clipValue}`);
  const k = backend().kernels;
  for (const g of gradsOf(params)) k.unary_f32(Unary.clamp, g.ptr, g.ptr, g.size, -clipValue, clipValue);
}

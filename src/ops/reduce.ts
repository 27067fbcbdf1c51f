// Reductions (sum, mean, max/min, var/std, argmax/argmin, logsumexp), cumsum and softmax / log-softmax. Each kernel reduces one dim
// of the tensor viewed as [outer, r, inner]; several dims are reduced one after another.
import { record, needsGrad, noGrad, type BackwardFn } from "../autograd.js";
import { backend } from "../backend/wasm.js";
import { splitAt } from "../dims.js";
import { Tensor, shapeToString, tidy, type Shape } from "../tensor.js";
import { traced } from "../trace.js";
import { affine, exp } from "./elementwise.js";
import { expand, sumKernel } from "./broadcast.js";
import { reshape } from "./shape.js";
import { mul, sub } from "./binary.js";
import { checkFloat, normalizeDim } from "./checks.js";
import { Unary } from "../backend/kernels.js";
import { scatterAdd } from "./indexing.js";
import { zeros } from "./creation.js";

function normalizeDims(op: string, dim: number | number[] | null | undefined, shape: Shape): number[] | null {
  if (dim === null || dim === undefined) return null;
  const dims = (Array.isArray(dim) ? dim : [dim]).map((d) => normalizeDim(op, d, shape));
  if (new Set(dims).size !== dims.length) throw new Error(`${op}: dim ${JSON.stringify(dim)} repeats a dimension of ${shapeToString(shape)}`);
  return dims.sort((a, b) => a - b);
}

/**
 * The sum over dim (one dim or several; all elements when omitted or null), keepdim keeping them as size 1
 * (torch.sum).
 */
export function sum(x: Tensor, dim?: number | number[] | null, keepdim = false): Tensor<"float32"> {
  checkFloat("sum", x);
  const dims = normalizeDims("sum", dim, x.shape) ?? x.shape.map((_, i) => i);
  const kept = sumKernel(x, dims);
  const keepAll = dim === null || dim === undefined ? false : keepdim;
  const outShape = keepAll ? kept.shape : x.shape.filter((_, i) => !dims.includes(i));
  const out = kept.aliasAs(outShape);
  kept.dispose();
  if (needsGrad(x)) {
    const keepShape = x.shape.map((s, i) => (dims.includes(i) ? 1 : s));
    const xShape = x.shape;
    const backward: BackwardFn = ([g]) => [expand(reshape(g!, keepShape), xShape)];
    record("sum", [x], [out], [], backward, backward);
  }
  return traced("sum", [x], out, { dims, keepdim: keepAll });
}

/**
 * The mean over dim (one dim or several; all elements when omitted or null), keepdim keeping them as size 1
 * (torch.mean).
 */
export function mean(x: Tensor, dim?: number | number[] | null, keepdim = false): Tensor<"float32"> {
  checkFloat("mean", x);
  const dims = normalizeDims("mean", dim, x.shape) ?? x.shape.map((_, i) => i);
  const count = dims.reduce((n, d) => n * x.shape[d], 1);
  return tidy(() => affine(sum(x, dim, keepdim), 1 / count, 0));
}

/** The options of var and std (torch's `unbiased` / `correction` and `keepdim`). */
export interface VarianceOptions {
  /** Divide by n − 1 (true, the default) or by n; PyTorch's `unbiased`. */
  unbiased?: boolean;
  /** Divide by n − correction; PyTorch's `correction` (give this or `unbiased`, not both). */
  correction?: number;
  /** Keep the reduced dims as size 1. Default false. */
  keepdim?: boolean;
}

/** Variance over dims: Σ(x − mean)² / max(n − correction, 0); unbiased (correction 1) by default, like torch.var. */
export function variance(x: Tensor, dim?: number | number[] | null, options: VarianceOptions = {}): Tensor<"float32"> {
  return varianceOf("var", x, dim, options);
}

/** Standard deviation: the square root of variance() with the same options (torch.std). */
export function std(x: Tensor, dim?: number | number[] | null, options: VarianceOptions = {}): Tensor<"float32"> {
  return tidy(() => varianceOf("std", x, dim, options).sqrt());
}

function varianceOf(op: string, x: Tensor, dim: number | number[] | null | undefined, options: VarianceOptions): Tensor<"float32"> {
  checkFloat(op, x);
  const { unbiased, correction, keepdim = false } = options;
  if (unbiased !== undefined && correction !== undefined) throw new Error(`${op}: give either unbiased or correction, not both`);
  if (correction !== undefined && !Number.isInteger(correction)) throw new Error(`${op}: correction must be an integer, got ${correction}`);
  const c = correction ?? (unbiased === false ? 0 : 1);
  const dims = normalizeDims(op, dim, x.shape) ?? x.shape.map((_, i) => i);
  const count = dims.reduce((n, d) => n * x.shape[d], 1);
  return tidy(() => {
    const centered = sub(x, mean(x, dims, true));
    return affine(sum(centered.square(), dim === undefined || dim === null ? null : dims, keepdim), 1 / Math.max(count - c, 0), 0);
  });
}

/**
 * log Σ exp(x) over dims (torch.logsumexp), as max + log Σ exp(x − max) with the max held
 * constant (it cancels in the derivative), so it is built from differentiable ops only.
 */
export function logsumexp(x: Tensor, dim: number | number[], keepdim = false): Tensor<"float32"> {
  checkFloat("logsumexp", x);
  if (dim === null || dim === undefined) throw new Error("logsumexp: dim is required (an int or a list of ints)");
  const dims = normalizeDims("logsumexp", dim, x.shape)!;
  return tidy(() => {
    // An empty slice sums to 0, whose log is −Infinity, as in PyTorch.
    const m = x.size === 0 ? zeros(x.shape.map((s, i) => (dims.includes(i) ? 1 : s))) : noGrad(() => dims.reduce((t, d) => max(t, d, true).values, x));
    // An all-(±)Infinity slice would give Infinity − Infinity: shift it by 0 instead.
    const mv = m.liveData();
    for (let i = 0; i < mv.length; i++) if (!Number.isFinite(mv[i])) mv[i] = 0;
    const out = sum(sub(x, m).exp(), dims, true).log().add(m);
    return keepdim ? out : out.reshape(x.shape.filter((_, i) => !dims.includes(i)));
  });
}

/** Running sum along dim (torch.cumsum). */
export function cumsum(x: Tensor, dim: number): Tensor<"float32"> {
  checkFloat("cumsum", x);
  return cumsumAlong(x, normalizeDim("cumsum", dim, x.shape), false);
}

// The adjoint of a running sum is the running sum in the other direction.
function cumsumAlong(x: Tensor, d: number, reverse: boolean): Tensor<"float32"> {
  const [outer, r, inner] = splitAt(x.shape, d);
  const out = Tensor.empty(x.shape, "float32", "cumsum");
  backend().kernels.cumsum_dim_f32(x.ptr, out.ptr, outer, r, inner, +reverse);
  if (needsGrad(x)) {
    const backward: BackwardFn = ([g]) => [cumsumAlong(g!, d, !reverse)];
    record("cumsum", [x], [out], [], backward, backward);
  }
  return out;
}

/** What max and min along a dim return (torch's `(values, indices)` named tuple). */
export interface MaxResult {
  /** The maxima (or minima). */
  values: Tensor<"float32">;
  /** The positions of the extremes along dim (int32; flat indices without dim). */
  indices: Tensor<"int32">;
}

/** Max over all elements (values of shape [], flat index) or along dim (values and int32 indices). */
export function max(x: Tensor, dim?: number | null, keepdim = false): MaxResult {
  return extremum("max", x, dim, keepdim);
}

/** Min over all elements (values of shape [], flat index) or along dim (values and int32 indices). */
export function min(x: Tensor, dim?: number | null, keepdim = false): MaxResult {
  return extremum("min", x, dim, keepdim);
}

/** The max kernel, run on −x for min (NaN still wins, as in PyTorch); the gradient goes to the picked element. */
function extremum(op: "max" | "min", x: Tensor, dim: number | null | undefined, keepdim: boolean): MaxResult {
  checkFloat(op, x);
  const all = dim === null || dim === undefined;
  const d = all ? 0 : normalizeDim(op, dim, x.shape);
  const [outer, r, inner] = all ? [1, x.size, 1] : splitAt(x.shape, d);
  if (r === 0) {
    throw new Error(all ? `${op}: cannot reduce an empty tensor ${shapeToString(x.shape)} without a dim`
      : `${op}: cannot reduce dim ${d} of size 0 in ${shapeToString(x.shape)}`);
  }
  const keptShape = all ? x.shape.map(() => 1) : x.shape.map((s, i) => (i === d ? 1 : s));
  const outShape = all ? [] : keepdim ? keptShape : x.shape.filter((_, i) => i !== d);
  const values = Tensor.empty(outShape, "float32", op);
  const indices = Tensor.empty(outShape, "int32", `${op} indices`);
  const k = backend().kernels;
  if (op === "max") {
    k.max_dim_f32(x.ptr, values.ptr, indices.ptr, outer, r, inner);
  } else {
    const negated = Tensor.empty(x.shape, "float32", "min");
    k.unary_f32(Unary.neg, x.ptr, negated.ptr, x.size, 0, 0);
    k.max_dim_f32(negated.ptr, values.ptr, indices.ptr, outer, r, inner);
    negated.dispose();
    k.unary_f32(Unary.neg, values.ptr, values.ptr, values.size, 0, 0);
  }
  if (needsGrad(x)) {
    const xShape = x.shape, size = x.size;
    // Only the values are differentiable: indices stay out of the graph (requiresGrad false).
    // Built from scatterAdd, so the same backward serves createGraph.
    const backward: BackwardFn = ([g], [idx]) => {
      if (all) return [scatterAdd(zeros([size]), 0, idx.reshape([1]), g!.reshape([1])).reshape([...xShape])];
      return [scatterAdd(zeros(xShape), d, idx.reshape(keptShape), g!.reshape(keptShape))];
    };
    record(op, [x], [values], [indices], backward, backward);
  }
  return { values, indices };
}

/**
 * The int32 index of the largest value along dim, or into the flattened tensor when dim is omitted
 * (torch.argmax); the first one at ties.
 */
export function argmax(x: Tensor, dim?: number | null, keepdim = false): Tensor<"int32"> {
  const { values, indices } = noGrad(() => max(x, dim, keepdim));
  values.dispose();
  return indices;
}

/**
 * The int32 index of the smallest value along dim, or into the flattened tensor when dim is omitted
 * (torch.argmin); the first one at ties.
 */
export function argmin(x: Tensor, dim?: number | null, keepdim = false): Tensor<"int32"> {
  const { values, indices } = noGrad(() => min(x, dim, keepdim));
  values.dispose();
  return indices;
}

function softmaxOp(name: string, x: Tensor, dim: number, log: 0 | 1): Tensor<"float32"> {
  checkFloat(name, x);
  const d = normalizeDim(name, dim, x.shape);
  const [outer, r, inner] = splitAt(x.shape, d);
  const y = Tensor.empty(x.shape, "float32", name);
  backend().kernels.softmax_f32(x.ptr, y.ptr, outer, r, inner, log);
  if (needsGrad(x)) {
    record(name, [x], [y], [y], ([g], [ys]) => {
      const dx = Tensor.empty(ys.shape, "float32", `${name} backward`);
      backend().kernels.softmax_backward_f32(ys.ptr, g!.ptr, dx.ptr, outer, r, inner, log);
      return [dx];
    }, ([g], [ys]) =>
      // softmax: y ⊙ (g − Σ g⊙y); log-softmax: g − softmax(x) ⊙ Σ g
      log ? [sub(g!, mul(exp(ys), sum(g!, d, true)))] : [mul(ys, sub(g!, sum(mul(g!, ys), d, true)))],
    );
  }
  return traced("softmax", [x], y, { dim: d, log: log === 1 });
}

/**
 * exp(x)/Σ exp(x) along dim, computed from x − max (torch.softmax); fully −∞ rows give NaN, as in PyTorch.
 */
export const softmax = (x: Tensor, dim: number) => softmaxOp("softmax", x, dim, 0);
/**
 * log(softmax(x)) along dim, as x − logsumexp(x) (torch.log_softmax): stable where the probabilities
 * underflow.
 */
export const logSoftmax = (x: Tensor, dim: number) => softmaxOp("logSoftmax", x, dim, 1);

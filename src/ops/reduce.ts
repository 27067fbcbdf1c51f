// Reductions (sum, mean, max, var, argmax) and softmax / log-softmax. Each kernel reduces one dim
// of the tensor viewed as [outer, r, inner]; several dims are reduced one after another.
import { record, needsGrad, noGrad, type BackwardFn } from "../autograd.js";
import { backend } from "../backend/wasm.js";
import { Tensor, shapeToString, tidy, numel, type Shape } from "../tensor.js";
import { affine, exp } from "./elementwise.js";
import { expand, reshape } from "./shape.js";
import { mul, sub } from "./binary.js";
import { checkFloat, checkLive } from "./checks.js";

/** dim in [-rank, rank) as a non-negative index (a 0-d tensor takes 0 and -1, like PyTorch). */
export function normalizeDim(op: string, dim: number, shapeOrRank: Shape | number): number {
  const ndim = typeof shapeOrRank === "number" ? shapeOrRank : shapeOrRank.length;
  const lo = -Math.max(ndim, 1), hi = Math.max(ndim, 1) - 1;
  if (!Number.isInteger(dim) || dim < lo || dim > hi) {
    const what = typeof shapeOrRank === "number" ? `rank ${ndim}` : `shape ${shapeToString(shapeOrRank)}`;
    throw new Error(`${op}: dim ${dim} out of range for a tensor of ${what} (expected ${lo}..${hi})`);
  }
  return dim < 0 ? dim + Math.max(ndim, 1) : dim;
}

function splitAt(shape: Shape, dim: number): [number, number, number] {
  return [numel(shape.slice(0, dim)), shape[dim] ?? 1, numel(shape.slice(dim + 1))];
}

function normalizeDims(op: string, dim: number | number[] | null | undefined, shape: Shape): number[] | null {
  if (dim === null || dim === undefined) return null;
  const dims = (Array.isArray(dim) ? dim : [dim]).map((d) => normalizeDim(op, d, shape));
  if (new Set(dims).size !== dims.length) throw new Error(`${op}: dim ${JSON.stringify(dim)} repeats a dimension of ${shapeToString(shape)}`);
  return dims.sort((a, b) => a - b);
}

/** Sum over the given (sorted, valid) dims with keepdim semantics, no autograd. */
function sumKernel(x: Tensor, dims: number[]): Tensor {
  const k = backend().kernels;
  let cur = x;
  // Largest dim first so the smaller ones keep their positions.
  for (const d of [...dims].reverse()) {
    const shape = cur.shape.map((s, i) => (i === d ? 1 : s));
    const out = Tensor.empty(shape, "float32", "sum");
    const [outer, r, inner] = splitAt(cur.shape, d);
    k.sum_dim_f32(cur.ptr, out.ptr, outer, r, inner);
    if (cur !== x) cur.dispose();
    cur = out;
  }
  return cur === x ? x.clone() : cur;
}

export function sum(x: Tensor, dim?: number | number[] | null, keepdim = false): Tensor {
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
  return out;
}

export function mean(x: Tensor, dim?: number | number[] | null, keepdim = false): Tensor {
  checkFloat("mean", x);
  const dims = normalizeDims("mean", dim, x.shape) ?? x.shape.map((_, i) => i);
  const count = dims.reduce((n, d) => n * x.shape[d], 1);
  return tidy(() => affine(sum(x, dim, keepdim), 1 / count, 0));
}

/** Variance; unbiased (divide by n − 1) by default, like torch.var. */
export function variance(x: Tensor, dim?: number | number[] | null, options: { unbiased?: boolean; keepdim?: boolean } = {}): Tensor {
  checkFloat("var", x);
  const { unbiased = true, keepdim = false } = options;
  const dims = normalizeDims("var", dim, x.shape) ?? x.shape.map((_, i) => i);
  const count = dims.reduce((n, d) => n * x.shape[d], 1);
  return tidy(() => {
    const centered = sub(x, mean(x, dims, true));
    return affine(sum(centered.square(), dim === undefined || dim === null ? null : dims, keepdim), 1 / (count - (unbiased ? 1 : 0)), 0);
  });
}

/** Sums a broadcast gradient back to `shape` (leading dims and stretched size-1 dims); differentiable. */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const off = g.shape.length - shape.length;
  const dims = g.shape.map((_, i) => i).filter((i) => i < off || (shape[i - off] === 1 && g.shape[i] !== 1));
  const kept = sumKernel(g, dims);
  const out = kept.aliasAs(shape);
  kept.dispose();
  if (needsGrad(g)) {
    const gShape = g.shape;
    const backward: BackwardFn = ([gg]) => [expand(gg!, gShape)];
    record("sumToShape", [g], [out], [], backward, backward);
  }
  return out;
}

export interface MaxResult {
  values: Tensor;
  indices: Tensor;
}

/** Max over all elements (values of shape [], flat index) or along dim (values and int32 indices). */
export function max(x: Tensor, dim?: number | null, keepdim = false): MaxResult {
  checkFloat("max", x);
  if (x.size === 0) throw new Error(`max: cannot reduce an empty tensor ${shapeToString(x.shape)}`);
  const all = dim === null || dim === undefined;
  const d = all ? 0 : normalizeDim("max", dim, x.shape);
  const [outer, r, inner] = all ? [1, x.size, 1] : splitAt(x.shape, d);
  const outShape = all ? [] : keepdim ? x.shape.map((s, i) => (i === d ? 1 : s)) : x.shape.filter((_, i) => i !== d);
  const values = Tensor.empty(outShape, "float32", "max");
  const indices = Tensor.empty(outShape, "int32", "max indices");
  backend().kernels.max_dim_f32(x.ptr, values.ptr, indices.ptr, outer, r, inner);
  if (needsGrad(x)) {
    const xShape = x.shape;
    // Only the values are differentiable: indices stay out of the graph (requiresGrad false).
    const scatter = (g: Tensor, idx: Tensor) => {
      const dx = Tensor.empty(xShape, "float32", "max backward").zero_();
      backend().kernels.scatter_add_dim_f32(g.ptr, idx.ptr, dx.ptr, outer, r, inner);
      return dx;
    };
    // The graph backward spreads g over x and keeps the maxima: a constant one-hot mask.
    const keepShape = all ? xShape.map(() => 1) : xShape.map((s, i) => (i === d ? 1 : s));
    record("max", [x], [values], [indices], ([g], [idx]) => [scatter(g!, idx)], ([g], [idx]) => {
      const oneHot = scatter(Tensor.empty(idx.shape, "float32", "max backward").fill_(1), idx);
      return [mul(expand(reshape(g!, keepShape), xShape), oneHot)];
    });
  }
  return { values, indices };
}

export function argmax(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  const { values, indices } = noGrad(() => max(x, dim, keepdim));
  values.dispose();
  return indices;
}

function softmaxOp(name: string, x: Tensor, dim: number, log: 0 | 1): Tensor {
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
  return y;
}

export const softmax = (x: Tensor, dim: number) => softmaxOp("softmax", x, dim, 0);
export const logSoftmax = (x: Tensor, dim: number) => softmaxOp("logSoftmax", x, dim, 1);

/** out[o, i] = x[o, index[o, i], i] along dim (index has x's shape with dim of size 1, or squeezed). */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  checkFloat("gather", x);
  checkLive("gather", index);
  if (index.dtype !== "int32") throw new Error(`gather: index must be int32, got ${index.dtype}`);
  const d = normalizeDim("gather", dim, x.shape);
  const [outer, r, inner] = splitAt(x.shape, d);
  if (index.size !== outer * inner) {
    throw new Error(`gather: index of shape ${shapeToString(index.shape)} does not pick one element along dim ${d} of ${shapeToString(x.shape)}`);
  }
  const idx = index.view();
  for (let i = 0; i < idx.length; i++) {
    if (idx[i] < 0 || idx[i] >= r) throw new Error(`gather: index ${idx[i]} out of range for dim ${d} of size ${r}`);
  }
  const out = Tensor.empty(index.shape, "float32", "gather");
  backend().kernels.gather_dim_f32(x.ptr, index.ptr, out.ptr, outer, r, inner);
  if (needsGrad(x)) {
    const xShape = x.shape;
    record("gather", [x], [out], [index], ([g], [ix]) => {
      const dx = Tensor.empty(xShape, "float32", "gather backward").zero_();
      backend().kernels.scatter_add_dim_f32(g!.ptr, ix.ptr, dx.ptr, outer, r, inner);
      return [dx];
    });
  }
  return out;
}

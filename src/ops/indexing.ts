// Indexing along a dim with an int32 index tensor: gather / scatterAdd and indexSelect / indexAdd
// (each pair is the other's adjoint, so every backward is differentiable again and serves
// createGraph), and sort / topk, whose values are a gather of x at the sorted indices.
import { record, needsGrad, type BackwardFn } from "../autograd.js";
import { backend } from "../backend/wasm.js";
import { elementAt } from "../backend/memory.js";
import { Tensor, shapeToString, numel, type Shape } from "../tensor.js";
import { contiguousStrides, forEachBlock4 } from "./strided.js";
import { narrow, pad } from "./shape.js";
import { zeros } from "./creation.js";
import { checkArgs, checkFloat, normalizeDim } from "./checks.js";

function checkIndex(op: string, index: Tensor): void {
  checkArgs(op, { index });
  if (index.dtype !== "int32") throw new Error(`${op}: index must be an int32 tensor, got ${index.dtype} ${shapeToString(index.shape)}`);
}

/** Throws naming the op when some index is outside [0, size) along dim d of `shape`. */
function checkRange(op: string, index: Tensor, d: number, shape: Shape): void {
  const bad = backend().kernels.index_out_of_range_i32(index.ptr, index.size, shape[d] ?? 1);
  if (bad >= 0) {
    throw new Error(`${op}: index ${index.liveData()[bad]} (at flat position ${bad} of index ${shapeToString(index.shape)}) is out of range for dim ${d} of size ${shape[d] ?? 1} in ${shapeToString(shape)}`);
  }
}

/**
 * The kernel over the index space `space`: data is read (gather) or accumulated into (scatter)
 * at its strides plus index·(data's stride along d); index and other are read at their strides.
 */
function alongDim(scatter: boolean, data: Tensor, d: number, index: Tensor, indexStrides: number[], other: Tensor, otherStrides: number[], space: Shape): void {
  const k = backend().kernels;
  const ds = contiguousStrides(data.shape);
  const dimStride = ds[d] ?? 1;
  const dataStrides = space.map((_, i) => (i === d ? 0 : ds[i]));
  forEachBlock4(space, [dataStrides, indexStrides, otherStrides], (off, n, [s, is, os]) => {
    k.index_along_f32(+scatter, elementAt(data.ptr, off[0]), elementAt(index.ptr, off[1]), elementAt(other.ptr, off[2]), n[0], n[1], n[2], n[3],
      s[0], s[1], s[2], s[3], is[0], is[1], is[2], is[3], os[0], os[1], os[2], os[3], dimStride);
  });
}

/** index fits inside `shape` in every dim but d (and, if `alongToo`, in d as well). */
function checkFits(op: string, index: Tensor, d: number, shape: Shape, what: string, alongToo: boolean): void {
  if (index.ndim !== shape.length || index.shape.some((s, i) => s > shape[i] && (alongToo || i !== d))) {
    throw new Error(`${op}: index ${shapeToString(index.shape)} must have the rank of ${what} ${shapeToString(shape)} and be no larger in every dim${alongToo ? "" : ` but ${d}`}`);
  }
}

/** out[p] = x[p with its dim-th coordinate replaced by index[p]]; out has index's shape (torch.gather). */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor<"float32"> {
  checkFloat("gather", x);
  checkIndex("gather", index);
  const d = normalizeDim("gather", dim, x.shape);
  checkFits("gather", index, d, x.shape, "input", false);
  checkRange("gather", index, d, x.shape);
  const out = Tensor.empty(index.shape, "float32", "gather");
  const strides = contiguousStrides(index.shape);
  alongDim(false, x, d, index, strides, out, strides, index.shape);
  if (needsGrad(x)) {
    const xShape = x.shape;
    const backward: BackwardFn = ([g], [ix]) => [scatterAdd(zeros(xShape), d, ix, g!)];
    record("gather", [x], [out], [index], backward, backward);
  }
  return out;
}

/** out = x, then out[p with its dim-th coordinate replaced by index[p]] += src[p] for every position p of index (torch.scatter_add). */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor<"float32"> {
  checkArgs("scatterAdd", { input: x, src }, "float32");
  checkIndex("scatterAdd", index);
  const d = normalizeDim("scatterAdd", dim, x.shape);
  checkFits("scatterAdd", index, d, x.shape, "input", false);
  checkFits("scatterAdd", index, d, src.shape, "src", true);
  checkRange("scatterAdd", index, d, x.shape);
  const out = Tensor.empty(x.shape, "float32", "scatterAdd").copy_(x);
  alongDim(true, out, d, index, contiguousStrides(index.shape), src, contiguousStrides(src.shape), index.shape);
  if (needsGrad(x, src)) {
    const srcShape = src.shape;
    const backward: BackwardFn = ([g], [ix]) => {
      // src elements outside index's extent were not added: their gradient is zero.
      const padding = srcShape.map((s, i) => [0, s - ix.shape[i]]).reverse().flat();
      const gSrc = src.requiresGrad ? gather(g!, d, ix) : null;
      return [x.requiresGrad ? g : null, gSrc && padding.some((p) => p > 0) ? pad(gSrc, padding) : gSrc];
    };
    record("scatterAdd", [x, src], [out], [index], backward, backward);
  }
  return out;
}

function checkVector(op: string, index: Tensor): void {
  checkIndex(op, index);
  if (index.ndim > 1) throw new Error(`${op}: index must be 0-d or 1-d, got ${shapeToString(index.shape)}`);
}

/** Index strides over x's shape with dim d of size index.size: the index walks dim d only. */
const vectorStrides = (rank: number, d: number) => Array.from({ length: rank }, (_, i) => (i === d ? 1 : 0));

/** The slices index[0], index[1], ... of x along dim (torch.index_select; repeats allowed). */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor<"float32"> {
  checkFloat("indexSelect", x);
  checkVector("indexSelect", index);
  const d = normalizeDim("indexSelect", dim, x.shape);
  checkRange("indexSelect", index, d, x.shape);
  const shape = x.ndim === 0 ? [] : x.shape.map((s, i) => (i === d ? index.size : s));
  const out = Tensor.empty(shape, "float32", "indexSelect");
  alongDim(false, x, d, index, vectorStrides(shape.length, d), out, contiguousStrides(shape), shape);
  if (needsGrad(x)) {
    const xShape = x.shape;
    const backward: BackwardFn = ([g], [ix]) => [indexAdd(zeros(xShape), d, ix, g!)];
    record("indexSelect", [x], [out], [index], backward, backward);
  }
  return out;
}

/** out = x, then slice index[i] of out along dim += slice i of src (torch.index_add; repeats accumulate). */
export function indexAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor<"float32"> {
  checkArgs("indexAdd", { input: x, source: src }, "float32");
  checkVector("indexAdd", index);
  const d = normalizeDim("indexAdd", dim, x.shape);
  const want = x.ndim === 0 ? [] : x.shape.map((s, i) => (i === d ? index.size : s));
  if (src.ndim !== want.length || src.shape.some((s, i) => s !== want[i])) {
    throw new Error(`indexAdd: src ${shapeToString(src.shape)} must have shape ${shapeToString(want)} (x ${shapeToString(x.shape)} with dim ${d} of the index's size ${index.size})`);
  }
  checkRange("indexAdd", index, d, x.shape);
  const out = Tensor.empty(x.shape, "float32", "indexAdd").copy_(x);
  alongDim(true, out, d, index, vectorStrides(want.length, d), src, contiguousStrides(want), want);
  if (needsGrad(x, src)) {
    const backward: BackwardFn = ([g], [ix]) => [x.requiresGrad ? g : null, src.requiresGrad ? indexSelect(g!, d, ix) : null];
    record("indexAdd", [x, src], [out], [index], backward, backward);
  }
  return out;
}

/** What sort and topk return (torch's `(values, indices)` named tuple). */
export interface SortResult {
  /** The sorted (or top-k) values. */
  values: Tensor<"float32">;
  /** The positions in the input the values came from, along dim (int32). */
  indices: Tensor<"int32">;
}

/**
 * int32 indices that order x along dim d (ascending, or descending), NaN counted as larger than
 * every number like PyTorch; ties keep their original order.
 */
function sortIndices(x: Tensor, d: number, descending: boolean): Tensor<"int32"> {
  const [outer, r, inner] = [numel(x.shape.slice(0, d)), x.shape[d] ?? 1, numel(x.shape.slice(d + 1))];
  const indices = Tensor.empty(x.shape, "int32", "sort indices");
  const scratch = Tensor.empty([4 * r], "float32", "sort scratch");
  backend().kernels.sort_dim_f32(x.ptr, indices.ptr, scratch.ptr, outer, r, inner, +descending);
  scratch.dispose();
  return indices;
}

/** x sorted along dim, and the int32 positions the values came from (torch.sort). */
export function sort(x: Tensor, dim = -1, descending = false): SortResult {
  checkFloat("sort", x);
  const d = normalizeDim("sort", dim, x.shape);
  const indices = sortIndices(x, d, descending);
  return { values: gather(x, d, indices), indices };
}

/** The int32 positions that sort x along dim (torch.argsort). */
export function argsort(x: Tensor, dim = -1, descending = false): Tensor<"int32"> {
  checkFloat("argsort", x);
  return sortIndices(x, normalizeDim("argsort", dim, x.shape), descending);
}

/**
 * The k largest (or smallest) elements along dim, best first, and their int32 positions
 * (torch.topk). The result is always sorted: PyTorch leaves the order unspecified for
 * `sorted = false`, so sorted order serves both values of the flag.
 */
export function topk(x: Tensor, k: number, dim = -1, largest = true, _sorted = true): SortResult {
  checkFloat("topk", x);
  const d = normalizeDim("topk", dim, x.shape);
  const n = x.shape[d] ?? 1;
  if (!Number.isInteger(k) || k < 0 || k > n) throw new Error(`topk: k ${k} out of range for dim ${d} of size ${n} in ${shapeToString(x.shape)}`);
  const all = sortIndices(x, d, largest);
  const indices = x.ndim === 0 ? all : narrow(all, d, 0, k);
  if (indices !== all) all.dispose();
  return { values: gather(x, d, indices), indices };
}

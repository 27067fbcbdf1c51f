// Broadcasting and its adjoint: expand copies a tensor out to a shape it broadcasts to, and
// sumToShape sums a gradient back to the shape it was broadcast from. Each is the other's
// backward, so the pair lives here, below every op whose backward un-broadcasts (binary ops,
// where, sum, repeat, matmul's batch dims).
import { record, needsGrad, type BackwardFn } from "../autograd.js";
import { sumDim } from "../backend/reduce.js";
import { splitAt } from "../dims.js";
import { Tensor, shapeToString, sameShape, type DType, type Shape } from "../tensor.js";
import { traced } from "../trace.js";
import { broadcastStrides, contiguousStrides, copyStrided } from "./strided.js";
import { checkLive } from "./checks.js";

/** x copied out to a shape it broadcasts to (no checks, no autograd): expand's forward, where's operands. */
export function broadcastTo<D extends DType>(x: Tensor<D>, target: readonly number[]): Tensor<D> {
  const out = Tensor.empty(target, x.dtype, "expand");
  copyStrided(x, 0, broadcastStrides(x.shape, target), out, 0, contiguousStrides(target), target);
  return out;
}

/** Broadcasts x to shape (size-1 dims stretch, new leading dims); copies. Backward sums back. */
export function expand<D extends DType>(x: Tensor<D>, shape: readonly number[]): Tensor<D> {
  checkLive("expand", x);
  const target = shape.map((v, i) => (v === -1 ? x.shape[i - (shape.length - x.ndim)] : v));
  const off = target.length - x.ndim;
  if (off < 0 || x.shape.some((v, i) => v !== 1 && v !== target[i + off])) {
    throw new Error(`expand: cannot expand ${shapeToString(x.shape)} to ${shapeToString(shape)}`);
  }
  const out = broadcastTo(x, target);
  if (needsGrad(x)) {
    const xShape = x.shape;
    const backward: BackwardFn = ([g]) => [sumToShape(g!, xShape)];
    record("expand", [x], [out], [], backward, backward);
  }
  return traced("expand", [x], out);
}

/** Sum over the given (sorted, valid) dims with keepdim semantics, no autograd: sum's forward and sumToShape's. */
export function sumKernel(x: Tensor, dims: number[]): Tensor<"float32"> {
  let cur = x;
  // Largest dim first so the smaller ones keep their positions.
  for (const d of [...dims].reverse()) {
    const shape = cur.shape.map((s, i) => (i === d ? 1 : s));
    const out = Tensor.empty(shape, "float32", "sum");
    const [outer, r, inner] = splitAt(cur.shape, d);
    sumDim(cur.ptr, out.ptr, outer, r, inner);
    if (cur !== x) cur.dispose();
    cur = out;
  }
  // Every kernel output here is float32, and so is x (each caller checks).
  return (cur === x ? x.clone() : cur) as Tensor<"float32">;
}

/** Sums a broadcast gradient back to `shape` (leading dims and stretched size-1 dims); differentiable. */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
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

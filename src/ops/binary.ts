// Binary elementwise ops with NumPy/PyTorch broadcasting. The backward of each op reduces the
// gradient over the broadcast dims back to each operand's shape (broadcast.sumToShape). The gradient
// rules are written in these same ops, so one rule serves the fast path (under noGrad they record
// nothing) and createGraph (they record a graph that can be differentiated again).
import { record, needsGrad, type BackwardFn } from "../autograd.js";
import { elementAt } from "../backend/memory.js";
import { backend } from "../backend/wasm.js";
import { Binary, type BinaryName } from "../backend/kernels.js";
import { Tensor, tidy, shapeToString, type DType } from "../tensor.js";
import { traced } from "../trace.js";
import { broadcastShapes, broadcastStrides, contiguousStrides, forEachBlock4 } from "./strided.js";
import { affine, powScalar, clamp, log, unaryOp } from "./elementwise.js";
import { broadcastTo, sumToShape } from "./broadcast.js";
import { full } from "./creation.js";
import { checkArgs, checkInt32 } from "./checks.js";

/** out = a op b with broadcasting, no autograd. */
export function binaryKernel(name: string, op: BinaryName, a: Tensor, b: Tensor): Tensor<"float32"> {
  checkArgs(name, { input: a, other: b }, "float32");
  const shape = broadcastShapes(name, a.shape, b.shape);
  const out = Tensor.empty(shape, "float32", name);
  const k = backend().kernels;
  const code = Binary[op];
  forEachBlock4(shape, [broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape), contiguousStrides(shape)], (off, d, [as, bs, os]) => {
    // The output is contiguous, so its block offset is all the kernel needs.
    void os;
    k.binary_f32(code, elementAt(a.ptr, off[0]), elementAt(b.ptr, off[1]), elementAt(out.ptr, off[2]), d[0], d[1], d[2], d[3], as[0], as[1], as[2], as[3], bs[0], bs[1], bs[2], bs[3]);
  });
  return traced("binary", [a, b], out, { op });
}

type GradRule = (g: Tensor, a: Tensor, b: Tensor, out: Tensor) => [Tensor | null, Tensor | null];

/**
 * What the backward reads, saved for it: nothing (add, sub), the operands, or the operands and the
 * output. Saving no more than that is what lets an in-place write to the rest stay legal (as in PyTorch).
 */
type Saves = "none" | "operands" | "all";

function binaryOp(name: string, op: BinaryName, a: Tensor, b: Tensor, grad: GradRule, saves: Saves = "operands"): Tensor<"float32"> {
  const out = binaryKernel(name, op, a, b);
  if (needsGrad(a, b)) {
    const aShape = a.shape, bShape = b.shape;
    const backward: BackwardFn = ([g], [as, bs, os]) => {
      const [ga, gb] = grad(g!, as, bs, os);
      return [a.requiresGrad && ga ? sumToShape(ga, aShape) : null, b.requiresGrad && gb ? sumToShape(gb, bShape) : null];
    };
    record(name, [a, b], [out], saves === "none" ? [] : saves === "all" ? [a, b, out] : [a, b], backward, backward);
  }
  return out;
}

/** A 0/1 mask (a constant: no autograd). */
const mask = (op: BinaryName, a: Tensor, b: Tensor) => binaryKernel("mask", op, a, b);

/**
 * a + b element-wise with NumPy/PyTorch broadcasting (torch.add); b may be a number. Shapes that do not
 * broadcast are an error naming both.
 */
export function add(a: Tensor, b: Tensor | number): Tensor<"float32"> {
  if (typeof b === "number") return unaryOp("add", "affine", a, 1, b); // errors and autograd name add
  return binaryOp("add", "add", a, b, (g) => [g, g], "none");
}

/** a − b element-wise with broadcasting (torch.sub); b may be a number. */
export function sub(a: Tensor, b: Tensor | number): Tensor<"float32"> {
  if (typeof b === "number") return unaryOp("sub", "affine", a, 1, -b); // errors and autograd name sub
  return binaryOp("sub", "sub", a, b, (g) => [g, affine(g, -1, 0)], "none");
}

/** a · b element-wise with broadcasting (torch.mul). */
export function mul(a: Tensor, b: Tensor | number): Tensor<"float32"> {
  if (typeof b === "number") return unaryOp("mul", "affine", a, b, 0); // errors and autograd name mul
  return binaryOp("mul", "mul", a, b, (g, as, bs) => [mul(g, bs), mul(g, as)]);
}

/** a / b element-wise with broadcasting (torch.div). */
export function div(a: Tensor, b: Tensor | number): Tensor<"float32"> {
  if (typeof b === "number") return unaryOp("div", "affine", a, 1 / b, 0); // errors and autograd name div
  // d/db (a/b) = -out/b
  return binaryOp("div", "div", a, b, (g, _as, bs, out) => {
    const ga = div(g, bs);
    return [ga, affine(mul(ga, out), -1, 0)];
  }, "all");
}

/** a^b element-wise with broadcasting (torch.pow); a number exponent is one fused op. */
export function pow(a: Tensor, b: Tensor | number): Tensor<"float32"> {
  if (typeof b === "number") return powScalar(a, b);
  // As PyTorch: d/da = b·a^(b−1), 0 where b = 0 (0·0^−1 would be NaN at a = 0); d/db = out·ln a,
  // 0 where a = 0 and b >= 0 (out·ln 0 would be −inf or NaN).
  return binaryOp("pow", "pow", a, b, (g, as, bs, out) => [
    mul(g, where(eq(bs, 0), 0, mul(bs, pow(as, affine(bs, 1, -1))))),
    mul(g, where(mul(eq(as, 0), ge(bs, 0)), 0, mul(out, log(as)))),
  ], "all");
}

/** The element-wise larger of a and b with broadcasting (torch.maximum); at a tie the gradient goes to b. */
export function maximum(a: Tensor, b: Tensor | number): Tensor<"float32"> {
  if (typeof b === "number") return clamp(a, b, null);
  return binaryOp("maximum", "maximum", a, b, (g, as, bs) => [mul(g, mask("gt", as, bs)), mul(g, mask("le", as, bs))]);
}

/** The element-wise smaller of a and b with broadcasting (torch.minimum); at a tie the gradient goes to b. */
export function minimum(a: Tensor, b: Tensor | number): Tensor<"float32"> {
  if (typeof b === "number") return clamp(a, null, b);
  return binaryOp("minimum", "minimum", a, b, (g, as, bs) => [mul(g, mask("lt", as, bs)), mul(g, mask("ge", as, bs))]);
}

// Comparisons return float32 0/1 masks and are not differentiable.
function compare(name: BinaryName, a: Tensor, b: Tensor | number): Tensor<"float32"> {
  checkArgs(name, { input: a, ...(typeof b === "number" ? {} : { other: b }) });
  return tidy(() => {
    const bt = typeof b === "number" ? full([], b) : b;
    return binaryKernel(name, name, a.dtype === "float32" ? a : a.float(), bt.dtype === "float32" ? bt : bt.float());
  });
}
/** 1 where a = b, else 0, as float32 (torch.eq). */
export const eq = (a: Tensor, b: Tensor | number) => compare("eq", a, b);
/** 1 where a ≠ b, else 0, as float32 (torch.ne). */
export const ne = (a: Tensor, b: Tensor | number) => compare("ne", a, b);
/** 1 where a > b, else 0, as float32 (torch.gt). */
export const gt = (a: Tensor, b: Tensor | number) => compare("gt", a, b);
/** 1 where a < b, else 0, as float32 (torch.lt). */
export const lt = (a: Tensor, b: Tensor | number) => compare("lt", a, b);
/** 1 where a ≥ b, else 0, as float32 (torch.ge). */
export const ge = (a: Tensor, b: Tensor | number) => compare("ge", a, b);
/** 1 where a ≤ b, else 0, as float32 (torch.le; broadcasting; not differentiable). */
export const le = (a: Tensor, b: Tensor | number) => compare("le", a, b);

/** cond != 0 ? a : b, with broadcasting of all three; gradients flow to the selected operand. */
export function where(cond: Tensor, a: number, b: number): Tensor<"float32">;
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor;
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  checkArgs("where", { condition: cond, ...(typeof a === "number" ? {} : { input: a }), ...(typeof b === "number" ? {} : { other: b }) });
  const shapeOf = (v: Tensor | number) => (typeof v === "number" ? [] : v.shape);
  const shape = broadcastShapes("where", broadcastShapes("where", cond.shape, shapeOf(a)), shapeOf(b));
  // PyTorch's promotion: int32 when the tensor operands are int32 and any number is an integer,
  // else float32 (int32 operands converted). The kernel selects 32-bit words, so it serves both.
  const operands = [a, b];
  const dtype: DType = operands.some((v) => typeof v !== "number") &&
    operands.every((v) => (typeof v === "number" ? Number.isInteger(v) : v.dtype === "int32")) ? "int32" : "float32";
  return tidy(() => {
    const [at, bt] = operands.map((v) => (typeof v === "number" ? full([], v, { dtype }) : v.dtype === dtype ? v : v.float()));
    const cf = broadcastTo(cond.dtype === "float32" ? cond : cond.float(), shape);
    const af = broadcastTo(at, shape), bf = broadcastTo(bt, shape);
    const out = Tensor.empty(shape, dtype, "where");
    backend().kernels.where_f32(cf.ptr, af.ptr, bf.ptr, out.ptr, out.size);
    if (needsGrad(at, bt)) {
      const aShape = at.shape, bShape = bt.shape;
      const backward: BackwardFn = ([g], [cs]) => {
        const picked = mul(g!, cs);
        return [at.requiresGrad ? sumToShape(picked, aShape) : null, bt.requiresGrad ? sumToShape(sub(g!, picked), bShape) : null];
      };
      record("where", [at, bt], [out], [cf], backward, backward);
    }
    return traced("where", [cond, at, bt], out);
  });
}

/** x with value written where mask (broadcast to x's shape) is non-zero; value is a number or a 0-d tensor. */
export function maskedFill<D extends DType>(x: Tensor<D>, mask: Tensor, value: number | Tensor): Tensor<D> {
  checkArgs("maskedFill", { input: x, mask, ...(typeof value === "number" ? {} : { value }) });
  if (typeof value !== "number" && value.size !== 1) {
    throw new Error(`maskedFill: value must be a number or a one-element tensor, got ${shapeToString(value.shape)}`);
  }
  const shape = broadcastShapes("maskedFill", x.shape, mask.shape);
  if (shape.length !== x.ndim || shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(`maskedFill: mask ${shapeToString(mask.shape)} does not broadcast to the input's shape ${shapeToString(x.shape)}`);
  }
  // The value takes x's dtype, as in PyTorch (into int32 it truncates toward zero), so where keeps x's dtype.
  if (typeof value === "number" && x.dtype === "int32") checkInt32("maskedFill", value);
  return tidy(() => {
    const v = typeof value === "number" ? (x.dtype === "int32" ? Math.trunc(value) : value)
      : (value.dtype === x.dtype ? value : x.dtype === "int32" ? value.int() : value.float()).reshape([]);
    return where(mask, v, x) as Tensor<D>;
  });
}

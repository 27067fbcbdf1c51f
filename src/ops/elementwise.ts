// Unary elementwise ops: one wasm kernel pass forward, one backward (dx = g * f'(x)); with
// createGraph the backward is g·f'(x) in differentiable ops instead (the `derivatives` table).
// The binary ops build on these (a scalar operand is an affine map), so the formulas reach them
// as Tensor methods (g.mul(d), t.maskedFill(mask, 1) for where(mask, 1, t)), not by import.
import { record, needsGrad, type BackwardFn } from "../autograd.js";
import { unary, unaryBackward } from "../backend/elementwise.js";
import { Unary, type UnaryName } from "../backend/kernels.js";
import { Tensor } from "../tensor.js";
import { traced } from "../trace.js";
import { checkFloat } from "./checks.js";

/** y = op(x) from the kernel, recording nothing. */
function unaryKernel(op: UnaryName, x: Tensor, p0 = 0, p1 = 0): Tensor<"float32"> {
  const y = Tensor.empty(x.shape, "float32", op);
  unary(Unary[op], x.ptr, y.ptr, x.size, p0, p1);
  return y;
}

/** op'(x) from the fused backward kernel (y = op(x)), recording nothing. */
function kernelDerivative(op: UnaryName, x: Tensor, y: Tensor, p0 = 0, p1 = 0): Tensor {
  const ones = Tensor.empty(x.shape, "float32", `${op} derivative`).fill_(1);
  const d = Tensor.empty(x.shape, "float32", `${op} derivative`);
  unaryBackward(Unary[op], x.ptr, y.ptr, ones.ptr, d.ptr, x.size, p0, p1);
  ones.dispose();
  return d;
}

/**
 * f'(x) written in differentiable ops, for the graph backward (createGraph): dx = g·f'(x, y) with
 * y = f(x); a number is a constant slope. Piecewise-linear ops use the kernel's derivative as a
 * constant mask: their second derivative is zero wherever they are differentiable.
 */
type Derivative = (x: Tensor, y: Tensor, p0: number, p1: number) => Tensor | number;
const constantMask = (op: UnaryName): Derivative => (x, y, p0, p1) => kernelDerivative(op, x, y, p0, p1);
/** The mask x >= lo (a constant): clamp's derivative over [lo, +Infinity]. */
const atLeast = (x: Tensor, lo: number) => kernelDerivative("clamp", x, x, lo, Infinity);

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_TANH_C = 0.044715;

const derivatives: Record<UnaryName, Derivative> = {
  relu: constantMask("relu"),
  leakyRelu: constantMask("leakyRelu"),
  abs: constantMask("abs"),
  clamp: constantMask("clamp"),
  sign: () => 0,
  step: () => 0,
  neg: () => -1,
  affine: (_x, _y, scale) => scale,
  // x > 0: 1; else alpha·eˣ = y + alpha
  elu: (x, y, alpha) => affine(y, 1, alpha).maskedFill(unaryKernel("step", x), 1),
  gelu: (x) => geluDerivative(x),
  // d/dx ½x(1 + tanh u), u = √(2/π)(x + c·x³): ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3c·x²)
  geluTanh: (x) => {
    const t = tanh(affine(x.mul(affine(square(x), GELU_TANH_C, 1)), SQRT_2_OVER_PI, 0));
    const du = affine(square(x), 3 * GELU_TANH_C * SQRT_2_OVER_PI, SQRT_2_OVER_PI);
    return affine(t, 0.5, 0.5).add(affine(x, 0.5, 0).mul(affine(square(t), -1, 1)).mul(du));
  },
  // s(1 + x(1 − s)), s = sigmoid(x)
  silu: (x) => {
    const s = sigmoid(x);
    return s.mul(affine(x.mul(affine(s, -1, 1)), 1, 1));
  },
  sigmoid: (_x, y) => y.mul(affine(y, -1, 1)),
  tanh: (_x, y) => affine(square(y), -1, 1),
  // sigmoid(beta·x), and 1 where beta·x > threshold (the op is x itself there)
  softplus: (x, _y, beta, threshold) => sigmoid(affine(x, beta, 0)).maskedFill(unaryKernel("step", unaryKernel("affine", x, beta, -threshold)), 1),
  // 0 below −3, x/3 + 1/2 from −3, 1 from 3 (as the kernel's)
  hardswish: (x) => atLeast(x, -3).mul(affine(x, 1 / 3, 0.5)).maskedFill(atLeast(x, 3), 1),
  hardsigmoid: constantMask("hardsigmoid"),
  // t + x·σ(x)·(1 − t²), t = tanh(softplus(x))
  mish: (x) => {
    const t = tanh(softplus(x));
    return t.add(x.mul(sigmoid(x)).mul(affine(square(t), -1, 1)));
  },
  logSigmoid: (x) => sigmoid(neg(x)),
  exp: (_x, y) => y,
  log: (x) => reciprocal(x),
  sqrt: (_x, y) => affine(reciprocal(y), 0.5, 0),
  square: (x) => affine(x, 2, 0),
  sin: (x) => cos(x),
  cos: (x) => neg(sin(x)),
  reciprocal: (_x, y) => neg(square(y)),
  powScalar: (x, _y, e) => (e === 0 ? 0 : affine(powScalar(x, e - 1), e, 0)),
};

// What each op's derivative reads (assembly/elementwise.ts unaryDerivative): the input, the output,
// both, or neither. Only that is saved, so an in-place write to the other stays legal (as in PyTorch).
const READS_OUTPUT: ReadonlySet<UnaryName> = new Set<UnaryName>(["elu", "sigmoid", "tanh", "exp", "sqrt", "reciprocal"]);
const IGNORES_INPUT: ReadonlySet<UnaryName> = new Set<UnaryName>(["sigmoid", "tanh", "exp", "sqrt", "reciprocal", "affine", "neg", "sign", "step"]);

/** Applies a unary kernel; p0/p1 are its parameters (slope, alpha, bounds, ...). */
export function unaryOp(name: string, op: UnaryName, x: Tensor, p0 = 0, p1 = 0): Tensor<"float32"> {
  checkFloat(name, x);
  const y = unaryKernel(op, x, p0, p1);
  if (needsGrad(x)) {
    const readsX = !IGNORES_INPUT.has(op), readsY = READS_OUTPUT.has(op);
    const xShape = x.shape;
    // An operand the derivative does not read gets g (same shape, valid memory) in its place.
    const operands = (g: Tensor, saved: Tensor[]) => [readsX ? saved[0] : g, readsY ? saved[saved.length - 1] : g];
    record(name, [x], [y], [...(readsX ? [x] : []), ...(readsY ? [y] : [])], ([g], saved) => {
      const [xs, ys] = operands(g!, saved);
      const dx = Tensor.empty(xShape, "float32", `${name} backward`);
      unaryBackward(Unary[op], xs.ptr, ys.ptr, g!.ptr, dx.ptr, dx.size, p0, p1);
      return [dx];
    }, ([g], saved) => {
      const [xs, ys] = operands(g!, saved);
      const d = derivatives[op](xs, ys, p0, p1);
      return [typeof d === "number" ? affine(g!, d, 0) : g!.mul(d)];
    });
  }
  return traced("unary", [x], y, { op, p0, p1 });
}

/**
 * gelu'(x) = Φ(x) + x·φ(x) as an op of its own (Φ is no composition of the other ops), from the
 * fused gelu backward; its derivative φ(x)·(2 − x²) is written in differentiable ops.
 */
function geluDerivative(x: Tensor): Tensor {
  const d = kernelDerivative("gelu", x, x);
  const backward: BackwardFn = ([g], [xs]) => [g!.mul(normalPdf(xs).mul(affine(square(xs), -1, 2)))];
  record("gelu derivative", [x], [d], [x], backward, backward);
  return d;
}

/** φ(x) = exp(−x²/2)/√(2π) */
const normalPdf = (x: Tensor) => affine(exp(affine(square(x), -0.5, 0)), 1 / Math.sqrt(2 * Math.PI), 0);

/** gelu(x) = x·Φ(x), or with approximate = "tanh" its tanh approximation (a kernel op of its own). */
export const gelu = (x: Tensor, approximate: "none" | "tanh" = "none") =>
  approximate === "tanh" ? unaryOp("gelu", "geluTanh", x) : unaryOp("gelu", "gelu", x);

/**
 * Each element clamped to [min, max] (torch.clamp); null leaves that side open, both null is an error. The
 * gradient is 1 inside the interval, 0 outside.
 */
export function clamp(x: Tensor, min: number | null, max: number | null = null): Tensor<"float32"> {
  if (min === null && max === null) throw new Error("clamp: at least one of min and max must be given");
  return unaryOp("clamp", "clamp", x, min ?? -Infinity, max ?? Infinity);
}

// The functional form of every other row of the unary table.
// <generated from assembly/ops/unary.mjs by scripts/elementwise-ops.mjs: do not edit>
/** max(x, 0) element-wise (torch.relu). */
export const relu = (x: Tensor) => unaryOp("relu", "relu", x);
/** x for x ≥ 0, negativeSlope·x below (torch.nn.functional.leaky_relu; default slope 0.01). */
export const leakyRelu = (x: Tensor, negativeSlope = 0.01) => unaryOp("leakyRelu", "leakyRelu", x, negativeSlope);
/** x for x > 0, alpha·(eˣ − 1) below (torch.nn.functional.elu). */
export const elu = (x: Tensor, alpha = 1) => unaryOp("elu", "elu", x, alpha);
/** x·σ(x) element-wise (torch.nn.functional.silu, also known as swish). */
export const silu = (x: Tensor) => unaryOp("silu", "silu", x);
/** 1/(1 + e^−x) element-wise (torch.sigmoid). */
export const sigmoid = (x: Tensor) => unaryOp("sigmoid", "sigmoid", x);
/** tanh(x) element-wise (torch.tanh). */
export const tanh = (x: Tensor) => unaryOp("tanh", "tanh", x);
/** log(1 + exp(beta·x))/beta element-wise, x itself where beta·x > threshold (torch.nn.functional.softplus). */
export const softplus = (x: Tensor, beta = 1, threshold = 20) => unaryOp("softplus", "softplus", x, beta, threshold);
/** x·relu6(x + 3)/6 (MobileNetV3's hard swish). */
export const hardswish = (x: Tensor) => unaryOp("hardswish", "hardswish", x);
/** relu6(x + 3)/6, a piecewise-linear sigmoid. */
export const hardsigmoid = (x: Tensor) => unaryOp("hardsigmoid", "hardsigmoid", x);
/** x·tanh(softplus(x)) (Misra 2019). */
export const mish = (x: Tensor) => unaryOp("mish", "mish", x);
/** log(sigmoid(x)), computed without overflow. */
export const logSigmoid = (x: Tensor) => unaryOp("logSigmoid", "logSigmoid", x);
/** eˣ element-wise (torch.exp). */
export const exp = (x: Tensor) => unaryOp("exp", "exp", x);
/** The natural logarithm element-wise (torch.log); −∞ at 0, NaN below. */
export const log = (x: Tensor) => unaryOp("log", "log", x);
/** √x element-wise (torch.sqrt); NaN below 0. */
export const sqrt = (x: Tensor) => unaryOp("sqrt", "sqrt", x);
/** |x| element-wise (torch.abs); the gradient at 0 is 0, as in PyTorch. */
export const abs = (x: Tensor) => unaryOp("abs", "abs", x);
/** −x element-wise (torch.neg). */
export const neg = (x: Tensor) => unaryOp("neg", "neg", x);
/** x² element-wise (torch.square). */
export const square = (x: Tensor) => unaryOp("square", "square", x);
/** sin(x) element-wise (torch.sin). */
export const sin = (x: Tensor) => unaryOp("sin", "sin", x);
/** cos(x) element-wise (torch.cos). */
export const cos = (x: Tensor) => unaryOp("cos", "cos", x);
/** sign(x) in {-1, 0, 1}; its gradient is zero. */
export const sign = (x: Tensor) => unaryOp("sign", "sign", x);
/** Heaviside step (x > 0 ? 1 : 0), the perceptron's activation; zero gradient. */
export const step = (x: Tensor) => unaryOp("step", "step", x);
/** x * scale + shift in one pass (scalar add/sub/mul/div use it). */
export const affine = (x: Tensor, scale: number, shift: number) => unaryOp("affine", "affine", x, scale, shift);
export const powScalar = (x: Tensor, exponent: number) => unaryOp("pow", "powScalar", x, exponent);
/** 1/x element-wise (torch.reciprocal). */
export const reciprocal = (x: Tensor) => unaryOp("reciprocal", "reciprocal", x);
// </generated>

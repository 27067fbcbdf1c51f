// Unary elementwise ops: one wasm kernel pass forward, one backward (dx = g * f'(x)).
import { record, needsGrad } from "../autograd.js";
import { backend } from "../backend/wasm.js";
import { Unary, type UnaryName } from "../backend/kernels.js";
import { Tensor } from "../tensor.js";
import { checkFloat } from "./checks.js";

/** Applies a unary kernel; p0/p1 are its parameters (slope, alpha, bounds, ...). */
export function unaryOp(name: string, op: UnaryName, x: Tensor, p0 = 0, p1 = 0): Tensor {
  checkFloat(name, x);
  const y = Tensor.empty(x.shape, "float32", name);
  backend().kernels.unary_f32(Unary[op], x.ptr, y.ptr, x.size, p0, p1);
  if (needsGrad(x)) {
    record(name, [x], [y], [x, y], ([g], [xs, ys]) => {
      const dx = Tensor.empty(xs.shape, "float32", `${name} backward`);
      backend().kernels.unary_backward_f32(Unary[op], xs.ptr, ys.ptr, g!.ptr, dx.ptr, xs.size, p0, p1);
      return [dx];
    });
  }
  return y;
}

export const relu = (x: Tensor) => unaryOp("relu", "relu", x);
export const leakyRelu = (x: Tensor, negativeSlope = 0.01) => unaryOp("leakyRelu", "leakyRelu", x, negativeSlope);
export const elu = (x: Tensor, alpha = 1) => unaryOp("elu", "elu", x, alpha);
export const gelu = (x: Tensor, approximate: "none" | "tanh" = "none") =>
  approximate === "tanh" ? unaryOp("gelu", "geluTanh", x) : unaryOp("gelu", "gelu", x);
export const silu = (x: Tensor) => unaryOp("silu", "silu", x);
export const sigmoid = (x: Tensor) => unaryOp("sigmoid", "sigmoid", x);
export const tanh = (x: Tensor) => unaryOp("tanh", "tanh", x);
export const softplus = (x: Tensor, beta = 1, threshold = 20) => unaryOp("softplus", "softplus", x, beta, threshold);
export const exp = (x: Tensor) => unaryOp("exp", "exp", x);
export const log = (x: Tensor) => unaryOp("log", "log", x);
export const sqrt = (x: Tensor) => unaryOp("sqrt", "sqrt", x);
export const abs = (x: Tensor) => unaryOp("abs", "abs", x);
export const neg = (x: Tensor) => unaryOp("neg", "neg", x);
export const square = (x: Tensor) => unaryOp("square", "square", x);
export const sin = (x: Tensor) => unaryOp("sin", "sin", x);
export const cos = (x: Tensor) => unaryOp("cos", "cos", x);
/** sign(x) in {-1, 0, 1}; its gradient is zero. */
export const sign = (x: Tensor) => unaryOp("sign", "sign", x);
/** Heaviside step (x > 0 ? 1 : 0), the perceptron's activation; zero gradient. */
export const step = (x: Tensor) => unaryOp("step", "step", x);
export const reciprocal = (x: Tensor) => unaryOp("reciprocal", "reciprocal", x);
/** x * scale + shift in one pass (scalar add/sub/mul/div use it). */
export const affine = (x: Tensor, scale: number, shift: number) => unaryOp("affine", "affine", x, scale, shift);
export const powScalar = (x: Tensor, exponent: number) => unaryOp("pow", "powScalar", x, exponent);

export function clamp(x: Tensor, min: number | null, max: number | null = null): Tensor {
  if (min === null && max === null) throw new Error("clamp: at least one of min and max must be given");
  return unaryOp("clamp", "clamp", x, min ?? -Infinity, max ?? Infinity);
}

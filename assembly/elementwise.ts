// Unary and binary elementwise kernels, forward and backward. Each exported kernel switches on
// the op code once, outside the loop: the switch below is inlined with a constant op, so every
// case compiles to its own tight f32x4 loop. The build generates the TypeScript op codes from the
// enums below (src/backend/generated/kernels.ts).
import { exp4, sigmoid4, tanh4, erf4, log4, sin4, cos4, pow4, loadLane, storeLane } from "./vmath";

export const enum Unary {
  Relu = 0, LeakyRelu = 1, Elu = 2, Gelu = 3, GeluTanh = 4, Silu = 5, Sigmoid = 6, Tanh = 7,
  Softplus = 8, Exp = 9, Log = 10, Sqrt = 11, Abs = 12, Neg = 13, Square = 14, Sin = 15, Cos = 16,
  Sign = 17, Step = 18, Affine = 19, PowScalar = 20, Clamp = 21, Reciprocal = 22,
}

const SQRT_2_OVER_PI: f32 = 0.7978845608028654;
const GELU_C: f32 = 0.044715;
const INV_SQRT2: f32 = 0.7071067811865476;
const INV_SQRT_2PI: f32 = 0.3989422804014327;

// p0, p1 are the op's parameters (slope, alpha, beta/threshold, scale/shift, exponent, bounds).
@inline function unaryForward(op: i32, x: v128, p0: v128, p1: v128): v128 {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  switch (op) {
    case Unary.Relu: return f32x4.pmax(x, zero);
    case Unary.LeakyRelu: return v128.bitselect(x, f32x4.mul(x, p0), f32x4.gt(x, zero));
    case Unary.Elu: return v128.bitselect(x, f32x4.mul(p0, f32x4.sub(exp4(x), one)), f32x4.gt(x, zero));
    case Unary.Gelu: return f32x4.mul(f32x4.mul(f32x4.splat(0.5), x), f32x4.add(one, erf4(f32x4.mul(x, f32x4.splat(INV_SQRT2)))));
    case Unary.GeluTanh: {
      const inner = f32x4.mul(f32x4.splat(SQRT_2_OVER_PI), f32x4.add(x, f32x4.mul(f32x4.splat(GELU_C), f32x4.mul(x, f32x4.mul(x, x)))));
      return f32x4.mul(f32x4.mul(f32x4.splat(0.5), x), f32x4.add(one, tanh4(inner)));
    }
    case Unary.Silu: return f32x4.mul(x, sigmoid4(x));
    case Unary.Sigmoid: return sigmoid4(x);
    case Unary.Tanh: return tanh4(x);
    case Unary.Softplus: {
      // log1p(exp(bx))/b, written as max(bx,0) + log(1 + exp(-|bx|)) so it never overflows.
      const bx = f32x4.mul(x, p0);
      const soft = f32x4.div(f32x4.add(f32x4.max(bx, zero), log4(f32x4.add(one, exp4(f32x4.neg(f32x4.abs(bx)))))), p0);
      return v128.bitselect(x, soft, f32x4.gt(bx, p1));
    }
    case Unary.Exp: return exp4(x);
    case Unary.Log: return log4(x);
    case Unary.Sqrt: return f32x4.sqrt(x);
    case Unary.Abs: return f32x4.abs(x);
    case Unary.Neg: return f32x4.neg(x);
    case Unary.Square: return f32x4.mul(x, x);
    case Unary.Sin: return sin4(x);
    case Unary.Cos: return cos4(x);
    case Unary.Sign: return f32x4.sub(v128.and(f32x4.gt(x, zero), one), v128.and(f32x4.lt(x, zero), one));
    case Unary.Step: return v128.and(f32x4.gt(x, zero), one);
    case Unary.Affine: return f32x4.add(f32x4.mul(x, p0), p1);
    case Unary.PowScalar: return pow4(x, p0);
    case Unary.Clamp: return f32x4.min(f32x4.max(x, p0), p1);
    case Unary.Reciprocal: return f32x4.div(one, x);
    default: return f32x4.splat(NaN);
  }
}

// d(op)/dx evaluated from the input x and, where cheaper, the saved output y.
@inline function unaryDerivative(op: i32, x: v128, y: v128, p0: v128, p1: v128): v128 {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  switch (op) {
    case Unary.Relu: return v128.and(f32x4.gt(x, zero), one);
    case Unary.LeakyRelu: return v128.bitselect(one, p0, f32x4.gt(x, zero));
    case Unary.Elu: return v128.bitselect(one, f32x4.add(y, p0), f32x4.gt(x, zero));
    case Unary.Gelu: {
      const cdf = f32x4.mul(f32x4.splat(0.5), f32x4.add(one, erf4(f32x4.mul(x, f32x4.splat(INV_SQRT2)))));
      const pdf = f32x4.mul(f32x4.splat(INV_SQRT_2PI), exp4(f32x4.mul(f32x4.splat(-0.5), f32x4.mul(x, x))));
      return f32x4.add(cdf, f32x4.mul(x, pdf));
    }
    case Unary.GeluTanh: {
      const x2 = f32x4.mul(x, x);
      const t = tanh4(f32x4.mul(f32x4.splat(SQRT_2_OVER_PI), f32x4.add(x, f32x4.mul(f32x4.splat(GELU_C), f32x4.mul(x2, x)))));
      const dInner = f32x4.mul(f32x4.splat(SQRT_2_OVER_PI), f32x4.add(one, f32x4.mul(f32x4.splat(3 * GELU_C), x2)));
      const half = f32x4.splat(0.5);
      return f32x4.add(f32x4.mul(half, f32x4.add(one, t)), f32x4.mul(f32x4.mul(half, x), f32x4.mul(f32x4.sub(one, f32x4.mul(t, t)), dInner)));
    }
    case Unary.Silu: {
      const s = sigmoid4(x);
      return f32x4.mul(s, f32x4.add(one, f32x4.mul(x, f32x4.sub(one, s))));
    }
    case Unary.Sigmoid: return f32x4.mul(y, f32x4.sub(one, y));
    case Unary.Tanh: return f32x4.sub(one, f32x4.mul(y, y));
    case Unary.Softplus: {
      const bx = f32x4.mul(x, p0);
      return v128.bitselect(one, sigmoid4(bx), f32x4.gt(bx, p1));
    }
    case Unary.Exp: return y;
    case Unary.Log: return f32x4.div(one, x);
    case Unary.Sqrt: return f32x4.div(f32x4.splat(0.5), y);
    case Unary.Abs: return f32x4.sub(v128.and(f32x4.gt(x, zero), one), v128.and(f32x4.lt(x, zero), one));
    case Unary.Neg: return f32x4.splat(-1);
    case Unary.Square: return f32x4.add(x, x);
    case Unary.Sin: return cos4(x);
    case Unary.Cos: return f32x4.neg(sin4(x));
    case Unary.Sign: return zero;
    case Unary.Step: return zero;
    case Unary.Affine: return p0;
    case Unary.PowScalar: return f32x4.mul(p0, pow4(x, f32x4.sub(p0, one)));
    case Unary.Clamp: return v128.and(v128.and(f32x4.ge(x, p0), f32x4.le(x, p1)), one);
    case Unary.Reciprocal: return f32x4.neg(f32x4.mul(y, y));
    default: return f32x4.splat(NaN);
  }
}

@inline function mapUnary(op: i32, x: usize, y: usize, n: i32, p0: v128, p1: v128): void {
  const end = x + (<usize>n << 2);
  const vecEnd = x + (<usize>(n & ~3) << 2);
  for (; x < vecEnd; x += 16, y += 16) v128.store(y, unaryForward(op, v128.load(x), p0, p1));
  for (; x < end; x += 4, y += 4) storeLane(y, unaryForward(op, loadLane(x), p0, p1));
}

@inline function mapUnaryBackward(op: i32, x: usize, y: usize, g: usize, dx: usize, n: i32, p0: v128, p1: v128): void {
  const vecN = n & ~3;
  let i = 0;
  for (; i < vecN; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, f32x4.mul(v128.load(g + o), unaryDerivative(op, v128.load(x + o), v128.load(y + o), p0, p1)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    storeLane(dx + o, f32x4.mul(loadLane(g + o), unaryDerivative(op, loadLane(x + o), loadLane(y + o), p0, p1)));
  }
}

export function unary_f32(op: i32, x: usize, y: usize, n: i32, p0: f32, p1: f32): void {
  const a = f32x4.splat(p0), b = f32x4.splat(p1);
  switch (op) {
    case Unary.Relu: mapUnary(Unary.Relu, x, y, n, a, b); break;
    case Unary.LeakyRelu: mapUnary(Unary.LeakyRelu, x, y, n, a, b); break;
    case Unary.Elu: mapUnary(Unary.Elu, x, y, n, a, b); break;
    case Unary.Gelu: mapUnary(Unary.Gelu, x, y, n, a, b); break;
    case Unary.GeluTanh: mapUnary(Unary.GeluTanh, x, y, n, a, b); break;
    case Unary.Silu: mapUnary(Unary.Silu, x, y, n, a, b); break;
    case Unary.Sigmoid: mapUnary(Unary.Sigmoid, x, y, n, a, b); break;
    case Unary.Tanh: mapUnary(Unary.Tanh, x, y, n, a, b); break;
    case Unary.Softplus: mapUnary(Unary.Softplus, x, y, n, a, b); break;
    case Unary.Exp: mapUnary(Unary.Exp, x, y, n, a, b); break;
    case Unary.Log: mapUnary(Unary.Log, x, y, n, a, b); break;
    case Unary.Sqrt: mapUnary(Unary.Sqrt, x, y, n, a, b); break;
    case Unary.Abs: mapUnary(Unary.Abs, x, y, n, a, b); break;
    case Unary.Neg: mapUnary(Unary.Neg, x, y, n, a, b); break;
    case Unary.Square: mapUnary(Unary.Square, x, y, n, a, b); break;
    case Unary.Sin: mapUnary(Unary.Sin, x, y, n, a, b); break;
    case Unary.Cos: mapUnary(Unary.Cos, x, y, n, a, b); break;
    case Unary.Sign: mapUnary(Unary.Sign, x, y, n, a, b); break;
    case Unary.Step: mapUnary(Unary.Step, x, y, n, a, b); break;
    case Unary.Affine: mapUnary(Unary.Affine, x, y, n, a, b); break;
    case Unary.PowScalar: mapUnary(Unary.PowScalar, x, y, n, a, b); break;
    case Unary.Clamp: mapUnary(Unary.Clamp, x, y, n, a, b); break;
    case Unary.Reciprocal: mapUnary(Unary.Reciprocal, x, y, n, a, b); break;
  }
}

// dx = g * op'(x); y is the forward output (read by sigmoid, tanh, exp, sqrt, elu, reciprocal).
export function unary_backward_f32(op: i32, x: usize, y: usize, g: usize, dx: usize, n: i32, p0: f32, p1: f32): void {
  const a = f32x4.splat(p0), b = f32x4.splat(p1);
  switch (op) {
    case Unary.Relu: mapUnaryBackward(Unary.Relu, x, y, g, dx, n, a, b); break;
    case Unary.LeakyRelu: mapUnaryBackward(Unary.LeakyRelu, x, y, g, dx, n, a, b); break;
    case Unary.Elu: mapUnaryBackward(Unary.Elu, x, y, g, dx, n, a, b); break;
    case Unary.Gelu: mapUnaryBackward(Unary.Gelu, x, y, g, dx, n, a, b); break;
    case Unary.GeluTanh: mapUnaryBackward(Unary.GeluTanh, x, y, g, dx, n, a, b); break;
    case Unary.Silu: mapUnaryBackward(Unary.Silu, x, y, g, dx, n, a, b); break;
    case Unary.Sigmoid: mapUnaryBackward(Unary.Sigmoid, x, y, g, dx, n, a, b); break;
    case Unary.Tanh: mapUnaryBackward(Unary.Tanh, x, y, g, dx, n, a, b); break;
    case Unary.Softplus: mapUnaryBackward(Unary.Softplus, x, y, g, dx, n, a, b); break;
    case Unary.Exp: mapUnaryBackward(Unary.Exp, x, y, g, dx, n, a, b); break;
    case Unary.Log: mapUnaryBackward(Unary.Log, x, y, g, dx, n, a, b); break;
    case Unary.Sqrt: mapUnaryBackward(Unary.Sqrt, x, y, g, dx, n, a, b); break;
    case Unary.Abs: mapUnaryBackward(Unary.Abs, x, y, g, dx, n, a, b); break;
    case Unary.Neg: mapUnaryBackward(Unary.Neg, x, y, g, dx, n, a, b); break;
    case Unary.Square: mapUnaryBackward(Unary.Square, x, y, g, dx, n, a, b); break;
    case Unary.Sin: mapUnaryBackward(Unary.Sin, x, y, g, dx, n, a, b); break;
    case Unary.Cos: mapUnaryBackward(Unary.Cos, x, y, g, dx, n, a, b); break;
    case Unary.Sign: mapUnaryBackward(Unary.Sign, x, y, g, dx, n, a, b); break;
    case Unary.Step: mapUnaryBackward(Unary.Step, x, y, g, dx, n, a, b); break;
    case Unary.Affine: mapUnaryBackward(Unary.Affine, x, y, g, dx, n, a, b); break;
    case Unary.PowScalar: mapUnaryBackward(Unary.PowScalar, x, y, g, dx, n, a, b); break;
    case Unary.Clamp: mapUnaryBackward(Unary.Clamp, x, y, g, dx, n, a, b); break;
    case Unary.Reciprocal: mapUnaryBackward(Unary.Reciprocal, x, y, g, dx, n, a, b); break;
  }
}

export const enum Binary {
  Add = 0, Sub = 1, Mul = 2, Div = 3, Pow = 4, Maximum = 5, Minimum = 6,
  Gt = 7, Lt = 8, Ge = 9, Le = 10, Eq = 11, Ne = 12,
}

@inline function binaryOp(op: i32, a: v128, b: v128): v128 {
  const one = f32x4.splat(1);
  switch (op) {
    case Binary.Add: return f32x4.add(a, b);
    case Binary.Sub: return f32x4.sub(a, b);
    case Binary.Mul: return f32x4.mul(a, b);
    case Binary.Div: return f32x4.div(a, b);
    case Binary.Pow: return pow4(a, b);
    case Binary.Maximum: return f32x4.max(a, b);
    case Binary.Minimum: return f32x4.min(a, b);
    case Binary.Gt: return v128.and(f32x4.gt(a, b), one);
    case Binary.Lt: return v128.and(f32x4.lt(a, b), one);
    case Binary.Ge: return v128.and(f32x4.ge(a, b), one);
    case Binary.Le: return v128.and(f32x4.le(a, b), one);
    case Binary.Eq: return v128.and(f32x4.eq(a, b), one);
    case Binary.Ne: return v128.and(f32x4.ne(a, b), one);
    default: return f32x4.splat(NaN);
  }
}

// One row of a broadcast binary op: strides (in elements) are 1 or 0 in the common cases,
// which get vector loops; anything else falls back to a strided scalar loop.
@inline function binaryRow(op: i32, a: usize, as: i32, b: usize, bs: i32, out: usize, n: i32): void {
  const vecN = n & ~3;
  let i = 0;
  if (as == 1 && bs == 1) {
    for (; i < vecN; i += 4) { const o = <usize>i << 2; v128.store(out + o, binaryOp(op, v128.load(a + o), v128.load(b + o))); }
    for (; i < n; i++) { const o = <usize>i << 2; storeLane(out + o, binaryOp(op, loadLane(a + o), loadLane(b + o))); }
  } else if (as == 1 && bs == 0) {
    const bv = loadLane(b);
    for (; i < vecN; i += 4) { const o = <usize>i << 2; v128.store(out + o, binaryOp(op, v128.load(a + o), bv)); }
    for (; i < n; i++) { const o = <usize>i << 2; storeLane(out + o, binaryOp(op, loadLane(a + o), bv)); }
  } else if (as == 0 && bs == 1) {
    const av = loadLane(a);
    for (; i < vecN; i += 4) { const o = <usize>i << 2; v128.store(out + o, binaryOp(op, av, v128.load(b + o))); }
    for (; i < n; i++) { const o = <usize>i << 2; storeLane(out + o, binaryOp(op, av, loadLane(b + o))); }
  } else {
    for (; i < n; i++) {
      storeLane(out + (<usize>i << 2), binaryOp(op, loadLane(a + (<usize>(i * as) << 2)), loadLane(b + (<usize>(i * bs) << 2))));
    }
  }
}

@inline function binaryBroadcast(op: i32, a: usize, b: usize, out: usize,
  d0: i32, d1: i32, d2: i32, d3: i32, as0: i32, as1: i32, as2: i32, as3: i32, bs0: i32, bs1: i32, bs2: i32, bs3: i32): void {
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      for (let i2 = 0; i2 < d2; i2++) {
        const ao = a + (<usize>(i0 * as0 + i1 * as1 + i2 * as2) << 2);
        const bo = b + (<usize>(i0 * bs0 + i1 * bs1 + i2 * bs2) << 2);
        binaryRow(op, ao, as3, bo, bs3, out, d3);
        out += <usize>d3 << 2;
      }
    }
  }
}

// out[i0,i1,i2,i3] = a[i·as] op b[i·bs]; the TS side collapses any broadcast to these 4 dims.
export function binary_f32(op: i32, a: usize, b: usize, out: usize,
  d0: i32, d1: i32, d2: i32, d3: i32, as0: i32, as1: i32, as2: i32, as3: i32, bs0: i32, bs1: i32, bs2: i32, bs3: i32): void {
  switch (op) {
    case Binary.Add: binaryBroadcast(Binary.Add, a, b, out, d0, d1, d2, d3, as0, as1, as2, as3, bs0, bs1, bs2, bs3); break;
    case Binary.Sub: binaryBroadcast(Binary.Sub, a, b, out, d0, d1, d2, d3, as0, as1, as2, as3, bs0, bs1, bs2, bs3); break;
    case Binary.Mul: binaryBroadcast(Binary.Mul, a, b, out, d0, d1, d2, d3, as0, as1, as2, as3, bs0, bs1, bs2, bs3); break;
    case Binary.Div: binaryBroadcast(Binary.Div, a, b, out, d0, d1, d2, d3, as0, as1, as2, as3, bs0, bs1, bs2, bs3); break;
    case Binary.Pow: binaryBroadcast(Binary.Pow, a, b, out, d0, d1, d2, d3, as0, as1, as2, as3, bs0, bs1, bs2, bs3); break;
    case Binary.Maximum: binaryBroadcast(Binary.Maximum, a, b, out, d0, d1, d2, d3, as0, as1, as2, as3, bs0, bs1, bs2, bs3); break;
    case Binary.Minimum: binaryBroadcast(Binary.Minimum, a, b, out, d0, d1, d2, d3, as0, as1, as2, as3, bs0, bs1, bs2, bs3); break;
    case Binary.Gt: binaryBroadcast(Binary.Gt, a, b, out, d0, d1, d2, d3, as0, as1, as2, as3, bs0, bs1, bs2, bs3); break;
    case Binary.Lt: binaryBroadcast(Binary.Lt, a, b, out, d0, d1, d2, d3, as0, as1, as2, as3, bs0, bs1, bs2, bs3); break;
    case Binary.Ge: binaryBroadcast(Binary.Ge, a, b, out, d0, d1, d2, d3, as0, as1, as2, as3, bs0, bs1, bs2, bs3); break;
    case Binary.Le: binaryBroadcast(Binary.Le, a, b, out, d0, d1, d2, d3, as0, as1, as2, as3, bs0, bs1, bs2, bs3); break;
    case Binary.Eq: binaryBroadcast(Binary.Eq, a, b, out, d0, d1, d2, d3, as0, as1, as2, as3, bs0, bs1, bs2, bs3); break;
    case Binary.Ne: binaryBroadcast(Binary.Ne, a, b, out, d0, d1, d2, d3, as0, as1, as2, as3, bs0, bs1, bs2, bs3); break;
  }
}

// out = cond != 0 ? a : b, all the same shape.
export function where_f32(cond: usize, a: usize, b: usize, out: usize, n: i32): void {
  const zero = f32x4.splat(0);
  const vecN = n & ~3;
  let i = 0;
  for (; i < vecN; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, v128.bitselect(v128.load(a + o), v128.load(b + o), f32x4.ne(v128.load(cond + o), zero)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(cond + o) != 0 ? load<f32>(a + o) : load<f32>(b + o));
  }
}

// y += alpha * x (gradient accumulation, optimizer helpers).
export function axpy_f32(alpha: f32, x: usize, y: usize, n: i32): void {
  const av = f32x4.splat(alpha);
  const vecN = n & ~3;
  let i = 0;
  for (; i < vecN; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(av, v128.load(x + o))));
  }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, load<f32>(y + o) + alpha * load<f32>(x + o)); }
}

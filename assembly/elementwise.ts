// Unary and binary elementwise kernels, forward and backward. The ops themselves are rows of
// assembly/ops/unary.mjs and binary.mjs; the build generates from them (assembly/generated/) the op
// codes, each op's formula and a dispatch that switches on the op code once, outside the loop: the
// loops below are inlined with a constant op, so every op compiles to its own tight f32x4 loop.
import { loadLane, storeLane, stageTail, scratchVector, storeTail } from "./vmath";
import { unaryForward, unaryDerivative, binaryOp, dispatchUnary, dispatchUnaryBackward, dispatchBinary } from "./generated/elementwise-ops";
export { Unary, Binary } from "./generated/elementwise-ops";

// Each op's loop carries its formula once, for whole vectors and the last partial one alike: a
// second pass runs the loop once over the partial vector staged in the thread's scratch (vmath's
// stageTail) rather than a second copy of the formula for a scalar tail (0.5 kB less deflated
// wasm), and the loop over whole vectors has no call in it (with loadPart's, the ReLU backward ran
// 3x slower on 64K floats). In place (y = x) works: the tail is staged after the whole vectors
// are done, and reads only its own elements.
@inline export function mapUnary(op: i32, x: usize, y: usize, n: i32, p0: v128, p1: v128): void {
  const whole = n & ~3, m = n & 3;
  let px = x, py = y, end = x + (<usize>whole << 2);
  for (let pass = 0; ; pass++) {
    for (; px < end; px += 16, py += 16) v128.store(py, unaryForward(op, v128.load(px), p0, p1));
    if (pass || !m) break;
    px = stageTail(0, px, m);
    py = scratchVector(1);
    end = px + 16;
  }
  if (m) storeTail(y + (<usize>whole << 2), v128.load(scratchVector(1)), m);
}

@inline export function mapUnaryBackward(op: i32, x: usize, y: usize, g: usize, dx: usize, n: i32, p0: v128, p1: v128): void {
  const whole = n & ~3, m = n & 3;
  let px = x, py = y, pg = g, pd = dx, end = x + (<usize>whole << 2);
  for (let pass = 0; ; pass++) {
    for (; px < end; px += 16, py += 16, pg += 16, pd += 16) {
      v128.store(pd, f32x4.mul(v128.load(pg), unaryDerivative(op, v128.load(px), v128.load(py), p0, p1)));
    }
    if (pass || !m) break;
    px = stageTail(0, px, m);
    py = stageTail(1, py, m);
    pg = stageTail(2, pg, m);
    pd = scratchVector(3);
    end = px + 16;
  }
  if (m) storeTail(dx + (<usize>whole << 2), v128.load(scratchVector(3)), m);
}

export function unary_f32(op: i32, x: usize, y: usize, n: i32, p0: f32, p1: f32): void {
  dispatchUnary(op, x, y, n, f32x4.splat(p0), f32x4.splat(p1));
}

// dx = g * op'(x); y is the forward output (read by sigmoid, tanh, exp, sqrt, elu, reciprocal).
export function unary_backward_f32(op: i32, x: usize, y: usize, g: usize, dx: usize, n: i32, p0: f32, p1: f32): void {
  dispatchUnaryBackward(op, x, y, g, dx, n, f32x4.splat(p0), f32x4.splat(p1));
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

@inline export function binaryBroadcast(op: i32, a: usize, b: usize, out: usize,
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
  dispatchBinary(op, a, b, out, d0, d1, d2, d3, as0, as1, as2, as3, bs0, bs1, bs2, bs3);
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

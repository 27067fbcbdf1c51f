// Blocked summation, shared by the reductions, softmax, the fused losses and the norms (like
// PyTorch's cascade sum): SIMD float32 partial sums over blocks of BLOCK terms, each block's
// partials added into float64 totals. The error is that of a BLOCK-term float32 sum instead of
// growing with the length (a flat float32 sum of 1e7 × 0.1 drifts by 1%), at the speed of the
// plain SIMD loop: one float64 add per lane every BLOCK elements.
import { exp4 } from "./vmath";

export const BLOCK = 64;

// Lanes 2 and 3 of a f32x4 as a f64x2 (promote_low takes lanes 0 and 1).
// @ts-ignore: decorator
@inline function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
}

// A f64x2 total plus the four lanes of a float32 partial.
// @ts-ignore: decorator
@inline export function widenAdd(total: v128, partial: v128): v128 {
  return f64x2.add(total, f64x2.add(f64x2.promote_low_f32x4(partial), promoteHigh(partial)));
}

// @ts-ignore: decorator
@inline function laneSum(total: v128): f64 {
  return f64x2.extract_lane(total, 0) + f64x2.extract_lane(total, 1);
}

// Σ of n contiguous floats at p.
export function sumContiguous(p: usize, n: i32): f64 {
  let total = f64x2.splat(0);
  let k = 0;
  for (; k + BLOCK <= n; k += BLOCK) {
    // Two accumulators hide the add latency.
    let a = f32x4.splat(0), b = f32x4.splat(0);
    for (let j = 0; j < BLOCK; j += 8) {
      const q = p + (<usize>(k + j) << 2);
      a = f32x4.add(a, v128.load(q));
      b = f32x4.add(b, v128.load(q, 16));
    }
    total = widenAdd(total, f32x4.add(a, b));
  }
  let rest = f32x4.splat(0);
  for (; k + 4 <= n; k += 4) rest = f32x4.add(rest, v128.load(p + (<usize>k << 2)));
  let s = laneSum(widenAdd(total, rest));
  for (; k < n; k++) s += <f64>load<f32>(p + (<usize>k << 2));
  return s;
}

// Σ exp(x − m) over n contiguous floats at p (softmax and cross-entropy denominators); out, when
// non-zero, receives the n terms exp(x − m).
export function sumExpContiguous(p: usize, n: i32, m: f32, out: usize): f64 {
  const mv = f32x4.splat(m);
  let total = f64x2.splat(0);
  let k = 0;
  while (k + 4 <= n) {
    const end = min(n & ~3, k + BLOCK);
    let acc = f32x4.splat(0);
    for (; k < end; k += 4) {
      const q = <usize>k << 2;
      const e = exp4(f32x4.sub(v128.load(p + q), mv));
      if (out) v128.store(out + q, e);
      acc = f32x4.add(acc, e);
    }
    total = widenAdd(total, acc);
  }
  let s = laneSum(total);
  for (; k < n; k++) {
    const q = <usize>k << 2;
    const e = f32x4.extract_lane(exp4(f32x4.sub(v128.load32_splat(p + q), mv)), 0);
    if (out) store<f32>(out + q, e);
    s += <f64>e;
  }
  return s;
}

// Σ a·(b − m) over n contiguous floats (a = b gives the squared deviations).
export function sumDotDevContiguous(a: usize, b: usize, n: i32, m: f32): f64 {
  const mv = f32x4.splat(m);
  let total = f64x2.splat(0);
  let k = 0;
  while (k + 4 <= n) {
    const end = min(n & ~3, k + BLOCK);
    let acc = f32x4.splat(0);
    for (; k < end; k += 4) {
      const q = <usize>k << 2;
      acc = f32x4.add(acc, f32x4.mul(v128.load(a + q), f32x4.sub(v128.load(b + q), mv)));
    }
    total = widenAdd(total, acc);
  }
  let s = laneSum(total);
  for (; k < n; k++) {
    const q = <usize>k << 2;
    s += <f64>(load<f32>(a + q) * (load<f32>(b + q) - m));
  }
  return s;
}

// y[i] = Σ_k x[k·inner + i] for k < r, i < inner (rows `inner` floats apart). The rows stream by in
// order: each block of BLOCK rows is added in float32 into y, and y into the float64 totals in
// `scratch` (inner f64s, 8-byte aligned; unused when r <= BLOCK).
export function sumRows(x: usize, y: usize, scratch: usize, r: i32, inner: i32): void {
  const bytes = <usize>inner << 2;
  if (r == 0) return memory.fill(y, 0, bytes);
  const blocked = r > BLOCK;
  if (blocked) memory.fill(scratch, 0, <usize>inner << 3);
  const vecInner = inner & ~3;
  for (let kb = 0; kb < r; kb += BLOCK) {
    const end = min(r, kb + BLOCK);
    memory.copy(y, x + <usize>kb * bytes, bytes);
    for (let k = kb + 1; k < end; k++) {
      const row = x + <usize>k * bytes;
      let i = 0;
      for (; i < vecInner; i += 4) {
        const p = <usize>i << 2;
        v128.store(y + p, f32x4.add(v128.load(y + p), v128.load(row + p)));
      }
      for (; i < inner; i++) { const p = <usize>i << 2; store<f32>(y + p, load<f32>(y + p) + load<f32>(row + p)); }
    }
    if (!blocked) return;
    let i = 0;
    for (; i < vecInner; i += 4) {
      const s = scratch + (<usize>i << 3);
      const v = v128.load(y + (<usize>i << 2));
      v128.store(s, f64x2.add(v128.load(s), f64x2.promote_low_f32x4(v)));
      v128.store(s, f64x2.add(v128.load(s, 16), promoteHigh(v)), 16);
    }
    for (; i < inner; i++) { const s = scratch + (<usize>i << 3); store<f64>(s, load<f64>(s) + <f64>load<f32>(y + (<usize>i << 2))); }
  }
  for (let i = 0; i < inner; i++) store<f32>(y + (<usize>i << 2), <f32>load<f64>(scratch + (<usize>i << 3)));
}

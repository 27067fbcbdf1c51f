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

// What a contiguous sum adds up, per element: x, exp(x − m) or a·(b − m).
const PLAIN = 0, EXP = 1, DOT_DEV = 2;

// The terms of `kind` for four elements (a and b their values).
// @ts-ignore: decorator
@inline function terms(kind: i32, a: v128, b: v128, mv: v128): v128 {
  if (kind == EXP) return exp4(f32x4.sub(a, mv));
  if (kind == DOT_DEV) return f32x4.mul(a, f32x4.sub(b, mv));
  return a;
}

// The terms of the four elements at byte offset q (stored to out for EXP when out is non-zero).
// @ts-ignore: decorator
@inline function termsAt(kind: i32, a: usize, b: usize, q: usize, mv: v128, out: usize): v128 {
  const t = terms(kind, v128.load(a + q), kind == DOT_DEV ? v128.load(b + q) : mv, mv);
  if (kind == EXP && out) v128.store(out + q, t);
  return t;
}

// The same for the sixteen elements at byte offset q, added as a tree of four vectors (constant
// load offsets: an address computed per vector costs ~15% where the data sits in L2).
// @ts-ignore: decorator
@inline function termsAt16(kind: i32, a: usize, b: usize, q: usize, mv: v128, out: usize): v128 {
  const pa = a + q, pb = b + q;
  const t0 = terms(kind, v128.load(pa), kind == DOT_DEV ? v128.load(pb) : mv, mv);
  const t1 = terms(kind, v128.load(pa, 16), kind == DOT_DEV ? v128.load(pb, 16) : mv, mv);
  const t2 = terms(kind, v128.load(pa, 32), kind == DOT_DEV ? v128.load(pb, 32) : mv, mv);
  const t3 = terms(kind, v128.load(pa, 48), kind == DOT_DEV ? v128.load(pb, 48) : mv, mv);
  if (kind == EXP && out) {
    const po = out + q;
    v128.store(po, t0);
    v128.store(po, t1, 16);
    v128.store(po, t2, 32);
    v128.store(po, t3, 48);
  }
  return f32x4.add(f32x4.add(t0, t1), f32x4.add(t2, t3));
}

// Σ of the n terms of `kind` over contiguous floats at a (and b), blocked. Inlined with a constant
// kind, so each public sum below compiles to its own loop.
// @ts-ignore: decorator
@inline function blockedSum(kind: i32, a: usize, b: usize, n: i32, m: f32, out: usize): f64 {
  const mv = f32x4.splat(m);
  let total = f64x2.splat(0);
  let k = 0;
  while (k + 4 <= n) {
    const end = min(n & ~3, k + BLOCK);
    let acc = f32x4.splat(0);
    // The plain sum sixteen elements per step at constant offsets (the loads are its cost; the
    // others' is arithmetic, and one vector per step keeps their code small).
    if (kind == PLAIN) for (; k + 16 <= end; k += 16) acc = f32x4.add(acc, termsAt16(kind, a, b, <usize>k << 2, mv, out));
    for (; k < end; k += 4) acc = f32x4.add(acc, termsAt(kind, a, b, <usize>k << 2, mv, out));
    total = widenAdd(total, acc);
  }
  let s = f64x2.extract_lane(total, 0) + f64x2.extract_lane(total, 1);
  // The last n % 4 one at a time, as lane 0 of a splat (the same float32 arithmetic as the lanes).
  for (; k < n; k++) {
    const q = <usize>k << 2;
    const t = f32x4.extract_lane(terms(kind, v128.load32_splat(a + q), kind == DOT_DEV ? v128.load32_splat(b + q) : mv, mv), 0);
    if (kind == EXP && out) store<f32>(out + q, t);
    s += <f64>t;
  }
  return s;
}

// Σ of n contiguous floats at p.
export function sumContiguous(p: usize, n: i32): f64 {
  return blockedSum(PLAIN, p, 0, n, 0, 0);
}

// Σ exp(x − m) over n contiguous floats at p (softmax and cross-entropy denominators); out, when
// non-zero, receives the n terms exp(x − m).
export function sumExpContiguous(p: usize, n: i32, m: f32, out: usize): f64 {
  return blockedSum(EXP, p, 0, n, m, out);
}

// Σ a·(b − m) over n contiguous floats (a = b gives the squared deviations).
export function sumDotDevContiguous(a: usize, b: usize, n: i32, m: f32): f64 {
  return blockedSum(DOT_DEV, a, b, n, m, 0);
}

// y[i] = Σ_k x[k·inner + i] for k < r, i < inner (rows `inner` floats apart). Each block of BLOCK
// rows is summed in float32 into y (sumBlock), and y added into the float64 totals in `scratch`
// (inner f64s, 8-byte aligned; unused when r <= BLOCK).
export function sumRows(x: usize, y: usize, scratch: usize, r: i32, inner: i32): void {
  if (r <= BLOCK) return sumBlock(x, y, r, inner);
  memory.fill(scratch, 0, <usize>inner << 3);
  const vecInner = inner & ~3;
  for (let kb = 0; kb < r; kb += BLOCK) {
    sumBlock(x + <usize>kb * (<usize>inner << 2), y, min(BLOCK, r - kb), inner);
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

// y[i] = Σ_k x[k·inner + i] for k < n in float32, four rows per pass over y: a row at a time does a
// load and a store of y for every vector of x read and is bound by the stores (a quarter below the
// contiguous sum's rate); four rows need one store per four vectors. Not inlined: called once per
// block, and sumRows calls it twice.
function sumBlock(x: usize, y: usize, n: i32, inner: i32): void {
  const bytes = <usize>inner << 2;
  const vecInner = inner & ~3;
  memory.fill(y, 0, bytes);
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const r0 = x + <usize>k * bytes, r1 = r0 + bytes, r2 = r1 + bytes, r3 = r2 + bytes;
    let i = 0;
    for (; i < vecInner; i += 4) {
      const p = <usize>i << 2;
      const four = f32x4.add(f32x4.add(v128.load(r0 + p), v128.load(r1 + p)), f32x4.add(v128.load(r2 + p), v128.load(r3 + p)));
      v128.store(y + p, f32x4.add(v128.load(y + p), four));
    }
    for (; i < inner; i++) {
      const p = <usize>i << 2;
      store<f32>(y + p, load<f32>(y + p) + ((load<f32>(r0 + p) + load<f32>(r1 + p)) + (load<f32>(r2 + p) + load<f32>(r3 + p))));
    }
  }
  for (; k < n; k++) {
    const row = x + <usize>k * bytes;
    let i = 0;
    for (; i < vecInner; i += 4) { const p = <usize>i << 2; v128.store(y + p, f32x4.add(v128.load(y + p), v128.load(row + p))); }
    for (; i < inner; i++) { const p = <usize>i << 2; store<f32>(y + p, load<f32>(y + p) + load<f32>(row + p)); }
  }
}

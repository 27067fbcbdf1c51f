// f32x4 transcendental approximations shared by the elementwise, softmax and loss kernels.
// Accuracy is ~2 ulp (exp) and ~1.5e-7 absolute (erf), well inside the 1e-4/1e-5 conformance tolerance.

const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;

// exp by range reduction x = n*ln2 + r, a degree-5 polynomial on r, and 2^n built in the exponent bits.
// Outside [-87.3, 88.7] the result is exactly 0 / +Infinity (PyTorch's float32 exp, up to the
// denormals below e^-87.3), so a -Infinity attention mask gives softmax weights of exactly 0.
@inline export function exp4(x: v128): v128 {
  const under = f32x4.lt(x, f32x4.splat(-87.3));
  const over = f32x4.gt(x, f32x4.splat(88.7));
  return v128.bitselect(f32x4.splat(Infinity), v128.andnot(expInRange4(x), under), over);
}

@inline function expInRange4(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.3)), f32x4.splat(88.7));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.mul(f32x4.mul(p, r), r), f32x4.add(r, f32x4.splat(1.0)));
  // n is in [-126, 128]: split the scale in two so 2^n never overflows the exponent field.
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const half = i32x4.shr_s(ni, 1);
  const s1 = i32x4.shl(i32x4.add(half, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(ni, half), i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

@inline export function sigmoid4(x: v128): v128 {
  const one = f32x4.splat(1.0);
  return f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(x))));
}

// tanh(x) = sign(x) * (1 - e) / (1 + e) with e = exp(-2|x|): no overflow, no cancellation for large |x|;
// for |x| < 0.0625 a short odd series avoids the cancellation in 1 - e.
@inline export function tanh4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const e = exp4(f32x4.mul(ax, f32x4.splat(-2.0)));
  const one = f32x4.splat(1.0);
  const big = f32x4.div(f32x4.sub(one, e), f32x4.add(one, e));
  const x2 = f32x4.mul(ax, ax);
  let small = f32x4.add(f32x4.mul(x2, f32x4.splat(0.05396825397)), f32x4.splat(-0.1333333333));
  small = f32x4.add(f32x4.mul(small, x2), f32x4.splat(0.3333333333));
  small = f32x4.sub(ax, f32x4.mul(f32x4.mul(small, x2), ax));
  const mag = v128.bitselect(small, big, f32x4.lt(ax, f32x4.splat(0.0625)));
  return v128.or(mag, v128.and(x, f32x4.splat(-0.0)));
}

// erf by Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7).
@inline export function erf4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const t = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), f32x4.mul(ax, f32x4.splat(0.3275911))));
  let p = f32x4.splat(1.061405429);
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-1.453152027));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.421413741));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-0.284496736));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.254829592));
  p = f32x4.mul(p, t);
  const y = f32x4.sub(f32x4.splat(1.0), f32x4.mul(p, exp4(f32x4.neg(f32x4.mul(ax, ax)))));
  return v128.or(y, v128.and(x, f32x4.splat(-0.0)));
}

// log(1 + u), accurate for tiny u where log(1 + u) would round 1 + u to 1 (softplus(-20) = 2.06e-9):
// Goldberg's trick, the rounding error of w = 1 + u cancels in u / (w - 1). For u >= 0.
@inline export function log1p4(u: v128): v128 {
  const one = f32x4.splat(1.0);
  const w = f32x4.add(one, u);
  const d = f32x4.sub(w, one);
  const r = f32x4.mul(log4(w), f32x4.div(u, d));
  return v128.bitselect(u, r, f32x4.eq(d, f32x4.splat(0)));
}

// Lane-by-lane scalar fallbacks for functions with no cheap vector form.
@inline export function log4(x: v128): v128 {
  let r = f32x4.splat(Mathf.log(f32x4.extract_lane(x, 0)));
  r = f32x4.replace_lane(r, 1, Mathf.log(f32x4.extract_lane(x, 1)));
  r = f32x4.replace_lane(r, 2, Mathf.log(f32x4.extract_lane(x, 2)));
  return f32x4.replace_lane(r, 3, Mathf.log(f32x4.extract_lane(x, 3)));
}

@inline export function sin4(x: v128): v128 {
  let r = f32x4.splat(Mathf.sin(f32x4.extract_lane(x, 0)));
  r = f32x4.replace_lane(r, 1, Mathf.sin(f32x4.extract_lane(x, 1)));
  r = f32x4.replace_lane(r, 2, Mathf.sin(f32x4.extract_lane(x, 2)));
  return f32x4.replace_lane(r, 3, Mathf.sin(f32x4.extract_lane(x, 3)));
}

@inline export function cos4(x: v128): v128 {
  let r = f32x4.splat(Mathf.cos(f32x4.extract_lane(x, 0)));
  r = f32x4.replace_lane(r, 1, Mathf.cos(f32x4.extract_lane(x, 1)));
  r = f32x4.replace_lane(r, 2, Mathf.cos(f32x4.extract_lane(x, 2)));
  return f32x4.replace_lane(r, 3, Mathf.cos(f32x4.extract_lane(x, 3)));
}

@inline export function pow4(a: v128, b: v128): v128 {
  let r = f32x4.splat(Mathf.pow(f32x4.extract_lane(a, 0), f32x4.extract_lane(b, 0)));
  r = f32x4.replace_lane(r, 1, Mathf.pow(f32x4.extract_lane(a, 1), f32x4.extract_lane(b, 1)));
  r = f32x4.replace_lane(r, 2, Mathf.pow(f32x4.extract_lane(a, 2), f32x4.extract_lane(b, 2)));
  return f32x4.replace_lane(r, 3, Mathf.pow(f32x4.extract_lane(a, 3), f32x4.extract_lane(b, 3)));
}

// The tail of an array (n % 4 elements) goes through the same vector code one lane at a time.
@inline export function loadLane(p: usize): v128 { return v128.load32_splat(p); }
@inline export function storeLane(p: usize, v: v128): void { store<f32>(p, f32x4.extract_lane(v, 0)); }

// The first m < 4 floats at p in the low lanes (the rest 0), and the low m lanes of v stored at p:
// a row's last, partial vector. Not inlined, so that a loop whose body handles whole and partial
// vectors alike (loadPart, storePart: the pointwise losses, the recurrent cells) compiles that
// body once, instead of once more for a scalar tail. The call is taken only on the last
// iteration, but its presence makes V8 spill around it on every one (the LSTM cell's backward
// 1.55x slower than with plain loads); the unary kernels stage their tail instead (stageTail).
export function loadTail(p: usize, m: i32): v128 {
  let v = f32x4.replace_lane(f32x4.splat(0), 0, load<f32>(p));
  if (m > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (m > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}
export function storeTail(p: usize, v: v128, m: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (m > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (m > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}
// Each thread's scratch: a few vectors through which a loop runs its last, partial vector with
// the same body as the whole ones (stageTail), so that the body is compiled once and the loop
// over whole vectors has no call in it (loadPart's call, even untaken, makes V8 spill around it:
// a ReLU backward ran 3x slower). The pool's workers run this module's kernels concurrently on
// one memory, so each has its own slot (set_thread_slot, at its start); the calling thread has 0.
// The slots lie just above the static data, below what heap_base() gives the TS allocator (a
// static array would put 3 kB of zeros in the binary); the pool has at most 48 workers
// (src/backend/threads.ts's MAX_WORKERS).
const SCRATCH_VECTORS = 4, SCRATCH_SLOTS = 49;
const scratchSlots: usize = (__heap_base + 15) & ~15;
export const SCRATCH_END: usize = scratchSlots + 16 * SCRATCH_VECTORS * SCRATCH_SLOTS;
let scratch: usize = scratchSlots;
export function set_thread_slot(slot: i32): void {
  scratch = scratchSlots + <usize>(slot * 16 * SCRATCH_VECTORS);
}
// Scratch vector k (< SCRATCH_VECTORS) of this thread; stageTail fills it with the first m < 4
// floats at p (the rest 0).
@inline export function scratchVector(k: i32): usize { return scratch + (<usize>k << 4); }
export function stageTail(k: i32, p: usize, m: i32): usize {
  const v = scratchVector(k);
  v128.store(v, loadTail(p, m));
  return v;
}

// The vector at p when m ≥ 4, else its first m floats (loadTail); storePart likewise.
@inline export function loadPart(p: usize, m: i32): v128 { return m >= 4 ? v128.load(p) : loadTail(p, m); }
@inline export function storePart(p: usize, v: v128, m: i32): void {
  if (m >= 4) v128.store(p, v);
  else storeTail(p, v, m);
}

// acc + a * b; fused under relaxed SIMD (results then differ by a rounding). The GEMM's and the
// direct convolutions' micro-kernels accumulate with it, so the relaxed build fuses both.
@inline export function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, acc);
  } else {
    return f32x4.add(acc, f32x4.mul(a, b));
  }
}

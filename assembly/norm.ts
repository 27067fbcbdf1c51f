// Normalisation kernels. Batch norm views x as [N, C, L] and normalises each channel over N and L;
// group norm views x as [N, G, Cg, L] and normalises each (sample, group) over Cg and L with a
// per-channel affine (layer norm is one group whose channels are the normalised elements, L = 1).
// Statistics are two-pass (mean, then squared deviations), summed blocked (assembly/sums.ts).
import { BLOCK, sumContiguous, sumDotDevContiguous, widenAdd } from "./sums";

// y = x·scale + shift over n contiguous floats.
function spanAffine(x: usize, y: usize, n: i32, scale: f32, shift: f32): void {
  const sv = f32x4.splat(scale), tv = f32x4.splat(shift);
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const q = <usize>k << 2;
    v128.store(y + q, f32x4.add(f32x4.mul(v128.load(x + q), sv), tv));
  }
  for (; k < n; k++) {
    const q = <usize>k << 2;
    store<f32>(y + q, load<f32>(x + q) * scale + shift);
  }
}

// dx = a·g − b − c·(x − m) over n contiguous floats: the normalisation backward with the batch
// statistics' terms b (through the mean) and c (through the variance).
function spanBackward(x: usize, g: usize, dx: usize, n: i32, m: f32, a: f32, b: f32, c: f32): void {
  const mv = f32x4.splat(m), av = f32x4.splat(a), bv = f32x4.splat(b), cv = f32x4.splat(c);
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const q = <usize>k << 2;
    const dev = f32x4.sub(v128.load(x + q), mv);
    v128.store(dx + q, f32x4.sub(f32x4.sub(f32x4.mul(v128.load(g + q), av), bv), f32x4.mul(dev, cv)));
  }
  for (; k < n; k++) {
    const q = <usize>k << 2;
    store<f32>(dx + q, load<f32>(g + q) * a - b - (load<f32>(x + q) - m) * c);
  }
}

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

// Per-channel batch mean and biased variance. When runMean is non-zero, also
// runMean = (1 − momentum)·runMean + momentum·mean and the same for runVar with the unbiased variance.
export function batch_norm_stats_f32(x: usize, mean: usize, variance: usize, N: i32, C: i32, L: i32,
  runMean: usize, runVar: usize, momentum: f32): void {
  const count = <f64>N * <f64>L;
  for (let c = 0; c < C; c++) {
    let s: f64 = 0;
    for (let n = 0; n < N; n++) s += sumContiguous(at(x, (n * C + c) * L), L);
    const m = <f32>(s / count);
    let q: f64 = 0;
    for (let n = 0; n < N; n++) {
      const p = at(x, (n * C + c) * L);
      q += sumDotDevContiguous(p, p, L, m);
    }
    store<f32>(at(mean, c), m);
    store<f32>(at(variance, c), <f32>(q / count));
    if (runMean) {
      store<f32>(at(runMean, c), (1 - momentum) * load<f32>(at(runMean, c)) + momentum * m);
      store<f32>(at(runVar, c), (1 - momentum) * load<f32>(at(runVar, c)) + momentum * <f32>(q / (count - 1)));
    }
  }
}

// y = (x − mean)/sqrt(var + eps)·weight + bias per channel (weight/bias 0: no affine).
export function batch_norm_f32(x: usize, y: usize, N: i32, C: i32, L: i32, mean: usize, variance: usize,
  weight: usize, bias: usize, eps: f32): void {
  for (let c = 0; c < C; c++) {
    const invstd: f32 = 1 / Mathf.sqrt(load<f32>(at(variance, c)) + eps);
    const scale = weight ? load<f32>(at(weight, c)) * invstd : invstd;
    const shift = (bias ? load<f32>(at(bias, c)) : 0) - load<f32>(at(mean, c)) * scale;
    for (let n = 0; n < N; n++) {
      const o = (n * C + c) * L;
      spanAffine(at(x, o), at(y, o), L, scale, shift);
    }
  }
}

// Gradients of batch_norm_f32 given the upstream g: dweight = Σ g·x̂, dbias = Σ g (written when
// non-zero), dx (when non-zero). training != 0: mean/var are the batch statistics, so dx includes
// the paths through them: dx = weight·invstd·(g − Σg/n − x̂·Σ(g·x̂)/n); else dx = weight·invstd·g.
export function batch_norm_backward_f32(x: usize, g: usize, dx: usize, dweight: usize, dbias: usize,
  N: i32, C: i32, L: i32, mean: usize, variance: usize, weight: usize, eps: f32, training: i32): void {
  const count = <f32>N * <f32>L;
  for (let c = 0; c < C; c++) {
    const m = load<f32>(at(mean, c));
    const invstd: f32 = 1 / Mathf.sqrt(load<f32>(at(variance, c)) + eps);
    let sg: f64 = 0, sgx: f64 = 0;
    for (let n = 0; n < N; n++) {
      const o = (n * C + c) * L;
      sg += sumContiguous(at(g, o), L);
      sgx += sumDotDevContiguous(at(g, o), at(x, o), L, m);
    }
    if (dweight) store<f32>(at(dweight, c), <f32>sgx * invstd);
    if (dbias) store<f32>(at(dbias, c), <f32>sg);
    if (!dx) continue;
    const a = weight ? load<f32>(at(weight, c)) * invstd : invstd;
    const b: f32 = training ? a * <f32>sg / count : 0;
    const k: f32 = training ? a * <f32>sgx * invstd * invstd / count : 0;
    for (let n = 0; n < N; n++) {
      const o = (n * C + c) * L;
      spanBackward(at(x, o), at(g, o), at(dx, o), L, m, a, b, k);
    }
  }
}

// Rows whose channels are single elements (L = 1: layer norm, group norm of [N, C]): the affine is
// elementwise, so these rows run as vectors across the channels rather than channel by channel.
// The tails (D % 4 elements) go through the same vector steps one lane at a time (load32_zero
// keeps the other lanes at zero, so they add nothing to the sums).

// @ts-ignore: decorator
@inline function lanes(p: usize, one: bool): v128 {
  return one ? v128.load32_zero(p) : v128.load(p);
}

// @ts-ignore: decorator
@inline function put(p: usize, v: v128, one: bool): void {
  if (one) store<f32>(p, f32x4.extract_lane(v, 0));
  else v128.store(p, v);
}

// x̂ = (x − m)·rs at byte offset q (one lane or four).
// @ts-ignore: decorator
@inline function normalized(x: usize, q: usize, mv: v128, rv: v128, one: bool): v128 {
  return f32x4.mul(f32x4.sub(lanes(x + q, one), mv), rv);
}

// v·w at byte offset q of w (v itself when there is no weight).
// @ts-ignore: decorator
@inline function weighted(v: v128, w: usize, q: usize, one: bool): v128 {
  return w ? f32x4.mul(v, lanes(w + q, one)) : v;
}

// y = x̂·w + b at byte offset q (w, b: 0 for none).
// @ts-ignore: decorator
@inline function affineStep(x: usize, y: usize, w: usize, b: usize, q: usize, mv: v128, rv: v128, one: bool): void {
  let v = weighted(normalized(x, q, mv, rv, one), w, q, one);
  if (b) v = f32x4.add(v, lanes(b + q, one));
  put(y + q, v, one);
}

function elementAffineRow(x: usize, y: usize, D: i32, m: f32, rs: f32, w: usize, b: usize): void {
  const mv = f32x4.splat(m), rv = f32x4.splat(rs);
  let k = 0;
  for (; k + 4 <= D; k += 4) affineStep(x, y, w, b, <usize>k << 2, mv, rv, false);
  for (; k < D; k++) affineStep(x, y, w, b, <usize>k << 2, mv, rv, true);
}

// dweight += g·x̂, dbias += g at byte offset q (each when non-zero).
// @ts-ignore: decorator
@inline function affineGradStep(dw: usize, db: usize, q: usize, gv: v128, xh: v128, one: bool): void {
  if (dw) put(dw + q, f32x4.add(lanes(dw + q, one), f32x4.mul(gv, xh)), one);
  if (db) put(db + q, f32x4.add(lanes(db + q, one), gv), one);
}

// dx = rs·(ĝ − b − x̂·c), ĝ = g·w, at byte offset q.
// @ts-ignore: decorator
@inline function dxStep(x: usize, g: usize, w: usize, dx: usize, q: usize, mv: v128, rv: v128, bv: v128, cv: v128, one: bool): void {
  const v = f32x4.sub(f32x4.sub(weighted(lanes(g + q, one), w, q, one), bv), f32x4.mul(normalized(x, q, mv, rv, one), cv));
  put(dx + q, f32x4.mul(v, rv), one);
}

// One row's backward: one pass for Σĝ and Σĝ·x̂ (blocked float32 partials in float64 totals, as
// assembly/sums.ts) that also accumulates the affine gradients, then one pass for dx.
function elementAffineRowBackward(x: usize, g: usize, D: i32, m: f32, rs: f32, w: usize, dx: usize, dw: usize, db: usize): void {
  const mv = f32x4.splat(m), rv = f32x4.splat(rs);
  let sumG = f64x2.splat(0), sumGX = f64x2.splat(0);
  let k = 0;
  while (k < D) {
    const end = min(D, k + BLOCK);
    let pg = f32x4.splat(0), pgx = f32x4.splat(0);
    for (; k + 4 <= end; k += 4) {
      const q = <usize>k << 2;
      const gv = lanes(g + q, false), xh = normalized(x, q, mv, rv, false), gw = weighted(gv, w, q, false);
      pg = f32x4.add(pg, gw);
      pgx = f32x4.add(pgx, f32x4.mul(gw, xh));
      affineGradStep(dw, db, q, gv, xh, false);
    }
    for (; k < end; k++) {
      const q = <usize>k << 2;
      const gv = lanes(g + q, true), xh = normalized(x, q, mv, rv, true), gw = weighted(gv, w, q, true);
      pg = f32x4.add(pg, gw);
      pgx = f32x4.add(pgx, f32x4.mul(gw, xh));
      affineGradStep(dw, db, q, gv, xh, true);
    }
    sumG = widenAdd(sumG, pg);
    sumGX = widenAdd(sumGX, pgx);
  }
  if (!dx) return;
  const bv = f32x4.splat(<f32>((f64x2.extract_lane(sumG, 0) + f64x2.extract_lane(sumG, 1)) / <f64>D));
  const cv = f32x4.splat(<f32>((f64x2.extract_lane(sumGX, 0) + f64x2.extract_lane(sumGX, 1)) / <f64>D));
  k = 0;
  for (; k + 4 <= D; k += 4) dxStep(x, g, w, dx, <usize>k << 2, mv, rv, bv, cv, false);
  for (; k < D; k++) dxStep(x, g, w, dx, <usize>k << 2, mv, rv, bv, cv, true);
}

// Per (sample, group) row of Cg·L elements: mean, rstd = 1/sqrt(biased var + eps) (saved for the
// backward) and y = (x − mean)·rstd·weight[ch] + bias[ch] (weight/bias 0: no affine).
export function group_norm_f32(x: usize, y: usize, mean: usize, rstd: usize, N: i32, G: i32, Cg: i32, L: i32,
  weight: usize, bias: usize, eps: f32): void {
  const D = Cg * L;
  for (let r = 0; r < N * G; r++) {
    const row = r * D;
    const m = <f32>(sumContiguous(at(x, row), D) / <f64>D);
    const rs: f32 = 1 / Mathf.sqrt(<f32>(sumDotDevContiguous(at(x, row), at(x, row), D, m) / <f64>D) + eps);
    store<f32>(at(mean, r), m);
    store<f32>(at(rstd, r), rs);
    if (L == 1) {
      const affine = (r % G) * Cg;
      elementAffineRow(at(x, row), at(y, row), D, m, rs, weight ? at(weight, affine) : 0, bias ? at(bias, affine) : 0);
      continue;
    }
    for (let cg = 0; cg < Cg; cg++) {
      const ch = (r % G) * Cg + cg;
      const scale = weight ? load<f32>(at(weight, ch)) * rs : rs;
      const shift = (bias ? load<f32>(at(bias, ch)) : 0) - m * scale;
      spanAffine(at(x, row + cg * L), at(y, row + cg * L), L, scale, shift);
    }
  }
}

// Gradients of group_norm_f32: dweight/dbias (when non-zero) are accumulated, so clear them first;
// dx (when non-zero) = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·weight[ch], means over the row.
export function group_norm_backward_f32(x: usize, g: usize, mean: usize, rstd: usize, weight: usize,
  dx: usize, dweight: usize, dbias: usize, N: i32, G: i32, Cg: i32, L: i32): void {
  const D = Cg * L;
  for (let r = 0; r < N * G; r++) {
    const row = r * D;
    const m = load<f32>(at(mean, r)), rs = load<f32>(at(rstd, r));
    if (L == 1) {
      const affine = (r % G) * Cg;
      elementAffineRowBackward(at(x, row), at(g, row), D, m, rs, weight ? at(weight, affine) : 0,
        dx ? at(dx, row) : 0, dweight ? at(dweight, affine) : 0, dbias ? at(dbias, affine) : 0);
      continue;
    }
    let sumG: f64 = 0, sumGX: f64 = 0;
    for (let cg = 0; cg < Cg; cg++) {
      const ch = (r % G) * Cg + cg;
      const o = row + cg * L;
      const sg = sumContiguous(at(g, o), L);
      const sgx = sumDotDevContiguous(at(g, o), at(x, o), L, m);
      const w: f64 = weight ? <f64>load<f32>(at(weight, ch)) : 1;
      sumG += w * sg;
      sumGX += w * sgx;
      if (dweight) store<f32>(at(dweight, ch), load<f32>(at(dweight, ch)) + <f32>sgx * rs);
      if (dbias) store<f32>(at(dbias, ch), load<f32>(at(dbias, ch)) + <f32>sg);
    }
    if (!dx) continue;
    const b = rs * <f32>(sumG / <f64>D);
    const k = rs * rs * rs * <f32>(sumGX / <f64>D);
    for (let cg = 0; cg < Cg; cg++) {
      const ch = (r % G) * Cg + cg;
      const o = row + cg * L;
      const a = weight ? load<f32>(at(weight, ch)) * rs : rs;
      spanBackward(at(x, o), at(g, o), at(dx, o), L, m, a, b, k);
    }
  }
}

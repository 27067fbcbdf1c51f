// Reductions over one dim of a tensor viewed as [outer, r, inner], and softmax along that dim.
import { exp4, loadLane, storeLane } from "./vmath";

// Blocked summation (like PyTorch's cascade sum): SIMD float32 partial sums over blocks of BLOCK
// terms, each block's partials added into float64 totals. The error is that of a BLOCK-term float32
// sum instead of growing with the length (a flat float32 sum of 1e7 × 0.1 drifts by 1%), at the
// speed of the plain SIMD loop: one float64 add per lane every BLOCK elements.
const BLOCK = 64;

// Lanes 2 and 3 of a f32x4 as a f64x2 (promote_low takes lanes 0 and 1).
@inline function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
}

// Σ of n contiguous floats at p.
function sumContiguous(p: usize, n: i32): f32 {
  let lo = f64x2.splat(0), hi = f64x2.splat(0);
  let k = 0;
  for (; k + BLOCK <= n; k += BLOCK) {
    // Two accumulators hide the add latency.
    let a = f32x4.splat(0), b = f32x4.splat(0);
    for (let j = 0; j < BLOCK; j += 8) {
      const q = p + (<usize>(k + j) << 2);
      a = f32x4.add(a, v128.load(q));
      b = f32x4.add(b, v128.load(q, 16));
    }
    const s = f32x4.add(a, b);
    lo = f64x2.add(lo, f64x2.promote_low_f32x4(s));
    hi = f64x2.add(hi, promoteHigh(s));
  }
  let rest = f32x4.splat(0);
  for (; k + 4 <= n; k += 4) rest = f32x4.add(rest, v128.load(p + (<usize>k << 2)));
  lo = f64x2.add(f64x2.add(lo, hi), f64x2.add(f64x2.promote_low_f32x4(rest), promoteHigh(rest)));
  let total: f64 = f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1);
  for (; k < n; k++) total += <f64>load<f32>(p + (<usize>k << 2));
  return <f32>total;
}

// y[o, i] = sum_k x[o, k, i]. Over the last dim (inner = 1) the blocked sum above; over another
// dim the rows are added into y as they stream by (a float32 running sum per column: blocking it
// needs a float64 buffer per column, which kernels do not have).
export function sum_dim_f32(x: usize, y: usize, outer: i32, r: i32, inner: i32): void {
  if (inner == 1) {
    for (let o = 0; o < outer; o++) store<f32>(y + (<usize>o << 2), sumContiguous(x + (<usize>(o * r) << 2), r));
    return;
  }
  const vecInner = inner & ~3;
  for (let o = 0; o < outer; o++) {
    const out = y + (<usize>(o * inner) << 2);
    memory.fill(out, 0, <usize>inner << 2);
    for (let k = 0; k < r; k++) {
      const row = x + (<usize>((o * r + k) * inner) << 2);
      let i = 0;
      for (; i < vecInner; i += 4) {
        const p = <usize>i << 2;
        v128.store(out + p, f32x4.add(v128.load(out + p), v128.load(row + p)));
      }
      for (; i < inner; i++) { const p = <usize>i << 2; store<f32>(out + p, load<f32>(out + p) + load<f32>(row + p)); }
    }
  }
}

// y[o, i] = max_k x[o, k, i]; idx (if non-zero) receives the first k attaining it.
export function max_dim_f32(x: usize, y: usize, idx: usize, outer: i32, r: i32, inner: i32): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = x + (<usize>(o * r * inner + i) << 2);
      let best = load<f32>(base);
      let bestK = 0;
      for (let k = 1; k < r; k++) {
        const v = load<f32>(base + (<usize>(k * inner) << 2));
        if (v > best || (v != v && best == best)) { best = v; bestK = k; }
      }
      const j = <usize>(o * inner + i) << 2;
      store<f32>(y + j, best);
      if (idx) store<i32>(idx + j, bestK);
    }
  }
}

// Numerically stable softmax / log-softmax along the middle dim: subtract the max first.
export function softmax_f32(x: usize, y: usize, outer: i32, r: i32, inner: i32, log: i32): void {
  if (inner == 1) {
    for (let o = 0; o < outer; o++) {
      const xr = x + (<usize>(o * r) << 2);
      const yr = y + (<usize>(o * r) << 2);
      let m = load<f32>(xr);
      for (let k = 1; k < r; k++) m = max(m, load<f32>(xr + (<usize>k << 2)));
      const mv = f32x4.splat(m);
      let sum: f32 = 0;
      let k = 0;
      for (; k + 4 <= r; k += 4) {
        const p = <usize>k << 2;
        const e = exp4(f32x4.sub(v128.load(xr + p), mv));
        v128.store(yr + p, e);
        sum += f32x4.extract_lane(e, 0) + f32x4.extract_lane(e, 1) + f32x4.extract_lane(e, 2) + f32x4.extract_lane(e, 3);
      }
      for (; k < r; k++) {
        const p = <usize>k << 2;
        const e = exp4(f32x4.sub(loadLane(xr + p), mv));
        storeLane(yr + p, e);
        sum += f32x4.extract_lane(e, 0);
      }
      if (log) {
        const shift = m + Mathf.log(sum);
        for (k = 0; k < r; k++) { const p = <usize>k << 2; store<f32>(yr + p, load<f32>(xr + p) - shift); }
      } else {
        const inv = f32x4.splat(1 / sum);
        for (k = 0; k + 4 <= r; k += 4) { const p = <usize>k << 2; v128.store(yr + p, f32x4.mul(v128.load(yr + p), inv)); }
        for (; k < r; k++) { const p = <usize>k << 2; store<f32>(yr + p, load<f32>(yr + p) / sum); }
      }
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = <usize>(o * r * inner + i) << 2;
      const step = <usize>inner << 2;
      let m = load<f32>(x + base);
      for (let k = 1; k < r; k++) m = max(m, load<f32>(x + base + <usize>k * step));
      let sum: f32 = 0;
      for (let k = 0; k < r; k++) sum += Mathf.exp(load<f32>(x + base + <usize>k * step) - m);
      const shift = m + Mathf.log(sum);
      for (let k = 0; k < r; k++) {
        const p = base + <usize>k * step;
        const v = load<f32>(x + p) - shift;
        store<f32>(y + p, log ? v : Mathf.exp(v));
      }
    }
  }
}

// softmax: dx = y ⊙ (g − Σ g⊙y);  log-softmax: dx = g − exp(y) ⊙ Σ g
export function softmax_backward_f32(y: usize, g: usize, dx: usize, outer: i32, r: i32, inner: i32, log: i32): void {
  const step = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = <usize>(o * r * inner + i) << 2;
      let s: f32 = 0;
      for (let k = 0; k < r; k++) {
        const p = base + <usize>k * step;
        s += log ? load<f32>(g + p) : load<f32>(g + p) * load<f32>(y + p);
      }
      for (let k = 0; k < r; k++) {
        const p = base + <usize>k * step;
        const yv = load<f32>(y + p);
        store<f32>(dx + p, log ? load<f32>(g + p) - Mathf.exp(yv) * s : yv * (load<f32>(g + p) - s));
      }
    }
  }
}

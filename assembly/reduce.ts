// Reductions over one dim of a tensor viewed as [outer, r, inner], and softmax along that dim.
import { sumContiguous, sumDotDevContiguous, sumExpContiguous, sumRows } from "./sums";
import { exp4, loadLane, storeLane } from "./vmath";

// y[o, i] = sum_k x[o, k, i], blocked (assembly/sums.ts) over the last dim (inner = 1) and over
// any other (rows stream by; scratch holds inner f64 totals, needed when inner > 1).
export function sum_dim_f32(x: usize, y: usize, scratch: usize, outer: i32, r: i32, inner: i32): void {
  for (let o = 0; o < outer; o++) {
    const xo = x + (<usize>(o * r) * <usize>inner << 2), yo = y + (<usize>(o * inner) << 2);
    if (inner == 1) store<f32>(yo, <f32>sumContiguous(xo, r));
    else sumRows(xo, yo, scratch, r, inner);
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

// The max of n ≥ 1 contiguous floats, four lanes at a time, as the shift of a softmax row. pmax
// (one instruction, where f32x4.max needs NaN fix-ups) may skip a NaN; the row's Σ exp(x − max)
// is then NaN all the same, so every result that depends on the shift still is.
export function maxContiguous(p: usize, n: i32): f32 {
  let m = load<f32>(p), k = 1;
  if (n >= 4) {
    let v = v128.load(p);
    for (k = 4; k + 4 <= n; k += 4) v = f32x4.pmax(v, v128.load(p + (<usize>k << 2)));
    m = max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
  }
  for (; k < n; k++) m = max(m, load<f32>(p + (<usize>k << 2)));
  return m;
}

// Numerically stable softmax / log-softmax along the middle dim: subtract the max first.
export function softmax_f32(x: usize, y: usize, outer: i32, r: i32, inner: i32, log: i32): void {
  if (inner == 1) {
    for (let o = 0; o < outer; o++) {
      const xr = x + (<usize>(o * r) << 2);
      const yr = y + (<usize>(o * r) << 2);
      const m = maxContiguous(xr, r);
      // softmax keeps exp(x − m) in y on the way (then scales it); log-softmax needs only the sum.
      const sum = <f32>sumExpContiguous(xr, r, m, log ? 0 : yr);
      let k = 0;
      if (log) {
        const shift = m + Mathf.log(sum);
        for (; k < r; k++) { const p = <usize>k << 2; store<f32>(yr + p, load<f32>(xr + p) - shift); }
      } else {
        const inv = f32x4.splat(1 / sum);
        for (; k + 4 <= r; k += 4) { const p = <usize>k << 2; v128.store(yr + p, f32x4.mul(v128.load(yr + p), inv)); }
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
      let sum: f64 = 0;
      for (let k = 0; k < r; k++) sum += <f64>Mathf.exp(load<f32>(x + base + <usize>k * step) - m);
      const shift = m + Mathf.log(<f32>sum);
      for (let k = 0; k < r; k++) {
        const p = base + <usize>k * step;
        const v = load<f32>(x + p) - shift;
        store<f32>(y + p, log ? v : Mathf.exp(v));
      }
    }
  }
}

// dx at byte offset q of a contiguous row (four lanes, or one for the row's tail), s = the row's Σ.
// @ts-ignore: decorator
@inline function softmaxBackwardStep(y: usize, g: usize, dx: usize, q: usize, sv: v128, log: i32, one: bool): void {
  const yv = one ? loadLane(y + q) : v128.load(y + q), gv = one ? loadLane(g + q) : v128.load(g + q);
  const d = log ? f32x4.sub(gv, f32x4.mul(exp4(yv), sv)) : f32x4.mul(yv, f32x4.sub(gv, sv));
  if (one) storeLane(dx + q, d);
  else v128.store(dx + q, d);
}

// softmax: dx = y ⊙ (g − Σ g⊙y);  log-softmax: dx = g − exp(y) ⊙ Σ g
export function softmax_backward_f32(y: usize, g: usize, dx: usize, outer: i32, r: i32, inner: i32, log: i32): void {
  if (inner == 1) {
    for (let o = 0; o < outer; o++) {
      const row = <usize>(o * r) << 2;
      const yr = y + row, gr = g + row, dr = dx + row;
      const sv = f32x4.splat(<f32>(log ? sumContiguous(gr, r) : sumDotDevContiguous(gr, yr, r, 0)));
      let k = 0;
      for (; k + 4 <= r; k += 4) softmaxBackwardStep(yr, gr, dr, <usize>k << 2, sv, log, false);
      for (; k < r; k++) softmaxBackwardStep(yr, gr, dr, <usize>k << 2, sv, log, true);
    }
    return;
  }
  const step = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = <usize>(o * r * inner + i) << 2;
      let total: f64 = 0;
      for (let k = 0; k < r; k++) {
        const p = base + <usize>k * step;
        total += <f64>(log ? load<f32>(g + p) : load<f32>(g + p) * load<f32>(y + p));
      }
      const s = <f32>total;
      for (let k = 0; k < r; k++) {
        const p = base + <usize>k * step;
        const yv = load<f32>(y + p);
        store<f32>(dx + p, log ? load<f32>(g + p) - Mathf.exp(yv) * s : yv * (load<f32>(g + p) - s));
      }
    }
  }
}

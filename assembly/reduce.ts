// Reductions over one dim of a tensor viewed as [outer, r, inner], and softmax along that dim.
import { sumContiguous, sumExpContiguous, sumRows } from "./sums";

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

// Numerically stable softmax / log-softmax along the middle dim: subtract the max first.
export function softmax_f32(x: usize, y: usize, outer: i32, r: i32, inner: i32, log: i32): void {
  if (inner == 1) {
    for (let o = 0; o < outer; o++) {
      const xr = x + (<usize>(o * r) << 2);
      const yr = y + (<usize>(o * r) << 2);
      let m = load<f32>(xr);
      for (let k = 1; k < r; k++) m = max(m, load<f32>(xr + (<usize>k << 2)));
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

// softmax: dx = y ⊙ (g − Σ g⊙y);  log-softmax: dx = g − exp(y) ⊙ Σ g
export function softmax_backward_f32(y: usize, g: usize, dx: usize, outer: i32, r: i32, inner: i32, log: i32): void {
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

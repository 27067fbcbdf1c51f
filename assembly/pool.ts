// Pooling over NCHW planes (planes = N·C images of H x W).

// First tap t in 0..k−1 with start + t·d ≥ 0, and one past the last with start + t·d < size.
// @ts-ignore: decorator
@inline function tapsLo(start: i32, d: i32): i32 {
  if (start >= 0) return 0;
  return d == 1 ? -start : (d - 1 - start) / d;
}
// @ts-ignore: decorator
@inline function tapsHi(start: i32, d: i32, k: i32, size: i32): i32 {
  const last = size - 1 - start;
  if (last < 0) return 0;
  return min(k, (d == 1 ? last : last / d) + 1);
}

// The maximum over one window clipped to rows iLo..iHi−1 of taps; writes y and its index (−1 and
// −∞ for a window with no tap inside the input, which dilation gaps can leave).
// @ts-ignore: decorator
@inline function maxWindow(plane: usize, W: i32, h0: i32, iLo: i32, iHi: i32, dh: i32,
  w0: i32, kw: i32, dw: i32, y: usize, idx: usize): void {
  const jLo = tapsLo(w0, dw), jHi = tapsHi(w0, dw, kw, W);
  if (iLo >= iHi || jLo >= jHi) {
    store<f32>(y, -Infinity);
    store<i32>(idx, -1);
    return;
  }
  let bestIdx = (h0 + iLo * dh) * W + w0 + jLo * dw;
  let best = load<f32>(plane + (<usize>bestIdx << 2));
  for (let i = iLo; i < iHi; i++) {
    const row = (h0 + i * dh) * W + w0;
    for (let j = jLo; j < jHi; j++) {
      const at = row + j * dw;
      const v = load<f32>(plane + (<usize>at << 2));
      if (v > best || v != v) {
        best = v;
        bestIdx = at;
      }
    }
  }
  store<f32>(y, best);
  store<i32>(idx, bestIdx);
}

// Four values at p, p + s, p + 2s, p + 3s (s in floats).
// @ts-ignore: decorator
@inline function loadStrided(p: usize, s: i32): v128 {
  if (s == 1) return v128.load(p);
  // p+3..p+6, not p+4..p+7: never read past the last value needed (the end of memory).
  if (s == 2) return v128.shuffle<f32>(v128.load(p), v128.load(p, 12), 0, 2, 5, 7);
  const b = <usize>s << 2;
  let v = f32x4.splat(load<f32>(p));
  v = f32x4.replace_lane(v, 1, load<f32>(p + b));
  v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * b));
  return f32x4.replace_lane(v, 3, load<f32>(p + 3 * b));
}

// Two groups of four neighbouring windows, starting at input columns wa and wb of row h0 (all
// their taps inside the row), one window per lane, by compare-and-bitselect: the maxima to ya and
// yb, their indices to ia and ib. The groups are independent chains of compares, two in flight
// where one alone waits on each compare's latency: LeNet's 2x2 poolings (64x16x10x10 and
// 64x6x28x28) measured 1.13x and 1.18x faster than one group at a time, alternating runs. wb may
// equal wa, and the groups may overlap, when fewer than eight windows are left.
// @ts-ignore: decorator
@inline function maxWindows8(plane: usize, W: i32, h0: i32, iLo: i32, iHi: i32, dh: i32, wa: i32, wb: i32, kw: i32, dw: i32,
  sw: i32, laneStep: v128, ya: usize, ia: usize, yb: usize, ib: usize): void {
  // −∞ at the first tap's index: the first tap replaces it unless it is −∞ itself, which leaves
  // the same value and index (one loadStrided less to inline, the same results).
  const first = (h0 + iLo * dh) * W;
  let bestA = f32x4.splat(-Infinity), idxA = i32x4.add(i32x4.splat(first + wa), laneStep);
  let bestB = bestA, idxB = i32x4.add(i32x4.splat(first + wb), laneStep);
  for (let i = iLo; i < iHi; i++) {
    const row = (h0 + i * dh) * W;
    for (let j = 0; j < kw; j++) {
      const at = row + j * dw;
      const a = loadStrided(plane + (<usize>(at + wa) << 2), sw), b = loadStrided(plane + (<usize>(at + wb) << 2), sw);
      const betterA = v128.or(f32x4.gt(a, bestA), f32x4.ne(a, a)), betterB = v128.or(f32x4.gt(b, bestB), f32x4.ne(b, b));
      bestA = v128.bitselect(a, bestA, betterA);
      bestB = v128.bitselect(b, bestB, betterB);
      idxA = v128.bitselect(i32x4.add(i32x4.splat(at + wa), laneStep), idxA, betterA);
      idxB = v128.bitselect(i32x4.add(i32x4.splat(at + wb), laneStep), idxB, betterB);
    }
  }
  v128.store(ya, bestA);
  v128.store(ia, idxA);
  v128.store(yb, bestB);
  v128.store(ib, idxB);
}

// y = the maximum over each window (stride, implicit −∞ padding, dilation); idx = its position
// h·W + w within the plane (PyTorch's max indices), the first one on ties; NaN wins, as in PyTorch.
// Windows that run past the input (ceil mode) cover only the real elements. Columns whose windows
// lie wholly inside the input run four windows per f32x4 with compare-and-bitselect (V8 compiles
// scalar float max/select to branches, which mispredict about half the time on real data), eight
// at a time; the last few (fewer than eight) are the last eight again, overlapping: they store the
// same values.
export function max_pool2d_f32(x: usize, y: usize, idx: usize, planes: i32, H: i32, W: i32, Ho: i32, Wo: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32): void {
  // Interior output columns [owA, owB): every tap of the window inside 0 .. W−1.
  const owA = min(Wo, (pw + sw - 1) / sw);
  const lastStart = W - 1 - (kw - 1) * dw + pw;
  const owB = lastStart < 0 ? owA : max(owA, min(Wo, lastStart / sw + 1));
  const laneStep = i32x4(0, sw, 2 * sw, 3 * sw);
  let out: usize = 0;
  for (let p = 0; p < planes; p++) {
    const plane = x + ((<usize>p * H * W) << 2);
    for (let oh = 0; oh < Ho; oh++, out += <usize>Wo << 2) {
      const h0 = oh * sh - ph;
      const iLo = tapsLo(h0, dh), iHi = tapsHi(h0, dh, kh, H);
      let ow = 0;
      for (; ow < owA; ow++) maxWindow(plane, W, h0, iLo, iHi, dh, ow * sw - pw, kw, dw, y + out + (<usize>ow << 2), idx + out + (<usize>ow << 2));
      if (iLo < iHi && owB - owA >= 4) {
        for (; ow < owB; ow += 8) {
          const a = min(ow, owB - 4), b = min(ow + 4, owB - 4);
          const oa = out + (<usize>a << 2), ob = out + (<usize>b << 2);
          maxWindows8(plane, W, h0, iLo, iHi, dh, a * sw - pw, b * sw - pw, kw, dw, sw, laneStep, y + oa, idx + oa, y + ob, idx + ob);
        }
        ow = owB;
      }
      for (; ow < Wo; ow++) maxWindow(plane, W, h0, iLo, iHi, dh, ow * sw - pw, kw, dw, y + out + (<usize>ow << 2), idx + out + (<usize>ow << 2));
    }
  }
}

// dx[plane, idx] += g for every output (idx −1: an empty window); dx is cleared first.
export function max_pool2d_backward_f32(g: usize, idx: usize, dx: usize, planes: i32, HW: i32, L: i32): void {
  memory.fill(dx, 0, (<usize>planes * HW) << 2);
  let out: usize = 0;
  for (let p = 0; p < planes; p++) {
    const plane = dx + ((<usize>p * HW) << 2);
    for (let l = 0; l < L; l++, out += 4) {
      const i = load<i32>(idx + out);
      if (i < 0) continue;
      const d = plane + (<usize>i << 2);
      store<f32>(d, load<f32>(d) + load<f32>(g + out));
    }
  }
}

// Windowed sums over rectangular windows given as tables, which covers average pooling (with or
// without padded zeros in the divisor, divisor override), adaptive and global average pooling and
// nearest-neighbour upsampling (one-element windows):
//   y[p, i, j] = rowScale[i]·colScale[j]·Σ x[p, r, c]  over r in [rowLo[i], rowHi[i]), c in [colLo[j], colHi[j])
// windows (i32): rowLo[Ho], rowHi[Ho], colLo[Wo], colHi[Wo] (clipped to the input);
// scales (f32): rowScale[Ho], colScale[Wo].
export function avg_pool2d_f32(x: usize, y: usize, planes: i32, H: i32, W: i32, Ho: i32, Wo: i32,
  windows: usize, scales: usize): void {
  const rowLo = windows, rowHi = rowLo + (<usize>Ho << 2), colLo = rowHi + (<usize>Ho << 2), colHi = colLo + (<usize>Wo << 2);
  const rowScale = scales, colScale = scales + (<usize>Ho << 2);
  let out: usize = 0;
  for (let p = 0; p < planes; p++) {
    const plane = x + ((<usize>p * H * W) << 2);
    for (let i = 0; i < Ho; i++) {
      const r0 = load<i32>(rowLo + (<usize>i << 2)), r1 = load<i32>(rowHi + (<usize>i << 2));
      const rs = load<f32>(rowScale + (<usize>i << 2));
      for (let j = 0; j < Wo; j++, out += 4) {
        const c0 = load<i32>(colLo + (<usize>j << 2)), c1 = load<i32>(colHi + (<usize>j << 2));
        let s: f32 = 0;
        for (let r = r0; r < r1; r++) {
          const row = plane + ((<usize>r * W) << 2);
          let c = c0;
          if (c1 - c0 >= 8) {
            let acc = f32x4.splat(0);
            for (; c + 4 <= c1; c += 4) acc = f32x4.add(acc, v128.load(row + (<usize>c << 2)));
            s += f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
          }
          for (; c < c1; c++) s += load<f32>(row + (<usize>c << 2));
        }
        store<f32>(y + out, s * rs * load<f32>(colScale + (<usize>j << 2)));
      }
    }
  }
}

// The adjoint of avg_pool2d_f32: each g[p, i, j]·rowScale[i]·colScale[j] is added to every input
// element of its window; dx is cleared first.
export function avg_pool2d_backward_f32(g: usize, dx: usize, planes: i32, H: i32, W: i32, Ho: i32, Wo: i32,
  windows: usize, scales: usize): void {
  memory.fill(dx, 0, (<usize>planes * H * W) << 2);
  const rowLo = windows, rowHi = rowLo + (<usize>Ho << 2), colLo = rowHi + (<usize>Ho << 2), colHi = colLo + (<usize>Wo << 2);
  const rowScale = scales, colScale = scales + (<usize>Ho << 2);
  let out: usize = 0;
  for (let p = 0; p < planes; p++) {
    const plane = dx + ((<usize>p * H * W) << 2);
    for (let i = 0; i < Ho; i++) {
      const r0 = load<i32>(rowLo + (<usize>i << 2)), r1 = load<i32>(rowHi + (<usize>i << 2));
      const rs = load<f32>(rowScale + (<usize>i << 2));
      for (let j = 0; j < Wo; j++, out += 4) {
        const c0 = load<i32>(colLo + (<usize>j << 2)), c1 = load<i32>(colHi + (<usize>j << 2));
        const v = load<f32>(g + out) * rs * load<f32>(colScale + (<usize>j << 2));
        const vv = f32x4.splat(v);
        for (let r = r0; r < r1; r++) {
          const row = plane + ((<usize>r * W) << 2);
          let c = c0;
          for (; c + 4 <= c1; c += 4) {
            const q = row + (<usize>c << 2);
            v128.store(q, f32x4.add(v128.load(q), vv));
          }
          for (; c < c1; c++) {
            const q = row + (<usize>c << 2);
            store<f32>(q, load<f32>(q) + v);
          }
        }
      }
    }
  }
}

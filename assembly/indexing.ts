// Indexing along one dim: gather / scatter-add driven by an int32 index tensor over a 4-d index
// space (the TS side loops any further dims and merges what it can), an index range check, and
// the running sum and a stable merge sort along a dim.

// For every position i of the index space: d = data + Σ i_k·ds_k + idx[Σ i_k·is_k]·dimStride,
// o = other + Σ i_k·os_k (element strides). scatter = 0: *o = *d (gather); scatter = 1: *d += *o
// (repeated indices accumulate). Indices must already be in range (index_out_of_range_i32).
export function index_along_f32(scatter: i32, data: usize, idx: usize, other: usize,
  d0: i32, d1: i32, d2: i32, d3: i32, ds0: i32, ds1: i32, ds2: i32, ds3: i32,
  is0: i32, is1: i32, is2: i32, is3: i32, os0: i32, os1: i32, os2: i32, os3: i32, dimStride: i32): void {
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      for (let i2 = 0; i2 < d2; i2++) {
        const dp = data + (<usize>(i0 * ds0 + i1 * ds1 + i2 * ds2) << 2);
        const ip = idx + (<usize>(i0 * is0 + i1 * is1 + i2 * is2) << 2);
        const op = other + (<usize>(i0 * os0 + i1 * os1 + i2 * os2) << 2);
        if (scatter) {
          for (let i3 = 0; i3 < d3; i3++) {
            const d = dp + (<usize>(i3 * ds3 + load<i32>(ip + (<usize>(i3 * is3) << 2)) * dimStride) << 2);
            store<f32>(d, load<f32>(d) + load<f32>(op + (<usize>(i3 * os3) << 2)));
          }
        } else {
          for (let i3 = 0; i3 < d3; i3++) {
            const d = dp + (<usize>(i3 * ds3 + load<i32>(ip + (<usize>(i3 * is3) << 2)) * dimStride) << 2);
            store<f32>(op + (<usize>(i3 * os3) << 2), load<f32>(d));
          }
        }
      }
    }
  }
}

// The first position of idx[0..n) whose value is outside [0, size), or -1.
export function index_out_of_range_i32(idx: usize, n: i32, size: i32): i32 {
  for (let i = 0; i < n; i++) {
    if (<u32>load<i32>(idx + (<usize>i << 2)) >= <u32>size) return i;
  }
  return -1;
}

// y[o, k, i] = Σ_{j ≤ k} x[o, j, i] (reverse: Σ_{j ≥ k}), a row of `inner` values at a time.
export function cumsum_dim_f32(x: usize, y: usize, outer: i32, r: i32, inner: i32, reverse: i32): void {
  const row = <usize>inner << 2;
  const vecInner = inner & ~3;
  for (let o = 0; o < outer; o++) {
    const base = <usize>(o * r) * row;
    for (let step = 0; step < r; step++) {
      const k = reverse ? r - 1 - step : step;
      const xr = x + base + <usize>k * row;
      const yr = y + base + <usize>k * row;
      if (step == 0) {
        memory.copy(yr, xr, row);
        continue;
      }
      const prev = reverse ? yr + row : yr - row;
      let i = 0;
      for (; i < vecInner; i += 4) {
        const p = <usize>i << 2;
        v128.store(yr + p, f32x4.add(v128.load(prev + p), v128.load(xr + p)));
      }
      for (; i < inner; i++) { const p = <usize>i << 2; store<f32>(yr + p, load<f32>(prev + p) + load<f32>(xr + p)); }
    }
  }
}

// a comes strictly before b: ascending, or descending; NaN counts as larger than every number.
@inline function precedes(a: f32, b: f32, descending: i32): bool {
  const na = a != a, nb = b != b;
  if (na || nb) return na && nb ? false : na == (descending != 0);
  return descending ? a > b : a < b;
}

// idx[o, k, i] = the position along the middle dim of the k-th element of x[o, :, i] in sorted
// order: a stable bottom-up merge sort (ties keep their order). scratch holds 4·r words.
export function sort_dim_f32(x: usize, idx: usize, scratch: usize, outer: i32, r: i32, inner: i32, descending: i32): void {
  const words = <usize>r << 2;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = <usize>(o * r * inner + i);
      let keys = scratch, pos = scratch + words, nextKeys = scratch + 2 * words, nextPos = scratch + 3 * words;
      for (let k = 0; k < r; k++) {
        store<f32>(keys + (<usize>k << 2), load<f32>(x + ((base + <usize>k * inner) << 2)));
        store<i32>(pos + (<usize>k << 2), k);
      }
      for (let width = 1; width < r; width <<= 1) {
        for (let lo = 0; lo < r; lo += width << 1) {
          const mid = min(lo + width, r), hi = min(lo + (width << 1), r);
          let a = lo, b = mid;
          for (let out = lo; out < hi; out++) {
            const takeB = a >= mid || (b < hi && precedes(load<f32>(keys + (<usize>b << 2)), load<f32>(keys + (<usize>a << 2)), descending));
            const from = takeB ? b++ : a++;
            store<f32>(nextKeys + (<usize>out << 2), load<f32>(keys + (<usize>from << 2)));
            store<i32>(nextPos + (<usize>out << 2), load<i32>(pos + (<usize>from << 2)));
          }
        }
        let t = keys; keys = nextKeys; nextKeys = t;
        t = pos; pos = nextPos; nextPos = t;
      }
      for (let k = 0; k < r; k++) store<i32>(idx + ((base + <usize>k * inner) << 2), load<i32>(pos + (<usize>k << 2)));
    }
  }
}

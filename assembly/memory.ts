// Data movement on 32-bit words (float32 and int32 alike): fills, casts and the strided copy that
// every shape op (permute, slice, narrow, cat, pad, expand and their backwards) reduces to.

export function fill_f32(p: usize, n: i32, value: f32): void {
  const v = f32x4.splat(value);
  const end = p + (<usize>n << 2);
  const vecEnd = p + (<usize>(n & ~3) << 2);
  for (; p < vecEnd; p += 16) v128.store(p, v);
  for (; p < end; p += 4) store<f32>(p, value);
}

export function fill_i32(p: usize, n: i32, value: i32): void {
  const end = p + (<usize>n << 2);
  for (; p < end; p += 4) store<i32>(p, value);
}

export function cast_i32_f32(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(dst + (<usize>i << 2), <f32>load<i32>(src + (<usize>i << 2)));
}

// As PyTorch on x86 (cvttss2si): NaN and values outside the int32 range become INT_MIN rather
// than saturating to 0 / INT_MAX, so a NaN class target is out of range instead of class 0.
export function cast_f32_i32(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const x = load<f32>(src + (<usize>i << 2));
    store<i32>(dst + (<usize>i << 2), x >= -2147483648.0 && x < 2147483648.0 ? <i32>x : i32.MIN_VALUE);
  }
}

// dst[i·ds] = src[i·ss] over a 4-d index space (strides in elements). Rows that are contiguous on
// both sides become one memory.copy.
export function copy_strided_32(src: usize, dst: usize, d0: i32, d1: i32, d2: i32, d3: i32,
  ss0: i32, ss1: i32, ss2: i32, ss3: i32, ds0: i32, ds1: i32, ds2: i32, ds3: i32): void {
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      for (let i2 = 0; i2 < d2; i2++) {
        const s = src + (<usize>(i0 * ss0 + i1 * ss1 + i2 * ss2) << 2);
        const d = dst + (<usize>(i0 * ds0 + i1 * ds1 + i2 * ds2) << 2);
        if (ss3 == 1 && ds3 == 1) {
          memory.copy(d, s, <usize>d3 << 2);
        } else {
          for (let i3 = 0; i3 < d3; i3++) store<u32>(d + (<usize>(i3 * ds3) << 2), load<u32>(s + (<usize>(i3 * ss3) << 2)));
        }
      }
    }
  }
}

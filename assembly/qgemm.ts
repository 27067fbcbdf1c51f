// int8 GEMM for quantized inference: C[m, n] = act(scale[n] · Σ_k a[m, k]·w[n, k] + offset[n]).
//
// a holds activations quantized to 7 bits, [0, 127] (PyTorch's fbgemm default, reduce_range):
// the relaxed build's i32x4.relaxed_dot_i8x16_i7x16_add_s is defined only for a second operand
// with the top bit clear, and both builds use the same range so they compute the same integers.
// w holds weights quantized to int8 (per output channel, symmetric). The sums are exact in int32
// (|a·w| ≤ 127·128, so K up to 2^17 cannot overflow).
//
// Both operands are packed along K in groups of KG values, the group one dot instruction reduces:
//   plain SIMD: KG = 2, i32x4.dot_i16x8_s on i16 lanes; a is stored as i16, w as i8 (sign-extended
//               by v128.load8x8_s), so a pair of a values is one 32-bit splat;
//   relaxed:    KG = 4, the relaxed dot of i8 and i7 bytes: i16x8.relaxed_dot_i8x16_i7x16_s, then
//               i32x4.extadd_pairwise_i16x8_s and an add. The fused i32x4.relaxed_dot_i8x16_i7x16_add_s
//               computes the same sums, but Node 20's baseline compiler (Liftoff) gets it wrong in
//               this kernel (a tile's first rows were summed into a later one; the optimizing tier
//               was right), and a kernel's first calls run in Liftoff.
// Packed a: M rows of Kp = roundUp(K, KG) elements. Packed w: panels of NR = 8 output channels; in
// a panel, group g holds the bytes w[n0 + c, g·KG + j] at c·KG + j, so one 16-byte load covers
// four channels and each i32 lane of a dot accumulates one channel. Padding (k ≥ K, n ≥ N) is 0.
// The TS side asks qgemm_packed_a_bytes / qgemm_packed_w_bytes for sizes and never sees the layout.

const NR = 8;
const MR = 4;
const KG: i32 = ASC_FEATURE_RELAXED_SIMD ? 4 : 2;
const A_BYTES: i32 = ASC_FEATURE_RELAXED_SIMD ? 1 : 2;
// The 7-bit activation range.
const QMAX: i32 = 127;

// @ts-ignore: decorator
@inline function roundUp(x: i32, m: i32): i32 {
  return (x + m - 1) / m * m;
}

/** Bytes of the packed activations for M rows of depth K. */
export function qgemm_packed_a_bytes(M: i32, K: i32): i32 {
  return M * roundUp(K, KG) * A_BYTES;
}

/** Bytes of the packed weights of N output channels of depth K. */
export function qgemm_packed_w_bytes(N: i32, K: i32): i32 {
  return roundUp(N, NR) * roundUp(K, KG);
}

// @ts-ignore: decorator
@inline function storeA(dst: usize, q: i32): void {
  if (ASC_FEATURE_RELAXED_SIMD) store<u8>(dst, <u8>q);
  else store<i16>(dst, <i16>q);
}

// Four floats to four codes in i32 lanes: round(x·invScale) + zp clamped to [0, 127], in float
// so no sum can overflow. nearest rounds half to even, like PyTorch's quantize_per_tensor; a NaN
// stays NaN through min/max and trunc_sat turns it into 0.
// @ts-ignore: decorator
@inline function quantize4(x: v128, vinv: v128, vzp: v128): v128 {
  const q = f32x4.add(f32x4.nearest(f32x4.mul(x, vinv)), vzp);
  return i32x4.trunc_sat_f32x4_s(f32x4.min(f32x4.max(q, f32x4.splat(0)), f32x4.splat(<f32>QMAX)));
}

// One float, by the same vector steps (so tails round exactly as the bulk does).
// @ts-ignore: decorator
@inline function quantizeScalar(src: usize, invScale: f32, zp: i32): i32 {
  return i32x4.extract_lane(quantize4(v128.load32_splat(src), f32x4.splat(invScale), f32x4.splat(<f32>zp)), 0);
}

// 16 floats to 16 codes as i16 lanes (two vectors).
// @ts-ignore: decorator
@inline function quantize16Lo(s: usize, vinv: v128, vzp: v128): v128 {
  return i16x8.narrow_i32x4_s(quantize4(v128.load(s), vinv, vzp), quantize4(v128.load(s, 16), vinv, vzp));
}
// @ts-ignore: decorator
@inline function quantize16Hi(s: usize, vinv: v128, vzp: v128): v128 {
  return i16x8.narrow_i32x4_s(quantize4(v128.load(s, 32), vinv, vzp), quantize4(v128.load(s, 48), vinv, vzp));
}

// Quantizes n contiguous floats into n packed-a elements (16 at a time with SIMD).
function quantizeRun(src: usize, n: i32, invScale: f32, zp: i32, dst: usize): void {
  const vinv = f32x4.splat(invScale);
  const vzp = f32x4.splat(<f32>zp);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const s = src + (<usize>i << 2);
    const lo = quantize16Lo(s, vinv, vzp), hi = quantize16Hi(s, vinv, vzp);
    if (ASC_FEATURE_RELAXED_SIMD) {
      v128.store(dst + i, i8x16.narrow_i16x8_u(lo, hi));
    } else {
      v128.store(dst + (<usize>i << 1), lo);
      v128.store(dst + (<usize>i << 1), hi, 16);
    }
  }
  for (; i < n; i++) storeA(dst + <usize>i * A_BYTES, quantizeScalar(src + (<usize>i << 2), invScale, zp));
}

/**
 * Quantizes the rows of x [M, K] (row stride ldx floats) to packed activations:
 * q = clamp(round(x·invScale) + zp, 0, 127).
 */
export function qgemm_quantize_rows(x: usize, M: i32, K: i32, ldx: i32, invScale: f32, zp: i32, dst: usize): void {
  const kp = roundUp(K, KG);
  for (let m = 0; m < M; m++) {
    const row = dst + <usize>m * kp * A_BYTES;
    quantizeRun(x + <usize>m * ldx * 4, K, invScale, zp, row);
    for (let k = K; k < kp; k++) storeA(row + <usize>k * A_BYTES, 0);
  }
}

/**
 * Quantizes one image x [C, HW] (floats, channels first) to bytes laid out channels last,
 * dst [HW, C] (q as above): a patch's values for one kernel tap are then C contiguous bytes.
 */
export function qgemm_quantize_nhwc(x: usize, C: i32, HW: i32, invScale: f32, zp: i32, dst: usize): void {
  const vinv = f32x4.splat(invScale);
  const vzp = f32x4.splat(<f32>zp);
  const step = <usize>C;
  for (let c = 0; c < C; c++) {
    const src = x + (<usize>c * HW << 2);
    let out = dst + c;
    let i = 0;
    for (; i + 4 <= HW; i += 4) {
      const q = quantize4(v128.load(src + (<usize>i << 2)), vinv, vzp);
      store<u8>(out, <u8>i32x4.extract_lane(q, 0));
      store<u8>(out + step, <u8>i32x4.extract_lane(q, 1));
      store<u8>(out + 2 * step, <u8>i32x4.extract_lane(q, 2));
      store<u8>(out + 3 * step, <u8>i32x4.extract_lane(q, 3));
      out += 4 * step;
    }
    for (; i < HW; i++) {
      store<u8>(out, <u8>quantizeScalar(src + (<usize>i << 2), invScale, zp));
      out += step;
    }
  }
}

// Copies n quantized bytes into n packed-a elements (16 or 8 at a time).
// @ts-ignore: decorator
@inline function copyRun(src: usize, n: i32, dst: usize): void {
  let i = 0;
  if (ASC_FEATURE_RELAXED_SIMD) {
    for (; i + 16 <= n; i += 16) v128.store(dst + i, v128.load(src + i));
  } else {
    for (; i + 8 <= n; i += 8) v128.store(dst + (<usize>i << 1), v128.load8x8_u(src + i));
  }
  for (; i < n; i++) storeA(dst + <usize>i * A_BYTES, <i32>load<u8>(src + i));
}

/**
 * Gathers the patches of one image's channels-last bytes xq [H, W, ldc] (from qgemm_quantize_nhwc;
 * a group's channels start at xq and span Cg) into packed activations: row p = oh·Wo + ow holds
 * the kh·kw·Cg values in the order (i, j, c); a tap in the zero padding takes zp (the code of 0.0).
 */
export function qgemm_im2col(xq: usize, ldc: i32, Cg: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
                             dh: i32, dw: i32, Ho: i32, Wo: i32, zp: i32, dst: usize): void {
  const K = Cg * kh * kw;
  const kp = roundUp(K, KG);
  const run = <usize>Cg * A_BYTES;
  let row = dst;
  for (let oh = 0; oh < Ho; oh++) {
    for (let ow = 0; ow < Wo; ow++) {
      let out = row;
      for (let i = 0; i < kh; i++) {
        const y = oh * sh - ph + i * dh;
        for (let j = 0; j < kw; j++) {
          const xx = ow * sw - pw + j * dw;
          if (<u32>y < <u32>H && <u32>xx < <u32>W) {
            copyRun(xq + (<usize>(y * W + xx)) * ldc, Cg, out);
          } else {
            for (let c = 0; c < Cg; c++) storeA(out + <usize>c * A_BYTES, zp);
          }
          out += run;
        }
      }
      for (let k = K; k < kp; k++) {
        storeA(out, 0);
        out += A_BYTES;
      }
      row += <usize>kp * A_BYTES;
    }
  }
}

/**
 * Packs int8 weights w [N, K] (one byte each, row-major) into panels and writes each channel's sum
 * Σ_k w[n, k] to colsum[n] (int32), which folds the activations' zero point into the epilogue.
 */
export function qgemm_pack_w(w: usize, N: i32, K: i32, dst: usize, colsum: usize): void {
  const kp = roundUp(K, KG);
  const np = roundUp(N, NR);
  memory.fill(dst, 0, <usize>np * kp);
  for (let n = 0; n < N; n++) {
    const panel = dst + <usize>(n / NR) * NR * kp;
    const c = n % NR;
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const v = load<i8>(w + <usize>n * K + k);
      sum += v;
      store<i8>(panel + <usize>(k / KG) * NR * KG + c * KG + k % KG, v);
    }
    store<i32>(colsum + (<usize>n << 2), sum);
  }
}

// One group of KG depths of one row into one accumulator (b: channels 0-3 or 4-7 of the panel).
// The weights are the signed operand, the 7-bit activations the i7 one (unsigned on x86's pmaddubsw;
// |pair sum| ≤ 2·128·127 < 2^15, so its i16 saturation never triggers).
// @ts-ignore: decorator
@inline function dotGroup(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(b, a)));
  return i32x4.add(acc, i32x4.dot_i16x8_s(a, b));
}

// The valid part of one row of a tile: scale, offset, ReLU, then stored at stride cs.
// @ts-ignore: decorator
@inline function storeRow(acc0: v128, acc1: v128, C: usize, cs: i32, cols: i32, scale: usize, offset: usize, relu: i32): void {
  let v0 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc0), v128.load(scale)), v128.load(offset));
  let v1 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc1), v128.load(scale, 16)), v128.load(offset, 16));
  if (relu) {
    v0 = f32x4.pmax(v0, f32x4.splat(0));
    v1 = f32x4.pmax(v1, f32x4.splat(0));
  }
  if (cs == 1 && cols == NR) {
    v128.store(C, v0);
    v128.store(C, v1, 16);
    return;
  }
  const step = <usize>cs << 2;
  // Lane indices must be constants: unrolled, each store guarded by the column count.
  store<f32>(C, f32x4.extract_lane(v0, 0));
  if (cols > 1) store<f32>(C + step, f32x4.extract_lane(v0, 1));
  if (cols > 2) store<f32>(C + 2 * step, f32x4.extract_lane(v0, 2));
  if (cols > 3) store<f32>(C + 3 * step, f32x4.extract_lane(v0, 3));
  if (cols > 4) store<f32>(C + 4 * step, f32x4.extract_lane(v1, 0));
  if (cols > 5) store<f32>(C + 5 * step, f32x4.extract_lane(v1, 1));
  if (cols > 6) store<f32>(C + 6 * step, f32x4.extract_lane(v1, 2));
  if (cols > 7) store<f32>(C + 7 * step, f32x4.extract_lane(v1, 3));
}

/**
 * C[m·rs + n·cs] = act(scale[n]·Σ_k a[m, k]·w[n, k] + offset[n]) for packed a (M rows) and packed
 * w (N channels), depth K; scale and offset hold roundUp(N, 8) floats (the padding is read, not
 * used). relu != 0 applies max(·, 0). rs, cs: strides of C in floats (a Linear's output is
 * [M, N]: rs = N, cs = 1; a convolution's is [N, M]: rs = 1, cs = M).
 */
export function qgemm_s8(M: i32, N: i32, K: i32, a: usize, w: usize, scale: usize, offset: usize, relu: i32,
                         C: usize, rs: i32, cs: i32): void {
  const kp = roundUp(K, KG);
  const groups = kp / KG;
  const aRow = <usize>kp * A_BYTES;
  const aStep: usize = KG * A_BYTES;
  for (let n0 = 0; n0 < N; n0 += NR) {
    const panel = w + <usize>n0 * kp;
    const cols = min(NR, N - n0);
    for (let m0 = 0; m0 < M; m0 += MR) {
      const rows = min(MR, M - m0);
      // Missing rows of the last block re-read the last row; their results are not stored.
      const a0 = a + <usize>m0 * aRow;
      const a1 = a + <usize>(m0 + min(1, rows - 1)) * aRow;
      const a2 = a + <usize>(m0 + min(2, rows - 1)) * aRow;
      const a3 = a + <usize>(m0 + min(3, rows - 1)) * aRow;
      let c00 = i32x4.splat(0), c01 = i32x4.splat(0), c10 = i32x4.splat(0), c11 = i32x4.splat(0);
      let c20 = i32x4.splat(0), c21 = i32x4.splat(0), c30 = i32x4.splat(0), c31 = i32x4.splat(0);
      let bp = panel;
      let off: usize = 0;
      for (let g = 0; g < groups; g++) {
        let b0: v128, b1: v128;
        if (ASC_FEATURE_RELAXED_SIMD) {
          b0 = v128.load(bp);
          b1 = v128.load(bp, 16);
        } else {
          b0 = v128.load8x8_s(bp);
          b1 = v128.load8x8_s(bp, 8);
        }
        const x0 = v128.load32_splat(a0 + off);
        c00 = dotGroup(x0, b0, c00);
        c01 = dotGroup(x0, b1, c01);
        const x1 = v128.load32_splat(a1 + off);
        c10 = dotGroup(x1, b0, c10);
        c11 = dotGroup(x1, b1, c11);
        const x2 = v128.load32_splat(a2 + off);
        c20 = dotGroup(x2, b0, c20);
        c21 = dotGroup(x2, b1, c21);
        const x3 = v128.load32_splat(a3 + off);
        c30 = dotGroup(x3, b0, c30);
        c31 = dotGroup(x3, b1, c31);
        bp += NR * KG;
        off += aStep;
      }
      const sc = scale + (<usize>n0 << 2);
      const ofs = offset + (<usize>n0 << 2);
      const c0 = C + ((<usize>m0 * rs + <usize>n0 * cs) << 2);
      const rowStep = <usize>rs << 2;
      storeRow(c00, c01, c0, cs, cols, sc, ofs, relu);
      if (rows > 1) storeRow(c10, c11, c0 + rowStep, cs, cols, sc, ofs, relu);
      if (rows > 2) storeRow(c20, c21, c0 + 2 * rowStep, cs, cols, sc, ofs, relu);
      if (rows > 3) storeRow(c30, c31, c0 + 3 * rowStep, cs, cols, sc, ofs, relu);
    }
  }
}

/**
 * out[0] = min and out[1] = max of n floats (n ≥ 1), the range an observer records and dynamic
 * quantization reads per batch. A NaN makes both NaN (f32x4.min/max propagate it).
 */
export function qgemm_range_f32(x: usize, n: i32, out: usize): void {
  let lo = v128.load32_splat(x), hi = lo;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    lo = f32x4.min(lo, v);
    hi = f32x4.max(hi, v);
  }
  let mn = min(min(f32x4.extract_lane(lo, 0), f32x4.extract_lane(lo, 1)), min(f32x4.extract_lane(lo, 2), f32x4.extract_lane(lo, 3)));
  let mx = max(max(f32x4.extract_lane(hi, 0), f32x4.extract_lane(hi, 1)), max(f32x4.extract_lane(hi, 2), f32x4.extract_lane(hi, 3)));
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    mn = min(mn, v);
    mx = max(mx, v);
  }
  store<f32>(out, mn);
  store<f32>(out, mx, 4);
}

// int8 GEMM for quantized inference: C[m, n] = act(scale · Σ_k a[m, k]·b[n, k] + offset), with the
// scale and offset per column n (a Linear: a = activations, b = weights) or per row m (a
// convolution: a = weights, b = the input's patches, so the output [Cout, pixels] is stored along
// its rows with vector stores).
//
// Activations are quantized to 7 bits, [0, 127] (PyTorch's fbgemm default, reduce_range): the
// relaxed build's i16x8.relaxed_dot_i8x16_i7x16_s is defined only for a second operand with the
// top bit clear, and both builds use the same range so they compute the same integers. Weights
// are int8 (per output channel, symmetric). The sums are exact in int32 (|a·w| ≤ 127·128, so K up
// to 2^17 cannot overflow).
//
// Both operands are packed along K in groups of KG values, the group one dot instruction reduces:
//   plain SIMD: KG = 2, i32x4.dot_i16x8_s on i16 lanes; both operands are stored as i16 (panels
//               sign-extended by load8x8_s ran ~5% slower at the MLP shapes: one more shuffle uop a load);
//   relaxed:    KG = 4, i16x8.relaxed_dot_i8x16_i7x16_s, then i32x4.extadd_pairwise_i16x8_s and an
//               add. (The fused i32x4.relaxed_dot_i8x16_i7x16_add_s computes the same sums, but in
//               Node 20 it runs at a quarter of this sequence's rate, registers only, and its
//               baseline-tier code got a tile's rows wrong.)
// Rows (the splat operand): blocks of MR = 4 rows; in a block, group g's 16 bytes hold the KG
// values of each of the 4 rows (row r at r·KG elements), so one load32_splat at a constant offset
// from one pointer gives a row's group. Panels: NR = 8 columns; group g holds b[n0 + c, g·KG + j]
// at c·KG + j, so one 16-byte load covers four columns and each i32 lane of a dot accumulates one.
// Padding (k ≥ K, columns ≥ N) is 0; missing rows of the last block are copies of its last row
// (their results are computed and not stored). The TS side asks qgemm_packed_rows_bytes /
// qgemm_packed_panels_bytes for sizes and never sees the layout.

import { dotGroup } from "./qdot";

const NR = 8;
const MR = 4;
const KG: i32 = ASC_FEATURE_RELAXED_SIMD ? 4 : 2;
// Bytes of one element of the row operand.
const R_BYTES: i32 = ASC_FEATURE_RELAXED_SIMD ? 1 : 2;
// A block's group: MR rows of KG elements.
const R_GROUP: usize = 16;
// Bytes of one element of the panel operand, and a panel's group: NR columns of KG elements.
const P_BYTES: i32 = ASC_FEATURE_RELAXED_SIMD ? 1 : 2;
const P_GROUP: usize = NR * KG * P_BYTES;
// Floats of one row that quantize to one block group's worth (4 groups, one v128 of codes).
const CHUNK: i32 = 4 * KG;
// The 7-bit activation range.
const QMAX: i32 = 127;

/** Flags of qgemm_s8. */
export const enum QgemmFlags {
  Relu = 1,
  /** Scale and offset per row (a convolution: the rows are the weights' output channels). */
  PerRow = 2,
}

// @ts-ignore: decorator
@inline function roundUp(x: i32, m: i32): i32 {
  return (x + m - 1) / m * m;
}

/** Bytes of M rows of depth K packed as blocks (the activations of a Linear, the weights of a convolution). */
export function qgemm_packed_rows_bytes(M: i32, K: i32): i32 {
  return roundUp(M, MR) * roundUp(K, KG) * R_BYTES;
}

/** Bytes of N columns of depth K packed as panels (the weights of a Linear, a convolution's patches). */
export function qgemm_packed_panels_bytes(N: i32, K: i32): i32 {
  return roundUp(N, NR) * roundUp(K, KG) * P_BYTES;
}

// 1.5·2^23: a float in [-2^22, 2^22] plus this lands in [2^23, 2^24), where the float's unit is
// 1, so the add rounds it to an integer (half to even, the default rounding) held in the low
// mantissa bits: bits(v + MAGIC) − bits(MAGIC) = round(v).
const MAGIC: f32 = 12582912;

// Four floats to four codes in i32 lanes: clamp(round(x·invScale) + zp, 0, 127), as
// round(clamp(x·invScale, −zp, 127 − zp)) + zp (the same integers: the bounds are whole), rounded
// by MAGIC, which is cheaper than nearest + trunc_sat (V8 expands the saturating conversion into
// a sequence). Half rounds to even, like PyTorch's quantize_per_tensor. pmax/pmin return their
// first operand for a NaN, so a NaN becomes the code 0.
// vlo = −zp, vhi = 127 − zp (floats) and vbias = bits(MAGIC) − zp, splat once per call.
// @ts-ignore: decorator
@inline function quantize4(x: v128, vinv: v128, vlo: v128, vhi: v128, vbias: v128): v128 {
  const v = f32x4.pmin(vhi, f32x4.pmax(vlo, f32x4.mul(x, vinv)));
  return i32x4.sub(f32x4.add(v, f32x4.splat(MAGIC)), vbias);
}

// One float, by the same vector steps (so tails round exactly as the bulk does).
// @ts-ignore: decorator
@inline function quantizeScalar(src: usize, invScale: f32, zp: i32): i32 {
  return i32x4.extract_lane(quantize4(v128.load32_splat(src), f32x4.splat(invScale), f32x4.splat(<f32>-zp), f32x4.splat(<f32>(QMAX - zp)),
    i32x4.splat(reinterpret<i32>(MAGIC) - zp)), 0);
}

// 16 floats to 16 codes, one byte each.
// @ts-ignore: decorator
@inline function quantize16(s: usize, vinv: v128, vlo: v128, vhi: v128, vbias: v128): v128 {
  return i8x16.narrow_i16x8_u(
    i16x8.narrow_i32x4_s(quantize4(v128.load(s), vinv, vlo, vhi, vbias), quantize4(v128.load(s, 16), vinv, vlo, vhi, vbias)),
    i16x8.narrow_i32x4_s(quantize4(v128.load(s, 32), vinv, vlo, vhi, vbias), quantize4(v128.load(s, 48), vinv, vlo, vhi, vbias)));
}

// CHUNK floats of a row to the row's part of four block groups, one group per i32 lane.
// @ts-ignore: decorator
@inline function quantizeChunk(s: usize, vinv: v128, vlo: v128, vhi: v128, vbias: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return quantize16(s, vinv, vlo, vhi, vbias);
  return i16x8.narrow_i32x4_s(quantize4(v128.load(s), vinv, vlo, vhi, vbias), quantize4(v128.load(s, 16), vinv, vlo, vhi, vbias));
}

// Element k of row r of a block, as the row operand stores it.
// @ts-ignore: decorator
@inline function storeRowElement(block: usize, r: i32, k: i32, q: i32): void {
  const at = block + <usize>(k / KG) * R_GROUP + <usize>(r * KG + k % KG) * R_BYTES;
  if (ASC_FEATURE_RELAXED_SIMD) store<u8>(at, <u8>q);
  else store<i16>(at, <i16>q);
}

/**
 * Quantizes the rows of x [M, K] (row stride ldx floats) to packed rows:
 * q = clamp(round(x·invScale) + zp, 0, 127).
 */
export function qgemm_quantize_rows(x: usize, M: i32, K: i32, ldx: i32, invScale: f32, zp: i32, dst: usize): void {
  const kp = roundUp(K, KG);
  const vinv = f32x4.splat(invScale), vlo = f32x4.splat(<f32>-zp), vhi = f32x4.splat(<f32>(QMAX - zp));
  const vbias = i32x4.splat(reinterpret<i32>(MAGIC) - zp);
  const full = K / CHUNK * CHUNK;
  const rowBytes = <usize>ldx << 2;
  for (let m0 = 0; m0 < M; m0 += MR) {
    const last = min(MR, M - m0) - 1;
    const block = dst + <usize>m0 * kp * R_BYTES;
    const s0 = x + <usize>m0 * rowBytes;
    const s1 = s0 + <usize>min(1, last) * rowBytes, s2 = s0 + <usize>min(2, last) * rowBytes, s3 = s0 + <usize>min(3, last) * rowBytes;
    // Four rows' chunks, each four groups wide, transposed so each group's four rows are adjacent.
    for (let k = 0; k < full; k += CHUNK) {
      const o = <usize>k << 2;
      const q0 = quantizeChunk(s0 + o, vinv, vlo, vhi, vbias), q1 = quantizeChunk(s1 + o, vinv, vlo, vhi, vbias);
      const q2 = quantizeChunk(s2 + o, vinv, vlo, vhi, vbias), q3 = quantizeChunk(s3 + o, vinv, vlo, vhi, vbias);
      const t0 = v128.shuffle<i32>(q0, q1, 0, 4, 1, 5), t1 = v128.shuffle<i32>(q0, q1, 2, 6, 3, 7);
      const t2 = v128.shuffle<i32>(q2, q3, 0, 4, 1, 5), t3 = v128.shuffle<i32>(q2, q3, 2, 6, 3, 7);
      const g = block + <usize>(k / KG) * R_GROUP;
      v128.store(g, v128.shuffle<i32>(t0, t2, 0, 1, 4, 5));
      v128.store(g, v128.shuffle<i32>(t0, t2, 2, 3, 6, 7), 16);
      v128.store(g, v128.shuffle<i32>(t1, t3, 0, 1, 4, 5), 32);
      v128.store(g, v128.shuffle<i32>(t1, t3, 2, 3, 6, 7), 48);
    }
    for (let r = 0; r < MR; r++) {
      const src = s0 + <usize>min(r, last) * rowBytes;
      for (let k = full; k < kp; k++) storeRowElement(block, r, k, k < K ? quantizeScalar(src + (<usize>k << 2), invScale, zp) : 0);
    }
  }
}

/**
 * Packs int8 weights w [N, K] (one byte each, row-major) as rows (rows = 1: a convolution's
 * weights, blocks of MR) or as panels (rows = 0: a Linear's, panels of NR), padding zeros, and
 * writes each channel's sum Σ_k w[n, k] to sums[n] (int32), which folds the input's zero point into
 * the epilogue. One loop for both: a block group and a panel group differ only in their width
 * (MR·KG and NR·KG elements of the same size).
 */
export function qgemm_pack(w: usize, N: i32, K: i32, dst: usize, sums: usize, rows: i32): void {
  const kp = roundUp(K, KG), width = rows ? MR : NR;
  memory.fill(dst, 0, <usize>(rows ? qgemm_packed_rows_bytes(N, K) : qgemm_packed_panels_bytes(N, K)));
  for (let n = 0; n < N; n++) {
    const base = dst + <usize>(n / width * width) * kp * R_BYTES;
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const v = load<i8>(w + <usize>n * K + k);
      sum += v;
      const at = base + <usize>(k / KG * width * KG + (n % width) * KG + k % KG) * R_BYTES;
      if (ASC_FEATURE_RELAXED_SIMD) store<i8>(at, v);
      else store<i16>(at, v);
    }
    store<i32>(sums + (<usize>n << 2), sum);
  }
}

/**
 * Quantizes one image x [C, H, W] (floats) into dst [C, Hp, Wp] (bytes, q as above) with the
 * image at row ph, column pw and every other byte zp (the code of 0.0: the convolution's zero
 * padding). Rows or columns beyond Hp, Wp (which no window reaches) are left out.
 */
export function qgemm_quantize_image(x: usize, C: i32, H: i32, W: i32, Hp: i32, Wp: i32, ph: i32, pw: i32,
                                     invScale: f32, zp: i32, dst: usize): void {
  const vinv = f32x4.splat(invScale), vlo = f32x4.splat(<f32>-zp), vhi = f32x4.splat(<f32>(QMAX - zp));
  const vbias = i32x4.splat(reinterpret<i32>(MAGIC) - zp);
  memory.fill(dst, <u8>zp, <usize>C * Hp * Wp);
  const rows = min(H, Hp - ph), cols = min(W, Wp - pw);
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < rows; y++) {
      const src = x + ((<usize>c * H + y) * W << 2);
      const out = dst + (<usize>c * Hp + y + ph) * Wp + pw;
      let i = 0;
      for (; i + 16 <= cols; i += 16) v128.store(out + i, quantize16(src + (<usize>i << 2), vinv, vlo, vhi, vbias));
      for (; i < cols; i++) store<u8>(out + i, <u8>quantizeScalar(src + (<usize>i << 2), invScale, zp));
    }
  }
}

// Patch row k of one panel: the 8 pixels' bytes at tap offset o, gathered one by one (strided
// convolutions, panels that wrap to the next output row, the last panel); base holds the pixels'
// offsets and 8 bytes after them to assemble the row in. Inlined: called per patch row, at the
// build's shrink level Binaryen would leave it a call, and the int8 convolutions 6% slower.
// @ts-ignore: decorator
@inline function gatherRow(img: usize, base: usize, o: i32): v128 {
  const p = img + <usize>o, row = base + 4 * NR;
  for (let c = 0; c < NR; c++) store<u8>(row + c, load<u8>(p + <usize>load<i32>(base + (<usize>c << 2))));
  return v128.load64_zero(row);
}

// Patch row k of one panel whose pixels are contiguous bytes from a (mode 1), or gathered (mode 0:
// also a panel that wraps to the next output row; two runs blended cost the bundle budget 0.1 kB).
// @ts-ignore: decorator
@inline function patchRow(mode: i32, img: usize, a: usize, base: usize, o: i32): v128 {
  if (mode == 1) return v128.load64_zero(a + <usize>o);
  return gatherRow(img, base, o);
}

// One panel's KG-interleaved groups from its patch rows (tab: each k's tap offset). Not inlined
// per mode: the mode branch is predictable and the copies cost the bundle budget.
function packPanel(mode: i32, img: usize, a: usize, base: usize, tab: usize, kp: i32, dst: usize): void {
  for (let k = 0; k < kp; k += KG) {
    const t = tab + (<usize>k << 2);
    const r0 = patchRow(mode, img, a, base, load<i32>(t));
    const r1 = patchRow(mode, img, a, base, load<i32>(t, 4));
    // Bytes of rows k and k + 1 alternate: pixel c's pair at 2c.
    const p01 = v128.shuffle<u8>(r0, r1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    if (ASC_FEATURE_RELAXED_SIMD) {
      const r2 = patchRow(mode, img, a, base, load<i32>(t, 8));
      const r3 = patchRow(mode, img, a, base, load<i32>(t, 12));
      const p23 = v128.shuffle<u8>(r2, r3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      v128.store(dst, v128.shuffle<u16>(p01, p23, 0, 8, 1, 9, 2, 10, 3, 11));
      v128.store(dst, v128.shuffle<u16>(p01, p23, 4, 12, 5, 13, 6, 14, 7, 15), 16);
    } else {
      v128.store(dst, i16x8.extend_low_i8x16_u(p01));
      v128.store(dst, i16x8.extend_high_i8x16_u(p01), 16);
    }
    dst += P_GROUP;
  }
}

/**
 * Gathers the patches of one image's quantized, padded bytes img [Cg, Hp, Wp] (qgemm_quantize_image;
 * a group's channels) into panels: column p = oh·Wo + ow holds the Cg·kh·kw values of its window
 * in PyTorch's weight order (c, i, j). tab: scratch for roundUp(K, KG) int32 tap offsets; base:
 * scratch for 8 int32 pixel offsets and 8 bytes.
 */
export function qgemm_im2col(img: usize, Cg: i32, Hp: i32, Wp: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
                             Ho: i32, Wo: i32, tab: usize, base: usize, dst: usize): void {
  const K = Cg * kh * kw;
  const kp = roundUp(K, KG);
  // Depths past K read the last tap again: the packed weights are 0 there.
  let k = 0;
  for (let c = 0; c < Cg; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, k++) store<i32>(tab + (<usize>k << 2), (c * Hp + i * dh) * Wp + j * dw);
    }
  }
  for (; k < kp; k++) store<i32>(tab + (<usize>k << 2), load<i32>(tab + (<usize>(K - 1) << 2)));
  const P = Ho * Wo;
  for (let p0 = 0; p0 < P; p0 += NR) {
    const oh = p0 / Wo, ow = p0 % Wo;
    const a = img + <usize>(oh * sh * Wp + ow * sw);
    const out = dst + <usize>p0 * kp * P_BYTES;
    if (sw == 1 && p0 + NR <= P && ow + NR <= Wo) {
      packPanel(1, img, a, base, tab, kp, out);
    } else {
      for (let c = 0; c < NR; c++) {
        const p = min(p0 + c, P - 1);
        store<i32>(base + (<usize>c << 2), (p / Wo) * sh * Wp + (p % Wo) * sw);
      }
      packPanel(0, img, 0, base, tab, kp, out);
    }
  }
}

// The valid part of one row of a tile: scale, offset, ReLU, then stored (contiguous columns).
// @ts-ignore: decorator
@inline function storeRow(acc0: v128, acc1: v128, C: usize, cols: i32, s0: v128, s1: v128, o0: v128, o1: v128, relu: bool): void {
  let v0 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc0), s0), o0);
  let v1 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc1), s1), o1);
  if (relu) {
    // pmax(x, 0) is x < 0 ? 0 : x, which keeps NaN.
    v0 = f32x4.pmax(v0, f32x4.splat(0));
    v1 = f32x4.pmax(v1, f32x4.splat(0));
  }
  if (cols == NR) {
    v128.store(C, v0);
    v128.store(C, v1, 16);
    return;
  }
  // Lane indices must be constants: unrolled, each store guarded by the column count.
  store<f32>(C, f32x4.extract_lane(v0, 0));
  if (cols > 1) store<f32>(C, f32x4.extract_lane(v0, 1), 4);
  if (cols > 2) store<f32>(C, f32x4.extract_lane(v0, 2), 8);
  if (cols > 3) store<f32>(C, f32x4.extract_lane(v0, 3), 12);
  if (cols > 4) store<f32>(C, f32x4.extract_lane(v1, 0), 16);
  if (cols > 5) store<f32>(C, f32x4.extract_lane(v1, 1), 20);
  if (cols > 6) store<f32>(C, f32x4.extract_lane(v1, 2), 24);
  if (cols > 7) store<f32>(C, f32x4.extract_lane(v1, 3), 28);
}

// Row m of a tile through the epilogue: per-row scale and offset (splat), or the panel's columns'.
// @ts-ignore: decorator
@inline function tileRow(perRow: bool, relu: bool, lo: v128, hi: v128, C: usize, cols: i32, scale: usize, offset: usize, m: i32,
                         s0: v128, s1: v128, o0: v128, o1: v128): void {
  if (perRow) {
    const s = v128.load32_splat(scale + (<usize>m << 2)), o = v128.load32_splat(offset + (<usize>m << 2));
    storeRow(lo, hi, C, cols, s, s, o, o, relu);
  } else {
    storeRow(lo, hi, C, cols, s0, s1, o0, o1, relu);
  }
}

// The tile loop. The relaxed dot's operand order depends on perRow, so the relaxed build has a
// variant per order (marker type DotPerRow, u16 for per row: as a runtime flag V8 kept its branch,
// and spills, inside the inner loop); the plain build's dot does not, and one copy keeps the
// bundle budget. perRow and relu otherwise act only in the epilogue.
function qgemmTiles<DotPerRow>(perRow: bool, relu: bool, M: i32, N: i32, K: i32, a: usize, b: usize, scale: usize, offset: usize,
                            C: usize, ldc: i32): void {
  const dotPerRow = sizeof<DotPerRow>() == 2;
  const ones = i16x8.splat(1);
  const kp = roundUp(K, KG);
  const groups = kp / KG;
  const blockBytes = <usize>kp * MR * R_BYTES;
  const rowStep = <usize>ldc << 2;
  for (let n0 = 0; n0 < N; n0 += NR) {
    const panel = b + <usize>n0 * kp * P_BYTES;
    const cols = min(NR, N - n0);
    let s0 = f32x4.splat(0), s1 = s0, o0 = s0, o1 = s0;
    if (!perRow) {
      s0 = v128.load(scale + (<usize>n0 << 2));
      s1 = v128.load(scale + (<usize>n0 << 2), 16);
      o0 = v128.load(offset + (<usize>n0 << 2));
      o1 = v128.load(offset + (<usize>n0 << 2), 16);
    }
    let block = a;
    for (let m0 = 0; m0 < M; m0 += MR) {
      const rows = min(MR, M - m0);
      let c00 = i32x4.splat(0), c01 = i32x4.splat(0), c10 = i32x4.splat(0), c11 = i32x4.splat(0);
      let c20 = i32x4.splat(0), c21 = i32x4.splat(0), c30 = i32x4.splat(0), c31 = i32x4.splat(0);
      let ap = block, bp = panel;
      for (let g = 0; g < groups; g++) {
        const p0 = v128.load(bp), p1 = v128.load(bp, 16);
        const x0 = v128.load32_splat(ap);
        c00 = dotGroup(dotPerRow, x0, p0, c00, ones);
        c01 = dotGroup(dotPerRow, x0, p1, c01, ones);
        const x1 = v128.load32_splat(ap, 4);
        c10 = dotGroup(dotPerRow, x1, p0, c10, ones);
        c11 = dotGroup(dotPerRow, x1, p1, c11, ones);
        const x2 = v128.load32_splat(ap, 8);
        c20 = dotGroup(dotPerRow, x2, p0, c20, ones);
        c21 = dotGroup(dotPerRow, x2, p1, c21, ones);
        const x3 = v128.load32_splat(ap, 12);
        c30 = dotGroup(dotPerRow, x3, p0, c30, ones);
        c31 = dotGroup(dotPerRow, x3, p1, c31, ones);
        ap += R_GROUP;
        bp += P_GROUP;
      }
      const c0 = C + <usize>m0 * rowStep + (<usize>n0 << 2);
      tileRow(perRow, relu, c00, c01, c0, cols, scale, offset, m0, s0, s1, o0, o1);
      if (rows > 1) tileRow(perRow, relu, c10, c11, c0 + rowStep, cols, scale, offset, m0 + 1, s0, s1, o0, o1);
      if (rows > 2) tileRow(perRow, relu, c20, c21, c0 + 2 * rowStep, cols, scale, offset, m0 + 2, s0, s1, o0, o1);
      if (rows > 3) tileRow(perRow, relu, c30, c31, c0 + 3 * rowStep, cols, scale, offset, m0 + 3, s0, s1, o0, o1);
      block += blockBytes;
    }
  }
}

/**
 * C[m·ldc + n] = act(scale·Σ_k a[m, k]·b[n, k] + offset) for packed rows a (M of them) and packed
 * panels b (N columns), depth K. flags: QgemmFlags.Relu applies max(·, 0); QgemmFlags.PerRow takes
 * scale[m] and offset[m] (M floats; a convolution), otherwise scale[n] and offset[n]
 * (roundUp(N, 8) floats, the padding read and not used; a Linear).
 */
export function qgemm_s8(M: i32, N: i32, K: i32, a: usize, b: usize, scale: usize, offset: usize, flags: i32, C: usize, ldc: i32): void {
  const relu = (flags & QgemmFlags.Relu) != 0;
  const perRow = (flags & QgemmFlags.PerRow) != 0;
  if (ASC_FEATURE_RELAXED_SIMD && perRow) qgemmTiles<u16>(true, relu, M, N, K, a, b, scale, offset, C, ldc);
  else qgemmTiles<u8>(perRow, relu, M, N, K, a, b, scale, offset, C, ldc);
}

/**
 * out[0] = min and out[1] = max of n floats (n ≥ 1), the range an observer records and dynamic
 * quantization reads per batch. A NaN makes both NaN.
 */
export function qgemm_range_f32(x: usize, n: i32, out: usize): void {
  // pmin/pmax are one instruction each (f32x4.min/max's NaN and −0 rules cost V8 a sequence of
  // them), in two chains so their latency overlaps; they drop a NaN, so NaNs are tracked apart.
  let lo0 = v128.load32_splat(x), hi0 = lo0, lo1 = lo0, hi1 = lo0;
  let nan = i32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const a = v128.load(x + (<usize>i << 2)), b = v128.load(x + (<usize>i << 2), 16);
    lo0 = f32x4.pmin(lo0, a);
    hi0 = f32x4.pmax(hi0, a);
    lo1 = f32x4.pmin(lo1, b);
    hi1 = f32x4.pmax(hi1, b);
    nan = v128.or(nan, v128.or(f32x4.ne(a, a), f32x4.ne(b, b)));
  }
  for (; i + 4 <= n; i += 4) {
    const a = v128.load(x + (<usize>i << 2));
    lo0 = f32x4.pmin(lo0, a);
    hi0 = f32x4.pmax(hi0, a);
    nan = v128.or(nan, f32x4.ne(a, a));
  }
  lo0 = f32x4.pmin(lo0, lo1);
  hi0 = f32x4.pmax(hi0, hi1);
  let mn = min(min(f32x4.extract_lane(lo0, 0), f32x4.extract_lane(lo0, 1)), min(f32x4.extract_lane(lo0, 2), f32x4.extract_lane(lo0, 3)));
  let mx = max(max(f32x4.extract_lane(hi0, 0), f32x4.extract_lane(hi0, 1)), max(f32x4.extract_lane(hi0, 2), f32x4.extract_lane(hi0, 3)));
  // The tail by scalar min/max, which keep a NaN.
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    mn = min(mn, v);
    mx = max(mx, v);
  }
  if (v128.any_true(nan)) mn = mx = NaN;
  store<f32>(out, mn);
  store<f32>(out, mx, 4);
}

// Winograd F(2x2, 3x3) on int8 codes, for stride-1 undilated ungrouped 3x3 convolutions: each 2x2
// output tile is Aᵀ[U ⊙ V]A summed over input channels, with U = (2G) g (2G)ᵀ per kernel g and
// V = Bᵀ d B per 4x4 input patch d (assembly/conv.ts has the f32 version and the matrices; 2G is
// G without its halves, so U is integer and the result is exactly 4x the direct int8 sum, which
// the epilogue shifts back before the same float steps: the output equals qgemm_s8's bit for bit).
// 16 multiplies per tile and channel pair instead of 36. V's entries lie in [-508, 508] (|d| ≤
// 127) and U's in [-1152, 1152], so both are i16 and the dot is i32x4.dot_i16x8_s in both builds
// (the relaxed dot takes 7-bit unsigned operands). Sums that wrap in int32 are still exact modulo
// 2^32, and the result 4·Σ q·w fits while Cin·9·127·128·4 < 2^31 (the layer checks Cin).
// Layout: U in blocks of WR = 4 output channels, per block 16 ξ, per ξ groups of 2 input channels:
// group g's 16 bytes hold row r's (U[2g], U[2g + 1]) at 4r. V per panel of 8 tiles (one tile row),
// per ξ groups of 2 channels: tile t's pair at 4t.
// In the relaxed builds only (qgemm_winograd_built), as the lanes convolutions (assembly/conv.ts):
// its 1.2 kB (gzip) would put every inference page past its budget; in the plain build the
// layer keeps the direct kernels, and these trap if called.
const WX: i32 = 16;

/** Whether this build has the int8 Winograd kernels (the relaxed builds). */
export function qgemm_winograd_built(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}

/** Bytes of the Winograd-packed weights of a [Cout, Cin, 3, 3] convolution. */
export function qgemm_winograd_weights_bytes(Cout: i32, Cin: i32): i32 {
  if (!ASC_FEATURE_RELAXED_SIMD) unreachable(); // not in this build: qgemm_winograd_built
  return roundUp(Cout, MR) * WX * roundUp(Cin, 2) * 2;
}

// (2G v)[r] for the 3 taps v of a kernel row or column.
// @ts-ignore: decorator
@inline function g2Row(r: i32, v0: i32, v1: i32, v2: i32): i32 {
  return r == 0 ? 2 * v0 : r == 1 ? v0 + v1 + v2 : r == 2 ? v0 - v1 + v2 : 2 * v2;
}

/**
 * Packs int8 weights w [Cout, Cin, 3, 3] as U (above) and writes each channel's sum of codes to
 * sums[co], as qgemm_pack.
 */
export function qgemm_winograd_weights(w: usize, Cout: i32, Cin: i32, dst: usize, sums: usize): void {
  if (!ASC_FEATURE_RELAXED_SIMD) unreachable(); // not in this build: qgemm_winograd_built
  const cp = roundUp(Cin, 2);
  memory.fill(dst, 0, <usize>qgemm_winograd_weights_bytes(Cout, Cin));
  for (let co = 0; co < Cout; co++) {
    let sum = 0;
    for (let ci = 0; ci < Cin; ci++) {
      const g = w + <usize>(co * Cin + ci) * 9;
      for (let t = 0; t < 9; t++) sum += <i32>load<i8>(g + t);
      for (let xi = 0; xi < WX; xi++) {
        const i = xi >> 2, s = xi & 3;
        // (2G g)[i][j] for the three kernel columns j, then times (2G)ᵀ: column s.
        const h0 = g2Row(i, load<i8>(g), load<i8>(g + 3), load<i8>(g + 6));
        const h1 = g2Row(i, load<i8>(g + 1), load<i8>(g + 4), load<i8>(g + 7));
        const h2 = g2Row(i, load<i8>(g + 2), load<i8>(g + 5), load<i8>(g + 8));
        const at = dst + ((<usize>(co / MR) * WX + xi) * cp + (ci & ~1)) * 8 + <usize>(co % MR) * 4 + <usize>(ci & 1) * 2;
        store<i16>(at, <i16>g2Row(s, h0, h1, h2));
      }
    }
    store<i32>(sums + (<usize>co << 2), sum);
  }
}

// (d B)[s] of one patch row for 8 tiles, as i16 lanes: the row's bytes from p (columns 2t + s of
// tile t), even and odd columns split by mask and shift.
// @ts-ignore: decorator
@inline function rowB(p: usize, s: i32): v128 {
  const l0 = v128.load(p), l2 = v128.load(p + 2);
  const c1 = i16x8.shr_u(l0, 8), c2 = v128.and(l2, i16x8.splat(255));
  return s == 0 ? i16x8.sub(v128.and(l0, i16x8.splat(255)), c2) : s == 1 ? i16x8.add(c1, c2) : s == 2 ? i16x8.sub(c2, c1) : i16x8.sub(c1, i16x8.shr_u(l2, 8));
}

// Bᵀ d B of one channel for 8 tiles whose patches start at p (rows Wp bytes apart): ξ = 4i + s
// stored at dst + 16ξ. (Not inlined, nor outputRow: once per channel or row of a panel, the calls
// cost nothing measurable, and their copies would cost the bundle budget.)
function inputTransform(p: usize, Wp: usize, dst: usize): void {
  for (let s = 0; s < 4; s++) {
    const r0 = rowB(p, s), r1 = rowB(p + Wp, s), r2 = rowB(p + 2 * Wp, s), r3 = rowB(p + 3 * Wp, s);
    v128.store(dst + <usize>s * 16, i16x8.sub(r0, r2));
    v128.store(dst + <usize>(4 + s) * 16, i16x8.add(r1, r2));
    v128.store(dst + <usize>(8 + s) * 16, i16x8.sub(r2, r1));
    v128.store(dst + <usize>(12 + s) * 16, i16x8.sub(r1, r3));
  }
}

// Output row r (0, 1) of (Aᵀ m A) for 4 tiles of one channel, m[ξ] at src + 128ξ (i32 lanes),
// through the epilogue (÷4, scale, offset, ReLU) and stored to the 2·4 pixels at dst, as far as
// cols says.
function outputRow(src: usize, r: i32, s: v128, o: v128, relu: bool, dst: usize, cols: i32): void {
  let f0 = i32x4.splat(0), f1 = f0, f2 = f0, f3 = f0;
  for (let j = 0; j < 4; j++) {
    const m1 = v128.load(src + <usize>(4 + j) * 128), m2 = v128.load(src + <usize>(8 + j) * 128);
    const f = r == 0 ? i32x4.add(i32x4.add(v128.load(src + <usize>j * 128), m1), m2) : i32x4.sub(i32x4.sub(m1, m2), v128.load(src + <usize>(12 + j) * 128));
    if (j == 0) f0 = f;
    else if (j == 1) f1 = f;
    else if (j == 2) f2 = f;
    else f3 = f;
  }
  const y0 = i32x4.shr_s(i32x4.add(i32x4.add(f0, f1), f2), 2), y1 = i32x4.shr_s(i32x4.sub(i32x4.sub(f1, f2), f3), 2);
  storeRow(v128.shuffle<i32>(y0, y1, 0, 4, 1, 5), v128.shuffle<i32>(y0, y1, 2, 6, 3, 7), dst, min(cols, NR), s, s, o, o, relu);
}

/**
 * y [Cout, Ho, Wo] = act(scale·conv + offset) (per output channel, as qgemm_s8 with PerRow) of one
 * image's quantized, padded bytes xq [Cin, Hp, Wp] (qgemm_quantize_image, Hp = 2·tilesH + 2,
 * Wp = 2·tilesW + 2, tilesW a multiple of 8) with the Winograd-packed weights u. Per panel of 8
 * tiles: the channels' V into scratch, then per block of 4 output channels the 16 products m[ξ]
 * (a 4x8 register tile each) into scratch and out through the output transform.
 * scratch: 512 + 2048 + 256·roundUp(Cin, 2) bytes.
 */
export function qgemm_winograd(xq: usize, Cin: i32, Hp: i32, Wp: i32, tilesH: i32, tilesW: i32, u: usize, Cout: i32,
                               scale: usize, offset: usize, relu: i32, y: usize, Ho: i32, Wo: i32, scratch: usize): void {
  if (!ASC_FEATURE_RELAXED_SIMD) unreachable(); // not in this build: qgemm_winograd_built
  const cp = roundUp(Cin, 2), groups = cp >> 1;
  const stage = scratch, m = scratch + 512, v = m + 2048;
  const panelBytes = <usize>groups * 32, blockBytes = <usize>cp * 8;
  const plane = <usize>Hp * Wp, rowF = <usize>Wo << 2;
  for (let a = 0; a < tilesH; a++) {
    for (let b0 = 0; b0 < tilesW; b0 += NR) {
      const p = xq + <usize>(2 * a) * Wp + <usize>(2 * b0);
      // V of channel pairs: each channel's 16 vectors staged, then interleaved into the groups.
      for (let c = 0; c < Cin; c += 2) {
        inputTransform(p + <usize>c * plane, Wp, stage);
        if (c + 1 < Cin) inputTransform(p + <usize>(c + 1) * plane, Wp, stage + 256);
        else memory.fill(stage + 256, 0, 256);
        const g = v + <usize>(c >> 1) * 32;
        for (let xi = 0; xi < WX; xi++) {
          const e = v128.load(stage + <usize>xi * 16), o = v128.load(stage + 256 + <usize>xi * 16);
          const at = g + <usize>xi * panelBytes;
          v128.store(at, v128.shuffle<i16>(e, o, 0, 8, 1, 9, 2, 10, 3, 11));
          v128.store(at, v128.shuffle<i16>(e, o, 4, 12, 5, 13, 6, 14, 7, 15), 16);
        }
      }
      for (let m0 = 0; m0 < Cout; m0 += MR) {
        let ap = u + <usize>(m0 / MR) * WX * blockBytes;
        for (let xi = 0; xi < WX; xi++) {
          let c00 = i32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
          let bp = v + <usize>xi * panelBytes;
          for (let g = 0; g < groups; g++) {
            const p0 = v128.load(bp), p1 = v128.load(bp, 16);
            const x0 = v128.load32_splat(ap);
            c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x0, p0));
            c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x0, p1));
            const x1 = v128.load32_splat(ap, 4);
            c10 = i32x4.add(c10, i32x4.dot_i16x8_s(x1, p0));
            c11 = i32x4.add(c11, i32x4.dot_i16x8_s(x1, p1));
            const x2 = v128.load32_splat(ap, 8);
            c20 = i32x4.add(c20, i32x4.dot_i16x8_s(x2, p0));
            c21 = i32x4.add(c21, i32x4.dot_i16x8_s(x2, p1));
            const x3 = v128.load32_splat(ap, 12);
            c30 = i32x4.add(c30, i32x4.dot_i16x8_s(x3, p0));
            c31 = i32x4.add(c31, i32x4.dot_i16x8_s(x3, p1));
            ap += 16;
            bp += 32;
          }
          const t = m + <usize>xi * 128;
          v128.store(t, c00); v128.store(t, c01, 16);
          v128.store(t, c10, 32); v128.store(t, c11, 48);
          v128.store(t, c20, 64); v128.store(t, c21, 80);
          v128.store(t, c30, 96); v128.store(t, c31, 112);
        }
        for (let r = 0; r < min(MR, Cout - m0); r++) {
          const co = m0 + r;
          const s = v128.load32_splat(scale + (<usize>co << 2)), o = v128.load32_splat(offset + (<usize>co << 2));
          const row0 = y + (<usize>co * Ho + 2 * a) * rowF;
          for (let h = 0; h < 2; h++) {
            const cols = Wo - 2 * (b0 + 4 * h);
            if (cols <= 0) break;
            const src = m + <usize>r * 32 + <usize>h * 16, dst = row0 + (<usize>(2 * (b0 + 4 * h)) << 2);
            outputRow(src, 0, s, o, relu != 0, dst, cols);
            if (2 * a + 1 < Ho) outputRow(src, 1, s, o, relu != 0, dst + rowF, cols);
          }
        }
      }
    }
  }
}

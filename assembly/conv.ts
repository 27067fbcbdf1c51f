// im2col / col2im for 2-D convolution over NCHW images with zero padding, stride and dilation.
//
// The column matrix covers nb images and a chunk of output rows oh0 .. oh0+rows−1 of each. Row
// (c, i, j) of it holds, for every image n and output position (oh, ow) of the chunk, the input
// pixel (oh·sh − ph + i·dh, ow·sw − pw + j·dw) of channel c of image n, or 0 where that lies in the
// padding. Columns are image-major: image n's rows·Wo columns start at n·rows·Wo, and rows are ld
// floats apart (ld ≥ nb·rows·Wo). One GEMM per group then convolves all nb images at once, or one
// per image reads its own block of columns. col2im is the adjoint of im2col (it adds every entry
// back onto the pixel it came from), which gives the input gradient and the transposed convolution.
// Images have imageC channels, of which these kernels (and the Winograd transforms) visit the C
// starting at x (and at the column matrix's row of the first one): a range of channels is one
// thread's share.
import { registerTile4x8, workspaceTile } from "./gemm";
import { madd } from "./vmath";

// Output columns [lo, hi) whose input column ow·sw + off lies inside 0 .. W−1 (off = j·dw − pw).
// @ts-ignore: decorator
@inline function validLo(off: i32, s: i32, Wo: i32): i32 {
  return off >= 0 ? 0 : min(Wo, (s - 1 - off) / s);
}
// @ts-ignore: decorator
@inline function validHi(off: i32, s: i32, W: i32, Wo: i32, lo: i32): i32 {
  const last = W - 1 - off;
  return last < 0 ? lo : max(lo, min(Wo, last / s + 1));
}

// dst[0 .. n) = src[0 .. n) four floats at a time; a run of at least 4 ends with one overlapping
// vector instead of a scalar tail. (memory.copy is a call per run: slow for runs this short.)
// @ts-ignore: decorator
@inline function copyRun(dst: usize, src: usize, n: i32): void {
  if (n < 4) {
    for (let k = 0; k < n; k++) store<f32>(dst + (<usize>k << 2), load<f32>(src + (<usize>k << 2)));
    return;
  }
  const last = <usize>(n - 4) << 2;
  for (let q: usize = 0; q < last; q += 16) v128.store(dst + q, v128.load(src + q));
  v128.store(dst + last, v128.load(src + last));
}

// dst[0 .. n) = 0.
// @ts-ignore: decorator
@inline function zeroRun(dst: usize, n: i32): void {
  let k = 0;
  for (; k + 4 <= n; k += 4) v128.store(dst + (<usize>k << 2), f32x4.splat(0));
  for (; k < n; k++) store<f32>(dst + (<usize>k << 2), 0);
}

// dst[0 .. n) += src[0 .. n).
// @ts-ignore: decorator
@inline function addRun(dst: usize, src: usize, n: i32): void {
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const q = <usize>k << 2;
    v128.store(dst + q, f32x4.add(v128.load(dst + q), v128.load(src + q)));
  }
  for (; k < n; k++) {
    const q = <usize>k << 2;
    store<f32>(dst + q, load<f32>(dst + q) + load<f32>(src + q));
  }
}

// Visits every entry of the column matrix with the image row it reads: im2col gathers the pixels
// into the columns (writing zeros for the padding), col2im scatters the columns back by adding
// onto the pixels. `scatter` is a constant at both call sites, so each compiles to its own loop.
// @ts-ignore: decorator
@inline function walkColumns(scatter: bool, x: usize, col: usize, nb: i32, C: i32, H: i32, W: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, Wo: i32, oh0: i32, rows: i32, ld: i32, imageC: i32): void {
  const planeBytes = <usize>H * W << 2;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const off = j * dw - pw;
        const lo = validLo(off, sw, Wo);
        const hi = validHi(off, sw, W, Wo, lo);
        const row = col + ((<usize>((c * kh + i) * kw + j) * ld) << 2);
        for (let n = 0; n < nb; n++) {
          const plane = x + <usize>(n * imageC + c) * planeBytes;
          let entries = row + ((<usize>n * rows * Wo) << 2);
          for (let r = 0; r < rows; r++, entries += <usize>Wo << 2) {
            const ih = (oh0 + r) * sh - ph + i * dh;
            if (ih < 0 || ih >= H) {
              if (!scatter) zeroRun(entries, Wo);
              continue;
            }
            const pixels = plane + ((<usize>ih * W) << 2);
            if (!scatter) zeroRun(entries, lo);
            if (sw == 1) {
              if (scatter) addRun(pixels + (<usize>(lo + off) << 2), entries + (<usize>lo << 2), hi - lo);
              else copyRun(entries + (<usize>lo << 2), pixels + (<usize>(lo + off) << 2), hi - lo);
            } else {
              for (let ow = lo; ow < hi; ow++) {
                const p = pixels + (<usize>(ow * sw + off) << 2);
                const e = entries + (<usize>ow << 2);
                if (scatter) store<f32>(p, load<f32>(p) + load<f32>(e));
                else store<f32>(e, load<f32>(p));
              }
            }
            if (!scatter) zeroRun(entries + (<usize>hi << 2), Wo - hi);
          }
        }
      }
    }
  }
}

export function im2col_f32(x: usize, col: usize, nb: i32, C: i32, H: i32, W: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, Wo: i32, oh0: i32, rows: i32, ld: i32, imageC: i32): void {
  walkColumns(false, x, col, nb, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, Wo, oh0, rows, ld, imageC);
}

// x[pixel] += col[entry] for every entry im2col_f32 would fill from the images (x is not cleared).
export function col2im_f32(col: usize, x: usize, nb: i32, C: i32, H: i32, W: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, Wo: i32, oh0: i32, rows: i32, ld: i32, imageC: i32): void {
  walkColumns(true, x, col, nb, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, Wo, oh0, rows, ld, imageC);
}

// Winograd F(2x2, 3x3) for stride-1, undilated 3x3 convolutions: each 2x2 output tile comes from
// the 4x4 input patch d under it as Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, 16 multiplies per channel pair
// instead of 36. Summed over input channels, the ⊙ becomes 16 GEMMs
// M[ξ] [Cout, T] = U[ξ] [Cout, Cin] · V[ξ] [Cin, T] over the T tiles of a chunk of images, between
// the transforms below. Their coefficients are 0, ±1 and ½, exact in f32:
//   Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1],  Aᵀ = [1 1 1 0; 0 1 -1 -1]
// Tiles are numbered t = (n·tilesH + a)·tilesW + b for the tile at output row 2a, column 2b of
// image n, with tilesW a multiple of 4 (the input and output transforms do four tiles at once);
// V[ξ] and M[ξ] are [channels, ld] with ld ≥ T.

// (G v)[r] for a 3-vector v.
// @ts-ignore: decorator
@inline function gRow(r: i32, v0: f32, v1: f32, v2: f32): f32 {
  return r == 0 ? v0 : r == 1 ? (v0 + v1 + v2) * 0.5 : r == 2 ? (v0 - v1 + v2) * 0.5 : v2;
}

// U[ξ][m][k] = (G g Gᵀ)[ξ] for the 3x3 kernel g = w[co][ci] with m = co, k = ci. The adjoint (input
// gradient) is the convolution with each kernel flipped and the channel roles swapped: m = ci, k = co.
export function winograd_weights_f32(w: usize, u: usize, Cout: i32, Cin: i32, adjoint: i32): void {
  const K = adjoint ? Cout : Cin;
  const plane = <usize>Cout * Cin << 2;
  for (let co = 0; co < Cout; co++) {
    for (let ci = 0; ci < Cin; ci++) {
      const g = w + (<usize>(co * Cin + ci) * 9 << 2);
      const dst = u + (<usize>(adjoint ? ci * K + co : co * K + ci) << 2);
      for (let s = 0; s < 4; s++) {
        // h[i] = (g Gᵀ)[i][s] for kernel row i (rows and columns reversed for the adjoint)
        let h0: f32 = 0, h1: f32 = 0, h2: f32 = 0;
        for (let i = 0; i < 3; i++) {
          const row = g + (<usize>(adjoint ? 2 - i : i) * 3 << 2);
          const a = load<f32>(row), b = load<f32>(row + 4), c = load<f32>(row + 8);
          const h = adjoint ? gRow(s, c, b, a) : gRow(s, a, b, c);
          if (i == 0) h0 = h;
          else if (i == 1) h1 = h;
          else h2 = h;
        }
        for (let r = 0; r < 4; r++) store<f32>(dst + <usize>(r * 4 + s) * plane, gRow(r, h0, h1, h2));
      }
    }
  }
}

// xp[p] = plane p of x [planes, H, W] placed at row top, column left of a zeroed [Hp, Wp] plane
// (cropped to it). The block is written in order, each row's right padding merged with the next
// row's left (or whole rows of padding) into one run of zeros, which goes as whole vectors up to
// 3 floats into what the next copy then overwrites; the last run is exact.
export function pad_planes_f32(x: usize, xp: usize, planes: i32, H: i32, W: i32, Hp: i32, Wp: i32, top: i32, left: i32): void {
  const n = max(0, min(W, Wp - left));
  let dst = xp, zeros = 0; // zeros owed at dst
  for (let p = 0; p < planes; p++) {
    const plane = x + (<usize>p * H * W << 2);
    for (let r = 0; r < Hp; r++) {
      const ih = r - top;
      if (ih < 0 || ih >= H || n == 0) {
        zeros += Wp;
        continue;
      }
      zeros += left;
      for (let k = 0; k < zeros; k += 4) v128.store(dst + (<usize>k << 2), f32x4.splat(0));
      dst += <usize>zeros << 2;
      copyRun(dst, plane + (<usize>ih * W << 2), n);
      dst += <usize>n << 2;
      zeros = Wp - left - n;
    }
  }
  zeroRun(dst, zeros);
}

// Column s of the 4x4 patches of four neighbouring tiles, whose patch row starts at p (patch
// columns 2b+s, 2b+2+s, 2b+4+s, 2b+6+s), times B on the right: (d B)[s] for one patch row.
// @ts-ignore: decorator
@inline function rowTimesB(p: usize, s: i32): v128 {
  const a = v128.load(p), b = v128.load(p + 16), c = v128.load(p + 8), d = v128.load(p + 24);
  const c0 = v128.shuffle<f32>(a, b, 0, 2, 4, 6), c1 = v128.shuffle<f32>(a, b, 1, 3, 5, 7);
  const c2 = v128.shuffle<f32>(c, d, 0, 2, 4, 6), c3 = v128.shuffle<f32>(c, d, 1, 3, 5, 7);
  return s == 0 ? f32x4.sub(c0, c2) : s == 1 ? f32x4.add(c1, c2) : s == 2 ? f32x4.sub(c2, c1) : f32x4.sub(c1, c3);
}

// Column s of Bᵀ d B for four tiles: stored at V[r·4 + s] for r = 0..3 (planes xi bytes apart).
// @ts-ignore: decorator
@inline function inputColumn(p: usize, rowBytes: usize, dst: usize, xi: usize, s: i32): void {
  const q0 = rowTimesB(p, s), q1 = rowTimesB(p + rowBytes, s), q2 = rowTimesB(p + 2 * rowBytes, s), q3 = rowTimesB(p + 3 * rowBytes, s);
  v128.store(dst + <usize>s * xi, f32x4.sub(q0, q2));
  v128.store(dst + <usize>(4 + s) * xi, f32x4.add(q1, q2));
  v128.store(dst + <usize>(8 + s) * xi, f32x4.sub(q2, q1));
  v128.store(dst + <usize>(12 + s) * xi, f32x4.sub(q1, q3));
}

// V[ξ][c][t] = (Bᵀ d B)[ξ] for the patch d of every tile t and channel c of nb images. xp holds the
// images padded (pad_planes_f32) to [nb, C, Hp, Wp] so that patch (a, b) starts at row 2a, column
// 2b, with Hp ≥ 2·tilesH + 2 and Wp ≥ 2·tilesW + 2. Images have imageC channels (the planes of V[ξ]),
// of which the C from xp (and from v's row of the first) are transformed.
export function winograd_input_f32(xp: usize, v: usize, nb: i32, C: i32, Hp: i32, Wp: i32, tilesH: i32, tilesW: i32, ld: i32, imageC: i32): void {
  const xi = <usize>imageC * ld << 2;
  const rowBytes = <usize>Wp << 2;
  for (let n = 0; n < nb; n++) {
    for (let c = 0; c < C; c++) {
      const plane = xp + (<usize>(n * imageC + c) * Hp * Wp << 2);
      for (let a = 0; a < tilesH; a++) {
        const row = plane + <usize>(2 * a) * rowBytes;
        const dst = v + (<usize>(c * ld + (n * tilesH + a) * tilesW) << 2);
        for (let b = 0; b < tilesW; b += 4) {
          const p = row + (<usize>(2 * b) << 2), d = dst + (<usize>b << 2);
          inputColumn(p, rowBytes, d, xi, 0);
          inputColumn(p, rowBytes, d, xi, 1);
          inputColumn(p, rowBytes, d, xi, 2);
          inputColumn(p, rowBytes, d, xi, 3);
        }
      }
    }
  }
}

// (Aᵀ m)[r] for column s of four tiles' products m (planes xi bytes apart, starting at src).
// @ts-ignore: decorator
@inline function aTransposeM(src: usize, xi: usize, r: i32, s: i32): v128 {
  const m1 = v128.load(src + <usize>(4 + s) * xi), m2 = v128.load(src + <usize>(8 + s) * xi);
  return r == 0
    ? f32x4.add(f32x4.add(v128.load(src + <usize>s * xi), m1), m2)
    : f32x4.sub(f32x4.sub(m1, m2), v128.load(src + <usize>(12 + s) * xi));
}

// Output row 2a + r of four tiles: (Aᵀ m A)[r] + bias, through max(·, 0) when relu, stored to the
// eight pixels at dst as far as they lie within the image (cols of the row are left).
// @ts-ignore: decorator
@inline function outputRow(src: usize, xi: usize, r: i32, bias: v128, relu: i32, dst: usize, cols: i32): void {
  const f0 = aTransposeM(src, xi, r, 0), f1 = aTransposeM(src, xi, r, 1), f2 = aTransposeM(src, xi, r, 2), f3 = aTransposeM(src, xi, r, 3);
  let y0 = f32x4.add(f32x4.add(f32x4.add(f0, f1), f2), bias);
  let y1 = f32x4.add(f32x4.sub(f32x4.sub(f1, f2), f3), bias);
  if (relu) {
    y0 = f32x4.max(y0, f32x4.splat(0));
    y1 = f32x4.max(y1, f32x4.splat(0));
  }
  const lo = v128.shuffle<f32>(y0, y1, 0, 4, 1, 5), hi = v128.shuffle<f32>(y0, y1, 2, 6, 3, 7);
  if (cols >= 8) {
    v128.store(dst, lo);
    v128.store(dst + 16, hi);
    return;
  }
  // the image's last columns: lane by lane
  if (cols > 0) store<f32>(dst, f32x4.extract_lane(lo, 0));
  if (cols > 1) store<f32>(dst + 4, f32x4.extract_lane(lo, 1));
  if (cols > 2) store<f32>(dst + 8, f32x4.extract_lane(lo, 2));
  if (cols > 3) store<f32>(dst + 12, f32x4.extract_lane(lo, 3));
  if (cols > 4) store<f32>(dst + 16, f32x4.extract_lane(hi, 0));
  if (cols > 5) store<f32>(dst + 20, f32x4.extract_lane(hi, 1));
  if (cols > 6) store<f32>(dst + 24, f32x4.extract_lane(hi, 2));
}

// y[n][c] = Aᵀ M A (+ bias[c], then max(·, 0) when relu) over the tiles of nb images [nb, C, Ho, Wo]
// (bias 0 = none). Images have imageC channels, of which the C from y (m's row and bias of the first)
// are transformed.
export function winograd_output_f32(m: usize, y: usize, bias: usize, relu: i32, nb: i32, C: i32, Ho: i32, Wo: i32,
  tilesH: i32, tilesW: i32, ld: i32, imageC: i32): void {
  const xi = <usize>imageC * ld << 2;
  for (let n = 0; n < nb; n++) {
    for (let c = 0; c < C; c++) {
      const bv = f32x4.splat(bias ? load<f32>(bias + (<usize>c << 2)) : 0);
      const plane = y + (<usize>(n * imageC + c) * Ho * Wo << 2);
      for (let a = 0; a < tilesH; a++) {
        const src = m + (<usize>(c * ld + (n * tilesH + a) * tilesW) << 2);
        const row0 = plane + (<usize>(2 * a * Wo) << 2);
        const twoRows = 2 * a + 1 < Ho;
        for (let b = 0; b < tilesW && 2 * b < Wo; b += 4) {
          const s = src + (<usize>b << 2), d = row0 + (<usize>(2 * b) << 2), cols = Wo - 2 * b;
          outputRow(s, xi, 0, bv, relu, d, cols);
          if (twoRows) outputRow(s, xi, 1, bv, relu, d + (<usize>Wo << 2), cols);
        }
      }
    }
  }
}

// Direct convolution: the GEMM's register tile (registerTile4x8) with its A side read straight
// from the (padded) input, which saves im2col and the GEMM's packing. Output channels go 8 to a
// tile (two vectors, the packed weights in the place of the GEMM's B panel), output positions 4 to
// a tile: for every tap k = (c, i, j) of the kernel, each of the 4 positions broadcasts its input
// pixel at offset off[k] from its own base, times the 8 channels' weights. Any stride and
// dilation; nothing packed per call but the weights. The weight gradient (conv_direct_wgrad_f32)
// is a 4x8 tile with taps in place of positions, summed over the positions of every image: its A
// side walks two strides (rows, columns) and the images, so it keeps its own loop of the same
// madds (the shared tile would need each position's offset from a table, measured about 15%
// slower on LeNet's weight gradients).

// dst[n][cb][k][0..8) = src[n][cb·8 + r][k] for r = 0..7 (zero past the last of `rows`): nb
// matrices [rows, K] (srcImage floats apart) in 8-row blocks, column-major within a block
// (dstImage floats apart). Whole 8x4 blocks go as two 4x4 transposes.
export function pack_rows8_f32(src: usize, dst: usize, rows: i32, K: i32, nb: i32, srcImage: i32, dstImage: i32): void {
  const blocks = (rows + 7) >> 3;
  const rowBytes = <usize>K << 2;
  const zero = f32x4.splat(0);
  for (let n = 0; n < nb; n++) {
    for (let cb = 0; cb < blocks; cb++) {
      const valid = min(8, rows - cb * 8);
      const s = src + ((<usize>n * srcImage + <usize>cb * 8 * K) << 2);
      let d = dst + ((<usize>n * dstImage + <usize>cb * 8 * K) << 2);
      let k = 0;
      for (; k + 4 <= K; k += 4, d += 128) {
        const o = s + (<usize>k << 2);
        const r0 = v128.load(o), r1 = valid > 1 ? v128.load(o + rowBytes) : zero;
        const r2 = valid > 2 ? v128.load(o + 2 * rowBytes) : zero, r3 = valid > 3 ? v128.load(o + 3 * rowBytes) : zero;
        const r4 = valid > 4 ? v128.load(o + 4 * rowBytes) : zero, r5 = valid > 5 ? v128.load(o + 5 * rowBytes) : zero;
        const r6 = valid > 6 ? v128.load(o + 6 * rowBytes) : zero, r7 = valid > 7 ? v128.load(o + 7 * rowBytes) : zero;
        let t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
        let t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
        v128.store(d, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5), 0);
        v128.store(d, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 32);
        v128.store(d, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 64);
        v128.store(d, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 96);
        t0 = v128.shuffle<f32>(r4, r5, 0, 4, 1, 5); t1 = v128.shuffle<f32>(r4, r5, 2, 6, 3, 7);
        t2 = v128.shuffle<f32>(r6, r7, 0, 4, 1, 5); t3 = v128.shuffle<f32>(r6, r7, 2, 6, 3, 7);
        v128.store(d, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5), 16);
        v128.store(d, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 48);
        v128.store(d, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 80);
        v128.store(d, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 112);
      }
      for (; k < K; k++, d += 32) {
        for (let r = 0; r < 8; r++) store<f32>(d + (<usize>r << 2), r < valid ? load<f32>(s + (<usize>r * K + k << 2)) : 0);
      }
    }
  }
}

// wp[cb][k][0..block) = the weights of output channels cb·block .. cb·block+block−1 (zero past the
// last) at tap k: w [Cout, Cin, taps] itself, K = Cin·taps; for the adjoint (the input gradient, a
// convolution of the output gradient) channels swap roles and the kernel is flipped: output channel
// ci, tap (co, t) is w[co][ci][taps−1−t], K = Cout·taps. Blocks of 8 (conv_direct_f32's) keep the
// taps in w's order, k = c·taps + t; smaller blocks (conv_direct_lanes_f32's) go tap-major,
// k = t·C + c, so that the taps of a range of kernel rows are contiguous.
export function conv_direct_pack_f32(w: usize, wp: usize, Cout: i32, Cin: i32, taps: i32, adjoint: i32, block: i32): void {
  if (!adjoint && block == 8) {
    pack_rows8_f32(w, wp, Cout, Cin * taps, 1, 0, 0);
    return;
  }
  const M = adjoint ? Cin : Cout, C = adjoint ? Cout : Cin, K = C * taps;
  const blocks = (M + block - 1) / block;
  for (let cb = 0; cb < blocks; cb++) {
    for (let k = 0; k < K; k++) {
      const dst = wp + (<usize>((cb * K + k) * block) << 2);
      const c = block == 8 ? k / taps : k % C, t = block == 8 ? k % taps : k / C;
      for (let r = 0; r < block; r++) {
        const m = cb * block + r;
        const src = adjoint ? (c * Cin + m) * taps + taps - 1 - t : (m * Cin + c) * taps + t;
        store<f32>(dst + (<usize>r << 2), m < M ? load<f32>(w + (<usize>src << 2)) : 0);
      }
    }
  }
}

// Four vectors of 4 channels' values (one vector per output position, or per tap) as one vector of
// the four per channel, + bias, through max(·, 0) when relu, stored to (or, accumulating, added to)
// the channels' rows at y, rowBytes apart: only the first `channels` rows and `count` values.
// @ts-ignore: decorator
@inline function storeTransposed(p0: v128, p1: v128, p2: v128, p3: v128, bias: usize, relu: i32, accumulate: bool,
  y: usize, rowBytes: usize, channels: i32, count: i32): void {
  const t0 = v128.shuffle<f32>(p0, p1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(p0, p1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(p2, p3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(p2, p3, 2, 6, 3, 7);
  for (let r = 0; r < 4 && r < channels; r++) {
    let v = r == 0 ? v128.shuffle<f32>(t0, t2, 0, 1, 4, 5) : r == 1 ? v128.shuffle<f32>(t0, t2, 2, 3, 6, 7)
      : r == 2 ? v128.shuffle<f32>(t1, t3, 0, 1, 4, 5) : v128.shuffle<f32>(t1, t3, 2, 3, 6, 7);
    if (bias) v = f32x4.add(v, v128.load32_splat(bias + (<usize>r << 2)));
    if (relu) v = f32x4.max(v, f32x4.splat(0));
    const d = y + <usize>r * rowBytes;
    if (count == 4) {
      v128.store(d, accumulate ? f32x4.add(v128.load(d), v) : v);
    } else {
      store<f32>(d, (accumulate ? load<f32>(d) : 0) + f32x4.extract_lane(v, 0));
      if (count > 1) store<f32>(d + 4, (accumulate ? load<f32>(d + 4) : 0) + f32x4.extract_lane(v, 1));
      if (count > 2) store<f32>(d + 8, (accumulate ? load<f32>(d + 8) : 0) + f32x4.extract_lane(v, 2));
    }
  }
}

// y[n][co][oh·Wo + ow] = Σ_k wp[co][k] · x[n][(oh·sh)·Wp + ow·sw + off[k]] (+ bias[co], then
// max(·, 0) when relu) for nb images of x (xImage floats apart; padded so that every read is inside)
// and y (yImage floats apart, channel rows Ho·Wo floats apart). off: K i32 offsets; bias 0 = none;
// ws: the calling thread's GEMM workspace (its tile).
export function conv_direct_f32(x: usize, wp: usize, off: usize, K: i32, y: usize, bias: usize, relu: i32, nb: i32,
  Cout: i32, Ho: i32, Wo: i32, sh: i32, sw: i32, Wp: i32, xImage: i32, yImage: i32, ws: usize): void {
  const L = Ho * Wo, blocks = (Cout + 7) >> 3;
  const rowBytes = <usize>L << 2;
  const tile = workspaceTile(ws);
  for (let n = 0; n < nb; n++) {
    const xn = x + (<usize>n * xImage << 2), yn = y + (<usize>n * yImage << 2);
    for (let cb = 0; cb < blocks; cb++) {
      const wb = wp + (<usize>(cb * K) << 5), yb = yn + <usize>(cb * 8) * rowBytes;
      const bb = bias ? bias + (<usize>(cb * 8) << 2) : 0;
      const channels = Cout - cb * 8;
      let oh = 0, ow = 0; // position q
      for (let q = 0; q < L; q += 4) {
        // base pointers of positions q .. q+3 (past the end: the last position again, not stored)
        const b0 = xn + (<usize>(oh * sh * Wp + ow * sw) << 2);
        if (++ow == Wo) { ow = 0; oh++; }
        const b1 = q + 1 < L ? xn + (<usize>(oh * sh * Wp + ow * sw) << 2) : b0;
        if (++ow == Wo) { ow = 0; oh++; }
        const b2 = q + 2 < L ? xn + (<usize>(oh * sh * Wp + ow * sw) << 2) : b1;
        if (++ow == Wo) { ow = 0; oh++; }
        const b3 = q + 3 < L ? xn + (<usize>(oh * sh * Wp + ow * sw) << 2) : b2;
        if (++ow == Wo) { ow = 0; oh++; }
        registerTile4x8(true, K, b0, b1, b2, b3, off, wb, tile);
        // tile row r: position q + r, channels 0..3 then 4..7
        const count = min(4, L - q), d = yb + (<usize>q << 2);
        storeTransposed(v128.load(tile, 0), v128.load(tile, 32), v128.load(tile, 64), v128.load(tile, 96),
          bb, relu, false, d, rowBytes, channels, count);
        if (channels > 4) {
          storeTransposed(v128.load(tile, 16), v128.load(tile, 48), v128.load(tile, 80), v128.load(tile, 112),
            bb ? bb + 16 : 0, relu, false, d + 4 * rowBytes, rowBytes, channels - 4, count);
        }
      }
    }
  }
}

// Direct convolution with output positions in the vector lanes, for a unit column stride: a tile
// is 3 output channels x 2 output rows x 4 neighbouring columns, so a tap's input for a tile row is
// one (unaligned) vector load and the outputs are stored as they lie in y, with no transposes. It
// serves layers with few output channels, which leave most of conv_direct_f32's 8-channel tile
// empty (LeNet's first layer and its second's input gradient have 6), and skips the taps whose
// inputs are all padding for the tile: taps go in the order (i, j, c), so those left — kernel rows
// ilo..ihi, columns jlo..jhi — are one run of taps, or one per kernel row where some columns are
// skipped. (A flat loop over a run measured 6% faster than runs per channel; 3 channels a tile
// measured as fast per multiply-add as 4, and fill the usual 3 or 6 better.)
const LANES_BLOCK = 3;

// One channel's tile rows p (at y0) and q (at y1, when `second`): + bias[0], through max(·, 0) when
// relu (bias 0 = none), the first cols ≤ 4 columns.
// @ts-ignore: decorator
@inline function storeLanes(p: v128, q: v128, second: bool, bias: usize, relu: i32, y0: usize, y1: usize, cols: i32): void {
  if (bias) {
    const b = v128.load32_splat(bias);
    p = f32x4.add(p, b);
    q = f32x4.add(q, b);
  }
  if (relu) {
    p = f32x4.pmax(p, f32x4.splat(0)); // keeps NaN
    q = f32x4.pmax(q, f32x4.splat(0));
  }
  if (cols == 4) {
    v128.store(y0, p);
    if (second) v128.store(y1, q);
    return;
  }
  for (let c = 0; c < cols; c++, y0 += 4, y1 += 4) {
    store<f32>(y0, f32x4.extract_lane(p, 0));
    if (second) store<f32>(y1, f32x4.extract_lane(q, 0));
    p = v128.shuffle<f32>(p, p, 1, 2, 3, 0);
    q = v128.shuffle<f32>(q, q, 1, 2, 3, 0);
  }
}

// a / d for a ≥ 0, without the division's latency for the common d = 1 (no dilation).
// @ts-ignore: decorator
@inline function quotient(a: i32, d: i32): i32 {
  return d == 1 ? a : a / d;
}

// y[n][co][oh·Wo + ow] = Σ_k wp[co][k] · x[n][(oh·sh)·Wp + ow + off[k]] (+ bias[co], then max(·, 0)
// when relu; bias 0 = none) over the K = kh·kw·C taps (i, j, c) of nb images, as conv_direct_f32
// with sw = 1, weights packed in blocks of 3 channels (conv_direct_pack_f32). The images sit at
// row top, column left of x's planes (H x W of them; the rest is zero padding), which must cover
// every read: rows up to (Ho−1)·sh + (kh−1)·dh and columns up to 4·⌈Wo/4⌉ − 1 + (kw−1)·dw.
export function conv_direct_lanes_f32(x: usize, wp: usize, off: usize, C: i32, kh: i32, kw: i32, dh: i32, dw: i32,
  y: usize, bias: usize, relu: i32, nb: i32, Cout: i32, Ho: i32, Wo: i32, sh: i32, Wp: i32, top: i32, left: i32, H: i32, W: i32,
  xImage: i32, yImage: i32): void {
  const K = C * kh * kw, blocks = (Cout + LANES_BLOCK - 1) / LANES_BLOCK;
  const rowBytes = <usize>(Ho * Wo) << 2;
  for (let n = 0; n < nb; n++) {
    const xn = x + (<usize>n * xImage << 2), yn = y + (<usize>n * yImage << 2);
    for (let cb = 0; cb < blocks; cb++) {
      const w = wp + (<usize>(cb * K * LANES_BLOCK) << 2), yb = yn + <usize>(cb * LANES_BLOCK) * rowBytes;
      const bb = bias ? bias + (<usize>(cb * LANES_BLOCK) << 2) : 0;
      const channels = Cout - cb * LANES_BLOCK;
      for (let oh = 0; oh < Ho; oh += 2) {
        const second = oh + 1 < Ho;
        // kernel rows whose input row, for one of the tile's output rows, lies in the image
        const rLast = (second ? oh + 1 : oh) * sh, spanR = top + H - 1 - oh * sh;
        const ilo = rLast >= top ? 0 : quotient(top - rLast + dh - 1, dh);
        const rows = max(0, (spanR < 0 ? -1 : min(kh - 1, quotient(spanR, dh))) - ilo + 1);
        const r0 = xn + (<usize>(oh * sh * Wp) << 2), r1 = second ? r0 + (<usize>(sh * Wp) << 2) : r0;
        const y0 = yb + (<usize>(oh * Wo) << 2), y1 = y0 + (<usize>Wo << 2);
        for (let ow = 0; ow < Wo; ow += 4) {
          const cols = min(4, Wo - ow);
          // kernel columns likewise, for one of the tile's columns
          const cLast = ow + cols - 1, spanC = left + W - 1 - ow;
          const jlo = cLast >= left ? 0 : quotient(left - cLast + dw - 1, dw);
          const kcols = max(0, (spanC < 0 ? -1 : min(kw - 1, quotient(spanC, dw))) - jlo + 1);
          // the taps left: one run over the rows when all columns remain, else one per row
          const whole = kcols == kw, runs = whole ? min(rows, 1) : rows, runLen = (whole ? rows * kw : kcols) * C;
          const o = <usize>ow << 2, b0 = r0 + o, b1 = r1 + o;
          let p0 = f32x4.splat(0), q0 = f32x4.splat(0), p1 = f32x4.splat(0), q1 = f32x4.splat(0), p2 = f32x4.splat(0), q2 = f32x4.splat(0);
          for (let r = 0, t0 = (ilo * kw + jlo) * C; r < runs; r++, t0 += kw * C) {
            let ot = off + (<usize>t0 << 2), wt = w + (<usize>(t0 * LANES_BLOCK) << 2);
            for (let t = 0; t < runLen; t++, ot += 4, wt += LANES_BLOCK * 4) {
              const d = <usize>load<i32>(ot) << 2;
              const v0 = v128.load(b0 + d), v1 = v128.load(b1 + d);
              let s = v128.load32_splat(wt);
              p0 = madd(v0, s, p0); q0 = madd(v1, s, q0);
              s = v128.load32_splat(wt, 4);
              p1 = madd(v0, s, p1); q1 = madd(v1, s, q1);
              s = v128.load32_splat(wt, 8);
              p2 = madd(v0, s, p2); q2 = madd(v1, s, q2);
            }
          }
          storeLanes(p0, q0, second, bb, relu, y0 + o, y1 + o, cols);
          if (channels > 1) storeLanes(p1, q1, second, bb ? bb + 4 : 0, relu, y0 + o + rowBytes, y1 + o + rowBytes, cols);
          if (channels > 2) storeLanes(p2, q2, second, bb ? bb + 8 : 0, relu, y0 + o + 2 * rowBytes, y1 + o + 2 * rowBytes, cols);
        }
      }
    }
  }
}

// The weight gradient, direct: dw[co][k] += Σ over images n and output positions q of
// g[n][co][q] · x[n][base(q) + off[k]] for taps k < K, with base(q) = (oh·sh)·Wp + ow·sw as in
// conv_direct_f32 and dw's rows ldw floats apart. The output gradient comes packed by
// pack_rows8_f32 to g[n][cb][q][0..8) (8-channel blocks, gImage floats between images).
// Tiles of 8 channels x 4 taps keep their sums in registers over all n and q.
export function conv_direct_wgrad_f32(x: usize, g: usize, off: usize, K: i32, dw: usize, ldw: i32, nb: i32, Cout: i32,
  Ho: i32, Wo: i32, sh: i32, sw: i32, Wp: i32, xImage: i32, gImage: i32): void {
  const L = Ho * Wo, blocks = (Cout + 7) >> 3;
  const rowBytes = <usize>ldw << 2;
  const rowStep = <usize>(sh * Wp) << 2, colStep = <usize>sw << 2;
  for (let cb = 0; cb < blocks; cb++) {
    const channels = Cout - cb * 8;
    for (let k = 0; k < K; k += 4) {
      // the tile's taps (past the last: the last again, not stored)
      const o0 = <usize>load<i32>(off + (<usize>k << 2)) << 2;
      const o1 = k + 1 < K ? <usize>load<i32>(off + (<usize>(k + 1) << 2)) << 2 : o0;
      const o2 = k + 2 < K ? <usize>load<i32>(off + (<usize>(k + 2) << 2)) << 2 : o1;
      const o3 = k + 3 < K ? <usize>load<i32>(off + (<usize>(k + 3) << 2)) << 2 : o2;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), c0 = f32x4.splat(0), c1 = f32x4.splat(0);
      let d0 = f32x4.splat(0), d1 = f32x4.splat(0), e0 = f32x4.splat(0), e1 = f32x4.splat(0);
      for (let n = 0; n < nb; n++) {
        let gq = g + (<usize>(n * gImage + cb * L * 8) << 2);
        let row = x + (<usize>n * xImage << 2);
        for (let oh = 0; oh < Ho; oh++, row += rowStep) {
          let b = row;
          for (let ow = 0; ow < Wo; ow++, b += colStep, gq += 32) {
            const lo = v128.load(gq), hi = v128.load(gq + 16);
            const x0 = v128.load32_splat(b + o0), x1 = v128.load32_splat(b + o1);
            const x2 = v128.load32_splat(b + o2), x3 = v128.load32_splat(b + o3);
            a0 = madd(x0, lo, a0); a1 = madd(x0, hi, a1);
            c0 = madd(x1, lo, c0); c1 = madd(x1, hi, c1);
            d0 = madd(x2, lo, d0); d1 = madd(x2, hi, d1);
            e0 = madd(x3, lo, e0); e1 = madd(x3, hi, e1);
          }
        }
      }
      const count = min(4, K - k), d = dw + (<usize>(cb * 8) * rowBytes) + (<usize>k << 2);
      storeTransposed(a0, c0, d0, e0, 0, 0, true, d, rowBytes, channels, count);
      if (channels > 4) storeTransposed(a1, c1, d1, e1, 0, 0, true, d + 4 * rowBytes, rowBytes, channels - 4, count);
    }
  }
}

// The weight gradient with output positions in the vector lanes, for a unit column stride: as
// conv_direct_wgrad_f32, dw[co][k] += Σ over images n and output positions (oh, ow) of
// g[n][co][oh·Wo + ow] · x[n][oh·sh·Wp + ow + off[k]], but with the output gradient read as it lies
// (gImage floats between images, nothing packed) and tiles of 2 channels x 4 taps whose lanes hold
// 4 neighbouring columns' sums, added across the lanes into dw after each image. It serves layers
// with few output channels (LeNet's first: 6), which leave most of the 8-channel tile empty; an
// image at a time keeps its input and output gradient in L1 across the tiles. Wo ≥ 4.
export function conv_direct_lanes_wgrad_f32(x: usize, g: usize, off: usize, K: i32, dw: usize, ldw: i32, nb: i32, Cout: i32,
  Ho: i32, Wo: i32, sh: i32, Wp: i32, xImage: i32, gImage: i32): void {
  const L = Ho * Wo, blocks = (Cout + 1) >> 1, full = Wo & ~3;
  const rowBytes = <usize>ldw << 2, gBytes = <usize>L << 2;
  // the columns past the last multiple of 4: the row's last 4 again (Wo ≥ 4: no read past the
  // output gradient's end), with the lanes summed already masked off in both operands
  const tail = Wo - full;
  const mask = i32x4(0, tail > 2 ? -1 : 0, tail > 1 ? -1 : 0, -1);
  for (let n = 0; n < nb; n++) {
    const xn = x + (<usize>n * xImage << 2);
    for (let cb = 0; cb < blocks; cb++) {
      const two = cb * 2 + 1 < Cout;
      const g0 = g + (<usize>n * gImage << 2) + <usize>(cb * 2) * gBytes, g1 = two ? g0 + gBytes : g0;
      for (let k = 0; k < K; k += 4) {
        // the tile's taps (past the last: the last again, not stored)
        const o0 = <usize>load<i32>(off + (<usize>k << 2)) << 2;
        const o1 = k + 1 < K ? <usize>load<i32>(off + (<usize>(k + 1) << 2)) << 2 : o0;
        const o2 = k + 2 < K ? <usize>load<i32>(off + (<usize>(k + 2) << 2)) << 2 : o1;
        const o3 = k + 3 < K ? <usize>load<i32>(off + (<usize>(k + 3) << 2)) << 2 : o2;
        const d = dw + <usize>(cb * 2) * rowBytes + (<usize>k << 2), count = min(4, K - k);
        if (full > 0) lanesWgradPass(false, mask, xn, g0, g1, o0, o1, o2, o3, 0, full, Ho, Wo, sh, Wp, d, rowBytes, two, count);
        if (tail > 0) lanesWgradPass(true, mask, xn, g0, g1, o0, o1, o2, o3, Wo - 4, Wo - 3, Ho, Wo, sh, Wp, d, rowBytes, two, count);
      }
    }
  }
}

// One image's sums for a tile of conv_direct_lanes_wgrad_f32 over the columns ow0 .. ow1 of every
// output row, 4 at a time (masked: through `mask`), added into dw at d (the second channel's row
// rowBytes on, when `two`; count ≤ 4 taps). Not inlined: one body serves both calls, the branch
// on `masked` costing the whole columns less than masking them too.
function lanesWgradPass(masked: bool, mask: v128, xn: usize, g0: usize, g1: usize, o0: usize, o1: usize, o2: usize, o3: usize,
  ow0: i32, ow1: i32, Ho: i32, Wo: i32, sh: i32, Wp: i32, d: usize, rowBytes: usize, two: bool, count: i32): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  let e0 = f32x4.splat(0), e1 = f32x4.splat(0), f0 = f32x4.splat(0), f1 = f32x4.splat(0);
  const rowStep = <usize>(sh * Wp) << 2, gStep = <usize>Wo << 2;
  let row = xn, gr0 = g0, gr1 = g1;
  for (let oh = 0; oh < Ho; oh++, row += rowStep, gr0 += gStep, gr1 += gStep) {
    for (let ow = ow0; ow < ow1; ow += 4) {
      const q = <usize>ow << 2, b = row + q;
      let u = v128.load(gr0 + q), v = v128.load(gr1 + q);
      let x0 = v128.load(b + o0), x1 = v128.load(b + o1), x2 = v128.load(b + o2), x3 = v128.load(b + o3);
      if (masked) {
        u = v128.and(u, mask); v = v128.and(v, mask);
        x0 = v128.and(x0, mask); x1 = v128.and(x1, mask); x2 = v128.and(x2, mask); x3 = v128.and(x3, mask);
      }
      a0 = madd(x0, u, a0); a1 = madd(x0, v, a1);
      c0 = madd(x1, u, c0); c1 = madd(x1, v, c1);
      e0 = madd(x2, u, e0); e1 = madd(x2, v, e1);
      f0 = madd(x3, u, f0); f1 = madd(x3, v, f1);
    }
  }
  addLaneSums(a0, c0, e0, f0, d, count);
  if (two) addLaneSums(a1, c1, e1, f1, d + rowBytes, count);
}

// dst[t] += the sum of the lanes of vector t, for t < count ≤ 4.
// @ts-ignore: decorator
@inline function addLaneSums(p0: v128, p1: v128, p2: v128, p3: v128, dst: usize, count: i32): void {
  const u = f32x4.add(v128.shuffle<f32>(p0, p1, 0, 4, 1, 5), v128.shuffle<f32>(p0, p1, 2, 6, 3, 7)); // p0, p1 halved, interleaved
  const v = f32x4.add(v128.shuffle<f32>(p2, p3, 0, 4, 1, 5), v128.shuffle<f32>(p2, p3, 2, 6, 3, 7));
  const s = f32x4.add(v128.shuffle<f32>(u, v, 0, 1, 4, 5), v128.shuffle<f32>(u, v, 2, 3, 6, 7));
  if (count == 4) {
    v128.store(dst, f32x4.add(v128.load(dst), s));
    return;
  }
  store<f32>(dst, load<f32>(dst) + f32x4.extract_lane(s, 0));
  if (count > 1) store<f32>(dst + 4, load<f32>(dst + 4) + f32x4.extract_lane(s, 1));
  if (count > 2) store<f32>(dst + 8, load<f32>(dst + 8) + f32x4.extract_lane(s, 2));
}

// Single-precision GEMM: C = act(alpha * op(A) * op(B) + beta * C + bias).
//
// BLIS-style blocking: K is split into KC-deep blocks, N into NC-wide blocks
// and M into MC-tall blocks. For each (NC, KC) block, op(B) is packed into
// NR-column panels; for each MC block, op(A) is packed (and scaled by alpha)
// into MR-row panels. Panels are zero-padded to full MR / NR width, so the
// micro-kernel always runs a full MR x NR tile with no branches inside.
// The micro-kernel writes its tile to the workspace; the epilogue then merges
// the valid part into C (beta on the first K block, bias and activation on
// the last one).
// Few rows of op(A) (matrix-vector products) or, with transB, few columns skip
// the packing, which would cost more than the product: see the unpacked paths
// before gemm_f32.
import { madd } from "./vmath";

// Where gemm_f32 adds its bias: nowhere, bias[n] to every row (a Linear layer's
// output features), or bias[m] to every column (a convolution's output channels).
export const enum BiasMode { None = 0, PerColumn = 1, PerRow = 2 }

// Micro-tile: 4 rows x 8 columns = 8 f32x4 accumulators, which V8 keeps in registers. V8 issues
// every load of an iteration before its arithmetic, so each loaded value holds a register for the
// whole iteration: a 6x8 tile (12 accumulators + 2 B + 6 broadcasts) spills and runs at 60-70% of
// the peak; a 5x8 tile that loads A as one vector and broadcasts by shuffles does not spill but
// measured no faster inside the GEMM (Node 20, Intel Xeon).
const MR = 4;
const NR = 8;
// A block (MC x KC floats, 256 KiB) stays in L2; a B micro-panel (KC x NR floats, 16 KiB) and
// an A micro-panel (8 KiB) stay in L1. KC = 512 rather than 256: half the passes over C for
// K > 256 and a longer k loop per tile for K in (256, 512] (the MLP's 784 in 2 blocks rather
// than 4), +1-3% on both builds; NC = 512 keeps the packed B block at 1 MiB.
const KC = 512;
const MC = 128;
const NC = 512;
// Unpacked paths (measured against the packed one): always up to GEMV_MAX_M
// rows of op(A); while B is at most UNPACKED_MAX_B_BYTES, also up to
// DOT_MAX_M rows (transB = 1) or AXPY_MAX_M rows (transB = 0), and any rows
// when transB = 1 and N <= DOT_MAX_N.
const GEMV_MAX_M = 3;
const UNPACKED_MAX_B_BYTES = 4 << 20;
const DOT_MAX_M = 16;
const AXPY_MAX_M = 8;
const DOT_MAX_N = 16;

const TILE_BYTES = MR * NR * 4;
const PACK_A_BYTES = MC * KC * 4;
const PACK_B_BYTES = KC * NC * 4;
// Workspace layout: [tile | packed A block | packed B block].
const WS_TILE = 0;
const WS_PACK_A = WS_TILE + TILE_BYTES;
const WS_PACK_B = WS_PACK_A + PACK_A_BYTES;
const WS_BYTES = WS_PACK_B + PACK_B_BYTES;

export function gemm_workspace_bytes(): i32 {
  return WS_BYTES;
}

// First step of a 4x4 transpose: interleave the low (r0[0], r1[0], r0[1], r1[1])
// or high (r0[2], r1[2], r0[3], r1[3]) halves of two rows. Used by the packers
// for layouts whose rows run along K.
// @ts-ignore: decorator
@inline function interleaveLo(r0: v128, r1: v128): v128 {
  return v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
}
// @ts-ignore: decorator
@inline function interleaveHi(r0: v128, r1: v128): v128 {
  return v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
}

// Packs rows [m0, m0+mc) x depth [k0, k0+kc) of op(A), scaled by alpha, into
// MR-row panels: panel p holds, for each k, the MR values op(A)[m0+p*MR+r][k].
function packA(transA: i32, A: usize, lda: i32, m0: i32, k0: i32, mc: i32, kc: i32,
               alpha: f32, dst: usize): void {
  const va = f32x4.splat(alpha);
  for (let i = 0; i < mc; i += MR) {
    const rows = min(MR, mc - i);
    const m = m0 + i;
    if (rows == MR && transA != 0) {
      // op(A)[m][k] = A[k*lda + m]: the MR values for one k are contiguous.
      let src = A + (<usize>k0 * lda + m) * 4;
      for (let k = 0; k < kc; k++) {
        v128.store(dst, f32x4.mul(v128.load(src), va));
        src += <usize>lda * 4;
        dst += MR * 4;
      }
    } else if (rows == MR) {
      // op(A)[m][k] = A[m*lda + k]: load 4 k-values of each row, transpose.
      const rowStride = <usize>lda * 4;
      let s0 = A + (<usize>m * lda + k0) * 4;
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const r0 = v128.load(s0);
        const r1 = v128.load(s0 + rowStride);
        const r2 = v128.load(s0 + rowStride * 2);
        const r3 = v128.load(s0 + rowStride * 3);
        const t0 = interleaveLo(r0, r1);
        const t1 = interleaveHi(r0, r1);
        const t2 = interleaveLo(r2, r3);
        const t3 = interleaveHi(r2, r3);
        v128.store(dst, f32x4.mul(v128.shuffle<f32>(t0, t2, 0, 1, 4, 5), va), 0);
        v128.store(dst, f32x4.mul(v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), va), 16);
        v128.store(dst, f32x4.mul(v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), va), 32);
        v128.store(dst, f32x4.mul(v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), va), 48);
        s0 += 16;
        dst += 4 * MR * 4;
      }
      for (; k < kc; k++) {
        store<f32>(dst, alpha * load<f32>(s0), 0);
        store<f32>(dst, alpha * load<f32>(s0 + rowStride), 4);
        store<f32>(dst, alpha * load<f32>(s0 + rowStride * 2), 8);
        store<f32>(dst, alpha * load<f32>(s0 + rowStride * 3), 12);
        s0 += 4;
        dst += MR * 4;
      }
    } else {
      // Bottom edge: fewer than MR rows left, zero-pad the panel.
      for (let k = 0; k < kc; k++) {
        for (let r = 0; r < MR; r++) {
          let v: f32 = 0;
          if (r < rows) {
            const kk = k0 + k;
            const mm = m + r;
            v = alpha * load<f32>(A + (transA != 0
              ? <usize>kk * lda + mm
              : <usize>mm * lda + kk) * 4);
          }
          store<f32>(dst, v);
          dst += 4;
        }
      }
    }
  }
}

// Packs depth [k0, k0+kc) x columns [n0, n0+nc) of op(B) into NR-column
// panels: panel p holds, for each k, the NR values op(B)[k][n0+p*NR+c].
function packB(transB: i32, B: usize, ldb: i32, k0: i32, n0: i32, kc: i32, nc: i32,
               dst: usize): void {
  for (let j = 0; j < nc; j += NR) {
    const cols = min(NR, nc - j);
    const n = n0 + j;
    if (cols == NR && transB == 0) {
      // op(B)[k][n] = B[k*ldb + n]: the NR values for one k are contiguous.
      let src = B + (<usize>k0 * ldb + n) * 4;
      for (let k = 0; k < kc; k++) {
        v128.store(dst, v128.load(src, 0), 0);
        v128.store(dst, v128.load(src, 16), 16);
        src += <usize>ldb * 4;
        dst += NR * 4;
      }
    } else if (cols == NR) {
      // op(B)[k][n] = B[n*ldb + k]: load 4 k-values of each of the NR rows
      // of B and transpose two 4x4 blocks.
      const rowStride = <usize>ldb * 4;
      let s0 = B + (<usize>n * ldb + k0) * 4;
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const s4 = s0 + rowStride * 4;
        const r0 = v128.load(s0);
        const r1 = v128.load(s0 + rowStride);
        const r2 = v128.load(s0 + rowStride * 2);
        const r3 = v128.load(s0 + rowStride * 3);
        const t0 = interleaveLo(r0, r1);
        const t1 = interleaveHi(r0, r1);
        const t2 = interleaveLo(r2, r3);
        const t3 = interleaveHi(r2, r3);
        v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5), 0);
        v128.store(dst, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 32);
        v128.store(dst, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 64);
        v128.store(dst, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 96);
        const r4 = v128.load(s4);
        const r5 = v128.load(s4 + rowStride);
        const r6 = v128.load(s4 + rowStride * 2);
        const r7 = v128.load(s4 + rowStride * 3);
        const t4 = interleaveLo(r4, r5);
        const t5 = interleaveHi(r4, r5);
        const t6 = interleaveLo(r6, r7);
        const t7 = interleaveHi(r6, r7);
        v128.store(dst, v128.shuffle<f32>(t4, t6, 0, 1, 4, 5), 16);
        v128.store(dst, v128.shuffle<f32>(t4, t6, 2, 3, 6, 7), 48);
        v128.store(dst, v128.shuffle<f32>(t5, t7, 0, 1, 4, 5), 80);
        v128.store(dst, v128.shuffle<f32>(t5, t7, 2, 3, 6, 7), 112);
        s0 += 16;
        dst += 4 * NR * 4;
      }
      for (; k < kc; k++) {
        let s = s0;
        for (let c = 0; c < NR; c++) {
          store<f32>(dst, load<f32>(s));
          s += rowStride;
          dst += 4;
        }
        s0 += 4;
      }
    } else {
      // Right edge: fewer than NR columns left, zero-pad the panel.
      for (let k = 0; k < kc; k++) {
        for (let c = 0; c < NR; c++) {
          let v: f32 = 0;
          if (c < cols) {
            const kk = k0 + k;
            const nn = n + c;
            v = load<f32>(B + (transB != 0
              ? <usize>nn * ldb + kk
              : <usize>kk * ldb + nn) * 4);
          }
          store<f32>(dst, v);
          dst += 4;
        }
      }
    }
  }
}

// The register tile of the GEMM and of the direct convolution (assembly/conv.ts):
// tile[r][0..8) = Σ_k a_r(k) · b(k) for r = 0..3, with b(k) the 8 floats at b + 32k (a packed B
// panel, or packed weights) and a_r(k) broadcast to them: packed A's column k (a + 16k + 4r: the
// GEMM) or, with `gather`, the float at a_r + off[k], off the taps' i32 offsets (the input pixel
// of output position r at tap k: the direct convolution). The 8 f32x4 sums stay in registers
// and are stored to `tile`, 4 rows of 8 floats, all 8 accumulated by madd (fused in the relaxed
// build). On the Intel Xeon first measured, 8 chains of fused multiply-adds could not hide the
// FMA's latency and a separate mul and add for row 3 ran the GEMM 3-5% faster; on the AMD Zen 4
// the project now runs on, the fused row is the faster one: the MLP step's five large products
// +1.5-2.7% (the relaxed build, the two trees' kernels interleaved 40 times in one process), the
// L1 tile of bench:peak 54 against 51 GFLOP/s. The plain build's code is the same either way.
// @ts-ignore: decorator
@inline export function registerTile4x8(gather: bool, kc: i32, a0: usize, a1: usize, a2: usize, a3: usize, off: usize,
  b: usize, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b, 0);
    const b1 = v128.load(b, 16);
    const o: usize = gather ? <usize>load<i32>(off) << 2 : 0;
    let av = gather ? v128.load32_splat(a0 + o) : v128.load32_splat(a0, 0);
    c00 = madd(av, b0, c00);
    c01 = madd(av, b1, c01);
    av = gather ? v128.load32_splat(a1 + o) : v128.load32_splat(a0, 4);
    c10 = madd(av, b0, c10);
    c11 = madd(av, b1, c11);
    av = gather ? v128.load32_splat(a2 + o) : v128.load32_splat(a0, 8);
    c20 = madd(av, b0, c20);
    c21 = madd(av, b1, c21);
    av = gather ? v128.load32_splat(a3 + o) : v128.load32_splat(a0, 12);
    c30 = madd(av, b0, c30);
    c31 = madd(av, b1, c31);
    if (gather) off += 4;
    else a0 += MR * 4;
    b += NR * 4;
  }
  v128.store(tile, c00, 0);
  v128.store(tile, c01, 16);
  v128.store(tile, c10, 32);
  v128.store(tile, c11, 48);
  v128.store(tile, c20, 64);
  v128.store(tile, c21, 80);
  v128.store(tile, c30, 96);
  v128.store(tile, c31, 112);
}

// The tile in a GEMM workspace (gemm_workspace_bytes), for the direct convolutions' register tile.
// @ts-ignore: decorator
@inline export function workspaceTile(ws: usize): usize {
  return ws + WS_TILE;
}

// C[0..rows)[0..cols) = act(tile + cScale * C + bias) at C (ldc in floats),
// where m, n are the tile's first row and column in the whole output (for
// the bias). cScale == 0 does not read C. biasMode/relu are only set for the
// last K block.
function storeTile(tile: usize, C: usize, ldc: i32, rows: i32, cols: i32, m: i32, n: i32,
                   cScale: f32, bias: usize, biasMode: i32, relu: bool): void {
  const rowStride = <usize>ldc * 4;
  if (rows == MR && cols == NR) {
    const vs = f32x4.splat(cScale);
    const zero = f32x4.splat(0);
    let bias0 = zero, bias1 = zero;
    if (biasMode == BiasMode.PerColumn) {
      bias0 = v128.load(bias + <usize>n * 4, 0);
      bias1 = v128.load(bias + <usize>n * 4, 16);
    }
    let c = C;
    for (let r = 0; r < MR; r++) {
      let v0 = v128.load(tile, 0);
      let v1 = v128.load(tile, 16);
      if (cScale != 0) {
        v0 = madd(vs, v128.load(c, 0), v0);
        v1 = madd(vs, v128.load(c, 16), v1);
      }
      if (biasMode == BiasMode.PerColumn) {
        v0 = f32x4.add(v0, bias0);
        v1 = f32x4.add(v1, bias1);
      } else if (biasMode == BiasMode.PerRow) {
        const br = v128.load32_splat(bias + <usize>(m + r) * 4);
        v0 = f32x4.add(v0, br);
        v1 = f32x4.add(v1, br);
      }
      if (relu) {
        // pmax(x, 0) is x < 0 ? 0 : x, which keeps NaN.
        v0 = f32x4.pmax(v0, zero);
        v1 = f32x4.pmax(v1, zero);
      }
      v128.store(c, v0, 0);
      v128.store(c, v1, 16);
      tile += NR * 4;
      c += rowStride;
    }
  } else {
    for (let r = 0; r < rows; r++) {
      const c = C + <usize>r * rowStride;
      const t = tile + <usize>r * NR * 4;
      for (let j = 0; j < cols; j++) {
        let v = load<f32>(t + <usize>j * 4);
        if (cScale != 0) v += cScale * load<f32>(c + <usize>j * 4);
        if (biasMode == BiasMode.PerColumn) v += load<f32>(bias + <usize>(n + j) * 4);
        else if (biasMode == BiasMode.PerRow) v += load<f32>(bias + <usize>(m + r) * 4);
        if (relu && v < 0) v = 0;
        store<f32>(c + <usize>j * 4, v);
      }
    }
  }
}

// Small M (matrix-vector) and, with transB = 1, small N: op(B) is read in place
// once per pair of rows of op(A) instead of being packed on every call.

// The first `count` (1..4) floats at p, zero past count; reads nothing beyond them.
// @ts-ignore: decorator
@inline function loadPartial(p: usize, count: i32): v128 {
  if (count >= 4) return v128.load(p);
  if (count == 1) return v128.load32_zero(p);
  const v = v128.load64_zero(p);
  return count == 3 ? v128.load32_lane(p, v, 2, 8) : v;
}

// Stores the first `count` (1..4) lanes of v at p.
// @ts-ignore: decorator
@inline function storePartial(p: usize, v: v128, count: i32): void {
  if (count >= 4) {
    v128.store(p, v);
  } else if (count == 1) {
    v128.store32_lane(p, v, 0);
  } else {
    v128.store64_lane(p, v, 0);
    if (count == 3) v128.store32_lane(p, v, 2, 8);
  }
}

// [sum(a), sum(b), sum(c), sum(d)]
// @ts-ignore: decorator
@inline function sum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(interleaveLo(a, b), interleaveHi(a, b));
  const cd = f32x4.add(interleaveLo(c, d), interleaveHi(c, d));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
}

// C[m][n .. n+count) = act(alpha * sums + beta * C + bias) from the first count
// (1..4) lanes of sums. beta == 0 does not read C.
function storeSums(sums: v128, C: usize, ldc: i32, m: i32, n: i32, count: i32, alpha: f32,
                   beta: f32, bias: usize, biasMode: i32, relu: bool): void {
  const c = C + (<usize>m * ldc + n) * 4;
  let v = f32x4.mul(sums, f32x4.splat(alpha));
  if (beta != 0) v = madd(f32x4.splat(beta), loadPartial(c, count), v);
  if (biasMode == BiasMode.PerColumn) v = f32x4.add(v, loadPartial(bias + <usize>n * 4, count));
  else if (biasMode == BiasMode.PerRow) v = f32x4.add(v, v128.load32_splat(bias + <usize>m * 4));
  if (relu) v = f32x4.pmax(v, f32x4.splat(0));
  storePartial(c, v, count);
}

// transA = 0, transB = 1: C[m][n] = dot(row m of A, row n of B), both rows
// contiguous. Tiles of `rows` (1 or 2) rows of A by 4 rows of B; rows of B
// past N repeat row N-1 (computed, not stored).
// @ts-ignore: decorator
@inline function dotTile(rows: i32, m: i32, n: i32, N: i32, K: i32, alpha: f32, A: usize, lda: i32,
                         B: usize, ldb: i32, beta: f32, C: usize, ldc: i32, bias: usize,
                         biasMode: i32, relu: bool): void {
  const a0 = A + <usize>m * lda * 4;
  const a1 = a0 + <usize>lda * 4;
  const b0 = B + <usize>n * ldb * 4;
  const b1 = B + <usize>min(n + 1, N - 1) * ldb * 4;
  const b2 = B + <usize>min(n + 2, N - 1) * ldb * 4;
  const b3 = B + <usize>min(n + 3, N - 1) * ldb * 4;
  const zero = f32x4.splat(0);
  let s00 = zero, s01 = zero, s02 = zero, s03 = zero;
  let s10 = zero, s11 = zero, s12 = zero, s13 = zero;
  let k = 0;
  if (rows == 1) {
    // Two chunks of k per step, added in a tree: 8 products per step on only
    // 4 accumulators (more accumulators run slower in V8).
    for (; k + 8 <= K; k += 8) {
      const o = <usize>k * 4;
      const x0 = v128.load(a0 + o);
      const x1 = v128.load(a0 + o, 16);
      s00 = f32x4.add(s00, madd(x1, v128.load(b0 + o, 16), f32x4.mul(x0, v128.load(b0 + o))));
      s01 = f32x4.add(s01, madd(x1, v128.load(b1 + o, 16), f32x4.mul(x0, v128.load(b1 + o))));
      s02 = f32x4.add(s02, madd(x1, v128.load(b2 + o, 16), f32x4.mul(x0, v128.load(b2 + o))));
      s03 = f32x4.add(s03, madd(x1, v128.load(b3 + o, 16), f32x4.mul(x0, v128.load(b3 + o))));
    }
  }
  for (; k + 4 <= K; k += 4) {
    const o = <usize>k * 4;
    const x0 = v128.load(a0 + o);
    const w0 = v128.load(b0 + o);
    const w1 = v128.load(b1 + o);
    const w2 = v128.load(b2 + o);
    const w3 = v128.load(b3 + o);
    s00 = madd(x0, w0, s00);
    s01 = madd(x0, w1, s01);
    s02 = madd(x0, w2, s02);
    s03 = madd(x0, w3, s03);
    if (rows == 2) {
      const x1 = v128.load(a1 + o);
      s10 = madd(x1, w0, s10);
      s11 = madd(x1, w1, s11);
      s12 = madd(x1, w2, s12);
      s13 = madd(x1, w3, s13);
    }
  }
  if (k < K) {
    const o = <usize>k * 4;
    const r = K - k;
    const x0 = loadPartial(a0 + o, r);
    const w0 = loadPartial(b0 + o, r);
    const w1 = loadPartial(b1 + o, r);
    const w2 = loadPartial(b2 + o, r);
    const w3 = loadPartial(b3 + o, r);
    s00 = madd(x0, w0, s00);
    s01 = madd(x0, w1, s01);
    s02 = madd(x0, w2, s02);
    s03 = madd(x0, w3, s03);
    if (rows == 2) {
      const x1 = loadPartial(a1 + o, r);
      s10 = madd(x1, w0, s10);
      s11 = madd(x1, w1, s11);
      s12 = madd(x1, w2, s12);
      s13 = madd(x1, w3, s13);
    }
  }
  const count = min(4, N - n);
  storeSums(sum4(s00, s01, s02, s03), C, ldc, m, n, count, alpha, beta, bias, biasMode, relu);
  if (rows == 2) {
    storeSums(sum4(s10, s11, s12, s13), C, ldc, m + 1, n, count, alpha, beta, bias, biasMode, relu);
  }
}

function gemvDot(M: i32, N: i32, K: i32, alpha: f32, A: usize, lda: i32, B: usize, ldb: i32,
                 beta: f32, C: usize, ldc: i32, bias: usize, biasMode: i32, relu: bool): void {
  let m = 0;
  for (; m + 2 <= M; m += 2) {
    for (let n = 0; n < N; n += 4) {
      dotTile(2, m, n, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias, biasMode, relu);
    }
  }
  if (m < M) {
    for (let n = 0; n < N; n += 4) {
      dotTile(1, m, n, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias, biasMode, relu);
    }
  }
}

// transB = 0: rows of B are read front to back, 4 at a time, into running sums
// of `rows` (1 or 2) rows of C kept in acc (accStride bytes apart). (Register
// accumulators over column strips would walk B down its columns instead, which
// stalls on power-of-two ldb of 1024 and up: every row is on a new page.)

// acc0[0..count) (and acc1 for rows == 2) += x0*B[0] + x1*B[1] + x2*B[2] + x3*B[3]
// for the 4 rows of B at b, rowStride bytes apart.
// @ts-ignore: decorator
@inline function axpyStep(rows: i32, count: i32, acc0: usize, acc1: usize, b: usize, rowStride: usize,
                          x00: v128, x01: v128, x02: v128, x03: v128,
                          x10: v128, x11: v128, x12: v128, x13: v128): void {
  const w0 = loadPartial(b, count);
  const w1 = loadPartial(b + rowStride, count);
  const w2 = loadPartial(b + rowStride * 2, count);
  const w3 = loadPartial(b + rowStride * 3, count);
  const s0 = f32x4.add(madd(x01, w1, f32x4.mul(x00, w0)), madd(x03, w3, f32x4.mul(x02, w2)));
  v128.store(acc0, f32x4.add(v128.load(acc0), s0));
  if (rows == 2) {
    const s1 = f32x4.add(madd(x11, w1, f32x4.mul(x10, w0)), madd(x13, w3, f32x4.mul(x12, w2)));
    v128.store(acc1, f32x4.add(v128.load(acc1), s1));
  }
}

// acc rows = sum over k of op(A)[m + r][k] * B[k][n0 .. n0+nb), where op(A)[m][k]
// sits at A + m*am + k*ak bytes (so transA costs nothing).
// @ts-ignore: decorator
@inline function axpyRows(rows: i32, m: i32, n0: i32, nb: i32, K: i32, A: usize, am: usize, ak: usize,
                          B: usize, ldb: i32, acc: usize, accStride: usize): void {
  const zero = f32x4.splat(0);
  const acc1 = acc + accStride;
  for (let j = 0; j < nb; j += 4) {
    v128.store(acc + <usize>j * 4, zero);
    if (rows == 2) v128.store(acc1 + <usize>j * 4, zero);
  }
  const rowStride = <usize>ldb * 4;
  const a0 = A + <usize>m * am;
  const a1 = a0 + am;
  const nv = nb & ~3;
  const tail = nb - nv;
  let k = 0;
  for (; k + 4 <= K; k += 4) {
    const ka = <usize>k * ak;
    const x00 = v128.load32_splat(a0 + ka);
    const x01 = v128.load32_splat(a0 + ka + ak);
    const x02 = v128.load32_splat(a0 + ka + ak * 2);
    const x03 = v128.load32_splat(a0 + ka + ak * 3);
    let x10 = zero, x11 = zero, x12 = zero, x13 = zero;
    if (rows == 2) {
      x10 = v128.load32_splat(a1 + ka);
      x11 = v128.load32_splat(a1 + ka + ak);
      x12 = v128.load32_splat(a1 + ka + ak * 2);
      x13 = v128.load32_splat(a1 + ka + ak * 3);
    }
    const b = B + (<usize>k * ldb + n0) * 4;
    for (let j = 0; j < nv; j += 4) {
      const o = <usize>j * 4;
      axpyStep(rows, 4, acc + o, acc1 + o, b + o, rowStride, x00, x01, x02, x03, x10, x11, x12, x13);
    }
    if (tail != 0) {
      const o = <usize>nv * 4;
      axpyStep(rows, tail, acc + o, acc1 + o, b + o, rowStride, x00, x01, x02, x03, x10, x11, x12, x13);
    }
  }
  // The last K % 4 rows of B, one at a time.
  for (; k < K; k++) {
    const ka = <usize>k * ak;
    const x0 = v128.load32_splat(a0 + ka);
    const x1 = rows == 2 ? v128.load32_splat(a1 + ka) : zero;
    const b = B + (<usize>k * ldb + n0) * 4;
    for (let j = 0; j < nb; j += 4) {
      const o = <usize>j * 4;
      const w = loadPartial(b + o, min(4, nb - j));
      v128.store(acc + o, madd(x0, w, v128.load(acc + o)));
      if (rows == 2) v128.store(acc1 + o, madd(x1, w, v128.load(acc1 + o)));
    }
  }
}

// Columns per pass, so that two rows of running sums stay in L1 (they live in
// the packed-A part of the workspace).
const AXPY_NB = 2048;

// acc: workspace of 2 * AXPY_NB floats.
function gemvAxpy(M: i32, N: i32, K: i32, alpha: f32, A: usize, am: usize, ak: usize, B: usize,
                  ldb: i32, beta: f32, C: usize, ldc: i32, bias: usize, biasMode: i32,
                  relu: bool, acc: usize): void {
  const accStride = <usize>AXPY_NB * 4;
  for (let m = 0; m < M; m += 2) {
    const rows = min(2, M - m);
    for (let n0 = 0; n0 < N; n0 += AXPY_NB) {
      const nb = min(AXPY_NB, N - n0);
      if (rows == 2) axpyRows(2, m, n0, nb, K, A, am, ak, B, ldb, acc, accStride);
      else axpyRows(1, m, n0, nb, K, A, am, ak, B, ldb, acc, accStride);
      for (let r = 0; r < rows; r++) {
        const sums = acc + <usize>r * accStride;
        for (let j = 0; j < nb; j += 4) {
          storeSums(v128.load(sums + <usize>j * 4), C, ldc, m + r, n0 + j, min(4, nb - j), alpha, beta,
                    bias, biasMode, relu);
        }
      }
    }
  }
}

// C = act(alpha * op(A) * op(B) + beta * C + bias)
// op(A) is M x K: transA=0 -> A[m*lda + k], transA=1 -> A[k*lda + m]
// op(B) is K x N: transB=0 -> B[k*ldb + n], transB=1 -> B[n*ldb + k]
// act: 0 identity, 1 relu.
// beta == 0 ignores the contents of C. K == 0 or alpha == 0 gives
// C = act(beta * C + bias) without reading A or B (as BLAS does).
// ws: 16-byte aligned workspace of gemm_workspace_bytes() bytes.
export function gemm_f32(transA: i32, transB: i32, M: i32, N: i32, K: i32, alpha: f32,
                         A: usize, lda: i32, B: usize, ldb: i32, beta: f32, C: usize, ldc: i32,
                         bias: usize, biasMode: i32, act: i32, ws: usize): void {
  if (M <= 0 || N <= 0) return;
  const tile = ws + WS_TILE;
  const packedA = ws + WS_PACK_A;
  const packedB = ws + WS_PACK_B;
  const relu = act == 1;

  if (K <= 0 || alpha == 0) {
    // No product term: run the epilogue over a zero tile.
    for (let i = 0; i < TILE_BYTES; i += 16) v128.store(tile + i, f32x4.splat(0));
    for (let i = 0; i < M; i += MR) {
      for (let j = 0; j < N; j += NR) {
        storeTile(tile, C + (<usize>i * ldc + j) * 4, ldc, min(MR, M - i), min(NR, N - j),
                  i, j, beta, bias, biasMode, relu);
      }
    }
    return;
  }

  // Few rows of op(A) (or, with transB, few columns): read B in place. Past
  // GEMV_MAX_M rows only while B fits in cache, as B is read once per 2 rows.
  const bCached = <i64>N * K * 4 <= UNPACKED_MAX_B_BYTES;
  if (transB != 0 && transA == 0
      && (M <= GEMV_MAX_M || (bCached && (M <= DOT_MAX_M || N <= DOT_MAX_N)))) {
    gemvDot(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias, biasMode, relu);
    return;
  }
  if (transB == 0 && (M <= GEMV_MAX_M || (bCached && M <= AXPY_MAX_M))) {
    const am: usize = transA != 0 ? 4 : <usize>lda * 4;
    const ak: usize = transA != 0 ? <usize>lda * 4 : 4;
    gemvAxpy(M, N, K, alpha, A, am, ak, B, ldb, beta, C, ldc, bias, biasMode, relu, packedA);
    return;
  }

  // Split K into equal blocks of at most KC so the last block is not tiny.
  const kBlocks = (K + KC - 1) / KC;
  const kcStep = (K + kBlocks - 1) / kBlocks;

  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += kcStep) {
      const kc = min(kcStep, K - pc);
      const first = pc == 0;
      const last = pc + kc >= K;
      const cScale: f32 = first ? beta : 1;
      const tileBias = last ? biasMode : BiasMode.None;
      const tileRelu = last && relu;
      packB(transB, B, ldb, pc, jc, kc, nc, packedB);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min(MC, M - ic);
        packA(transA, A, lda, ic, pc, mc, kc, alpha, packedA);
        for (let jr = 0; jr < nc; jr += NR) {
          const bPanel = packedB + <usize>jr * kc * 4;
          const n = jc + jr;
          const cols = min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const m = ic + ir;
            registerTile4x8(false, kc, packedA + <usize>ir * kc * 4, 0, 0, 0, 0, bPanel, tile);
            storeTile(tile, C + (<usize>m * ldc + n) * 4, ldc, min(MR, mc - ir), cols,
                      m, n, cScale, bias, tileBias, tileRelu);
          }
        }
      }
    }
  }
}

// The GEMM kernel on raw pointers, with its packing workspace and its split over threads.
import { BiasMode } from "./kernels.js";
import { heap } from "./memory.js";
import { chunksFor, runJob, threadsFor } from "./parallel.js";
import type { JobDim } from "./job.js";
import { backend } from "./wasm.js";

let workspace = 0;

/**
 * The calling thread's GEMM workspace (workers have theirs in the pool): gemm_f32's packing and
 * tile, and the tile of the direct convolutions, which run the GEMM's register tile.
 */
export function callerWorkspace(): number {
  return (workspace ||= heap().alloc(backend().kernels.gemm_workspace_bytes(), "GEMM packing workspace"));
}

/** Gives the calling thread's packing workspace back to the allocator (emptyCache); the next GEMM takes a new one. */
export function releaseGemmWorkspace(): void {
  if (workspace) heap().release(workspace, backend().kernels.gemm_workspace_bytes());
  workspace = 0;
}

// The kernel's own cut-offs (assembly/gemm.ts): it reads B in place, unpacked, for few rows of
// op(A) (or, with transB, few columns) — always up to GEMV_MAX_M rows, and while B is at most
// UNPACKED_MAX_B_BYTES up to DOT_MAX_M / AXPY_MAX_M rows or DOT_MAX_N columns.
const GEMV_MAX_M = 3, DOT_MAX_M = 16, AXPY_MAX_M = 8, DOT_MAX_N = 16, UNPACKED_MAX_B_BYTES = 4 << 20;
// Blocks of a packed product split over threads are at least this many rows and columns: past
// every cut-off above, so each takes the packed path as the whole product does.
const MIN_BLOCK_ROWS = 20, MIN_BLOCK_COLS = 24;
// Each block packs its own rows of A and columns of B, so smaller blocks pack more per
// multiply-add (a packed float costs several multiply-adds): two blocks per thread let a late
// thread take fewer at a packing cost of a few percent on the MLP's 128-row products.
const BLOCKS_PER_THREAD = 2;

function packed(transA: boolean, transB: boolean, M: number, N: number, K: number): boolean {
  const bCached = N * K * 4 <= UNPACKED_MAX_B_BYTES;
  if (transB && !transA) return !(M <= GEMV_MAX_M || (bCached && (M <= DOT_MAX_M || N <= DOT_MAX_N)));
  if (!transB) return !(M <= GEMV_MAX_M || (bCached && M <= AXPY_MAX_M));
  return true;
}

/**
 * Row and column blocks for about `chunks` blocks of C: the longer side halved until there are
 * enough, keeping blocks of whole micro-tiles (4 rows, 8 columns) and at least the minimum size.
 * Near-square blocks pack the least (each block packs its rows of A and its columns of B).
 */
function blocks(M: number, N: number, chunks: number): [rows: number, cols: number] {
  let rows = M, cols = N;
  for (let count = 1; count < chunks;) {
    const halfRows = Math.ceil(rows / 2 / 4) * 4, halfCols = Math.ceil(cols / 2 / 8) * 8;
    const canRows = halfRows >= MIN_BLOCK_ROWS && rows > halfRows, canCols = halfCols >= MIN_BLOCK_COLS && cols > halfCols;
    if (canRows && (!canCols || rows >= cols)) rows = halfRows;
    else if (canCols) cols = halfCols;
    else break;
    count = Math.floor(M / rows) * Math.floor(N / cols);
  }
  return [rows, cols];
}

/**
 * C = act(alpha·op(A)·op(B) + beta·C + bias) on raw pointers (row-major, float32; lda/ldb/ldc in
 * elements). With a worker pool, C is cut into blocks that the threads claim. A block of a packed
 * product is itself packed (blocks stay past the kernel's cut-offs); the matrix-vector path over
 * few columns (transB, N ≤ 16) is cut into rows, which it treats one by one. Every element is
 * computed as in the whole product, so results are bit-identical for any thread count.
 */
export function gemm(
  transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
  A: number, lda: number, B: number, ldb: number, beta: number, C: number, ldc: number,
  bias = 0, biasMode: BiasMode = BiasMode.none, relu = false,
): void {
  gemmBatched(1, [0, 0, 0], transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias, biasMode, relu);
}

/**
 * `batch` GEMMs as gemm() does one, the i-th on A, B and C advanced by i·strides[0..2] elements
 * (the same bias for each), split over the threads as one job.
 */
export function gemmBatched(
  batch: number, strides: readonly [a: number, b: number, c: number],
  transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
  A: number, lda: number, B: number, ldb: number, beta: number, C: number, ldc: number,
  bias = 0, biasMode: BiasMode = BiasMode.none, relu = false,
): void {
  const work = batch * M * N * K;
  const args = [+transA, +transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias, biasMode, +relu, callerWorkspace()];
  const threads = threadsFor(work);
  const chunks = Math.ceil(chunksFor(work, threads, BLOCKS_PER_THREAD) / batch);
  const rowStep = { 6: (transA ? 1 : lda) * 4, 11: ldc * 4, ...(biasMode === BiasMode.perRow ? { 13: 4 } : {}) };
  const colStep = { 8: (transB ? ldb : 1) * 4, 11: 4, ...(biasMode === BiasMode.perColumn ? { 13: 4 } : {}) };
  const whole: JobDim = { extent: M, chunk: M, count: 2, perUnit: {} };
  let dims: JobDim[] = [whole];
  if (threads > 1 && chunks > 1 && packed(transA, transB, M, N, K)) {
    const [rows, cols] = blocks(M, N, chunks);
    const byRows: JobDim = { extent: M, chunk: rows, count: 2, perUnit: rowStep }, byCols: JobDim = { extent: N, chunk: cols, count: 3, perUnit: colStep };
    // (a batch leaves room for one of the two). Column blocks outermost: the caller claims chunks
    // from the front and the workers from the back, so each thread packs about half of op(B) —
    // a layer's weights, which the step's other reads have pushed out to the shared cache. But row
    // blocks outermost for Aᵀ·B, a Linear layer's weight gradient (rows: its output features):
    // each thread then writes the gradient of the weights' rows it multiplies by in the forward
    // product (its columns of op(B) there) and that the optimizer's front or back half updates.
    dims = batch > 1 ? [M / rows >= N / cols ? byRows : byCols] : transA && !transB ? [byRows, byCols] : [byCols, byRows];
  } else if (threads > 1 && chunks > 1 && transB && !transA && N <= DOT_MAX_N && N * K * 4 <= UNPACKED_MAX_B_BYTES) {
    dims = [{ extent: M, chunk: Math.max(4, Math.ceil(M / chunks / 4) * 4), count: 2, perUnit: rowStep }];
  }
  if (batch > 1) dims = [{ extent: batch, chunk: 1, perUnit: { 6: strides[0] * 4, 8: strides[1] * 4, 11: strides[2] * 4 } }, dims[0]];
  runJob({ kernel: "gemm_f32", args, dims, workspace: 16 }, work);
}

// The GEMM kernel on raw pointers, with its packing workspaces and its thread bands.
import { BiasMode } from "./kernels.js";
import { elementAt, heap } from "./memory.js";
import { parallelFor, threadsFor } from "./parallel.js";
import { backend } from "./wasm.js";

let workspace = 0;

/** The packing workspace of thread `thread` (0: the calling thread; workers have theirs in the pool). */
function workspaceOf(thread: number): number {
  if (thread > 0) return backend().pool!.workspaces[thread - 1];
  return (workspace ||= heap().alloc(backend().kernels.gemm_workspace_bytes(), "GEMM packing workspace"));
}

/** Gives the calling thread's packing workspace back to the allocator (emptyCache); the next GEMM takes a new one. */
export function releaseGemmWorkspace(): void {
  if (workspace) heap().release(workspace, backend().kernels.gemm_workspace_bytes());
  workspace = 0;
}

/**
 * C = act(alpha·op(A)·op(B) + beta·C + bias) on raw pointers (row-major, float32; lda/ldb/ldc in
 * elements). With a worker pool, C is split into row (or column) bands, one per thread.
 */
export function gemm(
  transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
  A: number, lda: number, B: number, ldb: number, beta: number, C: number, ldc: number,
  bias = 0, biasMode: BiasMode = BiasMode.none, relu = false,
): void {
  const threads = threadsFor(M * N * K);
  // The kernel takes a matrix-vector path for M <= 16 or N <= 16 (assembly/gemm.ts). Bands stay
  // clear of those cut-offs, so every band takes the path the whole product would, and results
  // are bit-identical for any thread count.
  const byRows = M >= 20 * threads;
  const byCols = !byRows && M > 16 && N >= 32 * threads;
  if (threads === 1 || !(byRows || byCols)) {
    backend().kernels.gemm_f32(+transA, +transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias, biasMode, +relu, workspaceOf(0));
    return;
  }
  // Band edges on multiples of the micro-tile (4 rows or 8 columns) keep every band's tiles full.
  parallelFor("gemm_f32", byRows ? M : N, byRows ? 4 : 8, M * N * K, (lo, len, thread) => {
    if (byRows) {
      const a = elementAt(A, transA ? lo : lo * lda);
      const b = biasMode === BiasMode.perRow ? elementAt(bias, lo) : bias;
      return [+transA, +transB, len, N, K, alpha, a, lda, B, ldb, beta, elementAt(C, lo * ldc), ldc, b, biasMode, +relu, workspaceOf(thread)];
    }
    const bp = elementAt(B, transB ? lo * ldb : lo);
    const b = biasMode === BiasMode.perColumn ? elementAt(bias, lo) : bias;
    return [+transA, +transB, M, len, K, alpha, A, lda, bp, ldb, beta, elementAt(C, lo), ldc, b, biasMode, +relu, workspaceOf(thread)];
  });
}

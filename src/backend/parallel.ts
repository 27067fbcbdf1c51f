// The one way a kernel is split over the worker pool: a Job (src/backend/job.ts) whose chunks
// are ranges of one or two loops of the kernel, claimed by whichever thread is free. Kernels are
// pointer-only and write disjoint outputs per chunk, and every chunk computes its outputs as the
// whole call would, so results do not depend on the thread count or on who ran which chunk.
import { MAX_CHUNKS, chunksOf, runWhole, type Job, type JobDim } from "./job.js";
import { backend } from "./wasm.js";

// Below this much work (multiply-adds, or element operations weighted by their cost) waking the
// workers costs more than it saves.
const PARALLEL_MIN_WORK = 1 << 17;
// A chunk is worth its claim (an atomic compare-exchange and a call into wasm, about a
// microsecond) from this much work; up to CHUNKS_PER_THREAD chunks per thread let a thread that
// started late or runs slowly take fewer of them.
const CHUNK_MIN_WORK = 1 << 15;
const CHUNKS_PER_THREAD = 6;

/** The threads a kernel of `work` is cut up for: the pool's active threads, or 1 (no pool, or too little work). */
export function threadsFor(work: number): number {
  const pool = backend().pool;
  return pool && work >= PARALLEL_MIN_WORK ? pool.threads : 1;
}

/** Chunks wanted for `work` on `threads` threads (at most `perThread` each). */
export function chunksFor(work: number, threads: number, perThread = CHUNKS_PER_THREAD): number {
  return Math.max(1, Math.min(threads * perThread, Math.floor(work / CHUNK_MIN_WORK), MAX_CHUNKS));
}

/** Units per chunk for about `chunks` chunks over `extent` units, a multiple of `grain` (and at least one grain). */
export function chunkUnits(extent: number, grain: number, chunks: number): number {
  return Math.max(grain, Math.ceil(extent / chunks / grain) * grain);
}

/**
 * Runs `job` (args: the whole call, with the whole extents in its count arguments) through the
 * pool when `work` is worth it (the pool may still run it on this thread: workers lagging behind
 * on busy cores), else on this thread alone.
 */
export function runJob(job: Job, work: number): void {
  const { kernels, pool } = backend();
  if (pool && threadsFor(work) > 1 && chunksOf(job.dims) > 1) return pool.run(job);
  runWhole(kernels[job.kernel] as (...a: number[]) => void, job);
}

/**
 * kernel(...args) over one loop of `extent` units, cut into chunks of whole `grain`s: args holds
 * the whole call (its count argument `count` = extent), `perUnit` what one unit adds to each
 * pointer (or index) argument (absent `count`: the kernel is called once per unit).
 */
export function parallelFor(kernel: Job["kernel"], args: number[], dim: { extent: number; grain?: number; count?: number; perUnit: JobDim["perUnit"] },
  work: number, workspace?: number): void {
  const chunk = chunkUnits(dim.extent, dim.grain ?? 1, chunksFor(work, threadsFor(work)));
  runJob({ kernel, args, dims: [{ extent: dim.extent, chunk, count: dim.count, perUnit: dim.perUnit }], workspace }, work);
}

// A kernel call cut into chunks for the worker pool (src/backend/threads.ts runs them; parallel.ts
// builds them and runs them on one thread when there is no pool). Separate from the pool so that
// code without threads does not bundle it.
import type { KernelExports } from "./kernels.js";

export type KernelName = keyof KernelExports;

/** One loop of a job's kernel, cut into chunks. */
export interface JobDim {
  /** Units along the loop. */
  extent: number;
  /** Units per chunk; the last chunk also takes the remainder (so no chunk is shorter than this). */
  chunk: number;
  /** The argument that receives the chunk's length in units (absent: the kernel is called once per unit of the chunk). */
  count?: number;
  /** Per argument (by index): what one unit along the loop adds to it (a pointer's bytes per unit). */
  perUnit: Readonly<Record<number, number | undefined>>;
}

/**
 * kernel(...args) over every chunk of the grid `dims` (one or two loops): a chunk starting at
 * units lo_d gets args[i] + Σ_d perUnit_d[i]·lo_d, its lengths in the `count` arguments, and the
 * running thread's GEMM workspace in argument `workspace` if given.
 */
export interface Job {
  kernel: KernelName;
  args: readonly number[];
  dims: readonly JobDim[];
  workspace?: number;
}

// The pool's claim counter holds the job number above CHUNK_BITS and the chunks left below.
export const CHUNK_BITS = 10;
/** Chunks per job: the claim counter's low bits. */
export const MAX_CHUNKS = (1 << CHUNK_BITS) - 1;

/** Chunks a job with these dims has. */
export function chunksOf(dims: readonly JobDim[]): number {
  return dims.reduce((c, d) => c * Math.max(1, Math.floor(d.extent / d.chunk)), 1);
}

/**
 * `job` on the calling thread alone, as one call (the args hold the whole call), or one call per
 * unit along a loop without a count argument: what its chunks compute together.
 */
export function runWhole(fn: (...a: number[]) => void, job: Job): void {
  if (job.dims.every((d) => d.count !== undefined)) return fn(...job.args);
  const [d0, d1 = { extent: 1, chunk: 1, count: 0, perUnit: {} }] = job.dims;
  const units = (d: JobDim) => (d.count === undefined ? d.extent : 1);
  for (let u0 = 0; u0 < units(d0); u0++) {
    for (let u1 = 0; u1 < units(d1); u1++) {
      const args = job.args.slice();
      for (const [a, v] of Object.entries(d0.perUnit)) args[Number(a)] += (v ?? 0) * u0;
      for (const [a, v] of Object.entries(d1.perUnit)) args[Number(a)] += (v ?? 0) * u1;
      fn(...args);
    }
  }
}

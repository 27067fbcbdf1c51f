// The one way a kernel is split over the worker pool: ranges of one loop of the kernel, one per
// thread, the calling thread running the first. Kernels are pointer-only and write disjoint
// outputs per range, so results do not depend on the thread count.
import type { KernelExports } from "./kernels.js";
import type { ParallelKernel } from "./threads.js";
import { backend } from "./wasm.js";

// Below this many multiply-adds, waking the workers costs more than it saves.
const PARALLEL_MIN_MACS = 1 << 19;

/** The threads a kernel of `macs` multiply-adds uses: the pool's active threads, or 1 (no pool, or too little work). */
export function threadsFor(macs: number): number {
  const pool = backend().pool;
  return pool && macs >= PARALLEL_MIN_MACS ? pool.threads : 1;
}

/**
 * kernel(...args(lo, n, thread)) for ranges [lo, lo + n) covering [0, extent), one per thread of
 * threadsFor(macs) with edges on multiples of `step` (thread 0 is the caller). One call when there
 * is one thread or less than `step` per thread.
 */
export function parallelFor<K extends ParallelKernel>(kernel: K, extent: number, step: number, macs: number,
  args: (lo: number, n: number, thread: number) => Parameters<KernelExports[K]>): void {
  const { kernels, pool } = backend();
  const run = (a: number[]) => (kernels[kernel] as (...a: number[]) => void)(...a);
  const threads = threadsFor(macs);
  if (!pool || threads === 1 || extent < threads * step) return run(args(0, extent, 0));
  const edges = Array.from({ length: threads + 1 }, (_, t) => (t === threads ? extent : Math.min(extent, Math.round((extent * t) / threads / step) * step)));
  const jobs = Array.from({ length: threads - 1 }, (_, w) => ({ kernel, args: args(edges[w + 1], edges[w + 2] - edges[w + 1], w + 1) }));
  pool.run(jobs, () => run(args(0, edges[1], 0)));
}

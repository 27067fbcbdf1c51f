// The sum kernel on raw pointers, with its float64 scratch: a sum over a dim other than the last
// adds blocks of rows in float32 and the blocks in float64, one total per column (assembly/sums.ts).
import { heap } from "./memory.js";
import { parallelFor } from "./parallel.js";
import { backend } from "./wasm.js";

/** y[o, i] = Σ_k x[o, k, i] for x viewed as [outer, r, inner] (float32, contiguous). */
export function sumDim(x: number, y: number, outer: number, r: number, inner: number): void {
  const { kernels } = backend();
  // (rows summed one by one: split over the threads by ranges of rows, each summed as alone)
  if (inner === 1) return parallelFor("sum_dim_f32", [x, y, 0, outer, r, 1], { extent: outer, count: 3, perUnit: { 0: 4 * r, 1: 4 } }, outer * r);
  const bytes = inner * 8;
  const scratch = heap().alloc(bytes, "sum float64 totals");
  try {
    kernels.sum_dim_f32(x, y, scratch, outer, r, inner);
  } finally {
    heap().release(scratch, bytes);
  }
}

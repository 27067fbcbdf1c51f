// The unary element-wise kernels on raw pointers (contiguous buffers of n floats), split over the
// worker pool by ranges of elements. Ranges start on multiples of 4, so the vector body and the
// scalar tail cover the same elements as in one call: results do not depend on the threads.
import type { Unary } from "./kernels.js";
import { parallelFor } from "./parallel.js";

// Work per element for the thread split (most ops are a few vector instructions per 4 elements;
// the transcendental ones are more, which only makes the split pay sooner).
const ELEMENT_COST = 4;
const GRAIN = 64;

/** y = op(x) over n elements (assembly/elementwise.ts unary_f32). */
export function unary(op: Unary, x: number, y: number, n: number, p0 = 0, p1 = 0): void {
  parallelFor("unary_f32", [op, x, y, n, p0, p1], { extent: n, grain: GRAIN, count: 3, perUnit: { 1: 4, 2: 4 } }, n * ELEMENT_COST);
}

/** dx = g · op'(x) over n elements, y = op(x) (unary_backward_f32). */
export function unaryBackward(op: Unary, x: number, y: number, g: number, dx: number, n: number, p0 = 0, p1 = 0): void {
  parallelFor("unary_backward_f32", [op, x, y, g, dx, n, p0, p1], { extent: n, grain: GRAIN, count: 5, perUnit: { 1: 4, 2: 4, 3: 4, 4: 4 } }, n * ELEMENT_COST);
}

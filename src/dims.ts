// Shapes as plain arrays, below Tensor and every op: helpers that need no tensor.

/** A tensor's size per dimension, e.g. [N, C, H, W]; [] for a 0-d tensor. */
export type Shape = readonly number[];

export function shapeToString(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The shape as [outer, size of dim, inner]: how the kernels that work along one dim see it. */
export function splitAt(shape: Shape, dim: number): [number, number, number] {
  return [numel(shape.slice(0, dim)), shape[dim] ?? 1, numel(shape.slice(dim + 1))];
}

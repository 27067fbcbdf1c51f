// Shapes as plain arrays, below Tensor and every op: helpers that need no tensor, so modules that
// only compute on shapes (ops/strided.ts) stay out of the tensor <-> ops import loop.

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

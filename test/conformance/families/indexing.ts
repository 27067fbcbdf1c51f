// Conformance handlers for indexing.json: min/max/argmin, std, logsumexp, cumsum, flip, roll,
// gather/scatter_add/index_select, topk/sort, chunk/split, tril/triu, repeat, einsum, and the
// creation ops eye, linspace, arange.
import * as sg from "../../../src/index.js";
import type { OpFn } from "../run.js";

/** max/min/topk/sort results in the case's output order. */
const valuesAndIndices = (r: { values: sg.Tensor; indices: sg.Tensor }) => [r.values, r.indices];

const extremum = (fn: typeof sg.max): OpFn => ({ x }, a) => {
  const r = fn(x, a.dim, a.keepdim);
  if (a.dim !== null) return valuesAndIndices(r);
  r.indices.dispose();
  return r.values;
};

export const ops: Record<string, OpFn> = {
  min: extremum(sg.min),
  max: extremum(sg.max),
  argmin: ({ x }, a) => sg.argmin(x, a.dim, a.keepdim),
  std: ({ x }, a) => sg.std(x, a.dim, { unbiased: a.unbiased, correction: a.correction, keepdim: a.keepdim }),
  logsumexp: ({ x }, a) => sg.logsumexp(x, a.dim, a.keepdim),
  cumsum: ({ x }, a) => sg.cumsum(x, a.dim),
  flip: ({ x }, a) => sg.flip(x, a.dims),
  roll: ({ x }, a) => sg.roll(x, a.shifts, a.dims),
  gather: ({ x, index }, a) => sg.gather(x, a.dim, index),
  scatter_add: ({ x, index, src }, a) => sg.scatterAdd(x, a.dim, index, src),
  index_select: ({ x, index }, a) => sg.indexSelect(x, a.dim, index),
  topk: ({ x }, a) => valuesAndIndices(sg.topk(x, a.k, a.dim, a.largest, a.sorted)),
  sort: ({ x }, a) => valuesAndIndices(sg.sort(x, a.dim, a.descending)),
  chunk: ({ x }, a) => sg.chunk(x, a.chunks, a.dim),
  split: ({ x }, a) => sg.split(x, a.split_size_or_sections, a.dim),
  tril: ({ x }, a) => sg.tril(x, a.diagonal),
  triu: ({ x }, a) => sg.triu(x, a.diagonal),
  repeat: ({ x }, a) => sg.repeat(x, a.repeats),
  // Every input (x0, x1, ...) is an operand, in case order.
  einsum: (_, a, operands) => sg.einsum(a.equation, operands),
  eye: (_, a) => sg.eye(a.n, a.m),
  linspace: (_, a) => sg.linspace(a.start, a.end, a.steps),
  arange: (_, a) => sg.arange(a.start, a.end, a.step),
};

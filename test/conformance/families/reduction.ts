// Conformance handlers for reduction.json: sum, mean, max (values, and indices along a dim), var.
import * as sg from "../../../src/index.js";
import type { OpFn } from "../run.js";

export const ops: Record<string, OpFn> = {
  sum: ({ x }, a) => sg.sum(x, a.dim, a.keepdim),
  mean: ({ x }, a) => sg.mean(x, a.dim, a.keepdim),
  max: ({ x }, a) => {
    const { values, indices } = sg.max(x, a.dim, a.keepdim);
    return a.dim === null ? values : [values, indices];
  },
  var: ({ x }, a) => sg.var(x, a.dim, { unbiased: a.unbiased, keepdim: a.keepdim }),
};

// Conformance handlers for norm.json: F.batch_norm (training: also the updated running statistics,
// which it changes in place) and F.layer_norm.
import * as sg from "../../../src/index.js";
import type { OpFn } from "../run.js";

export const ops: Record<string, OpFn> = {
  batch_norm: ({ x, running_mean, running_var, weight, bias }, a) => {
    const y = sg.batchNorm(x, running_mean, running_var, weight, bias, { training: a.training, momentum: a.momentum, eps: a.eps });
    return a.training ? [y, running_mean, running_var] : y;
  },
  layer_norm: ({ x, weight, bias }, a) => sg.layerNorm(x, a.normalized_shape, weight, bias, a.eps),
};

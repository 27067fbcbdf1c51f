// PReLU: a leaky ReLU whose slopes are a tensor, composed of the elementwise and binary ops.
import { Tensor, shapeToString } from "../tensor.js";
import { traced } from "../trace.js";
import { relu, clamp } from "./elementwise.js";
import { add, mul } from "./binary.js";
import { checkArgs } from "./checks.js";

/**
 * max(x, 0) + weight·min(x, 0), one slope per channel (dim 1) or one shared slope; differentiable
 * with respect to x and the slopes.
 */
export function prelu(x: Tensor, weight: Tensor): Tensor<"float32"> {
  checkArgs("prelu", { input: x, weight }, "float32");
  if (weight.ndim !== 1) throw new Error(`prelu: weight must be 1-D, got ${shapeToString(weight.shape)}`);
  const channels = weight.shape[0];
  if (channels !== 1 && (x.ndim < 2 || x.shape[1] !== channels)) {
    throw new Error(`prelu: ${channels} slopes do not match input ${shapeToString(x.shape)} (expected ${channels} channels in dim 1)`);
  }
  // Slopes broadcast along dim 1: [C] -> [C, 1, ..., 1].
  const w = channels === 1 ? weight : weight.reshape([channels, ...new Array<number>(x.ndim - 2).fill(1)]);
  const pos = relu(x), neg = clamp(x, null, 0);
  const scaled = mul(w, neg);
  const out = add(pos, scaled);
  for (const t of [pos, neg, scaled, ...(w === weight ? [] : [w])]) t.dispose();
  return traced("prelu", [x, weight], out);
}

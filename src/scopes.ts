// The public noGrad and tidy: autograd's noGrad and tensor.ts's tidy, plus what automatic freeing
// (autofree.ts) needs to know at their edges. Library code uses the plain ones.
import { noGrad as withoutGrad } from "./autograd.js";
import { rootBoundary } from "./autofree.js";
import { inTidy, markAllOwned, tidy as scopedTidy } from "./tensor.js";

/** The source noGrad blocks tick autofree's root scope with. */
const NO_GRAD_SOURCE = {};

let userNoGradDepth = 0;

/**
 * Runs fn without recording operations for autograd (torch.no_grad). The public noGrad: the end of
 * an outermost block is a loop boundary (autofree.ts). Library code uses autograd's noGrad, which is not.
 */
export function noGrad<T>(fn: () => T): T {
  userNoGradDepth++;
  try {
    return withoutGrad(fn);
  } finally {
    if (--userNoGradDepth === 0) rootBoundary(NO_GRAD_SOURCE);
  }
}

/**
 * Runs fn and disposes every tensor created inside it except those it returns (in a Tensor, an
 * array or a plain object), like TensorFlow.js's tidy. The public tidy: what an outermost call
 * returns is the caller's, never freed automatically (the explicit style works as it always
 * did). Library code uses tensor.ts's tidy, whose results are ordinary tensors.
 */
export function tidy<T>(fn: () => T): T {
  const result = scopedTidy(fn);
  if (!inTidy()) markAllOwned(result);
  return result;
}

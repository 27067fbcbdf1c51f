// Weight penalties for the loss: L2 ("weight decay" in the loss, Σ w²) and L1 (Σ |w|, which drives
// weights to exactly zero: sparsity). They are ordinary differentiable tensors; the caller adds them
// to the loss with a coefficient, usually over the weights only (not the biases):
//
//   const weights = model.parameters().filter((p) => p.ndim > 1);
//   const loss = crossEntropy(model.forward(x), y).add(l2Penalty(weights).mul(1e-4));
//
// Note that λ·Σ w² contributes 2λw to the gradient: the optimizers' `weightDecay: wd` is λ = wd/2.
import { tidy, type Tensor } from "../tensor.js";

function penalty(what: string, params: Iterable<Tensor>, term: (w: Tensor) => Tensor): Tensor {
  const list = [...params];
  if (list.length === 0) throw new Error(`${what}: got no parameters`);
  return tidy(() => list.map((w) => term(w).sum()).reduce((a, b) => a.add(b)));
}

/** Σ w² over every element of every tensor given (a 0-d tensor, differentiable). */
export function l2Penalty(params: Iterable<Tensor>): Tensor {
  return penalty("l2Penalty", params, (w) => w.square());
}

/** Σ |w| over every element of every tensor given (a 0-d tensor, differentiable; subgradient 0 at 0). */
export function l1Penalty(params: Iterable<Tensor>): Tensor {
  return penalty("l1Penalty", params, (w) => w.abs());
}

// Activation layers: thin modules over the elementwise ops (src/ops/elementwise.ts, softmax in
// src/ops/reduce.ts), plus PReLU, whose slope is learned.
import { Tensor, shapeToString } from "../tensor.js";
import { relu, leakyRelu, elu, gelu, silu, sigmoid, tanh, softplus, sign, step, clamp } from "../ops/elementwise.js";
import { add, mul } from "../ops/binary.js";
import { softmax, logSoftmax } from "../ops/reduce.js";
import { Module, parameter, reprFloat } from "./module.js";

/**
 * max(x, 0) + weight·min(x, 0), one slope per channel (dim 1) or one shared slope; differentiable
 * with respect to x and the slopes.
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
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
  return out;
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor { return relu(x); }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) { super(); }
  forward(x: Tensor): Tensor { return leakyRelu(x, this.negativeSlope); }
  override extraRepr(): string { return `negative_slope=${reprFloat(this.negativeSlope)}`; }
}

/** Leaky ReLU with a learned slope: one shared (numParameters = 1) or one per channel. */
export class PReLU extends Module {
  readonly weight: Tensor;
  constructor(numParameters = 1, init = 0.25) {
    super();
    this.weight = parameter(Tensor.empty([numParameters], "float32", "PReLU weight").fill_(init));
  }
  forward(x: Tensor): Tensor { return prelu(x, this.weight); }
  override extraRepr(): string { return `num_parameters=${this.weight.shape[0]}`; }
}

export class ELU extends Module {
  constructor(readonly alpha = 1) { super(); }
  forward(x: Tensor): Tensor { return elu(x, this.alpha); }
  override extraRepr(): string { return `alpha=${reprFloat(this.alpha)}`; }
}

export class GELU extends Module {
  constructor(readonly approximate: "none" | "tanh" = "none") { super(); }
  forward(x: Tensor): Tensor { return gelu(x, this.approximate); }
  override extraRepr(): string { return `approximate='${this.approximate}'`; }
}

/** x·σ(x), also known as Swish. */
export class SiLU extends Module {
  forward(x: Tensor): Tensor { return silu(x); }
}
export { SiLU as Swish };

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor { return sigmoid(x); }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor { return tanh(x); }
}

/** log(1 + exp(beta·x))/beta, linear above threshold. Printed as PyTorch 1.13 does (integer defaults). */
export class Softplus extends Module {
  constructor(readonly beta = 1, readonly threshold = 20) { super(); }
  forward(x: Tensor): Tensor { return softplus(x, this.beta, this.threshold); }
  override extraRepr(): string { return `beta=${this.beta}, threshold=${this.threshold}`; }
}

export class Softmax extends Module {
  constructor(readonly dim: number) { super(); }
  forward(x: Tensor): Tensor { return softmax(x, this.dim); }
  override extraRepr(): string { return `dim=${this.dim}`; }
}

export class LogSoftmax extends Module {
  constructor(readonly dim: number) { super(); }
  forward(x: Tensor): Tensor { return logSoftmax(x, this.dim); }
  override extraRepr(): string { return `dim=${this.dim}`; }
}

/** Heaviside step (x > 0 ? 1 : 0): the perceptron's activation. Its gradient is zero. */
export class Step extends Module {
  forward(x: Tensor): Tensor { return step(x); }
}

/** sign(x) in {−1, 0, 1}, the ±1 perceptron's activation. Its gradient is zero. */
export class Sign extends Module {
  forward(x: Tensor): Tensor { return sign(x); }
}

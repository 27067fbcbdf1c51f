// Activation layers: thin modules over the elementwise ops (src/ops/elementwise.ts, softmax in
// src/ops/reduce.ts), plus PReLU, whose slope is learned. Every export is a layer (nn re-exports them all).
import { Tensor } from "../tensor.js";
import * as F from "../ops/elementwise.js";
import { prelu } from "../ops/prelu.js";
import { softmax, logSoftmax } from "../ops/reduce.js";
import { Module, parameter, reprFloat, type Epilogue } from "./module.js";

export class ReLU extends Module {
  forward(x: Tensor): Tensor { return F.relu(x); }
  override get asEpilogue(): Epilogue { return "relu"; }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) { super(); }
  forward(x: Tensor): Tensor { return F.leakyRelu(x, this.negativeSlope); }
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
  forward(x: Tensor): Tensor { return F.elu(x, this.alpha); }
  override extraRepr(): string { return `alpha=${reprFloat(this.alpha)}`; }
}

export class GELU extends Module {
  constructor(readonly approximate: "none" | "tanh" = "none") { super(); }
  forward(x: Tensor): Tensor { return F.gelu(x, this.approximate); }
  override extraRepr(): string { return `approximate='${this.approximate}'`; }
}

/** x·σ(x), also known as Swish. */
export class SiLU extends Module {
  forward(x: Tensor): Tensor { return F.silu(x); }
}
export { SiLU as Swish };

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor { return F.sigmoid(x); }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor { return F.tanh(x); }
}

/** log(1 + exp(beta·x))/beta, linear above threshold. Printed as PyTorch 1.13 does (integer defaults). */
export class Softplus extends Module {
  constructor(readonly beta = 1, readonly threshold = 20) { super(); }
  forward(x: Tensor): Tensor { return F.softplus(x, this.beta, this.threshold); }
  override extraRepr(): string { return `beta=${this.beta}, threshold=${this.threshold}`; }
}

/** x·relu6(x + 3)/6 (MobileNetV3). */
export class Hardswish extends Module {
  forward(x: Tensor): Tensor { return F.hardswish(x); }
}

/** relu6(x + 3)/6. */
export class Hardsigmoid extends Module {
  forward(x: Tensor): Tensor { return F.hardsigmoid(x); }
}

/** x·tanh(softplus(x)). */
export class Mish extends Module {
  forward(x: Tensor): Tensor { return F.mish(x); }
}

/** log(sigmoid(x)), without overflow. */
export class LogSigmoid extends Module {
  forward(x: Tensor): Tensor { return F.logSigmoid(x); }
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
  forward(x: Tensor): Tensor { return F.step(x); }
}

/** sign(x) in {−1, 0, 1}, the ±1 perceptron's activation. Its gradient is zero. */
export class Sign extends Module {
  forward(x: Tensor): Tensor { return F.sign(x); }
}

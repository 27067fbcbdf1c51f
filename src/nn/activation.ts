// Activation layers: thin modules over the elementwise ops (src/ops/elementwise.ts, softmax in
// src/ops/reduce.ts), plus PReLU, whose slope is learned. Every export is a layer (nn re-exports them all).
import { Tensor } from "../tensor.js";
import * as F from "../ops/elementwise.js";
import { prelu } from "../ops/prelu.js";
import { softmax, logSoftmax } from "../ops/reduce.js";
import { readArgs, kinds, type Args } from "../ops/args.js";
import { Module, parameter, reprFloat, type Epilogue } from "./module.js";

const inplace = kinds.only(false, "in-place activations are not implemented; the result is a new tensor");
type InplaceArgs = Args<[inplace: boolean], { inplace?: boolean }>;

/** An activation whose only PyTorch argument is `inplace` (accepted when false). */
abstract class PointwiseActivation extends Module {
  constructor(...args: InplaceArgs) {
    super();
    readArgs(new.target.name, args, { inplace });
  }
}

/**
 * torch.nn.ReLU: max(x, 0) element-wise. In a Sequential after Linear or Conv2d it runs fused into that
 * layer's kernel.
 */
export class ReLU extends PointwiseActivation {
  /** max(x, 0) element-wise, any shape. */
  forward(x: Tensor): Tensor { return F.relu(x); }
  override get asEpilogue(): Epilogue { return "relu"; }
}

/** torch.nn.LeakyReLU: x for x ≥ 0, negativeSlope·x below. */
export class LeakyReLU extends Module {
  /** The slope for negative inputs (default 0.01). */
  readonly negativeSlope: number;
  /** PyTorch's order: (negativeSlope, inplace), then options. */
  constructor(...args: Args<[negativeSlope: number, inplace: boolean], { negativeSlope?: number; inplace?: boolean }>) {
    super();
    ({ negativeSlope: this.negativeSlope = 0.01 } = readArgs<{ negativeSlope?: number }>("LeakyReLU", args, { negativeSlope: kinds.number, inplace }));
  }
  /** x where x ≥ 0, negativeSlope·x elsewhere. */
  forward(x: Tensor): Tensor { return F.leakyRelu(x, this.negativeSlope); }
  override extraRepr(): string { return `negative_slope=${reprFloat(this.negativeSlope)}`; }
}

/** Leaky ReLU with a learned slope: one shared (numParameters = 1) or one per channel. */
export class PReLU extends Module {
  /** The learned slopes: [numParameters], initialised to `init` (default 0.25). */
  readonly weight: Tensor;
  /** PyTorch's order: (numParameters, init), then options. */
  constructor(...args: Args<[numParameters: number, init: number], { numParameters?: number; init?: number }>) {
    super();
    const { numParameters = 1, init = 0.25 } = readArgs<{ numParameters?: number; init?: number }>("PReLU", args, { numParameters: kinds.positiveInt, init: kinds.number });
    this.weight = parameter(Tensor.empty([numParameters], "float32", "PReLU weight").fill_(init));
  }
  /** x where x ≥ 0, weight·x elsewhere (one slope, or one per channel along dim 1). */
  forward(x: Tensor): Tensor { return prelu(x, this.weight); }
  override extraRepr(): string { return `num_parameters=${this.weight.shape[0]}`; }
}

/** torch.nn.ELU: x for x > 0, alpha·(eˣ − 1) below. */
export class ELU extends Module {
  /** The saturation value for negative inputs (default 1). */
  readonly alpha: number;
  /** PyTorch's order: (alpha, inplace), then options. */
  constructor(...args: Args<[alpha: number, inplace: boolean], { alpha?: number; inplace?: boolean }>) {
    super();
    ({ alpha: this.alpha = 1 } = readArgs<{ alpha?: number }>("ELU", args, { alpha: kinds.number, inplace }));
  }
  /** x where x > 0, alpha·(eˣ − 1) elsewhere. */
  forward(x: Tensor): Tensor { return F.elu(x, this.alpha); }
  override extraRepr(): string { return `alpha=${reprFloat(this.alpha)}`; }
}

/** torch.nn.GELU: x·Φ(x), Φ the standard normal CDF (or its tanh approximation). */
export class GELU extends Module {
  /** "none" for the exact erf form (default), "tanh" for the tanh approximation (torch's `approximate`). */
  readonly approximate: "none" | "tanh";
  constructor(...args: Args<[approximate: "none" | "tanh"], { approximate?: "none" | "tanh" }>) {
    super();
    ({ approximate: this.approximate = "none" } = readArgs<{ approximate?: "none" | "tanh" }>("GELU", args, { approximate: kinds.oneOf("none", "tanh") }));
  }
  /** x·Φ(x) element-wise. */
  forward(x: Tensor): Tensor { return F.gelu(x, this.approximate); }
  override extraRepr(): string { return `approximate='${this.approximate}'`; }
}

/** x·σ(x), also known as Swish. */
export class SiLU extends PointwiseActivation {
  /** x·σ(x) element-wise. */
  forward(x: Tensor): Tensor { return F.silu(x); }
}
export { SiLU as Swish };

/** torch.nn.Sigmoid: 1 / (1 + e^−x). */
export class Sigmoid extends Module {
  /** 1 / (1 + e^−x) element-wise. */
  forward(x: Tensor): Tensor { return F.sigmoid(x); }
}

/** torch.nn.Tanh: the hyperbolic tangent. */
export class Tanh extends Module {
  /** tanh(x) element-wise. */
  forward(x: Tensor): Tensor { return F.tanh(x); }
}

/** log(1 + exp(beta·x))/beta, linear above threshold. Printed as PyTorch 1.13 does (integer defaults). */
export class Softplus extends Module {
  /** The sharpness: softplus(x) = log(1 + exp(beta·x))/beta (default 1). */
  readonly beta: number;
  /** Above beta·x > threshold the result is x itself, for numerical stability (default 20). */
  readonly threshold: number;
  /** PyTorch's order: (beta, threshold), then options. */
  constructor(...args: Args<[beta: number, threshold: number], { beta?: number; threshold?: number }>) {
    super();
    ({ beta: this.beta = 1, threshold: this.threshold = 20 } = readArgs<{ beta?: number; threshold?: number }>("Softplus", args, { beta: kinds.number, threshold: kinds.number }));
  }
  /** log(1 + exp(beta·x))/beta element-wise (x where beta·x > threshold). */
  forward(x: Tensor): Tensor { return F.softplus(x, this.beta, this.threshold); }
  override extraRepr(): string { return `beta=${this.beta}, threshold=${this.threshold}`; }
}

/** x·relu6(x + 3)/6 (MobileNetV3). */
export class Hardswish extends PointwiseActivation {
  /** x·relu6(x + 3)/6 element-wise. */
  forward(x: Tensor): Tensor { return F.hardswish(x); }
}

/** relu6(x + 3)/6. */
export class Hardsigmoid extends PointwiseActivation {
  /** relu6(x + 3)/6 element-wise. */
  forward(x: Tensor): Tensor { return F.hardsigmoid(x); }
}

/** x·tanh(softplus(x)). */
export class Mish extends PointwiseActivation {
  /** x·tanh(softplus(x)) element-wise. */
  forward(x: Tensor): Tensor { return F.mish(x); }
}

/** log(sigmoid(x)), without overflow. */
/** torch.nn.LogSigmoid: log σ(x) = −softplus(−x). */
export class LogSigmoid extends Module {
  /** log σ(x) element-wise, finite for large |x|. */
  forward(x: Tensor): Tensor { return F.logSigmoid(x); }
}

/** torch.nn.Softmax: exp(x) normalised to sum 1 along dim. */
export class Softmax extends Module {
  /** The dim the probabilities sum to 1 over. */
  readonly dim: number;
  /** dim is required (PyTorch's implicit choice of dim is deprecated). */
  constructor(...args: Args<[dim: number], { dim?: number }>) {
    super();
    ({ dim: this.dim } = readArgs<{ dim: number }>("Softmax", args, { dim: kinds.int }, {}, ["dim"]));
  }
  /** exp(x − max) / Σ exp(x − max) along dim. */
  forward(x: Tensor): Tensor { return softmax(x, this.dim); }
  override extraRepr(): string { return `dim=${this.dim}`; }
}

/** torch.nn.LogSoftmax: log(softmax(x)) along dim, computed stably (pair with NLLLoss). */
export class LogSoftmax extends Module {
  /** The dim normalised over. */
  readonly dim: number;
  /** dim is required (PyTorch's implicit choice of dim is deprecated). */
  constructor(...args: Args<[dim: number], { dim?: number }>) {
    super();
    ({ dim: this.dim } = readArgs<{ dim: number }>("LogSoftmax", args, { dim: kinds.int }, {}, ["dim"]));
  }
  /** x − logsumexp(x) along dim. */
  forward(x: Tensor): Tensor { return logSoftmax(x, this.dim); }
  override extraRepr(): string { return `dim=${this.dim}`; }
}

/** Heaviside step (x > 0 ? 1 : 0): the perceptron's activation. Its gradient is zero. */
export class Step extends Module {
  /** 1 where x > 0, else 0, element-wise. */
  forward(x: Tensor): Tensor { return F.step(x); }
}

/** sign(x) in {−1, 0, 1}, the ±1 perceptron's activation. Its gradient is zero. */
export class Sign extends Module {
  /** −1, 0 or 1 element-wise. */
  forward(x: Tensor): Tensor { return F.sign(x); }
}

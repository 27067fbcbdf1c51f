// Linear, Identity and Flatten layers.
import { Tensor } from "../tensor.js";
import { linear } from "../ops/matmul.js";
import { flatten } from "../ops/shape.js";
import { Module, parameter, reprBool, type Epilogue } from "./module.js";
import { kaimingUniform_, uniform_ } from "./init.js";
import type { Generator } from "../random.js";
import { readArgs, kinds, type Args } from "../ops/args.js";

export interface LinearOptions {
  bias?: boolean;
  generator?: Generator;
}

/** y = x·Wᵀ + b with weight [outFeatures, inFeatures] and bias [outFeatures] (PyTorch's layout and init). */
export class Linear extends Module {
  /** The weight [outFeatures, inFeatures], initialised like PyTorch (Kaiming uniform with a = √5). */
  readonly weight: Tensor;
  /** The bias [outFeatures], uniform in ±1/√inFeatures; null with `bias: false`. */
  readonly bias: Tensor | null;

  /**
   * PyTorch's order: (inFeatures, outFeatures, bias), then options.
   * @param inFeatures The input features: x is [..., inFeatures].
   * @param outFeatures The output features.
   */
  constructor(readonly inFeatures: number, readonly outFeatures: number, ...args: Args<[bias: boolean], LinearOptions>) {
    super();
    const { bias = true, generator } = readArgs<LinearOptions>("Linear", [inFeatures, outFeatures, ...args],
      { inFeatures: kinds.nonNegativeInt, outFeatures: kinds.nonNegativeInt, bias: kinds.bool }, { generator: kinds.generator }, ["inFeatures", "outFeatures"]);
    this.weight = parameter(Tensor.empty([outFeatures, inFeatures], "float32", "Linear weight"));
    this.bias = bias ? parameter(Tensor.empty([outFeatures], "float32", "Linear bias")) : null;
    this.resetParameters(generator);
  }

  /**
   * PyTorch's default: kaiming_uniform with a = √5, i.e. U(±1/√inFeatures), for the weight, and
   * U(±1/√inFeatures) for the bias.
   */
  resetParameters(generator?: Generator): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5), generator });
    if (this.bias) {
      const bound = this.inFeatures > 0 ? 1 / Math.sqrt(this.inFeatures) : 0;
      uniform_(this.bias, -bound, bound, { generator });
    }
  }

  /** y = x·Wᵀ + b for x [..., inFeatures] (any leading dims); returns [..., outFeatures]. */
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override forwardFused(x: Tensor, activation: Epilogue): Tensor {
    return linear(x, this.weight, this.bias, { activation });
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${reprBool(this.bias !== null)}`;
  }
}

/** Passes its input through unchanged (a placeholder, e.g. to switch a layer off). */
export class Identity extends Module {
  /** Like PyTorch's, it takes any arguments and uses none (so it can stand in for any layer). */
  constructor(..._unused: unknown[]) {
    super();
  }

  /** Returns x itself (no copy). */
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Merges dims startDim..endDim into one (by default every dim after the batch dim). */
export class Flatten extends Module {
  /** The first dim merged (default 1: every dim after the batch dim). */
  readonly startDim: number;
  /** The last dim merged (default -1). */
  readonly endDim: number;

  /** PyTorch's order: (startDim, endDim), then options. */
  constructor(...args: Args<[startDim: number, endDim: number], { startDim?: number; endDim?: number }>) {
    super();
    const { startDim = 1, endDim = -1 } = readArgs<{ startDim?: number; endDim?: number }>("Flatten", args, { startDim: kinds.int, endDim: kinds.int });
    this.startDim = startDim;
    this.endDim = endDim;
  }

  /** x with dims startDim..endDim merged into one (a view of the same storage). */
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

// Dropout and GaussianNoise layers over the functional forms in src/ops/dropout.ts.
import { Tensor } from "../tensor.js";
import { dropout, gaussianNoise } from "../ops/dropout.js";
import type { Generator } from "../random.js";
import { readArgs, kinds, type Args } from "../ops/args.js";
import { Module, reprFloat, reprBool } from "./module.js";

/**
 * torch.nn.Dropout: zeroes elements at random in training (scaling the survivors so the expectation is
 * unchanged); the identity in eval.
 */
export class Dropout extends Module {
  /** The probability of zeroing an element (torch's `p`, default 0.5). */
  readonly p: number;
  /** The random generator for the mask (the global one by default). */
  readonly options: {
    /** The random generator, if one was given. */
    generator?: Generator;
  };

  /** PyTorch's order: (p, inplace), then options. */
  constructor(...args: Args<[p: number, inplace: boolean], { p?: number; inplace?: boolean; generator?: Generator }>) {
    super();
    const { p = 0.5, generator } = readArgs<{ p?: number; generator?: Generator }>("Dropout", args,
      { p: kinds.probability, inplace: kinds.only(false, "in-place dropout is not implemented") }, { generator: kinds.generator });
    this.p = p;
    this.options = { generator };
  }
  /**
   * x with each element zeroed with probability p and the rest scaled by 1/(1 − p) in training mode; x itself
   * in eval mode.
   */
  forward(x: Tensor): Tensor { return dropout(x, this.p, this.training, this.options); }
  override extraRepr(): string { return `p=${reprFloat(this.p)}, inplace=${reprBool(false)}`; }
}

/**
 * Adds Gaussian noise N(0, std²) in training and nothing in eval (a regulariser for inputs, like Keras'
 * GaussianNoise).
 */
export class GaussianNoise extends Module {
  /** The noise's standard deviation. */
  readonly std: number;
  /** The random generator for the noise (the global one by default). */
  readonly options: {
    /** The random generator, if one was given. */
    generator?: Generator;
  };

  constructor(...args: Args<[std: number], { std?: number; generator?: Generator }>) {
    super();
    const { std, generator } = readArgs<{ std: number; generator?: Generator }>("GaussianNoise", args, { std: kinds.nonNegative }, { generator: kinds.generator }, ["std"]);
    this.std = std;
    this.options = { generator };
  }
  /** x plus N(0, std²) noise in training mode; x itself in eval mode. */
  forward(x: Tensor): Tensor { return gaussianNoise(x, this.std, this.training, this.options); }
  override extraRepr(): string { return `std=${reprFloat(this.std)}`; }
}

// Dropout and GaussianNoise layers over the functional forms in src/ops/dropout.ts.
import { Tensor } from "../tensor.js";
import { dropout, gaussianNoise } from "../ops/dropout.js";
import type { Generator } from "../random.js";
import { readArgs, kinds, type Args } from "../ops/args.js";
import { Module, reprFloat, reprBool } from "./module.js";

export class Dropout extends Module {
  readonly p: number;
  readonly options: { generator?: Generator };

  /** PyTorch's order: (p, inplace), then options. */
  constructor(...args: Args<[p: number, inplace: boolean], { p?: number; inplace?: boolean; generator?: Generator }>) {
    super();
    const { p = 0.5, generator } = readArgs<{ p?: number; generator?: Generator }>("Dropout", args,
      { p: kinds.probability, inplace: kinds.only(false, "in-place dropout is not implemented") }, { generator: kinds.generator });
    this.p = p;
    this.options = { generator };
  }
  forward(x: Tensor): Tensor { return dropout(x, this.p, this.training, this.options); }
  override extraRepr(): string { return `p=${reprFloat(this.p)}, inplace=${reprBool(false)}`; }
}

export class GaussianNoise extends Module {
  readonly std: number;
  readonly options: { generator?: Generator };

  constructor(...args: Args<[std: number], { std?: number; generator?: Generator }>) {
    super();
    const { std, generator } = readArgs<{ std: number; generator?: Generator }>("GaussianNoise", args, { std: kinds.nonNegative }, { generator: kinds.generator }, ["std"]);
    this.std = std;
    this.options = { generator };
  }
  forward(x: Tensor): Tensor { return gaussianNoise(x, this.std, this.training, this.options); }
  override extraRepr(): string { return `std=${reprFloat(this.std)}`; }
}

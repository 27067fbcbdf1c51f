// Dropout and GaussianNoise layers over the functional forms in src/ops/dropout.ts.
import { Tensor } from "../tensor.js";
import { dropout, gaussianNoise } from "../ops/dropout.js";
import type { Generator } from "../random.js";
import { Module, reprFloat, reprBool } from "./module.js";

export class Dropout extends Module {
  constructor(readonly p = 0.5, readonly options: { generator?: Generator } = {}) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: probability has to be between 0 and 1, got ${p}`);
  }
  forward(x: Tensor): Tensor { return dropout(x, this.p, this.training, this.options); }
  override extraRepr(): string { return `p=${reprFloat(this.p)}, inplace=${reprBool(false)}`; }
}

export class GaussianNoise extends Module {
  constructor(readonly std: number, readonly options: { generator?: Generator } = {}) {
    super();
    if (!(std >= 0)) throw new Error(`GaussianNoise: std must be non-negative, got ${std}`);
  }
  forward(x: Tensor): Tensor { return gaussianNoise(x, this.std, this.training, this.options); }
  override extraRepr(): string { return `std=${reprFloat(this.std)}`; }
}

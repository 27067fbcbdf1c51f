// Stochastic regularisers, active only in training: (inverted) dropout and additive Gaussian noise
// on the inputs. Both draw from a seedable Generator (src/random.ts), so runs are reproducible.
import { Tensor } from "../tensor.js";
import { mul, add } from "../ops/binary.js";
import { randn } from "../ops/creation.js";
import { defaultGenerator, type Generator } from "../random.js";
import { Module, reprFloat, reprBool } from "./module.js";

/**
 * Zeroes each element with probability p and scales the survivors by 1/(1 − p), so the expected
 * value is unchanged and evaluation needs no rescaling. Identity when not training.
 */
export function dropout(x: Tensor, p = 0.5, training = true, options: { generator?: Generator } = {}): Tensor {
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: probability has to be between 0 and 1, got ${p}`);
  if (!training || p === 0) return x;
  const gen = options.generator ?? defaultGenerator;
  const mask = Tensor.empty(x.shape, "float32", "dropout mask");
  const m = mask.view();
  const keep = 1 / (1 - p);
  for (let i = 0; i < m.length; i++) m[i] = gen.uniform() < p ? 0 : keep;
  const out = mul(x, mask);
  mask.dispose();
  return out;
}

/** Adds N(0, std²) noise to x in training (input-noise regularisation); identity otherwise. */
export function gaussianNoise(x: Tensor, std: number, training = true, options: { generator?: Generator } = {}): Tensor {
  if (!(std >= 0)) throw new Error(`gaussianNoise: std must be non-negative, got ${std}`);
  if (!training || std === 0) return x;
  const noise = randn(x.shape, { std, generator: options.generator });
  const out = add(x, noise);
  noise.dispose();
  return out;
}

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

// Stochastic regularisers, active only in training: (inverted) dropout and additive Gaussian noise.
// Both draw from a seedable Generator (src/random.ts), so runs are reproducible. They live in ops/
// so that ops built on them (recurrent stacks, attention) need not reach up into nn/.
import { readOptions } from "./args.js";
import { checkFloat } from "./checks.js";
import { Tensor } from "../tensor.js";
import { mul, add } from "./binary.js";
import { randn } from "./creation.js";
import { defaultGenerator, type Generator } from "../random.js";

/**
 * Zeroes each element with probability p and scales the survivors by 1/(1 − p), so the expected
 * value is unchanged and evaluation needs no rescaling. Identity when not training.
 */
export function dropout(x: Tensor, p = 0.5, training = true, options: { generator?: Generator } = {}): Tensor<"float32"> {
  readOptions("dropout", options, ["generator"]);
  checkFloat("dropout", x);
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: probability has to be between 0 and 1, got ${p}`);
  if (!training || p === 0) return x;
  const gen = options.generator ?? defaultGenerator;
  const mask = Tensor.empty(x.shape, "float32", "dropout mask");
  const m = mask.liveData();
  const keep = 1 / (1 - p);
  for (let i = 0; i < m.length; i++) m[i] = gen.uniform() < p ? 0 : keep;
  const out = mul(x, mask);
  mask.dispose();
  return out;
}

/** Adds N(0, std²) noise to x in training (input-noise regularisation); identity otherwise. */
export function gaussianNoise(x: Tensor, std: number, training = true, options: { generator?: Generator } = {}): Tensor<"float32"> {
  readOptions("gaussianNoise", options, ["generator"]);
  checkFloat("gaussianNoise", x);
  if (!(std >= 0)) throw new Error(`gaussianNoise: std must be non-negative, got ${std}`);
  if (!training || std === 0) return x;
  const noise = randn(x.shape, { std, generator: options.generator });
  const out = add(x, noise);
  noise.dispose();
  return out;
}

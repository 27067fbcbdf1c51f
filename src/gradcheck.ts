// Gradient checking by central finite differences, in float32: compares backward() against
// (L(x + eps) − L(x − eps)) / 2eps for L = Σ out ⊙ r with a fixed random r (a vector–Jacobian
// product, so every output element takes part).
import { Tensor, tidy } from "./tensor.js";
import { enableGrad, grad, noGrad } from "./autograd.js";
import { cat } from "./ops/shape.js";
import { Generator } from "./random.js";
import { checkOptionNames } from "./ops/checks.js";

const GRADCHECK_OPTIONS = ["eps", "rtol", "atol", "seed"];

export interface GradcheckOptions {
  eps?: number;
  rtol?: number;
  atol?: number;
  seed?: number;
}

export interface GradcheckResult {
  ok: boolean;
  /** worst |analytic − numeric| − (atol + rtol·|numeric|) over all checked elements (≤ 0 when ok) */
  worstExcess: number;
  /** a description of the first mismatch, if any */
  mismatch: string | null;
}

/**
 * Compares fn's gradients from backward with central finite differences at inputs (torch.autograd.gradcheck,
 * with float32 tolerances): the output is projected on a fixed random tensor, and each element of each
 * input that requires grad is perturbed by ±eps. Returns ok and the worst excess over atol + rtol·|numeric|,
 * with the first mismatch described.
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions = {}): GradcheckResult {
  checkOptionNames("gradcheck", options, GRADCHECK_OPTIONS);
  const { eps = 1e-2, rtol = 2e-2, atol = 2e-3, seed = 1 } = options;
  const gen = new Generator(seed);
  const probe = tidy(() => noGrad(() => fn(...inputs)));
  const weights = Float64Array.from({ length: probe.size }, () => gen.normal());
  probe.dispose();

  const loss = (): number =>
    tidy(() => {
      const out = noGrad(() => fn(...inputs)).liveData();
      let s = 0;
      for (let i = 0; i < out.length; i++) s += out[i] * weights[i];
      return s;
    });

  const analytic = tidy(() => {
    for (const x of inputs) {
      x.grad?.dispose();
      x.grad = null;
    }
    const out = fn(...inputs);
    out.backward(fromWeights(out.shape, weights));
    return inputs.map((x) => (x.requiresGrad ? (x.grad ? Float64Array.from(x.grad.liveData()) : new Float64Array(x.size)) : null));
  });

  let worstExcess = -Infinity;
  let mismatch: string | null = null;
  inputs.forEach((x, j) => {
    const a = analytic[j];
    if (!a) return;
    for (let i = 0; i < x.size; i++) {
      const v = x.liveData();
      const orig = v[i];
      v[i] = orig + eps;
      const plus = loss();
      x.liveData()[i] = orig - eps;
      const minus = loss();
      x.liveData()[i] = orig;
      const numeric = (plus - minus) / (2 * eps);
      const excess = Math.abs(a[i] - numeric) - (atol + rtol * Math.abs(numeric));
      if (excess > worstExcess) worstExcess = excess;
      if (excess > 0 && !mismatch) mismatch = `input ${j} element ${i}: analytic ${a[i]}, numeric ${numeric}`;
    }
  });
  return { ok: mismatch === null, worstExcess, mismatch };
}

/**
 * Checks second derivatives (torch.autograd.gradgradcheck): gradcheck of the map
 * (inputs, v) ↦ vᵀ·∂fn/∂inputs computed with createGraph, so its backward is the double backward
 * of every op in fn, and the derivative in v checks the graph backward's own first order. v is a
 * fixed random cotangent (from `seed`).
 */
export function gradgradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions = {}): GradcheckResult {
  checkOptionNames("gradgradcheck", options, GRADCHECK_OPTIONS);
  const gen = new Generator((options.seed ?? 1) + 1);
  const probe = tidy(() => noGrad(() => fn(...inputs)));
  const v = Tensor.empty(probe.shape, "float32", "gradgradcheck cotangent");
  v.liveData().set(Float64Array.from({ length: probe.size }, () => gen.normal()));
  v.setRequiresGrad(true);
  probe.dispose();
  const differentiable = inputs.filter((x) => x.requiresGrad);
  const firstOrder = (...args: Tensor[]) =>
    enableGrad(() => {
      const xs = args.slice(0, inputs.length), cotangent = args[inputs.length];
      const grads = grad(fn(...xs), differentiable, { gradOutputs: cotangent, createGraph: true, allowUnused: true });
      return cat(grads.map((g, j) => (g ?? Tensor.empty(differentiable[j].shape).zero_()).reshape([-1])));
    });
  try {
    return gradcheck(firstOrder, [...inputs, v], options);
  } finally {
    v.grad?.dispose();
    v.dispose();
  }
}

function fromWeights(shape: readonly number[], w: Float64Array): Tensor {
  const t = Tensor.empty(shape, "float32", "gradcheck weights");
  t.liveData().set(w);
  return t;
}

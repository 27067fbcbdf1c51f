// Losses (torch.nn.functional semantics; nn/loss.ts wraps them as modules). The element-wise and
// class losses each run one fused kernel (assembly/loss.ts) that writes the per-element loss and
// what the backward needs; the reduction is a sum over that. The embedding and ranking losses
// (cosine, margin, triplet) and the Gaussian NLL are short compositions of differentiable ops.
import { record, needsGrad, noGrad } from "../autograd.js";
import { backend } from "../backend/wasm.js";
import { sumDim } from "../backend/reduce.js";
import { PointwiseLoss, type PointwiseLossName } from "../backend/kernels.js";
import { Tensor, shapeToString, numel, sameShape, tidy } from "../tensor.js";
import { add, sub, mul, div, minimum, where, eq, gt, lt } from "./binary.js";
import { affine, abs, clamp, exp, log, neg, powScalar, relu, sigmoid, sign, softplus, sqrt } from "./elementwise.js";
import { clone, reshape, unsqueeze } from "./shape.js";
import { expand } from "./broadcast.js";
import { logSoftmax, max, mean, softmax, sum } from "./reduce.js";
import { broadcastShapes } from "./strided.js";
import { checkArgs, checkOptionNames, normalizeDim } from "./checks.js";

/**
 * How a loss combines its per-element values: "mean" (default), "sum", or "none" (the per-element losses,
 * input's shape).
 */
export type Reduction = "mean" | "sum" | "none";

function checkReduction(op: string, reduction: string, allowed: readonly string[] = ["mean", "sum", "none"]): void {
  if (!allowed.includes(reduction)) throw new Error(`${op}: reduction must be ${allowed.map((r) => `"${r}"`).join(", ")}; got "${reduction}"`);
}

/** Per-element losses reduced to the output: "none" keeps them, otherwise their sum divided by `divisor`. */
function reduceLoss(perElement: Tensor<"float32">, reduction: string, divisor: number): Tensor<"float32"> {
  if (reduction === "none") return perElement;
  const out = Tensor.empty([], "float32", "loss");
  sumDim(perElement.ptr, out.ptr, 1, perElement.size, 1);
  if (divisor !== 1) out.liveData()[0] /= divisor;
  perElement.dispose();
  return out;
}

/** upstream ⊙ saved derivative: per element for "none", else the scalar upstream times 1/divisor. */
function scaleBySaved(g: Tensor, derivative: Tensor, reduction: string, divisor: number): Tensor {
  return reduction === "none" ? mul(derivative, g) : affine(derivative, g.item() / divisor, 0);
}

/**
 * [∂loss/∂input, ∂loss/∂target] per element in differentiable ops, for createGraph (pw: the
 * posWeight, a constant broadcasting against the input, or null).
 */
type GraphDerivative = (x: Tensor, t: Tensor, param: number, pw: Tensor | null) => [Tensor, Tensor];
/** For losses of d = input − target alone: ∂/∂target = −∂/∂input. */
const ofDifference = (f: (d: Tensor, param: number) => Tensor): GraphDerivative => (x, t, param) => {
  const k = f(sub(x, t), param);
  return [k, neg(k)];
};
const constantSign = (d: Tensor) => noGrad(() => sign(d));
const clampLog = (p: Tensor) => clamp(log(p), -100, null);

const graphDerivatives: Partial<Record<PointwiseLossName, GraphDerivative>> = {
  mse: ofDifference((d) => affine(d, 2, 0)),
  l1: ofDifference(constantSign),
  // d/beta inside |d| < beta, sign(d) outside (beta = 0 is the L1 loss)
  smoothL1: ofDifference((d, beta) => (beta === 0 ? constantSign(d) : where(noGrad(() => lt(abs(d), beta)), affine(d, 1 / beta, 0), constantSign(d)))),
  // d inside |d| < delta, delta·sign(d) outside
  huber: ofDifference((d, delta) => where(noGrad(() => lt(abs(d), delta)), d, noGrad(() => affine(sign(d), delta, 0)))),
  // (p − t)/max(p(1 − p), 1e-12) (PyTorch's backward); log(1 − p) − log p (logs clamped at −100)
  bce: (p, t) => [
    div(sub(p, t), clamp(mul(p, affine(p, -1, 1)), 1e-12, null)),
    sub(clampLog(affine(p, -1, 1)), clampLog(p)),
  ],
  // loss = (1 − t)·x + (1 + (pw − 1)·t)·softplus(−x)
  bceWithLogits: (x, t, _param, pw) => {
    const weightOfPositive = pw ? affine(pw, 1, -1) : null;
    const coef = weightOfPositive ? affine(mul(weightOfPositive, t), 1, 1) : null;
    const sNeg = sigmoid(neg(x)), spNeg = softplus(neg(x));
    return [
      sub(affine(t, -1, 1), coef ? mul(coef, sNeg) : sNeg),
      weightOfPositive ? sub(mul(weightOfPositive, spNeg), x) : neg(x),
    ];
  },
  // loss = t·(log t − x), 0 where t = 0
  klDiv: (x, t) => [neg(t), where(noGrad(() => gt(t, 0)), sub(affine(log(t), 1, 1), x), 0)],
  // loss = eᵗ·(t − x)
  klDivLogTarget: (x, t) => {
    const et = exp(t);
    return [neg(et), mul(et, affine(sub(t, x), 1, 1))];
  },
};

function pointwiseLoss(name: string, op: PointwiseLossName, input: Tensor, target: Tensor, reduction: string, options: {
  param?: number; posWeight?: Tensor | null; divisor?: number; reductions?: readonly string[];
} = {}): Tensor<"float32"> {
  const { param = 0, posWeight = null, reductions } = options;
  checkArgs(name, { input, target, ...(posWeight ? { posWeight } : {}) }, "float32");
  checkReduction(name, reduction, reductions);
  if (!sameShape(input.shape, target.shape)) {
    throw new Error(`${name}: target ${shapeToString(target.shape)} must have the same shape as input ${shapeToString(input.shape)}`);
  }
  const divisor = reduction === "mean" ? input.size : (options.divisor ?? 1);
  // pos_weight over the last dim runs as rows of the kernel; any other broadcast is expanded first.
  const cols = input.ndim === 0 ? 1 : input.shape[input.ndim - 1];
  let pw: Tensor | null = null;
  if (posWeight) {
    const lastDimOnly = posWeight.size === cols && posWeight.shape.every((d, i) => d === 1 || i === posWeight.ndim - 1);
    pw = noGrad(() => (lastDimOnly ? posWeight : expand(posWeight, input.shape)));
  }
  const rows = pw && pw.size === cols ? input.size / cols : 1;
  const wantX = needsGrad(input), wantT = needsGrad(target);
  const perElement = Tensor.empty(input.shape, "float32", name);
  const dx = wantX ? Tensor.empty(input.shape, "float32", `${name} derivative`) : null;
  const dt = wantT ? Tensor.empty(input.shape, "float32", `${name} derivative`) : null;
  backend().kernels.pointwise_loss_f32(PointwiseLoss[op], input.ptr, target.ptr, pw ? pw.ptr : 0, rows, input.size / rows, param,
    perElement.ptr, dx ? dx.ptr : 0, dt ? dt.ptr : 0);
  if (pw && pw !== posWeight) pw.dispose();
  const out = reduceLoss(perElement, reduction, divisor);
  const derivatives = [dx, dt].filter((t): t is Tensor<"float32"> => t !== null);
  const graphDerivative = graphDerivatives[op];
  // The graph backward recomputes the derivative from the input and target (aliases, no copies).
  const saved = graphDerivative ? [...derivatives, input, target, ...(posWeight ? [posWeight] : [])] : derivatives;
  record(name, [input, target], [out], saved, ([g], derivs) => {
    let k = 0;
    const gx = wantX ? scaleBySaved(g!, derivs[k++], reduction, divisor) : null;
    const gt = wantT ? scaleBySaved(g!, derivs[k++], reduction, divisor) : null;
    return [gx, gt];
  }, graphDerivative && (([g], saved) => {
    const [xs, ts, pws] = saved.slice(derivatives.length);
    const [dInput, dTarget] = graphDerivative(xs, ts, param, pws ?? null);
    const upstream = reduction === "none" ? g! : affine(g!, 1 / divisor, 0);
    return [wantX ? mul(dInput, upstream) : null, wantT ? mul(dTarget, upstream) : null];
  }));
  for (const t of derivatives) t.dispose();
  return out;
}

/** Mean squared error (x − t)². */
export function mseLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor<"float32"> {
  checkOptionNames("mseLoss", options, ["reduction"]);
  return pointwiseLoss("mseLoss", "mse", input, target, options.reduction ?? "mean");
}

/** Mean absolute error |x − t|. */
export function l1Loss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor<"float32"> {
  checkOptionNames("l1Loss", options, ["reduction"]);
  return pointwiseLoss("l1Loss", "l1", input, target, options.reduction ?? "mean");
}

/** 0.5·d²/beta where |d| < beta, else |d| − 0.5·beta (beta = 0 is the L1 loss). */
export function smoothL1Loss(input: Tensor, target: Tensor, options: { reduction?: Reduction; beta?: number } = {}): Tensor<"float32"> {
  checkOptionNames("smoothL1Loss", options, ["reduction", "beta"]);
  const { beta = 1 } = options;
  if (!(beta >= 0)) throw new Error(`smoothL1Loss: beta must be non-negative, got ${beta}`);
  return pointwiseLoss("smoothL1Loss", "smoothL1", input, target, options.reduction ?? "mean", { param: beta });
}

/** 0.5·d² where |d| < delta, else delta·(|d| − 0.5·delta). */
export function huberLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction; delta?: number } = {}): Tensor<"float32"> {
  checkOptionNames("huberLoss", options, ["reduction", "delta"]);
  const { delta = 1 } = options;
  if (!(delta > 0)) throw new Error(`huberLoss: delta must be positive, got ${delta}`);
  return pointwiseLoss("huberLoss", "huber", input, target, options.reduction ?? "mean", { param: delta });
}

/** −(t·log p + (1 − t)·log(1 − p)) for probabilities p in [0, 1] (logs clamped at −100, like PyTorch). */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor<"float32"> {
  checkOptionNames("binaryCrossEntropy", options, ["reduction"]);
  checkArgs("binaryCrossEntropy", { input, target }, "float32");
  const v = input.liveData();
  for (let i = 0; i < v.length; i++) {
    if (!(v[i] >= 0 && v[i] <= 1)) throw new Error(`binaryCrossEntropy: input must hold probabilities in [0, 1], found ${v[i]} at element ${i}`);
  }
  return pointwiseLoss("binaryCrossEntropy", "bce", input, target, options.reduction ?? "mean");
}

/**
 * Binary cross-entropy on logits: −(pw·t·log σ(x) + (1 − t)·log(1 − σ(x))), computed as
 * (1 − t)·x + (1 + (pw − 1)·t)·softplus(−x) so large |x| never overflows. posWeight broadcasts
 * against the input (typically one weight per class, the last dim).
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: { reduction?: Reduction; posWeight?: Tensor | null } = {}): Tensor<"float32"> {
  checkOptionNames("binaryCrossEntropyWithLogits", options, ["reduction", "posWeight"]);
  return pointwiseLoss("binaryCrossEntropyWithLogits", "bceWithLogits", input, target, options.reduction ?? "mean", { posWeight: options.posWeight });
}

/**
 * klDiv's reductions: Reduction's, plus "batchmean" (the sum divided by the batch size: the mathematical KL
 * divergence).
 */
export type KlDivReduction = Reduction | "batchmean";

/**
 * Kullback–Leibler divergence for input log-probabilities and target probabilities:
 * t·(log t − x) (or exp(t)·(t − x) with logTarget). "batchmean" divides the sum by the batch size,
 * which is the true KL divergence per sample; "mean" (PyTorch's default) divides by every element.
 */
export function klDiv(input: Tensor, target: Tensor, options: { reduction?: KlDivReduction; logTarget?: boolean } = {}): Tensor<"float32"> {
  checkOptionNames("klDiv", options, ["reduction", "logTarget"]);
  const { reduction = "mean", logTarget = false } = options;
  return pointwiseLoss("klDiv", logTarget ? "klDivLogTarget" : "klDiv", input, target, reduction, {
    divisor: reduction === "batchmean" ? (input.ndim === 0 ? 1 : input.shape[0]) : 1,
    reductions: ["mean", "sum", "none", "batchmean"],
  });
}

/** The options of nllLoss and crossEntropy (torch's `weight`, `ignore_index`, `reduction`). */
export interface ClassLossOptions {
  /** "mean" (default: weighted mean over the non-ignored targets), "sum" or "none" (one loss per target). */
  reduction?: Reduction;
  /** Per-class weights [C]; "mean" then divides by the summed weights of the targets (PyTorch's weighted mean). */
  weight?: Tensor | null;
  /** Targets equal to this contribute no loss and no gradient (default −100, like PyTorch). */
  ignoreIndex?: number;
}

/** The class layout of input [N, C, d1, ...] or [C] (unbatched) as the kernels see it: [outer, C, inner]. */
interface ClassLayout { C: number; outer: number; inner: number; unbatched: boolean }

function classLayout(name: string, input: Tensor, weight: Tensor | null, labelSmoothing: number): ClassLayout {
  if (input.dtype !== "float32") throw new Error(`${name}: input must be float32, got ${input.dtype}`);
  if (input.ndim === 0) throw new Error(`${name}: input must be [N, C, ...] or [C], got a scalar`);
  const unbatched = input.ndim === 1;
  const C = input.shape[unbatched ? 0 : 1];
  if (weight && (weight.dtype !== "float32" || weight.ndim !== 1 || weight.shape[0] !== C)) {
    throw new Error(`${name}: weight must be a float32 tensor of shape [${C}] (one per class), got ${weight.dtype} ${shapeToString(weight.shape)}`);
  }
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new Error(`${name}: labelSmoothing must be in [0, 1], got ${labelSmoothing}`);
  return { C, unbatched, outer: unbatched ? 1 : input.shape[0], inner: unbatched ? 1 : numel(input.shape.slice(2)) };
}

/**
 * Shared by crossEntropy (logits) and nllLoss (log-probabilities): input [N, C, d1, ...] or [C],
 * int32 target [N, d1, ...] or []. One kernel pass gives the per-element losses (and, for logits,
 * the softmax the backward needs).
 */
function classLoss(name: string, input: Tensor, target: Tensor, options: CrossEntropyOptions, logits: boolean): Tensor<"float32"> {
  const { reduction = "mean", weight = null, ignoreIndex = -100, labelSmoothing = 0 } = options;
  checkReduction(name, reduction);
  const { C, outer, inner, unbatched } = classLayout(name, input, weight, labelSmoothing);
  if (target.dtype !== "int32") {
    throw new Error(`${name}: target must be an int32 tensor of class indices, got ${target.dtype} ${shapeToString(target.shape)}`);
  }
  const expected = unbatched ? [] : [input.shape[0], ...input.shape.slice(2)];
  if (!sameShape(target.shape, expected)) {
    throw new Error(`${name}: target ${shapeToString(target.shape)} does not match input ${shapeToString(input.shape)} (expected target ${shapeToString(expected)})`);
  }
  // Validate the targets and sum the weights "mean" divides by, in one pass.
  const t = target.liveData();
  const w = weight?.liveData();
  let weightSum = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (c === ignoreIndex) continue;
    if (c < 0 || c >= C) throw new Error(`${name}: target ${c} is out of bounds for ${C} classes (valid: 0..${C - 1})`);
    weightSum += w ? w[c] : 1;
  }
  const divisor = reduction === "mean" ? weightSum : 1;
  const wantGrad = needsGrad(input);
  const perElement = Tensor.empty(target.shape, "float32", name);
  const probs = logits && wantGrad ? Tensor.empty(input.shape, "float32", `${name} softmax`) : null;
  const k = backend().kernels;
  k.class_nll_f32(input.ptr, target.ptr, weight ? weight.ptr : 0, perElement.ptr, probs ? probs.ptr : 0,
    outer, C, inner, labelSmoothing, ignoreIndex, +logits);
  const out = reduceLoss(perElement, reduction, divisor);
  const saved = [target, ...(weight ? [weight] : []), ...(probs ? [probs] : []), input];
  const inputShape = input.shape;
  record(name, [input], [out], saved, ([g], [ts, ...rest]) => {
    const ws = weight ? rest[0] : null;
    const ps = probs ? rest[rest.length - 2] : null;
    const dx = Tensor.empty(inputShape, "float32", `${name} backward`);
    const perElementG = reduction === "none";
    k.class_nll_backward_f32(ps ? ps.ptr : 0, g!.ptr, +perElementG, 1 / divisor, ts.ptr, ws ? ws.ptr : 0, dx.ptr,
      outer, C, inner, labelSmoothing, ignoreIndex);
    return [dx];
  }, ([g], saved) => {
    // loss_i = Σ_c A[i, c]·(−log p[i, c]) (or −input[i, c] for nllLoss), A the weighted, smoothed
    // target distribution (a constant): ∂/∂logits = p·Σ_c A − A; ∂/∂log-probabilities = −A.
    const xs = saved[saved.length - 1];
    const classDim = unbatched ? 0 : 1;
    const A = Tensor.empty(inputShape, "float32", `${name} targets`);
    const a = A.liveData().fill(0), tv = saved[0].liveData(), wv = weight ? saved[1].liveData() : null;
    for (let n = 0; n < outer; n++) {
      for (let i = 0; i < inner; i++) {
        const c = tv[n * inner + i];
        if (c === ignoreIndex) continue;
        const base = n * C * inner + i;
        a[base + c * inner] += (1 - labelSmoothing) * (wv ? wv[c] : 1);
        if (labelSmoothing > 0) for (let j = 0; j < C; j++) a[base + j * inner] += (labelSmoothing / C) * (wv ? wv[j] : 1);
      }
    }
    const coef = perSampleCoefficient(g!, reduction, divisor, unbatched);
    const perClass = logits ? sub(mul(softmax(xs, classDim), sum(A, classDim, true)), A) : neg(A);
    return [mul(coef, perClass)];
  });
  probs?.dispose();
  return out;
}

/** The upstream as a factor over [N, C, ...]: per sample (unsqueezed at the class dim) for "none", else g/divisor. */
function perSampleCoefficient(g: Tensor, reduction: string, divisor: number, unbatched: boolean): Tensor {
  return reduction === "none" ? (unbatched ? g : unsqueeze(g, 1)) : affine(g, 1 / divisor, 0);
}

/**
 * Cross-entropy against class probabilities (target float32, input's shape): per sample
 * −Σ_c w_c·t′_c·log_softmax(input)_c with t′ = (1 − ε)·t + ε/C, one fused pass; "mean" divides by
 * the number of samples (N·d1·…), not by the weights (PyTorch). The target is differentiable too.
 */
function softCrossEntropy(name: string, input: Tensor, target: Tensor, options: CrossEntropyOptions): Tensor<"float32"> {
  const { reduction = "mean", weight = null, ignoreIndex, labelSmoothing = 0 } = options;
  checkReduction(name, reduction);
  const { C, outer, inner, unbatched } = classLayout(name, input, weight, labelSmoothing);
  if (ignoreIndex !== undefined && ignoreIndex !== -100) {
    throw new Error(`${name}: ignoreIndex applies to class-index targets only; the target here holds probabilities (float32 ${shapeToString(target.shape)})`);
  }
  if (!sameShape(target.shape, input.shape)) {
    const indices = unbatched ? [] : [input.shape[0], ...input.shape.slice(2)];
    throw new Error(
      `${name}: target must be int32 class indices ${shapeToString(indices)} or float32 class probabilities of the input's shape ` +
        `${shapeToString(input.shape)}; got float32 ${shapeToString(target.shape)}`,
    );
  }
  const perElement = Tensor.empty(unbatched ? [] : [input.shape[0], ...input.shape.slice(2)], "float32", name);
  const k = backend().kernels;
  k.soft_cross_entropy_f32(input.ptr, target.ptr, weight ? weight.ptr : 0, perElement.ptr, outer, C, inner, labelSmoothing);
  const divisor = reduction === "mean" ? perElement.size : 1;
  const out = reduceLoss(perElement, reduction, divisor);
  const wantX = needsGrad(input), wantT = needsGrad(target);
  record(name, [input, target], [out], [input, target, ...(weight ? [weight] : [])], ([g], [xs, ts, ws]) => {
    const dx = wantX ? Tensor.empty(xs.shape, "float32", `${name} backward`) : null;
    const dt = wantT ? Tensor.empty(xs.shape, "float32", `${name} backward`) : null;
    k.soft_cross_entropy_backward_f32(xs.ptr, g!.ptr, +(reduction === "none"), 1 / divisor, ts.ptr, ws ? ws.ptr : 0,
      dx ? dx.ptr : 0, dt ? dt.ptr : 0, outer, C, inner, labelSmoothing);
    return [dx, dt];
  }, ([g], [xs, ts, ws]) => {
    // With A = w·t′ (the weighted, smoothed target): ∂/∂logits = softmax·Σ_c A − A,
    // ∂/∂target = −(1 − ε)·w·log_softmax.
    const classDim = unbatched ? 0 : 1;
    const w = ws ? reshape(ws, unbatched ? [C] : [1, C, ...input.shape.slice(2).map(() => 1)]) : null;
    const smoothed = affine(ts, 1 - labelSmoothing, labelSmoothing / C);
    const A = w ? mul(smoothed, w) : smoothed;
    const coef = perSampleCoefficient(g!, reduction, divisor, unbatched);
    const gx = wantX ? mul(coef, sub(mul(softmax(xs, classDim), sum(A, classDim, true)), A)) : null;
    const logP = affine(logSoftmax(xs, classDim), -(1 - labelSmoothing), 0);
    const gt = wantT ? mul(coef, w ? mul(logP, w) : logP) : null;
    return [gx, gt];
  });
  return out;
}

/** The options of crossEntropy and nn.CrossEntropyLoss. */
export interface CrossEntropyOptions extends ClassLossOptions {
  /** ε: the target mixed with the uniform distribution, (1 − ε)·t + ε/C. */
  labelSmoothing?: number;
}

/**
 * Cross-entropy of logits [N, C, d1, ...] (or [C]) against int32 class indices [N, d1, ...] or
 * against float32 class probabilities of the input's shape: log-softmax over dim 1 and the
 * negative log-likelihood in one fused pass. labelSmoothing ε mixes in the uniform distribution:
 * (1 − ε)·(−log p_target) + (ε/C)·Σ_c(−log p_c). With indices, "mean" divides by the summed
 * weights of the non-ignored targets; with probabilities, by the number of samples.
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor<"float32"> {
  checkOptionNames("crossEntropy", options, ["reduction", "weight", "ignoreIndex", "labelSmoothing"]);
  checkArgs("crossEntropy", { input, target, ...(options.weight ? { weight: options.weight } : {}) });
  return target.dtype === "float32" ? softCrossEntropy("crossEntropy", input, target, options) : classLoss("crossEntropy", input, target, options, true);
}

/** Negative log-likelihood of log-probabilities [N, C, d1, ...] at int32 targets [N, d1, ...]: −input[n, target_n]. */
export function nllLoss(input: Tensor, target: Tensor, options: ClassLossOptions = {}): Tensor<"float32"> {
  checkOptionNames("nllLoss", options, ["reduction", "weight", "ignoreIndex"]);
  checkArgs("nllLoss", { input, target, ...(options.weight ? { weight: options.weight } : {}) });
  return classLoss("nllLoss", input, target, options, false);
}


// ---- losses composed of differentiable ops ----

/** "none" keeps the per-sample losses, "sum" and "mean" reduce them all. */
function reduceComposed(op: string, loss: Tensor<"float32">, reduction: string): Tensor<"float32"> {
  checkReduction(op, reduction);
  return reduction === "none" ? loss : reduction === "sum" ? sum(loss) : mean(loss);
}

/** The options of gaussianNllLoss and nn.GaussianNLLLoss. */
export interface GaussianNllOptions {
  /** "mean" (default), "sum" or "none". */
  reduction?: Reduction;
  /** Add the constant 0.5·log 2π (default false). */
  full?: boolean;
  /** var is clamped at eps for stability; the gradient passes the clamp unchanged (PyTorch). */
  eps?: number;
}

/**
 * Gaussian negative log-likelihood 0.5·(log var + (input − target)²/var) (+ 0.5·log 2π when full).
 * var has input's shape, or that shape with the last dim 1 (one variance per sample), or one dim
 * fewer (unsqueezed at the end); it broadcasts.
 */
export function gaussianNllLoss(input: Tensor, target: Tensor, variance: Tensor, options: GaussianNllOptions = {}): Tensor<"float32"> {
  const op = "gaussianNllLoss";
  checkOptionNames(op, options, ["reduction", "full", "eps"]);
  const { reduction = "mean", full = false, eps = 1e-6 } = options;
  checkReduction(op, reduction);
  checkArgs(op, { input, target, var: variance }, "float32");
  if (!(eps > 0)) throw new Error(`${op}: eps must be positive, got ${eps}`);
  const lead = input.shape.slice(0, -1);
  const fits = sameShape(variance.shape, input.shape) || sameShape(variance.shape, lead) ||
    (input.ndim > 0 && variance.ndim === input.ndim && sameShape(variance.shape.slice(0, -1), lead) && variance.shape[input.ndim - 1] === 1);
  if (!fits) {
    throw new Error(`${op}: var ${shapeToString(variance.shape)} must have the input's shape ${shapeToString(input.shape)}, that shape with the last dim 1, or one dim fewer`);
  }
  if ((variance.liveData() as Float32Array).some((v) => v < 0)) throw new Error(`${op}: var has negative entries`);
  return tidy(() => {
    const v = clone(variance.ndim < input.ndim ? unsqueeze(variance, -1) : variance);
    noGrad(() => v.clamp_(eps, null));
    const d = sub(input, target);
    const loss = affine(add(log(v), div(mul(d, d), v)), 0.5, full ? 0.5 * Math.log(2 * Math.PI) : 0);
    return reduceComposed(op, loss, reduction);
  });
}

/** The options of cosineSimilarity and nn.CosineSimilarity. */
export interface CosineSimilarityOptions {
  /** The dim the vectors lie along (default 1). */
  dim?: number;
  /** The product of the norms is clamped at eps (default 1e-8). */
  eps?: number;
}

/** Σ x1·x2 / max(‖x1‖·‖x2‖, eps) along dim, x1 and x2 broadcast against each other. */
export function cosineSimilarity(x1: Tensor, x2: Tensor, options: CosineSimilarityOptions = {}): Tensor<"float32"> {
  const op = "cosineSimilarity";
  checkOptionNames(op, options, ["dim", "eps"]);
  const { dim = 1, eps = 1e-8 } = options;
  checkArgs(op, { x1, x2 }, "float32");
  const shape = broadcastShapes(op, x1.shape, x2.shape);
  const d = normalizeDim(op, dim, shape);
  return tidy(() => {
    const a = sameShape(x1.shape, shape) ? x1 : expand(x1, shape);
    const b = sameShape(x2.shape, shape) ? x2 : expand(x2, shape);
    const normProduct = sqrt(clamp(mul(sum(mul(a, a), d), sum(mul(b, b), d)), eps * eps, null));
    return div(sum(mul(a, b), d), normProduct);
  });
}

/** The options of cosineEmbeddingLoss and marginRankingLoss (and their modules). */
export interface MarginLossOptions {
  /** "mean" (default), "sum" or "none". */
  reduction?: Reduction;
  /** The margin (default 0). */
  margin?: number;
}

/**
 * Cosine embedding loss for input1, input2 [N, D] (or [D]) and target [N] (or []) of ±1:
 * 1 − cos where y = 1, max(0, cos − margin) where y = −1, with
 * cos = Σ x1·x2 / sqrt((Σ x1² + 1e-12)·(Σ x2² + 1e-12)).
 */
export function cosineEmbeddingLoss(input1: Tensor, input2: Tensor, target: Tensor, options: MarginLossOptions = {}): Tensor<"float32"> {
  const op = "cosineEmbeddingLoss";
  checkOptionNames(op, options, ["reduction", "margin"]);
  const { reduction = "mean", margin = 0 } = options;
  checkArgs(op, { input1, input2, target }, "float32");
  if (!sameShape(input1.shape, input2.shape) || input1.ndim < 1 || input1.ndim > 2 || !sameShape(target.shape, input1.shape.slice(0, -1))) {
    throw new Error(`${op}: expected input1 and input2 of one shape [N, D] (or [D]) and target [N] (or []), got ${shapeToString(input1.shape)}, ${shapeToString(input2.shape)} and ${shapeToString(target.shape)}`);
  }
  const EPSILON = 1e-12;
  const d = input1.ndim - 1;
  return tidy(() => {
    const norms = mul(add(sum(mul(input1, input1), d), EPSILON), add(sum(mul(input2, input2), d), EPSILON));
    const cos = div(sum(mul(input1, input2), d), sqrt(norms));
    const loss = add(where(eq(target, 1), affine(cos, -1, 1), 0), where(eq(target, -1), relu(add(cos, -margin)), 0));
    return reduceComposed(op, loss, reduction);
  });
}

/** max(0, −y·(x1 − x2) + margin) for target y of ±1 (all three broadcast). */
export function marginRankingLoss(input1: Tensor, input2: Tensor, target: Tensor, options: MarginLossOptions = {}): Tensor<"float32"> {
  const op = "marginRankingLoss";
  checkOptionNames(op, options, ["reduction", "margin"]);
  const { reduction = "mean", margin = 0 } = options;
  checkArgs(op, { input1, input2, target }, "float32");
  if (input1.ndim !== input2.ndim || input1.ndim !== target.ndim) {
    throw new Error(`${op}: input1, input2 and target must have the same number of dims, got ${shapeToString(input1.shape)}, ${shapeToString(input2.shape)} and ${shapeToString(target.shape)}`);
  }
  return tidy(() => reduceComposed(op, relu(add(mul(neg(target), sub(input1, input2)), margin)), reduction));
}

/** The options of tripletMarginLoss and nn.TripletMarginLoss. */
export interface TripletMarginOptions extends MarginLossOptions {
  /** The norm of the distances (default 2; Infinity is the max norm). */
  p?: number;
  /** Added to every component of the difference (default 1e-6), as PyTorch's pairwise_distance. */
  eps?: number;
  /** Use min(d(a, n), d(p, n)) as the negative distance (Balntas et al. 2016). */
  swap?: boolean;
}

/** ‖u − v + eps‖_p over the last dim. */
function pairwiseDistance(u: Tensor, v: Tensor, p: number, eps: number): Tensor {
  const diff = add(sub(u, v), eps);
  const d = diff.ndim - 1;
  if (p === 1) return sum(abs(diff), d);
  if (p === 2) return sqrt(sum(mul(diff, diff), d));
  if (p === Infinity) return max(abs(diff), d).values;
  return powScalar(sum(powScalar(abs(diff), p), d), 1 / p);
}

/**
 * Triplet margin loss max(d(a, p) − d(a, n) + margin, 0) for anchor, positive, negative [N, D]
 * (or [D]), d the p-norm distance over D (with swap, d(a, n) becomes min(d(a, n), d(p, n))).
 */
export function tripletMarginLoss(anchor: Tensor, positive: Tensor, negative: Tensor, options: TripletMarginOptions = {}): Tensor<"float32"> {
  const op = "tripletMarginLoss";
  checkOptionNames(op, options, ["reduction", "margin", "p", "eps", "swap"]);
  const { reduction = "mean", margin = 1, p = 2, eps = 1e-6, swap = false } = options;
  checkArgs(op, { anchor, positive, negative }, "float32");
  if (!(p > 0)) throw new Error(`${op}: p must be positive, got ${p}`);
  if (anchor.ndim < 1 || anchor.ndim > 2 || positive.ndim !== anchor.ndim || negative.ndim !== anchor.ndim) {
    throw new Error(`${op}: anchor, positive and negative must all be [N, D] or all [D], got ${shapeToString(anchor.shape)}, ${shapeToString(positive.shape)} and ${shapeToString(negative.shape)}`);
  }
  return tidy(() => {
    const dPos = pairwiseDistance(anchor, positive, p, eps);
    const dAn = pairwiseDistance(anchor, negative, p, eps);
    const dNeg = swap ? minimum(dAn, pairwiseDistance(positive, negative, p, eps)) : dAn;
    return reduceComposed(op, relu(add(sub(dPos, dNeg), margin)), reduction);
  });
}

// Losses, functional and as modules (torch.nn.functional / torch.nn semantics). Each runs one fused
// kernel (assembly/loss.ts) that writes the per-element loss and the derivatives the backward needs;
// the reduction is a sum over that, and the backward scales the saved derivatives by the upstream.
import { record, needsGrad, noGrad } from "../autograd.js";
import { backend } from "../backend/wasm.js";
import { PointwiseLoss, type PointwiseLossName } from "../backend/kernels.js";
import { Tensor, shapeToString, numel } from "../tensor.js";
import { div, gt, lt, mul, sub, where } from "../ops/binary.js";
import { abs, affine, clamp, exp, log, neg, sigmoid, sign, softplus } from "../ops/elementwise.js";
import { expand, unsqueeze } from "../ops/shape.js";
import { softmax, sum } from "../ops/reduce.js";
import { Module, buffer } from "./module.js";

export type Reduction = "mean" | "sum" | "none";

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function checkReduction(op: string, reduction: string, allowed: readonly string[] = ["mean", "sum", "none"]): void {
  if (!allowed.includes(reduction)) throw new Error(`${op}: reduction must be ${allowed.map((r) => `"${r}"`).join(", ")}; got "${reduction}"`);
}

/** Per-element losses reduced to the output: "none" keeps them, otherwise their sum divided by `divisor`. */
function reduceLoss(perElement: Tensor, reduction: string, divisor: number): Tensor {
  if (reduction === "none") return perElement;
  const out = Tensor.empty([], "float32", "loss");
  backend().kernels.sum_dim_f32(perElement.ptr, out.ptr, 1, perElement.size, 1);
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
} = {}): Tensor {
  const { param = 0, posWeight = null, reductions } = options;
  checkReduction(name, reduction, reductions);
  if (input.dtype !== "float32" || target.dtype !== "float32") {
    throw new Error(`${name}: expected float32 input and target, got ${input.dtype} and ${target.dtype}`);
  }
  if (!sameShape(input.shape, target.shape)) {
    throw new Error(`${name}: target ${shapeToString(target.shape)} must have the same shape as input ${shapeToString(input.shape)}`);
  }
  const divisor = reduction === "mean" ? input.size : (options.divisor ?? 1);
  // pos_weight over the last dim runs as rows of the kernel; any other broadcast is expanded first.
  const cols = input.ndim === 0 ? 1 : input.shape[input.ndim - 1];
  let pw: Tensor | null = null;
  if (posWeight) {
    if (posWeight.dtype !== "float32") throw new Error(`${name}: posWeight must be float32, got ${posWeight.dtype}`);
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
  const derivatives = [dx, dt].filter((t): t is Tensor => t !== null);
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
export function mseLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  return pointwiseLoss("mseLoss", "mse", input, target, options.reduction ?? "mean");
}

/** Mean absolute error |x − t|. */
export function l1Loss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  return pointwiseLoss("l1Loss", "l1", input, target, options.reduction ?? "mean");
}

/** 0.5·d²/beta where |d| < beta, else |d| − 0.5·beta (beta = 0 is the L1 loss). */
export function smoothL1Loss(input: Tensor, target: Tensor, options: { reduction?: Reduction; beta?: number } = {}): Tensor {
  const { beta = 1 } = options;
  if (!(beta >= 0)) throw new Error(`smoothL1Loss: beta must be non-negative, got ${beta}`);
  return pointwiseLoss("smoothL1Loss", "smoothL1", input, target, options.reduction ?? "mean", { param: beta });
}

/** 0.5·d² where |d| < delta, else delta·(|d| − 0.5·delta). */
export function huberLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction; delta?: number } = {}): Tensor {
  const { delta = 1 } = options;
  if (!(delta > 0)) throw new Error(`huberLoss: delta must be positive, got ${delta}`);
  return pointwiseLoss("huberLoss", "huber", input, target, options.reduction ?? "mean", { param: delta });
}

/** −(t·log p + (1 − t)·log(1 − p)) for probabilities p in [0, 1] (logs clamped at −100, like PyTorch). */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  if (input.dtype === "float32") {
    const v = input.liveData();
    for (let i = 0; i < v.length; i++) {
      if (!(v[i] >= 0 && v[i] <= 1)) throw new Error(`binaryCrossEntropy: input must hold probabilities in [0, 1], found ${v[i]} at element ${i}`);
    }
  }
  return pointwiseLoss("binaryCrossEntropy", "bce", input, target, options.reduction ?? "mean");
}

/**
 * Binary cross-entropy on logits: −(pw·t·log σ(x) + (1 − t)·log(1 − σ(x))), computed as
 * (1 − t)·x + (1 + (pw − 1)·t)·softplus(−x) so large |x| never overflows. posWeight broadcasts
 * against the input (typically one weight per class, the last dim).
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: { reduction?: Reduction; posWeight?: Tensor | null } = {}): Tensor {
  return pointwiseLoss("binaryCrossEntropyWithLogits", "bceWithLogits", input, target, options.reduction ?? "mean", { posWeight: options.posWeight });
}

export type KlDivReduction = Reduction | "batchmean";

/**
 * Kullback–Leibler divergence for input log-probabilities and target probabilities:
 * t·(log t − x) (or exp(t)·(t − x) with logTarget). "batchmean" divides the sum by the batch size,
 * which is the true KL divergence per sample; "mean" (PyTorch's default) divides by every element.
 */
export function klDiv(input: Tensor, target: Tensor, options: { reduction?: KlDivReduction; logTarget?: boolean } = {}): Tensor {
  const { reduction = "mean", logTarget = false } = options;
  return pointwiseLoss("klDiv", logTarget ? "klDivLogTarget" : "klDiv", input, target, reduction, {
    divisor: reduction === "batchmean" ? (input.ndim === 0 ? 1 : input.shape[0]) : 1,
    reductions: ["mean", "sum", "none", "batchmean"],
  });
}

export interface ClassLossOptions {
  reduction?: Reduction;
  /** Per-class weights [C]; "mean" then divides by the summed weights of the targets (PyTorch's weighted mean). */
  weight?: Tensor | null;
  /** Targets equal to this contribute no loss and no gradient (default −100, like PyTorch). */
  ignoreIndex?: number;
}

/**
 * Shared by crossEntropy (logits) and nllLoss (log-probabilities): input [N, C, d1, ...] or [C],
 * int32 target [N, d1, ...] or []. One kernel pass gives the per-element losses (and, for logits,
 * the softmax the backward needs).
 */
function classLoss(name: string, input: Tensor, target: Tensor, options: ClassLossOptions & { labelSmoothing?: number }, logits: boolean): Tensor {
  const { reduction = "mean", weight = null, ignoreIndex = -100, labelSmoothing = 0 } = options;
  checkReduction(name, reduction);
  if (input.dtype !== "float32") throw new Error(`${name}: input must be float32, got ${input.dtype}`);
  if (target.dtype !== "int32") {
    throw new Error(`${name}: target must be an int32 tensor of class indices, got ${target.dtype} ${shapeToString(target.shape)}`);
  }
  if (input.ndim === 0) throw new Error(`${name}: input must be [N, C, ...] or [C], got a scalar`);
  const unbatched = input.ndim === 1;
  const C = input.shape[unbatched ? 0 : 1];
  const expected = unbatched ? [] : [input.shape[0], ...input.shape.slice(2)];
  if (!sameShape(target.shape, expected)) {
    throw new Error(`${name}: target ${shapeToString(target.shape)} does not match input ${shapeToString(input.shape)} (expected target ${shapeToString(expected)})`);
  }
  if (weight && (weight.dtype !== "float32" || weight.ndim !== 1 || weight.shape[0] !== C)) {
    throw new Error(`${name}: weight must be a float32 tensor of shape [${C}] (one per class), got ${weight.dtype} ${shapeToString(weight.shape)}`);
  }
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new Error(`${name}: labelSmoothing must be in [0, 1], got ${labelSmoothing}`);
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
  const outer = unbatched ? 1 : input.shape[0];
  const inner = unbatched ? 1 : numel(input.shape.slice(2));
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
    const coef = reduction === "none" ? (unbatched ? g! : unsqueeze(g!, 1)) : affine(g!, 1 / divisor, 0);
    const perClass = logits ? sub(mul(softmax(xs, classDim), sum(A, classDim, true)), A) : neg(A);
    return [mul(coef, perClass)];
  });
  probs?.dispose();
  return out;
}

/**
 * Cross-entropy of logits [N, C, d1, ...] against int32 class targets [N, d1, ...]: log-softmax
 * over dim 1 and the negative log-likelihood in one fused pass. labelSmoothing ε mixes in the
 * uniform distribution: (1 − ε)·(−log p_target) + (ε/C)·Σ_c(−log p_c).
 */
export function crossEntropy(input: Tensor, target: Tensor, options: ClassLossOptions & { labelSmoothing?: number } = {}): Tensor {
  return classLoss("crossEntropy", input, target, options, true);
}

/** Negative log-likelihood of log-probabilities [N, C, d1, ...] at int32 targets [N, d1, ...]: −input[n, target_n]. */
export function nllLoss(input: Tensor, target: Tensor, options: ClassLossOptions = {}): Tensor {
  return classLoss("nllLoss", input, target, options, false);
}

// ---- modules ----

export class MSELoss extends Module {
  constructor(readonly options: { reduction?: Reduction } = {}) { super(); }
  forward(input: Tensor, target: Tensor): Tensor { return mseLoss(input, target, this.options); }
}

export class L1Loss extends Module {
  constructor(readonly options: { reduction?: Reduction } = {}) { super(); }
  forward(input: Tensor, target: Tensor): Tensor { return l1Loss(input, target, this.options); }
}

export class SmoothL1Loss extends Module {
  constructor(readonly options: { reduction?: Reduction; beta?: number } = {}) { super(); }
  forward(input: Tensor, target: Tensor): Tensor { return smoothL1Loss(input, target, this.options); }
}

export class HuberLoss extends Module {
  constructor(readonly options: { reduction?: Reduction; delta?: number } = {}) { super(); }
  forward(input: Tensor, target: Tensor): Tensor { return huberLoss(input, target, this.options); }
}

export class BCELoss extends Module {
  constructor(readonly options: { reduction?: Reduction } = {}) { super(); }
  forward(input: Tensor, target: Tensor): Tensor { return binaryCrossEntropy(input, target, this.options); }
}

export class BCEWithLogitsLoss extends Module {
  readonly posWeight: Tensor | null;
  readonly reduction: Reduction;
  constructor(options: { reduction?: Reduction; posWeight?: Tensor | null } = {}) {
    super();
    this.posWeight = options.posWeight ? buffer(options.posWeight) : null;
    this.reduction = options.reduction ?? "mean";
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, { reduction: this.reduction, posWeight: this.posWeight });
  }
}

/** Class weights are a buffer (`weight` in the state dict), as in PyTorch. */
export class NLLLoss extends Module {
  readonly weight: Tensor | null;
  readonly options: ClassLossOptions;
  constructor(options: ClassLossOptions = {}) {
    super();
    this.weight = options.weight ? buffer(options.weight) : null;
    this.options = options;
  }
  forward(input: Tensor, target: Tensor): Tensor { return nllLoss(input, target, this.options); }
}

export class CrossEntropyLoss extends Module {
  readonly weight: Tensor | null;
  readonly options: ClassLossOptions & { labelSmoothing?: number };
  constructor(options: ClassLossOptions & { labelSmoothing?: number } = {}) {
    super();
    this.weight = options.weight ? buffer(options.weight) : null;
    this.options = options;
  }
  forward(input: Tensor, target: Tensor): Tensor { return crossEntropy(input, target, this.options); }
}

export class KLDivLoss extends Module {
  constructor(readonly options: { reduction?: KlDivReduction; logTarget?: boolean } = {}) { super(); }
  forward(input: Tensor, target: Tensor): Tensor { return klDiv(input, target, this.options); }
}

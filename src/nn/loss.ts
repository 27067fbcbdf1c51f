// Losses as modules (torch.nn semantics): each holds its options (class weights as a buffer) and
// calls its function in ops/loss.ts.
import { Tensor } from "../tensor.js";
import {
  mseLoss, l1Loss, smoothL1Loss, huberLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits, crossEntropy, nllLoss, klDiv,
  gaussianNllLoss, cosineSimilarity, cosineEmbeddingLoss, marginRankingLoss, tripletMarginLoss,
  type Reduction, type KlDivReduction, type ClassLossOptions, type CrossEntropyOptions, type GaussianNllOptions,
  type CosineSimilarityOptions, type MarginLossOptions, type TripletMarginOptions,
} from "../ops/loss.js";
import { checkOptionNames } from "../ops/checks.js";
import { readArgs, readOptions, kinds, type Args } from "../ops/args.js";
import { Module, buffer } from "./module.js";

/**
 * torch.nn.MSELoss: the squared error (input − target)², averaged (reduction "mean", default), summed or kept
 * per element ("none").
 */
export class MSELoss extends Module {
  /** @param options `reduction`: "mean" (default), "sum" or "none". */
  constructor(readonly options: {
    /** "mean" (default), "sum" or "none". */
    reduction?: Reduction;
  } = {}) {
    super();
    readOptions("MSELoss", options, ["reduction"]);
  }
  /** The loss of input and target of the same shape (a 0-d tensor unless reduction is "none"). */
  forward(input: Tensor, target: Tensor): Tensor { return mseLoss(input, target, this.options); }
}

/** torch.nn.L1Loss: the absolute error |input − target|, reduced by `reduction`. */
export class L1Loss extends Module {
  /** @param options `reduction`: "mean" (default), "sum" or "none". */
  constructor(readonly options: {
    /** "mean" (default), "sum" or "none". */
    reduction?: Reduction;
  } = {}) {
    super();
    readOptions("L1Loss", options, ["reduction"]);
  }
  /** The loss of input and target of the same shape. */
  forward(input: Tensor, target: Tensor): Tensor { return l1Loss(input, target, this.options); }
}

/** torch.nn.SmoothL1Loss: 0.5·d²/beta where |d| < beta, |d| − 0.5·beta elsewhere (d = input − target). */
export class SmoothL1Loss extends Module {
  /** @param options `reduction` ("mean" default) and `beta`, the switch point (default 1). */
  constructor(readonly options: {
    /** "mean" (default), "sum" or "none". */
    reduction?: Reduction;
    /** The switch point (default 1). */
    beta?: number;
  } = {}) {
    super();
    readOptions("SmoothL1Loss", options, ["reduction", "beta"]);
  }
  /** The loss of input and target of the same shape. */
  forward(input: Tensor, target: Tensor): Tensor { return smoothL1Loss(input, target, this.options); }
}

/** torch.nn.HuberLoss: 0.5·d² where |d| < delta, delta·(|d| − 0.5·delta) elsewhere (d = input − target). */
export class HuberLoss extends Module {
  /** @param options `reduction` ("mean" default) and `delta`, the switch point (default 1). */
  constructor(readonly options: {
    /** "mean" (default), "sum" or "none". */
    reduction?: Reduction;
    /** The switch point (default 1). */
    delta?: number;
  } = {}) {
    super();
    readOptions("HuberLoss", options, ["reduction", "delta"]);
  }
  /** The loss of input and target of the same shape. */
  forward(input: Tensor, target: Tensor): Tensor { return huberLoss(input, target, this.options); }
}

/**
 * torch.nn.BCELoss: −[t·log p + (1 − t)·log(1 − p)] for probabilities p in [0, 1] (logs clamped at −100, as
 * in PyTorch).
 */
export class BCELoss extends Module {
  /** @param options `reduction`: "mean" (default), "sum" or "none". */
  constructor(readonly options: {
    /** "mean" (default), "sum" or "none". */
    reduction?: Reduction;
  } = {}) {
    super();
    readOptions("BCELoss", options, ["reduction"]);
  }
  /** The loss of probabilities input and targets in [0, 1] of the same shape. */
  forward(input: Tensor, target: Tensor): Tensor { return binaryCrossEntropy(input, target, this.options); }
}

/**
 * torch.nn.BCEWithLogitsLoss: binary cross-entropy on logits, computed stably (log-sum-exp), with an optional
 * positive-class weight.
 */
export class BCEWithLogitsLoss extends Module {
  /**
   * The weight of the positive term per class (torch's `pos_weight`, broadcast along the last dim), or null.
   */
  readonly posWeight: Tensor | null;
  /** "mean" (default), "sum" or "none". */
  readonly reduction: Reduction;
  constructor(options: { reduction?: Reduction; posWeight?: Tensor | null } = {}) {
    super();
    readOptions("BCEWithLogitsLoss", options, ["reduction", "posWeight"]);
    this.posWeight = options.posWeight ? buffer(options.posWeight) : null;
    this.reduction = options.reduction ?? "mean";
  }
  /** The loss of logits input and targets in [0, 1] of the same shape. */
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, { reduction: this.reduction, posWeight: this.posWeight });
  }
}

/** Class weights are a buffer (`weight` in the state dict), as in PyTorch. */
export class NLLLoss extends Module {
  /** The per-class weights [C] (a buffer), or null for equal weights. */
  readonly weight: Tensor | null;
  /** The options given: `ignoreIndex` (targets skipped, default −100) and `reduction`. */
  readonly options: ClassLossOptions;
  constructor(options: ClassLossOptions = {}) {
    super();
    checkOptionNames("NLLLoss", options, ["reduction", "weight", "ignoreIndex"]);
    this.weight = options.weight ? buffer(options.weight) : null;
    this.options = options;
  }
  /**
   * The loss of log-probabilities input [N, C] (or [N, C, d...]) and int32 class targets [N] (or [N, d...]):
   * −weight[t]·input[n, t], averaged over the weights.
   */
  forward(input: Tensor, target: Tensor): Tensor { return nllLoss(input, target, this.options); }
}

/** Targets are class indices (int32) or class probabilities (float32 of the input's shape). */
export class CrossEntropyLoss extends Module {
  /** The per-class weights [C] (a buffer), or null for equal weights. */
  readonly weight: Tensor | null;
  /** The options given: `ignoreIndex`, `reduction` and `labelSmoothing`. */
  readonly options: CrossEntropyOptions;
  constructor(options: CrossEntropyOptions = {}) {
    super();
    checkOptionNames("CrossEntropyLoss", options, ["reduction", "weight", "ignoreIndex", "labelSmoothing"]);
    this.weight = options.weight ? buffer(options.weight) : null;
    this.options = options;
  }
  /**
   * The loss of logits input [N, C] (or [N, C, d...]) and int32 class targets [N] or class probabilities of
   * input's shape: nllLoss(logSoftmax(input, 1), target).
   */
  forward(input: Tensor, target: Tensor): Tensor { return crossEntropy(input, target, this.options); }
}

/** torch.nn.KLDivLoss: target·(log target − input) for log-probabilities input. */
export class KLDivLoss extends Module {
  /**
   * @param options `reduction` ("mean" default, "batchmean" for the mathematical KL divergence, "sum",
   * "none") and `logTarget` (target given as log-probabilities).
   */
  constructor(readonly options: {
    /** "mean" (default), "batchmean", "sum" or "none". */
    reduction?: KlDivReduction;
    /** target holds log-probabilities. */
    logTarget?: boolean;
  } = {}) {
    super();
    readOptions("KLDivLoss", options, ["reduction", "logTarget"]);
  }
  /** The divergence of input (log-probabilities) and target of the same shape. */
  forward(input: Tensor, target: Tensor): Tensor { return klDiv(input, target, this.options); }
}

const reductionKind = kinds.oneOf("mean", "sum", "none");

/** Keyword-only in PyTorch: GaussianNLLLoss({ full, eps, reduction }); forward(input, target, var). */
export class GaussianNLLLoss extends Module {
  /**
   * The options given: `full` (add the constant ½·log 2π), `eps` (the variance's lower clamp) and
   * `reduction`.
   */
  readonly options: GaussianNllOptions;
  constructor(options: GaussianNllOptions = {}) {
    super();
    this.options = readOptions<GaussianNllOptions>("GaussianNLLLoss", options, { full: kinds.bool, eps: kinds.positive, reduction: reductionKind });
  }
  /**
   * ½·(log max(var, eps) + (input − target)²/max(var, eps)) of input, target and variance (broadcast to
   * input's shape).
   */
  forward(input: Tensor, target: Tensor, variance: Tensor): Tensor { return gaussianNllLoss(input, target, variance, this.options); }
}

/** PyTorch's order: (dim = 1, eps = 1e-8), then options. */
export class CosineSimilarity extends Module {
  /** The options given: `dim` (default 1) and `eps` (default 1e-8). */
  readonly options: CosineSimilarityOptions;
  constructor(...args: Args<[dim: number, eps: number], CosineSimilarityOptions>) {
    super();
    this.options = readArgs<CosineSimilarityOptions>("CosineSimilarity", args, { dim: kinds.int, eps: kinds.positive });
  }
  /** x1·x2 / max(‖x1‖·‖x2‖, eps) along dim (inputs broadcast); the dim is reduced. */
  forward(x1: Tensor, x2: Tensor): Tensor { return cosineSimilarity(x1, x2, this.options); }
}

/** The losses of two inputs and a ±1 target with a margin: PyTorch's order (margin = 0), then options (margin, reduction). */
abstract class MarginLoss extends Module {
  /** The options given: `margin` (default 0) and `reduction`. */
  readonly options: MarginLossOptions;
  constructor(name: string, args: readonly unknown[]) {
    super();
    this.options = readArgs<MarginLossOptions>(name, args, { margin: kinds.number }, { reduction: reductionKind });
  }
  abstract override forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor;
}

/** 1 − cos(x1, x2) where the target is 1, max(0, cos(x1, x2) − margin) where it is −1. */
export class CosineEmbeddingLoss extends MarginLoss {
  constructor(...args: Args<[margin: number], MarginLossOptions>) {
    super("CosineEmbeddingLoss", args);
  }
  /** The loss of input1 and input2 [N, D] and a ±1 target [N]. */
  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor { return cosineEmbeddingLoss(input1, input2, target, this.options); }
}

/** max(0, −target·(x1 − x2) + margin): x1 should rank above x2 where the target is 1. */
export class MarginRankingLoss extends MarginLoss {
  constructor(...args: Args<[margin: number], MarginLossOptions>) {
    super("MarginRankingLoss", args);
  }
  /** The loss of input1, input2 and a ±1 target of the same shape. */
  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor { return marginRankingLoss(input1, input2, target, this.options); }
}

/** PyTorch's order: (margin = 1, p = 2, eps = 1e-6, swap = false), then options (those and reduction). */
export class TripletMarginLoss extends Module {
  /** The options given: margin, p (the norm's order), eps, swap and reduction. */
  readonly options: TripletMarginOptions;
  constructor(...args: Args<[margin: number, p: number, eps: number, swap: boolean], TripletMarginOptions>) {
    super();
    this.options = readArgs<TripletMarginOptions>("TripletMarginLoss", args,
      { margin: kinds.number, p: kinds.positive, eps: kinds.nonNegative, swap: kinds.bool }, { reduction: reductionKind });
  }
  /**
   * max(‖a − p‖ − ‖a − n‖ + margin, 0) over rows of anchor, positive and negative [N, D] (with swap, the
   * smaller of the anchor's and the positive's distance to negative).
   */
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor { return tripletMarginLoss(anchor, positive, negative, this.options); }
}

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

export class MSELoss extends Module {
  constructor(readonly options: { reduction?: Reduction } = {}) {
    super();
    readOptions("MSELoss", options, ["reduction"]);
  }
  forward(input: Tensor, target: Tensor): Tensor { return mseLoss(input, target, this.options); }
}

export class L1Loss extends Module {
  constructor(readonly options: { reduction?: Reduction } = {}) {
    super();
    readOptions("L1Loss", options, ["reduction"]);
  }
  forward(input: Tensor, target: Tensor): Tensor { return l1Loss(input, target, this.options); }
}

export class SmoothL1Loss extends Module {
  constructor(readonly options: { reduction?: Reduction; beta?: number } = {}) {
    super();
    readOptions("SmoothL1Loss", options, ["reduction", "beta"]);
  }
  forward(input: Tensor, target: Tensor): Tensor { return smoothL1Loss(input, target, this.options); }
}

export class HuberLoss extends Module {
  constructor(readonly options: { reduction?: Reduction; delta?: number } = {}) {
    super();
    readOptions("HuberLoss", options, ["reduction", "delta"]);
  }
  forward(input: Tensor, target: Tensor): Tensor { return huberLoss(input, target, this.options); }
}

export class BCELoss extends Module {
  constructor(readonly options: { reduction?: Reduction } = {}) {
    super();
    readOptions("BCELoss", options, ["reduction"]);
  }
  forward(input: Tensor, target: Tensor): Tensor { return binaryCrossEntropy(input, target, this.options); }
}

export class BCEWithLogitsLoss extends Module {
  readonly posWeight: Tensor | null;
  readonly reduction: Reduction;
  constructor(options: { reduction?: Reduction; posWeight?: Tensor | null } = {}) {
    super();
    readOptions("BCEWithLogitsLoss", options, ["reduction", "posWeight"]);
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
    checkOptionNames("NLLLoss", options, ["reduction", "weight", "ignoreIndex"]);
    this.weight = options.weight ? buffer(options.weight) : null;
    this.options = options;
  }
  forward(input: Tensor, target: Tensor): Tensor { return nllLoss(input, target, this.options); }
}

/** Targets are class indices (int32) or class probabilities (float32 of the input's shape). */
export class CrossEntropyLoss extends Module {
  readonly weight: Tensor | null;
  readonly options: CrossEntropyOptions;
  constructor(options: CrossEntropyOptions = {}) {
    super();
    checkOptionNames("CrossEntropyLoss", options, ["reduction", "weight", "ignoreIndex", "labelSmoothing"]);
    this.weight = options.weight ? buffer(options.weight) : null;
    this.options = options;
  }
  forward(input: Tensor, target: Tensor): Tensor { return crossEntropy(input, target, this.options); }
}

export class KLDivLoss extends Module {
  constructor(readonly options: { reduction?: KlDivReduction; logTarget?: boolean } = {}) {
    super();
    readOptions("KLDivLoss", options, ["reduction", "logTarget"]);
  }
  forward(input: Tensor, target: Tensor): Tensor { return klDiv(input, target, this.options); }
}

const reductionKind = kinds.oneOf("mean", "sum", "none");

/** Keyword-only in PyTorch: GaussianNLLLoss({ full, eps, reduction }); forward(input, target, var). */
export class GaussianNLLLoss extends Module {
  readonly options: GaussianNllOptions;
  constructor(options: GaussianNllOptions = {}) {
    super();
    this.options = readOptions<GaussianNllOptions>("GaussianNLLLoss", options, { full: kinds.bool, eps: kinds.positive, reduction: reductionKind });
  }
  forward(input: Tensor, target: Tensor, variance: Tensor): Tensor { return gaussianNllLoss(input, target, variance, this.options); }
}

/** PyTorch's order: (dim = 1, eps = 1e-8), then options. */
export class CosineSimilarity extends Module {
  readonly options: CosineSimilarityOptions;
  constructor(...args: Args<[dim: number, eps: number], CosineSimilarityOptions>) {
    super();
    this.options = readArgs<CosineSimilarityOptions>("CosineSimilarity", args, { dim: kinds.int, eps: kinds.positive });
  }
  forward(x1: Tensor, x2: Tensor): Tensor { return cosineSimilarity(x1, x2, this.options); }
}

/** The losses of two inputs and a ±1 target with a margin: PyTorch's order (margin = 0), then options (margin, reduction). */
abstract class MarginLoss extends Module {
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
  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor { return cosineEmbeddingLoss(input1, input2, target, this.options); }
}

/** max(0, −target·(x1 − x2) + margin): x1 should rank above x2 where the target is 1. */
export class MarginRankingLoss extends MarginLoss {
  constructor(...args: Args<[margin: number], MarginLossOptions>) {
    super("MarginRankingLoss", args);
  }
  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor { return marginRankingLoss(input1, input2, target, this.options); }
}

/** PyTorch's order: (margin = 1, p = 2, eps = 1e-6, swap = false), then options (those and reduction). */
export class TripletMarginLoss extends Module {
  readonly options: TripletMarginOptions;
  constructor(...args: Args<[margin: number, p: number, eps: number, swap: boolean], TripletMarginOptions>) {
    super();
    this.options = readArgs<TripletMarginOptions>("TripletMarginLoss", args,
      { margin: kinds.number, p: kinds.positive, eps: kinds.nonNegative, swap: kinds.bool }, { reduction: reductionKind });
  }
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor { return tripletMarginLoss(anchor, positive, negative, this.options); }
}

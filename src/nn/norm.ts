// Normalisation layers: BatchNorm1d/2d (running statistics as buffers, PyTorch's state-dict keys
// running_mean, running_var, num_batches_tracked), LayerNorm and GroupNorm.
import { Tensor, shapeToString } from "../tensor.js";
import { batchNorm, layerNorm, groupNorm } from "../ops/norm.js";
import { readArgs, kinds, type Args } from "../ops/args.js";
import { Module, parameter, buffer, reprBool, reprFloat } from "./module.js";
import { reprTuple } from "./conv.js";

export interface BatchNormOptions {
  eps?: number;
  /** Weight of each batch in the running statistics; null = cumulative average (1/num_batches_tracked). Default 0.1. */
  momentum?: number | null;
  /** Learnable per-channel weight (ones) and bias (zeros). Default true. */
  affine?: boolean;
  /** Keep running statistics for eval (else eval uses the batch statistics too). Default true. */
  trackRunningStats?: boolean;
}

abstract class BatchNormNd extends Module {
  /** The per-channel scale γ [C], ones at init; null with `affine: false`. */
  readonly weight: Tensor | null;
  /** The per-channel shift β [C], zeros at init; null with `affine: false`. */
  readonly bias: Tensor | null;
  // Field names are PyTorch's state-dict keys.
  /** The running mean [C] (a buffer), used in eval mode; null with `trackRunningStats: false`. */
  readonly running_mean: Tensor | null;
  /**
   * The running variance [C] (a buffer, unbiased batch variances), used in eval mode; null with
   * `trackRunningStats: false`.
   */
  readonly running_var: Tensor | null;
  /** The number of training batches seen (a buffer, int32); null without running statistics. */
  readonly num_batches_tracked: Tensor | null;
  /** Added to the variance before the square root (default 1e-5). */
  readonly eps: number;
  /**
   * The weight of each new batch statistic in the running averages (default 0.1); null for a cumulative
   * average.
   */
  readonly momentum: number | null;

  /** C, the channels (torch's `num_features`). */
  readonly numFeatures: number;

  /** PyTorch's order: (numFeatures, eps, momentum, affine, trackRunningStats), then options. */
  constructor(numFeatures: number, ...args: Args<[eps: number, momentum: number | null, affine: boolean, trackRunningStats: boolean], BatchNormOptions>) {
    super();
    const { eps = 1e-5, momentum = 0.1, affine = true, trackRunningStats = true } = readArgs<BatchNormOptions>(new.target.name, [numFeatures, ...args], {
      numFeatures: kinds.positiveInt, eps: kinds.positive, momentum: kinds.orNull(kinds.number), affine: kinds.bool, trackRunningStats: kinds.bool,
    }, {}, ["numFeatures"]);
    this.numFeatures = numFeatures;
    this.eps = eps;
    this.momentum = momentum;
    const name = this.constructor.name;
    this.weight = affine ? parameter(Tensor.empty([numFeatures], "float32", `${name} weight`).fill_(1)) : null;
    this.bias = affine ? parameter(Tensor.empty([numFeatures], "float32", `${name} bias`).zero_()) : null;
    this.running_mean = trackRunningStats ? buffer(Tensor.empty([numFeatures], "float32", `${name} running_mean`)) : null;
    this.running_var = trackRunningStats ? buffer(Tensor.empty([numFeatures], "float32", `${name} running_var`)) : null;
    this.num_batches_tracked = trackRunningStats ? buffer(Tensor.empty([], "int32", `${name} num_batches_tracked`)) : null;
    this.resetRunningStats();
  }

  /** running_mean = 0, running_var = 1, num_batches_tracked = 0. */
  resetRunningStats(): void {
    this.running_mean?.zero_();
    this.running_var?.fill_(1);
    this.num_batches_tracked?.zero_();
  }

  /** Ranks of input this layer accepts, for the error message. */
  protected abstract checkRank(x: Tensor): void;

  forward(x: Tensor): Tensor {
    const name = this.constructor.name;
    this.checkRank(x);
    if (x.shape[1] !== this.numFeatures) {
      throw new Error(`${name}: expected ${this.numFeatures} channels (dim 1), got input ${shapeToString(x.shape)}`);
    }
    const tracked = this.num_batches_tracked;
    const updating = this.training && tracked !== null;
    const batches = updating ? tracked.liveData()[0] + 1 : 0;
    const momentum = updating && this.momentum === null ? 1 / batches : (this.momentum ?? 0);
    const y = batchNorm(x, this.running_mean, this.running_var, this.weight, this.bias, {
      training: this.training || this.running_mean === null, momentum, eps: this.eps,
    });
    if (updating) tracked.liveData()[0] = batches;
    return y;
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${reprFloat(this.eps)}, momentum=${this.momentum === null ? "None" : reprFloat(this.momentum)}, ` +
      `affine=${reprBool(this.weight !== null)}, track_running_stats=${reprBool(this.running_mean !== null)}`;
  }
}

/** Batch norm over [N, C] or [N, C, L]: per-channel statistics over the batch (and length). */
export class BatchNorm1d extends BatchNormNd {
  protected checkRank(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) throw new Error(`BatchNorm1d: expected a 2-D [N, C] or 3-D [N, C, L] input, got ${shapeToString(x.shape)}`);
  }
}

/** Batch norm over [N, C, H, W]: per-channel statistics over the batch and the plane. */
export class BatchNorm2d extends BatchNormNd {
  protected checkRank(x: Tensor): void {
    if (x.ndim !== 4) throw new Error(`BatchNorm2d: expected a 4-D [N, C, H, W] input, got ${shapeToString(x.shape)}`);
  }
}

export interface LayerNormOptions {
  eps?: number;
  elementwiseAffine?: boolean;
  bias?: boolean;
}

/** Normalises over the last dims (normalizedShape) of each sample, with an elementwise affine of that shape. */
export class LayerNorm extends Module {
  /** The per-element scale γ of normalizedShape, ones at init; null with `elementwiseAffine: false`. */
  readonly weight: Tensor | null;
  /** The per-element shift β of normalizedShape, zeros at init; null without affine or with `bias: false`. */
  readonly bias: Tensor | null;
  /** The trailing dims normalised over (torch's `normalized_shape`). */
  readonly normalizedShape: number[];
  /** Added to the variance before the square root (default 1e-5). */
  readonly eps: number;

  /** PyTorch's order: (normalizedShape, eps, elementwiseAffine, bias), then options. */
  constructor(normalizedShape: number | readonly number[], ...args: Args<[eps: number, elementwiseAffine: boolean, bias: boolean], LayerNormOptions>) {
    super();
    const { eps = 1e-5, elementwiseAffine = true, bias = true } = readArgs<LayerNormOptions>("LayerNorm", [normalizedShape, ...args], {
      normalizedShape: kinds.size, eps: kinds.positive, elementwiseAffine: kinds.bool, bias: kinds.bool,
    }, {}, ["normalizedShape"]);
    this.normalizedShape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    this.eps = eps;
    const shape = this.normalizedShape;
    this.weight = elementwiseAffine ? parameter(Tensor.empty(shape, "float32", "LayerNorm weight").fill_(1)) : null;
    this.bias = elementwiseAffine && bias ? parameter(Tensor.empty(shape, "float32", "LayerNorm bias").zero_()) : null;
  }

  /** Normalises x over its last normalizedShape.length dims; x's trailing dims must equal normalizedShape. */
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${reprTuple(this.normalizedShape)}, eps=${reprFloat(this.eps)}, elementwise_affine=${reprBool(this.weight !== null)}`;
  }
}

/** Normalises each sample over groups of numChannels/numGroups channels, with a per-channel affine. */
export class GroupNorm extends Module {
  /** The per-channel scale γ [numChannels], ones at init; null with `affine: false`. */
  readonly weight: Tensor | null;
  /** The per-channel shift β [numChannels], zeros at init; null with `affine: false`. */
  readonly bias: Tensor | null;
  /** Added to the variance before the square root (default 1e-5). */
  readonly eps: number;

  /**
   * PyTorch's order: (numGroups, numChannels, eps, affine), then options.
   * @param numGroups The number of groups the channels are split into (must divide numChannels).
   * @param numChannels C, the channels of the input [N, C, ...].
   */
  constructor(readonly numGroups: number, readonly numChannels: number, ...args: Args<[eps: number, affine: boolean], { eps?: number; affine?: boolean }>) {
    super();
    const { eps = 1e-5, affine = true } = readArgs<{ eps?: number; affine?: boolean }>("GroupNorm", [numGroups, numChannels, ...args], {
      numGroups: kinds.positiveInt, numChannels: kinds.positiveInt, eps: kinds.positive, affine: kinds.bool,
    }, {}, ["numGroups", "numChannels"]);
    if (!Number.isInteger(numGroups) || numGroups < 1 || numChannels % numGroups !== 0) {
      throw new Error(`GroupNorm: num_channels (${numChannels}) must be divisible by num_groups (${numGroups})`);
    }
    this.eps = eps;
    this.weight = affine ? parameter(Tensor.empty([numChannels], "float32", "GroupNorm weight").fill_(1)) : null;
    this.bias = affine ? parameter(Tensor.empty([numChannels], "float32", "GroupNorm bias").zero_()) : null;
  }

  /**
   * Normalises x [N, C, ...] over each group of C/numGroups channels and the spatial dims, then applies the
   * per-channel affine.
   */
  forward(x: Tensor): Tensor {
    if (x.ndim < 2 || x.shape[1] !== this.numChannels) {
      throw new Error(`GroupNorm: expected an input [N, ${this.numChannels}, ...], got ${shapeToString(x.shape)}`);
    }
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${reprFloat(this.eps)}, affine=${reprBool(this.weight !== null)}`;
  }
}

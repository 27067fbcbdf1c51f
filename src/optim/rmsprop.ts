// RMSprop (Hinton, Coursera lecture 6e): divide the gradient by a running RMS of recent gradients;
// `centered` subtracts the running mean first (Graves 2013), so it normalises by the variance.
import type { Tensor } from "../tensor.js";
import { Optimizer, checkOption, type ParamGroup, type ParamGroupSpec, type StepKernel } from "./optimizer.js";
import type { Args } from "../ops/args.js";

/** The options of RMSprop (torch's arguments, camelCased). */
export interface RMSpropOptions {
  /** The learning rate. Default 1e-2. */
  lr: number;
  /** Smoothing constant of the running mean of g². Default 0.99. */
  alpha: number;
  /** Added to the denominator. Default 1e-8. */
  eps: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay: number;
  /** Momentum factor. Default 0. */
  momentum: number;
  /**
   * Normalise by an estimate of the gradient's variance (v − ḡ²) instead of its second moment. Default false.
   */
  centered: boolean;
  /** Ascend instead of descend. Default false. */
  maximize: boolean;
}

/**
 * torch.optim.RMSprop (Hinton's lecture 6e): p −= lr·g/(√v + eps) with v a running mean of g²; centered
 * subtracts the squared running mean of g; optional momentum.
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  /** PyTorch's order: (params, lr, alpha, eps, weightDecay, momentum, centered), then options (also maximize). */
  constructor(params: Tensor[] | ParamGroupSpec<RMSpropOptions>[], ...args: Args<[lr: number, alpha: number, eps: number, weightDecay: number, momentum: number, centered: boolean], Partial<RMSpropOptions>>) {
    super(params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false }, args,
      ["lr", "alpha", "eps", "weightDecay", "momentum", "centered"]);
  }

  protected override get name(): string {
    return "RMSprop";
  }

  protected checkOptions(o: RMSpropOptions): void {
    checkOption(this.name, o.lr >= 0, "learning rate", o.lr);
    checkOption(this.name, o.eps >= 0, "epsilon value", o.eps);
    checkOption(this.name, o.alpha >= 0, "alpha value", o.alpha);
    checkOption(this.name, o.momentum >= 0, "momentum value", o.momentum);
    checkOption(this.name, o.weightDecay >= 0, "weightDecay value", o.weightDecay);
  }

  protected stateBuffers(o: ParamGroup<RMSpropOptions>): readonly (string | null)[] {
    return ["square_avg", o.centered ? "grad_avg" : null, o.momentum > 0 ? "momentum_buffer" : null];
  }

  protected updateKernel(o: ParamGroup<RMSpropOptions>): [StepKernel, number[]] {
    return ["rmsprop_step_multi_f32", [o.lr, o.alpha, o.eps, o.weightDecay, o.momentum, +o.maximize]];
  }
}

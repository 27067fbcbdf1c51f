// Adagrad (Duchi, Hazan & Singer 2011): per-coordinate step sizes from the sum of all squared
// gradients so far, so rarely-updated coordinates keep large steps.
import type { Tensor } from "../tensor.js";
import { Optimizer, checkOption, type ParamGroup, type ParamGroupSpec, type StepKernel } from "./optimizer.js";
import type { Args } from "../ops/args.js";

/** The options of Adagrad (torch's arguments, camelCased). */
export interface AdagradOptions {
  /** The learning rate. Default 1e-2. */
  lr: number;
  /** The lr's decay per step. Default 0. */
  lrDecay: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay: number;
  /** The starting value of the sum of squares. Default 0. */
  initialAccumulatorValue: number;
  /** Added to the denominator. Default 1e-10. */
  eps: number;
  /** Ascend instead of descend. Default false. */
  maximize: boolean;
}

/**
 * torch.optim.Adagrad (Duchi et al. 2011): p −= lr'·g/(√s + eps) with s the sum of squared gradients so far
 * and lr' = lr/(1 + (t − 1)·lrDecay).
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  /** PyTorch's order: (params, lr, lrDecay, weightDecay, initialAccumulatorValue, eps), then options (also maximize). */
  constructor(params: Tensor[] | ParamGroupSpec<AdagradOptions>[], ...args: Args<[lr: number, lrDecay: number, weightDecay: number, initialAccumulatorValue: number, eps: number], Partial<AdagradOptions>>) {
    super(params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false }, args,
      ["lr", "lrDecay", "weightDecay", "initialAccumulatorValue", "eps"]);
  }

  protected override get name(): string {
    return "Adagrad";
  }

  protected checkOptions(o: AdagradOptions): void {
    checkOption(this.name, o.lr >= 0, "learning rate", o.lr);
    checkOption(this.name, o.lrDecay >= 0, "lrDecay value", o.lrDecay);
    checkOption(this.name, o.weightDecay >= 0, "weightDecay value", o.weightDecay);
    checkOption(this.name, o.initialAccumulatorValue >= 0, "initialAccumulatorValue value", o.initialAccumulatorValue);
    checkOption(this.name, o.eps >= 0, "epsilon value", o.eps);
  }

  protected stateBuffers(): readonly (string | null)[] {
    return ["sum"];
  }

  protected override initialStateValue(o: ParamGroup<AdagradOptions>): number {
    return o.initialAccumulatorValue;
  }

  protected updateKernel(o: ParamGroup<AdagradOptions>): [StepKernel, number[]] {
    return ["adagrad_step_multi_f32", [o.lr, o.lrDecay, o.eps, o.weightDecay, +o.maximize]];
  }
}

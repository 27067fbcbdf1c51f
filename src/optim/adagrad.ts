// Adagrad (Duchi, Hazan & Singer 2011): per-coordinate step sizes from the sum of all squared
// gradients so far, so rarely-updated coordinates keep large steps.
import type { Tensor } from "../tensor.js";
import { Optimizer, checkOption, type ParamGroup, type ParamGroupSpec, type StepKernel } from "./optimizer.js";
import type { Args } from "../ops/args.js";

export interface AdagradOptions {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

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

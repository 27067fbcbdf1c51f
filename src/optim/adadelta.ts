// Adadelta (Zeiler 2012, https://arxiv.org/abs/1212.5701): the step is the ratio of running RMS of
// past updates to running RMS of gradients, so it has the units of the parameter and lr defaults to 1.
import type { Tensor } from "../tensor.js";
import { Optimizer, checkOption, type ParamGroup, type ParamGroupSpec, type StepKernel } from "./optimizer.js";
import type { Args } from "../ops/args.js";

/** The options of Adadelta (torch's arguments, camelCased). */
export interface AdadeltaOptions {
  /** A factor on each step. Default 1. */
  lr: number;
  /** Decay rate of both running means. Default 0.9. */
  rho: number;
  /** Added inside both square roots. Default 1e-6. */
  eps: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay: number;
  /** Ascend instead of descend. Default false. */
  maximize: boolean;
}

/**
 * torch.optim.Adadelta (Zeiler 2012): steps of size √(u + eps)/√(v + eps)·g with running means v of g² and u
 * of the squared steps, scaled by lr.
 */
export class Adadelta extends Optimizer<AdadeltaOptions> {
  /** PyTorch's order: (params, lr, rho, eps, weightDecay), then options (also maximize). */
  constructor(params: Tensor[] | ParamGroupSpec<AdadeltaOptions>[], ...args: Args<[lr: number, rho: number, eps: number, weightDecay: number], Partial<AdadeltaOptions>>) {
    super(params, { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false }, args, ["lr", "rho", "eps", "weightDecay"]);
  }

  protected override get name(): string {
    return "Adadelta";
  }

  protected checkOptions(o: AdadeltaOptions): void {
    checkOption(this.name, o.lr >= 0, "learning rate", o.lr);
    checkOption(this.name, o.rho >= 0 && o.rho <= 1, "rho value (expected 0 <= rho <= 1)", o.rho);
    checkOption(this.name, o.eps >= 0, "epsilon value", o.eps);
    checkOption(this.name, o.weightDecay >= 0, "weightDecay value", o.weightDecay);
  }

  protected stateBuffers(): readonly (string | null)[] {
    return ["square_avg", "acc_delta"];
  }

  protected updateKernel(o: ParamGroup<AdadeltaOptions>): [StepKernel, number[]] {
    return ["adadelta_step_multi_f32", [o.lr, o.rho, o.eps, o.weightDecay, +o.maximize]];
  }
}

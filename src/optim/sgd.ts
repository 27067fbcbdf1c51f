// Stochastic gradient descent with momentum (Polyak, or Nesterov as in Sutskever et al. 2013),
// PyTorch's formulation: the first step seeds the momentum buffer with the gradient itself.
import type { Tensor } from "../tensor.js";
import { Optimizer, checkOption, type ParamGroup, type ParamGroupSpec, type StepKernel } from "./optimizer.js";
import type { Args } from "../ops/args.js";

/** The options of SGD (torch.optim.SGD's arguments, camelCased). */
export interface SGDOptions {
  /** The learning rate (required). */
  lr: number;
  /** Momentum factor (0 = plain SGD). Default 0. */
  momentum: number;
  /** Dampening of the gradient in the momentum buffer. Default 0. */
  dampening: number;
  /** L2 penalty added to the gradient (weightDecay·p). Default 0. */
  weightDecay: number;
  /** Nesterov momentum: step along g + momentum·b instead of b. Default false. */
  nesterov: boolean;
  /** Ascend instead of descend (maximise the objective). Default false. */
  maximize: boolean;
}

/**
 * torch.optim.SGD: p −= lr·(g + weightDecay·p), with momentum (buffer b = momentum·b + (1 − dampening)·g) and
 * Nesterov's variant, as in PyTorch.
 */
export class SGD extends Optimizer<SGDOptions> {
  /** PyTorch's order: (params, lr, momentum, dampening, weightDecay, nesterov), then options (also maximize). lr has no default, as in PyTorch 1.13. */
  constructor(params: Tensor[] | ParamGroupSpec<SGDOptions>[], ...args: Args<[lr: number, momentum: number, dampening: number, weightDecay: number, nesterov: boolean], Partial<SGDOptions>>) {
    super(params, { lr: NaN, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false }, args,
      ["lr", "momentum", "dampening", "weightDecay", "nesterov"], ["lr"]);
  }

  protected override get name(): string {
    return "SGD";
  }

  protected checkOptions(o: SGDOptions): void {
    checkOption(this.name, o.lr >= 0, "learning rate", o.lr);
    checkOption(this.name, o.momentum >= 0, "momentum value", o.momentum);
    checkOption(this.name, o.weightDecay >= 0, "weightDecay value", o.weightDecay);
    checkOption(this.name, !o.nesterov || (o.momentum > 0 && o.dampening === 0), "nesterov (requires momentum > 0 and zero dampening)", o.nesterov);
  }

  protected stateBuffers(o: ParamGroup<SGDOptions>): readonly (string | null)[] {
    return [o.momentum !== 0 ? "momentum_buffer" : null];
  }

  protected updateKernel(o: ParamGroup<SGDOptions>): [StepKernel, number[]] {
    return ["sgd_step_multi_f32", [o.lr, o.momentum, o.dampening, o.weightDecay, +o.nesterov, +o.maximize]];
  }
}

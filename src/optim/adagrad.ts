// Adagrad (Duchi, Hazan & Singer 2011): per-coordinate step sizes from the sum of all squared
// gradients so far, so rarely-updated coordinates keep large steps.
import { backend } from "../backend/wasm.js";
import type { Tensor } from "../tensor.js";
import { Optimizer, checkOption, type ParamGroup, type ParamGroupSpec, type ParamState } from "./optimizer.js";

export interface AdagradOptions {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: Tensor[] | ParamGroupSpec<AdagradOptions>[], options: Partial<AdagradOptions> = {}) {
    super(params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false }, options);
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

  protected update(p: Tensor, g: Tensor, state: ParamState, o: ParamGroup<AdagradOptions>): void {
    const sum = this.buffer(state, "sum", p, o.initialAccumulatorValue).ptr;
    backend().kernels.adagrad_step_f32(p.ptr, g.ptr, sum, p.size, o.lr, o.lrDecay, o.eps, o.weightDecay, state.step, o.maximize);
  }
}

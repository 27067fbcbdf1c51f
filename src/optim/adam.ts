// Adam (Kingma & Ba 2014, https://arxiv.org/abs/1412.6980) with PyTorch's bias correction and
// optional AMSGrad (Reddi et al. 2018), and AdamW (Loshchilov & Hutter 2017,
// https://arxiv.org/abs/1711.05101), whose weight decay shrinks the weights directly instead of
// being added to the gradient (where Adam's normalisation would cancel most of it).
import type { Tensor } from "../tensor.js";
import { Optimizer, checkOption, type ParamGroup, type ParamGroupSpec, type StepKernel } from "./optimizer.js";
import type { Args } from "../ops/args.js";

type AdamArgs = Args<[lr: number, betas: [number, number], eps: number, weightDecay: number, amsgrad: boolean], Partial<AdamOptions>>;

/** The options of Adam and AdamW (torch's arguments, camelCased). */
export interface AdamOptions {
  /** The learning rate. Default 1e-3. */
  lr: number;
  /** Decay rates of the running means of the gradient and its square. Default [0.9, 0.999]. */
  betas: [number, number];
  /** Added to the denominator √v̂ + eps. Default 1e-8. */
  eps: number;
  /**
   * Weight decay: an L2 penalty on the gradient (Adam) or decoupled (AdamW). Default 0 (Adam), 1e-2 (AdamW).
   */
  weightDecay: number;
  /** Use the maximum of the second-moment estimates so far (AMSGrad, Reddi et al. 2018). Default false. */
  amsgrad: boolean;
  /** Ascend instead of descend. Default false. */
  maximize: boolean;
}

/**
 * torch.optim.Adam (Kingma & Ba 2015): per-parameter steps from bias-corrected running means of the gradient
 * and its square; weightDecay is an L2 penalty added to the gradient.
 */
export class Adam extends Optimizer<AdamOptions> {
  /** The default weight decay: 0 for Adam, 1e-2 for AdamW (as in PyTorch). */
  protected static readonly defaultWeightDecay: number = 0;

  /** PyTorch's order: (params, lr, betas, eps, weightDecay, amsgrad), then options (also maximize). */
  constructor(params: Tensor[] | ParamGroupSpec<AdamOptions>[], ...args: AdamArgs) {
    const weightDecay = (new.target as typeof Adam).defaultWeightDecay;
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay, amsgrad: false, maximize: false }, args, ["lr", "betas", "eps", "weightDecay", "amsgrad"]);
  }

  protected override get name(): string {
    return "Adam";
  }

  /** AdamW: weight decay applied to the weights, not the gradient. */
  protected get decoupled(): boolean {
    return false;
  }

  protected checkOptions(o: AdamOptions): void {
    checkOption(this.name, o.lr >= 0, "learning rate", o.lr);
    checkOption(this.name, o.eps >= 0, "epsilon value", o.eps);
    checkOption(this.name, Array.isArray(o.betas) && o.betas.length === 2, "betas (expected two numbers)", o.betas);
    o.betas.forEach((b, i) => checkOption(this.name, b >= 0 && b < 1, `beta parameter at index ${i} (expected 0 <= beta < 1)`, b));
    checkOption(this.name, o.weightDecay >= 0, "weightDecay value", o.weightDecay);
  }

  protected stateBuffers(o: ParamGroup<AdamOptions>): readonly (string | null)[] {
    return ["exp_avg", "exp_avg_sq", o.amsgrad ? "max_exp_avg_sq" : null];
  }

  protected updateKernel(o: ParamGroup<AdamOptions>): [StepKernel, number[]] {
    return ["adam_step_multi_f32", [o.lr, o.betas[0], o.betas[1], o.eps, o.weightDecay, +this.decoupled, +o.maximize]];
  }
}

/**
 * torch.optim.AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay, p −= lr·weightDecay·p
 * before the Adam step; weightDecay defaults to 1e-2.
 */
export class AdamW extends Adam {
  protected static override readonly defaultWeightDecay: number = 1e-2;

  protected override get name(): string {
    return "AdamW";
  }

  protected override get decoupled(): boolean {
    return true;
  }
}

// Learning-rate schedulers (torch.optim.lr_scheduler), called once per epoch (or per step) after
// optimizer.step(). Each epoch-based scheduler is a closed form lr(e) of the group's base lr —
// PyTorch's _get_closed_form_lr — so long schedules do not accumulate rounding, and the value at
// any epoch is known without replaying the previous ones. The price: a scheduler overwrites the
// lr instead of multiplying whatever is there (PyTorch's "chainable" form), so two schedulers on
// one optimizer do not compose; chain them in time with SequentialLR (e.g. warmup then cosine).
// ReduceLROnPlateau is the exception: it reacts to a metric, so it scales the current lr.
import { readArgs, kinds, type Args, type Kind } from "../ops/args.js";
import { Tensor } from "../tensor.js";
import { checkOption } from "./optimizer.js";
import type { Optimizer } from "./optimizer.js";

/** PyTorch's layout: `last_epoch`, `base_lrs`, `_last_lr`. */
export interface SchedulerStateDict {
  /** The number of step() calls so far. */
  last_epoch: number;
  /** Each parameter group's lr at epoch 0. */
  base_lrs: number[];
  /** Each group's lr after the last step() (what getLastLr() returns). */
  _last_lr: number[];
}

// PyTorch's last two positional arguments of every scheduler; resuming goes through loadStateDict.
const RESUME_ARGS = {
  lastEpoch: kinds.only(-1, "resume with loadStateDict"),
  verbose: kinds.only(false, "read getLastLr()"),
};

/** The settings a scheduler takes after the optimizer, in PyTorch's order; `required` ones have no default. */
export interface SchedulerSignature {
  order: readonly string[];
  required?: readonly string[];
}

/** PyTorch's positional order after the optimizer (P, then lastEpoch and verbose), then an options object. */
export type SchedulerArgs<P extends unknown[], O> = Args<[...P, lastEpoch: number, verbose: boolean], O>;

const anyValue = (keys: readonly string[]): Record<string, Kind> => Object.fromEntries(keys.map((k) => [k, kinds.any]));

/**
 * torch.optim.lr_scheduler.LRScheduler: sets each parameter group's lr to `lrAt(epoch, baseLr)` on every
 * step() (call it once per epoch, after optimizer.step()). Subclasses define lrAt in closed form;
 * stateDict/loadStateDict save and resume.
 */
export abstract class LRScheduler<O = unknown> {
  /** Number of step() calls so far (PyTorch's last_epoch). */
  lastEpoch = 0;
  /** Each group's lr at epoch 0: its initialLr (set here from lr by the first scheduler attached). */
  baseLrs: number[];
  private lastLr: number[] = [];
  /** The scheduler's settings, read from its arguments in PyTorch's order and checked by checkOptions. */
  protected readonly options: O;

  /**
   * PyTorch's order after the optimizer (the signature of each scheduler), then optionally an options object.
   * @param optimizer The optimizer whose parameter groups' lr this scheduler sets.
   */
  constructor(readonly optimizer: Optimizer, ...args: unknown[]) {
    const { order, required = [] } = this.signature;
    const { lastEpoch: _, verbose: __, ...options } = readArgs<O & { lastEpoch?: number; verbose?: boolean }>(this.name, args, { ...anyValue(order), ...RESUME_ARGS }, {}, required);
    this.options = options as O;
    this.checkOptions(this.options);
    for (const g of optimizer.paramGroups) g.initialLr ??= g.lr;
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
    this.apply();
  }

  /** For error messages; subclasses override it (a getter, so it works during construction). */
  protected get name(): string {
    return "LRScheduler";
  }

  /** Its settings in PyTorch's order (any other is an error naming it); a getter, so it works during construction. */
  protected get signature(): SchedulerSignature {
    return { order: [] };
  }

  /** Checks the settings, with an error naming the scheduler and the setting. */
  protected abstract checkOptions(options: O): void;

  /** The lr at epoch e of a group whose base lr is baseLr. */
  abstract lrAt(epoch: number, baseLr: number): number;

  /** Advances one epoch and writes the new lr into every parameter group. */
  step(): void {
    this.lastEpoch++;
    this.apply();
  }

  private apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.lrAt(this.lastEpoch, this.baseLrs[i])));
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The lr of each group as this scheduler last set it. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The state to save with the optimizer's (PyTorch's keys: `last_epoch`, `base_lrs`, `_last_lr`). */
  stateDict(): SchedulerStateDict {
    return { last_epoch: this.lastEpoch, base_lrs: [...this.baseLrs], _last_lr: [...this.lastLr] };
  }

  /** Restores the epoch count and base lrs, and sets every group's lr for that epoch (so the order of loading this and the optimizer's state does not matter). */
  loadStateDict(sd: SchedulerStateDict): void {
    const n = this.optimizer.paramGroups.length;
    if (sd.base_lrs.length !== n) throw new Error(`${this.name}.loadStateDict: ${sd.base_lrs.length} base lrs for ${n} parameter groups`);
    this.lastEpoch = sd.last_epoch;
    this.baseLrs = [...sd.base_lrs];
    this.apply();
  }
}

/** The options of StepLR. */
export interface StepLROptions {
  /** Epochs between decays. */
  stepSize: number;
  /** The factor per decay (default 0.1). */
  gamma?: number;
}

/** lr · gamma^floor(e / stepSize): decays by gamma every stepSize epochs. */
export class StepLR extends LRScheduler<StepLROptions> {
  constructor(optimizer: Optimizer, ...args: SchedulerArgs<[stepSize: number, gamma: number], StepLROptions>) {
    super(optimizer, ...args);
  }
  protected override get name(): string {
    return "StepLR";
  }
  protected override get signature(): SchedulerSignature {
    return { order: ["stepSize", "gamma"], required: ["stepSize"] };
  }
  protected checkOptions(o: StepLROptions): void {
    checkOption(this.name, Number.isInteger(o.stepSize) && o.stepSize > 0, "stepSize (expected a positive integer)", o.stepSize);
  }
  lrAt(epoch: number, baseLr: number): number {
    return baseLr * (this.options.gamma ?? 0.1) ** Math.floor(epoch / this.options.stepSize);
  }
}

/** The options of MultiStepLR. */
export interface MultiStepLROptions {
  /** The epochs at which the lr is multiplied by gamma, increasing. */
  milestones: number[];
  /** The factor at each milestone (default 0.1). */
  gamma?: number;
}

/** lr · gamma^(number of milestones ≤ e): decays by gamma at each milestone epoch. */
export class MultiStepLR extends LRScheduler<MultiStepLROptions> {
  constructor(optimizer: Optimizer, ...args: SchedulerArgs<[milestones: number[], gamma: number], MultiStepLROptions>) {
    super(optimizer, ...args);
  }
  protected override get name(): string {
    return "MultiStepLR";
  }
  protected override get signature(): SchedulerSignature {
    return { order: ["milestones", "gamma"], required: ["milestones"] };
  }
  protected checkOptions(o: MultiStepLROptions): void {
    checkOption(this.name, o.milestones.every((m, i) => Number.isInteger(m) && (i === 0 || m >= o.milestones[i - 1])), "milestones (expected increasing integers)", o.milestones);
  }
  lrAt(epoch: number, baseLr: number): number {
    return baseLr * (this.options.gamma ?? 0.1) ** this.options.milestones.filter((m) => m <= epoch).length;
  }
}

/** The options of ExponentialLR. */
export interface ExponentialLROptions {
  /** The factor per epoch. */
  gamma: number;
}

/** lr · gamma^e. */
export class ExponentialLR extends LRScheduler<ExponentialLROptions> {
  constructor(optimizer: Optimizer, ...args: SchedulerArgs<[gamma: number], ExponentialLROptions>) {
    super(optimizer, ...args);
  }
  protected override get name(): string {
    return "ExponentialLR";
  }
  protected override get signature(): SchedulerSignature {
    return { order: ["gamma"], required: ["gamma"] };
  }
  protected checkOptions(o: ExponentialLROptions): void {
    checkOption(this.name, o.gamma > 0, "gamma", o.gamma);
  }
  lrAt(epoch: number, baseLr: number): number {
    return baseLr * this.options.gamma ** epoch;
  }
}

/** The options of CosineAnnealingLR. */
export interface CosineAnnealingLROptions {
  /** Epochs of the half cosine from the base lr down to etaMin. */
  tMax: number;
  /** The lowest lr (default 0). */
  etaMin?: number;
}

/**
 * Cosine annealing (Loshchilov & Hutter 2016, SGDR, without restarts):
 * etaMin + (lr − etaMin)·(1 + cos(π·e/tMax))/2. Past tMax it rises again (period 2·tMax), as in PyTorch.
 */
export class CosineAnnealingLR extends LRScheduler<CosineAnnealingLROptions> {
  constructor(optimizer: Optimizer, ...args: SchedulerArgs<[tMax: number, etaMin: number], CosineAnnealingLROptions>) {
    super(optimizer, ...args);
  }
  protected override get name(): string {
    return "CosineAnnealingLR";
  }
  protected override get signature(): SchedulerSignature {
    return { order: ["tMax", "etaMin"], required: ["tMax"] };
  }
  protected checkOptions(o: CosineAnnealingLROptions): void {
    checkOption(this.name, o.tMax > 0, "tMax (expected > 0)", o.tMax);
  }
  lrAt(epoch: number, baseLr: number): number {
    const etaMin = this.options.etaMin ?? 0;
    return etaMin + ((baseLr - etaMin) * (1 + Math.cos((Math.PI * epoch) / this.options.tMax))) / 2;
  }
}

/** The options of LinearLR. */
export interface LinearLROptions {
  /** factor at epoch 0 (default 1/3) */
  startFactor?: number;
  /** factor from epoch totalIters on (default 1) */
  endFactor?: number;
  /** default 5 */
  totalIters?: number;
}

/** lr · (start + (end − start)·min(e, totalIters)/totalIters): linear warmup (or decay) of the factor. */
export class LinearLR extends LRScheduler<LinearLROptions> {
  constructor(optimizer: Optimizer, ...args: SchedulerArgs<[startFactor: number, endFactor: number, totalIters: number], LinearLROptions>) {
    super(optimizer, ...args);
  }
  protected override get name(): string {
    return "LinearLR";
  }
  protected override get signature(): SchedulerSignature {
    return { order: ["startFactor", "endFactor", "totalIters"] };
  }
  protected checkOptions(o: LinearLROptions): void {
    const { startFactor = 1 / 3, endFactor = 1, totalIters = 5 } = o;
    checkOption(this.name, startFactor > 0 && startFactor <= 1, "startFactor (expected 0 < startFactor <= 1)", startFactor);
    checkOption(this.name, endFactor >= 0 && endFactor <= 1, "endFactor (expected 0 <= endFactor <= 1)", endFactor);
    checkOption(this.name, Number.isInteger(totalIters) && totalIters > 0, "totalIters (expected a positive integer)", totalIters);
  }
  lrAt(epoch: number, baseLr: number): number {
    const { startFactor = 1 / 3, endFactor = 1, totalIters = 5 } = this.options;
    return baseLr * (startFactor + ((endFactor - startFactor) * Math.min(epoch, totalIters)) / totalIters);
  }
}

/** The options of LambdaLR. */
export interface LambdaLROptions {
  /** The factor on the base lr at each epoch. */
  lrLambda: (epoch: number) => number;
}

/** lr · lrLambda(e) for any schedule given as a function of the epoch. */
export class LambdaLR extends LRScheduler<LambdaLROptions> {
  constructor(optimizer: Optimizer, ...args: SchedulerArgs<[lrLambda: (epoch: number) => number], LambdaLROptions>) {
    super(optimizer, ...args);
  }
  protected override get name(): string {
    return "LambdaLR";
  }
  protected override get signature(): SchedulerSignature {
    return { order: ["lrLambda"], required: ["lrLambda"] };
  }
  protected checkOptions(o: LambdaLROptions): void {
    checkOption(this.name, typeof o.lrLambda === "function", "lrLambda (expected a function)", o.lrLambda);
  }
  lrAt(epoch: number, baseLr: number): number {
    return baseLr * this.options.lrLambda(epoch);
  }
}

/** The options of SequentialLR. */
export interface SequentialLROptions {
  /** The schedulers to run one after the other (each over this optimizer). */
  schedulers: LRScheduler<any>[];
  /** The epochs at which the next scheduler takes over (one fewer than schedulers). */
  milestones: number[];
}

/**
 * Runs schedulers one after another: schedulers[i] from epoch milestones[i − 1] on, counting its
 * epochs from 0 there (like PyTorch's SequentialLR). Warmup then cosine:
 *
 *   new SequentialLR(opt, { schedulers: [new LinearLR(opt, { startFactor: 0.1, totalIters: 5 }),
 *     new CosineAnnealingLR(opt, { tMax: 95 })], milestones: [5] })
 */
export class SequentialLR extends LRScheduler<SequentialLROptions> {
  constructor(optimizer: Optimizer, ...args: SchedulerArgs<[schedulers: LRScheduler<any>[], milestones: number[]], SequentialLROptions>) {
    super(optimizer, ...args);
  }
  protected override get name(): string {
    return "SequentialLR";
  }
  protected override get signature(): SchedulerSignature {
    return { order: ["schedulers", "milestones"], required: ["schedulers", "milestones"] };
  }
  protected checkOptions(o: SequentialLROptions): void {
    checkOption(this.name, o.schedulers.length >= 1, "schedulers (expected at least one)", o.schedulers.length);
    checkOption(this.name, o.milestones.length === o.schedulers.length - 1, `milestones (expected ${o.schedulers.length - 1} for ${o.schedulers.length} schedulers)`, o.milestones);
    checkOption(this.name, o.milestones.every((m, i) => Number.isInteger(m) && m > (i === 0 ? 0 : o.milestones[i - 1])), "milestones (expected increasing positive integers)", o.milestones);
    checkOption(this.name, o.schedulers.every((s) => s.optimizer === this.optimizer), "schedulers (each must be attached to the same optimizer)", o.schedulers.length);
  }
  lrAt(epoch: number, baseLr: number): number {
    const { schedulers, milestones } = this.options;
    const i = milestones.filter((m) => m <= epoch).length;
    return schedulers[i].lrAt(epoch - (i === 0 ? 0 : milestones[i - 1]), baseLr);
  }
}

/** The options of ReduceLROnPlateau (torch's keyword arguments, camelCased). */
export interface ReduceLROnPlateauOptions {
  /** "min": the metric should go down (a loss); "max": up (an accuracy). Default "min". */
  mode?: "min" | "max";
  /** lr multiplier on a plateau (< 1). Default 0.1. */
  factor?: number;
  /** epochs without improvement tolerated before reducing. Default 10. */
  patience?: number;
  /** what counts as an improvement, relative ("rel": by a factor 1 ∓ threshold) or absolute. Default 1e-4. */
  threshold?: number;
  /** "rel" (default): improvement beyond best·(1 ∓ threshold); "abs": beyond best ∓ threshold. */
  thresholdMode?: "rel" | "abs";
  /** epochs to wait after a reduction before counting bad epochs again. Default 0. */
  cooldown?: number;
  /** lower bound on the lr, one for all groups or one per group. Default 0. */
  minLr?: number | number[];
  /** reductions smaller than this are skipped. Default 1e-8. */
  eps?: number;
}

/** Divides the lr by 1/factor when a metric has stopped improving for `patience` epochs. */
export class ReduceLROnPlateau {
  /** The number of step() calls so far. */
  lastEpoch = 0;
  /** The best metric value seen so far (+∞ in "min" mode at the start, −∞ in "max" mode). */
  best: number;
  /** Epochs in a row without improvement. */
  numBadEpochs = 0;
  /** Epochs left in the cooldown after the last reduction. */
  cooldownCounter = 0;
  private readonly o: Required<Omit<ReduceLROnPlateauOptions, "minLr">> & { minLrs: number[] };
  private lastLr: number[];

  /**
   * PyTorch's order: (optimizer, mode, factor, patience, threshold, thresholdMode, cooldown, minLr, eps, verbose), then options.
   * @param optimizer The optimizer whose parameter groups' lr this scheduler sets.
   */
  constructor(readonly optimizer: Optimizer, ...args: Args<[mode: "min" | "max", factor: number, patience: number, threshold: number,
    thresholdMode: "rel" | "abs", cooldown: number, minLr: number | number[], eps: number, verbose: boolean], ReduceLROnPlateauOptions>) {
    const { mode = "min", factor = 0.1, patience = 10, threshold = 1e-4, thresholdMode = "rel", cooldown = 0, minLr = 0, eps = 1e-8 } =
      readArgs<ReduceLROnPlateauOptions>("ReduceLROnPlateau", args, {
        ...anyValue(["mode", "factor", "patience", "threshold", "thresholdMode", "cooldown", "minLr", "eps"]), verbose: RESUME_ARGS.verbose,
      });
    const name = "ReduceLROnPlateau";
    const groups = optimizer.paramGroups.length;
    checkOption(name, mode === "min" || mode === "max", 'mode (expected "min" or "max")', mode);
    checkOption(name, thresholdMode === "rel" || thresholdMode === "abs", 'thresholdMode (expected "rel" or "abs")', thresholdMode);
    checkOption(name, factor < 1 && factor >= 0, "factor (expected 0 <= factor < 1)", factor);
    checkOption(name, Number.isInteger(patience) && patience >= 0, "patience", patience);
    checkOption(name, Number.isInteger(cooldown) && cooldown >= 0, "cooldown", cooldown);
    checkOption(name, !Array.isArray(minLr) || minLr.length === groups, `minLr (expected ${groups} values, one per parameter group)`, minLr);
    const minLrs = Array.isArray(minLr) ? [...minLr] : new Array<number>(groups).fill(minLr);
    this.o = { mode, factor, patience, threshold, thresholdMode, cooldown, eps, minLrs };
    this.best = mode === "min" ? Infinity : -Infinity;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  private isBetter(a: number): boolean {
    const { mode, threshold, thresholdMode } = this.o;
    if (mode === "min") return thresholdMode === "rel" ? a < this.best * (1 - threshold) : a < this.best - threshold;
    return thresholdMode === "rel" ? a > this.best * (1 + threshold) : a > this.best + threshold;
  }

  /** Records this epoch's metric (a number or a one-element tensor) and reduces the lr on a plateau. */
  step(metric: number | Tensor): void {
    const current = metric instanceof Tensor ? metric.item() : metric;
    this.lastEpoch++;
    if (this.isBetter(current)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0; // bad epochs during cooldown do not count
    }
    if (this.numBadEpochs > this.o.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const lr = Math.max(g.lr * this.o.factor, this.o.minLrs[i]);
        if (g.lr - lr > this.o.eps) g.lr = lr;
      });
      this.cooldownCounter = this.o.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** Each group's lr after the last step(). */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The state to save (PyTorch's keys). */
  stateDict(): {
    /** The number of step() calls. */ last_epoch: number;
    /** The best metric so far. */ best: number;
    /** Epochs in a row without improvement. */ num_bad_epochs: number;
    /** Epochs left in the cooldown. */ cooldown_counter: number;
    /** Each group's lr after the last step(). */ _last_lr: number[];
  } {
    return { last_epoch: this.lastEpoch, best: this.best, num_bad_epochs: this.numBadEpochs, cooldown_counter: this.cooldownCounter, _last_lr: [...this.lastLr] };
  }

  /** Restores the state from stateDict(), to resume training. */
  loadStateDict(sd: ReturnType<ReduceLROnPlateau["stateDict"]>): void {
    this.lastEpoch = sd.last_epoch;
    this.best = sd.best;
    this.numBadEpochs = sd.num_bad_epochs;
    this.cooldownCounter = sd.cooldown_counter;
    this.lastLr = [...sd._last_lr];
  }
}

// Optimizers, learning-rate schedulers, gradient clipping and weight penalties (torch.optim and
// torch.nn.utils.clip_grad_*). Used as `optim.Adam`, `optim.CosineAnnealingLR`, ...
export { Optimizer, type OptimizerOptions, type ParamGroup, type ParamGroupSpec, type ParamState, type OptimizerStateDict } from "./optimizer.js";
export { SGD, type SGDOptions } from "./sgd.js";
export { Adam, AdamW, type AdamOptions } from "./adam.js";
export { RMSprop, type RMSpropOptions } from "./rmsprop.js";
export { Adagrad, type AdagradOptions } from "./adagrad.js";
export { Adadelta, type AdadeltaOptions } from "./adadelta.js";
export { clipGradNorm, clipGradValue } from "./clip.js";
export { l1Penalty, l2Penalty } from "./penalty.js";
export {
  LRScheduler, StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR, LambdaLR, SequentialLR, ReduceLROnPlateau,
  type StepLROptions, type MultiStepLROptions, type ExponentialLROptions, type CosineAnnealingLROptions, type LinearLROptions, type LambdaLROptions,
  type SequentialLROptions, type ReduceLROnPlateauOptions, type SchedulerStateDict,
} from "./lr_scheduler.js";

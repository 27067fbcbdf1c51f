// Conformance handlers for loss.json: torch.nn.functional losses (attrs → options).
import * as sg from "../../../src/index.js";
import type { OpFn } from "../run.js";

const F = sg.nn.functional;

export const ops: Record<string, OpFn> = {
  mse_loss: ({ input, target }, a) => F.mseLoss(input, target, { reduction: a.reduction }),
  l1_loss: ({ input, target }, a) => F.l1Loss(input, target, { reduction: a.reduction }),
  smooth_l1_loss: ({ input, target }, a) => F.smoothL1Loss(input, target, { reduction: a.reduction, beta: a.beta }),
  huber_loss: ({ input, target }, a) => F.huberLoss(input, target, { reduction: a.reduction, delta: a.delta }),
  binary_cross_entropy: ({ input, target }, a) => F.binaryCrossEntropy(input, target, { reduction: a.reduction }),
  binary_cross_entropy_with_logits: ({ input, target, pos_weight }, a) =>
    F.binaryCrossEntropyWithLogits(input, target, { reduction: a.reduction, posWeight: pos_weight }),
  cross_entropy: ({ input, target, weight }, a) =>
    F.crossEntropy(input, target, { reduction: a.reduction, labelSmoothing: a.label_smoothing ?? 0, weight, ignoreIndex: a.ignore_index ?? -100 }),
  nll_loss: ({ input, target, weight }, a) => F.nllLoss(input, target, { reduction: a.reduction, weight, ignoreIndex: a.ignore_index ?? -100 }),
  kl_div: ({ input, target }, a) => F.klDiv(input, target, { reduction: a.reduction, logTarget: a.log_target ?? false }),
};

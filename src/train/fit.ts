// A Keras-style training loop over the PyTorch-style pieces: epochs of mini-batch steps, each in
// a tidy so memory stays flat; evaluation under noGrad in eval mode; the learning curve returned
// as data. Runs anywhere (no Node imports); the node entry adds a terminal progress bar.
import { Tensor, tidy, dispose } from "../tensor.js";
import { noGrad } from "../autograd.js";
import type { Module } from "../nn/module.js";
import { clipGradNorm } from "../optim/clip.js";

/** A loss on a batch: model output and target in, a scalar tensor out (e.g. nn.functional.crossEntropy). */
export type LossFn = (output: Tensor, target: Tensor) => Tensor;
/** How many samples of a batch the output gets right. */
export type AccuracyFn = (output: Tensor, target: Tensor) => number;

/** What fit needs of an optimizer (optim.SGD, optim.Adam, ...). */
export interface OptimizerLike {
  zeroGrad(): void;
  step(): void;
  readonly paramGroups: readonly { lr: number }[];
}

/**
 * What fit needs of a learning-rate scheduler. It is stepped once per epoch, after validation,
 * with the monitored loss (validation if given, else training), which ReduceLROnPlateau uses and
 * epoch-based schedulers ignore.
 */
export interface SchedulerLike {
  step(monitoredLoss: number): void;
}

/** Batches of [input, target, ...] with a known count per epoch (a DataLoader). */
export interface BatchSource extends Iterable<Tensor[]> {
  readonly length: number;
}

export interface EpochLog {
  /** 1-based. */
  epoch: number;
  /** Mean training loss over the epoch's samples (measured in train mode, during the updates). */
  trainLoss: number;
  trainAccuracy: number | null;
  valLoss: number | null;
  valAccuracy: number | null;
  /** The learning rate used during this epoch (the first param group's). */
  lr: number;
  /** Wall time of the epoch, validation included. */
  seconds: number;
}

export interface BatchLog {
  epoch: number;
  /** 1-based index of the batch within the epoch. */
  batch: number;
  batches: number;
  loss: number;
  samples: number;
}

export interface History {
  epochs: EpochLog[];
  stoppedEarly: boolean;
}

/** Hooks into fit; the options object is one, and `callbacks` can add more (a progress bar). */
export interface FitCallbacks {
  onTrainBegin?(info: { epochs: number; batches: number }): void;
  onEpochBegin?(epoch: number): void;
  onBatchEnd?(log: BatchLog): void;
  onEpochEnd?(log: EpochLog): void;
  onTrainEnd?(history: History): void;
}

export interface FitOptions extends FitCallbacks {
  train: BatchSource;
  val?: BatchSource;
  optimizer: OptimizerLike;
  loss: LossFn;
  epochs: number;
  scheduler?: SchedulerLike;
  /** Accuracy metric recorded for train and val (default `accuracy`); false for regression. */
  accuracy?: AccuracyFn | false;
  /** Stop when the monitored loss (validation if given, else training) has not improved by minDelta for `patience` epochs. */
  earlyStopping?: { patience: number; minDelta?: number };
  /** Rescale gradients so their global L2 norm is at most this before each step. */
  clipGradNorm?: number;
  callbacks?: FitCallbacks[];
}

/**
 * Correct predictions in a batch. [N, C] outputs (C > 1) are scored by argmax against class
 * indices [N] (or one-hot / probability rows [N, C]); [N] or [N, 1] outputs are binary, predicted
 * positive above `threshold` (0 for logits, pass 0.5 for sigmoid outputs) against 0/1 targets.
 */
export function accuracy(output: Tensor, target: Tensor, threshold = 0): number {
  const n = output.shape[0] ?? 1;
  const classes = output.size / Math.max(n, 1);
  const out = output.view(), tgt = target.view();
  const rowArgmax = (v: ArrayLike<number>, row: number) => {
    let best = 0;
    for (let c = 1; c < classes; c++) if (v[row * classes + c] > v[row * classes + best]) best = c;
    return best;
  };
  const targetIsRows = target.size === output.size && classes > 1;
  if (!targetIsRows && target.size !== n) {
    throw new Error(`accuracy: target of shape [${target.shape.join(", ")}] does not match output [${output.shape.join(", ")}]`);
  }
  let correct = 0;
  for (let i = 0; i < n; i++) {
    if (classes > 1) correct += +(rowArgmax(out, i) === (targetIsRows ? rowArgmax(tgt, i) : tgt[i]));
    else correct += +(out[i] > threshold === tgt[i] > 0.5);
  }
  return correct;
}

/** Runs fn with the model in eval mode and no autograd, then restores its mode. */
function inEvalMode<T>(model: Module, fn: () => T): T {
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(fn);
  } finally {
    model.train(wasTraining);
  }
}

/** Mean loss and accuracy (and error = 1 − accuracy) of the model over a loader, in eval mode under noGrad. */
export function evaluate(model: Module, loader: Iterable<Tensor[]>, loss: LossFn, accuracyFn: AccuracyFn | false = accuracy): { loss: number; accuracy: number | null; error: number | null } {
  let lossSum = 0, correct = 0, seen = 0;
  inEvalMode(model, () => {
    for (const batch of loader) {
      try {
        const [x, y] = batch;
        tidy(() => {
          const out = model.forward(x);
          lossSum += loss(out, y).item() * x.shape[0];
          if (accuracyFn) correct += accuracyFn(out, y);
        });
        seen += x.shape[0];
      } finally {
        dispose(batch);
      }
    }
  });
  if (seen === 0) throw new Error("evaluate: the loader yielded no samples");
  const acc = accuracyFn ? correct / seen : null;
  return { loss: lossSum / seen, accuracy: acc, error: acc === null ? null : 1 - acc };
}

/** Trains the model for `epochs` passes over `train` and returns the learning curve. */
export function fit(model: Module, options: FitOptions): History {
  const { train, val, optimizer, loss, epochs, scheduler, earlyStopping, clipGradNorm: maxNorm } = options;
  const accuracyFn = options.accuracy ?? accuracy;
  if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`fit: epochs must be a non-negative integer, got ${epochs}`);
  // The options' own hooks run last, so e.g. a progress bar is cleared before they print.
  const callbacks: FitCallbacks[] = [...(options.callbacks ?? []), options];
  const parameters = model.parameters();
  const history: History = { epochs: [], stoppedEarly: false };
  let best = Infinity, epochsWithoutImprovement = 0;

  for (const cb of callbacks) cb.onTrainBegin?.({ epochs, batches: train.length });
  for (let epoch = 1; epoch <= epochs && !history.stoppedEarly; epoch++) {
    const start = performance.now();
    const lr = optimizer.paramGroups[0].lr;
    for (const cb of callbacks) cb.onEpochBegin?.(epoch);
    model.train();
    let lossSum = 0, correct = 0, seen = 0, batchIndex = 0;
    for (const batch of train) {
      let step: { loss: number; correct: number };
      const samples = batch[0].shape[0];
      try {
        const [x, y] = batch;
        step = tidy(() => {
          optimizer.zeroGrad();
          const out = model.forward(x);
          const l = loss(out, y);
          l.backward();
          if (maxNorm !== undefined) clipGradNorm(parameters, maxNorm);
          optimizer.step();
          return { loss: l.item(), correct: accuracyFn ? accuracyFn(out, y) : 0 };
        });
      } finally {
        dispose(batch);
      }
      lossSum += step.loss * samples;
      correct += step.correct;
      seen += samples;
      const log: BatchLog = { epoch, batch: ++batchIndex, batches: train.length, loss: step.loss, samples };
      for (const cb of callbacks) cb.onBatchEnd?.(log);
    }
    if (seen === 0) throw new Error("fit: the training loader yielded no samples");
    const v = val ? evaluate(model, val, loss, accuracyFn) : null;
    const log: EpochLog = {
      epoch,
      trainLoss: lossSum / seen,
      trainAccuracy: accuracyFn ? correct / seen : null,
      valLoss: v ? v.loss : null,
      valAccuracy: v ? v.accuracy : null,
      lr,
      seconds: (performance.now() - start) / 1000,
    };
    history.epochs.push(log);
    const monitored = log.valLoss ?? log.trainLoss;
    scheduler?.step(monitored);
    for (const cb of callbacks) cb.onEpochEnd?.(log);

    if (earlyStopping) {
      if (monitored < best - (earlyStopping.minDelta ?? 0)) {
        best = monitored;
        epochsWithoutImprovement = 0;
      } else if (++epochsWithoutImprovement >= earlyStopping.patience) {
        history.stoppedEarly = true;
      }
    }
  }
  for (const cb of callbacks) cb.onTrainEnd?.(history);
  return history;
}

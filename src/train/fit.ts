// A Keras-style training loop over the PyTorch-style pieces: epochs of mini-batch steps, each in
// a tidy so memory stays flat; evaluation under noGrad in eval mode; the learning curve returned
// as data. Runs anywhere (no Node imports); the node entry adds a terminal progress bar.
import { Tensor, tidy, dispose } from "../tensor.js";
import { noGrad } from "../autograd.js";
import type { Module } from "../nn/module.js";
import { clipGradNorm } from "../optim/clip.js";
import { inEvalMode } from "./eval-mode.js";
import { plotCallbacks, type FitPlotOptions } from "./plot-epochs.js";
import { checkOptionNames } from "../ops/checks.js";

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

/** One epoch's log, passed to onEpochEnd and kept in History.epochs. */
export interface EpochLog {
  /** 1-based. */
  epoch: number;
  /** Mean training loss over the epoch's samples (measured in train mode, during the updates). */
  trainLoss: number;
  /** Training accuracy over the epoch, or null with `accuracy: false`. */
  trainAccuracy: number | null;
  /** Mean validation loss (eval mode, noGrad), or null without val. */
  valLoss: number | null;
  /** Accuracy on the validation batches, or null without val or with `accuracy: false`. */
  valAccuracy: number | null;
  /** The learning rate used during this epoch (the first param group's). */
  lr: number;
  /** Wall time of the epoch, validation included. */
  seconds: number;
}

/** One training batch's log, passed to onBatchEnd. */
export interface BatchLog {
  /** 1-based epoch. */
  epoch: number;
  /** 1-based index of the batch within the epoch. */
  batch: number;
  /** Batches per epoch. */
  batches: number;
  /** The batch's training loss. */
  loss: number;
  /** Samples in the batch. */
  samples: number;
}

/** What fit returns: the epochs' logs and why training ended (Keras' History). */
export interface History {
  /** One log per epoch run. */
  epochs: EpochLog[];
  /** True when early stopping ended training. */
  stoppedEarly: boolean;
  /** Why training ended before `epochs`: early stopping or a callback's `stop()`; null if it ran all epochs. */
  stoppedBy: "earlyStopping" | "callback" | null;
  /** With early stopping: the epoch of the best monitored loss, whose weights the model holds at the end unless restoreBestWeights is false. */
  bestEpoch: number | null;
}

/** Passed to every callback: `stop()` ends training after the current batch (Keras' `stop_training`). */
export interface FitControl {
  /** Ends training after the current batch; fit then returns the history so far. */
  stop(): void;
}

/** Hooks into fit; the options object is one, and `callbacks` can add more (a progress bar). */
export interface FitCallbacks {
  /** Before the first epoch, with the number of epochs and batches per epoch. */
  onTrainBegin?(info: { epochs: number; batches: number }, control: FitControl): void;
  /** Before each epoch (1-based). */
  onEpochBegin?(epoch: number, control: FitControl): void;
  /** After each training batch's update, with its loss. */
  onBatchEnd?(log: BatchLog, control: FitControl): void;
  /** After each epoch's validation, with its log. */
  onEpochEnd?(log: EpochLog, control: FitControl): void;
  /** After the last epoch, with the history (also after early stopping or stop()). */
  onTrainEnd?(history: History): void;
}

export interface FitOptions extends FitCallbacks {
  /** Training batches ([input, target] per batch, e.g. a DataLoader with shuffle), one pass per epoch. */
  train: BatchSource;
  /** Validation batches, evaluated in eval mode under noGrad after each epoch. */
  val?: BatchSource;
  /** The optimizer over the model's parameters (zeroGrad and step are called each batch). */
  optimizer: OptimizerLike;
  /** The loss function: (output, target) -> a 0-d tensor (e.g. `nn.functional.crossEntropy`). */
  loss: LossFn;
  /** The number of passes over `train`. */
  epochs: number;
  /**
   * An lr scheduler stepped once per epoch, after the epoch's updates (a ReduceLROnPlateau gets the monitored
   * loss).
   */
  scheduler?: SchedulerLike;
  /** Accuracy metric recorded for train and val (default `accuracy`); false for regression. */
  accuracy?: AccuracyFn | false;
  /**
   * Stop when the monitored loss (validation if given, else training) has not improved by minDelta
   * for `patience` epochs. When training ends the model gets back the weights (and buffers) of the
   * best epoch, unless `restoreBestWeights: false` (Keras' restore_best_weights).
   */
  earlyStopping?: {
    /** Epochs without improvement tolerated before stopping (a positive integer). */ patience: number;
    /** The smallest decrease that counts as an improvement (default 0). */ minDelta?: number;
    /** Put back the best epoch's weights and buffers when training ends (default true). */ restoreBestWeights?: boolean;
  };
  /** Rescale gradients so their global L2 norm is at most this before each step. */
  clipGradNorm?: number;
  /** More hooks, run after the options' own (e.g. `progressBar()` from simdgrad/node). */
  callbacks?: FitCallbacks[];
  /** Aborting stops training after the current batch; fit throws (fitAsync rejects with) the signal's reason. */
  signal?: AbortSignal;
  /**
   * Draw the learning curves (and the first Linear/Conv2d layer's weights as images) after each
   * epoch into an element of the page, or hand them to a function (simdgrad/node's plotFiles
   * writes them to .svg/.png files).
   */
  plot?: FitPlotOptions;
}

export interface FitAsyncOptions extends FitOptions {
  /** Yield to the event loop after every this many batches (default 1) and after every epoch. */
  yieldEvery?: number;
}

/**
 * Correct predictions in a batch. [N, C] outputs (C > 1) are scored by argmax against class
 * indices [N] (or one-hot / probability rows [N, C]); [N] or [N, 1] outputs are binary, predicted
 * positive above `threshold` (0 for logits, pass 0.5 for sigmoid outputs) against 0/1 targets.
 */
export function accuracy(output: Tensor, target: Tensor, threshold = 0): number {
  const n = output.shape[0] ?? 1;
  const classes = output.size / Math.max(n, 1);
  const out = output.liveData(), tgt = target.liveData();
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

/** Mean loss and accuracy (and error = 1 − accuracy) of the model over a loader, in eval mode under noGrad. */
export function evaluate(model: Module, loader: Iterable<Tensor[]>, loss: LossFn, accuracyFn: AccuracyFn | false = accuracy): {
  /** The mean loss over the samples. */ loss: number;
  /** The fraction classified correctly, or null with accuracyFn false. */ accuracy: number | null;
  /** 1 − accuracy, or null. */ error: number | null;
} {
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

/** Trains the model for `epochs` passes over `train` and returns the learning curve. Blocks until done: in a page use fitAsync. */
export function fit(model: Module, options: FitOptions): History {
  checkFitOptions("fit", options, FIT_OPTIONS);
  const loop = trainingLoop(model, options);
  for (;;) {
    const next = loop.next();
    if (next.done) return next.value;
  }
}

/**
 * fit for pages and servers: the same loop, yielding to the event loop every `yieldEvery`
 * batches and after each epoch, so the page keeps drawing and events (an abort) get through.
 */
export async function fitAsync(model: Module, options: FitAsyncOptions): Promise<History> {
  checkFitOptions("fitAsync", options, [...FIT_OPTIONS, "yieldEvery"]);
  const yieldEvery = options.yieldEvery ?? 1;
  if (!Number.isInteger(yieldEvery) || yieldEvery < 1) throw new Error(`fitAsync: yieldEvery must be a positive integer, got ${yieldEvery}`);
  const loop = trainingLoop(model, options);
  try {
    for (let batches = 0; ; ) {
      const next = loop.next();
      if (next.done) return next.value;
      if (next.value === "epoch" || ++batches % yieldEvery === 0) await yieldToEventLoop();
    }
  } finally {
    loop.return(undefined as never); // an abort between steps still frees the batch in flight
  }
}

// A macrotask, so rendering and input run in between: setImmediate in Node and Bun; elsewhere a
// message on a fresh MessageChannel (closed at once, so it keeps no event loop alive), which
// Chromium interleaves with frames (scheduler.yield's continuations are ranked above rendering
// and let almost none through); a zero timeout as the last resort (clamped to 4 ms when nested).
const yieldToEventLoop: () => Promise<void> =
  typeof setImmediate === "function"
    ? () => new Promise<void>((resolve) => setImmediate(resolve))
    : typeof MessageChannel === "function"
      ? () =>
          new Promise<void>((resolve) => {
            const { port1, port2 } = new MessageChannel();
            port1.onmessage = () => (port1.close(), resolve());
            port2.postMessage(null);
          })
      : () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** The best epoch's state dict, copied into buffers made once (outside wasm memory). */
class BestWeights {
  private readonly saved = new Map<Tensor, Float32Array | Int32Array>();
  epoch: number | null = null;

  constructor(private readonly model: Module) {}

  save(epoch: number): void {
    this.epoch = epoch;
    for (const t of Object.values(this.model.stateDict())) {
      const copy = this.saved.get(t);
      if (copy) copy.set(t.liveData());
      else this.saved.set(t, t.liveData().slice());
    }
  }

  /** Puts the saved weights back (nothing when no epoch was saved). */
  restore(): void {
    for (const [t, copy] of this.saved) t.liveData().set(copy);
  }
}

const FIT_OPTIONS = ["train", "val", "optimizer", "loss", "epochs", "scheduler", "accuracy", "earlyStopping", "clipGradNorm", "callbacks", "signal", "plot",
  "onTrainBegin", "onEpochBegin", "onBatchEnd", "onEpochEnd", "onTrainEnd"];

/** Unknown option names (also of earlyStopping) are errors, and train, optimizer and loss are required. */
function checkFitOptions(op: string, options: FitOptions, known: readonly string[]): void {
  checkOptionNames(op, options, known);
  for (const required of ["train", "optimizer", "loss"] as const) {
    if (options[required] === undefined) throw new Error(`${op}: the option ${required} is required`);
  }
  if (options.earlyStopping) checkOptionNames(`${op}: earlyStopping`, options.earlyStopping, ["patience", "minDelta", "restoreBestWeights"]);
}

/** The loop fit and fitAsync drive: yields "batch" after each step and "epoch" after each epoch. */
function* trainingLoop(model: Module, options: FitOptions): Generator<"batch" | "epoch", History> {
  const { train, val, optimizer, loss, epochs, scheduler, earlyStopping, clipGradNorm: maxNorm, signal } = options;
  const accuracyFn = options.accuracy ?? accuracy;
  if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`fit: epochs must be a non-negative integer, got ${epochs}`);
  if (earlyStopping && !(Number.isInteger(earlyStopping.patience) && earlyStopping.patience >= 1)) {
    throw new Error(`fit: earlyStopping.patience must be a positive integer, got ${earlyStopping.patience}`);
  }
  signal?.throwIfAborted();
  // The options' own hooks run last, so e.g. a progress bar is cleared before they print.
  const callbacks: FitCallbacks[] = [...(options.callbacks ?? []), ...(options.plot ? [plotCallbacks(model, options.plot)] : []), options];
  const parameters = model.parameters();
  const history: History = { epochs: [], stoppedEarly: false, stoppedBy: null, bestEpoch: null };
  let stopRequested = false;
  const control: FitControl = { stop: () => void (stopRequested = true) };
  const best = earlyStopping && earlyStopping.restoreBestWeights !== false ? new BestWeights(model) : null;
  let bestLoss = Infinity, epochsWithoutImprovement = 0;

  for (const cb of callbacks) cb.onTrainBegin?.({ epochs, batches: train.length }, control);
  for (let epoch = 1; epoch <= epochs && !history.stoppedBy; epoch++) {
    const start = performance.now();
    const lr = optimizer.paramGroups[0].lr;
    for (const cb of callbacks) cb.onEpochBegin?.(epoch, control);
    model.train();
    let lossSum = 0, correct = 0, seen = 0, batchIndex = 0;
    for (const batch of train) {
      let step: { loss: number; correct: number };
      const samples = batch[0].shape[0];
      try {
        signal?.throwIfAborted();
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
      for (const cb of callbacks) cb.onBatchEnd?.(log, control);
      if (stopRequested) break;
      yield "batch";
    }
    if (seen === 0) throw new Error("fit: the training loader yielded no samples");
    const v = val && !stopRequested ? evaluate(model, val, loss, accuracyFn) : null;
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
    for (const cb of callbacks) cb.onEpochEnd?.(log, control);

    if (earlyStopping) {
      if (monitored < bestLoss - (earlyStopping.minDelta ?? 0)) {
        bestLoss = monitored;
        epochsWithoutImprovement = 0;
        history.bestEpoch = epoch;
        best?.save(epoch);
      } else if (++epochsWithoutImprovement >= earlyStopping.patience) {
        history.stoppedEarly = true;
        history.stoppedBy = "earlyStopping";
      }
    }
    if (stopRequested) history.stoppedBy ??= "callback";
    yield "epoch";
  }
  best?.restore();
  for (const cb of callbacks) cb.onTrainEnd?.(history);
  return history;
}

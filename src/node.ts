// simdgrad/node: the Node-only parts (files, MNIST from disk, a terminal progress bar, a worker
// spawner, figures saved as SVG or PNG). The core entry (src/index.ts) stays free of Node built-ins so it runs in browsers and
// edge runtimes.
import { readFileSync, writeFileSync } from "node:fs";
import type { Tensor } from "./tensor.js";
import { load, save } from "./io/state.js";
import type { FitCallbacks } from "./train/fit.js";
import type { Module } from "./nn/module.js";
import { checkOptionNames } from "./ops/checks.js";
import { exportOnnx, type ExportOnnxOptions } from "./onnx/export.js";
import { importOnnx, type OnnxModule } from "./onnx/import.js";

export { loadMnist, mnistDataDir, type Mnist, type MnistOptions, type MnistSplit } from "./data/mnist-node.js";
/** `init({ threads: 2, spawnWorker: nodeWorkerSpawner })` starts worker threads in Node < 20.16 (later versions need no spawner). */
export { nodeWorkerSpawner } from "./backend/threads-node.js";
export { savePlot, renderPng, plotFiles, type PngOptions, type PlotFilePaths } from "./plot/save-node.js";

/** Writes tensors (e.g. `model.stateDict()`) to a .safetensors file. */
export function saveFile(path: string, stateDict: Record<string, Tensor>, metadata?: Record<string, string>): void {
  writeFileSync(path, save(stateDict, metadata));
}

/** Reads a .safetensors file into new tensors (see `load`). */
export function loadFile(path: string): Record<string, Tensor> {
  return load(readFileSync(path));
}

/** Writes the model as an ONNX file (see exportOnnx in simdgrad/onnx). */
export function saveOnnx(path: string, model: Module<unknown>, exampleInputs: Tensor | readonly Tensor[], options?: ExportOnnxOptions): void {
  writeFileSync(path, exportOnnx(model, exampleInputs, options));
}

/** Reads an ONNX file as a trainable module (see importOnnx in simdgrad/onnx). */
export function loadOnnx(path: string): OnnxModule {
  return importOnnx(new Uint8Array(readFileSync(path)));
}

/** The options of progressBar. */
export interface ProgressBarOptions {
  /** Where to draw (default process.stdout); nothing is drawn unless it is a terminal. */
  stream?: {
    /** Writes text (process.stdout or any writable text stream). */
    write(text: string): unknown;
    /** Whether it is a terminal. */
    isTTY?: boolean;
    /** The terminal's width. */
    columns?: number;
  };
  /** Leave a one-line summary of each epoch (losses, accuracy, speed) where its bar was (default true). */
  summary?: boolean;
}

const BAR_WIDTH = 30;
const CLEAR_LINE = "\r\x1b[2K";

/**
 * fit() callbacks drawing one progress bar per epoch on the terminal (batches, running loss,
 * samples/s, ETA). When the epoch ends the bar is replaced by a one-line summary of the epoch
 * (`summary: false` just clears it, for callers that print their own line). Draws nothing when
 * the stream is not a terminal (logs, pipes, CI).
 */
export function progressBar(options: ProgressBarOptions = {}): FitCallbacks {
  checkOptionNames("progressBar", options, ["stream", "summary"]);
  const stream = options.stream ?? process.stdout;
  const summary = options.summary ?? true;
  if (!stream.isTTY) return {};
  let epochs = 0, batches = 0, start = 0, samples = 0, lossSum = 0;
  const draw = (epoch: number, done: number, loss: string, speed: string, eta: string) => {
    const filled = batches > 0 ? Math.round((BAR_WIDTH * done) / batches) : BAR_WIDTH;
    const bar = "\u2588".repeat(filled) + "\u2591".repeat(BAR_WIDTH - filled);
    const line = `epoch ${epoch}/${epochs} [${bar}] ${done}/${batches} | loss ${loss} | ${speed} samples/s | ETA ${eta}`;
    stream.write(CLEAR_LINE + line.slice(0, Math.max(20, (stream.columns ?? 120) - 1)));
  };
  return {
    onTrainBegin(info) {
      ({ epochs, batches } = info);
    },
    onEpochBegin(epoch) {
      start = performance.now();
      samples = lossSum = 0;
      draw(epoch, 0, "-", "-", "-");
    },
    onBatchEnd(log) {
      samples += log.samples;
      lossSum += log.loss * log.samples;
      const seconds = (performance.now() - start) / 1000;
      const eta = `${Math.round((seconds / log.batch) * (log.batches - log.batch))}s`;
      draw(log.epoch, log.batch, (lossSum / samples).toFixed(4), String(Math.round(samples / seconds)), eta);
    },
    onEpochEnd(log) {
      stream.write(CLEAR_LINE);
      if (!summary) return;
      const metric = (name: string, value: number | null, digits = 4) => (value === null ? "" : ` | ${name} ${value.toFixed(digits)}`);
      stream.write(
        `epoch ${log.epoch}/${epochs}${metric("loss", log.trainLoss)}${metric("acc", log.trainAccuracy)}` +
          `${metric("val loss", log.valLoss)}${metric("val acc", log.valAccuracy)} | ${Math.round(samples / log.seconds)} samples/s | ${log.seconds.toFixed(1)}s\n`,
      );
    },
  };
}

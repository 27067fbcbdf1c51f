// simdgrad/node: the Node-only parts (files, MNIST from disk, a terminal progress bar). The core
// entry (src/index.ts) stays free of Node built-ins so it runs in browsers and edge runtimes.
import { readFileSync, writeFileSync } from "node:fs";
import cliProgress from "cli-progress";
import type { Tensor } from "./tensor.js";
import { load, save } from "./io/state.js";
import type { FitCallbacks } from "./train/fit.js";

export { loadMnist, mnistDataDir, type Mnist, type MnistOptions, type MnistSplit } from "./data/mnist-node.js";
/** Pass as `init({ threads: 2, spawnWorker: nodeWorkerSpawner })` to start worker threads in Node. */
export { nodeWorkerSpawner } from "./backend/threads-node.js";

/** Writes tensors (e.g. `model.stateDict()`) to a .safetensors file. */
export function saveFile(path: string, stateDict: Record<string, Tensor>, metadata?: Record<string, string>): void {
  writeFileSync(path, save(stateDict, metadata));
}

/** Reads a .safetensors file into new tensors (see `load`). */
export function loadFile(path: string): Record<string, Tensor> {
  return load(readFileSync(path));
}

/**
 * fit() callbacks drawing one progress bar per epoch on the terminal (batches, running loss,
 * samples/s, ETA), cleared when the epoch ends so the caller's per-epoch line takes its place.
 * Draws nothing when stdout is not a terminal (logs, pipes, CI).
 */
export function progressBar(options: { stream?: NodeJS.WritableStream & { isTTY?: boolean } } = {}): FitCallbacks {
  const stream = options.stream ?? process.stdout;
  if (!stream.isTTY) return {};
  const bar = new cliProgress.SingleBar(
    {
      format: "epoch {epoch}/{epochs} [{bar}] {value}/{total} | loss {loss} | {speed} samples/s | ETA {eta}s",
      stream,
      clearOnComplete: true,
      hideCursor: true,
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  let epochs = 0, batches = 0, start = 0, samples = 0, lossSum = 0;
  return {
    onTrainBegin(info) {
      ({ epochs, batches } = info);
    },
    onEpochBegin(epoch) {
      start = performance.now();
      samples = lossSum = 0;
      bar.start(batches, 0, { epoch, epochs, loss: "-", speed: "-" });
    },
    onBatchEnd(log) {
      samples += log.samples;
      lossSum += log.loss * log.samples;
      const speed = Math.round(samples / ((performance.now() - start) / 1000));
      bar.update(log.batch, { loss: (lossSum / samples).toFixed(4), speed });
    },
    onEpochEnd() {
      bar.stop();
    },
  };
}

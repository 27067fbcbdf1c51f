// DataLoader: iterates a dataset in mini-batches (torch.utils.data.DataLoader). Each batch is one
// tensor per field, gathered straight from the dataset (no tensor per sample). Each iteration
// over the loader is one epoch; with shuffle, every epoch draws a fresh permutation from the
// generator, so a seeded generator gives the same sequence of epochs every run.
import type { Tensor } from "../tensor.js";
import { defaultGenerator, type Generator } from "../random.js";
import { gatherSamples, type Dataset } from "./dataset.js";
import { DataLoaderLoop } from "../autofree.js";

/** The options of DataLoader (torch.utils.data.DataLoader's, camelCased). */
export interface DataLoaderOptions {
  /** Samples per batch (default 1, as in PyTorch). */
  batchSize?: number;
  /** Visit the samples in a new random order every epoch (default false). */
  shuffle?: boolean;
  /** Skip the last batch when it would be smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Source of the shuffling permutations (default: the global generator, see manualSeed). */
  generator?: Generator;
}

/**
 * `for (const [x, y] of loader)` yields batches [batchSize, ...sampleShape] per field. Each batch
 * is a loop boundary (autofree.ts): the batches and whatever the loop body makes are freed one
 * batch after their last use, unless kept (keep) — no dispose or tidy needed. Disposing them
 * yourself, or working inside tidy(), works as before; fit() does that.
 */
export class DataLoader implements Iterable<Tensor[]> {
  /** Samples per batch. */
  readonly batchSize: number;
  /** Whether each epoch visits the samples in a new random order. */
  readonly shuffle: boolean;
  /** Whether the last, smaller batch is skipped. */
  readonly dropLast: boolean;
  /** The generator that draws the shuffling permutations. */
  readonly generator: Generator;

  /** @param dataset The samples to batch (a TensorDataset, a Subset, or any Dataset). */
  constructor(readonly dataset: Dataset, options: DataLoaderOptions = {}) {
    const { batchSize = 1, shuffle = false, dropLast = false, generator = defaultGenerator } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`DataLoader: batchSize must be a positive integer, got ${batchSize}`);
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.generator = generator;
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /**
   * Yields one epoch of batches: each field's samples stacked into [batchSize, ...sampleShape] (the last
   * batch smaller unless dropLast), in a new random order each epoch with shuffle.
   */
  *[Symbol.iterator](): Iterator<Tensor[]> {
    const n = this.dataset.length;
    const order = this.shuffle ? this.generator.permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
    const batches = this.length;
    const loop = new DataLoaderLoop();
    try {
      for (let b = 0; b < batches; b++) {
        loop.batch();
        yield gatherSamples(this.dataset, order.subarray(b * this.batchSize, Math.min((b + 1) * this.batchSize, n)));
      }
    } finally {
      loop.exit();
    }
  }
}

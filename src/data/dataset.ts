// Datasets: indexable collections of samples, each sample a tuple of tensors (input, target, ...),
// like torch.utils.data. A dataset may also gather many samples at once straight into one batch
// tensor per field (getBatch), which is what DataLoader uses: no tensor per sample.
import { copyElements, elementAt } from "../backend/memory.js";
import { Tensor, shapeToString, numel, dispose } from "../tensor.js";
import { stack } from "../ops/shape.js";
import { defaultGenerator, type Generator } from "../random.js";

/** A source of samples (torch.utils.data.Dataset): its length and sample i as one tensor per field. */
export interface Dataset {
  /** Number of samples. */
  readonly length: number;
  /** Sample `index` as one tensor per field; fresh tensors the caller disposes. */
  get(index: number): Tensor[];
  /**
   * Optional fast path: the samples at `indices`, one tensor per field of shape
   * [indices.length, ...sampleShape]; fresh tensors the caller disposes.
   */
  getBatch?(indices: ArrayLike<number>): Tensor[];
}

function checkIndex(what: string, index: number, length: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new Error(`${what}: index ${index} out of range for a dataset of ${length} samples`);
  }
}

/** The samples at `indices` batched per field, by the dataset's getBatch or by stacking its samples. */
export function gatherSamples(dataset: Dataset, indices: ArrayLike<number>): Tensor[] {
  if (dataset.getBatch) return dataset.getBatch(indices);
  if (indices.length === 0) throw new Error("gatherSamples: cannot batch zero samples of a dataset without getBatch");
  const samples = Array.from(indices, (i) => dataset.get(i));
  try {
    return samples[0].map((_, field) => stack(samples.map((s) => s[field])));
  } finally {
    dispose(samples);
  }
}

/**
 * Wraps tensors that share their first dimension (the samples), like torch's TensorDataset.
 * The tensors stay the caller's: the dataset reads them and never disposes them.
 */
export class TensorDataset implements Dataset {
  /** The wrapped tensors, one per field (inputs, targets, ...), each with the samples along dim 0. */
  readonly tensors: readonly Tensor[];
  readonly length: number;

  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new Error("TensorDataset: expected at least one tensor");
    if (tensors.some((t) => t.ndim === 0 || t.shape[0] !== tensors[0].shape[0])) {
      throw new Error(`TensorDataset: all tensors need the same first (sample) dimension, got ${tensors.map((t) => shapeToString(t.shape)).join(", ")}`);
    }
    this.tensors = tensors;
    this.length = tensors[0].shape[0];
  }

  get(index: number): Tensor[] {
    checkIndex("TensorDataset.get", index, this.length);
    return this.tensors.map((t) => gatherRows(t, [index], t.shape.slice(1)));
  }

  getBatch(indices: ArrayLike<number>): Tensor[] {
    for (let i = 0; i < indices.length; i++) checkIndex("TensorDataset.getBatch", indices[i], this.length);
    return this.tensors.map((t) => gatherRows(t, indices, [indices.length, ...t.shape.slice(1)]));
  }
}

/** Copies rows `indices` of src (along dim 0) into a new tensor of `shape`; runs of consecutive rows move in one copy. */
function gatherRows(src: Tensor, indices: ArrayLike<number>, shape: number[]): Tensor {
  const row = numel(src.shape.slice(1));
  const out = Tensor.empty(shape, src.dtype, "batch");
  for (let i = 0; i < indices.length; ) {
    let run = 1;
    while (i + run < indices.length && indices[i + run] === indices[i] + run) run++;
    copyElements(elementAt(out.ptr, i * row), elementAt(src.ptr, indices[i] * row), run * row);
    i += run;
  }
  return out;
}

/** The samples of `dataset` at `indices` (torch.utils.data.Subset). */
export class Subset implements Dataset {
  /**
   * @param dataset The dataset the samples come from.
   * @param indices The positions in dataset, in the order the subset presents them.
   */
  constructor(readonly dataset: Dataset, readonly indices: Int32Array) {
    for (const i of indices) checkIndex("Subset", i, dataset.length);
  }

  get length(): number {
    return this.indices.length;
  }

  get(index: number): Tensor[] {
    checkIndex("Subset.get", index, this.length);
    return this.dataset.get(this.indices[index]);
  }

  getBatch(indices: ArrayLike<number>): Tensor[] {
    const mapped = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) {
      checkIndex("Subset.getBatch", indices[i], this.length);
      mapped[i] = this.indices[indices[i]];
    }
    return gatherSamples(this.dataset, mapped);
  }
}

/**
 * Splits a dataset into non-overlapping random subsets (torch.utils.data.random_split). `lengths`
 * are sample counts summing to the dataset's length, or fractions summing to 1 (floored counts,
 * the remainder handed out one by one from the first subset on, as PyTorch does).
 */
export function randomSplit(dataset: Dataset, lengths: number[], generator: Generator = defaultGenerator): Subset[] {
  const n = dataset.length;
  const total = lengths.reduce((a, b) => a + b, 0);
  let counts: number[];
  if (lengths.every((f) => f >= 0 && f <= 1) && Math.abs(total - 1) < 1e-9 && total !== n) {
    counts = lengths.map((f) => Math.floor(f * n));
    let remainder = n - counts.reduce((a, b) => a + b, 0);
    for (let i = 0; remainder > 0; i = (i + 1) % counts.length, remainder--) counts[i]++;
  } else if (lengths.every((c) => Number.isInteger(c) && c >= 0) && total === n) {
    counts = lengths;
  } else {
    throw new Error(`randomSplit: lengths [${lengths.join(", ")}] must be counts summing to the dataset's ${n} samples or fractions summing to 1`);
  }
  const order = generator.permutation(n);
  let start = 0;
  return counts.map((c) => new Subset(dataset, order.slice(start, (start += c))));
}

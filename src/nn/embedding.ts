// Embedding: a learned lookup table over src/ops/embedding.ts.
import { Tensor } from "../tensor.js";
import { embedding } from "../ops/embedding.js";
import type { Generator } from "../random.js";
import { readArgs, kinds, type Args } from "../ops/args.js";
import { Module, parameter } from "./module.js";
import { normal_ } from "./init.js";

export interface EmbeddingOptions {
  paddingIdx?: number | null;
  /** Only null. */
  maxNorm?: null;
  /** Only used with maxNorm. */
  normType?: number;
  /** Only false. */
  scaleGradByFreq?: boolean;
  /** Only false. */
  sparse?: boolean;
  generator?: Generator;
}

/** Rows of weight [numEmbeddings, embeddingDim] picked by int32 indices; N(0, 1) init like PyTorch, padding row zeroed. */
export class Embedding extends Module {
  /** The table [numEmbeddings, embeddingDim], N(0, 1) at init. */
  readonly weight: Tensor;
  /** The row that is zero at init and gets no gradient (torch's `padding_idx`), or null. */
  readonly paddingIdx: number | null;

  /**
   * PyTorch's order: (numEmbeddings, embeddingDim, paddingIdx, maxNorm, normType, scaleGradByFreq, sparse), then options.
   * @param numEmbeddings The number of rows (the vocabulary size).
   * @param embeddingDim The size of each row.
   */
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number,
    ...args: Args<[paddingIdx: number | null, maxNorm: null, normType: number, scaleGradByFreq: boolean, sparse: boolean], EmbeddingOptions>) {
    super();
    const { paddingIdx = null, generator } = readArgs<EmbeddingOptions>("Embedding", [numEmbeddings, embeddingDim, ...args], {
      numEmbeddings: kinds.positiveInt, embeddingDim: kinds.positiveInt, paddingIdx: kinds.orNull(kinds.int),
      maxNorm: kinds.only(null, "renormalising rows to maxNorm is not implemented"), normType: kinds.number,
      scaleGradByFreq: kinds.only(false, "frequency-scaled gradients are not implemented"), sparse: kinds.only(false, "sparse gradients are not implemented"),
    }, { generator: kinds.generator }, ["numEmbeddings", "embeddingDim"]);
    if (paddingIdx !== null && (!Number.isInteger(paddingIdx) || paddingIdx < -numEmbeddings || paddingIdx >= numEmbeddings)) {
      throw new Error(`Embedding: paddingIdx ${paddingIdx} must be within [${-numEmbeddings}, ${numEmbeddings - 1}]`);
    }
    this.paddingIdx = paddingIdx === null ? null : paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx;
    this.weight = parameter(normal_(Tensor.empty([numEmbeddings, embeddingDim], "float32", "Embedding weight"), 0, 1, { generator }));
    if (this.paddingIdx !== null) this.weight.liveData().fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
  }

  /**
   * The rows of the table at int32 indices of any shape; returns [...indices.shape, embeddingDim]. An index
   * out of range is an error naming it.
   */
  forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight, this.paddingIdx);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx === null ? "" : `, padding_idx=${this.paddingIdx}`}`;
  }
}

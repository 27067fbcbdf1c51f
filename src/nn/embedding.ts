// Embedding: a learned lookup table over src/ops/embedding.ts.
import { Tensor } from "../tensor.js";
import { embedding } from "../ops/embedding.js";
import type { Generator } from "../random.js";
import { Module, parameter } from "./module.js";
import { normal_ } from "./init.js";

/** Rows of weight [numEmbeddings, embeddingDim] picked by int32 indices; N(0, 1) init like PyTorch, padding row zeroed. */
export class Embedding extends Module {
  readonly weight: Tensor;
  readonly paddingIdx: number | null;

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, options: { paddingIdx?: number | null; generator?: Generator } = {}) {
    super();
    const { paddingIdx = null, generator } = options;
    if (paddingIdx !== null && (!Number.isInteger(paddingIdx) || paddingIdx < -numEmbeddings || paddingIdx >= numEmbeddings)) {
      throw new Error(`Embedding: paddingIdx ${paddingIdx} must be within [${-numEmbeddings}, ${numEmbeddings - 1}]`);
    }
    this.paddingIdx = paddingIdx === null ? null : paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx;
    this.weight = parameter(normal_(Tensor.empty([numEmbeddings, embeddingDim], "float32", "Embedding weight"), 0, 1, { generator }));
    if (this.paddingIdx !== null) this.weight.liveData().fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
  }

  forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight, this.paddingIdx);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx === null ? "" : `, padding_idx=${this.paddingIdx}`}`;
  }
}

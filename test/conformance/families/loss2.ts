// Conformance handlers for loss2.json: cross-entropy with probability targets, class weights and
// ignore_index; Gaussian NLL; cosine similarity; cosine-embedding, margin-ranking and triplet losses.
// Attributes map to the options by name (snake_case → camelCase); absent ones keep the defaults.
import * as sg from "../../../src/index.js";
import type { OpFn } from "../run.js";

const F = sg.nn.functional;

/** The case's attrs as the function's options: only those present, renamed. */
function options(attrs: Record<string, unknown>): any {
  return Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]));
}

export const ops: Record<string, OpFn> = {
  cross_entropy: ({ input, target, weight }, a) => F.crossEntropy(input, target, { ...options(a), ...(weight ? { weight } : {}) }),
  gaussian_nll_loss: ({ input, target, var: variance }, a) => F.gaussianNllLoss(input, target, variance, options(a)),
  cosine_similarity: ({ x1, x2 }, a) => F.cosineSimilarity(x1, x2, options(a)),
  cosine_embedding_loss: ({ input1, input2, target }, a) => F.cosineEmbeddingLoss(input1, input2, target, options(a)),
  margin_ranking_loss: ({ input1, input2, target }, a) => F.marginRankingLoss(input1, input2, target, options(a)),
  triplet_margin_loss: ({ anchor, positive, negative }, a) => F.tripletMarginLoss(anchor, positive, negative, options(a)),
};

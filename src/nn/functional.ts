// torch.nn.functional: activations, linear, dropout and the losses as plain functions.
// The activations of the unary table (assembly/ops/unary.mjs).
// <generated from assembly/ops/unary.mjs by scripts/elementwise-ops.mjs: do not edit>
export { relu, leakyRelu, elu, gelu, silu, sigmoid, tanh, softplus, hardswish, hardsigmoid, mish, logSigmoid, sign, step } from "../ops/elementwise.js";
// </generated>
export { softmax, logSoftmax } from "../ops/reduce.js";
export { linear } from "../ops/matmul.js";
export { embedding } from "../ops/embedding.js";
export { conv1d, conv2d, convTranspose2d } from "../ops/conv.js";
export { maxPool2d, maxPool2dWithIndices, avgPool2d, adaptiveAvgPool2d, globalAvgPool2d, interpolate } from "../ops/pool.js";
export { batchNorm, layerNorm, groupNorm } from "../ops/norm.js";
export { prelu } from "../ops/prelu.js";
export { dropout, gaussianNoise } from "../ops/dropout.js";
export {
  mseLoss, l1Loss, smoothL1Loss, huberLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits, crossEntropy, nllLoss, klDiv,
  gaussianNllLoss, cosineSimilarity, cosineEmbeddingLoss, marginRankingLoss, tripletMarginLoss,
  type Reduction, type KlDivReduction, type ClassLossOptions, type CrossEntropyOptions, type GaussianNllOptions,
  type CosineSimilarityOptions, type MarginLossOptions, type TripletMarginOptions,
} from "../ops/loss.js";
export { scaledDotProductAttention } from "../ops/attention.js";
export { multiHeadAttentionForward } from "./attention.js";

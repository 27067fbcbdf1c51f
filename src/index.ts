// simdgrad: deep learning on WebAssembly SIMD with a PyTorch-shaped API. Every public name is
// listed here by name (test/public-api.test.ts holds the list): kernels' wrappers and helpers
// shared between ops stay internal.
export { Tensor, keep, dispose, type DType, type ArrayFor, type FloatTensor, type IntTensor, type Shape, type NestedArray } from "./tensor.js";
export { enableGrad, isGradEnabled, setDetectAnomaly, isAnomalyEnabled, grad, type BackwardOptions, type GradOptions } from "./autograd.js";
export { noGrad, tidy } from "./scopes.js";
export { init, initSync, setNumThreads, getNumThreads, shutdownThreads, type InitOptions } from "./backend/wasm.js";
export { memoryStats, emptyCache } from "./memory.js";
export { setPrintOptions, getPrintOptions, type PrintOptions } from "./ops/format.js";
export { manualSeed, Generator } from "./random.js";
export {
  tensor, full, zeros, ones, empty, zerosLike, onesLike, fullLike, eye, linspace, arange, rand, randn, randLike, randnLike, randint,
  type CreateOptions, type RandomOptions, type DTypeFrom, type DataDType,
} from "./ops/creation.js";
export {
  relu, leakyRelu, elu, gelu, silu, sigmoid, tanh, softplus, exp, log, sqrt, abs, neg, square, sin, cos, sign, step, reciprocal, clamp,
} from "./ops/elementwise.js";
export { add, sub, mul, div, pow, maximum, minimum, eq, ne, gt, lt, ge, le, where, maskedFill } from "./ops/binary.js";
export { sum, mean, variance as var, std, max, min, argmax, argmin, logsumexp, cumsum, softmax, logSoftmax, type MaxResult, type VarianceOptions } from "./ops/reduce.js";
export { gather, scatterAdd, indexSelect, indexAdd, sort, argsort, topk, type SortResult } from "./ops/indexing.js";
export { einsum } from "./ops/einsum.js";
export {
  reshape, flatten, squeeze, unsqueeze, clone, toDType, permute, transpose, slice, narrow, cat, stack, pad,
  flip, roll, diagonal, split, chunk, tril, triu, repeat,
} from "./ops/shape.js";
export { expand } from "./ops/broadcast.js";
export { matmul, linear } from "./ops/matmul.js";
export { embedding } from "./ops/embedding.js";
export {
  rnn, lstm, gru, rnnCell, lstmCell, gruCell, type RnnWeights, type RnnNonlinearity, type SequenceLengths, type RnnStackOptions, type RnnOptions,
} from "./ops/rnn.js";
export { scaledDotProductAttention, type ScaledDotProductAttentionOptions } from "./ops/attention.js";
export { conv1d, conv2d, convTranspose2d, type Size2, type Conv1dOptions, type Conv2dOptions, type ConvTranspose2dOptions } from "./ops/conv.js";
export {
  maxPool2d, maxPool2dWithIndices, avgPool2d, adaptiveAvgPool2d, globalAvgPool2d, interpolate,
  type MaxPool2dOptions, type AvgPool2dOptions, type InterpolateOptions,
} from "./ops/pool.js";
export { batchNorm, layerNorm, groupNorm, type BatchNormOptions } from "./ops/norm.js";
export { gradcheck, gradgradcheck } from "./gradcheck.js";
export { vjp, jvp, hvp, jacobian, hessian, type TensorFn, type FunctionalOptions, type JacobianOptions } from "./functional.js";
export * as nn from "./nn/index.js";
export * as optim from "./optim/index.js";
export * as quantization from "./quantization.js";
export { quantize, quantizeDynamic } from "./quantization.js";
export { TensorDataset, Subset, randomSplit, type Dataset } from "./data/dataset.js";
export { DataLoader, type DataLoaderOptions } from "./data/dataloader.js";
export { parseIdx, encodeIdx, type IdxArray } from "./data/idx.js";
export { save, load } from "./io/state.js";
export { encodeSafetensors, decodeSafetensors, type RawTensor, type SafeDType } from "./io/safetensors.js";
export { fit, fitAsync, evaluate, accuracy, type FitOptions, type FitAsyncOptions, type FitControl, type FitCallbacks, type History, type EpochLog, type BatchLog, type LossFn, type AccuracyFn } from "./train/fit.js";
export type { FitPlotOptions, EpochFigures, PlotContainer } from "./train/plot-epochs.js";

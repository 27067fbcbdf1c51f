// simdgrad: deep learning on WebAssembly SIMD with a PyTorch-shaped API.
export { Tensor, tidy, keep, dispose, type DType, type Shape, type NestedArray } from "./tensor.js";
export { noGrad, isGradEnabled } from "./autograd.js";
export { init, initSync, type InitOptions } from "./backend/wasm.js";
export { memoryStats } from "./memory.js";
export { manualSeed, Generator } from "./random.js";
export * from "./ops/creation.js";
export * from "./ops/elementwise.js";
export * from "./ops/binary.js";
export { sum, mean, variance as var, max, argmax, softmax, logSoftmax, gather } from "./ops/reduce.js";
export * from "./ops/shape.js";
export { matmul, linear } from "./ops/matmul.js";
export { gradcheck } from "./gradcheck.js";

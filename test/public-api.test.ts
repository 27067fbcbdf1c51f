// The public API, name by name: a name that becomes public (or stops being public) fails here.
// New public functions and layers are added to these lists on purpose; an internal helper that
// leaks through an index file (a kernel wrapper, a shared check) is caught.
import { describe, expect, it } from "vitest";
import * as sg from "../src/index.js";
import * as onnx from "../src/onnx.js";

const words = (s: string) => s.trim().split(/\s+/).sort();

const PUBLIC = {
  top: words(`
    DataLoader Generator Subset Tensor TensorDataset abs accuracy adaptiveAvgPool2d add arange argmax argmin
    argsort avgPool2d batchNorm cat chunk clamp clone conv1d conv2d convTranspose2d cos cumsum decodeSafetensors
    diagonal dispose div einsum elu embedding empty emptyCache enableGrad encodeIdx encodeSafetensors eq evaluate exp expand eye
    fit fitAsync flatten flip full fullLike gather ge gelu getNumThreads globalAvgPool2d grad gradcheck
    gradgradcheck groupNorm gru gruCell gt hessian hvp indexAdd indexSelect init initSync interpolate
    isAnomalyEnabled isGradEnabled jacobian jvp keep layerNorm le leakyRelu linear linspace load log logSoftmax
    logsumexp lstm lstmCell lt manualSeed maskedFill matmul max maxPool2d maxPool2dWithIndices maximum mean
    memoryStats min minimum mul narrow ne neg noGrad ones onesLike pad parseIdx permute pow quantize quantizeDynamic rand randLike randint
    randn randnLike randomSplit reciprocal relu repeat reshape rnn rnnCell roll save scaledDotProductAttention
    scatterAdd setDetectAnomaly setNumThreads shutdownThreads sigmoid sign silu sin slice softmax softplus sort split sqrt square
    setPrintOptions getPrintOptions
    squeeze stack std step sub sum tanh tensor tidy toDType topk transpose tril triu unsqueeze var vjp where zeros
    zerosLike
  `),
  nn: words(`
    AdaptiveAvgPool2d AvgPool2d BCELoss BCEWithLogitsLoss BatchNorm1d BatchNorm2d Conv1d Conv2d ConvTranspose2d
    CosineEmbeddingLoss CosineSimilarity CrossEntropyLoss Dropout ELU GaussianNLLLoss MarginRankingLoss TripletMarginLoss Embedding Flatten GELU GRU GRUCell GaussianNoise GlobalAvgPool2d GroupNorm
    Hardsigmoid Hardswish HuberLoss Identity KLDivLoss L1Loss LSTM LSTMCell LayerNorm LeakyReLU
    LearnedPositionalEncoding Linear LogSigmoid LogSoftmax MSELoss MaxPool2d Mish Module MultiheadAttention
    ModuleDict ModuleList NLLLoss PReLU RNN RNNCell ReLU ResidualBlock SOM Sequential SiLU Sigmoid Sign SinusoidalPositionalEncoding
    SmoothL1Loss Softmax Softplus Step Swish Tanh TransformerDecoder TransformerDecoderLayer TransformerEncoder
    TransformerEncoderLayer Upsample buffer generateSquareSubsequentMask parameter sinusoidalPositionalEncoding
  `),
  "nn.functional": words(`
    cosineEmbeddingLoss cosineSimilarity gaussianNllLoss marginRankingLoss tripletMarginLoss
    adaptiveAvgPool2d avgPool2d batchNorm binaryCrossEntropy binaryCrossEntropyWithLogits conv1d conv2d
    convTranspose2d crossEntropy dropout elu embedding gaussianNoise gelu globalAvgPool2d groupNorm hardsigmoid
    hardswish huberLoss interpolate klDiv l1Loss layerNorm leakyRelu linear logSigmoid logSoftmax maxPool2d
    maxPool2dWithIndices mish mseLoss multiHeadAttentionForward nllLoss prelu relu scaledDotProductAttention
    sigmoid sign silu smoothL1Loss softmax softplus step tanh
  `),
  "nn.init": words(`
    calculateFans calculateGain constant constant_ kaimingNormal kaimingNormal_ kaimingUniform kaimingUniform_
    normal normal_ ones ones_ orthogonal orthogonal_ uniform uniform_ xavierNormal xavierNormal_ xavierUniform
    xavierUniform_ zeros zeros_ sparse sparse_
  `),
  optim: words(`
    Adadelta Adagrad Adam AdamW CosineAnnealingLR ExponentialLR LRScheduler LambdaLR LinearLR MultiStepLR
    Optimizer RMSprop ReduceLROnPlateau SGD SequentialLR StepLR clipGradNorm clipGradValue l1Penalty l2Penalty
  `),
  quantization: words(`
    DynamicQuantizedLinear QuantizedConv2d QuantizedLinear convert prepare quantize quantizeDynamic
  `),
};

const names = (o: object, without: string[] = []) => Object.keys(o).filter((k) => !without.includes(k)).sort();

describe("public API", () => {
  it.each([
    ["top", names(sg, ["nn", "optim", "quantization"])],
    ["nn", names(sg.nn, ["functional", "init"])],
    ["nn.functional", names(sg.nn.functional)],
    ["nn.init", names(sg.nn.init)],
    ["optim", names(sg.optim)],
    ["quantization", names(sg.quantization)],
  ] as const)("%s exports exactly the listed names", (where, actual) => {
    expect(actual).toEqual(PUBLIC[where]);
  });

  it("simdgrad/onnx exports exactly its three names", () => {
    expect(names(onnx)).toEqual(["OnnxModule", "exportOnnx", "importOnnx"]);
  });

  it("keeps kernel wrappers and helpers shared between ops internal", () => {
    for (const internal of ["unaryOp", "binaryKernel", "broadcastTo", "affine", "powScalar", "checkOptionNames", "gemm", "backend"]) {
      expect(names(sg)).not.toContain(internal);
    }
  });
});

// simdgrad.nn: modules, layers, losses, initialisation (torch.nn).
export { Module, parameter, buffer } from "./module.js";
export { Linear, Identity, Flatten } from "./linear.js";
export { Sequential, ModuleList, ModuleDict } from "./container.js";
export * from "./activation.js"; // every export there is a layer
export { Dropout, GaussianNoise } from "./regularization.js";
export { Embedding } from "./embedding.js";
export { RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell, type RecurrentOptions, type RNNOptions, type LSTMOptions, type CellOptions, type RNNCellOptions } from "./recurrent.js";
export { MultiheadAttention, type MultiheadAttentionOptions, type MultiHeadAttentionCallOptions } from "./attention.js";
export {
  TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer, TransformerDecoder, SinusoidalPositionalEncoding, LearnedPositionalEncoding,
  generateSquareSubsequentMask, sinusoidalPositionalEncoding, type TransformerLayerOptions, type TransformerActivation,
} from "./transformer.js";
export { Conv1d, Conv2d, ConvTranspose2d } from "./conv.js";
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, GlobalAvgPool2d, Upsample } from "./pool.js";
export { BatchNorm1d, BatchNorm2d, LayerNorm, GroupNorm } from "./norm.js";
export { ResidualBlock } from "./residual.js";
export { SOM, type SOMOptions, type SOMFitOptions, type SOMTopology, type SOMNeighborhood, type SOMDecay } from "./som.js";
export {
  MSELoss, L1Loss, SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, NLLLoss, KLDivLoss,
  GaussianNLLLoss, CosineSimilarity, CosineEmbeddingLoss, MarginRankingLoss, TripletMarginLoss,
} from "./loss.js";
export * as functional from "./functional.js";
export * as init from "./init.js";

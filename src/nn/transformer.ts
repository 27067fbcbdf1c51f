// Transformer layers (torch.nn.TransformerEncoderLayer / TransformerDecoderLayer and their stacks)
// and positional encodings. Field names are PyTorch's state-dict keys (self_attn.in_proj_weight,
// linear1.weight, norm1.bias, layers.0.…), so PyTorch weights load unchanged.
import { Tensor, shapeToString, tidy } from "../tensor.js";
import { linear } from "../ops/matmul.js";
import { gelu } from "../ops/elementwise.js";
import { add } from "../ops/binary.js";
import { narrow, reshape } from "../ops/shape.js";
import { causalMask } from "../ops/attention.js";
import { checkOptionNames } from "../ops/checks.js";
import { readArgs, kinds, type Args, type Kind } from "../ops/args.js";
import type { Generator } from "../random.js";
import { Module, buffer, parameter, reprFloat } from "./module.js";
import { MultiheadAttention } from "./attention.js";
import { Linear } from "./linear.js";
import { LayerNorm } from "./norm.js";
import { Dropout } from "./regularization.js";
import { normal_ } from "./init.js";

/**
 * The feed-forward activation of a Transformer layer: "relu", "gelu" (erf form) or a function of a tensor.
 */
export type TransformerActivation = "relu" | "gelu" | ((x: Tensor) => Tensor);

/**
 * The options of TransformerEncoderLayer and TransformerDecoderLayer (torch's keyword arguments, camelCased).
 */
export interface TransformerLayerOptions {
  /** Hidden size of the feed-forward block. Default 2048. */
  dimFeedforward?: number;
  /** Dropout after attention, inside and after the feed-forward block, and on the attention weights. Default 0.1. */
  dropout?: number;
  /** Feed-forward activation: "relu" (default), "gelu" (erf form) or a function. */
  activation?: TransformerActivation;
  /** The layer norms' epsilon. Default 1e-5. */
  layerNormEps?: number;
  /** Inputs and outputs as [N, L, E] instead of [L, N, E]. Default false. */
  batchFirst?: boolean;
  /** Pre-norm: x + f(norm(x)) instead of norm(x + f(x)). Default false. */
  normFirst?: boolean;
  /** Biases in the linear layers and layer norms. Default true. */
  bias?: boolean;
  /** The random generator for the initial weights and dropout masks (the global one by default). */
  generator?: Generator;
}

/** PyTorch's order after (dModel, nhead): (dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias), then options. */
export type TransformerLayerArgs = Args<[dimFeedforward: number, dropout: number, activation: TransformerActivation, layerNormEps: number,
  batchFirst: boolean, normFirst: boolean, bias: boolean], TransformerLayerOptions>;

const activationKind: Kind = {
  test: (v) => v === "relu" || v === "gelu" || typeof v === "function",
  expected: '"relu", "gelu" or a function',
};

const LAYER_ARGS = {
  dModel: kinds.positiveInt, nhead: kinds.positiveInt, dimFeedforward: kinds.positiveInt, dropout: kinds.probability,
  activation: activationKind, layerNormEps: kinds.positive, batchFirst: kinds.bool, normFirst: kinds.bool, bias: kinds.bool,
};

/** What both layer kinds share: the feed-forward block and the residual wiring. */
interface LayerParts {
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  readonly activationFn: TransformerActivation;
  readonly normFirst: boolean;
}

function feedForward(layer: LayerParts, x: Tensor): Tensor {
  const { activationFn: act, linear1 } = layer;
  const hidden = act === "relu" ? linear(x, linear1.weight, linear1.bias, { activation: "relu" })
    : act === "gelu" ? gelu(linear1.forward(x)) : act(linear1.forward(x));
  return layer.linear2.forward(layer.dropout.forward(hidden));
}

/** One sublayer with its residual: x + f(norm(x)) pre-norm, norm(x + f(x)) post-norm. */
function residual(layer: LayerParts, x: Tensor, norm: LayerNorm, f: (y: Tensor) => Tensor): Tensor {
  return layer.normFirst ? add(x, f(norm.forward(x))) : norm.forward(add(x, f(x)));
}

/**
 * Reads a layer's arguments and builds its sublayers under PyTorch's names, in PyTorch's order
 * (hence its state-dict keys): self_attn, [multihead_attn,] linear1, dropout, linear2, norm1..k,
 * dropout1..k, with k = attentions + 1 residual blocks. An encoder layer has 1 attention, a decoder layer 2.
 */
function buildLayer(op: string, dModel: number, nhead: number, args: readonly unknown[], attentions: 1 | 2) {
  const { dModel: _, nhead: __, ...options } = readArgs<TransformerLayerOptions & { dModel: number; nhead: number }>(op, [dModel, nhead, ...args], LAYER_ARGS,
    { generator: kinds.generator }, ["dModel", "nhead"]);
  const { dimFeedforward = 2048, dropout = 0.1, activation = "relu", layerNormEps = 1e-5, batchFirst = false, normFirst = false, bias = true, generator } = options;
  const attention = () => new MultiheadAttention(dModel, nhead, { dropout, bias, batchFirst, generator });
  const numbered = <T>(make: () => T, prefix: string) => Object.fromEntries(Array.from({ length: attentions + 1 }, (_, i) => [`${prefix}${i + 1}`, make()]));
  return {
    options, activationFn: activation, normFirst,
    self_attn: attention(),
    ...(attentions === 2 ? { multihead_attn: attention() } : {}),
    linear1: new Linear(dModel, dimFeedforward, { bias, generator }),
    dropout: new Dropout(dropout, { generator }),
    linear2: new Linear(dimFeedforward, dModel, { bias, generator }),
    ...numbered(() => new LayerNorm(dModel, { eps: layerNormEps, bias }), "norm"),
    ...numbered(() => new Dropout(dropout, { generator }), "dropout"),
  };
}

export interface EncoderLayerCallOptions {
  /** [L, L] or [N·nhead, L, L]: int32 (boolean, nonzero = not allowed) or float32 (added). */
  srcMask?: Tensor | null;
  /** [N, L]: int32 (boolean, nonzero = padding) or float32 (added). */
  srcKeyPaddingMask?: Tensor | null;
  /** Causal self-attention; when srcMask is given it is taken as that mask. */
  isCausal?: boolean;
}

/** torch.nn.TransformerEncoderLayer: self-attention and a feed-forward block, each with a residual and a layer norm. */
export class TransformerEncoderLayer extends Module implements LayerParts {
  /** Multi-head self-attention over the input (PyTorch's `self_attn`). */
  readonly self_attn!: MultiheadAttention;
  /** The feed-forward block's first layer, dModel -> dimFeedforward. */
  readonly linear1!: Linear;
  /** Dropout inside the feed-forward block, after the activation. */
  readonly dropout!: Dropout;
  /** The feed-forward block's second layer, dimFeedforward -> dModel. */
  readonly linear2!: Linear;
  /** The layer norm of the attention block. */
  readonly norm1!: LayerNorm;
  /** The layer norm of the feed-forward block. */
  readonly norm2!: LayerNorm;
  /** Dropout on the attention block's output, before the residual sum. */
  readonly dropout1!: Dropout;
  /** Dropout on the feed-forward block's output, before the residual sum. */
  readonly dropout2!: Dropout;
  /** The feed-forward activation. */
  readonly activationFn!: TransformerActivation;
  /** Pre-norm (x + f(norm(x))) when true, post-norm (norm(x + f(x))) when false. */
  readonly normFirst!: boolean;
  /** The settings given (positional ones by name), from which TransformerEncoder builds its copies. */
  readonly options!: TransformerLayerOptions;

  /**
   * PyTorch's order: (dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias), then options.
   * @param dModel The features of each position (the model width).
   * @param nhead The attention heads; dModel must be a multiple of it.
   */
  constructor(readonly dModel: number, readonly nhead: number, ...args: TransformerLayerArgs) {
    super();
    Object.assign(this, buildLayer("TransformerEncoderLayer", dModel, nhead, args, 1));
  }

  /**
   * One encoder layer over src [L, N, dModel] ([N, L, dModel] with batchFirst); returns the same shape.
   * options: srcMask, srcKeyPaddingMask, isCausal.
   */
  forward(src: Tensor, options: EncoderLayerCallOptions = {}): Tensor {
    checkOptionNames("TransformerEncoderLayer.forward", options, ["srcMask", "srcKeyPaddingMask", "isCausal"]);
    const { srcMask = null, srcKeyPaddingMask = null, isCausal = false } = options;
    return tidy(() => {
      const selfAttention = (y: Tensor) =>
        this.dropout1.forward(this.self_attn.forward(y, y, y, { attnMask: srcMask, keyPaddingMask: srcKeyPaddingMask, isCausal, needWeights: false })[0]);
      const x = residual(this, src, this.norm1, selfAttention);
      return residual(this, x, this.norm2, (y) => this.dropout2.forward(feedForward(this, y)));
    });
  }
}

export interface DecoderLayerCallOptions {
  /** Self-attention mask over the target, [T, T] or [N·nhead, T, T] (MultiheadAttention's conventions). */
  tgtMask?: Tensor | null;
  /** Cross-attention mask, [T, S] or [N·nhead, T, S]. */
  memoryMask?: Tensor | null;
  /** [N, T] padding of the target. */
  tgtKeyPaddingMask?: Tensor | null;
  /** [N, S] padding of the memory. */
  memoryKeyPaddingMask?: Tensor | null;
  /** Causal self-attention (tgtMask, if given, is taken as that mask). */
  tgtIsCausal?: boolean;
  /** Causal cross-attention (memoryMask, if given, is taken as that mask). */
  memoryIsCausal?: boolean;
}

const DECODER_CALL_OPTIONS = ["tgtMask", "memoryMask", "tgtKeyPaddingMask", "memoryKeyPaddingMask", "tgtIsCausal", "memoryIsCausal"] as const;

/** torch.nn.TransformerDecoderLayer: self-attention, attention over the encoder's memory, and a feed-forward block. */
export class TransformerDecoderLayer extends Module implements LayerParts {
  /** Multi-head self-attention over the target (PyTorch's `self_attn`). */
  readonly self_attn!: MultiheadAttention;
  /** Multi-head attention from the target to the encoder's memory (PyTorch's `multihead_attn`). */
  readonly multihead_attn!: MultiheadAttention;
  /** The feed-forward block's first layer, dModel -> dimFeedforward. */
  readonly linear1!: Linear;
  /** Dropout inside the feed-forward block, after the activation. */
  readonly dropout!: Dropout;
  /** The feed-forward block's second layer, dimFeedforward -> dModel. */
  readonly linear2!: Linear;
  /** The layer norm of the self-attention block. */
  readonly norm1!: LayerNorm;
  /** The layer norm of the cross-attention block. */
  readonly norm2!: LayerNorm;
  /** The layer norm of the feed-forward block. */
  readonly norm3!: LayerNorm;
  /** Dropout on the self-attention block's output. */
  readonly dropout1!: Dropout;
  /** Dropout on the cross-attention block's output. */
  readonly dropout2!: Dropout;
  /** Dropout on the feed-forward block's output. */
  readonly dropout3!: Dropout;
  /** The feed-forward activation. */
  readonly activationFn!: TransformerActivation;
  /** Pre-norm (x + f(norm(x))) when true, post-norm (norm(x + f(x))) when false. */
  readonly normFirst!: boolean;
  /** The settings given (positional ones by name), from which TransformerDecoder builds its copies. */
  readonly options!: TransformerLayerOptions;

  /**
   * PyTorch's order: (dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias), then options.
   * @param dModel The features of each position (the model width).
   * @param nhead The attention heads; dModel must be a multiple of it.
   */
  constructor(readonly dModel: number, readonly nhead: number, ...args: TransformerLayerArgs) {
    super();
    Object.assign(this, buildLayer("TransformerDecoderLayer", dModel, nhead, args, 2));
  }

  /**
   * One decoder layer over tgt [T, N, dModel] attending to memory [S, N, dModel] (batch first with
   * batchFirst); returns tgt's shape. options: tgtMask, memoryMask, the key padding masks, tgtIsCausal,
   * memoryIsCausal.
   */
  forward(tgt: Tensor, memory: Tensor, options: DecoderLayerCallOptions = {}): Tensor {
    checkOptionNames("TransformerDecoderLayer.forward", options, DECODER_CALL_OPTIONS);
    const { tgtMask = null, memoryMask = null, tgtKeyPaddingMask = null, memoryKeyPaddingMask = null, tgtIsCausal = false, memoryIsCausal = false } = options;
    return tidy(() => {
      const selfAttention = (y: Tensor) =>
        this.dropout1.forward(this.self_attn.forward(y, y, y, { attnMask: tgtMask, keyPaddingMask: tgtKeyPaddingMask, isCausal: tgtIsCausal, needWeights: false })[0]);
      const crossAttention = (y: Tensor) =>
        this.dropout2.forward(this.multihead_attn.forward(y, memory, memory, { attnMask: memoryMask, keyPaddingMask: memoryKeyPaddingMask, isCausal: memoryIsCausal, needWeights: false })[0]);
      let x = residual(this, tgt, this.norm1, selfAttention);
      x = residual(this, x, this.norm2, crossAttention);
      return residual(this, x, this.norm3, (y) => this.dropout3.forward(feedForward(this, y)));
    });
  }
}

type LayerKind = TransformerEncoderLayer | TransformerDecoderLayer;

/**
 * numLayers layers like `layer`: the layer itself first, then copies with its configuration and
 * its current weights (PyTorch deep-copies it, so every layer starts from the same weights).
 */
function stackOf<L extends LayerKind>(layer: L, numLayers: number, op: string): L[] {
  if (!Number.isInteger(numLayers) || numLayers < 1) throw new Error(`${op}: numLayers must be a positive integer, got ${numLayers}`);
  const Kind = layer.constructor as new (dModel: number, nhead: number, options: TransformerLayerOptions) => L;
  const state = layer.stateDict();
  return [layer, ...Array.from({ length: numLayers - 1 }, () => {
    const copy = new Kind(layer.dModel, layer.nhead, layer.options);
    copy.loadStateDict(state);
    return copy;
  })];
}

interface StackOptions {
  /** A final layer norm after the last layer. Default none. */
  norm?: LayerNorm | null;
}

/** A stack's final norm, given by position or as an option. */
function readStackArgs(op: string, args: readonly unknown[]): LayerNorm | null {
  const normKind = kinds.orNull({ test: (v) => v instanceof LayerNorm, expected: "a LayerNorm" });
  return readArgs<StackOptions>(op, args, { norm: normKind }).norm ?? null;
}

/** torch.nn.TransformerEncoder: numLayers encoder layers (state-dict keys layers.0.…) and an optional final norm. */
export class TransformerEncoder extends Module {
  /** The numLayers encoder layers: independent copies of the given layer (state-dict keys `layers.0.…`). */
  readonly layers: TransformerEncoderLayer[];
  /** The final layer norm, or null. */
  readonly norm: LayerNorm | null;

  /**
   * PyTorch's order: (encoderLayer, numLayers, norm), then options.
   * @param numLayers The number of copies of encoderLayer.
   */
  constructor(encoderLayer: TransformerEncoderLayer, readonly numLayers: number, ...args: Args<[norm: LayerNorm | null], StackOptions>) {
    super();
    this.layers = stackOf(encoderLayer, numLayers, "TransformerEncoder");
    this.norm = readStackArgs("TransformerEncoder", args);
  }

  /** Runs src through every layer (with the same mask options) and the final norm; returns src's shape. */
  forward(src: Tensor, options: { mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; isCausal?: boolean } = {}): Tensor {
    checkOptionNames("TransformerEncoder.forward", options, ["mask", "srcKeyPaddingMask", "isCausal"]);
    const { mask = null, srcKeyPaddingMask = null, isCausal = false } = options;
    return tidy(() => {
      let x = src;
      for (const layer of this.layers) x = layer.forward(x, { srcMask: mask, srcKeyPaddingMask, isCausal });
      return this.norm ? this.norm.forward(x) : x;
    });
  }
}

/** torch.nn.TransformerDecoder: numLayers decoder layers (layers.0.…) and an optional final norm. */
export class TransformerDecoder extends Module {
  /** The numLayers decoder layers: independent copies of the given layer. */
  readonly layers: TransformerDecoderLayer[];
  /** The final layer norm, or null. */
  readonly norm: LayerNorm | null;

  /**
   * PyTorch's order: (decoderLayer, numLayers, norm), then options.
   * @param numLayers The number of copies of decoderLayer.
   */
  constructor(decoderLayer: TransformerDecoderLayer, readonly numLayers: number, ...args: Args<[norm: LayerNorm | null], StackOptions>) {
    super();
    this.layers = stackOf(decoderLayer, numLayers, "TransformerDecoder");
    this.norm = readStackArgs("TransformerDecoder", args);
  }

  /** Runs tgt through every layer, each attending to memory, then the final norm; returns tgt's shape. */
  forward(tgt: Tensor, memory: Tensor, options: DecoderLayerCallOptions = {}): Tensor {
    checkOptionNames("TransformerDecoder.forward", options, DECODER_CALL_OPTIONS);
    return tidy(() => {
      let x = tgt;
      for (const layer of this.layers) x = layer.forward(x, memory, options);
      return this.norm ? this.norm.forward(x) : x;
    });
  }
}

/**
 * torch.nn.Transformer.generate_square_subsequent_mask: [size, size] float mask, 0 on and below the
 * diagonal and -Infinity above it (query i sees positions j ≤ i).
 */
export function generateSquareSubsequentMask(size: number): Tensor {
  if (!Number.isInteger(size) || size < 1) throw new Error(`generateSquareSubsequentMask: size must be a positive integer, got ${size}`);
  return causalMask(size, size);
}

/**
 * The sinusoidal encoding of "Attention Is All You Need": [length, dModel] with
 * pe[p, 2i] = sin(p / 10000^(2i/dModel)) and pe[p, 2i+1] = cos(p / 10000^(2i/dModel)).
 */
export function sinusoidalPositionalEncoding(length: number, dModel: number): Tensor {
  if (!Number.isInteger(length) || length < 0 || !Number.isInteger(dModel) || dModel < 1) {
    throw new Error(`sinusoidalPositionalEncoding: length (${length}) and dModel (${dModel}) must be a non-negative and a positive integer`);
  }
  const pe = Tensor.empty([length, dModel], "float32", "positional encoding");
  const v = pe.liveData();
  for (let p = 0; p < length; p++) {
    for (let i = 0; i < dModel; i++) {
      const angle = p / Math.pow(10000, (2 * Math.floor(i / 2)) / dModel);
      v[p * dModel + i] = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return pe;
}

interface PositionalOptions {
  /** Dropout after adding the encoding (PyTorch tutorial's PositionalEncoding). Default 0. */
  dropout?: number;
  /** Input [N, L, dModel] instead of [L, N, dModel]. Default false. */
  batchFirst?: boolean;
  generator?: Generator;
}

/** Adds positions 0..L-1 of a [maxLen, dModel] table to x, broadcast over the batch. */
function addPositions(op: string, x: Tensor, table: Tensor, batchFirst: boolean): Tensor {
  const [maxLen, dModel] = table.shape;
  const L = x.shape[batchFirst ? 1 : 0];
  if (x.ndim !== 3 || x.shape[2] !== dModel || L > maxLen) {
    throw new Error(`${op}: expected input ${batchFirst ? "[N, L" : "[L, N"}, ${dModel}] with L ≤ ${maxLen}, got ${shapeToString(x.shape)}`);
  }
  return tidy(() => {
    const rows = narrow(table, 0, 0, L);
    return add(x, batchFirst ? rows : reshape(rows, [L, 1, dModel]));
  });
}

/** x + the sinusoidal encoding (a buffer `pe` [maxLen, dModel], as in PyTorch's tutorial), then dropout. */
export class SinusoidalPositionalEncoding extends Module {
  /** The encoding table [maxLen, dModel] (a buffer: sin at even features, cos at odd ones). */
  readonly pe: Tensor;
  /** Dropout after the sum (probability `dropout`, default 0.1). */
  readonly dropout: Dropout;
  /** Whether x is [N, L, dModel] (true) or [L, N, dModel] (false). */
  readonly batchFirst: boolean;

  /**
   * @param dModel The features of each position (even).
   */
  constructor(readonly dModel: number, options: PositionalOptions & { maxLen?: number } = {}) {
    super();
    checkOptionNames("SinusoidalPositionalEncoding", options, ["dropout", "batchFirst", "generator", "maxLen"]);
    const { maxLen = 5000, dropout = 0, batchFirst = false, generator } = options;
    this.pe = buffer(sinusoidalPositionalEncoding(maxLen, dModel));
    this.dropout = new Dropout(dropout, { generator });
    this.batchFirst = batchFirst;
  }

  /** x + pe[0..L-1] (broadcast over the batch), then dropout; x is [L, N, dModel] or [N, L, dModel]. */
  forward(x: Tensor): Tensor {
    return tidy(() => this.dropout.forward(addPositions("SinusoidalPositionalEncoding", x, this.pe, this.batchFirst)));
  }

  override extraRepr(): string {
    return `d_model=${this.dModel}, max_len=${this.pe.shape[0]}, dropout=${reprFloat(this.dropout.p)}`;
  }
}

/** x + a learned position table `weight` [maxLen, dModel] (N(0, 1) init, like nn.Embedding), then dropout. */
export class LearnedPositionalEncoding extends Module {
  /** The learned position table [maxLen, dModel], N(0, 1) at init. */
  readonly weight: Tensor;
  /** Dropout after the sum. */
  readonly dropout: Dropout;
  /** Whether x is [N, L, dModel] (true) or [L, N, dModel] (false). */
  readonly batchFirst: boolean;

  /**
   * @param maxLen The longest sequence the table covers.
   * @param dModel The features of each position.
   */
  constructor(readonly maxLen: number, readonly dModel: number, options: PositionalOptions = {}) {
    super();
    checkOptionNames("LearnedPositionalEncoding", options, ["dropout", "batchFirst", "generator"]);
    const { dropout = 0, batchFirst = false, generator } = options;
    this.weight = parameter(normal_(Tensor.empty([maxLen, dModel], "float32", "LearnedPositionalEncoding weight"), 0, 1, { generator }));
    this.dropout = new Dropout(dropout, { generator });
    this.batchFirst = batchFirst;
  }

  /** x + weight[0..L-1] (broadcast over the batch), then dropout; L beyond maxLen is an error. */
  forward(x: Tensor): Tensor {
    return tidy(() => this.dropout.forward(addPositions("LearnedPositionalEncoding", x, this.weight, this.batchFirst)));
  }

  override extraRepr(): string {
    return `${this.maxLen}, ${this.dModel}`;
  }
}

// Recurrent layers (RNN, LSTM, GRU: stacked, bidirectional) and cells (RNNCell, LSTMCell,
// GRUCell) over src/ops/rnn.ts. Parameter names are PyTorch's (weight_ih_l0, bias_hh_l1_reverse,
// weight_ih, ...) and come in its order, so state dicts move across unchanged. Constructors take
// PyTorch's positional order, an options object, or both (positional first, the object last).
import { Tensor } from "../tensor.js";
import { rnn, lstm, gru, rnnCell, lstmCell, gruCell, type RnnNonlinearity, type RnnWeights, type SequenceLengths } from "../ops/rnn.js";
import { Generator } from "../random.js";
import { readArgs, kinds, type Args, type Kind } from "../ops/args.js";
import { Module, parameter, reprBool, reprFloat } from "./module.js";
import { uniform_ } from "./init.js";

/** Options shared by RNN, LSTM and GRU (torch.nn.RNN's keyword arguments, camelCased). */
export interface RecurrentOptions {
  /** Stacked layers; layer l > 0 reads layer l − 1's outputs. Default 1. */
  numLayers?: number;
  /** Biases b_ih and b_hh in every layer. Default true. */
  bias?: boolean;
  /** Input and output as [N, T, features] instead of [T, N, features] (states stay [D·numLayers, N, H]). */
  batchFirst?: boolean;
  /** Dropout probability on each layer's output except the last, in training mode. Default 0. */
  dropout?: number;
  /**
   * Run a second layer of each level over the reversed sequence and concatenate both directions' outputs (D =
   * 2). Default false.
   */
  bidirectional?: boolean;
  /** Draws the initial weights and the dropout masks. */
  generator?: Generator;
}

/** The options of nn.RNN. */
export interface RNNOptions extends RecurrentOptions {
  /** The activation: "tanh" (default) or "relu". */
  nonlinearity?: RnnNonlinearity;
}

/** The options of nn.LSTM. */
export interface LSTMOptions extends RecurrentOptions {
  /** Only 0 (no projection of the hidden state): projections are not supported. */
  projSize?: number;
}

/** Options shared by RNNCell, LSTMCell and GRUCell. */
export interface CellOptions {
  /** Biases b_ih and b_hh. Default true. */
  bias?: boolean;
  /** Draws the initial weights, uniform in ±1/√hiddenSize as in PyTorch. */
  generator?: Generator;
}

/** The options of nn.RNNCell. */
export interface RNNCellOptions extends CellOptions {
  /** The activation: "tanh" (default) or "relu". */
  nonlinearity?: RnnNonlinearity;
}

type Sizes = { inputSize: number; hiddenSize: number };
type Settings = Sizes & RNNOptions & LSTMOptions;

const KINDS: Record<string, Kind> = {
  inputSize: kinds.positiveInt, hiddenSize: kinds.positiveInt, numLayers: kinds.positiveInt,
  bias: kinds.bool, batchFirst: kinds.bool, bidirectional: kinds.bool, dropout: kinds.probability,
  nonlinearity: kinds.oneOf("tanh", "relu"), projSize: kinds.only(0, "LSTM projections are not implemented"),
};

/**
 * Reads constructor arguments: `(inputSize, hiddenSize, ...positional, options?)` in PyTorch's
 * order, or one options object holding inputSize and hiddenSize too.
 */
function readSettings(layer: string, args: unknown[], positional: readonly string[]): Settings {
  const order = ["inputSize", "hiddenSize", ...positional];
  const given = readArgs(layer, args, Object.fromEntries(order.map((k) => [k, KINDS[k]])), { generator: kinds.generator }, ["inputSize", "hiddenSize"]);
  return given as unknown as Settings;
}

// PyTorch initialises every weight and bias of a recurrent layer or cell from U(±1/√hiddenSize).
function initParameters(m: Module<unknown>, hiddenSize: number, generator?: Generator): void {
  const bound = 1 / Math.sqrt(hiddenSize);
  for (const p of m.parameters()) uniform_(p, -bound, bound, { generator });
}

// Creates the weights of one layer and direction (or of a cell, suffix ""), in PyTorch's order.
function addWeights(m: Module<unknown>, name: string, suffix: string, gates: number, inputSize: number, hiddenSize: number, bias: boolean): void {
  const own = m as unknown as Record<string, Tensor>;
  const make = (key: string, shape: number[]) => (own[key + suffix] = parameter(Tensor.empty(shape, "float32", `${name} ${key}${suffix}`)));
  make("weight_ih", [gates * hiddenSize, inputSize]);
  make("weight_hh", [gates * hiddenSize, hiddenSize]);
  if (bias) {
    make("bias_ih", [gates * hiddenSize]);
    make("bias_hh", [gates * hiddenSize]);
  }
}

abstract class RecurrentBase<Out> extends Module<Out> {
  /** The features of each input step. */
  readonly inputSize: number;
  /** H, the features of the hidden state. */
  readonly hiddenSize: number;
  /** The number of stacked layers. */
  readonly numLayers: number;
  /** Whether the layers have the biases b_ih and b_hh. */
  readonly bias: boolean;
  /** Whether input and output are [N, T, features] (true) or [T, N, features]. */
  readonly batchFirst: boolean;
  /** The dropout probability on each layer's output except the last, in training mode. */
  readonly dropout: number;
  /** Whether each layer also runs over the reversed sequence (D = 2). */
  readonly bidirectional: boolean;
  /** The generator for the initial weights and the dropout masks, if one was given. */
  protected readonly generator: Generator | undefined;

  constructor(gates: number, s: Settings) {
    super();
    this.inputSize = s.inputSize;
    this.hiddenSize = s.hiddenSize;
    this.numLayers = s.numLayers ?? 1;
    this.bias = s.bias ?? true;
    this.batchFirst = s.batchFirst ?? false;
    this.dropout = s.dropout ?? 0;
    this.bidirectional = s.bidirectional ?? false;
    this.generator = s.generator;
    if (this.dropout > 0 && this.numLayers === 1) {
      // PyTorch's warning: the dropout would apply to no layer.
      console.warn(`${this.constructor.name}: dropout ${this.dropout} has no effect with numLayers 1 (it applies after every layer but the last)`);
    }
    const D = this.bidirectional ? 2 : 1;
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < D; d++) {
        addWeights(this, this.constructor.name, `_l${l}${d ? "_reverse" : ""}`, gates, l === 0 ? this.inputSize : D * this.hiddenSize, this.hiddenSize, this.bias);
      }
    }
    this.resetParameters(this.generator);
  }

  /** Redraws every weight and bias from U(±1/√hiddenSize), as PyTorch's reset_parameters. */
  resetParameters(generator?: Generator): void {
    initParameters(this, this.hiddenSize, generator);
  }

  /** The weights of every layer and direction, layer-major, forward before reverse. */
  get allWeights(): RnnWeights[] {
    const own = this as unknown as Record<string, Tensor | undefined>;
    const out: RnnWeights[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      for (const sfx of this.bidirectional ? ["", "_reverse"] : [""]) {
        out.push({
          weightIh: own[`weight_ih_l${l}${sfx}`]!, weightHh: own[`weight_hh_l${l}${sfx}`]!,
          biasIh: own[`bias_ih_l${l}${sfx}`] ?? null, biasHh: own[`bias_hh_l${l}${sfx}`] ?? null,
        });
      }
    }
    return out;
  }

  /**
   * The options the functional rnn/lstm/gru take for this module's settings, in the current mode. @internal
   */
  protected stackOptions(lengths: SequenceLengths | null) {
    return {
      numLayers: this.numLayers, bidirectional: this.bidirectional, batchFirst: this.batchFirst,
      dropout: this.dropout, training: this.training, generator: this.generator, lengths,
    };
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += `, bias=${reprBool(false)}`;
    if (this.batchFirst) s += `, batch_first=${reprBool(true)}`;
    if (this.dropout !== 0) s += `, dropout=${reprFloat(this.dropout)}`;
    if (this.bidirectional) s += `, bidirectional=${reprBool(true)}`;
    return s;
  }
}

const STACK_ORDER = ["numLayers", "bias", "batchFirst", "dropout", "bidirectional"];

/**
 * Elman RNN (torch.nn.RNN): h_t = act(W_ih x_t + b_ih + W_hh h_(t−1) + b_hh), act tanh or relu.
 * forward(x, h0?, lengths?) returns [output [T, N, D·H], hN [D·numLayers, N, H]].
 */
export class RNN extends RecurrentBase<[Tensor, Tensor]> {
  /** The activation: "tanh" or "relu". */
  readonly nonlinearity: RnnNonlinearity;
  constructor(options: Sizes & RNNOptions);
  constructor(inputSize: number, hiddenSize: number,
    ...args: Args<[numLayers: number, nonlinearity: RnnNonlinearity, bias: boolean, batchFirst: boolean, dropout: number, bidirectional: boolean], RNNOptions>);
  constructor(...args: unknown[]) {
    const s = readSettings("RNN", args, ["numLayers", "nonlinearity", ...STACK_ORDER.slice(1)]);
    super(1, s);
    this.nonlinearity = s.nonlinearity ?? "tanh";
  }

  /**
   * Runs the RNN over x [T, N, inputSize] ([N, T, inputSize] with batchFirst; or unbatched [T, inputSize])
   * from h0 [D·numLayers, N, H] (zeros when null); lengths (per sequence, for padded batches) stops each
   * sequence's state at its length. Returns [output [T, N, D·H], hN [D·numLayers, N, H]].
   */
  forward(x: Tensor, h0: Tensor | null = null, lengths: SequenceLengths | null = null): [Tensor, Tensor] {
    const { output, hN } = rnn(x, h0, this.allWeights, { ...this.stackOptions(lengths), nonlinearity: this.nonlinearity });
    return [output, hN];
  }
}

/** LSTM (torch.nn.LSTM; gates i, f, g, o). forward(x, [h0, c0]?, lengths?) returns [output, [hN, cN]]. */
export class LSTM extends RecurrentBase<[Tensor, [Tensor, Tensor]]> {
  constructor(options: Sizes & LSTMOptions);
  constructor(inputSize: number, hiddenSize: number,
    ...args: Args<[numLayers: number, bias: boolean, batchFirst: boolean, dropout: number, bidirectional: boolean, projSize: number], LSTMOptions>);
  constructor(...args: unknown[]) {
    super(4, readSettings("LSTM", args, [...STACK_ORDER, "projSize"]));
  }

  /**
   * Runs the LSTM over x [T, N, inputSize] from state [h0, c0] (each [D·numLayers, N, H], zeros when null),
   * lengths as in RNN. Returns [output [T, N, D·H], [hN, cN]].
   */
  forward(x: Tensor, state: readonly [Tensor, Tensor] | null = null, lengths: SequenceLengths | null = null): [Tensor, [Tensor, Tensor]] {
    if (state && (!Array.isArray(state) || state.length !== 2)) throw new Error("LSTM: the initial state must be a pair [h0, c0]");
    const { output, hN, cN } = lstm(x, state?.[0] ?? null, state?.[1] ?? null, this.allWeights, this.stackOptions(lengths));
    return [output, [hN, cN]];
  }
}

/** GRU (torch.nn.GRU; gates r, z, n). forward(x, h0?, lengths?) returns [output, hN]. */
export class GRU extends RecurrentBase<[Tensor, Tensor]> {
  constructor(options: Sizes & RecurrentOptions);
  constructor(inputSize: number, hiddenSize: number,
    ...args: Args<[numLayers: number, bias: boolean, batchFirst: boolean, dropout: number, bidirectional: boolean], RecurrentOptions>);
  constructor(...args: unknown[]) {
    super(3, readSettings("GRU", args, STACK_ORDER));
  }

  /**
   * Runs the GRU over x [T, N, inputSize] from h0 (zeros when null), lengths as in RNN. Returns [output [T,
   * N, D·H], hN [D·numLayers, N, H]].
   */
  forward(x: Tensor, h0: Tensor | null = null, lengths: SequenceLengths | null = null): [Tensor, Tensor] {
    const { output, hN } = gru(x, h0, this.allWeights, this.stackOptions(lengths));
    return [output, hN];
  }
}

abstract class CellBase<Out> extends Module<Out> {
  /** The features of each input step. */
  readonly inputSize: number;
  /** H, the features of the hidden state. */
  readonly hiddenSize: number;
  /** Whether the cell has the biases b_ih and b_hh. */
  readonly bias: boolean;

  constructor(gates: number, s: Settings) {
    super();
    this.inputSize = s.inputSize;
    this.hiddenSize = s.hiddenSize;
    this.bias = s.bias ?? true;
    addWeights(this, this.constructor.name, "", gates, this.inputSize, this.hiddenSize, this.bias);
    this.resetParameters(s.generator);
  }

  /** Redraws every weight and bias from U(±1/√hiddenSize). */
  resetParameters(generator?: Generator): void {
    initParameters(this, this.hiddenSize, generator);
  }

  /** The cell's parameters as the functional cells take them. @internal */
  protected get weights(): RnnWeights {
    const own = this as unknown as Record<string, Tensor | undefined>;
    return { weightIh: own.weight_ih!, weightHh: own.weight_hh!, biasIh: own.bias_ih ?? null, biasHh: own.bias_hh ?? null };
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? "" : `, bias=${reprBool(false)}`}`;
  }
}

/** torch.nn.RNNCell: forward(x [N, I], h? [N, H]) returns h'. */
export class RNNCell extends CellBase<Tensor> {
  /** The activation: "tanh" or "relu". */
  readonly nonlinearity: RnnNonlinearity;
  constructor(options: Sizes & RNNCellOptions);
  constructor(inputSize: number, hiddenSize: number, ...args: Args<[bias: boolean, nonlinearity: RnnNonlinearity], RNNCellOptions>);
  constructor(...args: unknown[]) {
    const s = readSettings("RNNCell", args, ["bias", "nonlinearity"]);
    super(1, s);
    this.nonlinearity = s.nonlinearity ?? "tanh";
  }

  /**
   * One step: h' = act(W_ih x + b_ih + W_hh h + b_hh) for x [N, inputSize] (or [inputSize]) and h [N, H]
   * (zeros when null).
   */
  forward(x: Tensor, h: Tensor | null = null): Tensor {
    return rnnCell(x, h, this.weights, this.nonlinearity);
  }

  /** PyTorch's repr arguments: `input_size, hidden_size` and the non-default nonlinearity. */
  override extraRepr(): string {
    return super.extraRepr() + (this.nonlinearity === "tanh" ? "" : `, nonlinearity=${this.nonlinearity}`);
  }
}

/** torch.nn.LSTMCell: forward(x, [h, c]?) returns [h', c']. */
export class LSTMCell extends CellBase<[Tensor, Tensor]> {
  constructor(options: Sizes & CellOptions);
  constructor(inputSize: number, hiddenSize: number, ...args: Args<[bias: boolean], CellOptions>);
  constructor(...args: unknown[]) {
    super(4, readSettings("LSTMCell", args, ["bias"]));
  }

  /** One LSTM step from x [N, inputSize] and [h, c] (each [N, H], zeros when null); returns [h', c']. */
  forward(x: Tensor, state: readonly [Tensor, Tensor] | null = null): [Tensor, Tensor] {
    if (state && (!Array.isArray(state) || state.length !== 2)) throw new Error("LSTMCell: the state must be a pair [h, c]");
    return lstmCell(x, state?.[0] ?? null, state?.[1] ?? null, this.weights);
  }
}

/** torch.nn.GRUCell: forward(x, h?) returns h'. */
export class GRUCell extends CellBase<Tensor> {
  constructor(options: Sizes & CellOptions);
  constructor(inputSize: number, hiddenSize: number, ...args: Args<[bias: boolean], CellOptions>);
  constructor(...args: unknown[]) {
    super(3, readSettings("GRUCell", args, ["bias"]));
  }

  /** One GRU step from x [N, inputSize] and h [N, H] (zeros when null); returns h'. */
  forward(x: Tensor, h: Tensor | null = null): Tensor {
    return gruCell(x, h, this.weights);
  }
}

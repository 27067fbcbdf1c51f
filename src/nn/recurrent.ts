// RNN, LSTM and GRU layers (single layer, unidirectional) over src/ops/rnn.ts. Parameter names are
// PyTorch's (weight_ih_l0, ...), so state dicts move across unchanged.
import { Tensor } from "../tensor.js";
import { rnn, lstm, gru, type RnnNonlinearity, type RnnWeights } from "../ops/rnn.js";
import { transpose } from "../ops/shape.js";
import type { Generator } from "../random.js";
import { Module, parameter, reprBool } from "./module.js";
import { uniform_ } from "./init.js";

export interface RecurrentOptions {
  bias?: boolean;
  /** Input and output as [N, T, features] instead of [T, N, features] (states stay [1, N, H]). */
  batchFirst?: boolean;
  generator?: Generator;
}

abstract class RecurrentBase<Out> extends Module<Out> {
  readonly weight_ih_l0: Tensor;
  readonly weight_hh_l0: Tensor;
  readonly bias_ih_l0: Tensor | null;
  readonly bias_hh_l0: Tensor | null;
  readonly batchFirst: boolean;

  constructor(gates: number, readonly inputSize: number, readonly hiddenSize: number, options: RecurrentOptions) {
    super();
    const { bias = true, batchFirst = false, generator } = options;
    this.batchFirst = batchFirst;
    // PyTorch initialises every weight and bias from U(±1/√hiddenSize).
    const bound = hiddenSize > 0 ? 1 / Math.sqrt(hiddenSize) : 0;
    const make = (shape: number[], what: string) => parameter(uniform_(Tensor.empty(shape, "float32", what), -bound, bound, { generator }));
    const name = this.constructor.name;
    this.weight_ih_l0 = make([gates * hiddenSize, inputSize], `${name} weight_ih_l0`);
    this.weight_hh_l0 = make([gates * hiddenSize, hiddenSize], `${name} weight_hh_l0`);
    this.bias_ih_l0 = bias ? make([gates * hiddenSize], `${name} bias_ih_l0`) : null;
    this.bias_hh_l0 = bias ? make([gates * hiddenSize], `${name} bias_hh_l0`) : null;
  }

  protected get weights(): RnnWeights {
    return { weightIh: this.weight_ih_l0, weightHh: this.weight_hh_l0, biasIh: this.bias_ih_l0, biasHh: this.bias_hh_l0 };
  }

  /** Runs the sequence op on a [T, N, I] view of x and gives the output back in x's layout. */
  protected sequence<R extends { output: Tensor }>(x: Tensor, run: (seqFirst: Tensor) => R): R {
    if (!this.batchFirst) return run(x);
    const seqFirst = transpose(x, 0, 1);
    const result = run(seqFirst);
    seqFirst.dispose();
    const output = transpose(result.output, 0, 1);
    result.output.dispose();
    return { ...result, output };
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias_ih_l0 ? "" : `, bias=${reprBool(false)}`}${this.batchFirst ? `, batch_first=${reprBool(true)}` : ""}`;
  }
}

/** Elman RNN: h_t = act(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh). forward returns [output, hN]. */
export class RNN extends RecurrentBase<[Tensor, Tensor]> {
  readonly nonlinearity: RnnNonlinearity;
  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions & { nonlinearity?: RnnNonlinearity } = {}) {
    super(1, inputSize, hiddenSize, options);
    this.nonlinearity = options.nonlinearity ?? "tanh";
  }

  forward(x: Tensor, h0: Tensor | null = null): [Tensor, Tensor] {
    const { output, hN } = this.sequence(x, (xs) => rnn(xs, h0, this.weights, { nonlinearity: this.nonlinearity }));
    return [output, hN];
  }
}

/** LSTM (gates i, f, g, o). forward returns [output, [hN, cN]]. */
export class LSTM extends RecurrentBase<[Tensor, [Tensor, Tensor]]> {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions = {}) {
    super(4, inputSize, hiddenSize, options);
  }

  forward(x: Tensor, state: [Tensor, Tensor] | null = null): [Tensor, [Tensor, Tensor]] {
    const { output, hN, cN } = this.sequence(x, (xs) => lstm(xs, state?.[0] ?? null, state?.[1] ?? null, this.weights));
    return [output, [hN, cN]];
  }
}

/** GRU (gates r, z, n). forward returns [output, hN]. */
export class GRU extends RecurrentBase<[Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions = {}) {
    super(3, inputSize, hiddenSize, options);
  }

  forward(x: Tensor, h0: Tensor | null = null): [Tensor, Tensor] {
    const { output, hN } = this.sequence(x, (xs) => gru(xs, h0, this.weights));
    return [output, hN];
  }
}

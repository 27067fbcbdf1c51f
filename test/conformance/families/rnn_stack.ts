// Conformance handlers for rnn_stack.json (and rnn.json's sequence cases): whole nn.RNN / LSTM /
// GRU stacks, built from the attrs. Inputs are x, optional h0 (c0), then the weights under
// PyTorch's names weight_ih_l{l}{sfx}, weight_hh_l{l}{sfx}, bias_ih_l{l}{sfx}, bias_hh_l{l}{sfx}.
import * as sg from "../../../src/index.js";
import type { Tensor } from "../../../src/index.js";
import type { OpFn } from "../run.js";

const ATTRS = ["input_size", "hidden_size", "num_layers", "bias", "batch_first", "bidirectional", "nonlinearity", "dropout"];

function stackArgs(t: Record<string, Tensor>, a: any): { weights: sg.RnnWeights[]; options: sg.RnnOptions } {
  const unknown = Object.keys(a).filter((k) => !ATTRS.includes(k));
  if (unknown.length) throw new Error(`unsupported attrs ${unknown.join(", ")}`);
  const numLayers = a.num_layers ?? 1, bidirectional = a.bidirectional ?? false;
  const weights: sg.RnnWeights[] = [];
  for (let l = 0; l < numLayers; l++) {
    for (const sfx of bidirectional ? ["", "_reverse"] : [""]) {
      const get = (name: string) => {
        const w = t[`${name}_l${l}${sfx}`];
        if (!w && (name.startsWith("weight") || a.bias !== false)) throw new Error(`missing input ${name}_l${l}${sfx}`);
        return w ?? null;
      };
      weights.push({ weightIh: get("weight_ih")!, weightHh: get("weight_hh")!, biasIh: get("bias_ih"), biasHh: get("bias_hh") });
    }
  }
  const options: sg.RnnOptions = { numLayers, bidirectional, batchFirst: a.batch_first ?? false, dropout: a.dropout ?? 0 };
  if (a.nonlinearity !== undefined) options.nonlinearity = a.nonlinearity;
  return { weights, options };
}

export const ops: Record<string, OpFn> = {
  rnn: (t, a) => {
    const { weights, options } = stackArgs(t, a);
    const { output, hN } = sg.rnn(t.x, t.h0 ?? null, weights, options);
    return [output, hN];
  },
  lstm: (t, a) => {
    const { weights, options } = stackArgs(t, a);
    const { output, hN, cN } = sg.lstm(t.x, t.h0 ?? null, t.c0 ?? null, weights, options);
    return [output, hN, cN];
  },
  gru: (t, a) => {
    const { weights, options } = stackArgs(t, a);
    const { output, hN } = sg.gru(t.x, t.h0 ?? null, weights, options);
    return [output, hN];
  },
};

// Conformance handlers for rnn.json: sequence ops take x, h0 (c0), weight_ih_l0, ...; cells take
// x, h (c), weight_ih, ... (biases optional).
import * as sg from "../../../src/index.js";
import type { Tensor } from "../../../src/index.js";
import type { OpFn } from "../run.js";

const layer = (t: Record<string, Tensor>): sg.RnnWeights =>
  ({ weightIh: t.weight_ih_l0, weightHh: t.weight_hh_l0, biasIh: t.bias_ih_l0, biasHh: t.bias_hh_l0 });
const cell = (t: Record<string, Tensor>): sg.RnnWeights =>
  ({ weightIh: t.weight_ih, weightHh: t.weight_hh, biasIh: t.bias_ih, biasHh: t.bias_hh });

function checkLayout(a: any): void {
  if ((a.num_layers ?? 1) !== 1 || a.batch_first) throw new Error(`unsupported layout ${JSON.stringify(a)}`);
}

export const ops: Record<string, OpFn> = {
  rnn: (t, a) => {
    checkLayout(a);
    const { output, hN } = sg.rnn(t.x, t.h0, layer(t), { nonlinearity: a.nonlinearity });
    return [output, hN];
  },
  lstm: (t, a) => {
    checkLayout(a);
    const { output, hN, cN } = sg.lstm(t.x, t.h0, t.c0, layer(t));
    return [output, hN, cN];
  },
  gru: (t, a) => {
    checkLayout(a);
    const { output, hN } = sg.gru(t.x, t.h0, layer(t));
    return [output, hN];
  },
  rnn_cell: (t, a) => sg.rnnCell(t.x, t.h, cell(t), a.nonlinearity),
  lstm_cell: (t) => sg.lstmCell(t.x, t.h, t.c, cell(t)),
  gru_cell: (t) => sg.gruCell(t.x, t.h, cell(t)),
};

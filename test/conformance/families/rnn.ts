// Conformance handlers for rnn.json: the sequence ops are rnn_stack.json's handlers (one layer);
// cells take x, h (c), weight_ih, ... (biases optional).
import * as sg from "../../../src/index.js";
import type { Tensor } from "../../../src/index.js";
import type { OpFn } from "../run.js";
import { ops as stackOps } from "./rnn_stack.js";

const cell = (t: Record<string, Tensor>): sg.RnnWeights =>
  ({ weightIh: t.weight_ih, weightHh: t.weight_hh, biasIh: t.bias_ih, biasHh: t.bias_hh });

export const ops: Record<string, OpFn> = {
  ...stackOps,
  rnn_cell: (t, a) => sg.rnnCell(t.x, t.h, cell(t), a.nonlinearity),
  lstm_cell: (t) => sg.lstmCell(t.x, t.h, t.c, cell(t)),
  gru_cell: (t) => sg.gruCell(t.x, t.h, cell(t)),
};

// Conformance handlers for unary.json: op(x) with the op's keyword attrs.
import * as sg from "../../../src/index.js";
import type { OpFn } from "../run.js";

export const ops: Record<string, OpFn> = {
  relu: ({ x }) => sg.relu(x),
  leaky_relu: ({ x }, a) => sg.leakyRelu(x, a.negative_slope),
  elu: ({ x }, a) => sg.elu(x, a.alpha),
  gelu: ({ x }, a) => sg.gelu(x, a.approximate),
  silu: ({ x }) => sg.silu(x),
  sigmoid: ({ x }) => sg.sigmoid(x),
  tanh: ({ x }) => sg.tanh(x),
  softplus: ({ x }, a) => sg.softplus(x, a.beta, a.threshold),
  exp: ({ x }) => sg.exp(x),
  log: ({ x }) => sg.log(x),
  sqrt: ({ x }) => sg.sqrt(x),
  abs: ({ x }) => sg.abs(x),
  neg: ({ x }) => sg.neg(x),
  square: ({ x }) => sg.square(x),
};

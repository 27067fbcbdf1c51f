// Conformance handlers for matmul.json: torch.matmul and F.linear (bias optional).
import * as sg from "../../../src/index.js";
import type { OpFn } from "../run.js";

export const ops: Record<string, OpFn> = {
  matmul: ({ a, b }) => sg.matmul(a, b),
  linear: ({ x, weight, bias }) => sg.linear(x, weight, bias),
};

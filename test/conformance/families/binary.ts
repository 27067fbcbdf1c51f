// Conformance handlers for binary.json: op(a, b) with broadcasting.
import * as sg from "../../../src/index.js";
import type { OpFn } from "../run.js";

export const ops: Record<string, OpFn> = {
  add: ({ a, b }) => sg.add(a, b),
  sub: ({ a, b }) => sg.sub(a, b),
  mul: ({ a, b }) => sg.mul(a, b),
  div: ({ a, b }) => sg.div(a, b),
  pow: ({ a, b }) => sg.pow(a, b),
  maximum: ({ a, b }) => sg.maximum(a, b),
  minimum: ({ a, b }) => sg.minimum(a, b),
};

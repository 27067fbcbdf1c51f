// Conformance handlers for softmax.json.
import * as sg from "../../../src/index.js";
import type { OpFn } from "../run.js";

export const ops: Record<string, OpFn> = {
  softmax: ({ x }, a) => sg.softmax(x, a.dim),
  log_softmax: ({ x }, a) => sg.logSoftmax(x, a.dim),
};

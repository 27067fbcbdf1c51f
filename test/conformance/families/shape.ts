// Conformance handlers for shape.json.
import * as sg from "../../../src/index.js";
import type { OpFn } from "../run.js";

export const ops: Record<string, OpFn> = {
  reshape: ({ x }, a) => sg.reshape(x, a.shape),
  transpose: ({ x }, a) => sg.transpose(x, a.dim0, a.dim1),
  permute: ({ x }, a) => sg.permute(x, a.dims),
  // Every input (x0, x1, ...) is a part, in case order.
  concat: (_, a, parts) => sg.cat(parts, a.dim),
  narrow: ({ x }, a) => sg.narrow(x, a.dim, a.start, a.length),
  slice: ({ x }, a) => sg.slice(x, a.dim, a.start, a.end, a.step),
  flatten: ({ x }, a) => sg.flatten(x, a.start_dim, a.end_dim),
  pad: ({ x }, a) => {
    if (a.mode !== "constant") throw new Error(`pad: mode "${a.mode}" is not supported`);
    return sg.pad(x, a.pad, a.value);
  },
};

// Conformance handlers for conv.json: F.conv2d and F.conv_transpose2d (bias optional).
import * as sg from "../../../src/index.js";
import type { OpFn } from "../run.js";

export const ops: Record<string, OpFn> = {
  conv2d: ({ x, weight, bias }, a) => sg.conv2d(x, weight, bias, { stride: a.stride, padding: a.padding, dilation: a.dilation, groups: a.groups }),
  conv_transpose2d: ({ x, weight, bias }, a) =>
    sg.convTranspose2d(x, weight, bias, {
      stride: a.stride, padding: a.padding, outputPadding: a.output_padding, dilation: a.dilation, groups: a.groups,
    }),
};

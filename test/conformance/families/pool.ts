// Conformance handlers for pool.json: F.max_pool2d, F.avg_pool2d, F.adaptive_avg_pool2d.
import * as sg from "../../../src/index.js";
import type { OpFn } from "../run.js";

export const ops: Record<string, OpFn> = {
  max_pool2d: ({ x }, a) =>
    sg.maxPool2d(x, a.kernel_size, { stride: a.stride, padding: a.padding, dilation: a.dilation, ceilMode: a.ceil_mode }),
  avg_pool2d: ({ x }, a) =>
    sg.avgPool2d(x, a.kernel_size, {
      stride: a.stride, padding: a.padding, ceilMode: a.ceil_mode, countIncludePad: a.count_include_pad,
      divisorOverride: a.divisor_override ?? null,
    }),
  adaptive_avg_pool2d: ({ x }, a) => sg.adaptiveAvgPool2d(x, a.output_size),
};

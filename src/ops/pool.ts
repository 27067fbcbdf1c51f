// Pooling and nearest upsampling over [N, C, H, W] (or unbatched [C, H, W]) inputs. Max pooling
// saves int32 argmax indices for its backward. Average, adaptive-average and global-average pooling
// and nearest upsampling are all one windowed-sum kernel driven by per-row and per-column window
// tables (a nearest-neighbour pick is a one-element window), so they share a forward and a backward.
import { readArgs, readOptions, kinds, type Args } from "./args.js";
import { record, needsGrad, type BackwardFn } from "../autograd.js";
import { scatterRows } from "./embedding.js";
import { elementBytes } from "../backend/memory.js";
import { parallelFor } from "../backend/parallel.js";
import { Tensor, shapeToString } from "../tensor.js";
import { traced } from "../trace.js";
import type { Size2 } from "./conv.js";
import { reshape } from "./shape.js";
import { checkLive, pair } from "./checks.js";

/** The options of maxPool2d and nn.MaxPool2d (torch's arguments, camelCased). */
export interface MaxPool2dOptions {
  /** Default: the kernel size. */
  stride?: Size2 | null;
  /** Implicit −∞ on both sides; at most half the kernel. */
  padding?: Size2;
  /** The spacing between a window's elements (default 1). */
  dilation?: Size2;
  /** Round the output size up (a last window that starts inside the right/bottom padding is dropped). */
  ceilMode?: boolean;
}

/** The options of avgPool2d and nn.AvgPool2d (torch's arguments, camelCased). */
export interface AvgPool2dOptions {
  /** The step between windows (default: the kernel size). */
  stride?: Size2 | null;
  /** Zeros on both sides; at most half the kernel. */
  padding?: Size2;
  /** Round the output size up instead of down. */
  ceilMode?: boolean;
  /** Count the padded zeros in the divisor (default true). */
  countIncludePad?: boolean;
  /** Divide every window by this instead. */
  divisorOverride?: number | null;
}

/** The options of interpolate (torch.nn.functional.interpolate's, camelCased). */
export interface InterpolateOptions {
  /** Output [Ho, Wo] (or one number for both); or give scaleFactor. */
  size?: Size2;
  /** Output = floor(input · scaleFactor) per axis. */
  scaleFactor?: number | readonly [number, number];
  /** The interpolation mode: only "nearest" (other modes are an error). */
  mode?: "nearest";
}

/** Checks x is a float32 [N, C, H, W] or [C, H, W] image batch; returns the number of planes and H, W. */
function planesOf(op: string, x: Tensor): [number, number, number] {
  checkLive(op, x);
  if (x.dtype !== "float32") throw new Error(`${op}: expected a float32 input, got ${x.dtype}`);
  if (x.ndim !== 3 && x.ndim !== 4) throw new Error(`${op}: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got ${shapeToString(x.shape)}`);
  const [H, W] = x.shape.slice(-2);
  return [x.size / (H * W), H, W];
}

/** PyTorch's pooling output size along one axis, with its ceil-mode rule. */
function pooledSize(size: number, k: number, s: number, p: number, d: number, ceilMode: boolean): number {
  const span = size + 2 * p - d * (k - 1) - 1;
  let out = Math.floor((span + (ceilMode ? s - 1 : 0)) / s) + 1;
  if (ceilMode && (out - 1) * s >= size + p) out--;
  return out;
}

function poolGeometry(op: string, x: Tensor, kernelSize: Size2, stride: Size2 | null | undefined, padding: Size2, dilation: Size2, ceilMode: boolean) {
  const [planes, H, W] = planesOf(op, x);
  const [kh, kw] = pair(op, "kernelSize", kernelSize, 1);
  const [sh, sw] = stride === null || stride === undefined ? [kh, kw] : pair(op, "stride", stride, 1);
  const [ph, pw] = pair(op, "padding", padding, 0);
  const [dh, dw] = pair(op, "dilation", dilation, 1);
  if (ph > kh >> 1 || pw > kw >> 1) {
    throw new Error(`${op}: padding ${JSON.stringify(padding)} must be at most half the kernel size ${JSON.stringify(kernelSize)}`);
  }
  const Ho = pooledSize(H, kh, sh, ph, dh, ceilMode), Wo = pooledSize(W, kw, sw, pw, dw, ceilMode);
  if (Ho < 1 || Wo < 1) {
    throw new Error(`${op}: input ${shapeToString(x.shape)} is too small for kernel ${kh}x${kw} (dilation ${dh}x${dw}, padding ${ph}x${pw}): output would be ${Ho}x${Wo}`);
  }
  return { planes, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw };
}

/** torch.nn.functional.max_pool2d with return_indices: values and the int32 index h·W + w of each maximum in its plane. */
type MaxPoolArgs = Args<[stride: Size2 | null, padding: Size2, dilation: Size2, ceilMode: boolean], MaxPool2dOptions>;
const MAX_POOL_ARGS = { stride: kinds.orNull(kinds.size), padding: kinds.size, dilation: kinds.size, ceilMode: kinds.bool };
const MAX_POOL_VALUES_ARGS = { ...MAX_POOL_ARGS, returnIndices: kinds.only(false, "maxPool2dWithIndices returns the indices") };

/** PyTorch's order: (input, kernelSize, stride, padding, dilation, ceilMode), then options; values and their flat indices. */
export function maxPool2dWithIndices(x: Tensor, kernelSize: Size2, ...args: MaxPoolArgs): {
  /** The pooled maxima [N, C, Ho, Wo]. */ values: Tensor<"float32">;
  /** Each maximum's flat position in its input plane (h·W + w), int32, as PyTorch's return_indices. */ indices: Tensor<"int32">;
} {
  const options = readArgs<MaxPool2dOptions>("maxPool2dWithIndices", args, MAX_POOL_ARGS);
  const { stride, padding = 0, dilation = 1, ceilMode = false } = options;
  const g = poolGeometry("maxPool2d", x, kernelSize, stride, padding, dilation, ceilMode);
  const outShape = [...x.shape.slice(0, -2), g.Ho, g.Wo];
  const values = Tensor.empty(outShape, "float32", "maxPool2d");
  const indices = Tensor.empty(outShape, "int32", "maxPool2d indices");
  // (split over the pool by ranges of planes)
  const L = g.Ho * g.Wo;
  parallelFor("max_pool2d_f32", [x.ptr, values.ptr, indices.ptr, g.planes, g.H, g.W, g.Ho, g.Wo, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw],
    { extent: g.planes, count: 3, perUnit: { 0: elementBytes(g.H * g.W), 1: elementBytes(L), 2: elementBytes(L) } }, g.planes * L * g.kh * g.kw * 2);
  if (needsGrad(x)) {
    const xShape = x.shape;
    record("maxPool2d", [x], [values], [indices], ([gy], [idx]) => {
      const dx = Tensor.empty(xShape, "float32", "maxPool2d backward");
      parallelFor("max_pool2d_backward_f32", [gy!.ptr, idx.ptr, dx.ptr, g.planes, g.H * g.W, L],
        { extent: g.planes, count: 3, perUnit: { 0: elementBytes(L), 1: elementBytes(L), 2: elementBytes(g.H * g.W) } }, g.planes * (g.H * g.W + 2 * L));
      return [dx];
    }, ([gy], [idx]) => {
      // Each window's gradient goes to its maximum: a scatter of rows of width 1 at the maxima's
      // flat positions in x, whose own backward gathers them again.
      const at = Tensor.empty([idx.size], "int32", "maxPool2d positions");
      const av = at.liveData(), iv = idx.liveData(), HW = g.H * g.W, HoWo = g.Ho * g.Wo;
      for (let i = 0; i < iv.length; i++) av[i] = iv[i] + Math.floor(i / HoWo) * HW;
      return [reshape(scatterRows(reshape(gy!, [idx.size, 1]), at, g.planes * HW), [...xShape])];
    });
  }
  traced("maxPool2d", [x], values, { kernel: [g.kh, g.kw], strides: [g.sh, g.sw], pads: [g.ph, g.pw, g.ph, g.pw], dilations: [g.dh, g.dw], ceilMode });
  return { values, indices };
}

/** torch.nn.functional.max_pool2d: the gradient of each window goes to its maximum. */
/** PyTorch's order: (input, kernelSize, stride, padding, dilation, ceilMode, returnIndices), then options. */
export function maxPool2d(x: Tensor, kernelSize: Size2, ...args: Args<[stride: Size2 | null, padding: Size2, dilation: Size2, ceilMode: boolean, returnIndices: boolean], MaxPool2dOptions & { returnIndices?: boolean }>): Tensor<"float32"> {
  const options = readArgs<MaxPool2dOptions>("maxPool2d", args, MAX_POOL_VALUES_ARGS);
  const { values, indices } = maxPool2dWithIndices(x, kernelSize, options);
  indices.dispose();
  return values;
}

/** Windows along one axis: [lo, hi) clipped to the input, and the factor applied to the window's sum. */
interface AxisWindows {
  lo: number[];
  hi: number[];
  scale: number[];
}

/** y[p, i, j] = rows.scale[i]·cols.scale[j]·Σ x over the window rows i × cols j (assembly/pool.ts). */
function windowSum(op: string, x: Tensor, rows: AxisWindows, cols: AxisWindows): Tensor<"float32"> {
  const [planes, H, W] = planesOf(op, x);
  const Ho = rows.lo.length, Wo = cols.lo.length;
  const windows = Tensor.empty([2 * (Ho + Wo)], "int32", `${op} windows`);
  windows.liveData().set([...rows.lo, ...rows.hi, ...cols.lo, ...cols.hi]);
  const scales = Tensor.empty([Ho + Wo], "float32", `${op} scales`);
  scales.liveData().set([...rows.scale, ...cols.scale]);
  const y = applyWindows(op, x, { planes, H, W, Ho, Wo }, windows, scales);
  windows.dispose();
  scales.dispose();
  return y;
}

interface WindowPlan { planes: number; H: number; W: number; Ho: number; Wo: number }

/** The windowed sums of x [..., H, W] into [..., Ho, Wo]; its backward is windowAdjoint (and back). */
function applyWindows(op: string, x: Tensor, p: WindowPlan, windows: Tensor, scales: Tensor): Tensor<"float32"> {
  const y = Tensor.empty([...x.shape.slice(0, -2), p.Ho, p.Wo], "float32", op);
  const L = p.Ho * p.Wo, HW = p.H * p.W;
  parallelFor("avg_pool2d_f32", [x.ptr, y.ptr, p.planes, p.H, p.W, p.Ho, p.Wo, windows.ptr, scales.ptr],
    { extent: p.planes, count: 2, perUnit: { 0: elementBytes(HW), 1: elementBytes(L) } }, p.planes * (HW + L));
  if (needsGrad(x)) {
    const xShape = x.shape;
    const backward: BackwardFn = ([gy], [win, sc]) => [windowAdjoint(op, gy!, xShape, p, win, sc)];
    record(op, [x], [y], [windows, scales], backward, backward);
  }
  return y;
}

/** applyWindows' adjoint: each output's gradient spread over its window (differentiable: its backward is applyWindows). */
function windowAdjoint(op: string, gy: Tensor, xShape: readonly number[], p: WindowPlan, windows: Tensor, scales: Tensor): Tensor {
  const dx = Tensor.empty(xShape, "float32", `${op} backward`);
  const L = p.Ho * p.Wo, HW = p.H * p.W;
  parallelFor("avg_pool2d_backward_f32", [gy.ptr, dx.ptr, p.planes, p.H, p.W, p.Ho, p.Wo, windows.ptr, scales.ptr],
    { extent: p.planes, count: 2, perUnit: { 0: elementBytes(L), 1: elementBytes(HW) } }, p.planes * (HW + L));
  if (needsGrad(gy)) {
    const backward: BackwardFn = ([gx], [win, sc]) => [applyWindows(op, gx!, p, win, sc)];
    record(`${op} backward`, [gy], [dx], [windows, scales], backward, backward);
  }
  return dx;
}

/** torch.nn.functional.avg_pool2d (PyTorch's divisor rules, including ceil mode and divisorOverride). */
/** PyTorch's order: (input, kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride), then options. */
export function avgPool2d(x: Tensor, kernelSize: Size2,
  ...args: Args<[stride: Size2 | null, padding: Size2, ceilMode: boolean, countIncludePad: boolean, divisorOverride: number | null], AvgPool2dOptions>): Tensor {
  const options = readArgs<AvgPool2dOptions>("avgPool2d", args, {
    stride: kinds.orNull(kinds.size), padding: kinds.size, ceilMode: kinds.bool, countIncludePad: kinds.bool, divisorOverride: kinds.any,
  });
  const { stride, padding = 0, ceilMode = false, countIncludePad = true, divisorOverride = null } = options;
  const g = poolGeometry("avgPool2d", x, kernelSize, stride, padding, 1, ceilMode);
  if (divisorOverride !== null && !(divisorOverride > 0)) throw new Error(`avgPool2d: divisorOverride must be positive, got ${divisorOverride}`);
  const axis = (out: number, size: number, k: number, s: number, p: number, divide: boolean): AxisWindows => {
    const w: AxisWindows = { lo: [], hi: [], scale: [] };
    for (let i = 0; i < out; i++) {
      const start = i * s - p, end = Math.min(start + k, size + p); // the window with its padding
      const lo = Math.max(start, 0), hi = Math.min(end, size);
      w.lo.push(lo);
      w.hi.push(hi);
      w.scale.push(divide ? 1 / (countIncludePad ? end - start : hi - lo) : 1);
    }
    return w;
  };
  const rows = axis(g.Ho, g.H, g.kh, g.sh, g.ph, divisorOverride === null);
  const cols = axis(g.Wo, g.W, g.kw, g.sw, g.pw, divisorOverride === null);
  if (divisorOverride !== null) rows.scale.fill(1 / divisorOverride);
  return traced("avgPool2d", [x], windowSum("avgPool2d", x, rows, cols), {
    kernel: [g.kh, g.kw], strides: [g.sh, g.sw], pads: [g.ph, g.pw, g.ph, g.pw], ceilMode, countIncludePad, divisorOverride,
  });
}

/**
 * torch.nn.functional.adaptive_avg_pool2d: output cell i averages input rows floor(i·H/oh) ..
 * ceil((i+1)·H/oh) − 1 (windows overlap when H is not a multiple of oh); null keeps that size.
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly [number | null, number | null]): Tensor<"float32"> {
  const [, H, W] = planesOf("adaptiveAvgPool2d", x);
  const [oh, ow] = typeof outputSize === "number" ? [outputSize, outputSize] : [outputSize[0] ?? H, outputSize[1] ?? W];
  pair("adaptiveAvgPool2d", "outputSize", [oh, ow], 1);
  const axis = (out: number, size: number): AxisWindows => {
    const w: AxisWindows = { lo: [], hi: [], scale: [] };
    for (let i = 0; i < out; i++) {
      const lo = Math.floor((i * size) / out), hi = Math.ceil(((i + 1) * size) / out);
      w.lo.push(lo);
      w.hi.push(hi);
      w.scale.push(1 / (hi - lo));
    }
    return w;
  };
  return traced("adaptiveAvgPool2d", [x], windowSum("adaptiveAvgPool2d", x, axis(oh, H), axis(ow, W)), { outputSize: [oh, ow] });
}

/** Mean over each plane: [N, C, H, W] -> [N, C] (Keras' GlobalAveragePooling2D; adaptiveAvgPool2d(x, 1) keeps the 1x1). */
export function globalAvgPool2d(x: Tensor): Tensor<"float32"> {
  const [, H, W] = planesOf("globalAvgPool2d", x);
  const y = windowSum("globalAvgPool2d", x, { lo: [0], hi: [H], scale: [1 / H] }, { lo: [0], hi: [W], scale: [1 / W] });
  const out = reshape(y, x.shape.slice(0, -2));
  y.dispose();
  return traced("globalAvgPool2d", [x], out);
}

/**
 * torch.nn.functional.interpolate, mode "nearest": output pixel i reads input floor(i·scale)
 * (clamped), scale = 1/scaleFactor when given, else input/output size; the backward adds each
 * output gradient onto the pixel it read.
 */
export function interpolate(x: Tensor, options: InterpolateOptions): Tensor<"float32"> {
  const { size, scaleFactor, mode = "nearest" } = readOptions<InterpolateOptions>("interpolate", options, ["size", "scaleFactor", "mode"]);
  const op = "interpolate";
  if (mode !== "nearest") throw new Error(`${op}: mode "${mode}" is not supported (only "nearest")`);
  const [, H, W] = planesOf(op, x);
  if ((size === undefined) === (scaleFactor === undefined)) throw new Error(`${op}: give exactly one of size and scaleFactor`);
  let out: [number, number], scale: [number, number];
  if (size !== undefined) {
    out = pair(op, "size", size, 1);
    scale = [H / out[0], W / out[1]];
  } else {
    const f = pair(op, "scaleFactor", scaleFactor!, Number.MIN_VALUE, false);
    out = [Math.floor(H * f[0]), Math.floor(W * f[1])];
    if (out[0] < 1 || out[1] < 1) throw new Error(`${op}: scaleFactor ${JSON.stringify(scaleFactor)} leaves no output for input ${shapeToString(x.shape)}`);
    scale = [1 / f[0], 1 / f[1]];
  }
  const axis = (n: number, inSize: number, s: number): AxisWindows => {
    const w: AxisWindows = { lo: [], hi: [], scale: [] };
    for (let i = 0; i < n; i++) {
      // float32 arithmetic, as PyTorch computes the source index
      const src = Math.min(Math.floor(Math.fround(Math.fround(i) * Math.fround(s))), inSize - 1);
      w.lo.push(src);
      w.hi.push(src + 1);
      w.scale.push(1);
    }
    return w;
  };
  return windowSum(op, x, axis(out[0], H, scale[0]), axis(out[1], W, scale[1]));
}

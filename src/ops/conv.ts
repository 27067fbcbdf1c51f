// Convolutions, NCHW. Every convolution here is made of three passes of conv2d, for input
// X [N, Cin, H, W], weight W [Cout, Cin/groups, kh, kw] and output Y [N, Cout, Ho, Wo]:
//   lower:     Y   = W ⋆ X + bias                (bias, and a fused ReLU, in the kernels' epilogues)
//   weight:    dW += dY ⋆ X
//   adjoint:   dX  = Wᵀ ⋆ dY                      (the input gradient)
// conv2d's backward is weight + adjoint; conv_transpose2d's forward is the adjoint pass and its
// backward is lower + weight with the roles of the two spaces swapped. conv1d is conv2d with a
// height of 1. Each pass runs by the first of three methods that applies (src/ops/conv-passes.ts):
//   Winograd F(2x2, 3x3): stride-1 undilated 3x3 convolutions with enough channels (lower, adjoint);
//   direct kernels: the GEMM's register tile reading the input in place (most of the rest);
//   im2col + GEMM, col2im for the adjoint: 1x1 unit-stride layers (X is its own column matrix),
//     few output channels, the adjoint of a strided convolution, conv_transpose2d's forward.
import { readArgs, kinds, type Args } from "./args.js";
import { record, needsGrad, type BackwardFn } from "../autograd.js";
import { gemm } from "../backend/gemm.js";
import { unaryBackward } from "../backend/elementwise.js";
import { BiasMode, Unary } from "../backend/kernels.js";
import { elementAt } from "../backend/memory.js";
import { backend } from "../backend/wasm.js";
import { sumDim } from "../backend/reduce.js";
import { adjoint, lower, runPasses, weightGrad, type Geometry } from "./conv-passes.js";
import { Tensor, shapeToString, type DType, type Shape } from "../tensor.js";
import { traced } from "../trace.js";
import { squeeze, unsqueeze } from "./shape.js";
import { checkArgs, checkGroups, pair } from "./checks.js";
import { mul } from "./binary.js";
import { step } from "./elementwise.js";
import { sum } from "./reduce.js";

/** A size for both spatial dims: one number for both, or [height, width]. */
export type Size2 = number | readonly [number, number];

/** The options of conv2d and nn.Conv2d (torch's arguments, camelCased). */
export interface Conv2dOptions {
  /** The step between windows, [sh, sw] or one number (default 1). */
  stride?: Size2;
  /** Zeros on both sides; "same" keeps the size (stride 1; odd totals pad one more on the bottom/right); "valid" = 0. */
  padding?: Size2 | "same" | "valid";
  /** The spacing between kernel taps, [dh, dw] or one number (default 1). */
  dilation?: Size2;
  /**
   * Channel groups (default 1): each group of Cin/groups input channels feeds Cout/groups outputs (groups =
   * Cin: depthwise).
   */
  groups?: number;
  /** "relu" applies max(·, 0) in the GEMM's epilogue (and its derivative in the backward): a fused Conv2d + ReLU. */
  activation?: "relu";
}

/** The options of conv1d and nn.Conv1d. */
export interface Conv1dOptions {
  /** The step between windows (default 1). */
  stride?: number;
  /** Zeros on both ends, or "same" (keeps the length, stride 1) / "valid" (0). Default 0. */
  padding?: number | "same" | "valid";
  /** The spacing between kernel taps (default 1). */
  dilation?: number;
  /** Channel groups (default 1). */
  groups?: number;
}

/** The options of convTranspose2d and nn.ConvTranspose2d (torch's arguments, camelCased). */
export interface ConvTranspose2dOptions {
  /** The upsampling factor (default 1). */
  stride?: Size2;
  /**
   * The implicit padding dilation·(k − 1) − padding is what the matching Conv2d had: padding crops the output
   * (default 0).
   */
  padding?: Size2;
  /**
   * Extra rows/columns on the bottom/right of the output, to pick among the input sizes a stride maps to one
   * output size (default 0; less than stride or dilation).
   */
  outputPadding?: Size2;
  /** The spacing between kernel taps (default 1). */
  dilation?: Size2;
  /** Channel groups (default 1): Cin and Cout must both be multiples. */
  groups?: number;
}

// Sizes and groups are checked by the geometry; here only names and positions.
const CONV_FUNCTION_ARGS = { stride: kinds.size, padding: kinds.any, dilation: kinds.size, groups: kinds.any };

// The three passes as differentiable ops, for createGraph. They are closed under differentiation:
// each one's backward is made of the other two (all three are linear in each operand), so a
// convolution can be differentiated to any order.

/** Y = conv g of X (no bias). */
function convForward(g: Geometry, x: Tensor, w: Tensor): Tensor {
  const y = Tensor.empty([g.N, g.Cout, g.Ho, g.Wo], "float32", "conv2d");
  lower(g, x.ptr, w.ptr, y.ptr);
  const backward: BackwardFn = ([gy], [xs, ws]) => [convAdjoint(g, gy!, ws), convWeightGrad(g, xs, gy!)];
  record("conv2d", [x, w], [y], [x, w], backward, backward);
  return y;
}

/** dX = the input gradient of conv g for the output gradient dy. */
function convAdjoint(g: Geometry, dy: Tensor, w: Tensor): Tensor {
  const dx = Tensor.empty([g.N, g.Cin, g.H, g.W], "float32", "conv2d input gradient");
  adjoint(g, dy.ptr, w.ptr, dx.ptr);
  const backward: BackwardFn = ([gx], [dys, ws]) => [convForward(g, gx!, ws), convWeightGrad(g, gx!, dys)];
  record("conv2d input gradient", [dy, w], [dx], [dy, w], backward, backward);
  return dx;
}

/** dW = the weight gradient of conv g for its input x and output gradient dy. */
function convWeightGrad(g: Geometry, x: Tensor, dy: Tensor): Tensor {
  const dW = Tensor.empty([g.Cout, g.Cin / g.groups, g.kh, g.kw], "float32", "conv2d weight gradient").zero_();
  weightGrad(g, x.ptr, dy.ptr, dW.ptr, dW.ptr);
  const backward: BackwardFn = ([gw], [xs, dys]) => [convAdjoint(g, dys, gw!), convForward(g, xs, gw!)];
  record("conv2d weight gradient", [x, dy], [dW], [x, dy], backward, backward);
  return dW;
}

/** db[c] = Σ over n and positions of g[n, c, ·] (the bias gradient). */
function channelSums(g: Tensor, N: number, C: number, L: number): Tensor {
  const perImage = Tensor.empty([N, C], "float32", "conv bias grad");
  sumDim(g.ptr, perImage.ptr, N * C, L, 1);
  const db = Tensor.empty([C], "float32", "conv bias grad");
  sumDim(perImage.ptr, db.ptr, 1, N, C);
  perImage.dispose();
  return db;
}

function checkOperands(op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, groups: number, outChannels: number): void {
  for (const [name, t] of [["input", x], ["weight", weight], ["bias", bias]] as const) {
    if (t && t.dtype !== "float32") throw new Error(`${op}: expected float32 ${name}, got ${t.dtype}`);
  }
  if (x.ndim !== 4) throw new Error(`${op}: expected a 4-D input [N, C, H, W] (or 3-D unbatched), got ${shapeToString(x.shape)}`);
  if (weight.ndim !== 4) throw new Error(`${op}: expected a 4-D weight, got ${shapeToString(weight.shape)}`);
  checkGroups(op, x.shape[1], outChannels, groups);
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outChannels)) {
    throw new Error(`${op}: bias ${shapeToString(bias.shape)} does not match the ${outChannels} output channels (expected [${outChannels}])`);
  }
}

/** Applies fn to x with a batch dim of 1 added when x is unbatched (rank `unbatchedRank`). */
export function batched(x: Tensor, unbatchedRank: number, fn: (x: Tensor) => Tensor<"float32">): Tensor<"float32"> {
  if (x.ndim !== unbatchedRank) return fn(x);
  return throughView(x, 0, fn);
}

/** fn applied to x with a size-1 dim inserted at `dim`, which is removed from the result again. */
function throughView<D extends DType>(x: Tensor, dim: number, fn: (x: Tensor) => Tensor<D>): Tensor<D> {
  const xu = unsqueeze(x, dim);
  let yu: Tensor<D>;
  try {
    yu = fn(xu);
  } finally {
    xu.dispose(); // also when fn throws (a mismatched weight): nothing the op made is left behind
  }
  const y = squeeze(yu, dim);
  yu.dispose();
  return y;
}

/** torch.nn.functional.conv2d: x [N, Cin, H, W] (or [Cin, H, W]), weight [Cout, Cin/groups, kh, kw], bias [Cout]. */
/** PyTorch's order: (input, weight, bias, stride, padding, dilation, groups), then options. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, ...args: Args<[stride: Size2, padding: Size2 | "same" | "valid", dilation: Size2, groups: number], Conv2dOptions>): Tensor<"float32"> {
  const options = readArgs<Conv2dOptions>("conv2d", args, CONV_FUNCTION_ARGS, { activation: kinds.any });
  checkArgs("conv2d", { input: x, weight, ...(bias ? { bias } : {}) });
  return batched(x, 3, (xb) => conv2dBatched("conv2d", xb, weight, bias, options));
}

/**
 * The geometry of conv2d over a batched input of shape xShape [N, Cin, H, W] and a weight of shape
 * [Cout, Cin/groups, kh, kw] (both 4-D; the caller checks dtypes), after checking the channels,
 * sizes and padding (pads: top, bottom, left, right). Shared with the quantized convolution, whose
 * weight holds int8 codes.
 */
export function conv2dGeometry(op: string, xShape: Shape, weightShape: Shape, options: Conv2dOptions): Geometry & { pads: [number, number, number, number] } {
  const { stride = 1, padding = 0, dilation = 1, groups = 1 } = options;
  const [N, Cin, H, W] = xShape;
  const [Cout, cinG, kh, kw] = weightShape;
  if (cinG * groups !== Cin) {
    throw new Error(`${op}: weight ${shapeToString(weightShape)} with groups=${groups} expects ${cinG * groups} input channels, got input ${shapeToString(xShape)}`);
  }
  const [sh, sw] = pair(op, "stride", stride, 1);
  const [dh, dw] = pair(op, "dilation", dilation, 1);
  let pads: [number, number, number, number]; // top, bottom, left, right
  if (padding === "same") {
    if (sh !== 1 || sw !== 1) throw new Error(`${op}: padding="same" is not supported for strided convolutions (stride ${JSON.stringify(stride)})`);
    const th = dh * (kh - 1), tw = dw * (kw - 1);
    pads = [th >> 1, th - (th >> 1), tw >> 1, tw - (tw >> 1)];
  } else {
    const [ph, pw] = padding === "valid" ? [0, 0] : pair(op, "padding", padding, 0);
    pads = [ph, ph, pw, pw];
  }
  const paddedH = H + pads[0] + pads[1], paddedW = W + pads[2] + pads[3];
  const effH = dh * (kh - 1) + 1, effW = dw * (kw - 1) + 1;
  if (effH > paddedH || effW > paddedW) {
    throw new Error(`${op}: kernel ${effH}x${effW} (after dilation) is larger than the padded input ${paddedH}x${paddedW} (input ${shapeToString(xShape)}, weight ${shapeToString(weightShape)})`);
  }
  return {
    N, Cin, H, W, Cout, Ho: Math.floor((paddedH - effH) / sh) + 1, Wo: Math.floor((paddedW - effW) / sw) + 1,
    kh, kw, sh, sw, ph: pads[0], pw: pads[2], dh, dw, groups, pads,
  };
}

function conv2dBatched(op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, options: Conv2dOptions): Tensor<"float32"> {
  const { groups = 1, activation } = options;
  checkOperands(op, x, weight, bias, groups, weight.shape[0]);
  if (activation !== undefined && activation !== "relu") throw new Error(`${op}: activation must be "relu" or absent, got ${JSON.stringify(activation)}`);
  const g = conv2dGeometry(op, x.shape, weight.shape, options);
  const { N, Cout, sh, sw, dh, dw, pads } = g;
  const relu = activation === "relu";
  const y = Tensor.empty([N, Cout, g.Ho, g.Wo], "float32", op);
  lower(g, x.ptr, weight.ptr, y.ptr, bias?.ptr ?? 0, relu);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  if (needsGrad(...inputs)) {
    record(relu ? `${op}Relu` : op, inputs, [y], relu ? [x, weight, y] : [x, weight], ([g0], [xs, ws, ys]) => {
      let gy = g0!;
      if (relu) {
        gy = Tensor.empty(ys.shape, "float32", `${op} backward`);
        unaryBackward(Unary.relu, ys.ptr, ys.ptr, g0!.ptr, gy.ptr, ys.size);
      }
      const dx = x.requiresGrad ? Tensor.empty(xs.shape, "float32", `${op} backward`) : null;
      if (dx) adjoint(g, gy.ptr, ws.ptr, dx.ptr);
      const dW = weight.requiresGrad ? Tensor.empty(ws.shape, "float32", `${op} backward`).zero_() : null;
      if (dW) weightGrad(g, xs.ptr, gy.ptr, ws.ptr, dW.ptr);
      const db = bias?.requiresGrad ? channelSums(gy, N, Cout, g.Ho * g.Wo) : null;
      return bias ? [dx, dW, db] : [dx, dW];
    }, ([g0], [xs, ws, ys]) => {
      const gy = relu ? mul(g0!, step(ys)) : g0!;
      return [
        x.requiresGrad ? convAdjoint(g, gy, ws) : null,
        weight.requiresGrad ? convWeightGrad(g, xs, gy) : null,
        ...(bias ? [bias.requiresGrad ? sum(gy, [0, 2, 3]) : null] : []),
      ];
    });
  }
  return traced("conv2d", [x, weight, bias ?? null], y, { strides: [sh, sw], pads: [pads[0], pads[2], pads[1], pads[3]], dilations: [dh, dw], groups, relu });
}

/** torch.nn.functional.conv1d: x [N, Cin, L] (or [Cin, L]), weight [Cout, Cin/groups, k], bias [Cout]. */
/** PyTorch's order: (input, weight, bias, stride, padding, dilation, groups), then options. */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, ...args: Args<[stride: number, padding: number | "same" | "valid", dilation: number, groups: number], Conv1dOptions>): Tensor<"float32"> {
  const options = readArgs<Conv1dOptions>("conv1d", args, CONV_FUNCTION_ARGS);
  checkArgs("conv1d", { input: x, weight, ...(bias ? { bias } : {}) });
  if (x.ndim !== 2 && x.ndim !== 3) throw new Error(`conv1d: expected a 2-D (unbatched) or 3-D input [N, C, L], got ${shapeToString(x.shape)}`);
  if (weight.ndim !== 3) throw new Error(`conv1d: expected a 3-D weight [Cout, Cin/groups, k], got ${shapeToString(weight.shape)}`);
  const { stride = 1, padding = 0, dilation = 1, groups = 1 } = options;
  const pad2 = typeof padding === "string" ? padding : ([0, padding] as const);
  return batched(x, 2, (xb) =>
    throughView(xb, 2, (x4) => {
      const w4 = unsqueeze(weight, 2);
      try {
        return conv2dBatched("conv1d", x4, w4, bias, { stride: [1, stride], padding: pad2, dilation: [1, dilation], groups });
      } finally {
        w4.dispose();
      }
    }),
  );
}

/**
 * torch.nn.functional.conv_transpose2d: x [N, Cin, H, W] (or [Cin, H, W]), weight
 * [Cin, Cout/groups, kh, kw], bias [Cout]; Ho = (H − 1)·sh − 2ph + dh·(kh − 1) + oph + 1.
 * It is the input gradient of the conv2d that maps the output back onto x.
 */
/** PyTorch's order: (input, weight, bias, stride, padding, outputPadding, groups, dilation), then options. */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null,
  ...args: Args<[stride: Size2, padding: Size2, outputPadding: Size2, groups: number, dilation: Size2], ConvTranspose2dOptions>): Tensor {
  const options = readArgs<ConvTranspose2dOptions>("convTranspose2d", args, {
    stride: kinds.size, padding: kinds.size, outputPadding: kinds.size, groups: kinds.any, dilation: kinds.size,
  });
  checkArgs("convTranspose2d", { input: x, weight, ...(bias ? { bias } : {}) });
  return batched(x, 3, (xb) => convTranspose2dBatched(xb, weight, bias, options));
}

function convTranspose2dBatched(x: Tensor, weight: Tensor, bias: Tensor | null | undefined, options: ConvTranspose2dOptions): Tensor<"float32"> {
  const op = "convTranspose2d";
  const { stride = 1, padding = 0, outputPadding = 0, dilation = 1, groups = 1 } = options;
  checkOperands(op, x, weight, bias, groups, weight.ndim === 4 ? weight.shape[1] * groups : 0);
  const [N, Cin, H, W] = x.shape;
  const [wIn, coutG, kh, kw] = weight.shape;
  if (wIn !== Cin) throw new Error(`${op}: weight ${shapeToString(weight.shape)} expects ${wIn} input channels, got input ${shapeToString(x.shape)}`);
  const Cout = coutG * groups;
  const [sh, sw] = pair(op, "stride", stride, 1);
  const [ph, pw] = pair(op, "padding", padding, 0);
  const [oph, opw] = pair(op, "outputPadding", outputPadding, 0);
  const [dh, dw] = pair(op, "dilation", dilation, 1);
  if ((oph >= sh && oph >= dh) || (opw >= sw && opw >= dw)) {
    throw new Error(`${op}: outputPadding ${JSON.stringify(outputPadding)} must be smaller than either stride ${JSON.stringify(stride)} or dilation ${JSON.stringify(dilation)}`);
  }
  const Ho = (H - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1, Wo = (W - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1;
  if (Ho < 1 || Wo < 1) {
    throw new Error(`${op}: padding ${JSON.stringify(padding)} leaves no output for input ${shapeToString(x.shape)} and weight ${shapeToString(weight.shape)} (output ${Ho}x${Wo})`);
  }
  // The conv2d whose input gradient this is: its input is our output and its output our input.
  const g: Geometry = { N, Cin: Cout, H: Ho, W: Wo, Cout: Cin, Ho: H, Wo: W, kh, kw, sh, sw, ph, pw, dh, dw, groups };
  const y = Tensor.empty([N, Cout, Ho, Wo], "float32", op);
  if (bias) {
    // A GEMM with K = 0 is its epilogue alone: each image starts as the per-channel bias.
    for (let n = 0; n < N; n++) gemm(false, false, Cout, Ho * Wo, 0, 1, 0, 0, 0, 0, 0, elementAt(y.ptr, n * Cout * Ho * Wo), Ho * Wo, bias.ptr, BiasMode.perRow);
  } else {
    y.zero_();
  }
  runPasses(g, { weight: weight.ptr, adj: x.ptr, dx: y.ptr });
  const inputs = bias ? [x, weight, bias] : [x, weight];
  if (needsGrad(...inputs)) {
    record(op, inputs, [y], [x, weight], ([gy], [xs, ws]) => {
      const dx = x.requiresGrad ? Tensor.empty(xs.shape, "float32", `${op} backward`) : null;
      if (dx) lower(g, gy!.ptr, ws.ptr, dx.ptr);
      const dW = weight.requiresGrad ? Tensor.empty(ws.shape, "float32", `${op} backward`).zero_() : null;
      if (dW) weightGrad(g, gy!.ptr, xs.ptr, ws.ptr, dW.ptr);
      const db = bias?.requiresGrad ? channelSums(gy!, N, Cout, Ho * Wo) : null;
      return bias ? [dx, dW, db] : [dx, dW];
    }, ([gy], [xs, ws]) => [
      // This op is the input gradient of conv g: its input plays g's output gradient.
      x.requiresGrad ? convForward(g, gy!, ws) : null,
      weight.requiresGrad ? convWeightGrad(g, gy!, xs) : null,
      ...(bias ? [bias.requiresGrad ? sum(gy!, [0, 2, 3]) : null] : []),
    ]);
  }
  return traced("convTranspose2d", [x, weight, bias ?? null], y, { strides: [sh, sw], pads: [ph, pw, ph, pw], outputPadding: [oph, opw], dilations: [dh, dw], groups });
}

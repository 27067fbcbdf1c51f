// Convolutions on the packed GEMM (im2col + GEMM, col2im for the adjoint), NCHW.
//
// Every convolution here is made of three passes of conv2d, for input X [N, Cin, H, W], weight
// W [Cout, Cin/groups, kh, kw] and output Y [N, Cout, Ho, Wo], per image and group:
//   lower:     Y   = W · im2col(X) + bias        (bias through the GEMM's per-row epilogue)
//   weight:    dW += dY · im2col(X)ᵀ              (the GEMM reads the column matrix in place, transposed)
//   adjoint:   dX += col2im(Wᵀ · dY)
// conv2d's backward is weight + adjoint; conv_transpose2d's forward is the adjoint pass and its
// backward is lower + weight with the roles of the two spaces swapped. conv1d is conv2d with a
// height of 1. A 1x1, stride-1, unpadded convolution needs no im2col: X is its own column matrix.
import { record, needsGrad } from "../autograd.js";
import { heap } from "../backend/allocator.js";
import { backend } from "../backend/wasm.js";
import { Tensor, shapeToString } from "../tensor.js";
import { gemm, BiasMode } from "./matmul.js";
import { squeeze, unsqueeze } from "./shape.js";

export type Size2 = number | readonly [number, number];

export interface Conv2dOptions {
  stride?: Size2;
  /** Zeros on both sides; "same" keeps the size (stride 1; odd totals pad one more on the bottom/right); "valid" = 0. */
  padding?: Size2 | "same" | "valid";
  dilation?: Size2;
  groups?: number;
}

export interface Conv1dOptions {
  stride?: number;
  padding?: number | "same" | "valid";
  dilation?: number;
  groups?: number;
}

export interface ConvTranspose2dOptions {
  stride?: Size2;
  padding?: Size2;
  outputPadding?: Size2;
  dilation?: Size2;
  groups?: number;
}

/** A conv2d in its own terms: X [N, Cin, H, W] -> Y [N, Cout, Ho, Wo]; ph/pw are the top/left pads. */
interface Geometry {
  N: number; Cin: number; H: number; W: number; Cout: number; Ho: number; Wo: number;
  kh: number; kw: number; sh: number; sw: number; ph: number; pw: number; dh: number; dw: number; groups: number;
}

/** Raw pointers of the passes to run (0 = skip). dw and dx are accumulated into. */
interface Passes {
  weight: number;
  x?: number; // X, lowered by im2col for the `y` and `dw` passes
  y?: number; // Y = W ⋆ X (+ bias), overwritten
  bias?: number;
  dy?: number; // dW += dy ⋆ X
  dw?: number;
  adj?: number; // dX += col2im(Wᵀ · adj)
  dx?: number;
}

// The column matrices live in one scratch block from the allocator, grown on demand and reused by
// every call. A batch is lowered a chunk of images at a time (or a chunk of output rows, for one
// large image) so the block stays within SCRATCH_FLOATS (16 MiB) unless a single output row is larger.
const SCRATCH_FLOATS = 4 << 20;
let scratch = { ptr: 0, floats: 0 };

function scratchBuffer(floats: number): number {
  if (floats > scratch.floats) {
    if (scratch.ptr) heap().release(scratch.ptr, scratch.floats * 4);
    scratch = { ptr: 0, floats: 0 }; // nothing held if the allocation below fails
    scratch = { ptr: heap().alloc(floats * 4, "conv im2col buffer"), floats };
  }
  return scratch.ptr;
}

function runPasses(g: Geometry, p: Passes): void {
  const k = backend().kernels;
  const { N, Cin, H, W, Cout, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw, groups } = g;
  const cinG = Cin / groups, coutG = Cout / groups, kG = cinG * kh * kw, K = Cin * kh * kw;
  const L = Ho * Wo, HW = H * W;
  const direct = kh === 1 && kw === 1 && sh === 1 && sw === 1 && ph === 0 && pw === 0 && Ho === H && Wo === W;
  const lower = !!p.x && (!!p.y || !!p.dw);
  let images = N, rows = Ho;
  if (!direct) {
    if (K * L <= SCRATCH_FLOATS) images = Math.min(N, Math.floor(SCRATCH_FLOATS / (K * L)));
    else [images, rows] = [1, Math.max(1, Math.floor(SCRATCH_FLOATS / (K * Wo)))];
  }
  const col = direct ? 0 : scratchBuffer(images * K * rows * Wo);
  const geometry = [kh, kw, sh, sw, ph, pw, dh, dw, Wo] as const;

  for (let n0 = 0; n0 < N; n0 += images) {
    const nb = Math.min(images, N - n0);
    for (let r0 = 0; r0 < Ho; r0 += rows) {
      const nr = Math.min(rows, Ho - r0), Lc = nr * Wo;
      // Column matrix of image i, group grp (direct: the image's channels themselves).
      const colOf = (i: number, grp: number, base: number) =>
        direct ? base + ((n0 + i) * Cin + grp * cinG) * HW * 4 : col + (i * K + grp * kG) * Lc * 4;
      const yOffset = (i: number, grp: number) => (((n0 + i) * Cout + grp * coutG) * L + r0 * Wo) * 4;
      const wOf = (grp: number) => p.weight + grp * coutG * kG * 4;
      if (lower) {
        if (!direct) k.im2col_f32(p.x! + n0 * Cin * HW * 4, col, nb, Cin, H, W, ...geometry, r0, nr);
        for (let i = 0; i < nb; i++) {
          for (let grp = 0; grp < groups; grp++) {
            const c = colOf(i, grp, p.x!);
            if (p.y) {
              gemm(false, false, coutG, Lc, kG, 1, wOf(grp), kG, c, Lc, 0, p.y + yOffset(i, grp), L,
                p.bias ? p.bias + grp * coutG * 4 : 0, p.bias ? BiasMode.PerRow : BiasMode.None);
            }
            if (p.dw) gemm(false, true, coutG, kG, Lc, 1, p.dy! + yOffset(i, grp), L, c, Lc, 1, p.dw + grp * coutG * kG * 4, kG);
          }
        }
      }
      if (p.adj) {
        for (let i = 0; i < nb; i++) {
          for (let grp = 0; grp < groups; grp++) {
            gemm(true, false, kG, Lc, coutG, 1, wOf(grp), kG, p.adj + yOffset(i, grp), L, direct ? 1 : 0, colOf(i, grp, p.dx!), Lc);
          }
        }
        if (!direct) k.col2im_f32(col, p.dx! + n0 * Cin * HW * 4, nb, Cin, H, W, ...geometry, r0, nr);
      }
    }
  }
}

/** db[c] = Σ over n and positions of g[n, c, ·] (the bias gradient). */
function channelSums(g: Tensor, N: number, C: number, L: number): Tensor {
  const k = backend().kernels;
  const perImage = Tensor.empty([N, C], "float32", "conv bias grad");
  k.sum_dim_f32(g.ptr, perImage.ptr, N * C, L, 1);
  const db = Tensor.empty([C], "float32", "conv bias grad");
  k.sum_dim_f32(perImage.ptr, db.ptr, 1, N, C);
  perImage.dispose();
  return db;
}

function size2(op: string, name: string, v: Size2, min: number): [number, number] {
  const p: [number, number] = typeof v === "number" ? [v, v] : [v[0], v[1]];
  if ((typeof v !== "number" && v.length !== 2) || p.some((d) => !Number.isInteger(d) || d < min)) {
    throw new Error(`${op}: ${name} must be ${min === 0 ? "a non-negative" : "a positive"} integer or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

function checkOperands(op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, groups: number, outChannels: number): void {
  for (const [name, t] of [["input", x], ["weight", weight], ["bias", bias]] as const) {
    if (t && t.dtype !== "float32") throw new Error(`${op}: expected float32 ${name}, got ${t.dtype}`);
  }
  if (x.ndim !== 4) throw new Error(`${op}: expected a 4-D input [N, C, H, W] (or 3-D unbatched), got ${shapeToString(x.shape)}`);
  if (weight.ndim !== 4) throw new Error(`${op}: expected a 4-D weight, got ${shapeToString(weight.shape)}`);
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`${op}: groups must be a positive integer, got ${groups}`);
  if (x.shape[1] % groups !== 0) throw new Error(`${op}: input channels (${x.shape[1]}) must be divisible by groups (${groups})`);
  if (outChannels % groups !== 0) throw new Error(`${op}: output channels (${outChannels}) must be divisible by groups (${groups})`);
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outChannels)) {
    throw new Error(`${op}: bias ${shapeToString(bias.shape)} does not match the ${outChannels} output channels (expected [${outChannels}])`);
  }
}

/** Applies fn to x with a batch dim of 1 added when x is unbatched (rank `unbatchedRank`). */
function batched(x: Tensor, unbatchedRank: number, fn: (x: Tensor) => Tensor): Tensor {
  if (x.ndim !== unbatchedRank) return fn(x);
  return throughView(x, 0, fn);
}

/** fn applied to x with a size-1 dim inserted at `dim`, which is removed from the result again. */
function throughView(x: Tensor, dim: number, fn: (x: Tensor) => Tensor): Tensor {
  const xu = unsqueeze(x, dim);
  const yu = fn(xu);
  xu.dispose();
  const y = squeeze(yu, dim);
  yu.dispose();
  return y;
}

/** torch.nn.functional.conv2d: x [N, Cin, H, W] (or [Cin, H, W]), weight [Cout, Cin/groups, kh, kw], bias [Cout]. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  return batched(x, 3, (xb) => conv2dBatched("conv2d", xb, weight, bias, options));
}

function conv2dBatched(op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, options: Conv2dOptions): Tensor {
  const { stride = 1, padding = 0, dilation = 1, groups = 1 } = options;
  checkOperands(op, x, weight, bias, groups, weight.shape[0]);
  const [N, Cin, H, W] = x.shape;
  const [Cout, cinG, kh, kw] = weight.shape;
  if (cinG * groups !== Cin) {
    throw new Error(`${op}: weight ${shapeToString(weight.shape)} with groups=${groups} expects ${cinG * groups} input channels, got input ${shapeToString(x.shape)}`);
  }
  const [sh, sw] = size2(op, "stride", stride, 1);
  const [dh, dw] = size2(op, "dilation", dilation, 1);
  let pads: [number, number, number, number]; // top, bottom, left, right
  if (padding === "same") {
    if (sh !== 1 || sw !== 1) throw new Error(`${op}: padding="same" is not supported for strided convolutions (stride ${JSON.stringify(stride)})`);
    const th = dh * (kh - 1), tw = dw * (kw - 1);
    pads = [th >> 1, th - (th >> 1), tw >> 1, tw - (tw >> 1)];
  } else {
    const [ph, pw] = padding === "valid" ? [0, 0] : size2(op, "padding", padding, 0);
    pads = [ph, ph, pw, pw];
  }
  const paddedH = H + pads[0] + pads[1], paddedW = W + pads[2] + pads[3];
  const effH = dh * (kh - 1) + 1, effW = dw * (kw - 1) + 1;
  if (effH > paddedH || effW > paddedW) {
    throw new Error(`${op}: kernel ${effH}x${effW} (after dilation) is larger than the padded input ${paddedH}x${paddedW} (input ${shapeToString(x.shape)}, weight ${shapeToString(weight.shape)})`);
  }
  const g: Geometry = {
    N, Cin, H, W, Cout, Ho: Math.floor((paddedH - effH) / sh) + 1, Wo: Math.floor((paddedW - effW) / sw) + 1,
    kh, kw, sh, sw, ph: pads[0], pw: pads[2], dh, dw, groups,
  };
  const y = Tensor.empty([N, Cout, g.Ho, g.Wo], "float32", op);
  runPasses(g, { weight: weight.ptr, x: x.ptr, y: y.ptr, bias: bias?.ptr });
  const inputs = bias ? [x, weight, bias] : [x, weight];
  if (needsGrad(...inputs)) {
    record(op, inputs, [y], [x, weight], ([gy], [xs, ws]) => {
      const dx = x.requiresGrad ? Tensor.empty(xs.shape, "float32", `${op} backward`).zero_() : null;
      const dW = weight.requiresGrad ? Tensor.empty(ws.shape, "float32", `${op} backward`).zero_() : null;
      if (dx || dW) runPasses(g, { weight: ws.ptr, x: xs.ptr, dy: gy!.ptr, dw: dW?.ptr, adj: dx ? gy!.ptr : 0, dx: dx?.ptr });
      const db = bias?.requiresGrad ? channelSums(gy!, N, Cout, g.Ho * g.Wo) : null;
      return bias ? [dx, dW, db] : [dx, dW];
    });
  }
  return y;
}

/** torch.nn.functional.conv1d: x [N, Cin, L] (or [Cin, L]), weight [Cout, Cin/groups, k], bias [Cout]. */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv1dOptions = {}): Tensor {
  if (x.ndim !== 2 && x.ndim !== 3) throw new Error(`conv1d: expected a 2-D (unbatched) or 3-D input [N, C, L], got ${shapeToString(x.shape)}`);
  if (weight.ndim !== 3) throw new Error(`conv1d: expected a 3-D weight [Cout, Cin/groups, k], got ${shapeToString(weight.shape)}`);
  const { stride = 1, padding = 0, dilation = 1, groups = 1 } = options;
  const pad2 = typeof padding === "string" ? padding : ([0, padding] as const);
  return batched(x, 2, (xb) =>
    throughView(xb, 2, (x4) => {
      const w4 = unsqueeze(weight, 2);
      const y = conv2dBatched("conv1d", x4, w4, bias, { stride: [1, stride], padding: pad2, dilation: [1, dilation], groups });
      w4.dispose();
      return y;
    }),
  );
}

/**
 * torch.nn.functional.conv_transpose2d: x [N, Cin, H, W] (or [Cin, H, W]), weight
 * [Cin, Cout/groups, kh, kw], bias [Cout]; Ho = (H − 1)·sh − 2ph + dh·(kh − 1) + oph + 1.
 * It is the input gradient of the conv2d that maps the output back onto x.
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTranspose2dOptions = {}): Tensor {
  return batched(x, 3, (xb) => convTranspose2dBatched(xb, weight, bias, options));
}

function convTranspose2dBatched(x: Tensor, weight: Tensor, bias: Tensor | null | undefined, options: ConvTranspose2dOptions): Tensor {
  const op = "conv_transpose2d";
  const { stride = 1, padding = 0, outputPadding = 0, dilation = 1, groups = 1 } = options;
  checkOperands(op, x, weight, bias, groups, weight.ndim === 4 ? weight.shape[1] * groups : 0);
  const [N, Cin, H, W] = x.shape;
  const [wIn, coutG, kh, kw] = weight.shape;
  if (wIn !== Cin) throw new Error(`${op}: weight ${shapeToString(weight.shape)} expects ${wIn} input channels, got input ${shapeToString(x.shape)}`);
  const Cout = coutG * groups;
  const [sh, sw] = size2(op, "stride", stride, 1);
  const [ph, pw] = size2(op, "padding", padding, 0);
  const [oph, opw] = size2(op, "outputPadding", outputPadding, 0);
  const [dh, dw] = size2(op, "dilation", dilation, 1);
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
    for (let n = 0; n < N; n++) gemm(false, false, Cout, Ho * Wo, 0, 1, 0, 0, 0, 0, 0, y.ptr + n * Cout * Ho * Wo * 4, Ho * Wo, bias.ptr, BiasMode.PerRow);
  } else {
    y.zero_();
  }
  runPasses(g, { weight: weight.ptr, adj: x.ptr, dx: y.ptr });
  const inputs = bias ? [x, weight, bias] : [x, weight];
  if (needsGrad(...inputs)) {
    record(op, inputs, [y], [x, weight], ([gy], [xs, ws]) => {
      const dx = x.requiresGrad ? Tensor.empty(xs.shape, "float32", `${op} backward`) : null;
      const dW = weight.requiresGrad ? Tensor.empty(ws.shape, "float32", `${op} backward`).zero_() : null;
      if (dx || dW) runPasses(g, { weight: ws.ptr, x: gy!.ptr, y: dx?.ptr, dy: xs.ptr, dw: dW?.ptr });
      const db = bias?.requiresGrad ? channelSums(gy!, N, Cout, Ho * Wo) : null;
      return bias ? [dx, dW, db] : [dx, dW];
    });
  }
  return y;
}

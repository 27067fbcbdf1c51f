// Normalisation: batch norm (per-channel statistics over the batch and positions, with running
// statistics), and layer / group norm (statistics per sample). Forward and backward are fused
// kernels (assembly/norm.ts); batch norm's training backward includes the paths through the batch
// mean and variance. With createGraph the backward is the same formula in differentiable ops.
import { readOptions } from "./args.js";
import { checkArgs, checkLive } from "./checks.js";
import { record, needsGrad } from "../autograd.js";
import { backend } from "../backend/wasm.js";
import { Tensor, shapeToString, numel } from "../tensor.js";
import { traced } from "../trace.js";
import { mul, sub } from "./binary.js";
import { affine, powScalar, square } from "./elementwise.js";
import { mean, sum } from "./reduce.js";
import { reshape } from "./shape.js";

/** The options of the functional batchNorm (torch.nn.functional.batch_norm's). */
export interface BatchNormOptions {
  /** Batch statistics (and running-statistics update) when true; running statistics when false. Default false. */
  training?: boolean;
  /** Weight of the new batch statistic in the running average. Default 0.1. */
  momentum?: number;
  /** Added to the variance before the square root. Default 1e-5. */
  eps?: number;
}

function checkParam(op: string, name: string, t: Tensor | null | undefined, shape: readonly number[]): void {
  if (t === null || t === undefined) return;
  checkArgs(op, { [name]: t });
  if (t.dtype !== "float32" || t.ndim !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${op}: ${name} must be float32 ${shapeToString(shape)}, got ${t.dtype} ${shapeToString(t.shape)}`);
  }
}

const ptr = (t: Tensor | null | undefined) => (t ? t.ptr : 0);

/**
 * The backward of y = x̂·w + b, x̂ = (x − μ)/√(σ² + eps) with μ, σ² (biased) over `statDims`, in
 * differentiable ops, for createGraph; `fixed` statistics (batch norm in eval mode) are constants.
 * The weight and bias gradients are summed over `paramDims` (kept as size-1 dims).
 */
function normalizedGraphBackward(x: Tensor, g: Tensor, w: Tensor | null, statDims: number[], paramDims: number[], eps: number,
  fixed: { mean: Tensor; variance: Tensor } | null): { dx: Tensor; dw: Tensor; db: Tensor } {
  const xc = sub(x, fixed ? fixed.mean : mean(x, statDims, true));
  const rstd = powScalar(affine(fixed ? fixed.variance : mean(square(xc), statDims, true), 1, eps), -0.5);
  const xhat = mul(xc, rstd);
  const gh = w ? mul(g, w) : g;
  // Through the statistics: dx = rstd·(gh − mean(gh) − x̂·mean(gh·x̂)).
  const dx = fixed ? mul(gh, rstd) : mul(rstd, sub(sub(gh, mean(gh, statDims, true)), mul(xhat, mean(mul(gh, xhat), statDims, true))));
  return { dx, dw: sum(mul(g, xhat), paramDims, true), db: sum(g, paramDims, true) };
}

/** The gradients of (x, weight?, bias?) in their shapes, null where an input needs none. */
function paramGrads(x: Tensor, dx: Tensor, weight: Tensor | null | undefined, dw: Tensor, bias: Tensor | null | undefined, db: Tensor): (Tensor | null)[] {
  return [
    x.requiresGrad ? reshape(dx, [...x.shape]) : null,
    ...(weight ? [weight.requiresGrad ? reshape(dw, [...weight.shape]) : null] : []),
    ...(bias ? [bias.requiresGrad ? reshape(db, [...bias.shape]) : null] : []),
  ];
}

/**
 * torch.nn.functional.batch_norm: x [N, C], [N, C, L] or [N, C, H, W]; y = (x − mean)/sqrt(var + eps)·weight + bias
 * per channel. Training uses the batch mean and biased variance and updates runningMean/runningVar
 * in place (the running variance with the unbiased estimate); eval uses the running statistics.
 */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight?: Tensor | null, bias?: Tensor | null,
  options: BatchNormOptions = {}): Tensor {
  const { training = false, momentum = 0.1, eps = 1e-5 } = readOptions<BatchNormOptions>("batchNorm", options, ["training", "momentum", "eps"]);
  checkLive("batchNorm", x);
  const op = "batchNorm";
  if (x.dtype !== "float32") throw new Error(`${op}: expected a float32 input, got ${x.dtype}`);
  if (x.ndim < 2) throw new Error(`${op}: expected an input [N, C, ...] of rank 2 or more, got ${shapeToString(x.shape)}`);
  const [N, C] = x.shape;
  const L = numel(x.shape.slice(2));
  for (const [name, t] of [["runningMean", runningMean], ["runningVar", runningVar], ["weight", weight], ["bias", bias]] as const) {
    checkParam(op, name, t, [C]);
  }
  if (!runningMean !== !runningVar) throw new Error(`${op}: give both runningMean and runningVar, or neither`);
  if (!training && !runningMean) throw new Error(`${op}: runningMean and runningVar are required in evaluation mode`);
  if (training && N * L <= 1) {
    throw new Error(`${op}: expected more than 1 value per channel when training, got input size ${shapeToString(x.shape)}`);
  }
  const k = backend().kernels;
  // The statistics used; in eval a copy of the running ones, which later training steps overwrite.
  const mean = Tensor.empty([C], "float32", `${op} mean`), variance = Tensor.empty([C], "float32", `${op} var`);
  if (training) {
    k.batch_norm_stats_f32(x.ptr, mean.ptr, variance.ptr, N, C, L, ptr(runningMean), ptr(runningVar), momentum);
  } else {
    mean.copy_(runningMean!);
    variance.copy_(runningVar!);
  }
  const y = Tensor.empty(x.shape, "float32", op);
  k.batch_norm_f32(x.ptr, y.ptr, N, C, L, mean.ptr, variance.ptr, ptr(weight), ptr(bias), eps);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  if (needsGrad(...inputs)) {
    record(op, inputs, [y], weight ? [x, mean, variance, weight] : [x, mean, variance], ([g], [xs, m, v, w]) => {
      const dx = x.requiresGrad ? Tensor.empty(xs.shape, "float32", `${op} backward`) : null;
      const dw = weight?.requiresGrad ? Tensor.empty([C], "float32", `${op} backward`) : null;
      const db = bias?.requiresGrad ? Tensor.empty([C], "float32", `${op} backward`) : null;
      k.batch_norm_backward_f32(xs.ptr, g!.ptr, ptr(dx), ptr(dw), ptr(db), N, C, L, m.ptr, v.ptr, ptr(w), eps, +training);
      return [dx, ...(weight ? [dw] : []), ...(bias ? [db] : [])];
    }, ([g], [xs, m, v, w]) => {
      // In the view [N, C, L], statistics over (N, L): the batch's, or in eval the fixed running ones.
      const view = [N, C, L], perChannel = [1, C, 1];
      const fixed = training ? null : { mean: reshape(m, perChannel), variance: reshape(v, perChannel) };
      const { dx, dw, db } = normalizedGraphBackward(reshape(xs, view), reshape(g!, view), w ? reshape(w, perChannel) : null, [0, 2], [0, 2], eps, fixed);
      return paramGrads(x, dx, weight, dw, bias, db);
    });
  }
  mean.dispose();
  variance.dispose();
  return traced("batchNorm", [x, runningMean, runningVar, weight ?? null, bias ?? null], y, { training, eps });
}

/**
 * Normalises each row of x viewed as [N, G, Cg, L] over its Cg·L elements, with a per-channel
 * affine (channel = g·Cg + cg): group norm, and layer norm as G = 1, Cg = normalised size, L = 1.
 */
function normalizeRows(op: string, x: Tensor, N: number, G: number, Cg: number, L: number,
  weight: Tensor | null | undefined, bias: Tensor | null | undefined, eps: number): Tensor<"float32"> {
  const k = backend().kernels;
  const mean = Tensor.empty([N * G], "float32", `${op} mean`), rstd = Tensor.empty([N * G], "float32", `${op} rstd`);
  const y = Tensor.empty(x.shape, "float32", op);
  k.group_norm_f32(x.ptr, y.ptr, mean.ptr, rstd.ptr, N, G, Cg, L, ptr(weight), ptr(bias), eps);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  if (needsGrad(...inputs)) {
    record(op, inputs, [y], weight ? [x, mean, rstd, weight] : [x, mean, rstd], ([g], [xs, m, r, w]) => {
      const dx = x.requiresGrad ? Tensor.empty(xs.shape, "float32", `${op} backward`) : null;
      const dw = weight?.requiresGrad ? Tensor.empty(weight.shape, "float32", `${op} backward`).zero_() : null;
      const db = bias?.requiresGrad ? Tensor.empty(bias.shape, "float32", `${op} backward`).zero_() : null;
      k.group_norm_backward_f32(xs.ptr, g!.ptr, m.ptr, r.ptr, ptr(w), ptr(dx), ptr(dw), ptr(db), N, G, Cg, L);
      return [dx, ...(weight ? [dw] : []), ...(bias ? [db] : [])];
    }, ([g], [xs, , , w]) => {
      // In the view [N, G, Cg, L], statistics over (Cg, L); channel g·Cg + cg has the affine.
      const view = [N, G, Cg, L], affineView = [1, G, Cg, 1];
      const { dx, dw, db } = normalizedGraphBackward(reshape(xs, view), reshape(g!, view), w ? reshape(w, affineView) : null, [2, 3], [0, 3], eps, null);
      return paramGrads(x, dx, weight, dw, bias, db);
    });
  }
  mean.dispose();
  rstd.dispose();
  return y;
}

/** torch.nn.functional.layer_norm: mean and biased variance over the last dims (normalizedShape); weight/bias of that shape. */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor<"float32"> {
  const op = "layerNorm";
  checkLive(op, x);
  const shape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
  if (x.dtype !== "float32") throw new Error(`${op}: expected a float32 input, got ${x.dtype}`);
  const tail = x.shape.slice(x.ndim - shape.length);
  if (shape.length === 0 || shape.length > x.ndim || tail.some((d, i) => d !== shape[i])) {
    throw new Error(`${op}: input ${shapeToString(x.shape)} does not end with normalizedShape ${shapeToString(shape)}`);
  }
  checkParam(op, "weight", weight, shape);
  checkParam(op, "bias", bias, shape);
  const D = numel(shape);
  return traced("layerNorm", [x, weight ?? null, bias ?? null], normalizeRows(op, x, x.size / D, 1, D, 1, weight, bias, eps), { axis: x.ndim - shape.length, eps });
}

/** torch.nn.functional.group_norm: x [N, C, ...]; statistics per sample over each group of C/numGroups channels; weight/bias [C]. */
export function groupNorm(x: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor<"float32"> {
  const op = "groupNorm";
  checkLive(op, x);
  if (x.dtype !== "float32") throw new Error(`${op}: expected a float32 input, got ${x.dtype}`);
  if (x.ndim < 2) throw new Error(`${op}: expected an input [N, C, ...] of rank 2 or more, got ${shapeToString(x.shape)}`);
  const [N, C] = x.shape;
  if (!Number.isInteger(numGroups) || numGroups < 1 || C % numGroups !== 0) {
    throw new Error(`${op}: the ${C} channels of input ${shapeToString(x.shape)} must be divisible by numGroups (${numGroups})`);
  }
  checkParam(op, "weight", weight, [C]);
  checkParam(op, "bias", bias, [C]);
  return traced("groupNorm", [x, weight ?? null, bias ?? null], normalizeRows(op, x, N, numGroups, C / numGroups, numel(x.shape.slice(2)), weight, bias, eps), { groups: numGroups, eps });
}

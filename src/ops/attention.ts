// Scaled dot-product attention (torch.nn.functional.scaled_dot_product_attention) and the masks it
// takes. The attention weights softmax(scale·q·kᵀ + bias) are one op whose forward runs the GEMM
// per batch with the mask as its accumulator and the softmax in place, and whose backward runs the
// same GEMM with transpose flags (and, for createGraph, the same in differentiable ops); dropout
// and the product with v are the existing ops.
import { record } from "../autograd.js";
import { gemmBatched } from "../backend/gemm.js";
import { backend } from "../backend/wasm.js";
import { Tensor, shapeToString, numel, sameShape, tidy, type Shape } from "../tensor.js";
import { traced } from "../trace.js";
import type { Generator } from "../random.js";
import { matmul } from "./matmul.js";
import { broadcastShapes } from "./strided.js";
import { transpose } from "./shape.js";
import { sum } from "./reduce.js";
import { broadcastTo, sumToShape } from "./broadcast.js";
import { mul, sub, where } from "./binary.js";
import { dropout } from "./dropout.js";
import { checkArgs, checkFloat, checkLive, checkOptionNames } from "./checks.js";


/**
 * A boolean mask as an additive one: int32 tensors are the library's boolean masks (it has no bool
 * dtype); `allowed` says which value lets a position take part — true for scaled dot-product
 * attention, false for nn.MultiheadAttention's masks (true = not allowed), as in PyTorch. Float
 * masks are already additive and are returned as they are.
 */
export function additiveMask(op: string, mask: Tensor, allowed: boolean): Tensor<"float32"> {
  checkLive(op, mask);
  if (mask.dtype === "float32") return mask as Tensor<"float32">; // the check narrows mask.dtype, not mask
  return allowed ? where(mask, 0, -Infinity) : where(mask, -Infinity, 0);
}

/** [L, S] additive mask letting query i see key j only when j ≤ i (PyTorch's top-left causal alignment). */
export function causalMask(L: number, S: number): Tensor<"float32"> {
  const mask = Tensor.empty([L, S], "float32", "causal mask");
  const m = mask.liveData();
  for (let i = 0; i < L; i++) for (let j = 0; j < S; j++) m[i * S + j] = j <= i ? 0 : -Infinity;
  return mask;
}

/** x copied to `shape` when broadcasting stretches it, else x itself. */
const stretched = (x: Tensor, shape: Shape) => (sameShape(x.shape, shape) ? x : broadcastTo(x, shape));

/**
 * softmax(scale·q·kᵀ + bias) over the last dim, for q [..., L, E], k [..., S, E] and an additive
 * bias broadcastable to [..., L, S] (leading dims of all three broadcast). A -Infinity bias gives
 * a weight of exactly 0 (and exactly 0 gradient through it); a row with one finite entry gives 1.
 */
export function attentionWeights(q: Tensor, k: Tensor, bias: Tensor | null, scale: number): Tensor<"float32"> {
  const op = "attentionWeights";
  checkFloat(op, q, k, ...(bias ? [bias] : []));
  if (q.ndim < 2 || k.ndim < 2 || q.shape[q.ndim - 1] !== k.shape[k.ndim - 1]) {
    throw new Error(`${op}: query ${shapeToString(q.shape)} and key ${shapeToString(k.shape)} must be [..., L, E] and [..., S, E] with the same E`);
  }
  const L = q.shape[q.ndim - 2], E = q.shape[q.ndim - 1], S = k.shape[k.ndim - 2];
  let full = [...broadcastShapes(op, q.shape.slice(0, -2), k.shape.slice(0, -2)), L, S];
  if (bias) {
    full = broadcastShapes(op, bias.shape, full);
    if (full[full.length - 2] !== L || full[full.length - 1] !== S) {
      throw new Error(`${op}: mask ${shapeToString(bias.shape)} does not broadcast to the attention weights [..., ${L}, ${S}]`);
    }
  }
  const batch = full.slice(0, -2), B = numel(batch);
  const qf = stretched(q, [...batch, L, E]), kf = stretched(k, [...batch, S, E]);
  // The bias is the GEMM's accumulator (beta = 1), and the softmax runs in place: the kernel reads
  // each element before it writes it.
  const w = bias ? broadcastTo(bias as Tensor<"float32">, full) : Tensor.empty(full, "float32", op); // bias checked float32 above
  // One batched call per product (one job for the threads), not one GEMM call per batch and head.
  gemmBatched(B, [L * E, S * E, L * S], false, true, L, S, E, scale, qf.ptr, E, kf.ptr, E, bias ? 1 : 0, w.ptr, S);
  const kernels = backend().kernels;
  kernels.softmax_f32(w.ptr, w.ptr, B * L, S, 1, 0);
  if (qf !== q) qf.dispose();
  if (kf !== k) kf.dispose();
  const inputs = bias ? [q, k, bias] : [q, k];
  const qShape = q.shape, kShape = k.shape, biasShape = bias?.shape ?? [];
  const biasGrad = (ds: Tensor) => (bias ? [bias.requiresGrad ? sumToShape(ds, biasShape) : null] : []);
  record(op, inputs, [w], [q, k, w], ([g], [qs, ks, ws]) => {
    const ds = Tensor.empty(full, "float32", `${op} backward`);
    kernels.softmax_backward_f32(ws.ptr, g!.ptr, ds.ptr, B * L, S, 1, 0);
    let dq: Tensor | null = null, dk: Tensor | null = null;
    if (q.requiresGrad) {
      const kb = stretched(ks, [...batch, S, E]);
      dq = Tensor.empty([...batch, L, E], "float32", `${op} backward`);
      gemmBatched(B, [L * S, S * E, L * E], false, false, L, E, S, scale, ds.ptr, S, kb.ptr, E, 0, dq.ptr, E);
    }
    if (k.requiresGrad) {
      const qb = stretched(qs, [...batch, L, E]);
      dk = Tensor.empty([...batch, S, E], "float32", `${op} backward`);
      gemmBatched(B, [L * S, L * E, S * E], true, false, S, E, L, scale, ds.ptr, S, qb.ptr, E, 0, dk.ptr, E);
    }
    return [dq && sumToShape(dq, qShape), dk && sumToShape(dk, kShape), ...biasGrad(ds)];
  }, ([g], [qs, ks, ws]) => {
    // The same in differentiable ops (createGraph): ds = w ⊙ (g − Σ g⊙w), dq = scale·ds·k, dk = scale·dsᵀ·q.
    const ds = mul(ws, sub(g!, sum(mul(g!, ws), -1, true)));
    return [
      q.requiresGrad ? sumToShape(mul(matmul(ds, ks), scale), qShape) : null,
      k.requiresGrad ? sumToShape(mul(matmul(transpose(ds, -1, -2), qs), scale), kShape) : null,
      ...biasGrad(ds),
    ];
  });
  return traced("attentionWeights", [q, k, bias], w, { scale });
}

/**
 * The options of scaledDotProductAttention (torch.nn.functional.scaled_dot_product_attention's, camelCased).
 */
export interface ScaledDotProductAttentionOptions {
  /**
   * Broadcastable to [..., L, S]. An int32 tensor is a boolean mask: nonzero = the position takes
   * part (PyTorch's bool SDPA mask). A float32 tensor is added to the scores (-Infinity excludes).
   */
  attnMask?: Tensor | null;
  /** Query i attends to keys j ≤ i (top-left aligned when L ≠ S); not together with attnMask. */
  isCausal?: boolean;
  /** Dropout on the attention weights (applied whenever > 0, as in PyTorch: pass 0 in evaluation). */
  dropoutP?: number;
  /** Multiplies q·kᵀ; default 1/√E. */
  scale?: number | null;
  /** Also return the attention weights [..., L, S] (after dropout), like PyTorch 1.13's kernel. */
  needWeights?: boolean;
  /** The random generator for the dropout mask (the global one by default). */
  generator?: Generator;
}

const SDPA_OPTIONS = ["attnMask", "isCausal", "dropoutP", "scale", "needWeights", "generator"] as const;

/**
 * softmax(q·kᵀ·scale + mask)·v for query [..., L, E], key [..., S, E], value [..., S, Ev] (leading
 * dims broadcast); the output is [..., L, Ev]. With `needWeights`, returns [output, weights].
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options?: ScaledDotProductAttentionOptions & { needWeights?: false }): Tensor;
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: ScaledDotProductAttentionOptions & { needWeights: true }): [Tensor, Tensor];
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: ScaledDotProductAttentionOptions = {}): Tensor | [Tensor, Tensor] {
  const op = "scaledDotProductAttention";
  checkOptionNames(op, options, SDPA_OPTIONS);
  const { attnMask = null, isCausal = false, dropoutP = 0, scale = null, needWeights = false, generator } = options;
  checkArgs(op, { query: q, key: k, value: v }, "float32");
  if (q.ndim < 2 || k.ndim < 2 || v.ndim < 2 || q.shape[q.ndim - 1] !== k.shape[k.ndim - 1] || k.shape[k.ndim - 2] !== v.shape[v.ndim - 2]) {
    throw new Error(`${op}: expected query [..., L, E], key [..., S, E] and value [..., S, Ev], got ${shapeToString(q.shape)}, ${shapeToString(k.shape)} and ${shapeToString(v.shape)}`);
  }
  if (isCausal && attnMask) throw new Error(`${op}: attnMask cannot be given together with isCausal`);
  if (!(dropoutP >= 0 && dropoutP <= 1)) throw new Error(`${op}: dropoutP must be in [0, 1], got ${dropoutP}`);
  if (scale !== null && !Number.isFinite(scale)) throw new Error(`${op}: scale must be a finite number or null, got ${scale}`);
  const L = q.shape[q.ndim - 2], E = q.shape[q.ndim - 1], S = k.shape[k.ndim - 2];
  return tidy(() => {
    const bias = attnMask ? additiveMask(op, attnMask, true) : isCausal ? causalMask(L, S) : null;
    const weights = dropout(attentionWeights(q, k, bias, scale ?? 1 / Math.sqrt(E)), dropoutP, true, { generator });
    const out = matmul(weights, v);
    return needWeights ? [out, weights] as [Tensor, Tensor] : out;
  });
}

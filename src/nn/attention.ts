// Multi-head attention (torch.nn.MultiheadAttention and its functional form), composed from the
// projections (linear), a head split (reshape + permute) and scaled dot-product attention
// (src/ops/attention.ts). Parameter names are PyTorch's: in_proj_weight, in_proj_bias,
// out_proj.weight, out_proj.bias.
import { Tensor, shapeToString, tidy } from "../tensor.js";
import { linear } from "../ops/matmul.js";
import { narrow, permute, reshape } from "../ops/shape.js";
import { add } from "../ops/binary.js";
import { mean } from "../ops/reduce.js";
import { additiveMask, causalMask, scaledDotProductAttention } from "../ops/attention.js";
import { checkOptionNames } from "../ops/checks.js";
import { readArgs, kinds, type Args } from "../ops/args.js";
import type { Generator } from "../random.js";
import { Module, parameter } from "./module.js";
import { Linear } from "./linear.js";
import { constant_, xavierUniform_ } from "./init.js";

/**
 * The per-call options of MultiheadAttention.forward (torch's `key_padding_mask`, `need_weights`,
 * `attn_mask`, `average_attn_weights`, `is_causal`).
 */
export interface MultiHeadAttentionCallOptions {
  /**
   * [N, S] (or [S] unbatched): an int32 (boolean) mask whose nonzero entries are padding keys that
   * no query attends to, or a float32 mask added to the scores.
   */
  keyPaddingMask?: Tensor | null;
  /** Also return the attention weights. Default true (as in PyTorch). */
  needWeights?: boolean;
  /**
   * [L, S] (every batch and head) or [N·numHeads, L, S] (entry n·numHeads + head): an int32
   * (boolean) mask whose nonzero entries are NOT allowed — the opposite polarity of
   * scaledDotProductAttention's boolean mask, as in PyTorch — or a float32 mask added to the scores.
   */
  attnMask?: Tensor | null;
  /** Weights averaged over heads [N, L, S] (default), or per head [N, numHeads, L, S]. */
  averageAttnWeights?: boolean;
  /** Apply a causal mask (query i sees keys j ≤ i); when attnMask is given it is taken as that mask. */
  isCausal?: boolean;
}

const CALL_OPTIONS = ["keyPaddingMask", "needWeights", "attnMask", "averageAttnWeights", "isCausal"] as const;

export interface MultiHeadAttentionParams {
  inProjWeight: Tensor;
  inProjBias?: Tensor | null;
  outProjWeight: Tensor;
  outProjBias?: Tensor | null;
}

export interface MultiHeadAttentionForwardOptions extends MultiHeadAttentionCallOptions {
  numHeads: number;
  /** Inputs and output as [N, L, E] instead of [L, N, E]. Default false. */
  batchFirst?: boolean;
  /** Dropout on the attention weights (0 in evaluation). */
  dropoutP?: number;
  generator?: Generator;
}

/**
 * torch.nn.functional.multi_head_attention_forward (kdim = vdim = embed_dim, no bias_k/v, no zero
 * attention): query [L, N, E], key/value [S, N, E] ([N, L, E] / [N, S, E] batch-first, or [L, E] /
 * [S, E] unbatched). key defaults to query and value to key. Returns [output, weights or null].
 */
export function multiHeadAttentionForward(query: Tensor, key: Tensor | null, value: Tensor | null, params: MultiHeadAttentionParams,
  options: MultiHeadAttentionForwardOptions): [Tensor, Tensor | null] {
  const op = "multiHeadAttention";
  checkOptionNames(op, options, [...CALL_OPTIONS, "numHeads", "batchFirst", "dropoutP", "generator"]);
  const { numHeads: h, batchFirst = false, dropoutP = 0, generator, keyPaddingMask = null, attnMask = null,
    needWeights = true, averageAttnWeights = true, isCausal = false } = options;
  key ??= query;
  value ??= key;
  const { inProjWeight, inProjBias = null, outProjWeight, outProjBias = null } = params;
  const E = query.shape[query.ndim - 1];
  const unbatched = query.ndim === 2;
  if ((query.ndim !== 2 && query.ndim !== 3) || key.ndim !== query.ndim || value.ndim !== query.ndim) {
    throw new Error(`${op}: query, key and value must all be 3-D (batched) or 2-D (unbatched), got ${shapeToString(query.shape)}, ${shapeToString(key.shape)} and ${shapeToString(value.shape)}`);
  }
  if (!Number.isInteger(h) || h < 1 || E % h !== 0) throw new Error(`${op}: embed dim ${E} must be divisible by numHeads (${h})`);
  const seqDim = unbatched || !batchFirst ? 0 : 1, batchDim = unbatched ? -1 : 1 - seqDim;
  const L = query.shape[seqDim], S = key.shape[seqDim], N = unbatched ? 1 : query.shape[batchDim];
  const sameBatch = (t: Tensor) => unbatched || t.shape[batchDim] === N;
  if (key.shape[key.ndim - 1] !== E || value.shape[value.ndim - 1] !== E || value.shape[seqDim] !== S || !sameBatch(key) || !sameBatch(value)) {
    throw new Error(`${op}: key ${shapeToString(key.shape)} and value ${shapeToString(value.shape)} do not match query ${shapeToString(query.shape)} (same batch and embed dim ${E}, same length for key and value${batchFirst ? ", batch first" : ""})`);
  }
  if (inProjWeight.ndim !== 2 || inProjWeight.shape[0] !== 3 * E || inProjWeight.shape[1] !== E) {
    throw new Error(`${op}: in_proj_weight must be [${3 * E}, ${E}], got ${shapeToString(inProjWeight.shape)}`);
  }
  if (inProjBias && (inProjBias.ndim !== 1 || inProjBias.shape[0] !== 3 * E)) {
    throw new Error(`${op}: in_proj_bias must be [${3 * E}], got ${shapeToString(inProjBias.shape)}`);
  }
  const paddingShape = unbatched ? [S] : [N, S];
  if (keyPaddingMask && shapeToString(keyPaddingMask.shape) !== shapeToString(paddingShape)) {
    throw new Error(`${op}: keyPaddingMask must be ${shapeToString(paddingShape)}, got ${shapeToString(keyPaddingMask.shape)}`);
  }
  const mask3 = [N * h, L, S];
  if (attnMask && shapeToString(attnMask.shape) !== `[${L}, ${S}]` && shapeToString(attnMask.shape) !== shapeToString(mask3)) {
    throw new Error(`${op}: attnMask must be [${L}, ${S}] or ${shapeToString(mask3)}, got ${shapeToString(attnMask.shape)}`);
  }
  const d = E / h;
  return tidy(() => {
    // [L, N, E] / [N, L, E] / [L, E] -> [N, h, L, d]
    const heads = (x: Tensor, len: number) => unbatched
      ? permute(reshape(x, [len, 1, h, d]), [1, 2, 0, 3])
      : permute(reshape(x, batchFirst ? [N, len, h, d] : [len, N, h, d]), batchFirst ? [0, 2, 1, 3] : [1, 2, 0, 3]);
    const project = (x: Tensor, part: number, len: number) =>
      heads(linear(x, narrow(inProjWeight, 0, part * E, E), inProjBias && narrow(inProjBias, 0, part * E, E)), len);
    const q = project(query, 0, L), k = project(key!, 1, S), v = project(value!, 2, S);

    // One additive mask broadcastable to [N, h, L, S].
    let bias: Tensor | null = attnMask ? additiveMask(op, attnMask, false) : isCausal ? causalMask(L, S) : null;
    if (bias && bias.ndim === 3) bias = reshape(bias, [N, h, L, S]);
    if (keyPaddingMask) {
      const padding = reshape(additiveMask(op, keyPaddingMask, false), [N, 1, 1, S]);
      bias = bias ? add(bias, padding) : padding;
    }
    const [o, weights] = scaledDotProductAttention(q, k, v, { attnMask: bias, dropoutP, generator, needWeights: true });
    // [N, h, L, d] -> the query's layout
    const merged = unbatched
      ? reshape(permute(o, [2, 0, 1, 3]), [L, E])
      : reshape(permute(o, batchFirst ? [0, 2, 1, 3] : [2, 0, 1, 3]), batchFirst ? [N, L, E] : [L, N, E]);
    const out = linear(merged, outProjWeight, outProjBias);
    if (!needWeights) return [out, null];
    const w = averageAttnWeights ? mean(weights, 1) : weights;
    return [out, unbatched ? reshape(w, w.shape.slice(1)) : w];
  });
}

/** The constructor options of MultiheadAttention (torch.nn.MultiheadAttention's keyword arguments). */
export interface MultiheadAttentionOptions {
  /** Dropout on the attention weights in training. Default 0. */
  dropout?: number;
  /** Biases on the input and output projections. Default true. */
  bias?: boolean;
  /** Learned bias_k / bias_v rows: not supported (an error when true). */
  addBiasKV?: boolean;
  /** A zero key/value row: not supported (an error when true). */
  addZeroAttn?: boolean;
  /** Key features; only embedDim is supported. */
  kdim?: number | null;
  /** Value features; only embedDim is supported. */
  vdim?: number | null;
  /** Inputs and output as [N, L, E] instead of [L, N, E]. Default false. */
  batchFirst?: boolean;
  /** The random generator for the initial weights and the dropout masks (the global one by default). */
  generator?: Generator;
}

/**
 * torch.nn.MultiheadAttention. forward(query, key = query, value = key, options) returns
 * [attnOutput, attnWeights or null]. Initialised as PyTorch: xavier-uniform in_proj_weight, zero
 * biases, out_proj.weight as a Linear's.
 */
export class MultiheadAttention extends Module<[Tensor, Tensor | null]> {
  // Field names are PyTorch's state-dict keys.
  /**
   * The stacked query, key and value projections [3·embedDim, embedDim] (PyTorch's `in_proj_weight`),
   * xavier-uniform at init.
   */
  readonly in_proj_weight: Tensor;
  /** The stacked projection biases [3·embedDim], zeros at init; null with `bias: false`. */
  readonly in_proj_bias: Tensor | null;
  /** The output projection embedDim -> embedDim (PyTorch's `out_proj`). */
  readonly out_proj: Linear;
  /** The dropout probability on the attention weights in training. */
  readonly dropout: number;
  /** Whether inputs and outputs are [N, L, E] (true) or [L, N, E] (false, PyTorch's default). */
  readonly batchFirst: boolean;
  private readonly generator?: Generator;

  /**
   * PyTorch's order: (embedDim, numHeads, dropout, bias, addBiasKV, addZeroAttn, kdim, vdim, batchFirst), then options.
   * @param embedDim E, the features of query, key and value (and of the output).
   * @param numHeads The number of heads; E must be a multiple of it.
   */
  constructor(readonly embedDim: number, readonly numHeads: number, ...args: Args<[dropout: number, bias: boolean, addBiasKV: boolean,
    addZeroAttn: boolean, kdim: number | null, vdim: number | null, batchFirst: boolean], MultiheadAttentionOptions>) {
    super();
    const op = "MultiheadAttention";
    const sameAsEmbed = kinds.orNull(kinds.only(embedDim, "the same as embedDim"));
    const { dropout = 0, bias = true, batchFirst = false, generator } = readArgs<MultiheadAttentionOptions>(op, [embedDim, numHeads, ...args], {
      embedDim: kinds.positiveInt, numHeads: kinds.positiveInt, dropout: kinds.probability, bias: kinds.bool,
      addBiasKV: kinds.only(false, "no bias_k/bias_v rows"), addZeroAttn: kinds.only(false, "no zero key/value row"), kdim: sameAsEmbed, vdim: sameAsEmbed,
      batchFirst: kinds.bool,
    }, { generator: kinds.generator }, ["embedDim", "numHeads"]);
    if (embedDim % numHeads !== 0) throw new Error(`${op}: embedDim (${embedDim}) must be a multiple of numHeads (${numHeads})`);
    this.dropout = dropout;
    this.batchFirst = batchFirst;
    this.generator = generator;
    this.in_proj_weight = parameter(xavierUniform_(Tensor.empty([3 * embedDim, embedDim], "float32", `${op} in_proj_weight`), 1, { generator }));
    this.in_proj_bias = bias ? parameter(constant_(Tensor.empty([3 * embedDim], "float32", `${op} in_proj_bias`), 0)) : null;
    this.out_proj = new Linear(embedDim, embedDim, { bias, generator });
    if (this.out_proj.bias) constant_(this.out_proj.bias, 0);
  }

  /**
   * Attends from query [L, N, E] (or [N, L, E] with batchFirst, or unbatched [L, E]) to key and value [S, N,
   * E] (both default to query); returns [attnOutput of query's shape, attnWeights [N, L, S] averaged over
   * heads (or per head), or null with `needWeights: false`].
   */
  forward(query: Tensor, key?: Tensor | null, value?: Tensor | null, options: MultiHeadAttentionCallOptions = {}): [Tensor, Tensor | null] {
    checkOptionNames("MultiheadAttention.forward", options, CALL_OPTIONS);
    return multiHeadAttentionForward(query, key ?? null, value ?? null, {
      inProjWeight: this.in_proj_weight, inProjBias: this.in_proj_bias, outProjWeight: this.out_proj.weight, outProjBias: this.out_proj.bias,
    }, { ...options, numHeads: this.numHeads, batchFirst: this.batchFirst, dropoutP: this.training ? this.dropout : 0, generator: this.generator });
  }
}

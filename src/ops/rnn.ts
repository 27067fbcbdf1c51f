// Recurrent networks with torch.nn.RNN / LSTM / GRU semantics: stacked layers, both directions,
// batch-first layouts, initial states, dropout between layers, variable-length batches (PyTorch's
// packed-sequence semantics), and the single-step cells.
//
// Speed: each layer and direction computes its input projection W_ih x + b_ih for all T steps in
// one GEMM (`linear`, whose backward is three GEMMs); the time loop is one autograd node whose
// every step is one GEMM (W_hh h + b_hh) and one fused cell kernel (assembly/rnn.ts), and whose
// backward is, per step, the fused cell backward and one GEMM, then one GEMM for ∂W_hh over all
// steps.
import { grad, record, needsGrad } from "../autograd.js";
import type { BackwardFn } from "../autograd.js";
import { backend } from "../backend/wasm.js";
import { sumDim } from "../backend/reduce.js";
import { gemm } from "../backend/gemm.js";
import { copyElements, elementAt } from "../backend/memory.js";
import { BiasMode, RnnKind } from "../backend/kernels.js";
import { Tensor, shapeToString, tidy } from "../tensor.js";
import { tracedMany } from "../trace.js";
import { linear } from "./matmul.js";
import { cat, clone, narrow, reshape, squeeze, stack, transpose, unsqueeze } from "./shape.js";
import { add, mul, sub, where } from "./binary.js";
import { relu, sigmoid, tanh } from "./elementwise.js";
import { zeros } from "./creation.js";
import { dropout } from "./dropout.js";
import { checkArgs, checkFloat, checkOptionNames } from "./checks.js";
import type { Generator } from "../random.js";

/** The parameters of one layer and direction: weightIh [G·H, I], weightHh [G·H, H], biases [G·H] (G gates). */
export interface RnnWeights {
  /** W_ih [G·H, I]: the input-to-gates weights (G = 1 for RNN, 4 for LSTM, 3 for GRU). */
  weightIh: Tensor;
  /** W_hh [G·H, H]: the hidden-to-gates weights. */
  weightHh: Tensor;
  /** b_ih [G·H], or null/absent for none. */
  biasIh?: Tensor | null;
  /** b_hh [G·H], or null/absent for none. */
  biasHh?: Tensor | null;
}

/** The Elman RNN's activation: "tanh" or "relu". */
export type RnnNonlinearity = "tanh" | "relu";

/** Per-sequence lengths of a padded batch: numbers, or a 1-D int32 tensor. */
export type SequenceLengths = readonly number[] | Int32Array | Tensor;

/** The options of the functional rnn, lstm and gru (torch's RNN arguments, camelCased). */
export interface RnnStackOptions {
  /** Stacked layers (default 1); `weights` lists numLayers·D entries, layer-major, forward before reverse. */
  numLayers?: number;
  /** Run a second, reversed direction per layer; outputs concatenate [forward, reverse] features. */
  bidirectional?: boolean;
  /** x and output are [N, T, features] (the states stay [D·numLayers, N, H], as in PyTorch). */
  batchFirst?: boolean;
  /** Dropout probability on every layer's output except the last's, applied only when training. */
  dropout?: number;
  /** Default true, as in torch.nn.functional.dropout. */
  training?: boolean;
  /** The random generator for the dropout masks (the global one by default). */
  generator?: Generator;
  /**
   * Valid steps per sequence (each in [1, T]): steps t ≥ lengths[n] change neither the outputs at
   * valid steps nor the final states (which are taken at each sequence's last valid step, and
   * after step 0 for the reverse direction), and their outputs are zero, as with
   * pack_padded_sequence / pad_packed_sequence (the output keeps all T steps).
   */
  lengths?: SequenceLengths | null;
}

/** The options of the functional rnn (RnnStackOptions plus the activation). */
export interface RnnOptions extends RnnStackOptions {
  /** The activation: "tanh" (default) or "relu". */
  nonlinearity?: RnnNonlinearity;
}

type Kind = "rnn" | "lstm" | "gru";
const GATES: Record<Kind, number> = { rnn: 1, lstm: 4, gru: 3 };
const STACK_OPTIONS = ["numLayers", "bidirectional", "batchFirst", "dropout", "training", "generator", "lengths"];


/** Checks one layer's weights against its input size and returns the hidden size H. */
function hiddenSize(op: string, kind: Kind, w: RnnWeights, inputSize: number, where = ""): number {
  const G = GATES[kind];
  checkArgs(op, { weightIh: w.weightIh, weightHh: w.weightHh, ...(w.biasIh ? { biasIh: w.biasIh } : {}), ...(w.biasHh ? { biasHh: w.biasHh } : {}) }, "float32");
  const [rows, H] = w.weightHh.shape;
  const ok =
    w.weightHh.ndim === 2 && rows === G * H && H > 0 &&
    w.weightIh.ndim === 2 && w.weightIh.shape[0] === G * H && w.weightIh.shape[1] === inputSize &&
    [w.biasIh, w.biasHh].every((b) => !b || (b.ndim === 1 && b.shape[0] === G * H));
  if (!ok) {
    const bias = (b?: Tensor | null) => (b ? shapeToString(b.shape) : "none");
    throw new Error(
      `${op}: weights${where} do not fit input size ${inputSize} (expected weightIh [${G}·H, ${inputSize}], weightHh [${G}·H, H], biases [${G}·H]); ` +
        `got weightIh ${shapeToString(w.weightIh.shape)}, weightHh ${shapeToString(w.weightHh.shape)}, biasIh ${bias(w.biasIh)}, biasHh ${bias(w.biasHh)}`,
    );
  }
  return H;
}

function checkState(op: string, name: string, s: Tensor, shape: number[]): void {
  checkArgs(op, { [name]: s }, "float32");
  if (s.ndim !== shape.length || s.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${op}: ${name} must be ${shapeToString(shape)}, got ${shapeToString(s.shape)}`);
  }
}

interface Direction {
  kind: Kind;
  code: number; // RnnKind
  reverse: boolean;
  /** int32 [N], or null when every sequence has all T steps */
  lengths: Tensor | null;
}

/**
 * One layer and direction over gi = W_ih x + b_ih [T, N, G·H] from h0 (c0) [N, H]: returns the
 * outputs y [T, N, H] and the final states [N, H]. States live in one buffer hs [T + 1, N, H] in
 * time order: step t reads slot t and writes slot t + 1 (the reverse direction reads t + 1 and
 * writes t), so the states entering steps 0 … T−1 are one contiguous block for the ∂W_hh GEMM.
 */
function recurrence(d: Direction, gi: Tensor, h0: Tensor, c0: Tensor | null, weightHh: Tensor, biasHh: Tensor | null): { y: Tensor<"float32">; hN: Tensor<"float32">; cN: Tensor<"float32"> | null } {
  const [T, N, GH] = gi.shape;
  const H = weightHh.shape[1];
  const k = backend().kernels;
  const lstm = d.kind === "lstm", gru = d.kind === "gru";
  const slot = N * H, giStep = N * GH, savedStep = N * 4 * H; // elements per step
  const inSlot = (t: number) => (d.reverse ? t + 1 : t);
  const outSlot = (t: number) => (d.reverse ? t : t + 1);
  const first = d.reverse ? T : 0, last = d.reverse ? 0 : T;
  const lengths = d.lengths ? d.lengths.ptr : 0;

  const hs = Tensor.empty([T + 1, N, H], "float32", `${d.kind} states`);
  const cs = lstm ? Tensor.empty([T + 1, N, H], "float32", "lstm cell states") : null;
  const saved = lstm || gru ? Tensor.empty([T, N, 4 * H], "float32", `${d.kind} gates`) : null;
  const y = Tensor.empty([T, N, H], "float32", d.kind);
  const gh = Tensor.empty([N, GH], "float32", `${d.kind} hidden projection`);
  const at = (t: Tensor, index: number) => elementAt(t.ptr, index);
  copyElements(at(hs, first * slot), h0.ptr, slot);
  if (cs) copyElements(at(cs, first * slot), c0!.ptr, slot);
  for (let s = 0; s < T; s++) {
    const t = d.reverse ? T - 1 - s : s;
    const hPrev = at(hs, inSlot(t) * slot);
    gemm(false, true, N, GH, H, 1, hPrev, H, weightHh.ptr, H, 0, gh.ptr, GH, biasHh ? biasHh.ptr : 0, biasHh ? BiasMode.perColumn : BiasMode.none);
    k.rnn_cell_f32(d.code, at(gi, t * giStep), gh.ptr, hPrev, cs ? at(cs, inSlot(t) * slot) : 0, at(hs, outSlot(t) * slot),
      cs ? at(cs, outSlot(t) * slot) : 0, at(y, t * slot), saved ? at(saved, t * savedStep) : 0, N, H, lengths, t);
  }
  gh.dispose();
  const hN = Tensor.empty([N, H], "float32", `${d.kind} final state`);
  copyElements(hN.ptr, at(hs, last * slot), slot);
  const cN = cs ? Tensor.empty([N, H], "float32", "lstm final cell state") : null;
  if (cN) copyElements(cN.ptr, at(cs!, last * slot), slot);

  const inputs = [gi, h0, ...(c0 ? [c0] : []), weightHh, ...(biasHh ? [biasHh] : [])];
  if (needsGrad(...inputs)) {
    // The fused backward reads the states and gates; the graph backward (createGraph) recomputes
    // the steps from the inputs. Saving them costs no copy (saved tensors are aliases).
    const keep = [gi, h0, c0, weightHh, biasHh, hs, cs, saved, d.lengths];
    const unpack = (stored: Tensor[]) => {
      let i = 0;
      const [gi, h0, c0, w, b, hs, cs, gates, lengths] = keep.map((t) => (t ? stored[i++] : null));
      return { inputs: [gi, h0, c0, w, b], w: w!, hs: hs!, cs, gates, lengths };
    };
    const fusedBackward: BackwardFn = ([gy, ghN, gcN], stored) => {
      const { w: wS, hs: hsS, cs: csS, gates: savedS, lengths: lengthsT } = unpack(stored);
      const lengthsS = lengthsT ? lengthsT.ptr : 0;
      const state = (g: Tensor | null | undefined, what: string) => {
        const s = Tensor.empty([N, H], "float32", `${d.kind} backward ${what}`);
        if (g) copyElements(s.ptr, g.ptr, slot);
        else s.zero_();
        return s;
      };
      const dh = state(ghN, "dh"), dc = lstm ? state(gcN, "dc") : null;
      const dgi = Tensor.empty([T, N, GH], "float32", `${d.kind} backward`);
      const dgh = gru ? Tensor.empty([T, N, GH], "float32", "gru backward") : dgi;
      // Steps in the opposite order of the forward: dh carries ∂/∂h from step to step.
      for (let s = T - 1; s >= 0; s--) {
        const t = d.reverse ? T - 1 - s : s;
        const ci = csS ? at(csS, inSlot(t) * slot) : 0, co = csS ? at(csS, outSlot(t) * slot) : 0;
        k.rnn_cell_backward_f32(d.code, savedS ? at(savedS, t * savedStep) : 0, at(hsS, inSlot(t) * slot), ci,
          at(hsS, outSlot(t) * slot), co, gy ? at(gy, t * slot) : 0, dh.ptr, dc ? dc.ptr : 0,
          at(dgi, t * giStep), at(dgh, t * giStep), N, H, lengthsS, t);
        gemm(false, false, N, H, GH, 1, at(dgh, t * giStep), GH, wS.ptr, H, 1, dh.ptr, H); // dh += dgh·W_hh
      }
      let dw: Tensor | null = null, db: Tensor | null = null;
      if (weightHh.requiresGrad) {
        // ∂W_hh = Σ_t dgh_tᵀ·h_(state entering t): one GEMM over all T·N rows.
        dw = Tensor.empty([GH, H], "float32", `${d.kind} backward`);
        gemm(true, false, GH, H, T * N, 1, dgh.ptr, GH, at(hsS, d.reverse ? slot : 0), H, 0, dw.ptr, H);
      }
      if (biasHh?.requiresGrad) {
        db = Tensor.empty([GH], "float32", `${d.kind} backward`);
        sumDim(dgh.ptr, db.ptr, 1, T * N, GH);
      }
      if (dgh !== dgi) dgh.dispose();
      return [dgi, dh, ...(c0 ? [dc] : []), dw, ...(biasHh ? [db] : [])];
    };
    // The vector–Jacobian product of the step equations in public ops, itself a graph. The
    // recomputation starts from fresh copies of the inputs so that the inner grad counts only the
    // paths through this node (an input may depend on another one, as in rnnCell(h, h, w)).
    const graphBackward: BackwardFn = (grads, stored) => {
      const { inputs: connected, lengths: lengthsS } = unpack(stored);
      const standIns = connected.map((t) => (t?.requiresGrad ? clone(t) : t));
      const [giS, h0S, c0S, wS, bS] = standIns;
      const outs = recurrenceInOps({ ...d, lengths: lengthsS }, giS!, h0S!, c0S, wS!, bS);
      const seeded = outs.flatMap((o, k) => (grads[k] && o.requiresGrad ? [[o, grads[k]!] as const] : []));
      const wrt = standIns.filter((t): t is Tensor => !!t?.requiresGrad);
      const gs = seeded.length && wrt.length
        ? grad(seeded.map(([o]) => o), wrt, { gradOutputs: seeded.map(([, g]) => g), createGraph: true, allowUnused: true })
        : [];
      const byInput = standIns.map((t) => (t?.requiresGrad ? gs[wrt.indexOf(t)] ?? null : null));
      return byInput.filter((_, j) => connected[j] !== null);
    };
    record(d.kind, inputs, cN ? [y, hN, cN] : [y, hN], keep.filter((t): t is Tensor => t !== null), fusedBackward, graphBackward);
  }
  for (const t of [hs, cs, saved]) t?.dispose();
  return { y, hN, cN };
}

/**
 * The same time loop as `recurrence`, step by step in public differentiable ops (the equations of
 * assembly/rnn.ts's cell kernels): the graph backward differentiates it, so that the gradient can
 * be differentiated again. Returns [y, hN] or [y, hN, cN] like the fused node.
 */
function recurrenceInOps(d: Direction, gi: Tensor, h0: Tensor, c0: Tensor | null, weightHh: Tensor, biasHh: Tensor | null): Tensor[] {
  const [T, N, GH] = gi.shape;
  const H = weightHh.shape[1];
  const lengths = d.lengths ? d.lengths.liveData() : null;
  const gate = (z: Tensor, k: number) => narrow(z, 1, k * H, H);
  let h = h0, c = c0;
  const ys: Tensor[] = new Array(T);
  for (let s = 0; s < T; s++) {
    const t = d.reverse ? T - 1 - s : s;
    const x = reshape(narrow(gi, 0, t, 1), [N, GH]);
    const gh = linear(h, weightHh, biasHh);
    let hNew: Tensor, cNew: Tensor | null = null;
    if (d.kind === "lstm") {
      const z = add(x, gh);
      cNew = add(mul(sigmoid(gate(z, 1)), c!), mul(sigmoid(gate(z, 0)), tanh(gate(z, 2))));
      hNew = mul(sigmoid(gate(z, 3)), tanh(cNew));
    } else if (d.kind === "gru") {
      const r = sigmoid(add(gate(x, 0), gate(gh, 0)));
      const u = sigmoid(add(gate(x, 1), gate(gh, 1)));
      const n = tanh(add(gate(x, 2), mul(r, gate(gh, 2))));
      hNew = add(n, mul(u, sub(h, n))); // (1 − u)·n + u·h
    } else {
      hNew = d.code === RnnKind.relu ? relu(add(x, gh)) : tanh(add(x, gh));
    }
    if (lengths && Array.prototype.some.call(lengths, (L: number) => t >= L)) {
      // Padded steps: the state passes through unchanged and the output is zero.
      const valid = Tensor.empty([N, 1], "float32", `${d.kind} valid steps`);
      valid.liveData().set(Array.from(lengths, (L) => (t < L ? 1 : 0)));
      ys[t] = where(valid, hNew, 0);
      h = where(valid, hNew, h);
      if (cNew) c = where(valid, cNew, c!);
    } else {
      ys[t] = hNew;
      h = hNew;
      c = cNew;
    }
  }
  return c ? [stack(ys, 0), h, c] : [stack(ys, 0), h];
}

function cellCode(kind: Kind, nonlinearity: RnnNonlinearity): number {
  if (kind === "lstm") return RnnKind.lstm;
  if (kind === "gru") return RnnKind.gru;
  if (nonlinearity !== "tanh" && nonlinearity !== "relu") throw new Error(`rnn: unknown nonlinearity "${nonlinearity}" (expected "tanh" or "relu")`);
  return RnnKind[nonlinearity];
}

/** lengths as an int32 [N] tensor after checking them, or null when every sequence is full. */
function lengthsTensor(op: string, lengths: SequenceLengths, N: number, T: number): Tensor | null {
  let values: ArrayLike<number>;
  if (lengths instanceof Tensor) {
    if (lengths.isDisposed) throw new Error(`${op}: lengths was disposed and can no longer be used`);
    if (lengths.dtype !== "int32" || lengths.ndim !== 1) throw new Error(`${op}: lengths must be a 1-D int32 tensor, got ${lengths.dtype} ${shapeToString(lengths.shape)}`);
    values = lengths.liveData();
  } else {
    values = lengths;
  }
  if (values.length !== N) throw new Error(`${op}: lengths has ${values.length} entries for a batch of ${N} sequences`);
  for (let n = 0; n < N; n++) {
    const v = values[n];
    if (!Number.isInteger(v) || v < 1 || v > T) {
      throw new Error(`${op}: lengths[${n}] = ${v} must be an integer in [1, ${T}] (the padded sequence has ${T} steps)`);
    }
  }
  if (Array.prototype.every.call(values, (v: number) => v === T)) return null;
  const t = Tensor.empty([N], "int32", `${op} lengths`);
  (t.liveData() as Int32Array).set(Array.from(values));
  return t;
}

/**
 * The stacked, possibly bidirectional network over x ([T, N, I], [N, T, I] batch-first, or an
 * unbatched [T, I]) from the initial states [D·L, N, H] (entry l·D + d: layer l, direction d).
 */
function runStack(op: string, kind: Kind, x: Tensor, initial: (Tensor | null | undefined)[], weights: RnnWeights | readonly RnnWeights[],
  options: RnnOptions, known: readonly string[]): { output: Tensor; finals: Tensor[] } {
  checkOptionNames(op, options, known);
  const { numLayers = 1, bidirectional = false, batchFirst = false, dropout: p = 0, training = true, generator, lengths = null } = options;
  const code = cellCode(kind, options.nonlinearity ?? "tanh");
  if (!Number.isInteger(numLayers) || numLayers < 1) throw new Error(`${op}: numLayers must be a positive integer, got ${numLayers}`);
  if (!(p >= 0 && p <= 1)) throw new Error(`${op}: dropout must be a probability in [0, 1], got ${p}`);
  checkFloat(op, x);
  const batched = x.ndim === 3;
  if (!batched && x.ndim !== 2) {
    throw new Error(`${op}: input must be [T, N, input_size]${batchFirst ? " ([N, T, input_size] with batchFirst)" : ""} or unbatched [T, input_size], got ${shapeToString(x.shape)}`);
  }
  const list = Array.isArray(weights) ? (weights as readonly RnnWeights[]) : [weights as RnnWeights];
  const D = bidirectional ? 2 : 1;
  if (list.length !== numLayers * D) {
    throw new Error(`${op}: expected ${numLayers * D} sets of weights (numLayers ${numLayers} × ${D} direction${D > 1 ? "s" : ""}), got ${list.length}`);
  }
  const T = batched && batchFirst ? x.shape[1] : x.shape[0];
  const N = batched ? (batchFirst ? x.shape[0] : x.shape[1]) : 1;
  if (T === 0) throw new Error(`${op}: the input sequence ${shapeToString(x.shape)} is empty`);
  const H = hiddenSize(op, kind, list[0], x.shape[x.ndim - 1], list.length > 1 ? " of layer 0" : "");
  list.forEach((w, i) => {
    const l = Math.floor(i / D);
    const where = list.length > 1 ? ` of layer ${l}${i % D ? " (reverse)" : ""}` : "";
    if (hiddenSize(op, kind, w, l === 0 ? x.shape[x.ndim - 1] : D * H, where) !== H) {
      throw new Error(`${op}: weights${where} have hidden size ${w.weightHh.shape[1]}, layer 0 has ${H}`);
    }
  });
  const stateShape = batched ? [numLayers * D, N, H] : [numLayers * D, H];
  const names = ["h0", "c0"];
  initial.forEach((s, i) => s && checkState(op, names[i], s, stateShape));
  if (lengths !== null && !batched) throw new Error(`${op}: lengths needs a batched input, got unbatched ${shapeToString(x.shape)}`);

  return tidy(() => {
    const lengthsT = lengths === null ? null : lengthsTensor(op, lengths, N, T);
    // Work sequence-first with a batch dim; states as [D·L, N, H].
    let input: Tensor = !batched ? unsqueeze(x, 1) : batchFirst ? transpose(x, 0, 1) : x;
    const states = initial.map((s) => (s ? (batched ? s : unsqueeze(s, 1)) : null));
    const finals: Tensor[][] = initial.map(() => []);
    for (let l = 0; l < numLayers; l++) {
      if (l > 0) input = dropout(input, p, training, { generator });
      const outs: Tensor[] = [];
      for (let dir = 0; dir < D; dir++) {
        const w = list[l * D + dir], e = l * D + dir;
        const s0 = states.map((s) => (s ? reshape(narrow(s, 0, e, 1), [N, H]) : zeros([N, H])));
        const gi = linear(input, w.weightIh, w.biasIh);
        const { y, hN, cN } = recurrence({ kind, code, reverse: dir === 1, lengths: lengthsT }, gi, s0[0], s0[1] ?? null, w.weightHh, w.biasHh ?? null);
        tracedMany("rnnLayer", [input, w.weightIh, w.weightHh, w.biasIh ?? null, w.biasHh ?? null, states[0] && s0[0], states[1] ? s0[1] : null, lengthsT],
          cN ? [y, hN, cN] : [y, hN], { kind, nonlinearity: options.nonlinearity ?? "tanh", reverse: dir === 1 });
        outs.push(y);
        finals[0].push(hN);
        if (cN) finals[1].push(cN);
      }
      input = D === 1 ? outs[0] : cat(outs, 2);
    }
    const output = !batched ? squeeze(input, 1) : batchFirst ? transpose(input, 0, 1) : input;
    return { output, finals: finals.map((f) => (batched ? stack(f, 0) : reshape(stack(f, 0), stateShape))) };
  });
}

/**
 * Elman RNN (torch.nn.RNN): h_t = act(W_ih x_t + b_ih + W_hh h_(t−1) + b_hh). `weights` is one
 * layer's, or numLayers·D of them (layer-major, forward before reverse). Returns the last layer's
 * outputs [T, N, D·H] and the final states hN [D·L, N, H].
 */
export function rnn(x: Tensor, h0: Tensor | null, weights: RnnWeights | readonly RnnWeights[], options: RnnOptions = {}): {
  /** The last layer's hidden state at every step, [T, N, D·H] (batch first with batchFirst). */ output: Tensor;
  /** Every layer's final hidden state, [D·numLayers, N, H]. */ hN: Tensor;
} {
  const { output, finals } = runStack("rnn", "rnn", x, [h0], weights, options, [...STACK_OPTIONS, "nonlinearity"]);
  return { output, hN: finals[0] };
}

/** LSTM (torch.nn.LSTM; gates i, f, g, o) from h0, c0 [D·L, N, H] (zeros if null). */
export function lstm(x: Tensor, h0: Tensor | null, c0: Tensor | null, weights: RnnWeights | readonly RnnWeights[], options: RnnStackOptions = {}): {
  /** The last layer's hidden state at every step, [T, N, D·H] (batch first with batchFirst). */ output: Tensor;
  /** Every layer's final hidden state, [D·numLayers, N, H]. */ hN: Tensor;
  /** Every layer's final cell state, [D·numLayers, N, H]. */ cN: Tensor;
} {
  if (!h0 !== !c0) throw new Error(`lstm: give both h0 and c0 or neither (got only ${h0 ? "h0" : "c0"})`);
  const { output, finals } = runStack("lstm", "lstm", x, [h0, c0], weights, options, STACK_OPTIONS);
  return { output, hN: finals[0], cN: finals[1] };
}

/** GRU (torch.nn.GRU; gates r, z, n) from h0 [D·L, N, H] (zeros if null). */
export function gru(x: Tensor, h0: Tensor | null, weights: RnnWeights | readonly RnnWeights[], options: RnnStackOptions = {}): {
  /** The last layer's hidden state at every step, [T, N, D·H] (batch first with batchFirst). */ output: Tensor;
  /** Every layer's final hidden state, [D·numLayers, N, H]. */ hN: Tensor;
} {
  const { output, finals } = runStack("gru", "gru", x, [h0], weights, options, STACK_OPTIONS);
  return { output, hN: finals[0] };
}

/** One step for x [N, I] (or unbatched [I]) from states [N, H] ([H]); returns the new states. */
function cellStep(op: string, kind: Kind, x: Tensor, states: (Tensor | null)[], w: RnnWeights, nonlinearity: RnnNonlinearity): Tensor<"float32">[] {
  checkFloat(op, x);
  if (x.ndim !== 1 && x.ndim !== 2) throw new Error(`${op}: input must be [N, input_size] or unbatched [input_size], got ${shapeToString(x.shape)}`);
  const code = cellCode(kind, nonlinearity);
  const H = hiddenSize(op, kind, w, x.shape[x.ndim - 1]);
  const batched = x.ndim === 2, N = batched ? x.shape[0] : 1;
  const names = ["h", "c"];
  states.forEach((s, i) => s && checkState(op, names[i], s, batched ? [N, H] : [H]));
  return tidy(() => {
    const s0 = states.map((s) => (s ? reshape(s, [N, H]) : zeros([N, H])));
    const gi = reshape(linear(x, w.weightIh, w.biasIh), [1, N, GATES[kind] * H]);
    const { hN, cN } = recurrence({ kind, code, reverse: false, lengths: null }, gi, s0[0], s0[1] ?? null, w.weightHh, w.biasHh ?? null);
    return (cN ? [hN, cN] : [hN]).map((s) => (batched ? s : reshape(s, [H])));
  });
}

/** One step of an Elman RNN (torch.nn.RNNCell): h' = act(W_ih x + b_ih + W_hh h + b_hh). */
export function rnnCell(x: Tensor, h: Tensor | null, w: RnnWeights, nonlinearity: RnnNonlinearity = "tanh"): Tensor<"float32"> {
  return cellStep("rnnCell", "rnn", x, [h], w, nonlinearity)[0];
}

/** One LSTM step (torch.nn.LSTMCell); returns [h', c']. */
export function lstmCell(x: Tensor, h: Tensor | null, c: Tensor | null, w: RnnWeights): [Tensor, Tensor] {
  if (!h !== !c) throw new Error(`lstmCell: give both h and c or neither (got only ${h ? "h" : "c"})`);
  const [h2, c2] = cellStep("lstmCell", "lstm", x, [h, c], w, "tanh");
  return [h2, c2];
}

/** One GRU step (torch.nn.GRUCell). */
export function gruCell(x: Tensor, h: Tensor | null, w: RnnWeights): Tensor<"float32"> {
  return cellStep("gruCell", "gru", x, [h], w, "tanh")[0];
}

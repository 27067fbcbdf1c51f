// Recurrent cells and single-layer sequence RNNs with torch.nn.RNN / LSTM / GRU semantics
// (sequence-first [T, N, I] input, PyTorch's gate order in the stacked weights). Everything is
// composed from linear, sigmoid, tanh, mul, add and narrow, so autograd comes for free.
import { Tensor, shapeToString, tidy } from "../tensor.js";
import { linear } from "./matmul.js";
import { add, mul, sub } from "./binary.js";
import { relu, sigmoid, tanh } from "./elementwise.js";
import { narrow, reshape, stack, unsqueeze } from "./shape.js";
import { zeros } from "./creation.js";

/** The parameters of one layer: weightIh [G·H, I], weightHh [G·H, H], biases [G·H] (G gates). */
export interface RnnWeights {
  weightIh: Tensor;
  weightHh: Tensor;
  biasIh?: Tensor | null;
  biasHh?: Tensor | null;
}

export type RnnNonlinearity = "tanh" | "relu";

type Kind = "rnn" | "lstm" | "gru";
const GATES: Record<Kind, number> = { rnn: 1, lstm: 4, gru: 3 };

/** Checks the weights against the input size and returns the hidden size H. */
function hiddenSize(op: string, kind: Kind, w: RnnWeights, inputSize: number): number {
  const G = GATES[kind];
  const [rows, H] = w.weightHh.shape;
  const ok =
    w.weightHh.ndim === 2 && rows === G * H &&
    w.weightIh.ndim === 2 && w.weightIh.shape[0] === G * H && w.weightIh.shape[1] === inputSize &&
    [w.biasIh, w.biasHh].every((b) => !b || (b.ndim === 1 && b.shape[0] === G * H));
  if (!ok) {
    const bias = (b?: Tensor | null) => (b ? shapeToString(b.shape) : "none");
    throw new Error(
      `${op}: weights do not fit input size ${inputSize} (expected weightIh [${G}·H, ${inputSize}], weightHh [${G}·H, H], biases [${G}·H]); ` +
        `got weightIh ${shapeToString(w.weightIh.shape)}, weightHh ${shapeToString(w.weightHh.shape)}, biasIh ${bias(w.biasIh)}, biasHh ${bias(w.biasHh)}`,
    );
  }
  return H;
}

/** An initial state of the given shape (zeros when not given). */
function state(op: string, name: string, s: Tensor | null | undefined, shape: number[]): Tensor {
  if (!s) return zeros(shape);
  if (s.ndim !== shape.length || s.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${op}: ${name} must be ${shapeToString(shape)}, got ${shapeToString(s.shape)}`);
  }
  return s;
}

// Gate k of a stacked pre-activation [N, G·H].
const gate = (t: Tensor, k: number, H: number) => narrow(t, 1, k * H, H);

// Each step takes gi = W_ih x + b_ih (for a sequence, computed for all steps in one GEMM).

function rnnStep(gi: Tensor, h: Tensor, w: RnnWeights, nonlinearity: RnnNonlinearity): Tensor {
  const pre = add(gi, linear(h, w.weightHh, w.biasHh));
  return nonlinearity === "relu" ? relu(pre) : tanh(pre);
}

function lstmStep(gi: Tensor, h: Tensor, c: Tensor, w: RnnWeights): [Tensor, Tensor] {
  const H = h.shape[1];
  const gates = add(gi, linear(h, w.weightHh, w.biasHh));
  const i = sigmoid(gate(gates, 0, H)), f = sigmoid(gate(gates, 1, H));
  const g = tanh(gate(gates, 2, H)), o = sigmoid(gate(gates, 3, H));
  const cNext = add(mul(f, c), mul(i, g));
  return [mul(o, tanh(cNext)), cNext];
}

function gruStep(gi: Tensor, h: Tensor, w: RnnWeights): Tensor {
  const H = h.shape[1];
  const gh = linear(h, w.weightHh, w.biasHh);
  const r = sigmoid(add(gate(gi, 0, H), gate(gh, 0, H)));
  const z = sigmoid(add(gate(gi, 1, H), gate(gh, 1, H)));
  // The reset gate scales W_hn h + b_hn only, as in PyTorch (not h before the product).
  const n = tanh(add(gate(gi, 2, H), mul(r, gate(gh, 2, H))));
  return add(n, mul(z, sub(h, n))); // (1 − z)·n + z·h
}

function checkInput(op: string, x: Tensor, rank: number): void {
  if (x.ndim !== rank) {
    throw new Error(`${op}: input must be ${rank === 2 ? "[N, input_size]" : "[T, N, input_size]"}, got ${shapeToString(x.shape)}`);
  }
}

/** One step of an Elman RNN: h' = act(W_ih x + b_ih + W_hh h + b_hh); x [N, I], h [N, H]. */
export function rnnCell(x: Tensor, h: Tensor | null, w: RnnWeights, nonlinearity: RnnNonlinearity = "tanh"): Tensor {
  checkInput("rnnCell", x, 2);
  const H = hiddenSize("rnnCell", "rnn", w, x.shape[1]);
  return tidy(() => rnnStep(linear(x, w.weightIh, w.biasIh), state("rnnCell", "h", h, [x.shape[0], H]), w, nonlinearity));
}

/** One LSTM step; returns [h', c']. */
export function lstmCell(x: Tensor, h: Tensor | null, c: Tensor | null, w: RnnWeights): [Tensor, Tensor] {
  checkInput("lstmCell", x, 2);
  const H = hiddenSize("lstmCell", "lstm", w, x.shape[1]);
  const N = x.shape[0];
  return tidy(() => lstmStep(linear(x, w.weightIh, w.biasIh), state("lstmCell", "h", h, [N, H]), state("lstmCell", "c", c, [N, H]), w));
}

/** One GRU step. */
export function gruCell(x: Tensor, h: Tensor | null, w: RnnWeights): Tensor {
  checkInput("gruCell", x, 2);
  const H = hiddenSize("gruCell", "gru", w, x.shape[1]);
  return tidy(() => gruStep(linear(x, w.weightIh, w.biasIh), state("gruCell", "h", h, [x.shape[0], H]), w));
}

/** Runs `step` over the T steps of x [T, N, I]; states go in and out as [1, N, H] like PyTorch's. */
function runSequence(op: string, kind: Kind, x: Tensor, initial: (Tensor | null | undefined)[], w: RnnWeights,
  step: (gi: Tensor, states: Tensor[]) => Tensor[]): { output: Tensor; finals: Tensor[] } {
  checkInput(op, x, 3);
  const [T, N, I] = x.shape;
  if (T === 0) throw new Error(`${op}: the input sequence ${shapeToString(x.shape)} is empty`);
  const H = hiddenSize(op, kind, w, I);
  const names = ["h0", "c0"];
  return tidy(() => {
    let states = initial.map((s, k) => reshape(state(op, names[k], s, [1, N, H]), [N, H]));
    const gi = linear(x, w.weightIh, w.biasIh); // [T, N, G·H]: every step's input projection in one GEMM
    const hs: Tensor[] = [];
    for (let t = 0; t < T; t++) {
      states = tidy(() => step(reshape(narrow(gi, 0, t, 1), [N, gi.shape[2]]), states));
      hs.push(states[0]);
    }
    return { output: stack(hs, 0), finals: states.map((s) => unsqueeze(s, 0)) };
  });
}

/** Single-layer Elman RNN over x [T, N, I] from h0 [1, N, H] (zeros if null). */
export function rnn(x: Tensor, h0: Tensor | null, w: RnnWeights, options: { nonlinearity?: RnnNonlinearity } = {}): { output: Tensor; hN: Tensor } {
  const nonlinearity = options.nonlinearity ?? "tanh";
  const { output, finals } = runSequence("rnn", "rnn", x, [h0], w, (gi, [h]) => [rnnStep(gi, h, w, nonlinearity)]);
  return { output, hN: finals[0] };
}

/** Single-layer LSTM over x [T, N, I] from h0, c0 [1, N, H] (zeros if null). */
export function lstm(x: Tensor, h0: Tensor | null, c0: Tensor | null, w: RnnWeights): { output: Tensor; hN: Tensor; cN: Tensor } {
  const { output, finals } = runSequence("lstm", "lstm", x, [h0, c0], w, (gi, [h, c]) => lstmStep(gi, h, c, w));
  return { output, hN: finals[0], cN: finals[1] };
}

/** Single-layer GRU over x [T, N, I] from h0 [1, N, H] (zeros if null). */
export function gru(x: Tensor, h0: Tensor | null, w: RnnWeights): { output: Tensor; hN: Tensor } {
  const { output, finals } = runSequence("gru", "gru", x, [h0], w, (gi, [h]) => [gruStep(gi, h, w)]);
  return { output, hN: finals[0] };
}

// importOnnx: an ONNX graph as a trainable Module. Its float initializers become parameters named
// as in the file (BatchNormalization's running statistics become buffers), and forward runs the
// nodes in simdgrad's differentiable ops, so the model trains with simdgrad's optimizers and
// exports again. Shape arithmetic (Shape, Gather on shapes, Concat of dims...) runs on plain
// integer arrays in JS, as a runtime would fold it. An op or attribute without a simdgrad
// equivalent is an error naming the node, raised when the model is imported.
import { Tensor, shapeToString } from "../tensor.js";
import { Module, buffer, parameter } from "../nn/module.js";
import { tensor, full } from "../ops/creation.js";
import { add, sub, mul, div, pow, maximum, minimum, eq, ne, gt, lt, ge, le, where } from "../ops/binary.js";
import { relu, leakyRelu, elu, gelu, sigmoid, tanh, softplus, hardswish, mish, exp, log, sqrt, abs, neg, sin, cos, sign, reciprocal, clamp } from "../ops/elementwise.js";
import { sum, softmax, logSoftmax, max as maxOp } from "../ops/reduce.js";
import { reshape, permute, slice, cat, pad, flip, split, toDType } from "../ops/shape.js";
import { expand } from "../ops/broadcast.js";
import { matmul, linear } from "../ops/matmul.js";
import { conv1d, conv2d, convTranspose2d } from "../ops/conv.js";
import { maxPool2d, avgPool2d, adaptiveAvgPool2d } from "../ops/pool.js";
import { batchNorm, layerNorm, groupNorm } from "../ops/norm.js";
import { indexSelect } from "../ops/indexing.js";
import { dropout } from "../ops/dropout.js";
import { lstm, gru, rnn, type RnnWeights } from "../ops/rnn.js";
import { AttrType, DataType, decodeModel, type AttributeProto, type GraphProto, type NodeProto, type TensorProto } from "./proto.js";

/** An integer array known in JS: shapes, axes, and what a graph computes from them. */
class Ints {
  constructor(readonly data: number[], readonly dims: number[]) {}
  get size(): number {
    return this.data.length;
  }
}

type Value = Tensor | Ints;

const INT_TYPES = new Set<number>([DataType.INT64, DataType.INT32, DataType.INT8, DataType.UINT8, DataType.BOOL]);
const prod = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** Broadcast shape of two shapes (NumPy rules), or an error naming the node. */
function broadcast(where: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const x = a[a.length - n + i] ?? 1, y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`${where}: shapes [${a.join(", ")}] and [${b.join(", ")}] do not broadcast`);
    return x === 1 ? y : x;
  });
}

/** Elementwise op on two integer arrays with broadcasting. */
function intsBinary(where: string, a: Ints, b: Ints, f: (x: number, y: number) => number): Ints {
  const dims = broadcast(where, a.dims, b.dims);
  const at = (v: Ints, i: number) => {
    // index into v broadcast to dims
    let off = 0, stride = 1, rest = i;
    const shift = dims.length - v.dims.length;
    const coords = dims.map(() => 0);
    for (let d = dims.length - 1; d >= 0; d--) {
      coords[d] = rest % dims[d];
      rest = Math.floor(rest / dims[d]);
    }
    for (let d = v.dims.length - 1; d >= 0; d--) {
      off += (v.dims[d] === 1 ? 0 : coords[d + shift]) * stride;
      stride *= v.dims[d];
    }
    return v.data[off];
  };
  return new Ints(Array.from({ length: prod(dims) }, (_, i) => f(at(a, i), at(b, i))), dims);
}

/** One node while it runs: its inputs, attributes (each read at most once; the rest are errors), and context. */
class NodeRun {
  private readonly attrs: Map<string, AttributeProto>;
  constructor(readonly node: NodeProto, private readonly values: (Value | null)[], readonly module: OnnxModule) {
    this.attrs = new Map(node.attributes.map((a) => [a.name, a]));
  }

  get where(): string {
    return `importOnnx: node ${this.node.name || "(unnamed)"} (${this.node.opType})`;
  }

  fail(message: string): never {
    throw new Error(`${this.where}: ${message}`);
  }

  get count(): number {
    return this.values.length;
  }

  has(i: number): boolean {
    return this.values[i] !== null && this.values[i] !== undefined;
  }

  value(i: number): Value {
    const v = this.values[i];
    if (!v) this.fail(`input ${i} is missing`);
    return v;
  }

  /** Input i as a float tensor (an integer array is converted). */
  tensor(i: number): Tensor {
    const v = this.value(i);
    return v instanceof Ints ? tensor(v.data, v.dims) : v;
  }

  optionalTensor(i: number): Tensor | null {
    return this.has(i) ? this.tensor(i) : null;
  }

  /** Input i as integers known in JS (an int32 tensor's values are read). */
  ints(i: number): Ints {
    const v = this.value(i);
    if (v instanceof Ints) return v;
    if (v.dtype !== "int32") this.fail(`input ${i} must be integers known when the graph runs (a shape or a constant), got a float tensor ${shapeToString(v.shape)}`);
    return new Ints(Array.from(v.data()), [...v.shape]);
  }

  private attr(name: string, type: number): AttributeProto | undefined {
    const a = this.attrs.get(name);
    if (!a) return undefined;
    if (a.type !== type) this.fail(`attribute ${name} has type ${a.type}, expected ${type}`);
    this.attrs.delete(name);
    return a;
  }

  int(name: string, fallback: number): number {
    return this.attr(name, AttrType.INT)?.i ?? fallback;
  }

  float(name: string, fallback: number): number {
    return this.attr(name, AttrType.FLOAT)?.f ?? fallback;
  }

  string(name: string, fallback: string): string {
    return this.attr(name, AttrType.STRING)?.s ?? fallback;
  }

  intList(name: string): number[] | undefined {
    return this.attr(name, AttrType.INTS)?.ints;
  }

  stringList(name: string): string[] | undefined {
    return this.attr(name, AttrType.STRINGS)?.strings;
  }

  tensorAttr(name: string): TensorProto | undefined {
    return this.attr(name, AttrType.TENSOR)?.t;
  }

  /** Every attribute was read: anything left is one this op does not implement. */
  checkAllRead(): void {
    const left = [...this.attrs.keys()];
    if (left.length) this.fail(`attribute${left.length > 1 ? "s" : ""} ${left.join(", ")} ${left.length > 1 ? "are" : "is"} not supported`);
  }

  /** Requires an attribute to have the given value (when present). */
  only<T>(value: T, expected: T, name: string): void {
    if (value !== expected) this.fail(`attribute ${name} = ${JSON.stringify(value)} is not supported (only ${JSON.stringify(expected)})`);
  }
}

const pair = (v: readonly number[]): [number, number] => [v[0], v[1]];
const axisOf = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** Value of an initializer or Constant: an integer array, or float data as a tensor. */
function fromProto(t: TensorProto): Value {
  if (INT_TYPES.has(t.dataType)) return new Ints(t.ints!, t.dims);
  return tensor(t.floats!, t.dims).untrack();
}

function unaryOp(f: (x: Tensor) => Tensor) {
  return (n: NodeRun) => [f(n.tensor(0))];
}

/** Elementwise binary op: on integer arrays in JS (shape arithmetic), else on tensors. */
function binaryOp(f: (a: Tensor, b: Tensor) => Tensor, onInts?: (x: number, y: number) => number) {
  return (n: NodeRun): Value[] => {
    const a = n.value(0), b = n.value(1);
    if (onInts && a instanceof Ints && b instanceof Ints) return [intsBinary(n.where, a, b, onInts)];
    return [f(n.tensor(0), n.tensor(1))];
  };
}

/** Symmetric ONNX pads [b1, b2, ..., e1, e2, ...] as one padding per axis. */
function symmetricPads(n: NodeRun, pads: number[] | undefined, spatial: number): number[] {
  const p = pads ?? new Array<number>(2 * spatial).fill(0);
  const begin = p.slice(0, spatial), end = p.slice(spatial);
  if (begin.some((v, i) => v !== end[i])) n.fail(`asymmetric pads [${p.join(", ")}] are not supported`);
  return begin;
}

function checkAutoPad(n: NodeRun): void {
  n.only(n.string("auto_pad", "NOTSET"), "NOTSET", "auto_pad");
}

/** Slices of W's rows in `order` (blocks of `hidden` rows), concatenated: gate reordering. */
function gateRows(w: Tensor, hidden: number, order: number[]): Tensor {
  return cat(order.map((k) => slice(w, 0, k * hidden, (k + 1) * hidden)), 0);
}

// ONNX's gate order within the stacked weights, as PyTorch's order of the same blocks:
// LSTM i o f c -> i f g o; GRU z r h -> r z n.
const TORCH_GATES: Record<string, number[]> = { LSTM: [0, 2, 3, 1], GRU: [1, 0, 2], RNN: [0] };

function recurrent(n: NodeRun): Value[] {
  const op = n.node.opType;
  const hidden = n.int("hidden_size", 0);
  const direction = n.string("direction", "forward");
  n.only(n.int("layout", 0), 0, "layout");
  if (n.float("clip", Infinity) !== Infinity) n.fail("attribute clip is not supported");
  if (op === "LSTM") n.only(n.int("input_forget", 0), 0, "input_forget");
  if (op === "GRU") n.only(n.int("linear_before_reset", 0), 1, "linear_before_reset");
  const activations = n.stringList("activations");
  n.stringList("activation_alpha");
  n.stringList("activation_beta");
  let nonlinearity: "tanh" | "relu" = "tanh";
  const defaults: Record<string, string[]> = { LSTM: ["Sigmoid", "Tanh", "Tanh"], GRU: ["Sigmoid", "Tanh"], RNN: ["Tanh"] };
  if (activations) {
    const per = defaults[op].length;
    for (let i = 0; i < activations.length; i++) {
      const a = activations[i], d = defaults[op][i % per];
      if (op === "RNN" && (a === "Relu" || a === "Tanh")) nonlinearity = a === "Relu" ? "relu" : "tanh";
      else if (a !== d) n.fail(`activation ${a} is not supported (only ${defaults[op].join(", ")})`);
    }
  }
  n.checkAllRead();
  if (n.count > 7 && n.has(7)) n.fail("peephole weights (input P) are not supported");
  const x = n.tensor(0), W = n.tensor(1), R = n.tensor(2);
  const B = n.optionalTensor(3);
  const D = direction === "bidirectional" ? 2 : 1;
  if (direction !== "forward" && direction !== "reverse" && direction !== "bidirectional") n.fail(`direction ${direction} is unknown`);
  const G = { LSTM: 4, GRU: 3, RNN: 1 }[op]!;
  if (W.ndim !== 3 || W.shape[0] !== D || W.shape[1] !== G * hidden) n.fail(`W ${shapeToString(W.shape)} does not match hidden_size ${hidden} and direction ${direction}`);
  const order = TORCH_GATES[op];
  const weights: RnnWeights[] = [];
  for (let d = 0; d < D; d++) {
    const pick = (t: Tensor) => reshape(slice(t, 0, d, d + 1), t.shape.slice(1));
    const b = B ? pick(B) : null;
    weights.push({
      weightIh: gateRows(pick(W), hidden, order),
      weightHh: gateRows(pick(R), hidden, order),
      biasIh: b ? gateRows(slice(b, 0, 0, G * hidden), hidden, order) : null,
      biasHh: b ? gateRows(slice(b, 0, G * hidden, 2 * G * hidden), hidden, order) : null,
    });
  }
  const lengths = n.has(4) ? n.ints(4).data : null;
  const h0 = n.optionalTensor(5), c0 = op === "LSTM" && n.has(6) ? n.tensor(6) : null;
  const reverse = direction === "reverse";
  if (reverse && lengths) n.fail("direction reverse with sequence_lens is not supported");
  const input = reverse ? flip(x, 0) : x;
  const options = { bidirectional: D === 2, lengths };
  let result: { output: Tensor; hN: Tensor; cN?: Tensor };
  if (op === "LSTM") {
    result = lstm(input, h0, c0 ?? (h0 ? full(h0.shape, 0) : null), weights, options);
  } else if (op === "GRU") {
    result = gru(input, h0, weights, options);
  } else {
    result = rnn(input, h0, weights, { ...options, nonlinearity });
  }
  const [T, N] = x.shape;
  const out = reverse ? flip(result.output, 0) : result.output;
  // simdgrad's [T, N, D·H] as ONNX's Y [T, D, N, H].
  const Y = permute(reshape(out, [T, N, D, hidden]), [0, 2, 1, 3]);
  return [Y, result.hN, ...(result.cN ? [result.cN] : [])];
}

/** Reduce axes: from the input (opset 18; ReduceSum from 13) or the attribute. */
function reduceAxes(n: NodeRun, rank: number): number[] | null {
  const attr = n.intList("axes");
  const axes = attr ?? (n.count > 1 && n.has(1) ? n.ints(1).data : null);
  if (axes && axes.length) return axes.map((a) => axisOf(a, rank));
  return n.int("noop_with_empty_axes", 0) ? [] : null;
}

function reduce(kind: "sum" | "mean" | "max") {
  return (n: NodeRun): Value[] => {
    const x = n.tensor(0);
    const keep = n.int("keepdims", 1) === 1;
    const axes = reduceAxes(n, x.ndim);
    n.checkAllRead();
    if (axes && axes.length === 0) return [x];
    const dims = axes ?? x.shape.map((_, i) => i);
    if (kind === "max") {
      let y = x;
      for (const d of [...dims].sort((a, b) => b - a)) y = maxOp(y, d, keep).values;
      return [y];
    }
    const s = sum(x, dims, keep);
    return [kind === "sum" ? s : mul(s, 1 / dims.reduce((c, d) => c * x.shape[d], 1))];
  };
}

// The ops, by ONNX op type. Each reads its attributes through NodeRun (so an unknown one is an
// error) and returns its outputs in order.
const OPS: Record<string, (n: NodeRun) => Value[]> = {
  Identity: (n) => [n.value(0)],
  Relu: unaryOp(relu),
  Sigmoid: unaryOp(sigmoid),
  Tanh: unaryOp(tanh),
  Exp: unaryOp(exp),
  Log: unaryOp(log),
  Sqrt: unaryOp(sqrt),
  Abs: unaryOp(abs),
  Neg: unaryOp(neg),
  Sin: unaryOp(sin),
  Cos: unaryOp(cos),
  Sign: unaryOp(sign),
  Reciprocal: unaryOp(reciprocal),
  Softplus: unaryOp((x) => softplus(x, 1, Infinity)),
  HardSwish: unaryOp(hardswish),
  Mish: unaryOp(mish),
  // erf(x) = 2Φ(x√2) − 1, with Φ(z) = gelu(z)/z written as gelu(z)·(1/z) would divide by zero at 0:
  // Abramowitz–Stegun 7.1.26 instead (|error| < 1.5e-7), in differentiable ops.
  Erf: unaryOp((x) => {
    const ax = abs(x);
    const t = reciprocal(add(mul(ax, 0.3275911), 1));
    let p = add(mul(t, 1.061405429), -1.453152027);
    for (const c of [1.421413741, -0.284496736, 0.254829592]) p = add(mul(p, t), c);
    return mul(sign(x), add(neg(mul(mul(p, t), exp(neg(mul(ax, ax))))), 1));
  }),
  LeakyRelu: (n) => [leakyRelu(n.tensor(0), n.float("alpha", 0.01))],
  Elu: (n) => [elu(n.tensor(0), n.float("alpha", 1))],
  Selu: (n) => {
    const alpha = n.float("alpha", 1.67326319217681884765625), gamma = n.float("gamma", 1.05070102214813232421875);
    return [mul(elu(n.tensor(0), alpha), gamma)];
  },
  HardSigmoid: (n) => {
    const alpha = n.float("alpha", 0.2), beta = n.float("beta", 0.5);
    return [clamp(add(mul(n.tensor(0), alpha), beta), 0, 1)];
  },
  Gelu: (n) => {
    const approximate = n.string("approximate", "none");
    if (approximate !== "none" && approximate !== "tanh") n.fail(`approximate ${approximate} is unknown`);
    return [gelu(n.tensor(0), approximate as "none" | "tanh")];
  },
  PRelu: (n) => {
    const x = n.tensor(0), slope = n.tensor(1);
    return [add(relu(x), mul(slope, clamp(x, null, 0)))];
  },
  Clip: (n) => {
    const lo = n.has(1) ? n.tensor(1).item() : null, hi = n.count > 2 && n.has(2) ? n.tensor(2).item() : null;
    const x = n.tensor(0);
    return [lo === null && hi === null ? x : clamp(x, lo, hi)];
  },
  Add: binaryOp(add, (a, b) => a + b),
  Sub: binaryOp(sub, (a, b) => a - b),
  Mul: binaryOp(mul, (a, b) => a * b),
  Div: binaryOp(div, (a, b) => Math.trunc(a / b)),
  Pow: binaryOp(pow),
  Equal: binaryOp(eq, (a, b) => +(a === b)),
  Greater: binaryOp(gt, (a, b) => +(a > b)),
  Less: binaryOp(lt, (a, b) => +(a < b)),
  GreaterOrEqual: binaryOp(ge, (a, b) => +(a >= b)),
  LessOrEqual: binaryOp(le, (a, b) => +(a <= b)),
  Not: (n) => {
    const v = n.value(0);
    return [v instanceof Ints ? new Ints(v.data.map((x) => +!x), v.dims) : eq(v, 0)];
  },
  Max: (n) => [n.node.inputs.slice(1).reduce((acc, _, i) => maximum(acc, n.tensor(i + 1)), n.tensor(0))],
  Min: (n) => [n.node.inputs.slice(1).reduce((acc, _, i) => minimum(acc, n.tensor(i + 1)), n.tensor(0))],
  Where: (n) => {
    const c = n.value(0), a = n.value(1), b = n.value(2);
    if (c instanceof Ints && a instanceof Ints && b instanceof Ints) {
      const dims = broadcast(n.where, broadcast(n.where, c.dims, a.dims), b.dims);
      const flat = (v: Ints) => intsBinary(n.where, v, new Ints(new Array(prod(dims)).fill(0), dims), (x) => x).data;
      const cs = flat(c), as = flat(a), bs = flat(b);
      return [new Ints(cs.map((v, i) => (v ? as[i] : bs[i])), dims)];
    }
    return [where(n.tensor(0), n.tensor(1), n.tensor(2))];
  },
  MatMul: (n) => [matmul(n.tensor(0), n.tensor(1))],
  Gemm: (n) => {
    const alpha = n.float("alpha", 1), beta = n.float("beta", 1);
    const transA = n.int("transA", 0), transB = n.int("transB", 0);
    const a = transA ? permute(n.tensor(0), [1, 0]) : n.tensor(0);
    const b = n.tensor(1), c = n.optionalTensor(2);
    if (transB && alpha === 1 && (!c || (beta === 1 && c.ndim === 1 && c.shape[0] === b.shape[0]))) return [linear(a, b, c)];
    let y = matmul(a, transB ? permute(b, [1, 0]) : b);
    if (alpha !== 1) y = mul(y, alpha);
    if (c) y = add(y, beta === 1 ? c : mul(c, beta));
    return [y];
  },
  Softmax: (n) => {
    const x = n.tensor(0);
    return [softmax(x, n.int("axis", -1))];
  },
  LogSoftmax: (n) => {
    const x = n.tensor(0);
    return [logSoftmax(x, n.int("axis", -1))];
  },
  Conv: (n) => {
    checkAutoPad(n);
    const x = n.tensor(0), w = n.tensor(1), b = n.optionalTensor(2);
    const spatial = x.ndim - 2;
    n.intList("kernel_shape");
    const strides = n.intList("strides") ?? new Array<number>(spatial).fill(1);
    const dilations = n.intList("dilations") ?? new Array<number>(spatial).fill(1);
    const padding = symmetricPads(n, n.intList("pads"), spatial);
    const groups = n.int("group", 1);
    n.checkAllRead();
    if (spatial === 2) return [conv2d(x, w, b, { stride: pair(strides), padding: pair(padding), dilation: pair(dilations), groups })];
    if (spatial === 1) return [conv1d(x, w, b, { stride: strides[0], padding: padding[0], dilation: dilations[0], groups })];
    return n.fail(`a ${spatial}-D convolution is not supported (1-D and 2-D are)`);
  },
  ConvTranspose: (n) => {
    checkAutoPad(n);
    const x = n.tensor(0), w = n.tensor(1), b = n.optionalTensor(2);
    if (x.ndim !== 4) n.fail(`only 2-D transposed convolutions are supported, got input ${shapeToString(x.shape)}`);
    n.intList("kernel_shape");
    if (n.intList("output_shape")) n.fail("attribute output_shape is not supported (give pads and output_padding)");
    const stride = n.intList("strides") ?? [1, 1], dilation = n.intList("dilations") ?? [1, 1];
    const outputPadding = n.intList("output_padding") ?? [0, 0];
    const padding = symmetricPads(n, n.intList("pads"), 2);
    const groups = n.int("group", 1);
    n.checkAllRead();
    return [convTranspose2d(x, w, b, { stride: pair(stride), padding: pair(padding), outputPadding: pair(outputPadding), dilation: pair(dilation), groups })];
  },
  MaxPool: (n) => {
    checkAutoPad(n);
    if (n.node.outputs.length > 1 && n.node.outputs[1]) n.fail("the Indices output is not supported");
    const kernel = n.intList("kernel_shape")!;
    if (!kernel || kernel.length !== 2) n.fail("only 2-D max pooling is supported");
    const stride = n.intList("strides") ?? [1, 1], dilation = n.intList("dilations") ?? [1, 1];
    const padding = symmetricPads(n, n.intList("pads"), 2);
    const ceilMode = n.int("ceil_mode", 0) === 1;
    n.only(n.int("storage_order", 0), 0, "storage_order");
    n.checkAllRead();
    return [maxPool2d(n.tensor(0), pair(kernel), { stride: pair(stride), padding: pair(padding), dilation: pair(dilation), ceilMode })];
  },
  AveragePool: (n) => {
    checkAutoPad(n);
    const kernel = n.intList("kernel_shape")!;
    if (!kernel || kernel.length !== 2) n.fail("only 2-D average pooling is supported");
    const stride = n.intList("strides") ?? [1, 1];
    if (n.intList("dilations")?.some((d) => d !== 1)) n.fail("dilated average pooling is not supported");
    const padding = symmetricPads(n, n.intList("pads"), 2);
    const ceilMode = n.int("ceil_mode", 0) === 1, countIncludePad = n.int("count_include_pad", 0) === 1;
    n.checkAllRead();
    return [avgPool2d(n.tensor(0), pair(kernel), { stride: pair(stride), padding: pair(padding), ceilMode, countIncludePad })];
  },
  GlobalAveragePool: (n) => {
    const x = n.tensor(0);
    if (x.ndim !== 4) n.fail(`only 4-D inputs are supported, got ${shapeToString(x.shape)}`);
    return [adaptiveAvgPool2d(x, 1)];
  },
  BatchNormalization: (n) => {
    const eps = n.float("epsilon", 1e-5), momentum = n.float("momentum", 0.9);
    n.int("training_mode", 0);
    n.checkAllRead();
    if (n.node.outputs.filter(Boolean).length > 1) n.fail("the running statistics outputs (training_mode) are not supported");
    const x = n.tensor(0);
    // ONNX's momentum weighs the old statistic (PyTorch's weighs the new one). In train() the
    // batch statistics are used and the running ones updated, as in PyTorch.
    return [batchNorm(x, n.tensor(3), n.tensor(4), n.tensor(1), n.tensor(2), { training: n.module.training, momentum: 1 - momentum, eps })];
  },
  LayerNormalization: (n) => {
    const x = n.tensor(0);
    const axis = axisOf(n.int("axis", -1), x.ndim), eps = n.float("epsilon", 1e-5);
    n.int("stash_type", 1);
    n.checkAllRead();
    if (n.node.outputs.filter(Boolean).length > 1) n.fail("the Mean and InvStdDev outputs are not supported");
    return [layerNorm(x, x.shape.slice(axis), n.tensor(1), n.optionalTensor(2), eps)];
  },
  InstanceNormalization: (n) => {
    const eps = n.float("epsilon", 1e-5);
    n.checkAllRead();
    const x = n.tensor(0);
    return [groupNorm(x, x.shape[1], n.tensor(1), n.tensor(2), eps)];
  },
  GroupNormalization: (n) => {
    const eps = n.float("epsilon", 1e-5), groups = n.int("num_groups", 0);
    n.int("stash_type", 1);
    n.checkAllRead();
    const x = n.tensor(0), scale = n.tensor(1);
    if (scale.shape[0] !== x.shape[1]) n.fail(`per-group scale ${shapeToString(scale.shape)} (opset 18) is not supported; opset 21's per-channel scale is`);
    return [groupNorm(x, groups, scale, n.tensor(2), eps)];
  },
  Dropout: (n) => {
    n.int("seed", 0);
    n.checkAllRead();
    if (n.node.outputs.filter(Boolean).length > 1) n.fail("the mask output is not supported");
    const ratio = n.has(1) ? n.tensor(1).item() : 0.5;
    const training = n.count > 2 && n.has(2) ? n.ints(2).data[0] === 1 : n.module.training;
    return [dropout(n.tensor(0), ratio, training)];
  },
  Flatten: (n) => {
    const x = n.value(0);
    const shape = x instanceof Ints ? x.dims : [...x.shape];
    const axis = axisOf(n.int("axis", 1), shape.length);
    const to = [prod(shape.slice(0, axis)), prod(shape.slice(axis))];
    return [x instanceof Ints ? new Ints(x.data, to) : reshape(x, to)];
  },
  Reshape: (n) => {
    const x = n.value(0);
    const allowZero = n.int("allowzero", 0);
    const from = x instanceof Ints ? x.dims : [...x.shape];
    const target = n.ints(1).data.map((d, i) => (d === 0 && !allowZero ? from[i] : d));
    if (x instanceof Ints) {
      const known = prod(target.filter((d) => d !== -1));
      return [new Ints(x.data, target.map((d) => (d === -1 ? x.size / known : d)))];
    }
    return [reshape(x, target)];
  },
  Squeeze: (n) => {
    const x = n.value(0);
    const shape = x instanceof Ints ? x.dims : [...x.shape];
    const axes = (n.count > 1 && n.has(1) ? n.ints(1).data : n.intList("axes") ?? shape.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => axisOf(a, shape.length));
    const to = shape.filter((_, i) => !axes.includes(i));
    return [x instanceof Ints ? new Ints(x.data, to) : reshape(x, to)];
  },
  Unsqueeze: (n) => {
    const x = n.value(0);
    const shape = x instanceof Ints ? x.dims : [...x.shape];
    const given = n.count > 1 && n.has(1) ? n.ints(1).data : n.intList("axes") ?? [];
    const rank = shape.length + given.length;
    const axes = given.map((a) => axisOf(a, rank)).sort((a, b) => a - b);
    const to = [...shape];
    for (const a of axes) to.splice(a, 0, 1);
    return [x instanceof Ints ? new Ints(x.data, to) : reshape(x, to)];
  },
  Transpose: (n) => {
    const x = n.tensor(0);
    const perm = n.intList("perm") ?? x.shape.map((_, i) => x.ndim - 1 - i);
    return [permute(x, perm)];
  },
  Concat: (n) => {
    const axis = n.int("axis", 0);
    const values = n.node.inputs.map((_, i) => n.value(i));
    if (values.every((v) => v instanceof Ints && v.dims.length <= 1)) return [new Ints(values.flatMap((v) => (v as Ints).data), [values.reduce((c, v) => c + v.size, 0)])];
    const ts = values.map((_, i) => n.tensor(i));
    return [cat(ts, axisOf(axis, ts[0].ndim))];
  },
  Split: (n) => {
    const x = n.tensor(0);
    const axis = axisOf(n.int("axis", 0), x.ndim);
    const count = n.node.outputs.length;
    const given = n.count > 1 && n.has(1) ? n.ints(1).data : n.intList("split");
    n.int("num_outputs", count);
    const size = x.shape[axis];
    const sizes = given ?? Array.from({ length: count }, (_, i) => Math.min(Math.ceil(size / count), size - i * Math.ceil(size / count)));
    return split(x, sizes, axis);
  },
  Slice: (n) => {
    const x = n.value(0);
    const shape = x instanceof Ints ? x.dims : [...x.shape];
    const starts = n.ints(1).data, ends = n.ints(2).data;
    const axes = n.count > 3 && n.has(3) ? n.ints(3).data : starts.map((_, i) => i);
    const steps = n.count > 4 && n.has(4) ? n.ints(4).data : starts.map(() => 1);
    if (steps.some((s) => s < 1)) n.fail(`steps [${steps.join(", ")}] are not supported (only positive steps)`);
    const clampTo = (v: number, size: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
    if (x instanceof Ints) {
      if (shape.length !== 1) n.fail("slicing a multi-dimensional integer array is not supported");
      const s = clampTo(starts[0], x.size), e = clampTo(ends[0], x.size);
      const out: number[] = [];
      for (let i = s; i < e; i += steps[0]) out.push(x.data[i]);
      return [new Ints(out, [out.length])];
    }
    let y = x;
    axes.forEach((a, i) => {
      const d = axisOf(a, shape.length), size = shape[d];
      y = slice(y, d, clampTo(starts[i], size), clampTo(ends[i], size), steps[i]);
    });
    return [y];
  },
  Pad: (n) => {
    n.only(n.string("mode", "constant"), "constant", "mode");
    const x = n.tensor(0);
    const pads = n.ints(1).data;
    const value = n.count > 2 && n.has(2) ? n.tensor(2).item() : 0;
    const axes = n.count > 3 && n.has(3) ? n.ints(3).data.map((a) => axisOf(a, x.ndim)) : x.shape.map((_, i) => i);
    // torch order: last axis first, (before, after) pairs.
    const before = new Array<number>(x.ndim).fill(0), after = new Array<number>(x.ndim).fill(0);
    axes.forEach((a, i) => {
      before[a] = pads[i];
      after[a] = pads[i + axes.length];
    });
    const padding: number[] = [];
    for (let d = x.ndim - 1; d >= 0; d--) padding.push(before[d], after[d]);
    return [pad(x, padding, value)];
  },
  Gather: (n) => {
    const data = n.value(0), idx = n.value(1);
    const shape = data instanceof Ints ? data.dims : [...data.shape];
    const axis = axisOf(n.int("axis", 0), shape.length);
    n.checkAllRead();
    const indices = idx instanceof Ints ? idx : idx.dtype === "int32" ? n.ints(1) : n.fail("indices must be integers");
    const flat = indices.data.map((i) => (i < 0 ? i + shape[axis] : i));
    const outShape = [...shape.slice(0, axis), ...indices.dims, ...shape.slice(axis + 1)];
    if (data instanceof Ints) {
      const inner = prod(shape.slice(axis + 1)), outer = prod(shape.slice(0, axis));
      const out: number[] = [];
      for (let o = 0; o < outer; o++) for (const i of flat) for (let k = 0; k < inner; k++) out.push(data.data[(o * shape[axis] + i) * inner + k]);
      return [new Ints(out, outShape)];
    }
    const picked = indexSelect(data, axis, tensor(flat, { dtype: "int32" }));
    return [reshape(picked, outShape)];
  },
  Shape: (n) => {
    const x = n.value(0);
    const shape = x instanceof Ints ? x.dims : [...x.shape];
    const start = axisOf(n.int("start", 0), shape.length), end = n.int("end", shape.length);
    const dims = shape.slice(start, end < 0 ? end + shape.length : end);
    return [new Ints(dims, [dims.length])];
  },
  Constant: (n) => {
    const t = n.tensorAttr("value");
    const f = n.float("value_float", NaN), i = n.int("value_int", NaN), is = n.intList("value_ints");
    n.checkAllRead();
    if (t) return [fromProto(t)];
    if (!Number.isNaN(f)) return [full([], f).untrack()];
    if (!Number.isNaN(i)) return [new Ints([i], [])];
    if (is) return [new Ints(is, [is.length])];
    return n.fail("only value, value_float, value_int and value_ints constants are supported");
  },
  ConstantOfShape: (n) => {
    const dims = n.ints(0).data;
    const t = n.tensorAttr("value");
    n.checkAllRead();
    if (t && INT_TYPES.has(t.dataType)) return [new Ints(new Array(prod(dims)).fill(t.ints![0]), dims)];
    return [full(dims, t ? t.floats![0] : 0)];
  },
  Range: (n) => {
    const [start, limit, delta] = [0, 1, 2].map((i) => n.ints(i).data[0]);
    const out: number[] = [];
    for (let v = start; delta > 0 ? v < limit : v > limit; v += delta) out.push(v);
    return [new Ints(out, [out.length])];
  },
  Cast: (n) => {
    const to = n.int("to", 0);
    n.int("saturate", 1);
    n.checkAllRead();
    const x = n.value(0);
    if (INT_TYPES.has(to)) {
      if (x instanceof Ints) return [to === DataType.BOOL ? new Ints(x.data.map((v) => +!!v), x.dims) : x];
      return [to === DataType.BOOL ? ne(x.dtype === "float32" ? x : toDType(x, "float32"), 0) : toDType(x, "int32")];
    }
    if (to !== DataType.FLOAT && to !== DataType.DOUBLE) n.fail(`cast to data type ${to} is not supported`);
    return [x instanceof Ints ? n.tensor(0) : x.dtype === "float32" ? x : toDType(x, "float32")];
  },
  Expand: (n) => {
    const x = n.value(0);
    const shape = n.ints(1).data;
    if (x instanceof Ints) return [intsBinary(n.where, x, new Ints(new Array(prod(shape)).fill(0), shape), (a) => a)];
    return [expand(x, broadcast(n.where, x.shape, shape))];
  },
  ReduceSum: reduce("sum"),
  ReduceMean: reduce("mean"),
  ReduceMax: reduce("max"),
  LSTM: recurrent,
  GRU: recurrent,
  RNN: recurrent,
};

// The ops that read their attributes inside (checkAllRead): every other op is checked after it ran.
export const IMPORTED_OPS = Object.keys(OPS);

export interface OnnxModuleInfo {
  inputNames: string[];
  outputNames: string[];
  opset: number;
}

/**
 * A module running an ONNX graph. Float initializers are its parameters (or, for the running
 * statistics of BatchNormalization, buffers), under the file's names; forward takes the graph's
 * inputs in order and returns its output (or outputs, as an array).
 */
export class OnnxModule extends Module<Tensor | Tensor[]> {
  readonly #graph: GraphProto;
  readonly #constants = new Map<string, Value>();
  readonly #info: OnnxModuleInfo;
  /** For each value, the index of the last node that reads it (so forward frees it after). */
  readonly #lastUse = new Map<string, number>();

  constructor(graph: GraphProto, opset: number) {
    super();
    this.#graph = graph;
    const initNames = new Set(graph.initializers.map((t) => t.name));
    const inputNames = graph.inputs.map((v) => v.name).filter((n) => !initNames.has(n));
    this.#info = { inputNames, outputNames: graph.outputs.map((v) => v.name), opset };
    const stats = new Set<string>();
    for (const node of graph.nodes) {
      if (!OPS[node.opType] || node.domain && node.domain !== "ai.onnx") {
        throw new Error(`importOnnx: node ${node.name || "(unnamed)"}: the op ${node.domain ? `${node.domain}.` : ""}${node.opType} is not supported`);
      }
      if (node.opType === "BatchNormalization") for (const i of [3, 4]) if (node.inputs[i]) stats.add(node.inputs[i]);
    }
    graph.nodes.forEach((node, k) => node.inputs.forEach((i) => i && this.#lastUse.set(i, k)));
    for (const t of graph.initializers) {
      if (INT_TYPES.has(t.dataType)) {
        this.#constants.set(t.name, new Ints(t.ints!, t.dims));
        continue;
      }
      if (Object.hasOwn(this, t.name) || t.name in this) throw new Error(`importOnnx: initializer ${t.name} clashes with a property of the module`);
      const value = tensor(t.floats!, t.dims);
      Object.defineProperty(this, t.name, { value: stats.has(t.name) ? buffer(value) : parameter(value), enumerable: true, writable: false });
    }
    // Constant nodes are evaluated once, here: their values belong to the module.
    for (const node of graph.nodes) {
      if (node.opType !== "Constant") continue;
      const [value] = OPS.Constant(new NodeRun(node, [], this));
      this.#constants.set(node.outputs[0], value);
    }
  }

  /** The names of the graph's inputs (initializers excluded), in the order forward takes them. */
  get inputNames(): string[] {
    return [...this.#info.inputNames];
  }

  /** The names of the graph's outputs, in order. */
  get outputNames(): string[] {
    return [...this.#info.outputNames];
  }

  /** The graph's default-domain opset version. */
  get opset(): number {
    return this.#info.opset;
  }

  /**
   * Runs the graph on the inputs, in the order of inputNames; returns the output, or an array when the graph
   * has several.
   */
  forward(...inputs: Tensor[]): Tensor | Tensor[] {
    const { inputNames, outputNames } = this.#info;
    if (inputs.length !== inputNames.length) {
      throw new Error(`OnnxModule.forward: the graph takes ${inputNames.length} input${inputNames.length === 1 ? "" : "s"} (${inputNames.join(", ")}), got ${inputs.length}`);
    }
    const own = this as unknown as Record<string, Tensor>;
    const values = new Map<string, Value>();
    inputNames.forEach((name, i) => {
      if (!(inputs[i] instanceof Tensor)) throw new Error(`OnnxModule.forward: input ${name} is not a Tensor`);
      values.set(name, inputs[i]);
    });
    const lookup = (name: string): Value | null => {
      if (!name) return null;
      const v = values.get(name) ?? this.#constants.get(name) ?? (Object.hasOwn(own, name) ? own[name] : undefined);
      if (!v) throw new Error(`importOnnx: value ${name} is used before it is computed`);
      return v;
    };
    const kept = new Set<Value>([...inputs, ...this.#constants.values()]);
    const outputs = new Set(outputNames);
    this.#graph.nodes.forEach((node, k) => {
      if (node.opType === "Constant") return;
      const run = new NodeRun(node, node.inputs.map(lookup), this);
      const results = OPS[node.opType](run);
      run.checkAllRead();
      node.outputs.forEach((name, i) => {
        if (!name) return;
        if (results[i] === undefined) run.fail(`output ${i} (${name}) is not produced`);
        values.set(name, results[i]);
      });
      // Free the intermediates no later node reads (autograd keeps what backward needs).
      for (const name of new Set(node.inputs)) {
        const v = values.get(name);
        if (!v || this.#lastUse.get(name) !== k || outputs.has(name) || inputNames.includes(name)) continue;
        values.delete(name);
        if (v instanceof Tensor && v.role === null && !kept.has(v) && ![...values.values()].includes(v)) v.dispose();
      }
    });
    const result = outputNames.map((name) => {
      const v = lookup(name)!;
      return v instanceof Ints ? tensor(v.data, v.dims, { dtype: "int32" }) : v;
    });
    return result.length === 1 ? result[0] : result;
  }

  override extraRepr(): string {
    return `inputs=[${this.#info.inputNames.join(", ")}], outputs=[${this.#info.outputNames.join(", ")}], nodes=${this.#graph.nodes.length}, opset=${this.#info.opset}`;
  }
}

/** An ONNX model (the bytes of a .onnx file) as a trainable OnnxModule. */
export function importOnnx(bytes: Uint8Array): OnnxModule {
  if (!(bytes instanceof Uint8Array)) throw new Error("importOnnx: expected the bytes of a .onnx file (a Uint8Array)");
  const model = decodeModel(bytes);
  const opset = model.opsetImports.find((o) => o.domain === "" || o.domain === "ai.onnx")?.version ?? 0;
  const others = model.opsetImports.filter((o) => o.domain !== "" && o.domain !== "ai.onnx");
  if (others.length) throw new Error(`importOnnx: operator sets ${others.map((o) => o.domain).join(", ")} are not supported`);
  return new OnnxModule(model.graph, opset);
}

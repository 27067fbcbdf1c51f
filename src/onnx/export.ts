// exportOnnx: traces one forward pass (src/trace.ts: every op reports itself) and writes each
// reported op as ONNX nodes as it happens. What the outputs do not depend on (the ops a composite
// op was built from, before it reported itself) is dropped at the end. An op that has no ONNX
// form, or a tensor made by an op that reports nothing, is an error only if an output needs it.
import { Tensor } from "../tensor.js";
import { enableGrad } from "../autograd.js";
import { withTracer, type TraceAttrs } from "../trace.js";
import { SCALE_EPS } from "../ops/quantized.js";
import type { Module } from "../nn/module.js";
import { AttrType, DataType, encodeModel, type AttributeProto, type Dim, type NodeProto, type TensorProto, type ValueInfoProto } from "./proto.js";

/** The options of exportOnnx. */
export interface ExportOnnxOptions {
  /** The ONNX opset (default 17, the lowest supported; up to 21). Gelu, Mish and GroupNormalization are native from 20, 18 and 21, decomposed below. */
  opset?: number;
  /** Names of the graph inputs, in order (default "input", or input_0, input_1, ...). */
  inputNames?: string[];
  /** Names of the graph outputs, in order (default "output", or output_0, ...). */
  outputNames?: string[];
  /**
   * Axes of inputs or outputs whose size may vary, by input/output name: a list of axes (named
   * `<name>_dim<axis>`) or a map axis -> symbolic name, as torch.onnx.export's dynamic_axes.
   */
  dynamicAxes?: Record<string, readonly number[] | Record<number, string>>;
}

export const MIN_OPSET = 17, MAX_OPSET = 21;
const OPTION_NAMES = ["opset", "inputNames", "outputNames", "dynamicAxes"];

// Attribute constructors: ONNX attributes are typed, and a JS number does not say whether it is a float.
const float = (name: string, f: number): AttributeProto => ({ name, type: AttrType.FLOAT, f });
const int = (name: string, i: number): AttributeProto => ({ name, type: AttrType.INT, i });
const ints = (name: string, v: readonly number[]): AttributeProto => ({ name, type: AttrType.INTS, ints: [...v] });
const str = (name: string, s: string): AttributeProto => ({ name, type: AttrType.STRING, s });
const strs = (name: string, v: string[]): AttributeProto => ({ name, type: AttrType.STRINGS, strings: v });

const elemType = (t: Tensor) => (t.dtype === "float32" ? DataType.FLOAT : DataType.INT32);

/** The graph being built: nodes, initializers, and the ONNX value name of every tensor seen. */
class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers = new Map<string, TensorProto>();
  /** Why a value cannot be computed (an op with no ONNX form); an error if an output needs it. */
  readonly broken = new Map<string, string>();
  private readonly names = new Map<Tensor, string>();
  private readonly used = new Set<string>();
  private opIndex = 0;

  constructor(readonly opset: number, private readonly paramNames: Map<Tensor, string>) {}

  /** A unique value name starting with base. */
  fresh(base: string): string {
    let name = base, k = 0;
    while (this.used.has(name)) name = `${base}_${++k}`;
    this.used.add(name);
    return name;
  }

  bind(t: Tensor, name: string): void {
    this.names.set(t, name);
  }

  nameOf(t: Tensor): string | undefined {
    return this.names.get(t);
  }

  /**
   * The value name of an op's input: a traced value, a parameter or buffer (an initializer under
   * its state-dict name), a constant made outside the trace or by a reporting op's setup (an
   * initializer of its values), or — made by an op that reports nothing — a broken value.
   */
  valueOf(t: Tensor): string {
    const known = this.names.get(t);
    if (known) return known;
    const param = this.paramNames.get(t);
    let name: string;
    if (param !== undefined) {
      name = this.fresh(param);
      this.addInitializer(name, t);
    } else if (t.gradFn) {
      name = this.fresh(`untraced_${t.gradFn.name}`);
      this.broken.set(name, `the op ${t.gradFn.name} (output ${shapeOf(t)}) has no ONNX export`);
    } else {
      name = this.fresh("const");
      this.addInitializer(name, t);
    }
    this.names.set(t, name);
    return name;
  }

  private addInitializer(name: string, t: Tensor): void {
    const data = t.data();
    this.initializers.set(name, t.dtype === "float32"
      ? { name, dims: [...t.shape], dataType: DataType.FLOAT, floats: data as Float32Array }
      : { name, dims: [...t.shape], dataType: DataType.INT32, ints: Array.from(data) });
  }

  /** A constant initializer: int64 (shapes, axes, pads) or float32. */
  constInts(values: readonly number[], dims: number[] = [values.length]): string {
    const name = this.fresh("const");
    this.initializers.set(name, { name, dims, dataType: DataType.INT64, ints: [...values] });
    return name;
  }

  /**
   * A state tensor's initializer (written as its dtype, int32) as the ONNX integer type its values
   * are: int8 weight codes, a uint8 zero point. Returns its name.
   */
  retype(name: string, dataType: number): string {
    const t = this.initializers.get(name);
    if (!t || (t.dataType !== DataType.INT32 && t.dataType !== dataType)) throw new Error(`${name} is not an integer state tensor`);
    this.initializers.set(name, { ...t, dataType });
    return name;
  }

  constFloat(value: number | Float32Array, dims: number[] = []): string {
    const name = this.fresh("const");
    this.initializers.set(name, { name, dims, dataType: DataType.FLOAT, floats: typeof value === "number" ? Float32Array.of(value) : value });
    return name;
  }

  /** Appends a node; returns its output names (fresh ones unless given). */
  node(opType: string, inputs: string[], attributes: AttributeProto[] = [], outputs: string[] | number = 1): string[] {
    const outs = typeof outputs === "number" ? Array.from({ length: outputs }, () => this.fresh(opType)) : outputs;
    // Trailing absent optional inputs are left out; absent ones in between are "".
    const ins = [...inputs];
    while (ins.length && ins[ins.length - 1] === "") ins.pop();
    this.nodes.push({ inputs: ins, outputs: outs, name: `${opType}_${this.opIndex++}`, opType, domain: "", attributes });
    return outs;
  }

  /** One-output node. */
  op(opType: string, inputs: string[], attributes: AttributeProto[] = [], output?: string): string {
    return this.node(opType, inputs, attributes, output ? [output] : 1)[0];
  }
}

const shapeOf = (t: Tensor) => `[${t.shape.join(", ")}]`;

/** What a converter gets: the builder, the op's input value names (and tensors), its outputs' names and tensors, and the op's settings. */
interface OpContext {
  g: GraphBuilder;
  ins: string[];
  inputs: readonly (Tensor | null)[];
  outs: string[];
  outputs: readonly Tensor[];
  attrs: TraceAttrs;
}

type Converter = (c: OpContext) => void;

/** Reshape target for `to` from `from`: 0 keeps a leading dim in place, one -1 lets the runtime infer a dim (so a dynamic batch survives). */
function reshapeTarget(from: readonly number[], to: readonly number[]): number[] {
  let inferred = false;
  return to.map((d, i) => {
    if (i < from.length && from[i] === d && d !== 0) return 0;
    if (!inferred && d !== 0) {
      inferred = true;
      return -1;
    }
    return d;
  });
}

function gateBlocks(g: GraphBuilder, w: string, hidden: number, order: number[]): string {
  const blocks = order.map((k) => g.op("Slice", [w, g.constInts([k * hidden]), g.constInts([(k + 1) * hidden]), g.constInts([0])]));
  return g.op("Concat", blocks, [int("axis", 0)]);
}

// PyTorch's gate order within the stacked weights, as ONNX's order of the same blocks:
// LSTM i f g o -> i o f c; GRU r z n -> z r h.
const GATE_ORDER: Record<string, number[]> = { lstm: [0, 3, 1, 2], gru: [1, 0, 2], rnn: [0] };

const unary: Record<string, (c: OpContext, x: string, p0: number, p1: number) => string> = {
  relu: (c, x) => c.g.op("Relu", [x]),
  leakyRelu: (c, x, slope) => c.g.op("LeakyRelu", [x], [float("alpha", slope)]),
  elu: (c, x, alpha) => c.g.op("Elu", [x], [float("alpha", alpha)]),
  gelu: (c, x) => {
    if (c.g.opset >= 20) return c.g.op("Gelu", [x]);
    const { g } = c; // x·Φ(x) = 0.5·x·(1 + erf(x/√2))
    const erf = g.op("Erf", [g.op("Mul", [x, g.constFloat(Math.SQRT1_2)])]);
    return g.op("Mul", [g.op("Mul", [x, g.op("Add", [erf, g.constFloat(1)])]), g.constFloat(0.5)]);
  },
  geluTanh: (c, x) => {
    if (c.g.opset >= 20) return c.g.op("Gelu", [x], [str("approximate", "tanh")]);
    const { g } = c; // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
    const cube = g.op("Mul", [g.op("Mul", [x, x]), x]);
    const inner = g.op("Mul", [g.op("Add", [x, g.op("Mul", [cube, g.constFloat(0.044715)])]), g.constFloat(Math.sqrt(2 / Math.PI))]);
    return g.op("Mul", [g.op("Mul", [x, g.op("Add", [g.op("Tanh", [inner]), g.constFloat(1)])]), g.constFloat(0.5)]);
  },
  silu: (c, x) => c.g.op("Mul", [x, c.g.op("Sigmoid", [x])]),
  sigmoid: (c, x) => c.g.op("Sigmoid", [x]),
  tanh: (c, x) => c.g.op("Tanh", [x]),
  softplus: (c, x, beta, threshold) => {
    // PyTorch: log(1 + exp(beta·x))/beta, and x itself where beta·x > threshold.
    const { g } = c;
    const bx = beta === 1 ? x : g.op("Mul", [x, g.constFloat(beta)]);
    const soft = beta === 1 ? g.op("Softplus", [bx]) : g.op("Div", [g.op("Softplus", [bx]), g.constFloat(beta)]);
    return g.op("Where", [g.op("Greater", [bx, g.constFloat(threshold)]), x, soft]);
  },
  hardswish: (c, x) => c.g.op("HardSwish", [x]),
  hardsigmoid: (c, x) => c.g.op("HardSigmoid", [x], [float("alpha", 1 / 6), float("beta", 0.5)]),
  mish: (c, x) => (c.g.opset >= 18 ? c.g.op("Mish", [x]) : c.g.op("Mul", [x, c.g.op("Tanh", [c.g.op("Softplus", [x])])])),
  logSigmoid: (c, x) => c.g.op("Neg", [c.g.op("Softplus", [c.g.op("Neg", [x])])]),
  exp: (c, x) => c.g.op("Exp", [x]),
  log: (c, x) => c.g.op("Log", [x]),
  sqrt: (c, x) => c.g.op("Sqrt", [x]),
  abs: (c, x) => c.g.op("Abs", [x]),
  neg: (c, x) => c.g.op("Neg", [x]),
  square: (c, x) => c.g.op("Mul", [x, x]),
  sin: (c, x) => c.g.op("Sin", [x]),
  cos: (c, x) => c.g.op("Cos", [x]),
  sign: (c, x) => c.g.op("Sign", [x]),
  step: (c, x) => c.g.op("Cast", [c.g.op("Greater", [x, c.g.constFloat(0)])], [int("to", DataType.FLOAT)]),
  reciprocal: (c, x) => c.g.op("Reciprocal", [x]),
  powScalar: (c, x, e) => c.g.op("Pow", [x, c.g.constFloat(e)]),
  affine: (c, x, scale, shift) => {
    let y = x;
    if (scale !== 1) y = c.g.op("Mul", [y, c.g.constFloat(scale)]);
    if (shift !== 0) y = c.g.op("Add", [y, c.g.constFloat(shift)]);
    return y === x ? c.g.op("Identity", [x]) : y;
  },
  clamp: (c, x, lo, hi) => c.g.op("Clip", [x, lo === -Infinity ? "" : c.g.constFloat(lo), hi === Infinity ? "" : c.g.constFloat(hi)]),
};

const BINARY: Record<string, string> = { add: "Add", sub: "Sub", mul: "Mul", div: "Div", pow: "Pow", maximum: "Max", minimum: "Min" };
const COMPARE: Record<string, string> = { gt: "Greater", lt: "Less", ge: "GreaterOrEqual", le: "LessOrEqual", eq: "Equal", ne: "Equal" };

/** Writes the final op of a converter to the op's own output name. */
function finish(c: OpContext, opType: string, inputs: string[], attributes: AttributeProto[] = []): void {
  c.g.op(opType, inputs, attributes, c.outs[0]);
}

/** x in 4-D for a 2-D pooling op (an unbatched [C, H, W] gets a batch of one), and back. */
function pool4d(c: OpContext, opType: string, attributes: AttributeProto[]): void {
  const x = c.inputs[0]!;
  if (x.ndim === 4) return finish(c, opType, [c.ins[0]], attributes);
  const axis = c.g.constInts([0]);
  finish(c, "Squeeze", [c.g.op(opType, [c.g.op("Unsqueeze", [c.ins[0], axis])], attributes), axis]);
}

// ---- the quantized layers (nn/quantized.ts) ----
// They are written with ONNX's integer ops, which compute the integers our kernels compute
// (ops/quantized.ts, assembly/qgemm.ts), so ONNX Runtime agrees with simdgrad to float rounding:
//   q   = QuantizeLinear(Clip(x·(1/s), −zp, 127 − zp), 1, zp)      uint8; ours: clamp(round(x·(1/s)) + zp, 0, 127)
//   acc = MatMulInteger(q, Wᵀ, zp) or ConvInteger(q, W, zp)         int32 Σ (q − zp)·code, exact (padding is zp: 0.0)
//   y   = Cast(acc)·(s·s_w[n]) + bias, then Relu when fused         ours: the same, as scale·Σ q·code + offset
// x·(1/s) is the f32 product our kernel forms (QuantizeLinear divides by its scale, here 1, and
// rounds half to even, as ours), and the Clip gives our 7-bit saturation, which QuantizeLinear's
// uint8 [0, 255] does not. Not the QDQ form (DequantizeLinear around a float MatMul/Conv): ORT
// rewrites that into QLinearMatMul/QLinearConv, which requantize the output and quantize the bias
// to int32, where ours dequantizes to float32 and adds a float bias. Not DynamicQuantizeLinear for
// the dynamic layers: it quantizes to 8 bits ([0, 255], scale = range/255) where ours uses 7; the
// range → (scale, zero point) of activationQParams is written out instead, in double precision as
// it is computed (JS numbers), so the codes are the same ones.

/** The uint8 codes of a quantized layer's input, and their zero point and scale (value names). */
function quantizeInput(c: OpContext): { q: string; zp: string; scale: string } {
  const { g } = c;
  const x = c.ins[0];
  if (c.inputs[4]) { // static: the calibrated input_scale and input_zero_point
    const s = c.inputs[4].float32Data()[0], zp = c.inputs[5]!.int32Data()[0];
    const zpName = g.retype(c.ins[5], DataType.UINT8);
    const v = g.op("Clip", [g.op("Mul", [x, g.constFloat(1 / s)]), g.constFloat(-zp), g.constFloat(127 - zp)]);
    return { q: g.op("QuantizeLinear", [v, g.constFloat(1), zpName]), zp: zpName, scale: c.ins[4] };
  }
  // dynamic: activationQParams of this batch's range, in double
  const dbl = (v: string) => g.op("Cast", [v], [int("to", DataType.DOUBLE)]);
  const constDbl = (v: number) => dbl(g.constFloat(v)); // 0, 0.5, 127 and the eps are exact in float32
  const xd = dbl(x);
  const lo = g.op("Min", [g.op("ReduceMin", [xd], [int("keepdims", 0)]), constDbl(0)]);
  const hi = g.op("Max", [g.op("ReduceMax", [xd], [int("keepdims", 0)]), constDbl(0)]);
  const scaleD = g.op("Max", [g.op("Div", [g.op("Sub", [hi, lo]), constDbl(127)]), constDbl(SCALE_EPS)]);
  // Math.round(v) is floor(v + 0.5) (ties up), not Round's ties to even.
  const zpD = g.op("Clip", [g.op("Neg", [g.op("Floor", [g.op("Add", [g.op("Div", [lo, scaleD]), constDbl(0.5)])])]), constDbl(0), constDbl(127)]);
  const scale = g.op("Cast", [scaleD], [int("to", DataType.FLOAT)]);
  const zp = g.op("Cast", [zpD], [int("to", DataType.UINT8)]);
  const zpF = g.op("Cast", [zpD], [int("to", DataType.FLOAT)]);
  const v = g.op("Clip", [g.op("Mul", [x, g.op("Reciprocal", [scale])]), g.op("Neg", [zpF]), g.op("Sub", [g.constFloat(127), zpF])]);
  return { q: g.op("QuantizeLinear", [v, g.constFloat(1), zp]), zp, scale };
}

/** y = Cast(acc)·(input scale·weight_scale) + bias, each per output channel laid along `channelShape`, Relu when fused. */
function dequantizeOutput(c: OpContext, acc: string, inputScale: string, channelShape: number[]): string {
  const { g } = c;
  const perChannel = (v: string) => (channelShape.length === 1 ? v : g.op("Reshape", [v, g.constInts(channelShape)]));
  let y = g.op("Mul", [g.op("Cast", [acc], [int("to", DataType.FLOAT)]), perChannel(g.op("Mul", [inputScale, c.ins[2]]))]);
  if (c.inputs[3]) y = g.op("Add", [y, perChannel(c.ins[3])]);
  return c.attrs.relu ? g.op("Relu", [y]) : y;
}

const converters: Record<string, Converter> = {
  quantizedLinear: (c) => {
    const { g } = c;
    const { q, zp, scale } = quantizeInput(c);
    const acc = g.op("MatMulInteger", [q, g.op("Transpose", [g.retype(c.ins[1], DataType.INT8)]), zp]);
    finish(c, "Identity", [dequantizeOutput(c, acc, scale, [c.inputs[1]!.shape[0]])]);
  },
  quantizedConv2d: (c) => {
    const { g } = c;
    const { strides, pads, dilations, groups } = c.attrs as { strides: number[]; pads: number[]; dilations: number[]; groups: number };
    const w = c.inputs[1]!;
    const unbatched = c.inputs[0]!.ndim === 3;
    const batchAxis = g.constInts([0]);
    if (unbatched) c = { ...c, ins: [g.op("Unsqueeze", [c.ins[0], batchAxis]), ...c.ins.slice(1)] };
    const { q, zp, scale } = quantizeInput(c);
    const acc = g.op("ConvInteger", [q, g.retype(c.ins[1], DataType.INT8), zp], [
      ints("kernel_shape", w.shape.slice(2)), ints("strides", strides), ints("pads", pads), ints("dilations", dilations), int("group", groups),
    ]);
    const y = dequantizeOutput(c, acc, scale, [w.shape[0], 1, 1]);
    finish(c, unbatched ? "Squeeze" : "Identity", unbatched ? [y, batchAxis] : [y]);
  },
  unary: (c) => {
    const { op, p0, p1 } = c.attrs as { op: string; p0: number; p1: number };
    const convert = unary[op];
    if (!convert) throw new Error(`the elementwise op ${op} has no ONNX export`);
    finish(c, "Identity", [convert(c, c.ins[0], p0, p1)]);
  },
  binary: (c) => {
    const op = c.attrs.op as string;
    if (BINARY[op]) return finish(c, BINARY[op], c.ins);
    const cmp = c.g.op(COMPARE[op], c.ins);
    finish(c, "Cast", [op === "ne" ? c.g.op("Not", [cmp]) : cmp], [int("to", DataType.FLOAT)]);
  },
  where: (c) => finish(c, "Where", [c.g.op("Cast", [c.ins[0]], [int("to", DataType.BOOL)]), c.ins[1], c.ins[2]]),
  reshape: (c) => finish(c, "Reshape", [c.ins[0], c.g.constInts(reshapeTarget(c.inputs[0]!.shape, c.outputs[0].shape))]),
  identity: (c) => finish(c, "Identity", [c.ins[0]]),
  cast: (c) => finish(c, "Cast", [c.ins[0]], [int("to", c.attrs.dtype === "float32" ? DataType.FLOAT : DataType.INT32)]),
  permute: (c) => finish(c, "Transpose", [c.ins[0]], [ints("perm", c.attrs.dims as number[])]),
  slice: (c) => {
    const { dim, start, end, step } = c.attrs as { dim: number; start: number; end: number; step: number };
    finish(c, "Slice", [c.ins[0], c.g.constInts([start]), c.g.constInts([end]), c.g.constInts([dim]), c.g.constInts([step])]);
  },
  cat: (c) => finish(c, "Concat", c.ins, [int("axis", c.attrs.dim as number)]),
  pad: (c) => {
    const { before, after, value } = c.attrs as { before: number[]; after: number[]; value: number };
    finish(c, "Pad", [c.ins[0], c.g.constInts([...before, ...after]), c.g.constFloat(value)], [str("mode", "constant")]);
  },
  expand: (c) => finish(c, "Expand", [c.ins[0], c.g.constInts(c.outputs[0].shape)]),
  matmul: (c) => finish(c, "MatMul", c.ins),
  linear: (c) => {
    const { g } = c;
    const [x, w, b] = c.ins;
    const relu = c.attrs.relu as boolean;
    const y = c.inputs[0]!.ndim === 2
      ? g.op("Gemm", [x, w, b], [int("transB", 1)])
      : b ? g.op("Add", [g.op("MatMul", [x, g.op("Transpose", [w])]), b]) : g.op("MatMul", [x, g.op("Transpose", [w])]);
    finish(c, relu ? "Relu" : "Identity", [y]);
  },
  sum: (c) => {
    const dims = c.attrs.dims as number[];
    if (dims.length === 0) return finish(c, "Identity", [c.ins[0]]);
    finish(c, "ReduceSum", [c.ins[0], c.g.constInts(dims)], [int("keepdims", c.attrs.keepdim ? 1 : 0)]);
  },
  softmax: (c) => finish(c, c.attrs.log ? "LogSoftmax" : "Softmax", [c.ins[0]], [int("axis", c.attrs.dim as number)]),
  conv2d: (c) => {
    const { strides, pads, dilations, groups, relu } = c.attrs as { strides: number[]; pads: number[]; dilations: number[]; groups: number; relu: boolean };
    const w = c.inputs[1]!;
    const y = c.g.op("Conv", c.ins, [ints("kernel_shape", w.shape.slice(2)), ints("strides", strides), ints("pads", pads), ints("dilations", dilations), int("group", groups)]);
    finish(c, relu ? "Relu" : "Identity", [y]);
  },
  convTranspose2d: (c) => {
    const { strides, pads, outputPadding, dilations, groups } = c.attrs as Record<string, number[]> & { groups: number };
    finish(c, "ConvTranspose", c.ins, [
      ints("kernel_shape", c.inputs[1]!.shape.slice(2)), ints("strides", strides), ints("pads", pads), ints("output_padding", outputPadding),
      ints("dilations", dilations), int("group", groups),
    ]);
  },
  maxPool2d: (c) => {
    const { kernel, strides, pads, dilations, ceilMode } = c.attrs as { kernel: number[]; strides: number[]; pads: number[]; dilations: number[]; ceilMode: boolean };
    pool4d(c, "MaxPool", [ints("kernel_shape", kernel), ints("strides", strides), ints("pads", pads), ints("dilations", dilations), int("ceil_mode", +ceilMode)]);
  },
  avgPool2d: (c) => {
    const { kernel, strides, pads, ceilMode, countIncludePad, divisorOverride } = c.attrs as {
      kernel: number[]; strides: number[]; pads: number[]; ceilMode: boolean; countIncludePad: boolean; divisorOverride: number | null;
    };
    if (divisorOverride !== null) throw new Error("avgPool2d with divisorOverride has no ONNX export");
    pool4d(c, "AveragePool", [ints("kernel_shape", kernel), ints("strides", strides), ints("pads", pads), int("ceil_mode", +ceilMode), int("count_include_pad", +countIncludePad)]);
  },
  adaptiveAvgPool2d: (c) => {
    const [oh, ow] = c.attrs.outputSize as number[];
    const [H, W] = c.inputs[0]!.shape.slice(-2);
    if (oh === 1 && ow === 1) return pool4d(c, "GlobalAveragePool", []);
    if (H % oh !== 0 || W % ow !== 0) throw new Error(`adaptiveAvgPool2d from ${H}x${W} to ${oh}x${ow} (overlapping windows) has no ONNX export`);
    pool4d(c, "AveragePool", [ints("kernel_shape", [H / oh, W / ow]), ints("strides", [H / oh, W / ow])]);
  },
  globalAvgPool2d: (c) => {
    const x = c.inputs[0]!;
    const pooled = x.ndim === 4 ? c.g.op("GlobalAveragePool", [c.ins[0]]) : c.g.op("Squeeze", [c.g.op("GlobalAveragePool", [c.g.op("Unsqueeze", [c.ins[0], c.g.constInts([0])])]), c.g.constInts([0])]);
    finish(c, "Squeeze", [pooled, c.g.constInts([-2, -1])]);
  },
  batchNorm: (c) => {
    if (c.attrs.training) throw new Error("batchNorm in training mode (batch statistics) has no ONNX inference export: call model.eval() or pass training: false");
    const [x, mean, variance, w, b] = c.ins;
    const C = c.inputs[0]!.shape[1];
    finish(c, "BatchNormalization", [x, w || c.g.constFloat(new Float32Array(C).fill(1), [C]), b || c.g.constFloat(new Float32Array(C), [C]), mean, variance], [float("epsilon", c.attrs.eps as number)]);
  },
  layerNorm: (c) => {
    const axis = c.attrs.axis as number;
    const shape = c.inputs[0]!.shape.slice(axis), size = shape.reduce((a, b) => a * b, 1);
    const [x, w, b] = c.ins;
    finish(c, "LayerNormalization", [x, w || c.g.constFloat(new Float32Array(size).fill(1), shape), b], [int("axis", axis), float("epsilon", c.attrs.eps as number)]);
  },
  groupNorm: (c) => {
    const { groups, eps } = c.attrs as { groups: number; eps: number };
    const { g } = c;
    const x = c.inputs[0]!, C = x.shape[1];
    const [xin, w, b] = c.ins;
    const affineShape = [C, ...x.shape.slice(2).map(() => 1)];
    const scale = w ? g.op("Reshape", [w, g.constInts(affineShape)]) : "";
    const shift = b ? g.op("Reshape", [b, g.constInts(affineShape)]) : "";
    // Native from opset 21 (18's version had per-group scales); below, normalise [N, G, C/G·L] rows.
    let y: string;
    if (g.opset >= 21 && w && b) {
      return finish(c, "GroupNormalization", [xin, w, b], [int("num_groups", groups), float("epsilon", eps)]);
    } else {
      // ReduceMean takes its axes as an input from opset 18, as an attribute before.
      const meanOverRows = (v: string) => (g.opset >= 18 ? g.op("ReduceMean", [v, g.constInts([2])], [int("keepdims", 1)]) : g.op("ReduceMean", [v], [ints("axes", [2]), int("keepdims", 1)]));
      const rows = g.op("Reshape", [xin, g.constInts([0, groups, -1])]);
      const centred = g.op("Sub", [rows, meanOverRows(rows)]);
      const variance = meanOverRows(g.op("Mul", [centred, centred]));
      const normed = g.op("Div", [centred, g.op("Sqrt", [g.op("Add", [variance, g.constFloat(eps)])])]);
      y = g.op("Reshape", [normed, g.op("Shape", [xin])]);
    }
    if (scale) y = g.op("Mul", [y, scale]);
    if (shift) y = g.op("Add", [y, shift]);
    finish(c, "Identity", [y]);
  },
  embedding: (c) => finish(c, "Gather", c.ins, [int("axis", 0)]),
  prelu: (c) => {
    const x = c.inputs[0]!, C = c.inputs[1]!.shape[0];
    const slope = C === 1 ? c.ins[1] : c.g.op("Reshape", [c.ins[1], c.g.constInts([C, ...x.shape.slice(2).map(() => 1)])]);
    finish(c, "PRelu", [c.ins[0], slope]);
  },
  attentionWeights: (c) => {
    const { g } = c;
    const [q, k, bias] = c.ins;
    const rank = c.inputs[1]!.ndim;
    const perm = [...Array(rank).keys()];
    [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
    let scores = g.op("Mul", [g.op("MatMul", [q, g.op("Transpose", [k], [ints("perm", perm)])]), g.constFloat(c.attrs.scale as number)]);
    if (bias) scores = g.op("Add", [scores, bias]);
    finish(c, "Softmax", [scores], [int("axis", -1)]);
  },
  rnnLayer: (c) => {
    const { kind, nonlinearity, reverse } = c.attrs as { kind: string; nonlinearity: string; reverse: boolean };
    const { g } = c;
    const [x, wih, whh, bih, bhh, h0, c0, lengths] = c.ins;
    const H = c.inputs[2]!.shape[1];
    const order = GATE_ORDER[kind];
    const first = g.constInts([0]);
    const stacked = (w: string) => g.op("Unsqueeze", [gateBlocks(g, w, H, order), first]);
    const zeros = (t: Tensor) => g.constFloat(new Float32Array(t.size), [...t.shape]);
    const B = bih || bhh ? g.op("Unsqueeze", [g.op("Concat", [
      bih ? gateBlocks(g, bih, H, order) : zeros(c.inputs[3] ?? c.inputs[4]!), bhh ? gateBlocks(g, bhh, H, order) : zeros(c.inputs[4] ?? c.inputs[3]!),
    ], [int("axis", 0)]), first]) : "";
    const states = [h0, c0].map((s) => (s ? g.op("Unsqueeze", [s, first]) : ""));
    const attributes = [int("hidden_size", H), str("direction", reverse ? "reverse" : "forward")];
    if (kind === "gru") attributes.push(int("linear_before_reset", 1));
    if (kind === "rnn") attributes.push(strs("activations", [nonlinearity === "relu" ? "Relu" : "Tanh"]));
    const opType = kind === "lstm" ? "LSTM" : kind === "gru" ? "GRU" : "RNN";
    const inputs = [x, stacked(wih), stacked(whh), B, lengths, states[0], ...(kind === "lstm" ? [states[1]] : [])];
    const outs = g.node(opType, inputs, attributes, kind === "lstm" ? 3 : 2);
    finish(c, "Squeeze", [outs[0], g.constInts([1])]);
    g.op("Squeeze", [outs[1], first], [], c.outs[1]);
    if (kind === "lstm") g.op("Squeeze", [outs[2], first], [], c.outs[2]);
  },
};

/** The tensors of a forward's result (a tensor, a tuple or an object of them, nested), in order; nulls are left out. */
function flattenOutputs(out: unknown, into: Tensor[] = []): Tensor[] {
  if (out === null || out === undefined) return into; // an absent output (attention weights not asked for), as torch.onnx drops None
  if (out instanceof Tensor) into.push(out);
  else if (Array.isArray(out)) for (const o of out) flattenOutputs(o, into);
  else if (out && typeof out === "object") for (const o of Object.values(out)) flattenOutputs(o, into);
  else throw new Error(`exportOnnx: the forward pass returned a ${typeof out}, not tensors`);
  return into;
}

function dynamicDims(name: string, shape: readonly number[], axes: ExportOnnxOptions["dynamicAxes"]): Dim[] {
  const spec = axes?.[name];
  const named = new Map<number, string>();
  if (Array.isArray(spec)) for (const a of spec) named.set(a, `${name}_dim${a}`);
  else if (spec) for (const [a, n] of Object.entries(spec)) named.set(Number(a), n as string);
  for (const a of named.keys()) {
    if (!Number.isInteger(a) || a < 0 || a >= shape.length) throw new Error(`exportOnnx: dynamicAxes of ${name}: axis ${a} is not an axis of its shape [${shape.join(", ")}]`);
  }
  return shape.map((d, i) => named.get(i) ?? d);
}

/**
 * The model as an ONNX file, by tracing model.forward(...exampleInputs) in evaluation mode (the
 * training flags are restored afterwards). Parameters and buffers become initializers named by
 * their state-dict keys. An op without an ONNX form is an error naming it.
 *
 * Quantized models (quantize, quantizeDynamic) export with ONNX's integer ops — QuantizeLinear to
 * uint8, MatMulInteger (Linear) / ConvInteger (Conv2d) on int8 weights, then a float32 multiply by
 * the per-channel scales and the bias — which compute the same codes and int32 sums as simdgrad's
 * kernels, so ONNX Runtime gives the same outputs to float rounding (see the quantized layers'
 * converters below for the form and why not QDQ or DynamicQuantizeLinear). Weights are int8
 * initializers under their state-dict keys.
 */
export function exportOnnx(model: Module<unknown>, exampleInputs: Tensor | readonly Tensor[], options: ExportOnnxOptions = {}): Uint8Array {
  for (const k of Object.keys(options)) {
    if (!OPTION_NAMES.includes(k)) throw new Error(`exportOnnx: unknown option ${k} (expected one of ${OPTION_NAMES.join(", ")})`);
  }
  const { opset = MIN_OPSET, dynamicAxes } = options;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) throw new Error(`exportOnnx: opset ${opset} is not supported (${MIN_OPSET} to ${MAX_OPSET})`);
  const inputs = exampleInputs instanceof Tensor ? [exampleInputs] : [...exampleInputs];
  for (const [i, x] of inputs.entries()) {
    if (!(x instanceof Tensor)) throw new Error(`exportOnnx: example input ${i} is not a Tensor`);
    if (x.isDisposed) throw new Error(`exportOnnx: example input ${i} ${shapeOf(x)} was disposed`);
  }
  const defaultNames = (base: string, n: number) => (n === 1 ? [base] : Array.from({ length: n }, (_, i) => `${base}_${i}`));
  const inputNames = options.inputNames ?? defaultNames("input", inputs.length);
  if (inputNames.length !== inputs.length) throw new Error(`exportOnnx: ${inputNames.length} inputNames for ${inputs.length} example inputs`);

  const paramNames = new Map<Tensor, string>();
  for (const [name, t] of [...model.namedParameters(), ...model.namedBuffers()]) if (!paramNames.has(t)) paramNames.set(t, name);
  const g = new GraphBuilder(opset, paramNames);
  // Float inputs require grad during the trace, so a tensor made from them by an op that reports
  // nothing has an autograd node naming that op (an error), never mistaken for a constant.
  const traceInputs = inputs.map((x) => (x.dtype === "float32" ? x.detach().setRequiresGrad(true) : x.detach()));
  traceInputs.forEach((x, i) => {
    g.fresh(inputNames[i]);
    g.bind(x, inputNames[i]);
  });

  const modes = model.modules().map((m) => [m, m.training] as const);
  model.eval();
  let outputs: Tensor[];
  try {
    outputs = withTracer({
      op(op, ins, outs, attrs) {
        const names = ins.map((t) => (t ? g.valueOf(t) : ""));
        const outNames = outs.map((t) => g.fresh(op));
        const convert = converters[op];
        try {
          if (!convert) throw new Error(`the op ${op} has no ONNX export`);
          convert({ g, ins: names, inputs: ins, outs: outNames, outputs: outs, attrs });
        } catch (e) {
          for (const n of outNames) g.broken.set(n, (e as Error).message);
        }
        outs.forEach((t, k) => g.bind(t, outNames[k]));
      },
    }, () => enableGrad(() => flattenOutputs((model.forward as (...xs: Tensor[]) => unknown)(...traceInputs))));
  } finally {
    for (const [m, training] of modes) m.training = training;
  }

  const outputNames = options.outputNames ?? defaultNames("output", outputs.length);
  if (outputNames.length !== outputs.length) throw new Error(`exportOnnx: ${outputNames.length} outputNames for ${outputs.length} outputs`);
  // Each output gets its own name: an Identity from the value that holds it.
  outputs.forEach((t, k) => {
    const value = g.valueOf(t);
    g.fresh(outputNames[k]);
    g.op("Identity", [value], [], outputNames[k]);
  });
  const graph = pruned(g, outputNames);
  const info = (name: string, t: Tensor): ValueInfoProto => ({ name, elemType: elemType(t), shape: dynamicDims(name, t.shape, dynamicAxes) });
  for (const name of Object.keys(dynamicAxes ?? {})) {
    if (!inputNames.includes(name) && !outputNames.includes(name)) throw new Error(`exportOnnx: dynamicAxes names ${name}, which is neither an input nor an output`);
  }
  for (const t of outputs) t.dispose();
  return encodeModel({
    irVersion: opset >= 21 ? 10 : opset >= 19 ? 9 : 8,
    opsetImports: [{ domain: "", version: opset }],
    producerName: "simdgrad",
    producerVersion: "0.1.0",
    graph: {
      name: model.constructor.name,
      nodes: graph.nodes,
      initializers: graph.initializers,
      inputs: traceInputs.map((x, i) => info(inputNames[i], x)),
      outputs: outputs.map((t, k) => info(outputNames[k], t)),
      valueInfo: [],
    },
  });
}

/** The nodes and initializers the outputs depend on; an error if they depend on a broken value. */
function pruned(g: GraphBuilder, outputs: string[]): { nodes: NodeProto[]; initializers: TensorProto[] } {
  const needed = new Set(outputs);
  const nodes: NodeProto[] = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (!n.outputs.some((o) => needed.has(o))) continue;
    nodes.push(n);
    for (const o of n.outputs) needed.delete(o);
    for (const x of n.inputs) if (x) needed.add(x);
  }
  for (const name of needed) {
    const why = g.broken.get(name);
    if (why) throw new Error(`exportOnnx: ${why}`);
  }
  return { nodes: nodes.reverse(), initializers: [...g.initializers.values()].filter((t) => needed.has(t.name)) };
}

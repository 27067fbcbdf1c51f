// Quantized layers for int8 inference (torch.ao.nn.quantized.Linear and Conv2d, and
// torch.ao.nn.quantized.dynamic.Linear), made by quantization.convert / quantizeDynamic from
// float layers, or built empty to load a quantized state dict into. Their state is buffers, not
// parameters: `weight` holds the int8 codes (an int32 tensor saved as I8), `weight_scale` one
// float32 scale per output channel, `bias` float32, and for the static layers `input_scale` and
// `input_zero_point`, the calibrated quantization of their input. The kernels' packed copy of the
// weights is rebuilt whenever one of these tensors changes (loadStateDict, an in-place write).
// They run inference only: forward in training mode, or on an input that needs a gradient, is an
// error naming the layer. Each forward reports itself to the tracer (src/trace.ts) with its state
// tensors, so simdgrad/onnx can export it (onnx/export.ts writes the integer ONNX ops).
import { Tensor, shapeToString } from "../tensor.js";
import { Module, buffer, reprBool, reprFloat, type Epilogue as Activation } from "./module.js";
import { Linear } from "./linear.js";
import { Conv2d, reprTuple } from "./conv.js";
import { readArgs, kinds, type Args } from "../ops/args.js";
import { batched, conv2dGeometry, type Size2 } from "../ops/conv.js";
import { checkFloat, pair } from "../ops/checks.js";
import {
  Epilogue, PackedWeights, activationQParams, quantizeWeight, quantizedConv2d, quantizedLinear, valueRange, type ActivationQParams,
} from "../ops/quantized.js";
import { saveAsInt8 } from "../io/state.js";
import { winogradApplies, type WeightLayout } from "../backend/qgemm.js";
import { isTracing, traced, type TraceAttrs } from "../trace.js";

interface Packed {
  weights: PackedWeights;
  epilogue: Epilogue;
  /** Copies of weight_scale and bias, for refilling the epilogue. */
  scales: Float32Array;
  bias: Float32Array | null;
  versions: number[];
}

/** What the quantized layers share: the state buffers, the packed cache, the inference-only checks. */
abstract class QuantizedModule extends Module {
  /** The int8 weight values (a buffer: int32 in memory, saved as I8), quantized symmetrically per output channel. */
  readonly weight: Tensor;
  /** The float32 scale of each output channel's weights (a buffer). */
  readonly weight_scale: Tensor;
  /** The float32 bias [outFeatures] (or [Cout]), or null. */
  readonly bias: Tensor | null;
  private packed: Packed | null = null;

  constructor(weightShape: number[], bias: boolean) {
    super();
    const name = this.constructor.name;
    this.weight = buffer(saveAsInt8(Tensor.empty(weightShape, "int32", `${name} weight`).zero_()));
    this.weight_scale = buffer(Tensor.empty([weightShape[0]], "float32", `${name} weight_scale`).fill_(1));
    this.bias = bias ? buffer(Tensor.empty([weightShape[0]], "float32", `${name} bias`).zero_()) : null;
  }

  /** Copies a float layer's weight (quantized per output channel) and bias into this layer. */
  protected copyFrom(weight: Tensor, bias: Tensor | null): void {
    const { codes, scales } = quantizeWeight(this.constructor.name, weight);
    try {
      this.weight.copy_(codes);
      this.weight_scale.copy_(scales);
      if (bias) this.bias!.copy_(bias);
    } finally {
      codes.dispose();
      scales.dispose();
    }
  }

  /** The number of channel groups the weight is packed in (1 but for grouped convolutions). @internal */
  protected groups(): number {
    return 1;
  }

  /** How the kernels want the weights: panels for a Linear, rows for a convolution (backend/qgemm.ts). */
  protected layout(): WeightLayout {
    return "panels";
  }

  /** The tensors the packed cache is derived from (a change to any one rebuilds it). */
  private sources(): Tensor[] {
    const extra = this.inputQParamTensors();
    return [this.weight, this.weight_scale, ...(this.bias ? [this.bias] : []), ...extra];
  }

  /** The static layers' input_scale and input_zero_point (none for dynamic quantization). */
  protected inputQParamTensors(): Tensor[] {
    return [];
  }

  /** The input quantization the packed epilogue was built for (dynamic layers refill it per call). */
  protected abstract builtForInput(): ActivationQParams;

  /** The weights in the kernels' layout and the epilogue for builtForInput(), rebuilt when the state changed. */
  protected current(): Packed {
    const versions = this.sources().map((t) => t.version);
    const p = this.packed;
    if (p && p.versions.every((v, i) => v === versions[i])) return p;
    const name = this.constructor.name;
    const scales = this.weight_scale.float32Data(), bias = this.bias?.float32Data() ?? null;
    const weights = new PackedWeights(name, this.weight.int32Data(), this.weight.shape[0], this.groups(), this.layout());
    let epilogue: Epilogue;
    try {
      epilogue = new Epilogue(weights, scales, bias, this.builtForInput());
    } catch (e) {
      weights.dispose();
      throw e;
    }
    this.releasePacked();
    return (this.packed = { weights, epilogue, scales, bias, versions });
  }

  /** Re-packs the kernel's epilogue (scales and bias) after the state changed. @internal */
  protected refillEpilogue(p: Packed, input: ActivationQParams): void {
    p.epilogue.fill(p.weights, p.scales, p.bias, input);
  }

  private releasePacked(): void {
    this.packed?.weights.dispose();
    this.packed?.epilogue.dispose();
    this.packed = null;
  }

  forward(x: Tensor): Tensor {
    return this.runChecked(x, false);
  }

  override forwardFused(x: Tensor, activation: Activation): Tensor {
    return this.runChecked(x, activation === "relu");
  }

  /** The layer's op on x (relu: with the fused ReLU). */
  protected abstract run(x: Tensor, relu: boolean): Tensor;

  /** The op the layer reports to the tracer, and its settings beyond the state tensors and relu. */
  protected abstract traceOp(x: Tensor): [op: string, attrs: TraceAttrs];

  // Quantized layers run inference only.
  private runChecked(x: Tensor, relu: boolean): Tensor {
    if (this.training) {
      throw new Error(`${this.constructor.name}: a quantized layer runs inference only and cannot be trained; call model.eval() before running it`);
    }
    const y = this.run(x, relu);
    if (!isTracing()) return y;
    const [op, attrs] = this.traceOp(x);
    // The input quantization's tensors are absent (null) for a dynamic layer: each batch brings its own.
    const [inputScale = null, inputZeroPoint = null] = this.inputQParamTensors();
    return traced(op, [x, this.weight, this.weight_scale, this.bias, inputScale, inputZeroPoint], y, { ...attrs, relu });
  }

  override dispose(): void {
    this.releasePacked();
    super.dispose();
  }
}

/** The static layers: their input's calibrated quantization is state too (input_scale, input_zero_point). */
abstract class StaticQuantizedModule extends QuantizedModule {
  /** The scale of the input's int8 quantization (a buffer, from calibration). */
  readonly input_scale: Tensor;
  /** The zero point of the input's int8 quantization (a buffer, int32, from calibration). */
  readonly input_zero_point: Tensor;

  constructor(weightShape: number[], bias: boolean) {
    super(weightShape, bias);
    const name = this.constructor.name;
    this.input_scale = buffer(Tensor.empty([], "float32", `${name} input_scale`).fill_(1));
    this.input_zero_point = buffer(Tensor.empty([], "int32", `${name} input_zero_point`).zero_());
  }

  /** Fills this layer from a float layer's weight and bias and the observed input quantization. */
  protected fill(weight: Tensor, bias: Tensor | null, input: ActivationQParams): this {
    try {
      this.copyFrom(weight, bias);
      this.input_scale.fill_(input.scale);
      this.input_zero_point.fill_(input.zeroPoint);
    } catch (e) {
      this.dispose();
      throw e;
    }
    return this.eval();
  }

  protected override inputQParamTensors(): Tensor[] {
    return [this.input_scale, this.input_zero_point];
  }

  protected builtForInput(): ActivationQParams {
    const name = this.constructor.name;
    const s = this.input_scale.float32Data()[0], zp = this.input_zero_point.int32Data()[0];
    if (!(s > 0 && Number.isFinite(s))) throw new Error(`${name}: input_scale must be a positive finite number, got ${s}`);
    if (!(zp >= 0 && zp <= 127)) throw new Error(`${name}: input_zero_point must be in [0, 127] (7-bit activations), got ${zp}`);
    return { scale: s, zeroPoint: zp };
  }
}

function checkLinearArgs(name: string, inFeatures: number, outFeatures: number, args: unknown[]): boolean {
  const { bias = true } = readArgs<{ bias?: boolean }>(name, [inFeatures, outFeatures, ...args],
    { inFeatures: kinds.nonNegativeInt, outFeatures: kinds.nonNegativeInt, bias: kinds.bool }, {}, ["inFeatures", "outFeatures"]);
  return bias;
}

/** torch.ao.nn.quantized.Linear: int8 weights, the input quantized with its calibrated scale and zero point. */
export class QuantizedLinear extends StaticQuantizedModule {
  /**
   * PyTorch's order: (inFeatures, outFeatures, bias). The state starts empty: load it or use fromFloat.
   * @param inFeatures The input features: x is [..., inFeatures].
   * @param outFeatures The output features.
   */
  constructor(readonly inFeatures: number, readonly outFeatures: number, ...args: Args<[bias: boolean], { bias?: boolean }>) {
    const bias = checkLinearArgs("QuantizedLinear", inFeatures, outFeatures, args);
    super([outFeatures, inFeatures], bias);
  }

  /** The quantized copy of a float Linear whose input is quantized with `input` (from an observer). */
  static fromFloat(linear: Linear, input: ActivationQParams): QuantizedLinear {
    return new QuantizedLinear(linear.inFeatures, linear.outFeatures, linear.bias !== null).fill(linear.weight, linear.bias, input);
  }

  protected run(x: Tensor, relu: boolean): Tensor {
    const p = this.current();
    return quantizedLinear("QuantizedLinear", x, p.weights, p.epilogue, this.builtForInput(), relu);
  }

  protected traceOp(): [string, TraceAttrs] {
    return ["quantizedLinear", {}];
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, input_scale=${reprFloat(this.input_scale.float32Data()[0])}, ` +
      `input_zero_point=${this.input_zero_point.int32Data()[0]}, qscheme=per_channel_symmetric, bias=${reprBool(this.bias !== null)}`;
  }
}

/**
 * torch.ao.nn.quantized.dynamic.Linear: int8 weights; each batch's input is quantized with the
 * scale and zero point of its own range (no calibration).
 */
export class DynamicQuantizedLinear extends QuantizedModule {
  private lastInput: ActivationQParams = { scale: 1, zeroPoint: 0 };

  /**
   * PyTorch's order: (inFeatures, outFeatures, bias). The state starts empty: load it or use fromFloat.
   * @param inFeatures The input features: x is [..., inFeatures].
   * @param outFeatures The output features.
   */
  constructor(readonly inFeatures: number, readonly outFeatures: number, ...args: Args<[bias: boolean], { bias?: boolean }>) {
    const bias = checkLinearArgs("DynamicQuantizedLinear", inFeatures, outFeatures, args);
    super([outFeatures, inFeatures], bias);
  }

  /**
   * The dynamically quantized copy of a float Linear: weights quantized per output channel now, inputs per
   * call (torch.ao.quantization.quantize_dynamic).
   */
  static fromFloat(linear: Linear): DynamicQuantizedLinear {
    const q = new DynamicQuantizedLinear(linear.inFeatures, linear.outFeatures, linear.bias !== null);
    try {
      q.copyFrom(linear.weight, linear.bias);
    } catch (e) {
      q.dispose();
      throw e;
    }
    return q.eval();
  }

  protected builtForInput(): ActivationQParams {
    return this.lastInput;
  }

  protected run(x: Tensor, relu: boolean): Tensor {
    checkFloat("DynamicQuantizedLinear", x);
    const input = x.size > 0 ? activationQParams(...valueRange("DynamicQuantizedLinear", x)) : this.lastInput;
    const p = this.current();
    if (input.scale !== this.lastInput.scale || input.zeroPoint !== this.lastInput.zeroPoint) {
      this.refillEpilogue(p, input);
      this.lastInput = input;
    }
    return quantizedLinear("DynamicQuantizedLinear", x, p.weights, p.epilogue, input, relu);
  }

  protected traceOp(): [string, TraceAttrs] {
    return ["quantizedLinear", {}];
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, dtype=qint8, qscheme=per_channel_symmetric, bias=${reprBool(this.bias !== null)}`;
  }
}

/** The options of QuantizedConv2d, as Conv2d's. */
export interface QuantizedConv2dOptions {
  /** The step between windows (default 1). */
  stride?: Size2;
  /** Zero padding on each side, or "same" / "valid" (default 0). */
  padding?: Size2 | "same" | "valid";
  /** The spacing between kernel taps (default 1). */
  dilation?: Size2;
  /** Channel groups (default 1). */
  groups?: number;
  /** Whether there is a bias (default true). */
  bias?: boolean;
}

/** torch.ao.nn.quantized.Conv2d: int8 weights [Cout, Cin/groups, kh, kw], the input quantized with its calibrated scale and zero point. */
export class QuantizedConv2d extends StaticQuantizedModule {
  /** The kernel size [kh, kw]. */
  readonly kernelSize: [number, number];
  /** The stride [sh, sw]. */
  readonly stride: [number, number];
  /** The padding [ph, pw], or "same" / "valid". */
  readonly padding: [number, number] | "same" | "valid";
  /** The dilation [dh, dw]. */
  readonly dilation: [number, number];
  /** The number of channel groups. */
  readonly groupCount: number;

  /**
   * PyTorch's order: (inChannels, outChannels, kernelSize, stride, padding, dilation, groups, bias). The state starts empty.
   * @param inChannels Cin, the input's channels.
   * @param outChannels Cout, the output's channels.
   */
  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Size2,
    ...args: Args<[stride: Size2, padding: Size2 | "same" | "valid", dilation: Size2, groups: number, bias: boolean], QuantizedConv2dOptions>) {
    const name = "QuantizedConv2d";
    const padKind = { expected: 'an integer, a pair of them, "same" or "valid"', test: (v: unknown) => v === "same" || v === "valid" || kinds.size.test(v) };
    const o = readArgs<QuantizedConv2dOptions & { kernelSize: Size2 }>(name, [inChannels, outChannels, kernelSize, ...args], {
      inChannels: kinds.positiveInt, outChannels: kinds.positiveInt, kernelSize: kinds.size, stride: kinds.size, padding: padKind,
      dilation: kinds.size, groups: kinds.positiveInt, bias: kinds.bool,
    }, {}, ["inChannels", "outChannels", "kernelSize"]);
    const { stride = 1, padding = 0, dilation = 1, groups = 1, bias = true } = o;
    if (inChannels % groups || outChannels % groups) {
      throw new Error(`${name}: in_channels (${inChannels}) and out_channels (${outChannels}) must both be divisible by groups (${groups})`);
    }
    const k = pair(name, "kernelSize", kernelSize, 1);
    super([outChannels, inChannels / groups, ...k], bias);
    this.kernelSize = k;
    this.stride = pair(name, "stride", stride, 1);
    this.padding = typeof padding === "string" ? padding : pair(name, "padding", padding, 0);
    this.dilation = pair(name, "dilation", dilation, 1);
    this.groupCount = groups;
  }

  /** The quantized copy of a float Conv2d whose input is quantized with `input` (from an observer). */
  static fromFloat(conv: Conv2d, input: ActivationQParams): QuantizedConv2d {
    return new QuantizedConv2d(conv.inChannels, conv.outChannels, conv.kernelSize as [number, number], {
      stride: conv.stride as [number, number], padding: typeof conv.padding === "string" ? conv.padding : (conv.padding as [number, number]),
      dilation: conv.dilation as [number, number], groups: conv.groups, bias: conv.bias !== null,
    }).fill(conv.weight, conv.bias, input);
  }

  /** The number of channel groups the weight is packed in. @internal */
  protected override groups(): number {
    return this.groupCount;
  }

  /** A convolution's weights are the rows of its product, or Winograd's transformed kernels where that applies. @internal */
  protected override layout(): WeightLayout {
    const winograd = winogradApplies(this.inChannels, this.outChannels, this.kernelSize, this.stride, this.dilation, this.groupCount);
    return winograd ? "winograd" : "rows";
  }

  protected run(x: Tensor, relu: boolean): Tensor {
    const name = "QuantizedConv2d";
    checkFloat(name, x);
    if (x.ndim !== 4 && x.ndim !== 3) throw new Error(`${name}: expected a 4-D input [N, C, H, W] (or 3-D unbatched), got ${shapeToString(x.shape)}`);
    return batched(x, 3, (xb) => {
      const g = conv2dGeometry(name, xb.shape, this.weight.shape, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groupCount });
      const p = this.current();
      return quantizedConv2d(name, xb, g, p.weights, p.epilogue, this.builtForInput(), relu);
    });
  }

  /** The convolution's settings, ONNX's way: pads [top, left, bottom, right], as the float conv2d reports them. */
  protected traceOp(x: Tensor): [string, TraceAttrs] {
    const xShape = x.ndim === 3 ? [1, ...x.shape] : x.shape;
    const g = conv2dGeometry("QuantizedConv2d", xShape, this.weight.shape, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groupCount });
    return ["quantizedConv2d", { strides: [g.sh, g.sw], pads: [g.pads[0], g.pads[2], g.pads[1], g.pads[3]], dilations: [g.dh, g.dw], groups: g.groups }];
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${reprTuple(this.kernelSize)}, stride=${reprTuple(this.stride)}`;
    if (typeof this.padding === "string") s += `, padding=${this.padding}`;
    else if (this.padding.some((p) => p !== 0)) s += `, padding=${reprTuple(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${reprTuple(this.dilation)}`;
    if (this.groupCount !== 1) s += `, groups=${this.groupCount}`;
    if (!this.bias) s += ", bias=False";
    return `${s}, input_scale=${reprFloat(this.input_scale.float32Data()[0])}, input_zero_point=${this.input_zero_point.int32Data()[0]}`;
  }
}

// Convolution layers: Conv1d, Conv2d and ConvTranspose2d, with PyTorch's weight layouts
// ([out, in/groups, k...] and, transposed, [in, out/groups, k...]), default init and repr.
import { Tensor } from "../tensor.js";
import { conv1d, conv2d, convTranspose2d, type Conv2dOptions, type Size2 } from "../ops/conv.js";
import { checkGroups, sizes } from "../ops/checks.js";
import type { Generator } from "../random.js";
import { readArgs, kinds, type Args, type Kind } from "../ops/args.js";
import { Module, parameter, type Epilogue } from "./module.js";
import { calculateFans, kaimingUniform_, uniform_ } from "./init.js";

/** A tuple as Python prints it: (5, 5), (3,). */
export function reprTuple(v: readonly number[]): string {
  return v.length === 1 ? `(${v[0]},)` : `(${v.join(", ")})`;
}

interface ConvConfig {
  kernelSize: number[];
  stride: number[];
  padding: number[] | "same" | "valid";
  dilation: number[];
  outputPadding: number[];
  groups: number;
  bias: boolean;
  transposed: boolean;
  generator?: Generator;
}

/** What every convolution layer shares: parameters, their init, the checks on channels and groups, the repr. */
abstract class ConvNd extends Module {
  /**
   * The weight [outChannels, inChannels/groups, ...kernelSize] ([inChannels, outChannels/groups, ...] when
   * transposed), Kaiming-uniform (a = √5) at init as in PyTorch.
   */
  readonly weight: Tensor;
  /** The bias [outChannels], uniform in ±1/√fanIn at init as in PyTorch; null with `bias: false`. */
  readonly bias: Tensor | null;
  /** The kernel size per dim. */
  readonly kernelSize: number[];
  /** The step between windows per dim. */
  readonly stride: number[];
  /** The zero padding per dim, or "same" / "valid". */
  readonly padding: number[] | "same" | "valid";
  /** The spacing between kernel taps per dim. */
  readonly dilation: number[];
  /** Extra output size on one side (transposed convolutions; zeros otherwise). */
  readonly outputPadding: number[];
  /** Channel groups: each group of inChannels/groups inputs feeds outChannels/groups outputs. */
  readonly groups: number;

  /**
   * @param inChannels Cin, the input's channels.
   * @param outChannels Cout, the output's channels.
   */
  constructor(readonly inChannels: number, readonly outChannels: number, c: ConvConfig) {
    super();
    const name = this.constructor.name;
    checkGroups(name, inChannels, outChannels, c.groups, ["in_channels", "out_channels"]);
    if (c.padding === "same" && c.stride.some((s) => s !== 1)) {
      throw new Error(`${name}: padding='same' is not supported for strided convolutions (stride ${reprTuple(c.stride)})`);
    }
    this.kernelSize = c.kernelSize;
    this.stride = c.stride;
    this.padding = c.padding;
    this.dilation = c.dilation;
    this.outputPadding = c.outputPadding;
    this.groups = c.groups;
    const shape = c.transposed ? [inChannels, outChannels / c.groups, ...c.kernelSize] : [outChannels, inChannels / c.groups, ...c.kernelSize];
    this.weight = parameter(Tensor.empty(shape, "float32", `${name} weight`));
    this.bias = c.bias ? parameter(Tensor.empty([outChannels], "float32", `${name} bias`)) : null;
    this.resetParameters(c.generator);
  }

  /** PyTorch's default: kaiming_uniform(a = √5) = U(±1/√fan_in) for the weight, U(±1/√fan_in) for the bias. */
  resetParameters(generator?: Generator): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5), generator });
    if (this.bias) {
      const [fanIn] = calculateFans(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform_(this.bias, -bound, bound, { generator });
    }
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${reprTuple(this.kernelSize)}, stride=${reprTuple(this.stride)}`;
    if (typeof this.padding === "string") s += `, padding=${this.padding}`;
    else if (this.padding.some((p) => p !== 0)) s += `, padding=${reprTuple(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${reprTuple(this.dilation)}`;
    if (this.outputPadding.some((p) => p !== 0)) s += `, output_padding=${reprTuple(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ", bias=False";
    return s;
  }
}

export interface Conv2dLayerOptions {
  stride?: Size2;
  padding?: Size2 | "same" | "valid";
  dilation?: Size2;
  groups?: number;
  bias?: boolean;
  /** Only "zeros". */
  paddingMode?: "zeros";
  generator?: Generator;
}

const convPadding: Kind = { expected: 'an integer, a tuple of them, "same" or "valid"', test: (v) => v === "same" || v === "valid" || kinds.size.test(v) };
const paddingMode = kinds.only("zeros", "reflect, replicate and circular padding are not implemented");

/** PyTorch's positional order of Conv1d and Conv2d (ConvTranspose2d's differs). */
const CONV_ARGS = {
  inChannels: kinds.positiveInt, outChannels: kinds.positiveInt, kernelSize: kinds.size, stride: kinds.size, padding: convPadding,
  dilation: kinds.size, groups: kinds.positiveInt, bias: kinds.bool, paddingMode,
};
const CONV_REQUIRED = ["inChannels", "outChannels", "kernelSize"];
type ConvArgs<S, O> = Args<[stride: S, padding: S | "same" | "valid", dilation: S, groups: number, bias: boolean, paddingMode: "zeros"], O>;

/** 2-D convolution over [N, Cin, H, W] (or [Cin, H, W]); weight [Cout, Cin/groups, kh, kw], bias [Cout]. */
export class Conv2d extends ConvNd {
  /** PyTorch's order: (inChannels, outChannels, kernelSize, stride, padding, dilation, groups, bias, paddingMode), then options. */
  constructor(inChannels: number, outChannels: number, kernelSize: Size2, ...args: ConvArgs<Size2, Conv2dLayerOptions>) {
    const o = readArgs<Conv2dLayerOptions>("Conv2d", [inChannels, outChannels, kernelSize, ...args], CONV_ARGS, { generator: kinds.generator }, CONV_REQUIRED);
    const { stride = 1, padding = 0, dilation = 1, groups = 1, bias = true, generator } = o;
    super(inChannels, outChannels, {
      kernelSize: sizes("Conv2d", "kernelSize", kernelSize, 2, 1), stride: sizes("Conv2d", "stride", stride, 2, 1),
      padding: typeof padding === "string" ? padding : sizes("Conv2d", "padding", padding, 2, 0),
      dilation: sizes("Conv2d", "dilation", dilation, 2, 1), outputPadding: [0, 0], groups, bias, transposed: false, generator,
    });
  }

  /**
   * The convolution of x [N, Cin, H, W] (or unbatched [Cin, H, W]) with this layer's weight and bias; returns
   * [N, Cout, Ho, Wo].
   */
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.options());
  }

  override forwardFused(x: Tensor, activation: Epilogue): Tensor {
    return conv2d(x, this.weight, this.bias, { ...this.options(), activation });
  }

  private options(): Conv2dOptions {
    const pad = this.padding;
    return {
      stride: this.stride as [number, number], padding: typeof pad === "string" ? pad : (pad as [number, number]),
      dilation: this.dilation as [number, number], groups: this.groups,
    };
  }
}

export interface Conv1dLayerOptions {
  stride?: number;
  padding?: number | "same" | "valid";
  dilation?: number;
  groups?: number;
  bias?: boolean;
  /** Only "zeros". */
  paddingMode?: "zeros";
  generator?: Generator;
}

/** 1-D convolution over [N, Cin, L] (or [Cin, L]); weight [Cout, Cin/groups, k], bias [Cout]. */
export class Conv1d extends ConvNd {
  /** PyTorch's order: (inChannels, outChannels, kernelSize, stride, padding, dilation, groups, bias, paddingMode), then options. */
  constructor(inChannels: number, outChannels: number, kernelSize: number, ...args: ConvArgs<number, Conv1dLayerOptions>) {
    const o = readArgs<Conv1dLayerOptions>("Conv1d", [inChannels, outChannels, kernelSize, ...args], CONV_ARGS, { generator: kinds.generator }, CONV_REQUIRED);
    const { stride = 1, padding = 0, dilation = 1, groups = 1, bias = true, generator } = o;
    super(inChannels, outChannels, {
      kernelSize: sizes("Conv1d", "kernelSize", kernelSize, 1, 1), stride: sizes("Conv1d", "stride", stride, 1, 1),
      padding: typeof padding === "string" ? padding : sizes("Conv1d", "padding", padding, 1, 0),
      dilation: sizes("Conv1d", "dilation", dilation, 1, 1), outputPadding: [0], groups, bias, transposed: false, generator,
    });
  }

  /** The convolution of x [N, Cin, L] (or unbatched [Cin, L]); returns [N, Cout, Lo]. */
  forward(x: Tensor): Tensor {
    const pad = this.padding;
    return conv1d(x, this.weight, this.bias, {
      stride: this.stride[0], padding: typeof pad === "string" ? pad : pad[0], dilation: this.dilation[0], groups: this.groups,
    });
  }
}

export interface ConvTranspose2dLayerOptions {
  stride?: Size2;
  padding?: Size2;
  outputPadding?: Size2;
  dilation?: Size2;
  groups?: number;
  bias?: boolean;
  /** Only "zeros". */
  paddingMode?: "zeros";
  generator?: Generator;
}

const CONV_TRANSPOSE_ARGS = {
  inChannels: kinds.positiveInt, outChannels: kinds.positiveInt, kernelSize: kinds.size, stride: kinds.size, padding: kinds.size,
  outputPadding: kinds.size, groups: kinds.positiveInt, bias: kinds.bool, dilation: kinds.size, paddingMode,
};

/**
 * Transposed 2-D convolution (the input gradient of a Conv2d), for decoders and upsampling;
 * weight [Cin, Cout/groups, kh, kw], Ho = (H − 1)·sh − 2ph + dh·(kh − 1) + oph + 1.
 */
export class ConvTranspose2d extends ConvNd {
  /** PyTorch's order: (inChannels, outChannels, kernelSize, stride, padding, outputPadding, groups, bias, dilation, paddingMode), then options. */
  constructor(inChannels: number, outChannels: number, kernelSize: Size2,
    ...args: Args<[stride: Size2, padding: Size2, outputPadding: Size2, groups: number, bias: boolean, dilation: Size2, paddingMode: "zeros"], ConvTranspose2dLayerOptions>) {
    const o = readArgs<ConvTranspose2dLayerOptions>("ConvTranspose2d", [inChannels, outChannels, kernelSize, ...args], CONV_TRANSPOSE_ARGS, { generator: kinds.generator }, CONV_REQUIRED);
    const { stride = 1, padding = 0, outputPadding = 0, dilation = 1, groups = 1, bias = true, generator } = o;
    super(inChannels, outChannels, {
      kernelSize: sizes("ConvTranspose2d", "kernelSize", kernelSize, 2, 1), stride: sizes("ConvTranspose2d", "stride", stride, 2, 1),
      padding: sizes("ConvTranspose2d", "padding", padding, 2, 0), dilation: sizes("ConvTranspose2d", "dilation", dilation, 2, 1),
      outputPadding: sizes("ConvTranspose2d", "outputPadding", outputPadding, 2, 0), groups, bias, transposed: true, generator,
    });
  }

  /**
   * The transposed convolution (the adjoint of Conv2d, upsampling) of x [N, Cin, H, W]; returns [N, Cout, Ho,
   * Wo] with Ho = (H − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1.
   */
  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias, {
      stride: this.stride as [number, number], padding: this.padding as [number, number],
      outputPadding: this.outputPadding as [number, number], dilation: this.dilation as [number, number], groups: this.groups,
    });
  }
}

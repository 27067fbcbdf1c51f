// Pooling and upsampling layers over [N, C, H, W] (or [C, H, W]): thin modules over src/ops/pool.ts,
// printed like PyTorch's (sizes shown as given: 2 or (2, 3)).
import { Tensor } from "../tensor.js";
import {
  maxPool2d, avgPool2d, adaptiveAvgPool2d, globalAvgPool2d, interpolate,
  type MaxPool2dOptions, type AvgPool2dOptions,
} from "../ops/pool.js";
import type { Size2 } from "../ops/conv.js";
import { readArgs, kinds, type Args } from "../ops/args.js";
import { Module, reprBool, reprFloat } from "./module.js";
import { reprTuple } from "./conv.js";

const reprSize = (v: Size2): string => (typeof v === "number" ? String(v) : reprTuple(v));

export interface MaxPool2dLayerOptions extends MaxPool2dOptions {
  /** Only false: nn.functional.maxPool2dWithIndices returns the indices. */
  returnIndices?: boolean;
}

const stride = kinds.orNull(kinds.size);

/**
 * torch.nn.MaxPool2d: the maximum of each kernelSize window of x [N, C, H, W]; the gradient goes to each
 * window's maximum.
 */
export class MaxPool2d extends Module {
  /** The window size [kh, kw]. */
  readonly kernelSize: Size2;
  /** The step between windows (defaults to the kernel size). */
  readonly stride: Size2;
  /** Implicit −∞ padding on each side. */
  readonly padding: Size2;
  /** The spacing between a window's elements. */
  readonly dilation: Size2;
  /** Round the output size up instead of down (windows may start in the right/bottom padding). */
  readonly ceilMode: boolean;

  /** PyTorch's order: (kernelSize, stride, padding, dilation, returnIndices, ceilMode), then options; stride defaults to the kernel size. */
  constructor(kernelSize: Size2, ...args: Args<[stride: Size2 | null, padding: Size2, dilation: Size2, returnIndices: boolean, ceilMode: boolean], MaxPool2dLayerOptions>) {
    super();
    const o = readArgs<MaxPool2dLayerOptions & { kernelSize: Size2 }>("MaxPool2d", [kernelSize, ...args], {
      kernelSize: kinds.size, stride, padding: kinds.size, dilation: kinds.size,
      returnIndices: kinds.only(false, "use nn.functional.maxPool2dWithIndices for the indices"), ceilMode: kinds.bool,
    }, {}, ["kernelSize"]);
    this.kernelSize = o.kernelSize;
    this.stride = o.stride ?? o.kernelSize;
    this.padding = o.padding ?? 0;
    this.dilation = o.dilation ?? 1;
    this.ceilMode = o.ceilMode ?? false;
  }

  /**
   * Max-pools x [N, C, H, W] (or [C, H, W]); returns [N, C, Ho, Wo] with Ho = ⌊(H + 2·padding − dilation·(k −
   * 1) − 1)/stride⌋ + 1.
   */
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode });
  }

  override extraRepr(): string {
    return `kernel_size=${reprSize(this.kernelSize)}, stride=${reprSize(this.stride)}, padding=${reprSize(this.padding)}, ` +
      `dilation=${reprSize(this.dilation)}, ceil_mode=${reprBool(this.ceilMode)}`;
  }
}

/** torch.nn.AvgPool2d: the mean of each kernelSize window of x [N, C, H, W]. */
export class AvgPool2d extends Module {
  /** The window size [kh, kw]. */
  readonly kernelSize: Size2;
  /** The step between windows (defaults to the kernel size). */
  readonly stride: Size2;
  /** padding, ceilMode, countIncludePad and divisorOverride, as in PyTorch. */
  readonly options: AvgPool2dOptions;

  /** PyTorch's order: (kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride), then options; stride defaults to the kernel size. */
  constructor(kernelSize: Size2,
    ...args: Args<[stride: Size2 | null, padding: Size2, ceilMode: boolean, countIncludePad: boolean, divisorOverride: number | null], AvgPool2dOptions>) {
    super();
    const { kernelSize: k, ...o } = readArgs<AvgPool2dOptions & { kernelSize: Size2 }>("AvgPool2d", [kernelSize, ...args], {
      kernelSize: kinds.size, stride, padding: kinds.size, ceilMode: kinds.bool, countIncludePad: kinds.bool,
      divisorOverride: kinds.orNull(kinds.positiveInt),
    }, {}, ["kernelSize"]);
    this.kernelSize = k;
    this.stride = o.stride ?? k;
    this.options = { ...o, stride: this.stride };
  }

  /** Average-pools x [N, C, H, W] (or [C, H, W]); returns [N, C, Ho, Wo]. */
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.options);
  }

  override extraRepr(): string {
    return `kernel_size=${reprSize(this.kernelSize)}, stride=${reprSize(this.stride)}, padding=${reprSize(this.options.padding ?? 0)}`;
  }
}

/** Average pooling to a fixed output size (null keeps that input size). */
export class AdaptiveAvgPool2d extends Module {
  /** The output size: one number for both dims, or [Ho, Wo] with null keeping that input size. */
  readonly outputSize: number | readonly [number | null, number | null];

  constructor(...args: Args<[outputSize: number | readonly [number | null, number | null]], { outputSize?: number | readonly [number | null, number | null] }>) {
    super();
    ({ outputSize: this.outputSize } = readArgs<{ outputSize: number | readonly [number | null, number | null] }>("AdaptiveAvgPool2d", args, { outputSize: kinds.any }, {}, ["outputSize"]));
  }

  /**
   * Average-pools x [N, C, H, W] to [N, C, Ho, Wo] with PyTorch's window bounds (⌊i·H/Ho⌋ to ⌈(i+1)·H/Ho⌉).
   */
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }

  override extraRepr(): string {
    const o = this.outputSize;
    return `output_size=${typeof o === "number" ? o : `(${o.map((v) => v ?? "None").join(", ")})`}`;
  }
}

/** Mean over each channel's plane: [N, C, H, W] -> [N, C] (a classifier head; Keras' GlobalAveragePooling2D). */
export class GlobalAvgPool2d extends Module {
  /** The mean of each channel's plane: [N, C, H, W] -> [N, C]. */
  forward(x: Tensor): Tensor {
    return globalAvgPool2d(x);
  }
}

export interface UpsampleOptions {
  size?: Size2 | null;
  scaleFactor?: number | readonly [number, number] | null;
  /** Only "nearest". */
  mode?: "nearest";
  alignCorners?: null;
  recomputeScaleFactor?: null;
}

/** Nearest-neighbour upsampling to `size` or by `scaleFactor` (torch.nn.Upsample, mode "nearest"). */
export class Upsample extends Module {
  /** The output size [Ho, Wo] (or one number), or null when scaleFactor is given. */
  readonly size: Size2 | null;
  /** The factor to scale H and W by (one or two numbers), or null when size is given. */
  readonly scaleFactor: number | readonly [number, number] | null;
  /** The interpolation mode: only "nearest". */
  readonly mode = "nearest" as const;

  /** PyTorch's order: (size, scaleFactor, mode, alignCorners, recomputeScaleFactor), then options. */
  constructor(...args: Args<[size: Size2 | null, scaleFactor: number | readonly [number, number] | null, mode: "nearest", alignCorners: null, recomputeScaleFactor: null], UpsampleOptions>) {
    super();
    const options = readArgs<UpsampleOptions>("Upsample", args, {
      size: kinds.orNull(kinds.size), scaleFactor: kinds.any, mode: kinds.only("nearest", "other modes are not implemented"),
      alignCorners: kinds.only(null, "only for the interpolating modes"), recomputeScaleFactor: kinds.only(null, "not implemented"),
    });
    if ((options.size == null) === (options.scaleFactor == null)) throw new Error("Upsample: give exactly one of size and scaleFactor");
    this.size = options.size ?? null;
    this.scaleFactor = options.scaleFactor ?? null;
  }

  /** Upsamples x [N, C, H, W] by nearest neighbour: out[i, j] = x[⌊i·H/Ho⌋, ⌊j·W/Wo⌋]. */
  forward(x: Tensor): Tensor {
    return interpolate(x, this.size !== null ? { size: this.size } : { scaleFactor: this.scaleFactor! });
  }

  override extraRepr(): string {
    const f = this.scaleFactor;
    const info = f !== null
      ? `scale_factor=${typeof f === "number" ? reprFloat(f) : `(${f.map(reprFloat).join(", ")})`}`
      : `size=${reprSize(this.size!)}`;
    return `${info}, mode='${this.mode}'`;
  }
}

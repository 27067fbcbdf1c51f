// A residual block (He et al. 2016, "Deep Residual Learning", the ResNet-18/34 basic block):
// relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), where the shortcut is x itself, or a 1x1
// strided convolution + batch norm when the channels or the resolution change. Skip connections
// need nothing special: the sum is ordinary autograd code. Key names match torchvision's
// BasicBlock (conv1, bn1, conv2, bn2, downsample.0, downsample.1).
import { Tensor } from "../tensor.js";
import { relu } from "../ops/elementwise.js";
import { add } from "../ops/binary.js";
import type { Generator } from "../random.js";
import { readArgs, kinds, type Args } from "../ops/args.js";
import { Module } from "./module.js";
import { Conv2d } from "./conv.js";
import { BatchNorm2d } from "./norm.js";
import { Sequential } from "./container.js";

/**
 * ResNet's basic block (He et al. 2016, torchvision's BasicBlock): two 3×3 convolutions with batch norm and
 * ReLU, plus a shortcut.
 */
export class ResidualBlock extends Module {
  /** The first 3×3 convolution (stride `stride`, no bias). */
  readonly conv1: Conv2d;
  /** Batch norm after conv1. */
  readonly bn1: BatchNorm2d;
  /** The second 3×3 convolution (stride 1, no bias). */
  readonly conv2: Conv2d;
  /** Batch norm after conv2. */
  readonly bn2: BatchNorm2d;
  /**
   * The shortcut: a 1×1 convolution with stride and a BatchNorm2d when the stride or the channel count
   * changes; null when the input is added as it is.
   */
  readonly downsample: Sequential | null;

  /**
   * A block from inChannels to outChannels; stride 2 halves the spatial size. PyTorch's order: (inChannels,
   * outChannels, stride), then options (generator for the init).
   * @param inChannels The input's channels.
   * @param outChannels The output's channels.
   */
  constructor(readonly inChannels: number, readonly outChannels: number, ...args: Args<[stride: number], { stride?: number; generator?: Generator }>) {
    super();
    const { stride = 1, generator } = readArgs<{ stride?: number; generator?: Generator }>("ResidualBlock", [inChannels, outChannels, ...args],
      { inChannels: kinds.positiveInt, outChannels: kinds.positiveInt, stride: kinds.positiveInt }, { generator: kinds.generator }, ["inChannels", "outChannels"]);
    // Convolutions followed by batch norm need no bias: the norm's shift replaces it.
    this.conv1 = new Conv2d(inChannels, outChannels, 3, { stride, padding: 1, bias: false, generator });
    this.bn1 = new BatchNorm2d(outChannels);
    this.conv2 = new Conv2d(outChannels, outChannels, 3, { padding: 1, bias: false, generator });
    this.bn2 = new BatchNorm2d(outChannels);
    this.downsample = stride !== 1 || inChannels !== outChannels
      ? new Sequential(new Conv2d(inChannels, outChannels, 1, { stride, bias: false, generator }), new BatchNorm2d(outChannels))
      : null;
  }

  /**
   * relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)) for x [N, inChannels, H, W]; returns [N, outChannels,
   * H/stride, W/stride].
   */
  forward(x: Tensor): Tensor {
    const steps: Tensor[] = [];
    const step = (t: Tensor) => (steps.push(t), t);
    const h = step(relu(step(this.bn1.forward(step(this.conv1.forward(x))))));
    const main = step(this.bn2.forward(step(this.conv2.forward(h))));
    const shortcut = this.downsample ? step(this.downsample.forward(x)) : x;
    const out = relu(step(add(main, shortcut)));
    // The graph keeps what backward needs; the intermediate handles can go now.
    for (const t of steps) t.dispose();
    return out;
  }
}

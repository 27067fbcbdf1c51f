// Sequential: children stored under the keys 0, 1, 2, ... so parameter names are PyTorch's
// (`0.weight`, `2.bias`) and `model[0]` indexes like `model[0]` in Python.
import { Tensor } from "../tensor.js";
import { linear } from "../ops/matmul.js";
import { conv2d } from "../ops/conv.js";
import { Module } from "./module.js";
import { Linear } from "./linear.js";
import { Conv2d } from "./conv.js";
import { ReLU } from "./activation.js";

export class Sequential extends Module {
  readonly [index: number]: Module;

  constructor(...modules: Module[]) {
    super();
    modules.forEach((m) => this.append(m));
  }

  get length(): number {
    return this.namedChildren().length;
  }

  append(module: Module): this {
    if (!(module instanceof Module)) throw new Error(`Sequential: expected a Module, got ${String(module)}`);
    (this as unknown as Module[])[this.length] = module;
    return this;
  }

  /** The children in order (only Modules returning a Tensor can be appended). */
  layers(): Module[] {
    return this.children() as Module[];
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.layers()[Symbol.iterator]();
  }

  /**
   * Runs the children in order. A Linear or Conv2d directly followed by a ReLU runs as one pass,
   * the ReLU in the GEMM's (or convolution kernel's) epilogue.
   */
  forward(x: Tensor): Tensor {
    const layers = this.layers();
    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i];
      if (layer instanceof Linear && layers[i + 1] instanceof ReLU) {
        x = linear(x, layer.weight, layer.bias, { activation: "relu" });
        i++;
      } else if (layer instanceof Conv2d && layers[i + 1] instanceof ReLU) {
        const { stride, padding, dilation, groups } = layer;
        x = conv2d(x, layer.weight, layer.bias, {
          stride: stride as [number, number], padding: typeof padding === "string" ? padding : (padding as [number, number]),
          dilation: dilation as [number, number], groups, activation: "relu",
        });
        i++;
      } else {
        x = layer.forward(x);
      }
    }
    return x;
  }
}

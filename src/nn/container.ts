// Sequential: children stored under the keys 0, 1, 2, ... so parameter names are PyTorch's
// (`0.weight`, `2.bias`) and `model[0]` indexes like `model[0]` in Python.
import { Tensor } from "../tensor.js";
import { Module } from "./module.js";

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
   * Runs the children in order. A layer followed by an activation it can fuse (Module.asEpilogue,
   * e.g. Linear or Conv2d then ReLU) runs as one pass, the activation in its kernel's epilogue.
   */
  forward(x: Tensor): Tensor {
    const layers = this.layers();
    for (let i = 0; i < layers.length; i++) {
      const epilogue = layers[i + 1]?.asEpilogue;
      const fused = epilogue ? layers[i].forwardFused(x, epilogue) : null;
      if (fused) {
        x = fused;
        i++; // the activation ran in the epilogue
      } else {
        x = layers[i].forward(x);
      }
    }
    return x;
  }
}

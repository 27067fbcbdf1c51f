// nn.Module: parameters, buffers and submodules are discovered from the object's own fields (in
// declaration order), so a layer registers them just by assigning class fields. Names follow
// PyTorch's state-dict keys: `0.weight`, `layer1.bias`, `bn.running_mean`.
import { readArgs } from "../ops/args.js";
import { Tensor, shapeToString } from "../tensor.js";
import { noGrad } from "../autograd.js";
import { toDType } from "../ops/shape.js";
import { checkTensorEntry } from "../ops/checks.js";

/** Marks a tensor as a learnable parameter (requires grad, picked up by Module.parameters()). */
export function parameter(t: Tensor): Tensor {
  t.setRequiresGrad(true);
  t.role = "parameter";
  return t.untrack();
}

/** Marks a tensor as a persistent buffer (in the state dict, not trained), like running_mean. */
export function buffer(t: Tensor): Tensor {
  t.role = "buffer";
  return t.untrack();
}

/** A number as Python's repr prints a float (1.0, 0.01, 1e-05), for PyTorch-identical extraRepr(). */
export function reprFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const ax = Math.abs(x);
  if (ax !== 0 && (ax < 1e-4 || ax >= 1e16)) return x.toExponential().replace(/e([+-])(\d)$/, (_, sign, d) => `e${sign}0${d}`);
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}

/** A boolean as Python prints it. */
export const reprBool = (b: boolean): string => (b ? "True" : "False");

/** An activation a layer can fuse into its kernel's epilogue. */
export type Epilogue = "relu";

/**
 * torch.nn.Module. Out is what forward returns: a Tensor for layers, a tuple for recurrent layers
 * (output and final state, as in PyTorch). Subclasses declare their own forward parameters.
 */
export abstract class Module<Out = Tensor> {
  /**
   * Whether the module is in training mode (torch's `.training`): dropout drops and batch norm uses batch
   * statistics. Set by `train()` / `eval()` on the whole tree.
   */
  training = true;

  /** A layer that takes no arguments (Sigmoid, Tanh, ...) refuses any: nothing is silently ignored. */
  constructor(...args: unknown[]) {
    readArgs(new.target.name, args, {});
  }

  /**
   * The layer's computation (torch's `forward`); call it directly. Each subclass declares its own parameters
   * (a Tensor for most layers) and return type `Out`.
   */
  abstract forward(...inputs: unknown[]): Out;

  /**
   * The activation this layer is, when the layer before it can apply it in its own epilogue (ReLU:
   * "relu"); null otherwise. Sequential asks, and fuses the pair with forwardFused.
   */
  get asEpilogue(): Epilogue | null {
    return null;
  }

  /** forward(x) followed by `activation` in one pass (the kernel's epilogue); null when this layer cannot fuse it. */
  forwardFused(_x: Tensor, _activation: Epilogue): Tensor | null {
    return null;
  }

  /** Shorthand for forward (PyTorch's `module(x)`). */
  call(...inputs: Parameters<this["forward"]>): Out {
    return this.forward(...inputs);
  }

  /** Direct submodules with their attribute names; arrays of modules are named `name.i`. */
  namedChildren(): [string, Module<unknown>][] {
    const out: [string, Module<unknown>][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Module) out.push([key, value]);
      else if (Array.isArray(value)) value.forEach((v, i) => v instanceof Module && out.push([`${key}.${i}`, v]));
    }
    return out;
  }

  /** The direct submodules, in registration order (torch's `children()`). */
  children(): Module<unknown>[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every descendant, depth first, each once (a shared submodule is listed at its first place). */
  modules(): Module<unknown>[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** torch's named_modules: ["", this] and every descendant under its dotted name, depth first, each once. */
  namedModules(prefix = ""): [string, Module<unknown>][] {
    const out: [string, Module<unknown>][] = [];
    const seen = new Set<Module<unknown>>();
    const visit = (name: string, m: Module<unknown>) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
      for (const [child, c] of m.namedChildren()) visit(name ? `${name}.${child}` : child, c);
    };
    visit(prefix, this);
    return out;
  }

  /** torch's Module.apply: fn on every submodule (children first, recursively), then on this one; returns this. */
  apply(fn: (m: Module<unknown>) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  // PyTorch's order: each module's own parameters, then its own buffers, then its children's.
  private namedTensors(roles: readonly Tensor["role"][], prefix: string): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const role of roles) {
      for (const [key, value] of Object.entries(this)) {
        if (value instanceof Tensor && value.role === role) out.push([prefix + key, value]);
      }
    }
    for (const [name, child] of this.namedChildren()) out.push(...child.namedTensors(roles, `${prefix}${name}.`));
    return out;
  }

  /**
   * Every learnable parameter of this module and its submodules with its dotted name (`0.weight`,
   * `encoder.layers.1.bias`), as in PyTorch's `named_parameters()`; the keys of `stateDict()`.
   */
  namedParameters(): [string, Tensor][] {
    return this.namedTensors(["parameter"], "");
  }

  /** Every learnable parameter, for an optimizer (torch's `parameters()`). */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /**
   * The persistent non-learnable tensors (batch norm's running statistics) with their dotted names (torch's
   * `named_buffers()`).
   */
  namedBuffers(): [string, Tensor][] {
    return this.namedTensors(["buffer"], "");
  }

  /** Number of learnable scalars. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Sets training mode on this module and every submodule (torch's `train(mode)`); returns this module. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /**
   * Evaluation mode (torch's `eval()`, same as `train(false)`): dropout off, batch norm on its running
   * statistics.
   */
  eval(): this {
    return this.train(false);
  }

  /** Drops every parameter's gradient (PyTorch's set_to_none=True default). */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Parameters and buffers by PyTorch key. The tensors are the module's own (not copies). */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.namedTensors(["parameter", "buffer"], ""));
  }

  /**
   * Copies values into this module's parameters and buffers. Strict by default: missing keys,
   * unexpected keys and shape mismatches are all listed in one error, and nothing is changed.
   */
  loadStateDict(state: Record<string, Tensor>, options: { strict?: boolean } = {}): {
    /** The module's keys the state lacks (loaded only with strict: false). */ missingKeys: string[];
    /** The state's keys the module does not have (ignored only with strict: false). */ unexpectedKeys: string[];
  } {
    const { strict = true } = options;
    const own = this.stateDict();
    // Own keys only: a key named "constructor" or "__proto__" is just a key.
    const has = (dict: object, k: string) => Object.hasOwn(dict, k);
    const missingKeys = Object.keys(own).filter((k) => !has(state, k));
    const unexpectedKeys = Object.keys(state).filter((k) => !has(own, k));
    const shared = Object.keys(own).filter((k) => has(state, k));
    const op = `loadStateDict (${this.constructor.name})`;
    for (const k of shared) checkTensorEntry(op, `"${k}"`, state[k]);
    const mismatched = shared
      .filter((k) => state[k].ndim !== own[k].ndim || state[k].shape.some((d, i) => d !== own[k].shape[i]))
      .map((k) => `${k}: checkpoint ${shapeToString(state[k].shape)} vs model ${shapeToString(own[k].shape)}`);
    const problems: string[] = [];
    if (mismatched.length) problems.push(`size mismatch for ${mismatched.join("; ")}`);
    if (strict && missingKeys.length) problems.push(`missing keys: ${missingKeys.join(", ")}`);
    if (strict && unexpectedKeys.length) problems.push(`unexpected keys: ${unexpectedKeys.join(", ")}`);
    if (problems.length) throw new Error(`loadStateDict: error(s) loading state dict for ${this.constructor.name}: ${problems.join(". ")}`);
    // Everything is checked; casts (copy_ casts, as in PyTorch) are made before the first write,
    // so running out of memory half way cannot leave the model half loaded.
    const sources = new Map<string, Tensor>();
    try {
      for (const k of shared) sources.set(k, state[k].dtype === own[k].dtype ? state[k] : toDType(state[k], own[k].dtype));
      noGrad(() => {
        for (const [k, src] of sources) own[k].copy_(src);
      });
    } finally {
      for (const [k, src] of sources) if (src !== state[k]) src.dispose();
    }
    return { missingKeys, unexpectedKeys };
  }

  /** Frees every parameter, gradient and buffer of this module tree. */
  dispose(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.dispose();
    }
    for (const [, b] of this.namedBuffers()) b.dispose();
  }

  /** Arguments shown inside the parentheses of toString(), like PyTorch's extra_repr. */
  extraRepr(): string {
    return "";
  }

  /** The architecture, printed like PyTorch's module repr. */
  toString(): string {
    const children = this.namedChildren();
    const name = this.constructor.name;
    if (children.length === 0) return `${name}(${this.extraRepr()})`;
    const lines = children.map(([key, m]) => `  (${key}): ${m.toString().split("\n").join("\n  ")}`);
    const extra = this.extraRepr();
    return `${name}(${extra ? `${extra}\n` : "\n"}${lines.join("\n")}\n)`;
  }
}

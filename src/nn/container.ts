// Sequential: children stored under the keys 0, 1, 2, ... so parameter names are PyTorch's
// (`0.weight`, `2.bias`) and `model[0]` indexes like `model[0]` in Python.
import { Tensor } from "../tensor.js";
import { Module } from "./module.js";

/**
 * torch.nn.Sequential: modules applied in order, each one's output the next one's input. Children are
 * registered as `0`, `1`, … so parameter names match PyTorch's (`0.weight`) and `model[0]` indexes the first
 * layer. A Linear or Conv2d followed by ReLU runs as one fused kernel.
 */
export class Sequential extends Module {
  readonly [index: number]: Module;

  constructor(...modules: Module[]) {
    super();
    modules.forEach((m) => this.append(m));
  }

  /** The number of modules (Python's `len(model)`). */
  get length(): number {
    return this.namedChildren().length;
  }

  /** Adds a module at the end (torch's `append`); returns this Sequential. */
  append(module: Module): this {
    if (!(module instanceof Module)) throw new Error(`Sequential: expected a Module, got ${String(module)}`);
    (this as unknown as Module[])[this.length] = module;
    return this;
  }

  /** The children in order (only Modules returning a Tensor can be appended). */
  layers(): Module[] {
    return this.children() as Module[];
  }

  /** Iterates over the modules in order (`for (const layer of model)`). */
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

/** A negative index counts from the end, as in Python. */
function listIndex(op: string, i: number, length: number): number {
  const k = i < 0 ? i + length : i;
  if (!Number.isInteger(i) || k < 0 || k >= length) throw new Error(`${op}: index ${i} is out of range for ${length} modules`);
  return k;
}

/**
 * torch.nn.ModuleList: modules held in order, registered as `0`, `1`, … (state-dict keys `0.weight`),
 * so their parameters are the list's. It has no forward of its own: iterate over it.
 */
export class ModuleList extends Module<never> {
  readonly [index: number]: Module<unknown>;

  constructor(modules: Iterable<Module<unknown>> = []) {
    super();
    if (modules === null || typeof (modules as Partial<Iterable<unknown>>)[Symbol.iterator] !== "function") {
      throw new Error(`ModuleList: expected an iterable of Modules, got ${Object.prototype.toString.call(modules)}`);
    }
    this.extend(modules);
  }

  /** The number of modules (Python's `len(list)`). */
  get length(): number {
    return this.namedChildren().length;
  }

  /** The module at i (negative counts from the end). */
  get(i: number): Module<unknown> {
    return this[listIndex("ModuleList.get", i, this.length)];
  }

  /** Adds a module at the end, registered under the next index (torch's `append`). */
  append(module: Module<unknown>): this {
    if (!(module instanceof Module)) throw new Error(`ModuleList.append: expected a Module, got ${String(module)}`);
    (this as unknown as Module<unknown>[])[this.length] = module;
    return this;
  }

  /** Appends each module of an iterable in order (torch's `extend`). */
  extend(modules: Iterable<Module<unknown>>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  /** Puts `module` before index i, shifting the later ones (PyTorch's insert). */
  insert(i: number, module: Module<unknown>): this {
    if (!(module instanceof Module)) throw new Error(`ModuleList.insert: expected a Module, got ${String(module)}`);
    const all = this.children();
    const k = i < 0 ? Math.max(0, i + all.length) : Math.min(i, all.length);
    all.splice(k, 0, module);
    all.forEach((m, j) => ((this as unknown as Module<unknown>[])[j] = m));
    return this;
  }

  /** Iterates over the modules in order. */
  [Symbol.iterator](): Iterator<Module<unknown>> {
    return this.children()[Symbol.iterator]();
  }

  /** A ModuleList has no forward (as in PyTorch): calling it is an error; iterate and call each module. */
  forward(): never {
    throw new Error("ModuleList has no forward: iterate over it and call each module");
  }
}

/**
 * torch.nn.ModuleDict: modules under string keys (state-dict keys `key.weight`), in insertion order.
 * A key must be a non-empty name without "." that is not already a property of the module.
 */
export class ModuleDict extends Module<never> {
  constructor(modules: Record<string, Module<unknown>> | Iterable<[string, Module<unknown>]> = {}) {
    super();
    const entries = Symbol.iterator in modules ? [...(modules as Iterable<[string, Module<unknown>]>)] : Object.entries(modules);
    for (const [k, m] of entries) this.set(k, m);
  }

  /**
   * Registers module under key (torch's `dict[key] = module`); an empty key, one with ".", or one naming a
   * property of the module is an error.
   */
  set(key: string, module: Module<unknown>): this {
    if (!(module instanceof Module)) throw new Error(`ModuleDict: expected a Module for key "${key}", got ${String(module)}`);
    if (typeof key !== "string" || key === "" || key.includes(".")) throw new Error(`ModuleDict.set: a key must be a non-empty string without ".", got ${JSON.stringify(key)}`);
    // "__proto__" is a plain key here (set with defineProperty, never the prototype); names the
    // module already answers to (training, parameters, constructor, toString, …) are refused.
    if (!this.has(key) && key !== "__proto__" && key in this) throw new Error(`ModuleDict.set: key "${key}" would shadow a property of the module`);
    Object.defineProperty(this, key, { value: module, enumerable: true, configurable: true, writable: true });
    return this;
  }

  /** The module under key (torch's `dict[key]`); a missing key is an error listing the keys. */
  get(key: string): Module<unknown> {
    if (!this.has(key)) throw new Error(`ModuleDict.get: no module under key "${key}" (keys: ${this.keys().join(", ")})`);
    return (this as unknown as Record<string, Module<unknown>>)[key];
  }

  /** Whether a module is registered under key (Python's `key in dict`). */
  has(key: string): boolean {
    return Object.hasOwn(this, key) && (this as unknown as Record<string, unknown>)[key] instanceof Module;
  }

  /** Removes and returns the module under key (PyTorch's pop). */
  delete(key: string): Module<unknown> {
    const m = this.get(key);
    delete (this as unknown as Record<string, unknown>)[key];
    return m;
  }

  /** The keys in insertion order. */
  keys(): string[] {
    return this.namedChildren().map(([k]) => k);
  }

  /** The modules in insertion order. */
  values(): Module<unknown>[] {
    return this.children();
  }

  /** [key, module] pairs in insertion order (torch's `items()`). */
  entries(): [string, Module<unknown>][] {
    return this.namedChildren();
  }

  /** The number of modules (Python's `len(dict)`). */
  get size(): number {
    return this.keys().length;
  }

  /** A ModuleDict has no forward (as in PyTorch): calling it is an error; look modules up by key. */
  forward(): never {
    throw new Error("ModuleDict has no forward: get a module by key and call it");
  }
}

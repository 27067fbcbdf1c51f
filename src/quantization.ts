// Post-training int8 quantization, torch.ao.quantization's eager flow:
//   static:  prepare(model) puts an observer (running min/max, as MinMaxObserver) on the input of
//            every Linear and Conv2d; running the model on calibration batches records the ranges;
//            convert(model) swaps each observed layer for a QuantizedLinear / QuantizedConv2d whose
//            input is quantized with the recorded range. quantize(model, { calibration }) does the
//            three steps.
//   dynamic: quantizeDynamic(model) swaps every Linear for a DynamicQuantizedLinear, which
//            quantizes each batch with the range of that batch (no calibration).
// Weights are quantized per output channel, symmetric int8; activations to 7 bits (see
// ops/quantized.ts). Layers are converted in place, as PyTorch's inplace=True: the float layers
// replaced are disposed, and the model is returned in eval mode (a model whose root is itself a
// layer comes back as the new layer, so use the returned value).
import { Module } from "./nn/module.js";
import { Linear } from "./nn/linear.js";
import { Conv2d } from "./nn/conv.js";
import { DynamicQuantizedLinear, QuantizedConv2d, QuantizedLinear } from "./nn/quantized.js";
import { activationQParams, valueRange } from "./ops/quantized.js";
import { readOptions, kinds, type Kind } from "./ops/args.js";
import { describeValue } from "./ops/checks.js";
import { noGrad, tidy } from "./scopes.js";
import { Tensor } from "./tensor.js";

export { QuantizedLinear, QuantizedConv2d, DynamicQuantizedLinear, type QuantizedConv2dOptions } from "./nn/quantized.js";

/** The options of prepare. */
export interface PrepareOptions {
  /** Names of modules (as in namedModules) to keep in float32, with everything inside them. */
  skip?: string[];
}

/** The options of quantize (static post-training quantization). */
export interface QuantizeOptions extends PrepareOptions {
  /** Batches to calibrate the activation ranges on: input tensors, or [input, ...] tuples as a DataLoader yields. */
  calibration: Iterable<Tensor | readonly unknown[]>;
}

interface Observer {
  name: string;
  min: number;
  max: number;
  batches: number;
}

// The observers of each prepared model, by observed layer.
const prepared = new WeakMap<Module<unknown>, Map<Linear | Conv2d, Observer>>();

const skipKind: Kind = { expected: "an array of module names", test: (v) => Array.isArray(v) && v.every((s) => typeof s === "string") };

/** The layers of `model` that `accepts`, minus those under a skipped name (every skipped name must exist). */
function layersToQuantize<T extends Module<unknown>>(op: string, model: Module<unknown>, skip: string[], accepts: (m: Module<unknown>) => m is T): [string, T][] {
  if (!(model instanceof Module)) throw new Error(`${op}: expected a Module, got ${describeValue(model)}`);
  const named = model.namedModules();
  const unknown = skip.filter((s) => !named.some(([n]) => n === s));
  if (unknown.length) throw new Error(`${op}: skip names no module ${unknown.map((s) => JSON.stringify(s)).join(", ")} (modules: ${named.map(([n]) => JSON.stringify(n)).join(", ")})`);
  const skipped = (name: string) => skip.some((s) => s === "" || name === s || name.startsWith(`${s}.`));
  return named.filter((e): e is [string, T] => accepts(e[1]) && !skipped(e[0]));
}

const isStaticTarget = (m: Module<unknown>): m is Linear | Conv2d => m instanceof Linear || m instanceof Conv2d;
const isDynamicTarget = (m: Module<unknown>): m is Linear => m instanceof Linear;

/** Swaps modules by the map everywhere in the tree (a shared layer is swapped at every place); returns the new root. */
function swapModules<Out>(root: Module<Out>, swaps: Map<Module<unknown>, Module<unknown>>): Module<Out> {
  for (const m of root.modules()) {
    const fields = m as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(m)) {
      if (value instanceof Module && swaps.has(value)) fields[key] = swaps.get(value);
      else if (Array.isArray(value)) value.forEach((v, i) => swaps.has(v) && (value[i] = swaps.get(v)));
    }
  }
  for (const old of swaps.keys()) old.dispose();
  // A swapped root is a quantized layer standing in for a float one: it returns what that returned.
  return ((swaps.get(root) as Module<Out> | undefined) ?? root).eval();
}

/** Removes the observers prepare() attached. */
function removeObservers(model: Module<unknown>): void {
  for (const layer of prepared.get(model)?.keys() ?? []) {
    delete (layer as Partial<Linear>).forward;
    delete (layer as Partial<Linear>).forwardFused;
  }
  prepared.delete(model);
}

/**
 * torch.ao.quantization.prepare: observes the input range of every Linear and Conv2d (except those
 * under `skip`) on each forward from now on. Run the model on calibration data, then convert().
 */
export function prepare<M extends Module<unknown>>(model: M, options: PrepareOptions = {}): M {
  const { skip = [] } = readOptions<PrepareOptions>("prepare", options, { skip: skipKind });
  attachObservers("prepare", model, skip);
  return model;
}

function attachObservers(op: string, model: Module<unknown>, skip: string[]): void {
  const layers = layersToQuantize(op, model, skip, isStaticTarget);
  if (prepared.has(model)) throw new Error(`${op}: the model is already prepared; convert() it first`);
  if (!layers.length) throw new Error(`${op}: the model has no Linear or Conv2d layer to quantize`);
  const observers = new Map<Linear | Conv2d, Observer>();
  for (const [name, layer] of layers) {
    if (observers.has(layer)) continue;
    const obs: Observer = { name, min: Infinity, max: -Infinity, batches: 0 };
    const observe = (x: Tensor) => {
      const [lo, hi] = valueRange(`observer of ${name || "the model"}`, x);
      obs.min = Math.min(obs.min, lo);
      obs.max = Math.max(obs.max, hi);
      obs.batches++;
    };
    const forward = layer.forward, forwardFused = layer.forwardFused;
    // Own properties shadow the class's methods until convert() (or a failed quantize) deletes them.
    Object.assign(layer, {
      forward: (x: Tensor) => (observe(x), forward.call(layer, x)),
      forwardFused: (x: Tensor, activation: "relu") => (observe(x), forwardFused.call(layer, x, activation)),
    });
    observers.set(layer, obs);
  }
  prepared.set(model, observers);
}

/**
 * torch.ao.quantization.convert: swaps every observed layer for its quantized version, its input
 * quantized with the observed range. Every observer must have seen a batch; nothing changes otherwise.
 */
export function convert<Out>(model: Module<Out>): Module<Out> {
  const observers = prepared.get(model);
  if (!observers) throw new Error("convert: the model was not prepared; call prepare(model) and run calibration batches first (or use quantize)");
  const unseen = [...observers.values()].filter((o) => o.batches === 0).map((o) => JSON.stringify(o.name));
  if (unseen.length) throw new Error(`convert: no calibration batch reached ${unseen.join(", ")}; run the prepared model on calibration data first`);
  const swaps = new Map<Module<unknown>, Module<unknown>>();
  try {
    for (const [layer, obs] of observers) {
      const input = activationQParams(obs.min, obs.max);
      swaps.set(layer, layer instanceof Linear ? QuantizedLinear.fromFloat(layer, input) : QuantizedConv2d.fromFloat(layer, input));
    }
  } catch (e) {
    for (const q of swaps.values()) q.dispose();
    throw e;
  }
  removeObservers(model);
  return swapModules(model, swaps);
}

/** The input tensor of one calibration batch: the batch itself, or the first element of a tuple. */
function calibrationInput(batch: unknown, i: number): Tensor {
  const x = Array.isArray(batch) ? batch[0] : batch;
  if (!(x instanceof Tensor)) throw new Error(`quantize: calibration batch ${i} must be a Tensor or an [input, ...] tuple, got ${describeValue(batch)}`);
  return x;
}

const iterableKind: Kind = {
  expected: "an iterable of batches (tensors or [input, ...] tuples)",
  test: (v) => v !== null && typeof (v as Partial<Iterable<unknown>>)[Symbol.iterator] === "function" && typeof v !== "string",
};

/**
 * torch.ao.quantization.quantize: prepare, run `calibration` through the model (eval mode, no
 * gradients), convert. Returns the quantized model (use the returned value).
 */
export function quantize<Out>(model: Module<Out>, options: QuantizeOptions): Module<Out> {
  if (!options || typeof options !== "object") throw new Error("quantize: needs options { calibration } (the batches that calibrate the activation ranges)");
  const { calibration, skip = [] } = readOptions<QuantizeOptions>("quantize", options, { calibration: iterableKind, skip: skipKind });
  if (calibration === undefined) throw new Error("quantize: options.calibration is required (the batches that calibrate the activation ranges)");
  attachObservers("quantize", model.eval(), skip);
  try {
    let batches = 0;
    noGrad(() => {
      for (const batch of calibration) {
        const x = calibrationInput(batch, batches++);
        tidy(() => void model.forward(x));
      }
    });
    if (batches === 0) throw new Error("quantize: options.calibration gave no batch");
  } catch (e) {
    removeObservers(model);
    throw e;
  }
  return convert(model);
}

/**
 * torch.ao.quantization.quantize_dynamic: every Linear (except under `skip`) becomes a
 * DynamicQuantizedLinear (int8 weights; each batch's input quantized by its own range).
 */
export function quantizeDynamic<Out>(model: Module<Out>, options: PrepareOptions = {}): Module<Out> {
  const { skip = [] } = readOptions<PrepareOptions>("quantizeDynamic", options, { skip: skipKind });
  const layers = layersToQuantize("quantizeDynamic", model, skip, isDynamicTarget);
  if (!layers.length) throw new Error("quantizeDynamic: the model has no Linear layer to quantize");
  const swaps = new Map<Module<unknown>, Module<unknown>>();
  try {
    for (const [, layer] of layers) if (!swaps.has(layer)) swaps.set(layer, DynamicQuantizedLinear.fromFloat(layer));
  } catch (e) {
    for (const q of swaps.values()) q.dispose();
    throw e;
  }
  return swapModules(model, swaps);
}

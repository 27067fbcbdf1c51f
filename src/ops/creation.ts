// Tensor factories.
import { Tensor, shapeToString, numel, type DType, type NestedArray, type Shape } from "../tensor.js";
import { defaultGenerator, type Generator } from "../random.js";
import { checkInt32, checkLive, describeValue } from "./checks.js";
import { isOptionsObject, readOptions } from "./args.js";

/** Options of the creation functions, as in PyTorch's factories. */
export interface CreateOptions {
  /** The element type (torch's `dtype=`); each function says its default. */
  dtype?: DType;
  /** Track gradients from the start (torch's `requires_grad=True`); float32 only. */
  requiresGrad?: boolean;
}

/**
 * The dtype of what a creation function returns, in the types: `options.dtype` when it names one,
 * else `Default` (the function's default, or the data's: an Int32Array makes int32).
 */
export type DTypeFrom<O, Default extends DType> = O extends {
  /** A dtype the options name. */
  dtype: infer D extends DType;
} ? D : O extends {
  /** A dtype the options may name. */
  dtype?: infer D;
} ? (unknown extends D ? Default : Default | Exclude<D, undefined>) : Default;

/** The dtype `tensor(data)` gives data with no dtype option: int32 for an Int32Array, else float32. */
export type DataDType<X> = X extends Int32Array ? "int32" : "float32";

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

function flattenNested(data: NestedArray, shape: number[], dim: number, out: number[]): void {
  if (dim === shape.length) {
    if (typeof data !== "number") throw new Error(`tensor: nested array is ragged (expected shape ${shapeToString(shape)})`);
    out.push(data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[dim]) {
    throw new Error(`tensor: nested array is ragged at depth ${dim} (expected shape ${shapeToString(shape)})`);
  }
  for (const v of data) flattenNested(v, shape, dim + 1, out);
}

/** A shape given PyTorch's ways: sizes as varargs `(2, 3)` or one array `([2, 3])`, then optionally options. */
export type SizeArgs<O> = [shape: Shape, options?: O] | number[] | [...sizes: number[], options: O];

function readSizes<O extends object>(op: string, args: readonly unknown[], known: readonly string[]): { shape: number[]; options: O } {
  const last = args[args.length - 1];
  const hasOptions = isOptionsObject(last);
  const sizes = hasOptions ? args.slice(0, -1) : args;
  const shape = sizes.length === 1 && Array.isArray(sizes[0]) ? (sizes[0] as unknown[]) : sizes;
  if ((sizes.length !== 1 || !Array.isArray(sizes[0])) && sizes.some((d) => typeof d !== "number")) {
    throw new Error(`${op}: expected sizes as numbers (${op}(2, 3)) or one array (${op}([2, 3])), got ${sizes.map(describeValue).join(", ")}`);
  }
  if (shape.some((d) => !Number.isInteger(d) || (d as number) < 0)) throw new Error(`${op}: sizes must be non-negative integers, got [${shape.join(", ")}]`);
  return { shape: shape as number[], options: readOptions<O>(op, hasOptions ? last : undefined, known) };
}

const CREATE = ["dtype", "requiresGrad"];
const RANDOM = [...CREATE, "generator"];

function finish<T extends Tensor>(t: T, options: CreateOptions): T {
  if (options.requiresGrad) t.setRequiresGrad(true);
  return t;
}

/**
 * A tensor from nested arrays, a flat array or a TypedArray (with `shape`). The dtype follows
 * the data (Int32Array -> int32) unless given: `tensor(data, { dtype })` as in PyTorch, or
 * `tensor(flat, shape, { dtype })`.
 */
export function tensor<X extends NestedArray | ArrayLike<number>, O extends CreateOptions = {}>(data: X, options?: O): Tensor<DTypeFrom<O, DataDType<X>>>;
export function tensor<X extends NestedArray | ArrayLike<number>, O extends CreateOptions = {}>(data: X, shape?: Shape, options?: O): Tensor<DTypeFrom<O, DataDType<X>>>;
export function tensor(data: NestedArray | ArrayLike<number>, shapeOrOptions?: Shape | CreateOptions, maybeOptions?: CreateOptions): Tensor {
  if (isOptionsObject(shapeOrOptions) && maybeOptions !== undefined) throw new Error("tensor: two options objects");
  const shape = isOptionsObject(shapeOrOptions) ? undefined : (shapeOrOptions as Shape | undefined);
  const options = readOptions<CreateOptions>("tensor", isOptionsObject(shapeOrOptions) ? shapeOrOptions : maybeOptions, CREATE);
  if (typeof data !== "number" && !Array.isArray(data) && !ArrayBuffer.isView(data)) {
    throw new Error(`tensor: data must be a number, a (nested) array or a typed array, got ${describeValue(data)}`);
  }
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (typeof data === "number") {
    flat = [data];
    inferred = [];
  } else if (Array.isArray(data)) {
    inferred = inferShape(data as NestedArray);
    const out: number[] = [];
    flattenNested(data as NestedArray, inferred, 0, out);
    flat = out;
  } else {
    flat = data as ArrayLike<number>;
    inferred = [flat.length];
  }
  const finalShape = shape ? [...shape] : inferred;
  if (numel(finalShape) !== flat.length) {
    throw new Error(`tensor: ${flat.length} values do not fill shape ${shapeToString(finalShape)} (${numel(finalShape)} elements)`);
  }
  const dtype = options.dtype ?? (data instanceof Int32Array ? "int32" : "float32");
  // Into int32 values truncate toward zero (2.7 -> 2) as in PyTorch; NaN or overflow is an error.
  if (dtype === "int32" && !(flat instanceof Int32Array)) for (let i = 0; i < flat.length; i++) checkInt32("tensor", flat[i]);
  const t = Tensor.empty(finalShape, dtype, "tensor");
  t.liveData().set(flat);
  return finish(t, options);
}

/** `full([2, 3], value)` (PyTorch's size is one array; a single number is a 1-D size). */
export function full<O extends CreateOptions = {}>(size: Shape | number, value: number, options?: O): Tensor<DTypeFrom<O, "float32">>;
export function full(size: Shape | number, value: number, options: CreateOptions = {}): Tensor {
  const shape = readSizes<CreateOptions>("full", [size], CREATE).shape;
  readOptions("full", options, CREATE);
  if (typeof value !== "number") throw new Error(`full: fill value must be a number, got ${describeValue(value)}`);
  if (options.dtype === "int32") checkInt32("full", value);
  return finish(Tensor.empty(shape, options.dtype ?? "float32", "full").writeFill(value), options);
}

/** `zeros(2, 3)`, `zeros([2, 3])`, `zeros(2, 3, { dtype: "int32" })`. */
export function zeros(...sizes: number[] | [shape: Shape]): Tensor<"float32">;
export function zeros<O extends CreateOptions>(...args: SizeArgs<O>): Tensor<DTypeFrom<O, "float32">>;
export function zeros(...args: SizeArgs<CreateOptions>): Tensor {
  const { shape, options } = readSizes<CreateOptions>("zeros", args, CREATE);
  return full(shape, 0, options);
}

/** `ones(2, 3)`, `ones([2, 3])`, `ones(2, 3, { dtype: "int32" })`. */
export function ones(...sizes: number[] | [shape: Shape]): Tensor<"float32">;
export function ones<O extends CreateOptions>(...args: SizeArgs<O>): Tensor<DTypeFrom<O, "float32">>;
export function ones(...args: SizeArgs<CreateOptions>): Tensor {
  const { shape, options } = readSizes<CreateOptions>("ones", args, CREATE);
  return full(shape, 1, options);
}

/** Uninitialised storage (torch.empty): `empty(2, 3)` or `empty([2, 3])`; the values are whatever the memory held. */
export function empty(...sizes: number[] | [shape: Shape]): Tensor<"float32">;
export function empty<O extends CreateOptions>(...args: SizeArgs<O>): Tensor<DTypeFrom<O, "float32">>;
export function empty(...args: SizeArgs<CreateOptions>): Tensor {
  const { shape, options } = readSizes<CreateOptions>("empty", args, CREATE);
  return finish(Tensor.empty(shape, options.dtype ?? "float32", "empty"), options);
}
/** The shape (and dtype) of a live tensor, for the *Like factories. */
function like(op: string, t: Tensor): Tensor {
  checkLive(op, t);
  return t;
}

function filledLike(op: string, t: Tensor, value: number, options: CreateOptions = {}): Tensor {
  return full(like(op, t).shape, value, { dtype: t.dtype, ...options });
}

/** Zeros with t's shape and dtype (torch.zeros_like); options override the dtype. */
export function zerosLike<D extends DType, O extends CreateOptions = {}>(t: Tensor<D>, options?: O): Tensor<DTypeFrom<O, D>>;
export function zerosLike(t: Tensor, options?: CreateOptions): Tensor {
  return filledLike("zerosLike", t, 0, options);
}

/** Ones with t's shape and dtype (torch.ones_like); options override the dtype. */
export function onesLike<D extends DType, O extends CreateOptions = {}>(t: Tensor<D>, options?: O): Tensor<DTypeFrom<O, D>>;
export function onesLike(t: Tensor, options?: CreateOptions): Tensor {
  return filledLike("onesLike", t, 1, options);
}

/** `value` everywhere, with t's shape and dtype (torch.full_like); options override the dtype. */
export function fullLike<D extends DType, O extends CreateOptions = {}>(t: Tensor<D>, value: number, options?: O): Tensor<DTypeFrom<O, D>>;
export function fullLike(t: Tensor, value: number, options?: CreateOptions): Tensor {
  return filledLike("fullLike", t, value, options);
}

/** The n×m identity: 1 where i = j, else 0 (torch.eye; m defaults to n). */
export function eye<O extends CreateOptions = {}>(n: number, m?: number | null, options?: O): Tensor<DTypeFrom<O, "float32">>;
export function eye(n: number, m?: number | null, options: CreateOptions = {}): Tensor {
  const cols = m ?? n;
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(cols) || cols < 0) throw new Error(`eye: n ${n} and m ${m} must be non-negative integers`);
  const t = Tensor.empty([n, cols], options.dtype ?? "float32", "eye").fill_(0);
  const v = t.liveData();
  for (let i = 0; i < Math.min(n, cols); i++) v[i * cols + i] = 1;
  return finish(t, options);
}

/** `steps` equally spaced values from start to end inclusive (torch.linspace). */
export function linspace<O extends CreateOptions = {}>(start: number, end: number, steps: number, options?: O): Tensor<DTypeFrom<O, "float32">>;
export function linspace(start: number, end: number, steps: number, options: CreateOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`linspace: steps must be a non-negative integer, got ${steps}`);
  const t = Tensor.empty([steps], options.dtype ?? "float32", "linspace");
  const v = t.liveData();
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // Like PyTorch, the second half counts back from end, so both ends come out exact.
  const half = steps === 1 ? 1 : Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) v[i] = i < half ? start + i * step : end - (steps - 1 - i) * step;
  return finish(t, options);
}

/** start, start+step, ... < end (like torch.arange); arange(n) counts 0..n-1. */
export function arange<O extends CreateOptions = {}>(start: number, end?: number, step?: number, options?: O): Tensor<DTypeFrom<O, "float32">>;
export function arange(start: number, end?: number, step = 1, options: CreateOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (!Number.isFinite(start) || !Number.isFinite(end) || !Number.isFinite(step) || step === 0) {
    throw new Error(`arange: start ${start}, end ${end} and step ${step} must be finite, with a non-zero step`);
  }
  if ((end - start) / step < 0) throw new Error(`arange: end ${end} is on the wrong side of start ${start} for step ${step}`);
  const n = Math.ceil((end - start) / step);
  const t = Tensor.empty([n], options.dtype ?? "float32", "arange");
  const v = t.liveData();
  for (let i = 0; i < n; i++) v[i] = start + i * step;
  return finish(t, options);
}

export interface RandomOptions extends CreateOptions {
  /** The random generator to draw from (the global one, seeded by manualSeed, by default). */
  generator?: Generator;
}

type RandOptions = RandomOptions & { low?: number; high?: number };
type RandnOptions = RandomOptions & { mean?: number; std?: number };

/** Uniform on [low, high) (default [0, 1)): `rand(2, 3)` or `rand([2, 3], options)`. */
export function rand(...args: SizeArgs<RandOptions>): Tensor<"float32"> {
  const { shape, options } = readSizes<RandOptions>("rand", args, [...RANDOM, "low", "high"]);
  if (options.dtype === "int32") throw new Error('rand: dtype "int32" is not supported (random floats); use randint');
  const { generator = defaultGenerator, low = 0, high = 1 } = options;
  const t = Tensor.empty(shape, "float32", "rand");
  const v = t.liveData();
  for (let i = 0; i < v.length; i++) v[i] = low + (high - low) * generator.uniform();
  return finish(t, options);
}

/** Normal with the given mean and std (default standard normal): `randn(2, 3)` or `randn([2, 3], options)`. */
export function randn(...args: SizeArgs<RandnOptions>): Tensor<"float32"> {
  const { shape, options } = readSizes<RandnOptions>("randn", args, [...RANDOM, "mean", "std"]);
  if (options.dtype === "int32") throw new Error('randn: dtype "int32" is not supported (random floats); use randint');
  const { generator = defaultGenerator, mean = 0, std = 1 } = options;
  const t = Tensor.empty(shape, "float32", "randn");
  const v = t.liveData();
  for (let i = 0; i < v.length; i++) v[i] = mean + std * generator.normal();
  return finish(t, options);
}

/** Uniform on [0, 1) with t's shape (torch.rand_like). */
export const randLike = (t: Tensor, options: RandOptions = {}) => rand(like("randLike", t).shape, options);
/** Standard normal with t's shape (torch.randn_like). */
export const randnLike = (t: Tensor, options: RandnOptions = {}) => randn(like("randnLike", t).shape, options);

/** Integers uniform in [low, high) (torch.randint): int32 unless `dtype: "float32"`. */
export function randint<O extends RandomOptions = {}>(low: number, high: number, shape: Shape, options?: O): Tensor<DTypeFrom<O, "int32">>;
export function randint(low: number, high: number, shape: Shape, options: RandomOptions = {}): Tensor {
  readOptions("randint", options, RANDOM);
  const { generator = defaultGenerator, dtype = "int32" } = options;
  if (!Number.isInteger(low) || !Number.isInteger(high)) throw new Error(`randint: low and high must be integers, got low=${low}, high=${high}`);
  if (low >= high) throw new Error(`randint: 'from' must be less than 'to', got from=${low} >= to=${high}`);
  checkInt32("randint", high - 1);
  checkInt32("randint", low);
  const t = Tensor.empty(shape, dtype, "randint");
  const v = t.liveData();
  for (let i = 0; i < v.length; i++) v[i] = low + generator.int(high - low);
  return finish(t, options);
}

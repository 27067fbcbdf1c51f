// Input checks shared by the ops: clear errors naming the op, the dtypes and the shapes, thrown
// before anything is allocated or written, so every other tensor stays intact.
import { Tensor, shapeToString, type DType, type Shape } from "../tensor.js";

const describe = (xs: Tensor[]) => xs.map((x) => `${x.dtype} ${shapeToString(x.shape)}`).join(" and ");

/** What a value is, for "expected a Tensor, got ..." errors: "an array", "a Float32Array", "null". */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  if (typeof value !== "object") return `a ${typeof value} (${String(value)})`;
  const name = Object.getPrototypeOf(value)?.constructor?.name ?? "Object";
  return `${/^[AEIOU]/.test(name) ? "an" : "a"} ${name}`;
}

/**
 * A value taken from a user's dict (a state dict) is a live tensor; `what` names where it came
 * from (`"0.weight"`). Throws `op: expected a Tensor for what, got ...` or `... was disposed`.
 */
export function checkTensorEntry(op: string, what: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) throw new Error(`${op}: expected a Tensor for ${what}, got ${describeValue(value)}`);
  if (value.isDisposed) throw new Error(`${op}: the tensor for ${what} was disposed and can no longer be used`);
  return value;
}

/** A number stored into an int32 tensor fits (PyTorch: "value cannot be converted to type int32 without overflow"). */
export function checkInt32(op: string, value: number): void {
  if (!(value >= -2147483648 && value < 2147483648)) throw new Error(`${op}: value ${value} cannot be converted to int32 without overflow`);
}

/** One argument is a live Tensor; `name` says which in the error. */
function checkTensor(op: string, name: string, x: unknown): asserts x is Tensor {
  // Every op checks its inputs through here, so a plain array, a typed array, a string or null
  // given for a tensor is caught by name before anything reads .shape.
  if (!(x instanceof Tensor)) throw new Error(`${op}: expected a Tensor for ${name}, got ${describeValue(x)} (make one with tensor(...))`);
  if (x.isDisposed) throw new Error(`${op}: ${name} ${describe([x])} was disposed and can no longer be used`);
}

/**
 * Each named argument is a live Tensor, of `dtype` when given: `checkArgs("conv2d", { input: x,
 * weight })` (PyTorch's argument names). The caller leaves out optional tensors not given.
 */
export function checkArgs(op: string, args: Readonly<Record<string, unknown>>, dtype?: DType): void {
  for (const [name, x] of Object.entries(args)) checkTensor(op, name, x);
  if (!dtype) return;
  for (const [name, x] of Object.entries(args) as [string, Tensor][]) {
    if (x.dtype !== dtype) throw new Error(`${op}: expected ${dtype} ${name}, got ${describe([x])}`);
  }
}

/** The input of a one-tensor op (or each of xs) is a live Tensor. */
export function checkLive(op: string, ...xs: Tensor[]): void {
  xs.forEach((x, i) => checkTensor(op, xs.length > 1 ? `input ${i + 1}` : "the input", x));
}

/** Every input is alive and float32 (the first one's type narrows to say so). */
export function checkFloat(op: string, x: Tensor, ...more: Tensor[]): asserts x is Tensor<"float32"> {
  const xs = [x, ...more];
  checkLive(op, ...xs);
  if (xs.some((x) => x.dtype !== "float32")) {
    throw new Error(`${op}: expected float32 input${xs.length > 1 ? "s" : ""}, got ${describe(xs)}`);
  }
}

/** dim in [-rank, rank) as a non-negative index (a 0-d tensor takes 0 and -1, like PyTorch). */
export function normalizeDim(op: string, dim: number, shapeOrRank: Shape | number): number {
  const ndim = typeof shapeOrRank === "number" ? shapeOrRank : shapeOrRank.length;
  const lo = -Math.max(ndim, 1), hi = Math.max(ndim, 1) - 1;
  if (!Number.isInteger(dim) || dim < lo || dim > hi) {
    const what = typeof shapeOrRank === "number" ? `rank ${ndim}` : `shape ${shapeToString(shapeOrRank)}`;
    throw new Error(`${op}: dim ${dim} out of range for a tensor of ${what} (expected ${lo}..${hi})`);
  }
  return dim < 0 ? dim + Math.max(ndim, 1) : dim;
}

/**
 * A PyTorch int-or-tuple argument (kernel size, stride, padding, ...): one number for every one of
 * the n dims, or n numbers; each at least `min` and, unless `integer` is false, whole.
 */
export function sizes(op: string, name: string, v: number | readonly number[], n: number, min: number, integer = true): number[] {
  const t = typeof v === "number" ? new Array<number>(n).fill(v) : [...v];
  if (t.length !== n || t.some((d) => typeof d !== "number" || (integer && !Number.isInteger(d)) || !(d >= min))) {
    const one = !integer ? (min > 0 ? "a positive number" : `a number ≥ ${min}`) : min === 0 ? "a non-negative integer" : min === 1 ? "a positive integer" : `an integer ≥ ${min}`;
    throw new Error(`${op}: ${name} must be ${one} or ${n === 2 ? "a pair" : n} of them, got ${JSON.stringify(v)}`);
  }
  return t;
}

/** sizes() for the 2-D ops: [h, w]. */
export const pair = (op: string, name: string, v: number | readonly number[], min: number, integer = true) =>
  sizes(op, name, v, 2, min, integer) as [number, number];

/** Channel counts and groups of a convolution: groups a positive integer dividing both channel counts. */
export function checkGroups(op: string, inChannels: number, outChannels: number, groups: number, names = ["input channels", "output channels"]): void {
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`${op}: groups must be a positive integer, got ${groups}`);
  if (inChannels % groups !== 0) throw new Error(`${op}: ${names[0]} (${inChannels}) must be divisible by groups (${groups})`);
  if (outChannels % groups !== 0) throw new Error(`${op}: ${names[1]} (${outChannels}) must be divisible by groups (${groups})`);
}

/** Options not in `known` are an error that names them (nothing is silently ignored). */
export function checkOptionNames(op: string, options: object, known: readonly string[]): void {
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  const quoted = (keys: readonly string[]) => keys.map((k) => `"${k}"`).join(", ");
  if (unknown.length) throw new Error(`${op}: unknown option${unknown.length > 1 ? "s" : ""} ${quoted(unknown)} (known: ${quoted(known)})`);
}

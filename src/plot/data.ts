// What the plots accept as data: tensors (anything with a shape and data(), so this module needs
// no wasm of its own), typed arrays, and plain (nested) arrays of numbers.
import { describeValue } from "../ops/checks.js";

/** A tensor, or anything else with a shape and a data() copy of its values (row-major). */
export interface TensorLike {
  /** The size of each dimension. */
  readonly shape: readonly number[];
  /** A copy of the values, row-major. */
  data(): ArrayLike<number>;
}

/** Numbers of any shape: a tensor, a typed array, or (nested) arrays of numbers. */
export type Values = TensorLike | ArrayLike<number> | readonly Values[];

export interface NdArray {
  values: Float64Array;
  shape: number[];
}

const isTensorLike = (v: unknown): v is TensorLike =>
  typeof v === "object" && v !== null && typeof (v as TensorLike).data === "function" && Array.isArray((v as TensorLike).shape);

/** The values of `v` (named `what` in errors from `op`), flattened row-major, with their shape; non-finite values are an error. */
export function readArray(op: string, what: string, v: unknown): NdArray {
  let out: NdArray;
  if (isTensorLike(v)) out = { values: Float64Array.from(v.data()), shape: [...v.shape] };
  else if (ArrayBuffer.isView(v) && !(v instanceof DataView)) out = { values: Float64Array.from(v as unknown as ArrayLike<number>), shape: [(v as unknown as ArrayLike<number>).length] };
  else if (Array.isArray(v)) out = readNested(op, what, v);
  else throw new Error(`${op}: ${what} must be a tensor or an array of numbers, got ${describeValue(v)}`);
  const bad = out.values.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new Error(`${op}: ${what} holds ${out.values[bad]} at flat index ${bad}; plots need finite values`);
  return out;
}

function readNested(op: string, what: string, v: unknown[]): NdArray {
  const shape: number[] = [];
  for (let level: unknown = v; Array.isArray(level) || ArrayBuffer.isView(level); level = (level as unknown[])[0]) {
    shape.push((level as unknown[]).length);
    if ((level as unknown[]).length === 0) break;
  }
  const values = new Float64Array(shape.reduce((a, b) => a * b, 1));
  let at = 0;
  const walk = (x: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof x !== "number") throw new Error(`${op}: ${what}${path} must be a number, got ${describeValue(x)}`);
      values[at++] = x;
      return;
    }
    const row = x as ArrayLike<unknown>;
    if (!(Array.isArray(x) || ArrayBuffer.isView(x)) || row.length !== shape[depth]) {
      throw new Error(`${op}: ${what} is ragged: ${what}${path} should be an array of ${shape[depth]}, got ${describeValue(x)}${Array.isArray(x) ? ` of ${row.length}` : ""}`);
    }
    for (let i = 0; i < row.length; i++) walk(row[i], depth + 1, `${path}[${i}]`);
  };
  walk(v, 0, "");
  return { values, shape };
}

/** `readArray` for a flat list: [n] (or [n, 1] / [1, n]). */
export function readVector(op: string, what: string, v: unknown): Float64Array {
  const { values, shape } = readArray(op, what, v);
  if (shape.filter((d) => d !== 1).length > 1) throw new Error(`${op}: ${what} must be 1-D, got shape [${shape.join(", ")}]`);
  return values;
}

/** `readArray` for a 2-D array [rows, cols]. */
export function readMatrix(op: string, what: string, v: unknown): { values: Float64Array; rows: number; cols: number } {
  const { values, shape } = readArray(op, what, v);
  if (shape.length !== 2 || shape[0] === 0 || shape[1] === 0) throw new Error(`${op}: ${what} must be a non-empty 2-D array [rows, cols], got shape [${shape.join(", ")}]`);
  return { values, rows: shape[0], cols: shape[1] };
}

export function extent(values: ArrayLike<number>): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < lo) lo = values[i];
    if (values[i] > hi) hi = values[i];
  }
  return [lo, hi];
}

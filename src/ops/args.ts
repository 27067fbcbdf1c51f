// Arguments the PyTorch way, for every module constructor and every option-taking function:
// PyTorch's positional order (any prefix of it), then optionally one options object holding any
// of the same settings (and keyword-only ones such as a generator). Nothing is silently ignored:
// an unknown option, a setting given twice, a value of the wrong kind, and a known setting with a
// value that is not supported yet are each an error naming it.
import { Generator } from "../random.js";
import { describeValue } from "./checks.js";

/** What a setting accepts: `test` its values, `expected` the words for the error. */
export interface Kind {
  test: (v: unknown) => boolean;
  expected: string;
  /** The other values are PyTorch's but not implemented here: the error says "not supported". */
  unsupported?: boolean;
}

/** Positional arguments in PyTorch's order, any prefix of them, then optionally an options object. */
export type Args<P extends unknown[], O> = P extends [...infer Head, unknown] ? [...P, O?] | Args<Head, O> : [O?];

/** A plain object literal (or a null-prototype dict): never a tensor, an array or a class instance. */
export function isOptionsObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

const kind = (expected: string, test: (v: unknown) => boolean): Kind => ({ test, expected });
const isInt = (v: unknown): v is number => Number.isInteger(v);

export const kinds = {
  any: kind("anything", () => true),
  bool: kind("a boolean", (v) => typeof v === "boolean"),
  number: kind("a number", (v) => typeof v === "number" && !Number.isNaN(v)),
  positive: kind("a positive number", (v) => typeof v === "number" && v > 0),
  nonNegative: kind("a non-negative number", (v) => typeof v === "number" && v >= 0),
  probability: kind("a number in [0, 1]", (v) => typeof v === "number" && v >= 0 && v <= 1),
  int: kind("an integer", isInt),
  positiveInt: kind("a positive integer", (v) => isInt(v) && v > 0),
  nonNegativeInt: kind("a non-negative integer", (v) => isInt(v) && v >= 0),
  /** Sizes (kernel, stride, ...) are checked by the op's own int-or-tuple validator. */
  size: kind("an integer or a tuple of them", (v) => isInt(v) || (Array.isArray(v) && v.every(isInt))),
  generator: kind("a Generator", (v) => v instanceof Generator),
  oneOf: (...values: readonly unknown[]): Kind => kind(values.map((v) => JSON.stringify(v)).join(" or "), (v) => values.includes(v)),
  orNull: (k: Kind): Kind => ({ ...kind(`${k.expected} or null`, (v) => v === null || k.test(v)), unsupported: k.unsupported }),
  /** A PyTorch setting implemented only at `value` (its default). */
  only: (value: unknown, why: string): Kind => ({ test: (v) => v === value, expected: `${JSON.stringify(value)} (${why})`, unsupported: true }),
};

const NO_SETTINGS: Readonly<Record<string, Kind>> = Object.freeze({});

/**
 * Reads `args` against `positional` (PyTorch's order: name -> kind) and `keywords` (settings only an
 * options object may hold). Returns the settings given (undefined ones left out); `required` lists
 * those that must be given.
 */
export function readArgs<T = Record<string, unknown>>(
  op: string,
  args: readonly unknown[],
  positional: Readonly<Record<string, Kind>>,
  keywords: Readonly<Record<string, Kind>> = NO_SETTINGS,
  required: readonly string[] = [],
): T {
  // Every op reads its arguments on every call: no merged tables or closures unless an error needs them.
  const kindOf = (k: string): Kind | undefined => (Object.hasOwn(keywords, k) ? keywords[k] : Object.hasOwn(positional, k) ? positional[k] : undefined);
  const given: Record<string, unknown> = {};
  let order: string[] | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const last = i === args.length - 1;
    if (isOptionsObject(arg) && (last || i >= (order ??= Object.keys(positional)).length)) {
      if (!last) throw new Error(`${op}: the options object must be the last argument`);
      for (const k in arg) {
        if (!Object.hasOwn(arg, k)) continue;
        if (kindOf(k) === undefined) throw new Error(`${op}: unknown option "${k}" (known: ${Object.keys({ ...positional, ...keywords }).join(", ")})`);
        if (Object.hasOwn(given, k)) throw new Error(`${op}: ${k} is given both as an argument and in the options`);
        if (arg[k] !== undefined) given[k] = arg[k];
      }
    } else {
      order ??= Object.keys(positional);
      if (i >= order.length) {
        throw new Error(`${op}: too many arguments (${args.length}); PyTorch's order is ${order.join(", ") || "(none)"}, then an options object`);
      }
      if (arg !== undefined) given[order[i]] = arg;
    }
  }
  for (const k in given) {
    const v = given[k];
    const { test, expected, unsupported } = kindOf(k)!;
    if (test(v)) continue;
    const got = typeof v === "string" ? `"${v}"` : typeof v === "number" || typeof v === "boolean" ? String(v) : describeValue(v);
    throw new Error(unsupported ? `${op}: ${k} ${got} is not supported; only ${expected}` : `${op}: ${k} must be ${expected}, got ${got}`);
  }
  for (const k of required) if (!Object.hasOwn(given, k)) throw new Error(`${op}: ${k} is required`);
  return given as T;
}

/**
 * An options object alone (functions whose other arguments are tensors): unknown keys are an error
 * naming them, and the values are checked against their kinds (`known` as a list of names: any value,
 * for options the function checks itself).
 */
export function readOptions<T = Record<string, unknown>>(op: string, options: unknown, known: Readonly<Record<string, Kind>> | readonly string[]): T {
  if (options === undefined) return {} as T;
  if (!isOptionsObject(options)) throw new Error(`${op}: expected an options object, got ${describeValue(options)}`);
  const byName = Array.isArray(known) ? Object.fromEntries(known.map((k: string) => [k, kinds.any])) : (known as Record<string, Kind>);
  return readArgs<T>(op, [options], {}, byName);
}

// Printing tensors the way PyTorch does (torch/_tensor_str.py): one formatter for the whole tensor
// picks integer, fixed or scientific notation and a common width from the values printed; tensors
// with more than `threshold` elements show only `edgeitems` rows and columns at each edge; rows
// wrap at `linewidth`. setPrintOptions is torch.set_printoptions.
import { readOptions, kinds } from "./args.js";
import type { Shape } from "../dims.js";

/** How tensors print (torch.set_printoptions): see setPrintOptions. */
export interface PrintOptions {
  /** Digits after the decimal point. Default 4. */
  precision: number;
  /** Tensors with more elements than this are summarised. Default 1000. */
  threshold: number;
  /** Items shown at the start and end of each dim when summarised. Default 3. */
  edgeitems: number;
  /** Characters per line before wrapping. Default 80. */
  linewidth: number;
  /** true: always scientific notation; false: never; null: chosen from the values (PyTorch's rule). */
  sciMode: boolean | null;
}

const PROFILES: Record<"default" | "short" | "full", PrintOptions> = {
  default: { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80, sciMode: null },
  short: { precision: 2, threshold: 1000, edgeitems: 2, linewidth: 80, sciMode: null },
  full: { precision: 4, threshold: Infinity, edgeitems: 3, linewidth: 80, sciMode: null },
};

let printOptions: PrintOptions = { ...PROFILES.default };

/**
 * torch.set_printoptions: changes how tensors print from now on. `profile` ("default", "short",
 * "full") sets every option first; the options given override it. As in PyTorch, options not
 * given keep their current value, except `sciMode`, which goes back to automatic (null) unless given.
 */
export function setPrintOptions(options: Partial<PrintOptions> & { profile?: "default" | "short" | "full" }): void {
  const o = readOptions<Partial<PrintOptions> & { profile?: keyof typeof PROFILES }>("setPrintOptions", options, {
    precision: kinds.nonNegativeInt,
    threshold: kinds.nonNegative,
    edgeitems: kinds.positiveInt,
    linewidth: kinds.positiveInt,
    sciMode: kinds.orNull(kinds.bool),
    profile: kinds.oneOf("default", "short", "full"),
  });
  const { profile, ...rest } = o;
  printOptions = { ...(profile ? PROFILES[profile] : printOptions), sciMode: null, ...rest };
}

/** The options tensors print with now. */
export function getPrintOptions(): PrintOptions {
  return { ...printOptions };
}

// Python's "{:.Ne}": at least two exponent digits (1.0000e+00).
function exponential(v: number, precision: number): string {
  return v.toExponential(precision).replace(/e([+-])(\d)$/, "e$10$2");
}

const nonFinite = (v: number) => (Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf");
// Python keeps the sign of -0.0 ("-0.0000"); toFixed drops it.
const fixed = (v: number, digits: number) => (Object.is(v, -0) ? "-" : "") + v.toFixed(digits);

/** PyTorch's _Formatter: the notation and width for a set of values. */
class Formatter {
  private intMode = true;
  private sciMode = false;
  width = 1;

  constructor(values: readonly number[], private readonly floating: boolean, private readonly precision: number, sciMode: boolean | null) {
    if (!floating) {
      for (const v of values) this.width = Math.max(this.width, String(v).length);
      return;
    }
    const finite = values.filter((v) => Number.isFinite(v) && v !== 0);
    if (finite.length > 0) {
      const abs = finite.map(Math.abs);
      const min = Math.min(...abs);
      const max = Math.max(...abs);
      this.intMode = finite.every((v) => v === Math.ceil(v));
      this.sciMode = max / min > 1000 || max > 1e8 || (!this.intMode && min < 1e-4);
      for (const v of finite) {
        const text = this.sciMode ? exponential(v, precision) : this.intMode ? `${fixed(v, 0)}.` : fixed(v, precision);
        this.width = Math.max(this.width, text.length);
      }
    }
    if (sciMode !== null) this.sciMode = sciMode;
  }

  format(v: number): string {
    let text: string;
    if (!this.floating) text = String(v);
    else if (!Number.isFinite(v)) text = nonFinite(v);
    else if (this.sciMode) text = exponential(v, this.precision);
    else if (this.intMode) text = `${fixed(v, 0)}.`;
    else text = fixed(v, this.precision);
    return text.padStart(this.width);
  }
}

/**
 * The body PyTorch prints inside `tensor(...)` for values laid out row-major in `data` with this
 * shape, then the suffixes (`dtype=…`, `requires_grad=True`), wrapped as PyTorch wraps them.
 */
export function formatTensor(data: ArrayLike<number>, shape: Shape, floating: boolean, suffixes: string[]): string {
  const { precision, threshold, edgeitems, linewidth, sciMode } = printOptions;
  const prefix = "tensor(";
  const indent = prefix.length;
  const size = data.length;
  let body: string;
  if (size === 0) {
    body = "[]";
    if (shape.length !== 1) suffixes = [`size=(${shape.join(", ")})`, ...suffixes];
  } else {
    const summarize = size > threshold;
    const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
    // The indices shown along dim d: all of them, or edgeitems at each end around a gap (-1).
    const shown = (d: number): number[] => {
      const n = shape[d];
      if (!summarize || n <= 2 * edgeitems) return Array.from({ length: n }, (_, i) => i);
      return [...Array.from({ length: edgeitems }, (_, i) => i), -1, ...Array.from({ length: edgeitems }, (_, i) => n - edgeitems + i)];
    };
    // The formatter sees only the values that will be printed (PyTorch's get_summarized_data).
    const printed: number[] = [];
    const collect = (d: number, offset: number): void => {
      if (d === shape.length) printed.push(data[offset]);
      else for (const i of shown(d)) if (i >= 0) collect(d + 1, offset + i * strides[d]);
    };
    collect(0, 0);
    const formatter = new Formatter(printed, floating, precision, sciMode);
    const str = (d: number, offset: number, at: number): string => {
      if (d === shape.length - 1) {
        const items = shown(d).map((i) => (i < 0 ? " ..." : formatter.format(data[offset + i])));
        const perLine = Math.max(1, Math.floor((linewidth - at) / (formatter.width + 2)));
        const lines: string[] = [];
        for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(", "));
        return `[${lines.join(`,\n${" ".repeat(at + 1)}`)}]`;
      }
      const slices = shown(d).map((i) => (i < 0 ? "..." : str(d + 1, offset + i * strides[d], at + 1)));
      return `[${slices.join(`,${"\n".repeat(shape.length - d - 1)}${" ".repeat(at + 1)}`)}]`;
    };
    body = shape.length === 0 ? formatter.format(data[0]) : str(0, 0, indent);
  }
  // PyTorch's _add_suffixes: a suffix that would pass the line width starts a new line.
  let out = prefix + body;
  let lastLine = out.length - out.lastIndexOf("\n") + 1;
  for (const suffix of suffixes) {
    if (lastLine + suffix.length + 2 > linewidth) {
      out += `,\n${" ".repeat(indent)}${suffix}`;
      lastLine = indent + suffix.length;
    } else {
      out += `, ${suffix}`;
      lastLine += suffix.length + 2;
    }
  }
  return `${out})`;
}

/** PyTorch's name for the backward of a recorded op: "add" -> "AddBackward0", "maxPool2d" -> "MaxPool2dBackward0". */
export function backwardName(op: string): string {
  return `${op.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join("")}Backward0`;
}

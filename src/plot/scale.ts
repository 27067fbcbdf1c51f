// Axis scales and "nice" ticks: steps of 1, 2 or 5 times a power of ten (linear), decades and their
// 2× and 5× (logarithmic), labelled with as many decimals as the step needs.

export interface Scale {
  /** Data value to its fraction of the way along the axis (0 at lo, 1 at hi). */
  map(v: number): number;
  /** The data interval shown. */
  lo: number;
  hi: number;
  ticks: number[];
  labels: string[];
  log: boolean;
}

export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(count, 1);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const f = raw / magnitude;
  // d3's thresholds: the step whose tick count is nearest `count` on a log scale.
  return (f >= Math.SQRT2 * 5 ? 10 : f >= Math.sqrt(10) ? 5 : f >= Math.SQRT2 ? 2 : 1) * magnitude;
}

const MINUS = "\u2212";

/** A tick label: the step's decimals, exponent notation for very large or small magnitudes, a typographic minus. */
export function formatTick(v: number, step: number): string {
  const a = Math.abs(v);
  let s: string;
  if (a >= 1e5 || (a < 1e-4 && a > 0)) s = a.toExponential().replace(/\.?0+e/, "e").replace("e+", "e");
  else s = a.toFixed(Math.max(0, Math.min(10, -Math.floor(Math.log10(step) + 1e-9))));
  return (v < 0 ? MINUS : "") + s;
}

/** Ticks on [lo, hi] (about `count` of them); with `nice` the interval grows to the enclosing ticks. */
export function linearTicks(lo: number, hi: number, count: number, nice: boolean): { lo: number; hi: number; ticks: number[]; labels: string[] } {
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(lo))) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    (lo -= pad), (hi += pad);
  }
  const step = niceStep(hi - lo, count);
  if (nice) (lo = Math.floor(lo / step + 1e-9) * step), (hi = Math.ceil(hi / step - 1e-9) * step);
  const ticks: number[] = [];
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  for (let k = Math.ceil(lo / step - 1e-9); k <= Math.floor(hi / step + 1e-9); k++) ticks.push(Number((k * step).toFixed(Math.min(20, decimals))));
  return { lo, hi, ticks, labels: ticks.map((t) => formatTick(t, step)) };
}

/** Ticks of a log axis over [lo, hi] (both > 0): decades, then 2× and 5× when fewer than two decades show. */
export function logTicks(lo: number, hi: number): { ticks: number[]; labels: string[] } {
  const e0 = Math.floor(Math.log10(lo)), e1 = Math.ceil(Math.log10(hi));
  const inside = (v: number) => v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9);
  const at = (mantissas: number[]) => {
    const out: number[] = [];
    for (let e = e0; e <= e1; e++) for (const m of mantissas) if (inside(m * 10 ** e)) out.push(Number((m * 10 ** e).toPrecision(12)));
    return out;
  };
  let ticks = at([1]);
  if (ticks.length < 2) ticks = at([1, 2, 5]);
  if (ticks.length < 2) ticks = at([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const label = (v: number) => {
    const e = Math.floor(Math.log10(v) + 1e-9);
    return e >= -4 && e <= 4 ? formatTick(v, 10 ** Math.min(e, 0)) : v.toExponential().replace(/\.?0+e/, "e").replace("e+", "e").replace("-", MINUS);
  };
  return { ticks, labels: ticks.map(label) };
}

export interface ScaleSpec {
  /** The data's [min, max]. */
  extent: [number, number];
  /** A fixed interval (the user's xLim/yLim): no nice rounding. */
  lim?: readonly [number, number];
  log?: boolean;
  /** Grow the interval to the enclosing ticks (linear axes without lim). */
  nice?: boolean;
  count?: number;
}

export function makeScale(op: string, axis: string, spec: ScaleSpec): Scale {
  const log = spec.log ?? false;
  let [lo, hi] = spec.lim ?? spec.extent;
  if (log) {
    if (!(lo > 0)) throw new Error(`${op}: a log ${axis} axis needs positive values, got a minimum of ${lo}`);
    if (!spec.lim) {
      // 5% of the shown span (in log space) on either side, like matplotlib's margins.
      const a = Math.log10(lo), b = Math.log10(hi), pad = Math.max(b - a, 0.1) * 0.05;
      (lo = 10 ** (a - pad)), (hi = 10 ** (b + pad));
    }
    const { ticks, labels } = logTicks(lo, hi);
    const a = Math.log10(lo), b = Math.log10(hi);
    return { lo, hi, ticks, labels, log, map: (v) => (Math.log10(v) - a) / (b - a) };
  }
  const t = linearTicks(lo, hi, spec.count ?? 5, !spec.lim && (spec.nice ?? true));
  const span = t.hi - t.lo;
  return { lo: t.lo, hi: t.hi, ticks: t.ticks, labels: t.labels, log, map: (v) => (v - t.lo) / span };
}

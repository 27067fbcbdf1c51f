// Plots of points and lines: line plots (learning curves), scatter plots, histograms.
import { kinds, readArgs, type Kind } from "../ops/args.js";
import { describeValue } from "../ops/checks.js";
import type { EpochLog, History } from "../train/fit.js";
import { seriesColor } from "./colormap.js";
import { readArray, readVector, extent, type Values } from "./data.js";
import { el, num, optionKinds, readPlotOptions, renderFrame, type Axis, type FrameOptions, type LegendEntry } from "./frame.js";

/** One line of a linePlot: y values, optionally x values, and how to draw them. */
export interface Series {
  /** The y values (a tensor, typed array or array). */
  y: Values;
  /** Default 0, 1, 2, ... */
  x?: Values;
  /** The legend's name for the series. */
  label?: string;
  /** The line's colour (default: the next colour of the series palette). */
  color?: string;
  /** A dashed line. */
  dashed?: boolean;
  /** A dot at every point (default: when the series has at most 30 points). */
  markers?: boolean;
}

/** The options of linePlot. */
export interface LinePlotOptions extends FrameOptions {
  /** x ticks only at integers (default: when every x value is an integer, as epochs or steps). */
  integerX?: boolean;
}

const SERIES_KEYS: Record<keyof Series, Kind> = {
  y: kinds.any,
  x: kinds.any,
  label: optionKinds.text,
  color: optionKinds.color,
  dashed: kinds.bool,
  markers: kinds.bool,
};
const isSeriesObject = (v: unknown): boolean => typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && "y" in v;

interface Line {
  x: Float64Array;
  y: Float64Array;
  label?: string;
  color: string;
  dashed: boolean;
  markers: boolean;
}

function readSeries(op: string, input: unknown): Line[] {
  const list = isSeriesObject(input) ? [input] : Array.isArray(input) && input.length > 0 && input.every(isSeriesObject) ? input : [{ y: input }];
  return list.map((s, i) => {
    const what = list.length > 1 ? `series ${i}` : "the series";
    const o = readArgs<Series>(`${op}: ${what}`, [s], {}, SERIES_KEYS, ["y"]);
    const y = readVector(op, `${what}'s y`, o.y);
    if (y.length === 0) throw new Error(`${op}: ${what} has no points`);
    const x = o.x === undefined ? Float64Array.from(y, (_, k) => k) : readVector(op, `${what}'s x`, o.x);
    if (x.length !== y.length) throw new Error(`${op}: ${what} has ${x.length} x values and ${y.length} y values`);
    return { x, y, label: o.label, color: o.color ?? seriesColor(i), dashed: o.dashed ?? false, markers: o.markers ?? y.length <= 30 };
  });
}

const pathOf = (x: Axis, y: Axis, xs: ArrayLike<number>, ys: ArrayLike<number>) =>
  Array.from(xs, (v, i) => `${i === 0 ? "M" : "L"}${num(x.px(v))} ${num(y.px(ys[i]))}`).join("");

/** The marks of lines (shared with overlays on heat maps). */
export function drawLines(lines: Line[], x: Axis, y: Axis): string {
  return lines
    .map((l) => {
      const path = el("path", { d: pathOf(x, y, l.x, l.y), fill: "none", stroke: l.color, "stroke-width": 1.8, "stroke-dasharray": l.dashed ? "6 4" : undefined, "stroke-linejoin": "round", class: "line" });
      const dots = l.markers ? Array.from(l.x, (v, i) => el("circle", { cx: x.px(v), cy: y.px(l.y[i]), r: 2.5, fill: l.color, class: "marker" })).join("") : "";
      return path + dots;
    })
    .join("");
}

export const legendOf = (lines: Line[]): LegendEntry[] =>
  lines.filter((l) => l.label !== undefined).map((l) => ({ label: l.label!, color: l.color, mark: l.dashed ? "dashed" : "line" }));

export { readSeries };

const allExtent = (arrays: Float64Array[]): [number, number] => {
  const e = arrays.map(extent);
  return [Math.min(...e.map((v) => v[0])), Math.max(...e.map((v) => v[1]))];
};

/**
 * Lines through points: one series (its y values, or { x, y, label, color, dashed, markers }) or
 * several. Returns an SVG document.
 */
export function linePlot(series: Values | Series | readonly Series[], options?: LinePlotOptions): string {
  const op = "linePlot";
  return drawLinePlot(op, readSeries(op, series), readPlotOptions<LinePlotOptions>(op, options, { integerX: kinds.bool }));
}

function drawLinePlot(op: string, lines: Line[], o: LinePlotOptions): string {
  const integer = o.integerX ?? lines.every((l) => l.x.every(Number.isInteger));
  return renderFrame(op, o, {
    x: { extent: allExtent(lines.map((l) => l.x)), integer },
    y: { extent: allExtent(lines.map((l) => l.y)) },
    body: (x, y) => drawLines(lines, x, y),
    legend: legendOf(lines),
    grid: true,
    size: { width: 560, height: 360 },
  });
}

/** What learningCurves draws per epoch: "loss", "accuracy" or "error" (1 − accuracy). */
export type CurveMetric = "loss" | "accuracy" | "error";

/** The options of learningCurves. */
export interface LearningCurveOptions extends FrameOptions {
  /** What to draw per epoch: the mean loss (default), accuracy, or error = 1 − accuracy. */
  metric?: CurveMetric;
}

type Run = History | readonly EpochLog[];
const epochsOf = (run: Run): readonly EpochLog[] => (Array.isArray(run) ? run : (run as History).epochs);
const isRun = (v: unknown): v is Run => Array.isArray(v) || (typeof v === "object" && v !== null && Array.isArray((v as History).epochs));

/**
 * Training and validation curves of fit's history (or its epochs), per epoch: solid for training,
 * dashed for validation. Several runs ({ "no noise": h1, noise: h2 }) share the axes, one colour each.
 */
export function learningCurves(history: Run | Readonly<Record<string, Run>>, options?: LearningCurveOptions): string {
  const op = "learningCurves";
  const o = readPlotOptions<LearningCurveOptions>(op, options, { metric: kinds.oneOf("loss", "accuracy", "error") });
  const metric = o.metric ?? "loss";
  if (typeof history !== "object" || history === null) throw new Error(`${op}: expected fit's history, its epochs, or a record of them, got ${describeValue(history)}`);
  const runs: [string | null, Run][] = isRun(history) ? [[null, history]] : Object.entries(history);
  const series: Series[] = [];
  runs.forEach(([name, run], i) => {
    if (!isRun(run)) throw new Error(`${op}: run "${name}" is not a history (expected fit's result or its epochs)`);
    const epochs = epochsOf(run);
    if (epochs.length === 0) throw new Error(`${op}: ${name === null ? "the history" : `run "${name}"`} has no epochs yet`);
    const value = (e: EpochLog, split: "train" | "val"): number | null => {
      const loss = split === "train" ? e.trainLoss : e.valLoss;
      const acc = split === "train" ? e.trainAccuracy : e.valAccuracy;
      return metric === "loss" ? loss : acc === null ? null : metric === "accuracy" ? acc : 1 - acc;
    };
    for (const split of ["train", "val"] as const) {
      const points = epochs.filter((e) => value(e, split) !== null);
      if (points.length === 0) {
        if (split === "train") throw new Error(`${op}: the history has no ${metric} (fit ran with accuracy: false?)`);
        continue;
      }
      const label = split === "train" ? "training" : "validation";
      series.push({ x: points.map((e) => e.epoch), y: points.map((e) => value(e, split)!), label: name === null ? label : `${name} (${label})`, color: seriesColor(i), dashed: split === "val" });
    }
  });
  const { metric: _, ...frame } = o;
  return drawLinePlot(op, readSeries(op, series), { xLabel: "epoch", yLabel: metric, ...frame });
}

/** The options of scatter. */
export interface ScatterOptions extends FrameOptions {
  /** Class of each point (integers 0..K−1): one colour per class. */
  labels?: Values;
  /** Legend names of the classes (default "class 0", ...). */
  classNames?: readonly string[];
  /** Dot radius in px (default 3.5). */
  radius?: number;
  /** Colour when there are no labels. */
  color?: string;
}

const SCATTER_OPTIONS = { labels: kinds.any, classNames: optionKinds.strings, radius: kinds.positive, color: optionKinds.color };

/** Reads [N, 2] points and optional class labels [N] (integers ≥ 0). */
export function readPoints(op: string, points: unknown, labels: unknown): { xs: Float64Array; ys: Float64Array; classes: Int32Array | null } {
  const p = readArray(op, "points", points);
  if (p.shape.length !== 2 || p.shape[1] !== 2) throw new Error(`${op}: points must be [N, 2], got shape [${p.shape.join(", ")}]`);
  const n = p.shape[0];
  if (n === 0) throw new Error(`${op}: no points`);
  const xs = Float64Array.from({ length: n }, (_, i) => p.values[2 * i]), ys = Float64Array.from({ length: n }, (_, i) => p.values[2 * i + 1]);
  if (labels === undefined) return { xs, ys, classes: null };
  const l = readVector(op, "labels", labels);
  if (l.length !== n) throw new Error(`${op}: ${l.length} labels for ${n} points`);
  const bad = l.findIndex((c) => !Number.isInteger(c) || c < 0);
  if (bad >= 0) throw new Error(`${op}: labels[${bad}] is ${l[bad]}; labels are class indices 0, 1, 2, ...`);
  return { xs, ys, classes: Int32Array.from(l) };
}

export function drawPoints(xs: Float64Array, ys: Float64Array, classes: Int32Array | null, x: Axis, y: Axis, radius: number, color: string): string {
  return Array.from(xs, (v, i) =>
    el("circle", { cx: x.px(v), cy: y.px(ys[i]), r: radius, fill: classes ? seriesColor(classes[i]) : color, stroke: "#222222", "stroke-width": 0.6, "fill-opacity": 0.9, class: "point" }),
  ).join("");
}

export function classLegend(classes: Int32Array, classNames: readonly string[] | undefined): LegendEntry[] {
  const count = Math.max(...classes) + 1;
  if (classNames && classNames.length < count) throw new Error(`classNames has ${classNames.length} names for ${count} classes`);
  return Array.from({ length: count }, (_, c) => ({ label: classNames?.[c] ?? `class ${c}`, color: seriesColor(c), mark: "point" as const }));
}

/** Points [N, 2], coloured by class when labels are given. */
export function scatter(points: Values, options?: ScatterOptions): string {
  const op = "scatter";
  const o = readPlotOptions<ScatterOptions>(op, options, SCATTER_OPTIONS);
  const { xs, ys, classes } = readPoints(op, points, o.labels);
  return renderFrame(op, o, {
    x: { extent: extent(xs) },
    y: { extent: extent(ys) },
    body: (x, y) => drawPoints(xs, ys, classes, x, y, o.radius ?? 3.5, o.color ?? seriesColor(0)),
    legend: classes ? withOp(op, () => classLegend(classes, o.classNames)) : [],
    grid: true,
    size: { width: 480, height: 400 },
  });
}

const withOp = <T>(op: string, fn: () => T): T => {
  try {
    return fn();
  } catch (e) {
    throw new Error(`${op}: ${(e as Error).message}`);
  }
};
export { withOp };

/** One histogram series when several are drawn together. */
export interface HistogramSeries {
  /** The values to bin (a tensor, typed array or array). */
  values: Values;
  /** The legend's name for the series. */
  label?: string;
  /** The bars' colour (default: the next colour of the series palette). */
  color?: string;
}

/** The options of histogram. */
export interface HistogramOptions extends FrameOptions {
  /** Number of equal-width bins (default 30). */
  bins?: number;
  /** The binned interval (default the data's [min, max]); values outside it are not counted (as numpy.histogram). */
  range?: readonly [number, number];
  /** Bars show probability density (the area sums to 1) instead of counts. */
  density?: boolean;
}

const HISTOGRAM_OPTIONS = { bins: kinds.positiveInt, range: optionKinds.interval, density: kinds.bool };
const HISTOGRAM_SERIES: Record<keyof HistogramSeries, Kind> = { values: kinds.any, label: optionKinds.text, color: optionKinds.color };

/** Counts of values in `bins` equal bins over [lo, hi] (the last bin includes hi, as numpy's). */
export function binCounts(values: ArrayLike<number>, bins: number, lo: number, hi: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo || v > hi) continue;
    counts[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]++;
  }
  return counts;
}

/**
 * A histogram of values (any shape, flattened), or overlaid histograms of several series
 * ({ values, label, color }[]) over shared bins, drawn translucent.
 */
export function histogram(data: Values | readonly HistogramSeries[], options?: HistogramOptions): string {
  const op = "histogram";
  const o = readPlotOptions<HistogramOptions>(op, options, HISTOGRAM_OPTIONS);
  const list = Array.isArray(data) && data.length > 0 && data.every((d) => typeof d === "object" && d !== null && "values" in d) ? (data as HistogramSeries[]) : [{ values: data as Values }];
  const series = list.map((s, i) => {
    const what = list.length > 1 ? `series ${i}` : "the values";
    const r = readArgs<HistogramSeries>(`${op}: ${what}`, [s], {}, HISTOGRAM_SERIES, ["values"]);
    const values = readArray(op, list.length > 1 ? `series ${i}'s values` : "values", r.values).values;
    if (values.length === 0) throw new Error(`${op}: ${what} is empty`);
    return { values, label: r.label, color: r.color ?? seriesColor(i) };
  });
  const bins = o.bins ?? 30;
  let [lo, hi] = o.range ?? allExtent(series.map((s) => s.values));
  if (hi === lo) (lo -= 0.5), (hi += 0.5);
  const width = (hi - lo) / bins;
  const bars = series.map((s) => {
    const counts = binCounts(s.values, bins, lo, hi);
    const inRange = counts.reduce((a, b) => a + b, 0);
    return o.density ? counts.map((c) => (inRange ? c / (inRange * width) : 0)) : counts;
  });
  const top = Math.max(...bars.flat());
  const alpha = series.length > 1 ? 0.55 : 0.9;
  return renderFrame(op, { yLabel: o.density ? "density" : "count", ...o }, {
    x: { extent: [lo, hi], nice: false },
    y: { extent: [0, top > 0 ? top : 1] },
    body: (x, y) =>
      bars
        .map((heights, k) =>
          heights
            .map((h, b) => {
              const x0 = x.px(lo + b * width), x1 = x.px(lo + (b + 1) * width), y0 = y.px(0), y1 = y.px(h);
              return el("rect", { x: x0, y: y1, width: Math.max(x1 - x0, 0.5), height: Math.max(y0 - y1, 0), fill: series[k].color, "fill-opacity": alpha, stroke: "#ffffff", "stroke-width": 0.5, class: "bar" });
            })
            .join(""),
        )
        .join(""),
    legend: series.filter((s) => s.label !== undefined).map((s) => ({ label: s.label!, color: s.color, mark: "box" as const })),
    grid: true,
    size: { width: 520, height: 340 },
  });
}

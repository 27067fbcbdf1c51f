// The figure around every plot: white background, title, plot area with axes, nice ticks, grid,
// axis labels, legend and colour bar; the plot's own marks are drawn by `body` inside the area
// (clipped to it). Also the SVG text helpers and the options all plots share.
import { kinds, readOptions, type Kind } from "../ops/args.js";
import { COLORMAPS, colorAt, toHex, type ColormapName } from "./colormap.js";
import { formatTick, linearTicks, makeScale, type Scale } from "./scale.js";

const FONT_SIZE = 11;
const CHAR_WIDTH = 0.62 * FONT_SIZE; // a conservative average advance for sans-serif digits and letters
export const FONT_FAMILY = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif";
const TICK = 4;
const AXIS_COLOR = "#333333";
const GRID_COLOR = "#e6e6e6";

export const escapeXml = (s: string): string => s.replace(/[&<>"]/g, (c) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot" }[c]};`);
/** Coordinates with two decimals: enough for a screen, and the SVG stays small. */
export const num = (v: number): string => String(Math.round(v * 100) / 100);

export function el(tag: string, attrs: Record<string, string | number | undefined>, children?: string): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${typeof v === "number" ? num(v) : escapeXml(v!)}"`)
    .join("");
  return children === undefined ? `<${tag}${a}/>` : `<${tag}${a}>${children}</${tag}>`;
}

// Raster layers keep hard cell edges: resvg reads the image-rendering="optimizeSpeed" attribute
// (and would take any "pixelated" it sees as a bad value, smoothing); browsers need CSS's
// "pixelated", given where it is supported (resvg skips @supports blocks).
const PIXELATED = "<style>@supports (image-rendering: pixelated) { image.raster { image-rendering: pixelated } }</style>";

export const svgDocument = (width: number, height: number, body: string): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" viewBox="0 0 ${num(width)} ${num(height)}" font-family="${FONT_FAMILY}" font-size="${FONT_SIZE}">${body.includes('class="raster"') ? PIXELATED : ""}${body}</svg>`;

export const textWidth = (s: string): number => s.length * CHAR_WIDTH;

// Ids (clip paths, gradients) are unique across all figures made, so several can share one page.
let nextId = 0;
export const uniqueId = (what: string): string => `simdgrad-${what}-${++nextId}`;

/** Where the legend goes, as in matplotlib's `loc`. */
export type LegendLoc = "upper right" | "upper left" | "lower left" | "lower right";
const LEGEND_LOCS: LegendLoc[] = ["upper right", "upper left", "lower left", "lower right"];

/** The options every plot with axes takes (size, labels, log scales, limits, legend). */
export interface FrameOptions {
  /** The title above the plot. */
  title?: string;
  /** Size of the whole figure in px (CSS pixels; PNGs can be scaled when saved). */
  width?: number;
  /** The figure's height in px. */
  height?: number;
  /** The x axis's label. */
  xLabel?: string;
  /** The y axis's label. */
  yLabel?: string;
  /** Logarithmic axes (the data must be positive). */
  logX?: boolean;
  /** A logarithmic y axis (the data must be positive). */
  logY?: boolean;
  /** Fixed axis intervals [min, max] (otherwise fitted to the data and rounded to ticks). */
  xLim?: readonly [number, number];
  /** The y axis's fixed interval [min, max]. */
  yLim?: readonly [number, number];
  /** Show the legend (default: when some series has a label), and where. */
  legend?: boolean | LegendLoc;
}

const text: Kind = { test: (v) => typeof v === "string", expected: "a string" };
const interval: Kind = {
  test: (v) => Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === "number" && Number.isFinite(x)) && v[0] < v[1],
  expected: "an interval [min, max] with min < max",
};
export const optionKinds = {
  text,
  interval,
  strings: { test: (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === "string"), expected: "an array of strings" } as Kind,
  size: { test: (v: unknown) => typeof v === "number" && v >= 16 && v <= 10000, expected: "a size in px between 16 and 10000" } as Kind,
  colormap: kinds.oneOf(...COLORMAPS),
  color: { test: (v: unknown) => typeof v === "string" && /^#[0-9a-fA-F]{6}$/.test(v), expected: 'a colour "#rrggbb"' } as Kind,
};

export const FRAME_OPTIONS: Record<keyof FrameOptions, Kind> = {
  title: text,
  width: optionKinds.size,
  height: optionKinds.size,
  xLabel: text,
  yLabel: text,
  logX: kinds.bool,
  logY: kinds.bool,
  xLim: interval,
  yLim: interval,
  legend: { test: (v) => typeof v === "boolean" || LEGEND_LOCS.includes(v as LegendLoc), expected: `a boolean or one of ${LEGEND_LOCS.map((l) => `"${l}"`).join(", ")}` },
};

/** Reads a plot's options: the frame's plus its own; an unknown option or a bad value is an error naming it. */
export function readPlotOptions<T>(op: string, options: unknown, own: Record<string, Kind>): T {
  return readOptions<T>(op, options, { ...FRAME_OPTIONS, ...own });
}

export interface LegendEntry {
  label: string;
  color: string;
  mark: "line" | "dashed" | "point" | "box";
}

/** An axis of the area: the scale, and data value to pixel. */
export interface Axis {
  scale: Scale;
  px(v: number): number;
}

export interface AxisSpec {
  extent: [number, number];
  /** Round the interval out to ticks (default true). */
  nice?: boolean;
  /** Cells 0..n−1 (heat maps, image rows): the interval is [−0.5, n − 0.5] and ticks fall on cells, labelled by `labels` when given. */
  cells?: { count: number; labels?: readonly string[] };
  /** Ticks only at integers (epochs). */
  integer?: boolean;
  /** y only: grow downwards (row 0 at the top, as images are shown). */
  downward?: boolean;
}

export interface FrameSpec {
  x: AxisSpec;
  y: AxisSpec;
  /** The marks, in pixels (clipped to the area). */
  body(x: Axis, y: Axis, area: { left: number; top: number; width: number; height: number }): string;
  legend?: LegendEntry[];
  colorbar?: { colormap: ColormapName; lo: number; hi: number; label?: string };
  grid?: boolean;
  size: { width: number; height: number };
}

function cellScale(count: number, labels?: readonly string[]): Scale {
  const ticks = labels ? labels.map((_, i) => i) : linearTicks(0, Math.max(count - 1, 1), 6, false).ticks.filter((t) => Number.isInteger(t) && t < count);
  return { lo: -0.5, hi: count - 0.5, ticks, labels: labels ? [...labels] : ticks.map(String), log: false, map: (v) => (v + 0.5) / count };
}

function axisScale(op: string, name: string, spec: AxisSpec, lim: readonly [number, number] | undefined, log: boolean | undefined): Scale {
  if (spec.cells) {
    if (log) throw new Error(`${op}: log${name.toUpperCase()} does not apply to an axis of cells`);
    return cellScale(spec.cells.count, spec.cells.labels);
  }
  const scale = makeScale(op, name, { extent: spec.extent, lim, log, nice: spec.nice });
  if (!spec.integer || log) return scale;
  const ticks = scale.ticks.filter(Number.isInteger);
  return { ...scale, ticks, labels: ticks.map((t) => formatTick(t, 1)) };
}

/** The whole SVG document of a figure. */
export function renderFrame(op: string, options: FrameOptions, spec: FrameSpec): string {
  const width = options.width ?? spec.size.width, height = options.height ?? spec.size.height;
  const xs = axisScale(op, "x", spec.x, options.xLim, options.logX);
  const ys = axisScale(op, "y", spec.y, options.yLim, options.logY);
  const cbTicks = spec.colorbar ? linearTicks(spec.colorbar.lo, spec.colorbar.hi, 5, false) : null;

  const widest = (labels: readonly string[]) => Math.max(0, ...labels.map(textWidth));
  const left = 8 + (options.yLabel ? 18 : 0) + widest(ys.labels) + TICK + 4;
  const colorbarWidth = cbTicks ? 14 + 14 + TICK + 4 + widest(cbTicks.labels) + (spec.colorbar!.label ? 18 : 0) : 0;
  const right = Math.max(12, widest(xs.labels.slice(-1)) / 2 + 4) + colorbarWidth;
  const top = options.title ? 30 : 12;
  const bottom = TICK + 4 + FONT_SIZE + 6 + (options.xLabel ? 18 : 0);
  const area = { left, top, width: width - left - right, height: height - top - bottom };
  if (area.width < 10 || area.height < 10) throw new Error(`${op}: a ${width}x${height} figure leaves no room for the plot (make it larger)`);

  const x: Axis = { scale: xs, px: (v) => area.left + xs.map(v) * area.width };
  const y: Axis = { scale: ys, px: spec.y.downward ? (v) => area.top + ys.map(v) * area.height : (v) => area.top + (1 - ys.map(v)) * area.height };
  const bottomY = area.top + area.height, rightX = area.left + area.width;

  const parts: string[] = [el("rect", { width, height, fill: "#ffffff" })];
  if (options.title) parts.push(el("text", { x: area.left + area.width / 2, y: 19, "text-anchor": "middle", "font-size": 13, class: "title" }, escapeXml(options.title)));
  if (spec.grid) {
    const lines = [
      ...xs.ticks.map((t) => `M${num(x.px(t))} ${num(area.top)}V${num(bottomY)}`),
      ...ys.ticks.map((t) => `M${num(area.left)} ${num(y.px(t))}H${num(rightX)}`),
    ];
    parts.push(el("path", { d: lines.join(""), stroke: GRID_COLOR, "stroke-width": 1, fill: "none", class: "grid" }));
  }
  const clip = uniqueId("clip");
  parts.push(el("clipPath", { id: clip }, el("rect", { x: area.left, y: area.top, width: area.width, height: area.height })));
  parts.push(el("g", { "clip-path": `url(#${clip})`, class: "marks" }, spec.body(x, y, area)));

  // Axes: a frame, ticks outside it, tick labels.
  parts.push(el("rect", { x: area.left, y: area.top, width: area.width, height: area.height, fill: "none", stroke: AXIS_COLOR, "stroke-width": 1 }));
  const xTicks = xs.ticks.map((t, i) => ({ at: x.px(t), label: xs.labels[i] }));
  const yTicks = ys.ticks.map((t, i) => ({ at: y.px(t), label: ys.labels[i] }));
  parts.push(
    el(
      "g",
      { class: "x-axis", stroke: AXIS_COLOR },
      el("path", { d: xTicks.map((t) => `M${num(t.at)} ${num(bottomY)}v${TICK}`).join("") }) +
        el("g", { class: "tick-labels", "text-anchor": "middle", stroke: "none", fill: AXIS_COLOR }, xTicks.map((t) => el("text", { x: t.at, y: bottomY + TICK + 3 + FONT_SIZE * 0.8 }, escapeXml(t.label))).join("")),
    ),
    el(
      "g",
      { class: "y-axis", stroke: AXIS_COLOR },
      el("path", { d: yTicks.map((t) => `M${num(area.left)} ${num(t.at)}h${-TICK}`).join("") }) +
        el("g", { class: "tick-labels", "text-anchor": "end", stroke: "none", fill: AXIS_COLOR }, yTicks.map((t) => el("text", { x: area.left - TICK - 3, y: t.at + FONT_SIZE * 0.35 }, escapeXml(t.label))).join("")),
    ),
  );
  if (options.xLabel) parts.push(el("text", { x: area.left + area.width / 2, y: height - 8, "text-anchor": "middle", class: "x-label" }, escapeXml(options.xLabel)));
  if (options.yLabel) {
    const cx = 14, cy = area.top + area.height / 2;
    parts.push(el("text", { x: cx, y: cy, "text-anchor": "middle", transform: `rotate(-90 ${num(cx)} ${num(cy)})`, class: "y-label" }, escapeXml(options.yLabel)));
  }
  if (spec.colorbar) parts.push(colorbar(spec.colorbar, cbTicks!, rightX + 14, area.top, area.height));
  const showLegend = options.legend ?? true;
  if (showLegend && spec.legend?.length) parts.push(legend(spec.legend, showLegend === true ? "upper right" : showLegend, area));

  return svgDocument(width, height, parts.join(""));
}

function legend(entries: LegendEntry[], loc: LegendLoc, area: { left: number; top: number; width: number; height: number }): string {
  const row = 16, swatch = 22, pad = 6;
  const w = pad + swatch + 6 + Math.max(...entries.map((e) => textWidth(e.label))) + pad, h = pad + entries.length * row + pad - 4;
  const bx = loc.endsWith("right") ? area.left + area.width - w - 8 : area.left + 8;
  const by = loc.startsWith("upper") ? area.top + 8 : area.top + area.height - h - 8;
  const rows = entries.map((e, i) => {
    const cy = by + pad + i * row + 6;
    const sx = bx + pad;
    const mark =
      e.mark === "point" ? el("circle", { cx: sx + swatch / 2, cy, r: 3.5, fill: e.color, stroke: "#222222", "stroke-width": 0.5 })
      : e.mark === "box" ? el("rect", { x: sx + 4, y: cy - 5, width: swatch - 8, height: 10, fill: e.color })
      : el("path", { d: `M${num(sx)} ${num(cy)}h${swatch}`, stroke: e.color, "stroke-width": 2, "stroke-dasharray": e.mark === "dashed" ? "5 3" : undefined });
    return mark + el("text", { x: sx + swatch + 6, y: cy + FONT_SIZE * 0.35 }, escapeXml(e.label));
  });
  return el("g", { class: "legend" }, el("rect", { x: bx, y: by, width: w, height: h, fill: "#ffffff", "fill-opacity": 0.85, stroke: "#bbbbbb" }) + rows.join(""));
}

function colorbar(cb: NonNullable<FrameSpec["colorbar"]>, ticks: { ticks: number[]; labels: string[] }, x: number, top: number, height: number): string {
  const id = uniqueId("colorbar");
  const stops = Array.from({ length: 17 }, (_, i) => el("stop", { offset: i / 16, "stop-color": toHex(colorAt(cb.colormap, i / 16)) })).join("");
  const w = 14;
  const py = (v: number) => top + height - ((v - cb.lo) / (cb.hi - cb.lo || 1)) * height;
  const tickMarks = ticks.ticks.map((t) => `M${num(x + w)} ${num(py(t))}h${TICK}`).join("");
  const labels = ticks.ticks.map((t, i) => el("text", { x: x + w + TICK + 3, y: py(t) + FONT_SIZE * 0.35 }, escapeXml(ticks.labels[i]))).join("");
  const labelX = x + w + TICK + 4 + Math.max(0, ...ticks.labels.map(textWidth)) + 14, cy = top + height / 2;
  const label = cb.label ? el("text", { x: labelX, y: cy, "text-anchor": "middle", transform: `rotate(-90 ${num(labelX)} ${num(cy)})` }, escapeXml(cb.label)) : "";
  return el(
    "g",
    { class: "colorbar" },
    el("linearGradient", { id, x1: 0, y1: 1, x2: 0, y2: 0 }, stops) +
      el("rect", { x, y: top, width: w, height, fill: `url(#${id})`, stroke: AXIS_COLOR, "stroke-width": 0.5 }) +
      el("path", { d: tickMarks, stroke: AXIS_COLOR }) +
      el("g", { fill: AXIS_COLOR }, labels) +
      label,
  );
}

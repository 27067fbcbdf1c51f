// Plots of grids of values, drawn as one embedded palette PNG each (a cell is a pixel, scaled up
// without smoothing): heat maps, image grids, decision regions.
import { kinds, readOptions, type Kind } from "../ops/args.js";
import { describeValue } from "../ops/checks.js";
import { noGrad } from "../autograd.js";
import { tensor } from "../ops/creation.js";
import { tidy, type Tensor } from "../tensor.js";
import type { Module } from "../nn/module.js";
import { inEvalMode } from "../train/eval-mode.js";
import { CATEGORICAL, LEVELS, level, mix, palette, parseHex, seriesColor, type ColormapName, type RGB } from "./colormap.js";
import { extent, readArray, readMatrix, type Values } from "./data.js";
import { el, escapeXml, svgDocument, optionKinds, readPlotOptions, renderFrame, type FrameOptions } from "./frame.js";
import { classLegend, drawLines, drawPoints, legendOf, readPoints, readSeries, withOp, type Series } from "./lines.js";
import { encodePng, pngDataUrl } from "./png.js";

/** An <image> of a PNG stretched over a box, drawn with hard pixel edges (see svgDocument). */
function rasterImage(png: Uint8Array, x: number, y: number, width: number, height: number): string {
  return el("image", { x, y, width, height, preserveAspectRatio: "none", "image-rendering": "optimizeSpeed", href: pngDataUrl(png), class: "raster" });
}

/** Palette indices of values on [lo, hi]. */
function levels(values: ArrayLike<number>, lo: number, hi: number): Uint8Array {
  return Uint8Array.from(values, (v) => level(v, lo, hi));
}

function flipRows(pixels: Uint8Array, rows: number, cols: number): Uint8Array {
  const out = new Uint8Array(pixels.length);
  for (let r = 0; r < rows; r++) out.set(pixels.subarray(r * cols, (r + 1) * cols), (rows - 1 - r) * cols);
  return out;
}

/** The options of heatmap. */
export interface HeatmapOptions extends FrameOptions {
  /** Default "viridis". */
  colormap?: ColormapName;
  /** The values at the two ends of the colour map (default the data's min and max). */
  vMin?: number;
  /** The value at the top of the colour map (default the data's max). */
  vMax?: number;
  /** Draw a colour bar (default true); a string is its label. */
  colorbar?: boolean | string;
  /** Names of the columns and rows (a confusion matrix's classes). */
  xTickLabels?: readonly string[];
  /** Names of the rows, top to bottom. */
  yTickLabels?: readonly string[];
  /** Write each cell's value in it. */
  annotate?: boolean;
  /** Data coordinates [x0, x1, y0, y1] the grid spans (a loss surface over its weights); default cell indices. */
  extent?: readonly [number, number, number, number];
  /** Row 0 at the top ("upper", default, as a matrix or image) or the bottom ("lower", as a surface over y). */
  origin?: "upper" | "lower";
  /** Lines over the map in its coordinates (a gradient-descent path). */
  lines?: readonly Series[];
}

const HEATMAP_OPTIONS: Record<string, Kind> = {
  colormap: optionKinds.colormap,
  vMin: kinds.number,
  vMax: kinds.number,
  colorbar: { test: (v) => typeof v === "boolean" || typeof v === "string", expected: "a boolean or a label" },
  xTickLabels: optionKinds.strings,
  yTickLabels: optionKinds.strings,
  annotate: kinds.bool,
  extent: { test: (v) => Array.isArray(v) && v.length === 4 && v.every((x) => typeof x === "number" && Number.isFinite(x)) && v[0] < v[1] && v[2] < v[3], expected: "[x0, x1, y0, y1] with x0 < x1 and y0 < y1" },
  origin: kinds.oneOf("upper", "lower"),
  lines: { test: Array.isArray, expected: "an array of series" },
};

const annotation = (v: number) => (Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(2));

/**
 * A matrix [rows, cols] as coloured cells with a colour bar: confusion matrices (with tick labels
 * and annotations), loss surfaces (with an extent and lines over them), U-matrices, attention weights.
 */
export function heatmap(values: Values, options?: HeatmapOptions): string {
  const op = "heatmap";
  const o = readPlotOptions<HeatmapOptions>(op, options, HEATMAP_OPTIONS);
  const { values: v, rows, cols } = readMatrix(op, "values", values);
  const [dataLo, dataHi] = extent(v);
  const lo = o.vMin ?? dataLo, hi = o.vMax ?? dataHi;
  if (!(hi >= lo)) throw new Error(`${op}: vMin ${lo} is above vMax ${hi}`);
  for (const [name, labels, count] of [["xTickLabels", o.xTickLabels, cols], ["yTickLabels", o.yTickLabels, rows]] as const) {
    if (labels && labels.length !== count) throw new Error(`${op}: ${name} has ${labels.length} names for ${count} ${name[0] === "x" ? "columns" : "rows"}`);
  }
  if (o.extent && (o.xTickLabels || o.yTickLabels)) throw new Error(`${op}: extent and tick labels exclude each other (tick labels name cells)`);
  if (o.lines && !o.extent) throw new Error(`${op}: lines need an extent (the coordinates they are drawn in)`);
  const colormap = o.colormap ?? "viridis";
  const lower = o.origin === "lower";
  const lines = o.lines ? readSeries(op, o.lines) : [];
  let pixels = levels(v, lo, hi);
  // The PNG's first row is drawn at the top.
  if (lower) pixels = flipRows(pixels, rows, cols);
  const png = encodePng(cols, rows, pixels, palette(colormap));
  const e = o.extent;
  return renderFrame(op, o, {
    x: e ? { extent: [e[0], e[1]], nice: false } : { extent: [0, cols - 1], cells: { count: cols, labels: o.xTickLabels } },
    y: e ? { extent: [e[2], e[3]], nice: false } : { extent: [0, rows - 1], cells: { count: rows, labels: o.yTickLabels }, downward: !lower },
    body: (x, y) => {
      const xa = x.px(x.scale.lo), xb = x.px(x.scale.hi), ya = y.px(y.scale.lo), yb = y.px(y.scale.hi);
      let out = rasterImage(png, Math.min(xa, xb), Math.min(ya, yb), Math.abs(xb - xa), Math.abs(yb - ya));
      if (o.annotate) {
        const cw = Math.abs(xb - xa) / cols, ch = Math.abs(yb - ya) / rows, top = Math.min(ya, yb), left = Math.min(xa, xb);
        const cells: string[] = [];
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < cols; c++) {
            const val = v[r * cols + c];
            const dark = level(val, lo, hi) < LEVELS * 0.55 && colormap !== "rdbu";
            const row = lower ? rows - 1 - r : r;
            cells.push(el("text", { x: left + (c + 0.5) * cw, y: top + (row + 0.5) * ch + 4, fill: dark ? "#ffffff" : "#111111" }, escapeXml(annotation(val))));
          }
        }
        out += el("g", { class: "annotations", "text-anchor": "middle" }, cells.join(""));
      }
      return out + drawLines(lines, x, y);
    },
    legend: legendOf(lines),
    colorbar: o.colorbar === false ? undefined : { colormap, lo, hi, label: typeof o.colorbar === "string" ? o.colorbar : undefined },
    size: { width: e ? 520 : Math.min(720, Math.max(360, cols * 24 + 160)), height: e ? 420 : Math.min(640, Math.max(300, rows * 24 + 80)) },
  });
}

/** The options of imageGrid. */
export interface ImageGridOptions {
  /** The title above the grid. */
  title?: string;
  /** [height, width] of each image when they come as rows [N, height·width] (default: square). */
  imageShape?: readonly [number, number];
  /** Images per row (default about √N, at most 16). */
  columns?: number;
  /** Default "gray" (RGB images [N, 3, H, W] ignore it). */
  colormap?: ColormapName;
  /** What the map's ends stand for: each image's own min..max (default, as for weights), all images' ("all"), or a fixed [lo, hi]. */
  range?: "each" | "all" | readonly [number, number];
  /** Centre the range on 0 (|max| both ways), so zero weights get the map's middle colour. */
  symmetric?: boolean;
  /** A caption under each image. */
  titles?: readonly string[];
  /** Pixels between images (default 1). */
  padding?: number;
  /** Screen px per image pixel (default: the grid about 560 px wide, at least 1). */
  scale?: number;
}

const IMAGE_GRID_OPTIONS: Record<keyof ImageGridOptions, Kind> = {
  title: optionKinds.text,
  imageShape: { test: (v) => Array.isArray(v) && v.length === 2 && v.every((d) => Number.isInteger(d) && d > 0), expected: "[height, width] (positive integers)" },
  columns: kinds.positiveInt,
  colormap: optionKinds.colormap,
  range: { test: (v) => v === "each" || v === "all" || optionKinds.interval.test(v), expected: '"each", "all" or an interval [lo, hi]' },
  symmetric: kinds.bool,
  titles: optionKinds.strings,
  padding: kinds.nonNegativeInt,
  scale: kinds.positive,
};

/** The images as [count, channels (1 or 3), height, width]. */
function imageLayout(op: string, shape: number[], imageShape: readonly [number, number] | undefined): [number, number, number, number] {
  const bad = (why: string) => new Error(`${op}: images of shape [${shape.join(", ")}] ${why}`);
  if (imageShape && shape.length !== 2) throw bad("are images already; imageShape is for rows [N, height·width]");
  if (shape.length === 2 && imageShape) {
    if (imageShape[0] * imageShape[1] !== shape[1]) throw bad(`do not have imageShape [${imageShape.join(", ")}] (${imageShape[0] * imageShape[1]} values) per row`);
    return [shape[0], 1, imageShape[0], imageShape[1]];
  }
  if (shape.length === 2) {
    const side = Math.round(Math.sqrt(shape[1]));
    if (side * side !== shape[1]) throw bad(`are rows of ${shape[1]} values, not square images: pass imageShape [height, width]`);
    return [shape[0], 1, side, side];
  }
  if (shape.length === 3) return [shape[0], 1, shape[1], shape[2]];
  if (shape.length === 4 && (shape[1] === 1 || shape[1] === 3)) return [shape[0], shape[1], shape[2], shape[3]];
  if (shape.length === 4) throw bad(`have ${shape[1]} channels; show 1 (grey) or 3 (RGB), e.g. reshape to [N·C, H, W] to see each channel`);
  throw bad("are not [N, H, W], [N, 1|3, H, W] or rows [N, H·W]");
}

/**
 * Images side by side: MNIST digits, reconstructions, or weights as images (a Linear layer's
 * weight [out, 784] shows each unit's 28×28 receptive field; a Conv2d weight [out, 1, k, k] its filters).
 */
export function imageGrid(images: Values, options?: ImageGridOptions): string {
  const op = "imageGrid";
  const o = readOptions<ImageGridOptions>(op, options, IMAGE_GRID_OPTIONS);
  const { values, shape } = readArray(op, "images", images);
  const [n, channels, h, w] = imageLayout(op, shape, o.imageShape);
  if (n === 0) throw new Error(`${op}: no images`);
  if (o.titles && o.titles.length !== n) throw new Error(`${op}: ${o.titles.length} titles for ${n} images`);
  const columns = Math.min(o.columns ?? Math.min(16, Math.ceil(Math.sqrt(n))), n);
  const rows = Math.ceil(n / columns), pad = o.padding ?? 1;
  const W = columns * w + (columns + 1) * pad, H = rows * h + (rows + 1) * pad;
  const size = h * w * channels;
  const rangeOf = (i: number): [number, number] => {
    const r = o.range ?? "each";
    let [lo, hi] = r === "each" ? extent(values.subarray(i * size, (i + 1) * size)) : r === "all" ? extent(values) : r;
    if (o.symmetric) (hi = Math.max(Math.abs(lo), Math.abs(hi))), (lo = -hi);
    return [lo, hi];
  };
  let png: Uint8Array;
  if (channels === 1) {
    const pixels = new Uint8Array(W * H).fill(LEVELS); // the padding colour
    for (let i = 0; i < n; i++) {
      const [lo, hi] = rangeOf(i);
      const ox = pad + (i % columns) * (w + pad), oy = pad + Math.floor(i / columns) * (h + pad);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) pixels[(oy + y) * W + ox + x] = level(values[i * size + y * w + x], lo, hi);
    }
    png = encodePng(W, H, pixels, palette(o.colormap ?? "gray"));
  } else {
    const pixels = new Uint8Array(W * H * 3).fill(255);
    for (let i = 0; i < n; i++) {
      const [lo, hi] = rangeOf(i);
      const ox = pad + (i % columns) * (w + pad), oy = pad + Math.floor(i / columns) * (h + pad);
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) pixels[((oy + y) * W + ox + x) * 3 + c] = Math.round((level(values[i * size + (c * h + y) * w + x], lo, hi) / (LEVELS - 1)) * 255);
      }
    }
    png = encodePng(W, H, pixels);
  }
  const scale = o.scale ?? Math.max(1, Math.min(8, Math.floor(560 / W)));
  const caption = o.titles ? 14 : 0, top = o.title ? 26 : 4, margin = 4;
  const width = W * scale + 2 * margin, height = top + H * scale + rows * caption + (o.titles ? rows * pad * scale : 0) + margin;
  const parts = [el("rect", { width, height, fill: "#ffffff" })];
  if (o.title) parts.push(el("text", { x: width / 2, y: 17, "text-anchor": "middle", "font-size": 13, class: "title" }, escapeXml(o.title)));
  if (!o.titles) parts.push(rasterImage(png, margin, top, W * scale, H * scale));
  else {
    // One band of the mosaic per grid row, with the captions under it.
    for (let r = 0; r < rows; r++) {
      const band = r * (h + pad);
      const y = top + r * ((h + 2 * pad) * scale + caption);
      parts.push(el("svg", { x: margin, y, width: W * scale, height: (h + 2 * pad) * scale, viewBox: `0 ${band} ${W} ${h + 2 * pad}`, preserveAspectRatio: "none" }, rasterImage(png, 0, 0, W, H)));
      for (let c = 0; c < columns && r * columns + c < n; c++) {
        parts.push(el("text", { x: margin + (pad + c * (w + pad) + w / 2) * scale, y: y + (h + 2 * pad) * scale + 10, "text-anchor": "middle", class: "caption" }, escapeXml(o.titles[r * columns + c])));
      }
    }
  }
  return svgDocument(width, height, parts.join(""));
}

/** The options of decisionBoundary. */
export interface DecisionBoundaryOptions extends FrameOptions {
  /** Grid cells along each axis where the model is evaluated (default 120). */
  resolution?: number;
  /** The model's outputs are logits (default: softmax / sigmoid are applied) or already probabilities. */
  output?: "logits" | "probabilities";
  /** Legend names of the classes (default "class 0", ...). */
  classNames?: readonly string[];
  /** Dot radius in px (default 3.5). */
  radius?: number;
}

const DECISION_OPTIONS: Record<string, Kind> = {
  resolution: { test: (v) => Number.isInteger(v) && (v as number) >= 2 && (v as number) <= 1000, expected: "an integer in 2..1000" },
  output: kinds.oneOf("logits", "probabilities"),
  classNames: optionKinds.strings,
  radius: kinds.positive,
};

/** A classifier of 2-D points: a model (its forward) or a function, [M, 2] in; [M, C] class scores or [M] / [M, 1] binary scores out. */
export type Classifier = Pick<Module, "forward"> | ((x: Tensor) => Tensor);

/** The interval of the data with 10% room on each side. */
const padded = ([lo, hi]: [number, number]): [number, number] => {
  const pad = hi > lo ? (hi - lo) * 0.1 : 1;
  return [lo - pad, hi + pad];
};

/**
 * The regions a 2-D classifier assigns to each class, shaded by its confidence, with the labelled
 * points over them (XOR, two moons, logistic regression). The model runs once on a grid, under
 * noGrad and in eval mode (its mode is restored).
 */
export function decisionBoundary(model: Classifier, points: Values, labels: Values, options?: DecisionBoundaryOptions): string {
  const op = "decisionBoundary";
  const o = readPlotOptions<DecisionBoundaryOptions>(op, options, DECISION_OPTIONS);
  if (o.logX || o.logY) throw new Error(`${op}: log axes are not supported (the grid is even in data coordinates)`);
  const forward = typeof model === "function" ? model : typeof model?.forward === "function" ? (x: Tensor) => model.forward(x) : null;
  if (!forward) throw new Error(`${op}: expected a model (with forward) or a function of a tensor, got ${describeValue(model)}`);
  const { xs, ys, classes } = readPoints(op, points, labels);
  const xLim: readonly [number, number] = o.xLim ?? padded(extent(xs)), yLim: readonly [number, number] = o.yLim ?? padded(extent(ys));
  const n = o.resolution ?? 120;
  const grid = new Float32Array(n * n * 2);
  // Row r of the raster is drawn at the top, so it holds the largest y.
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      grid[(r * n + c) * 2] = xLim[0] + ((c + 0.5) / n) * (xLim[1] - xLim[0]);
      grid[(r * n + c) * 2 + 1] = yLim[1] - ((r + 0.5) / n) * (yLim[1] - yLim[0]);
    }
  }
  const run = () => noGrad(() => tidy(() => {
    const out = forward(tensor(grid, [n * n, 2]));
    if (out.shape[0] !== n * n || out.shape.length > 2) throw new Error(`${op}: the model maps [${n * n}, 2] to [${out.shape.join(", ")}]; expected [${n * n}, C], [${n * n}, 1] or [${n * n}]`);
    const k = out.shape.length === 2 ? out.shape[1] : 1;
    const scores = k === 1 ? (o.output === "probabilities" ? out : out.sigmoid()) : o.output === "probabilities" ? out : out.softmax(-1);
    return { k, p: scores.data() };
  }));
  const { k, p } = typeof model === "function" || !("training" in model) ? run() : inEvalMode(model as Module, run);
  const white: RGB = [255, 255, 255];
  const classCount = Math.max(k === 1 ? 2 : k, Math.max(...classes!) + 1);
  if (k > 1 && classCount > k) throw new Error(`${op}: labels go up to class ${classCount - 1} but the model scores ${k} classes`);
  let pixels: Uint8Array, pal: Uint8Array;
  if (k === 1) {
    // Binary: one map from class 0's colour through white (p = 0.5) to class 1's.
    const a = mix(white, parseHex(CATEGORICAL[0]), 0.75), b = mix(white, parseHex(CATEGORICAL[1]), 0.75);
    pal = new Uint8Array((LEVELS + 1) * 3);
    for (let i = 0; i < LEVELS; i++) {
      const t = i / (LEVELS - 1);
      pal.set((t < 0.5 ? mix(a, white, t * 2) : mix(white, b, (t - 0.5) * 2)).map(Math.round), i * 3);
    }
    pixels = Uint8Array.from(p, (v) => level(v, 0, 1));
  } else {
    // Classes: the winner's colour, stronger with its probability; `steps` shades per class.
    const steps = Math.floor(256 / k);
    pal = new Uint8Array(k * steps * 3);
    for (let c = 0; c < k; c++) for (let s = 0; s < steps; s++) pal.set(mix(white, parseHex(seriesColor(c)), 0.12 + (0.68 * s) / Math.max(steps - 1, 1)).map(Math.round), (c * steps + s) * 3);
    pixels = new Uint8Array(n * n);
    for (let i = 0; i < n * n; i++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (p[i * k + c] > p[i * k + best]) best = c;
      const confidence = (p[i * k + best] - 1 / k) / (1 - 1 / k);
      pixels[i] = best * steps + Math.min(steps - 1, Math.max(0, Math.round(confidence * (steps - 1))));
    }
  }
  const png = encodePng(n, n, pixels, pal);
  return renderFrame(op, { ...o, xLim, yLim }, {
    x: { extent: [xLim[0], xLim[1]] },
    y: { extent: [yLim[0], yLim[1]] },
    body: (x, y) => rasterImage(png, x.px(xLim[0]), y.px(yLim[1]), x.px(xLim[1]) - x.px(xLim[0]), y.px(yLim[0]) - y.px(yLim[1])) + drawPoints(xs, ys, classes, x, y, o.radius ?? 3.5, seriesColor(0)),
    legend: withOp(op, () => classLegend(classes!, o.classNames).slice(0, classCount)),
    size: { width: 480, height: 420 },
  });
}

// Node-only: figures to files. .svg is written as is; .png is rasterised by resvg compiled to
// WebAssembly (the npm package @resvg/resvg-wasm, an optional peer dependency: no native binary),
// with fonts read from the system's usual places (resvg-wasm has no font lookup of its own).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { extname } from "node:path";
import { readOptions } from "../ops/args.js";
import type { EpochFigures } from "../train/plot-epochs.js";

/** The options of renderPng and savePlot's PNG output. */
export interface PngOptions {
  /** Pixels per SVG px (default 2, for sharp figures on high-density screens and in documents). */
  scale?: number;
  /** Font files (.ttf/.otf) to draw text with (default: DejaVu Sans, Liberation Sans, Arial or Helvetica, whichever is found). */
  fonts?: readonly string[];
}

const PNG_OPTIONS = {
  scale: { test: (v: unknown) => typeof v === "number" && v > 0 && v <= 16, expected: "a number in (0, 16]" },
  fonts: { test: (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((f) => typeof f === "string"), expected: "a non-empty array of font file paths" },
};

const SYSTEM_FONTS = [
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/TTF/DejaVuSans.ttf",
  "/usr/share/fonts/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
  "/usr/share/fonts/liberation/LiberationSans-Regular.ttf",
  "/Library/Fonts/Arial.ttf",
  "/System/Library/Fonts/Supplemental/Arial.ttf",
  "/System/Library/Fonts/Helvetica.ttc",
  "C:\\Windows\\Fonts\\arial.ttf",
];

type ResvgModule = typeof import("@resvg/resvg-wasm");
let resvg: Promise<ResvgModule> | null = null;

/** The rasteriser, compiled once per process. */
function loadResvg(op: string): Promise<ResvgModule> {
  resvg ??= (async () => {
    let module: ResvgModule, wasm: Buffer;
    try {
      module = await import("@resvg/resvg-wasm");
      wasm = readFileSync(createRequire(import.meta.url).resolve("@resvg/resvg-wasm/index_bg.wasm"));
    } catch (cause) {
      throw new Error(`${op}: PNG output needs the npm package @resvg/resvg-wasm, which is not installed; run \`npm install @resvg/resvg-wasm\` (or save the figure as .svg)`, { cause });
    }
    await module.initWasm(wasm);
    return module;
  })();
  // A failed load is not cached, so installing the package and retrying works.
  resvg.catch(() => (resvg = null));
  return resvg;
}

const fontCache = new Map<string, Uint8Array>();
function readFonts(op: string, files: readonly string[] | undefined): Uint8Array[] {
  const paths = files ?? SYSTEM_FONTS.filter((f) => existsSync(f)).slice(0, 1);
  if (paths.length === 0) throw new Error(`${op}: no font found for the figure's text (looked for ${SYSTEM_FONTS.join(", ")}); pass { fonts: [paths of .ttf files] }`);
  return paths.map((p) => {
    let font = fontCache.get(p);
    if (!font) {
      try {
        font = readFileSync(p);
      } catch (cause) {
        throw new Error(`${op}: cannot read font ${p}: ${(cause as Error).message}`, { cause });
      }
      fontCache.set(p, font);
    }
    return font;
  });
}

function checkSvg(op: string, svg: unknown): void {
  if (typeof svg !== "string" || !svg.trimStart().startsWith("<svg")) {
    throw new Error(`${op}: expected an SVG document (a string starting with <svg), got ${typeof svg === "string" ? JSON.stringify(svg.slice(0, 20)) : typeof svg}`);
  }
}

/** A PNG of an SVG figure (from simdgrad/plot), rasterised at `scale` pixels per px. */
export async function renderPng(svg: string, options?: PngOptions): Promise<Uint8Array> {
  return (await pngRenderer("renderPng", options))(svg);
}

/** A synchronous SVG -> PNG function, once the rasteriser is loaded and the fonts read. */
async function pngRenderer(op: string, options: PngOptions | undefined): Promise<(svg: string) => Uint8Array> {
  const o = readOptions<PngOptions>(op, options, PNG_OPTIONS);
  const fontBuffers = readFonts(op, o.fonts);
  const { Resvg } = await loadResvg(op);
  return (svg) => {
    checkSvg(op, svg);
    const renderer = new Resvg(svg, { fitTo: { mode: "zoom", value: o.scale ?? 2 }, font: { fontBuffers }, background: "#ffffff" });
    try {
      const image = renderer.render();
      try {
        return image.asPng();
      } finally {
        image.free();
      }
    } finally {
      renderer.free();
    }
  };
}

/** Writes a figure to `path`: .svg as is, .png rasterised (see renderPng). */
export async function savePlot(path: string, svg: string, options?: PngOptions): Promise<void> {
  const op = "savePlot";
  const write = await fileWriter(op, path, options);
  if (!isPng(path)) readOptions(op, options, {}); // PNG settings given for an SVG file would be ignored
  write(path, svg);
}

const isPng = (path: string) => extname(path).toLowerCase() === ".png";

/** Checks the path's extension and returns a synchronous writer for it. */
async function fileWriter(op: string, path: unknown, options: PngOptions | undefined): Promise<(path: string, svg: string) => void> {
  const ext = typeof path === "string" ? extname(path).toLowerCase() : "";
  if (ext === ".png") {
    const render = await pngRenderer(op, options);
    return (to, svg) => writeFileSync(to, render(svg));
  }
  if (ext !== ".svg") throw new Error(`${op}: ${JSON.stringify(path)} must end in .svg or .png`);
  return (to, svg) => {
    checkSvg(op, svg);
    writeFileSync(to, svg);
  };
}

/** Where plotFiles writes each epoch's figures. */
export interface PlotFilePaths {
  /** Where the learning curves go (.svg or .png). */
  curves?: string;
  /** Where the first layer's weights go. */
  weights?: string;
}

/**
 * A target for fit's plot option that writes each epoch's figures to files, .svg or .png
 * (`fit(model, { ..., plot: { to: await plotFiles({ curves: "curves.png", weights: "w1.png" }) } })`).
 * "{epoch}" in a path is replaced by the epoch number, to keep every epoch's figure.
 */
export async function plotFiles(paths: PlotFilePaths, options?: PngOptions): Promise<(figures: EpochFigures) => void> {
  const op = "plotFiles";
  const p = readOptions<PlotFilePaths>(op, paths, { curves: { test: (v) => typeof v === "string", expected: "a file path" }, weights: { test: (v) => typeof v === "string", expected: "a file path" } });
  if (!p.curves && !p.weights) throw new Error(`${op}: give a path for curves, weights or both`);
  if (![p.curves, p.weights].some((f) => f && isPng(f))) readOptions(op, options, {}); // PNG settings with no PNG to write
  const writers = {
    curves: p.curves ? await fileWriter(op, p.curves, options) : null,
    weights: p.weights ? await fileWriter(op, p.weights, options) : null,
  };
  const at = (path: string, epoch: number) => path.replaceAll("{epoch}", String(epoch));
  return (figures) => {
    if (writers.curves) writers.curves(at(p.curves!, figures.epoch), figures.curves);
    if (writers.weights) {
      if (figures.weights === null) throw new Error(`${op}: ${p.weights} was asked for, but fit draws no weights (the first layer is not images, or plot.weights is false)`);
      writers.weights(at(p.weights!, figures.epoch), figures.weights);
    }
  };
}

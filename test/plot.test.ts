import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as plot from "../src/plot.js";
import { decisionBoundary, heatmap, histogram, imageGrid, learningCurves, linePlot, scatter } from "../src/plot.js";
import { linearTicks, logTicks } from "../src/plot/scale.js";
import { colorAt, toHex } from "../src/plot/colormap.js";
import { init, nn, tensor } from "../src/index.js";
import { renderPng, savePlot } from "../src/node.js";
import { decodePng, embeddedImages, pixel, type Image } from "./helpers/png.js";

// The figures are SVG text, so their structure is checked directly: element counts, tick values,
// legend entries, the viewBox; the raster layers (heat maps, image grids, decision regions) are
// decoded and their pixels checked against the colour map. PNG output is rasterised by resvg and
// compared with a committed golden image.

beforeAll(() => init());

const count = (svg: string, pattern: RegExp) => (svg.match(pattern) ?? []).length;
const texts = (fragment: string) => [...fragment.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
const group = (svg: string, cls: string) => {
  const start = svg.indexOf(`<g class="${cls}"`);
  expect(start, `group ${cls}`).toBeGreaterThanOrEqual(0);
  // Groups here nest at most two deep: cut at the matching close.
  let depth = 0, at = start;
  const re = /<g[ >]|<\/g>/g;
  re.lastIndex = start;
  for (let m; (m = re.exec(svg)); ) {
    depth += m[0] === "</g>" ? -1 : 1;
    if (depth === 0) return svg.slice(start, (at = re.lastIndex));
  }
  throw new Error(`unclosed group ${cls} at ${at}`);
};
const ticks = (svg: string, axis: "x" | "y") => texts(group(svg, `${axis}-axis`));
const legend = (svg: string) => texts(group(svg, "legend"));
const hex = (rgba: number[]) => toHex([rgba[0], rgba[1], rgba[2]]);
const near = (a: number[], b: readonly number[], tol = 3) => a.slice(0, 3).every((v, i) => Math.abs(v - b[i]) <= tol);

describe("nice ticks", () => {
  it("linear: steps of 1, 2 or 5 times a power of ten; the interval grows to the enclosing ticks", () => {
    expect(linearTicks(0, 2.3, 6, true)).toMatchObject({ lo: 0, hi: 2.5, ticks: [0, 0.5, 1, 1.5, 2, 2.5], labels: ["0.0", "0.5", "1.0", "1.5", "2.0", "2.5"] });
    expect(linearTicks(-0.013, 0.041, 6, true).ticks).toEqual([-0.02, -0.01, 0, 0.01, 0.02, 0.03, 0.04, 0.05]);
    expect(linearTicks(1, 10, 6, false).ticks).toEqual([2, 4, 6, 8, 10]);
    expect(linearTicks(-3, 3, 5, false).labels).toEqual(["\u22123", "\u22122", "\u22121", "0", "1", "2", "3"]);
    expect(linearTicks(0, 3e6, 4, false).labels).toEqual(["0", "1e6", "2e6", "3e6"]);
    expect(linearTicks(5, 5, 6, true).ticks).toEqual([4.4, 4.6, 4.8, 5, 5.2, 5.4, 5.6]); // a constant gets room around it
  });

  it("log: decades, or 1-2-5 within less than two decades", () => {
    expect(logTicks(0.003, 20).ticks).toEqual([0.01, 0.1, 1, 10]);
    expect(logTicks(0.3, 2.5)).toEqual({ ticks: [0.5, 1, 2], labels: ["0.5", "1", "2"] });
    expect(logTicks(1e-7, 1e-5).labels).toEqual(["1e\u22127", "1e\u22126", "1e\u22125"]);
  });
});

describe("linePlot and learningCurves", () => {
  it("draws each series as a path with markers, a legend of the labelled ones, ticks on the data", () => {
    const svg = linePlot([{ y: [3, 2, 1.5, 1], label: "train" }, { x: [0, 1, 2, 3], y: [3.2, 2.5, 2.2, 2.4], label: "val", dashed: true }, { y: [1, 1, 1, 1] }], { title: "loss", width: 500, height: 300 });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="500" height="300" viewBox="0 0 500 300"/);
    expect(count(svg, /class="line"/g)).toBe(3);
    expect(count(svg, /class="marker"/g)).toBe(12);
    expect(count(svg, /stroke-dasharray="6 4"/g)).toBe(1);
    expect(legend(svg)).toEqual(["train", "val"]);
    expect(ticks(svg, "x")).toEqual(["0", "1", "2", "3"]); // integer x: no 0.5 ticks
    expect(ticks(svg, "y")).toEqual(["1.0", "1.5", "2.0", "2.5", "3.0", "3.5"]);
    expect(texts(svg)).toContain("loss");
  });

  it("maps values to pixels linearly, and logarithmically on a log axis", () => {
    const yOf = (svg: string) => [...svg.matchAll(/class="marker"/g)].map((m) => Number(/cy="([\d.]+)"/.exec(svg.slice(svg.lastIndexOf("<circle", m.index)))![1]));
    const lin = yOf(linePlot([0, 1, 2, 3, 4], { yLim: [0, 4] }));
    expect(lin[1] - lin[0]).toBeCloseTo(lin[4] - lin[3], 1);
    const log = yOf(linePlot([1, 10, 100], { logY: true }));
    expect(log[0] - log[1]).toBeCloseTo(log[1] - log[2], 1); // equal ratios, equal distances
    expect(ticks(linePlot([1, 10, 100], { logY: true }), "y")).toEqual(["1", "10", "100"]);
  });

  it("learningCurves: training solid and validation dashed per run, epochs on x, one colour per run", () => {
    const epochs = (losses: number[][]) => losses.map(([t, v], i) => ({ epoch: i + 1, trainLoss: t, valLoss: v, trainAccuracy: 1 - t / 4, valAccuracy: 1 - v / 4, lr: 0.1, seconds: 1 }));
    const history = { epochs: epochs([[2, 2.1], [1, 1.3], [0.5, 1.1]]), stoppedEarly: false, stoppedBy: null, bestEpoch: null };
    const one = learningCurves(history);
    expect(legend(one)).toEqual(["training", "validation"]);
    expect(ticks(one, "x")).toEqual(["1", "2", "3"]);
    expect(texts(one)).toEqual(expect.arrayContaining(["epoch", "loss"]));
    const two = learningCurves({ clean: history, noisy: epochs([[2, 2], [1.5, 1.4]]) }, { metric: "error", logY: true });
    expect(legend(two)).toEqual(["clean (training)", "clean (validation)", "noisy (training)", "noisy (validation)"]);
    expect(count(two, /stroke="#1f77b4"[^>]*class="line"/g)).toBe(2);
    expect(count(two, /stroke="#ff7f0e"[^>]*class="line"/g)).toBe(2);
    expect(texts(two)).toContain("error");
    expect(() => learningCurves({ epochs: [], stoppedEarly: false, stoppedBy: null, bestEpoch: null })).toThrow(/learningCurves: the history has no epochs yet/);
    expect(() => learningCurves({ epochs: epochs([[1, 1]]).map((e) => ({ ...e, trainAccuracy: null, valAccuracy: null })), stoppedEarly: false, stoppedBy: null, bestEpoch: null }, { metric: "accuracy" })).toThrow(/has no accuracy/);
  });
});

describe("scatter and histogram", () => {
  it("scatter: one dot per point, coloured by class, with a legend of class names", () => {
    const svg = scatter(tensor([0, 0, 1, 1, 2, 0, 3, 3], [4, 2]), { labels: [0, 1, 1, 2], classNames: ["a", "b", "c"] });
    expect(count(svg, /class="point"/g)).toBe(4);
    expect(count(svg, /<circle[^>]*fill="#ff7f0e"[^>]*class="point"/g)).toBe(2);
    expect(legend(svg)).toEqual(["a", "b", "c"]);
    expect(() => scatter([[0, 0]], { labels: [1.5] })).toThrow(/scatter: labels\[0\] is 1.5/);
    expect(() => scatter([[0, 0, 0]])).toThrow(/scatter: points must be \[N, 2\], got shape \[1, 3\]/);
  });

  it("histogram: numpy's bins (last one closed), bar heights proportional to counts, density integrates to 1", () => {
    const heights = (svg: string) => [...svg.matchAll(/<rect[^>]*height="([\d.]+)"[^>]*class="bar"/g)].map((m) => Number(m[1]));
    const h = heights(histogram([0, 0, 1, 2, 3, 3, 3], { bins: 3 }));
    expect(h).toHaveLength(3);
    // bins [0, 1), [1, 2), [2, 3]: counts 2, 1, 4
    expect(h[0] / h[2]).toBeCloseTo(0.5, 2);
    expect(h[1] / h[2]).toBeCloseTo(0.25, 2);
    const svg = histogram([0.1, 0.2, 0.6, 5], { bins: 2, range: [0, 1], density: true });
    expect(heights(svg)[0] / heights(svg)[1]).toBeCloseTo(2, 2); // 5 is outside the range
    expect(texts(svg)).toContain("density");
    expect(ticks(svg, "y").slice(0, 2)).toEqual(["0.0", "0.2"]); // densities 4/3 and 2/3
    const two = histogram([{ values: [1, 2, 3], label: "relu" }, { values: [2, 2], label: "tanh" }], { bins: 4 });
    expect(count(two, /class="bar"/g)).toBe(8);
    expect(legend(two)).toEqual(["relu", "tanh"]);
  });
});

describe("rasters", () => {
  it("heatmap: cells in viridis from vMin to vMax, row 0 on top, tick labels, annotations, a colour bar", () => {
    const svg = heatmap([[0, 1, 2], [3, 4, 8]], { xTickLabels: ["a", "b", "c"], yTickLabels: ["r0", "r1"], annotate: true });
    const [img] = embeddedImages(svg);
    expect([img.width, img.height]).toEqual([3, 2]);
    expect(near(pixel(img, 0, 0), colorAt("viridis", 0))).toBe(true);
    expect(near(pixel(img, 2, 1), colorAt("viridis", 1))).toBe(true);
    expect(near(pixel(img, 1, 1), colorAt("viridis", 0.5))).toBe(true);
    expect(ticks(svg, "x")).toEqual(["a", "b", "c"]);
    expect(ticks(svg, "y")).toEqual(["r0", "r1"]);
    expect(texts(group(svg, "annotations"))).toEqual(["0", "1", "2", "3", "4", "8"]);
    expect(texts(group(svg, "colorbar"))).toEqual(["0", "2", "4", "6", "8"]);
    expect(count(svg, /<stop /g)).toBe(17);
    expect(svg).toContain(`stop-color="${toHex(colorAt("viridis", 1))}"`);
    expect(heatmap([[1, 2]], { colorbar: false })).not.toContain('class="colorbar"');
  });

  it("heatmap: origin lower and an extent put row 0 at the bottom in data coordinates, with lines over it", () => {
    const svg = heatmap([[0, 0], [1, 1]], { origin: "lower", extent: [-1, 1, -2, 2], lines: [{ x: [-1, 1], y: [-2, 2], label: "path" }], vMin: 0, vMax: 2 });
    const [img] = embeddedImages(svg);
    expect(near(pixel(img, 0, 0), colorAt("viridis", 0.5))).toBe(true); // row 1 (value 1 of [0, 2]) is drawn on top
    expect(near(pixel(img, 0, 1), colorAt("viridis", 0))).toBe(true);
    expect(ticks(svg, "y")).toEqual(["\u22122", "\u22121", "0", "1", "2"]);
    expect(legend(svg)).toEqual(["path"]);
    expect(() => heatmap([[1]], { lines: [{ y: [1] }] })).toThrow(/heatmap: lines need an extent/);
  });

  it("imageGrid: rows of 784 as 28×28 tiles, each scaled to its own range, padded in white", () => {
    const w = new Float32Array(3 * 784);
    for (let i = 0; i < 3; i++) w[i * 784] = -1, w[i * 784 + 783] = i + 1; // first pixel lowest, last highest
    const svg = imageGrid(tensor(w, [3, 784]), { columns: 2 });
    const [img] = embeddedImages(svg);
    expect([img.width, img.height]).toEqual([2 * 28 + 3, 2 * 28 + 3]);
    expect(pixel(img, 0, 0)).toEqual([255, 255, 255, 255]); // padding
    expect(pixel(img, 1, 1).slice(0, 3)).toEqual([0, 0, 0]); // tile 0's min
    expect(pixel(img, 28, 28).slice(0, 3)).toEqual([255, 255, 255]); // its max
    expect(near(pixel(img, 2, 1), colorAt("gray", 1 / (1 + 1)))).toBe(true); // 0 on [-1, 1] is mid-grey
    expect(near(pixel(img, 1 + 29 + 1, 1), colorAt("gray", 1 / 3))).toBe(true); // 0 on [-1, 2]
    const shared = embeddedImages(imageGrid(tensor(w, [3, 28, 28]), { range: "all", symmetric: true }))[0];
    expect(near(pixel(shared, 2, 1), colorAt("gray", 0.5))).toBe(true);
    const titled = imageGrid([[[0, 1], [1, 0]], [[1, 1], [0, 0]]], { titles: ["one", "two"], title: "W" });
    expect(texts(titled)).toEqual(["W", "one", "two"]);
    expect(() => imageGrid(tensor(new Float32Array(10), [2, 5]))).toThrow(/imageGrid: images of shape \[2, 5\] are rows of 5 values, not square images: pass imageShape/);
    expect(() => imageGrid(tensor(new Float32Array(32), [2, 4, 2, 2]))).toThrow(/have 4 channels/);
    expect(() => imageGrid([[[0]]], { titles: ["a", "b"] })).toThrow(/2 titles for 1 images/);
  });

  it("decisionBoundary: the regions of a classifier over its points, shaded by confidence", () => {
    // Binary logits = 4·x: class 1 right of x = 0.
    const svg = decisionBoundary((x) => x.matmul(tensor([[4], [0]])), [[-1, -1], [1, 1], [-1, 1], [1, -1]], [0, 1, 0, 1], { resolution: 10, xLim: [-1, 1], yLim: [-1, 1] });
    const [img] = embeddedImages(svg);
    expect([img.width, img.height]).toEqual([10, 10]);
    const left = hex(pixel(img, 0, 5)), right = hex(pixel(img, 9, 5));
    expect(left).not.toBe(right);
    expect(pixel(img, 0, 0)).toEqual(pixel(img, 0, 9)); // depends on x only
    expect(pixel(img, 4, 5)[0]).toBeGreaterThan(pixel(img, 0, 5)[0]); // paler near the boundary (class 0 is blue)
    expect(count(svg, /class="point"/g)).toBe(4);
    expect(legend(svg)).toEqual(["class 0", "class 1"]);
    // A model with three classes, in eval mode while it runs (its mode is restored).
    const model = new nn.Sequential(new nn.Linear(2, 3), new nn.Dropout(0.5));
    const multi = decisionBoundary(model, [[0, 0], [1, 1]], [0, 2], { resolution: 8, classNames: ["a", "b", "c"] });
    expect(model.training).toBe(true);
    expect(legend(multi)).toEqual(["a", "b", "c"]);
    expect(() => decisionBoundary(model, [[0, 0]], [3])).toThrow(/labels go up to class 3 but the model scores 3 classes/);
    expect(() => decisionBoundary((x) => x, [[0, 0]], [0], { logX: true })).toThrow(/log axes are not supported/);
  });
});

describe("bad input is an error naming the option or the data", () => {
  it.each([
    [() => linePlot([1, 2], { colour: "#ff0000" } as never), /linePlot: unknown option "colour"/],
    [() => linePlot([1, 2], { width: -5 }), /linePlot: width must be a size in px between 16 and 10000, got -5/],
    [() => linePlot([1, 2], { xLim: [2, 1] }), /xLim must be an interval \[min, max\] with min < max/],
    [() => linePlot([1, 2], { legend: "top" as never }), /legend must be a boolean or one of "upper right"/],
    [() => linePlot([{ y: [1], colour: "red" } as never]), /linePlot: the series: unknown option "colour"/],
    [() => linePlot([{ y: [1], color: "red" }]), /color must be a colour "#rrggbb", got "red"/],
    [() => linePlot([{ x: [1, 2], y: [1] }]), /linePlot: the series has 2 x values and 1 y values/],
    [() => linePlot([1, NaN, 3]), /linePlot: the series's y holds NaN at flat index 1; plots need finite values/],
    [() => linePlot([0, 1], { logY: true }), /linePlot: a log y axis needs positive values, got a minimum of 0/],
    [() => linePlot("abc" as never), /must be a tensor or an array of numbers, got a string/],
    [() => heatmap([[1, 2], [3]]), /heatmap: values is ragged: values\[1\] should be an array of 2/],
    [() => heatmap([1, 2]), /heatmap: values must be a non-empty 2-D array \[rows, cols\], got shape \[2\]/],
    [() => heatmap([[1, 2]], { colormap: "jet" as never }), /colormap must be "viridis" or "gray" or "rdbu"/],
    [() => heatmap([[1, 2]], { xTickLabels: ["a"] }), /xTickLabels has 1 names for 2 columns/],
    [() => heatmap([[1, 2]], { vMin: 3, vMax: 1 }), /vMin 3 is above vMax 1/],
    [() => histogram([1, 2], { bins: 0 }), /histogram: bins must be a positive integer, got 0/],
    [() => imageGrid([[[0]]], { xLabel: "no axes" } as never), /imageGrid: unknown option "xLabel"/],
    [() => decisionBoundary({} as never, [[0, 0]], [0]), /decisionBoundary: expected a model \(with forward\) or a function/],
  ])("%#", (fn, message) => {
    expect(fn).toThrow(message);
  });

  it("a disposed tensor is the tensor's own clear error", () => {
    const t = tensor([1, 2, 3]);
    t.dispose();
    expect(() => linePlot(t)).toThrow(/disposed/);
  });
});

describe("simdgrad/plot entry", () => {
  it("exports exactly the plots and the colour map names", () => {
    expect(Object.keys(plot).sort()).toEqual(["COLORMAPS", "decisionBoundary", "heatmap", "histogram", "imageGrid", "learningCurves", "linePlot", "scatter"]);
  });
});

describe("PNG in Node (resvg, WebAssembly)", () => {
  const dir = mkdtempSync(join(tmpdir(), "simdgrad-plot-"));
  // Text-free figures, so the comparison does not depend on the fonts found.
  const pattern = () => imageGrid(tensor(Float32Array.from({ length: 4 * 64 }, (_, i) => ((i % 64) * 7) % 13), [4, 8, 8]), { columns: 2, scale: 4 });

  it("savePlot writes .svg as is and .png rasterised; the PNG matches the golden image within a tolerance", async () => {
    await savePlot(join(dir, "grid.svg"), pattern());
    expect(readFileSync(join(dir, "grid.svg"), "utf8")).toBe(pattern());
    await savePlot(join(dir, "grid.png"), pattern(), { scale: 1 });
    const got = decodePng(readFileSync(join(dir, "grid.png")));
    const golden = decodePng(readFileSync(new URL("./fixtures/plot-golden.png", import.meta.url)));
    expect([got.width, got.height]).toEqual([golden.width, golden.height]);
    let sum = 0, worst = 0;
    for (let i = 0; i < got.rgba.length; i++) {
      const d = Math.abs(got.rgba[i] - golden.rgba[i]);
      (sum += d), (worst = Math.max(worst, d));
    }
    expect(sum / got.rgba.length).toBeLessThan(1);
    expect(worst).toBeLessThan(48);
  });

  it("rasterises cells with hard edges at their colours, scaled by `scale`", async () => {
    const svg = heatmap([[0, 1], [2, 3]], { width: 300, height: 260, colorbar: false });
    const img: Image = decodePng(await renderPng(svg, { scale: 2 }));
    expect([img.width, img.height]).toEqual([600, 520]);
    // The plot area from the frame rect (first rect with fill none).
    const [, x, y, w, h] = /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="none"/.exec(svg)!.map(Number);
    const at = (cx: number, cy: number) => pixel(img, Math.round((x + (cx * w) / 2 + w / 4) * 2), Math.round((y + (cy * h) / 2 + h / 4) * 2));
    expect(near(at(0, 0), colorAt("viridis", 0), 4)).toBe(true);
    expect(near(at(1, 0), colorAt("viridis", 1 / 3), 4)).toBe(true);
    expect(near(at(1, 1), colorAt("viridis", 1), 4)).toBe(true);
    // Just inside a cell edge the colour is still the cell's own (no smoothing across cells).
    expect(near(pixel(img, Math.round((x + w / 2) * 2) - 3, Math.round((y + h / 4) * 2)), colorAt("viridis", 0), 4)).toBe(true);
  });

  it("text is drawn (a system font is found): a titled figure has dark pixels where the title is", async () => {
    const svg = linePlot([1, 2], { title: "TITLE", width: 300, height: 200 });
    const img = decodePng(await renderPng(svg, { scale: 1 }));
    let dark = 0;
    for (let y = 8; y < 22; y++) for (let x = 100; x < 220; x++) if (pixel(img, x, y)[0] < 128) dark++;
    expect(dark).toBeGreaterThan(20);
  });

  it("errors name the option, the path or the input", async () => {
    await expect(savePlot(join(dir, "a.jpg"), pattern())).rejects.toThrow(/savePlot: ".*a.jpg" must end in .svg or .png/);
    await expect(savePlot(join(dir, "a.png"), pattern(), { dpi: 300 } as never)).rejects.toThrow(/savePlot: unknown option "dpi"/);
    await expect(savePlot(join(dir, "a.svg"), pattern(), { scale: 2 })).rejects.toThrow(/savePlot: unknown option "scale"/);
    await expect(renderPng("hello")).rejects.toThrow(/renderPng: expected an SVG document/);
    await expect(renderPng(pattern(), { fonts: [join(dir, "missing.ttf")] })).rejects.toThrow(/renderPng: cannot read font .*missing.ttf/);
  });
});

// fit's `plot` option: after each epoch, the learning curve so far (and the first Linear/Conv2d
// layer's weights as images) drawn as SVG and handed to an element of the page or to a function
// (simdgrad/node's plotFiles writes them to files). No Node imports: the files are the node entry's.
import { kinds, readOptions } from "../ops/args.js";
import type { Module } from "../nn/module.js";
import { Linear } from "../nn/linear.js";
import { Conv2d } from "../nn/conv.js";
import { learningCurves, type CurveMetric } from "../plot/lines.js";
import { imageGrid } from "../plot/rasters.js";
import { noGrad } from "../autograd.js";
import { tidy, type Tensor } from "../tensor.js";
import type { EpochLog, FitCallbacks } from "./fit.js";

/** The figures of one epoch. */
export interface EpochFigures {
  /** The epoch drawn (1-based). */
  epoch: number;
  /** The learning curves up to this epoch (SVG). */
  curves: string;
  /** The first layer's weights as images (SVG), or null when not drawn. */
  weights: string | null;
}

/** An element of the page (anything with innerHTML): its content becomes the figures. */
export interface PlotContainer {
  /** The element's HTML, replaced by the figures. */
  innerHTML: string;
}

/** fit's `plot` option: draw figures each epoch into a page element or hand them to a function. */
export interface FitPlotOptions {
  /** Where the figures go after each epoch. */
  to: PlotContainer | ((figures: EpochFigures) => void);
  /** The curves' metric (default "loss"). */
  metric?: CurveMetric;
  /** A logarithmic y axis for the curves. */
  logY?: boolean;
  /**
   * Draw the first Linear or Conv2d layer's weights, one image per unit (default: when they are
   * images: a Linear layer with a square number of inputs or `imageShape`, or any Conv2d).
   */
  weights?: boolean;
  /** [height, width] of a Linear first layer's inputs, when not square. */
  imageShape?: readonly [number, number];
  /** Units drawn at most (default 100). */
  maxUnits?: number;
}

const PLOT_OPTIONS = {
  to: { test: (v: unknown) => typeof v === "function" || (typeof v === "object" && v !== null && "innerHTML" in v), expected: "an element (with innerHTML) or a function of the figures" },
  metric: kinds.oneOf("loss", "accuracy", "error"),
  logY: kinds.bool,
  weights: kinds.bool,
  imageShape: { test: (v: unknown) => Array.isArray(v) && v.length === 2 && v.every((d) => Number.isInteger(d) && d > 0), expected: "[height, width] (positive integers)" },
  maxUnits: kinds.positiveInt,
};

/** The weight [units, ...] of the model's first Linear or Conv2d layer, and how to show it; null when it is not images. */
function firstLayerImages(model: Module, o: FitPlotOptions): { weight: () => Tensor; imageShape?: readonly [number, number] } | null {
  const layer = model.modules().find((m) => m instanceof Linear || m instanceof Conv2d) as Linear | Conv2d | undefined;
  const refuse = (why: string) => {
    if (o.weights) throw new Error(`fit: plot.weights: ${why}`);
    return null;
  };
  if (!layer) return refuse("the model has no Linear or Conv2d layer");
  if (layer instanceof Conv2d) {
    const [out, inC, kh, kw] = layer.weight.shape;
    // Filters over 1 or 3 channels are grey or colour images; others show each channel apart.
    return { weight: () => (inC === 1 || inC === 3 ? layer.weight : layer.weight.reshape([out * inC, kh, kw])) };
  }
  const inputs = layer.weight.shape[1];
  if (o.imageShape) {
    if (o.imageShape[0] * o.imageShape[1] !== inputs) throw new Error(`fit: plot.imageShape [${o.imageShape.join(", ")}] is not the first layer's ${inputs} inputs`);
    return { weight: () => layer.weight, imageShape: o.imageShape };
  }
  const side = Math.round(Math.sqrt(inputs));
  return side * side === inputs ? { weight: () => layer.weight } : refuse(`the first Linear layer's ${inputs} inputs are not a square image; pass plot.imageShape`);
}

/** The callbacks drawing fit's figures (validated before training starts). */
export function plotCallbacks(model: Module, options: FitPlotOptions): FitCallbacks {
  const o = readOptions<FitPlotOptions>("fit: plot", options, PLOT_OPTIONS);
  if (!o.to) throw new Error("fit: plot.to is required (an element or a function of the figures)");
  const images = o.weights === false ? null : firstLayerImages(model, o);
  const epochs: EpochLog[] = [];
  return {
    onEpochEnd(log) {
      epochs.push(log);
      const curves = learningCurves(epochs, { metric: o.metric, logY: o.logY, title: `epoch ${log.epoch}` });
      // The views made to draw the weights are freed by the tidy.
      const weights = images
        ? noGrad(() => tidy(() => {
            const w = images.weight();
            const units = Math.min(w.shape[0], o.maxUnits ?? 100);
            return imageGrid(units < w.shape[0] ? w.narrow(0, 0, units) : w, { imageShape: images.imageShape, title: `first layer after epoch ${log.epoch}` });
          }))
        : null;
      const figures: EpochFigures = { epoch: log.epoch, curves, weights };
      if (typeof o.to === "function") o.to(figures);
      else o.to.innerHTML = curves + (weights ?? "");
    },
  };
}

// simdgrad/plot: figures as SVG documents (strings), with no DOM: learning curves, line and scatter
// plots, histograms, heat maps, image grids (weights as images), decision boundaries. Put them in a
// page (element.innerHTML = svg) or save them from Node (savePlot in simdgrad/node, also as PNG).
export { linePlot, learningCurves, scatter, histogram, type Series, type LinePlotOptions, type LearningCurveOptions, type CurveMetric, type ScatterOptions, type HistogramOptions, type HistogramSeries } from "./plot/lines.js";
export { heatmap, imageGrid, decisionBoundary, type HeatmapOptions, type ImageGridOptions, type DecisionBoundaryOptions, type Classifier } from "./plot/rasters.js";
export type { FrameOptions, LegendLoc } from "./plot/frame.js";
export type { Values, TensorLike } from "./plot/data.js";
export { COLORMAPS, type ColormapName } from "./plot/colormap.js";

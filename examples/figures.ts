// The lectures' figures, regenerated into examples/figures/ (PNG): the first layer's weights of the
// MNIST MLP after epochs 1–5 and 10, learning curves with and without input noise, the confusion
// matrix, how often each hidden unit is active, the two-weight toy problem's loss surface with the
// gradient-descent path, an XOR decision boundary and a SOM's U-matrix. A few minutes on one core.
// Run: npm run figures
import { mkdirSync } from "node:fs";
import { DataLoader, Generator, TensorDataset, fit, manualSeed, nn, noGrad, optim, tensor, tidy, type History, type Tensor } from "../src/index.js";
import { decisionBoundary, heatmap, histogram, learningCurves } from "../src/plot.js";
import { loadMnist, plotFiles, savePlot } from "../src/node.js";

const OUT = new URL("./figures/", import.meta.url).pathname;
mkdirSync(OUT, { recursive: true });
const png = (name: string) => `${OUT}${name}.png`;
const PNG = { scale: 1.5 };
const seconds = (start: number) => `${((performance.now() - start) / 1000).toFixed(1)}s`;

manualSeed(0);
const gen = new Generator(0);
const mnist = loadMnist("train"), mnistTest = loadMnist("test");
/** The first `n` images from `offset` of a split, as a dataset. */
const subset = (m: { images: Tensor; labels: Tensor }, offset: number, n: number) => new TensorDataset(m.images.narrow(0, offset, n).clone(), m.labels.narrow(0, offset, n).clone());
const trainSet = subset(mnist, 0, 10000), valSet = subset(mnist, 50000, 2000), testSet = subset(mnistTest, 0, 10000);

// 1. The MNIST MLP 784-100-10; W1 (100 units as 28×28 images) after epochs 1–5 and 10.
let start = performance.now();
const mlp = new nn.Sequential(new nn.Linear(784, 100), new nn.ReLU(), new nn.Linear(100, 10));
const activeBefore = unitActivity(mlp, testSet);
const writeW1 = await plotFiles({ weights: png("mnist-w1-epoch{epoch}") }, { scale: 1 });
const history = fit(mlp, {
  train: new DataLoader(trainSet, { batchSize: 100, shuffle: true, generator: gen }),
  val: new DataLoader(valSet, { batchSize: 500 }),
  optimizer: new optim.Adam(mlp.parameters(), { lr: 1e-3 }),
  loss: nn.functional.crossEntropy,
  epochs: 10,
  plot: { to: (f) => [1, 2, 3, 4, 5, 10].includes(f.epoch) && writeW1(f) },
});
console.log(`MLP: val error ${(1 - history.epochs.at(-1)!.valAccuracy!).toFixed(4)} after 10 epochs (${seconds(start)}); W1 after epochs 1-5, 10`);

// 2. How often each hidden unit is active (ReLU > 0) over the test images, before and after training.
const activeAfter = unitActivity(mlp, testSet);
await savePlot(png("unit-activity"), histogram([{ values: activeBefore, label: "at initialisation" }, { values: activeAfter, label: "after 10 epochs" }], { bins: 25, range: [0, 1], title: "How often each hidden unit is active", xLabel: "fraction of test images on which the unit is active", yLabel: "units" }), PNG);

// 3. The confusion matrix on the test set.
const confusion = confusionMatrix(mlp, testSet);
const digits = Array.from({ length: 10 }, (_, i) => String(i));
await savePlot(png("mnist-confusion"), heatmap(confusion, { annotate: true, xTickLabels: digits, yTickLabels: digits, xLabel: "predicted", yLabel: "true digit", title: "MLP on the 10,000 test digits", colorbar: "images" }), PNG);

// 4. Learning curves with and without Gaussian input noise, on a small training set where the
// plain network overfits.
start = performance.now();
const small = subset(mnist, 10000, 2000);
const runs: Record<string, History> = {};
for (const [name, sigma] of [["no noise", 0], ["input noise σ = 0.5", 0.5]] as const) {
  manualSeed(1);
  const model = new nn.Sequential(new nn.GaussianNoise(sigma), new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 10));
  runs[name] = fit(model, {
    train: new DataLoader(small, { batchSize: 50, shuffle: true, generator: new Generator(1) }),
    val: new DataLoader(valSet, { batchSize: 500 }),
    optimizer: new optim.Adam(model.parameters(), { lr: 1e-3 }),
    loss: nn.functional.crossEntropy,
    epochs: 30,
  });
}
await savePlot(png("learning-curves-noise"), learningCurves(runs, { metric: "error", title: "2,000 training digits: error with and without input noise" }), PNG);
console.log(`learning curves: final val error ${Object.entries(runs).map(([k, h]) => `${k} ${(1 - h.epochs.at(-1)!.valAccuracy!).toFixed(4)}`).join(", ")} (${seconds(start)})`);

// 5. The two-weight toy problem: a linear neuron y = w1·x1 + w2·x2 fitted by least squares to
// correlated inputs; the loss surface over (w1, w2) and the path of plain gradient descent.
{
  const n = 50, x = new Float32Array(2 * n), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = gen.normal(), b = 0.8 * a + 0.35 * gen.normal();
    (x[2 * i] = a), (x[2 * i + 1] = b), (y[i] = 1.5 * a - 0.5 * b + 0.1 * gen.normal());
  }
  const X = tensor(x, [n, 2]), Y = tensor(y, [n]);
  const w = tensor([-1.5, 2.5], [2], { requiresGrad: true });
  const path = { x: [-1.5], y: [2.5] };
  const sgd = new optim.SGD([w], { lr: 0.45 });
  for (let step = 0; step < 40; step++) {
    tidy(() => {
      sgd.zeroGrad();
      X.matmul(w).sub(Y).square().mean().backward();
      sgd.step();
    });
    const [a, b] = w.data();
    path.x.push(a), path.y.push(b);
  }
  const G = 120, lo = [-2, -1.5], hi = [3, 3];
  const surface = noGrad(() => tidy(() => {
    const grid = new Float32Array(G * G * 2);
    for (let r = 0; r < G; r++) for (let c = 0; c < G; c++) (grid[(r * G + c) * 2] = lo[0] + ((c + 0.5) / G) * (hi[0] - lo[0])), (grid[(r * G + c) * 2 + 1] = lo[1] + ((r + 0.5) / G) * (hi[1] - lo[1]));
    // Row r holds w2 = lo[1] + ..., so row 0 is the bottom (origin "lower").
    return tensor(grid, [G * G, 2]).matmul(X.T).sub(Y).square().mean(1).log().mul(Math.LOG10E).reshape([G, G]).data();
  }));
  const rows = Array.from({ length: G }, (_, r) => Array.from(surface.subarray(r * G, (r + 1) * G)));
  await savePlot(png("toy-loss-surface"), heatmap(rows, { extent: [lo[0], hi[0], lo[1], hi[1]], origin: "lower", lines: [{ ...path, label: "gradient descent (lr 0.45)", color: "#d62728", markers: true }], colorbar: "log10 loss", xLabel: "w1", yLabel: "w2", title: "Linear neuron, correlated inputs: the loss surface" }), PNG);
  console.log(`toy problem: w after 40 steps (${path.x.at(-1)!.toFixed(3)}, ${path.y.at(-1)!.toFixed(3)})`);
}

// 6. XOR: four noisy clusters and a 2-8-1 tanh network's decision boundary.
{
  const n = 200, x = new Float32Array(2 * n), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = i % 2, b = (i >> 1) % 2;
    (x[2 * i] = a + 0.15 * gen.normal()), (x[2 * i + 1] = b + 0.15 * gen.normal()), (labels[i] = a ^ b);
  }
  manualSeed(2);
  const model = new nn.Sequential(new nn.Linear(2, 8), new nn.Tanh(), new nn.Linear(8, 1));
  const X = tensor(x, [n, 2]), T = tensor(Float32Array.from(labels), [n, 1]);
  const opt = new optim.Adam(model.parameters(), { lr: 0.05 });
  for (let step = 0; step < 300; step++) tidy(() => (opt.zeroGrad(), nn.functional.binaryCrossEntropyWithLogits(model.forward(X), T).backward(), opt.step()));
  await savePlot(png("xor-decision-boundary"), decisionBoundary(model, X, labels, { title: "XOR: a 2-8-1 tanh network", classNames: ["0", "1"], xLabel: "x1", yLabel: "x2" }), PNG);
}

// 7. A 12×12 SOM of 3,000 digits: its U-matrix (bright = a border between clusters).
{
  start = performance.now();
  const digits3000 = mnist.images.narrow(0, 0, 3000).clone();
  const som = new nn.SOM(12, 12, 784).initFromSamples(digits3000, gen);
  som.fit(digits3000, { epochs: 15, sigma0: 6, sigmaEnd: 1 });
  await savePlot(png("som-u-matrix"), heatmap(som.uMatrix(), { title: "SOM of 3,000 digits: U-matrix", colorbar: "mean distance to neighbours", xLabel: "column", yLabel: "row" }), PNG);
  console.log(`SOM: quantisation error ${som.quantizationError(digits3000).toFixed(3)} (${seconds(start)})`);
}

/** Per hidden unit of the MLP's first layer, the fraction of images on which its ReLU is active. */
function unitActivity(model: nn.Sequential, data: TensorDataset): Float32Array {
  return noGrad(() => tidy(() => (model.children()[0] as nn.Linear).forward(data.tensors[0]).gt(0).float().mean(0).data() as Float32Array));
}

function confusionMatrix(model: nn.Sequential, data: TensorDataset): number[][] {
  const m = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  const predicted = noGrad(() => tidy(() => model.eval().forward(data.tensors[0]).argmax(1).data()));
  const truth = data.tensors[1].data();
  predicted.forEach((p, i) => m[truth[i]][p]++);
  return m;
}

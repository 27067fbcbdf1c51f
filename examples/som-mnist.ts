// A self-organising map of MNIST digits: a hexagonal grid of units trained by batch SOM on a
// subset of the training images (pixels in [0, 1]), the radius shrinking exponentially from half
// the grid to 1. Reports the quantisation and topographic error on the training subset and on the
// 10,000 test images, the label purity of the units (the share of each unit's samples that carry
// its majority digit), the test accuracy of labelling a sample by its unit's majority digit, and
// the map itself: each unit's majority digit and a text U-matrix (dark = cluster border).
// Run: npm run som [-- --rows 12 --cols 12 --epochs 20 --samples 10000 --mode batch --topology hexagonal --seed 0]
import { nn, manualSeed, Generator, tidy, tensor, type Tensor } from "../src/index.js";
import { loadMnist } from "../src/node.js";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const rows = Number(arg("rows", "12")), cols = Number(arg("cols", "12")), epochs = Number(arg("epochs", "20"));
const samples = Number(arg("samples", "10000")), seed = Number(arg("seed", "0"));
const mode = arg("mode", "batch") as "batch" | "online", topology = arg("topology", "hexagonal") as nn.SOMTopology;

manualSeed(seed);
const gen = new Generator(seed);
const train = loadMnist("train"), test = loadMnist("test");
const order = gen.permutation(60000).subarray(0, samples);
const [x, y] = tidy(() => {
  const index = tensor(order, [samples], { dtype: "int32" });
  const images = train.images.indexSelect(0, index);
  const labels = Int32Array.from(order, (i) => train.labels.liveData()[i]);
  return [images, tensor(labels, [samples], { dtype: "int32" })];
});

const som = new nn.SOM(rows, cols, 784, { topology }).initFromSamples(x, gen);
const start = performance.now();
som.fit(x, mode === "batch"
  ? { mode, epochs, sigma0: Math.max(rows, cols) / 2, sigmaEnd: 1 }
  : { mode, epochs, sigma0: Math.max(rows, cols) / 2, sigmaEnd: 1, lr0: 0.5, lrEnd: 0.01, generator: gen });
const seconds = (performance.now() - start) / 1000;

/** Per unit, how many samples of each digit it wins: [units][10]. */
function labelCounts(images: Tensor, labels: Tensor): number[][] {
  const units = som.bmu(images), u = units.liveData(), l = labels.liveData();
  const counts = Array.from({ length: som.units }, () => new Array<number>(10).fill(0));
  for (let i = 0; i < u.length; i++) counts[u[i]][l[i]]++;
  units.dispose();
  return counts;
}
const majority = (c: number[]) => c.indexOf(Math.max(...c));

const counts = labelCounts(x, y);
const used = counts.filter((c) => c.some((v) => v > 0));
const purity = used.reduce((s, c) => s + Math.max(...c), 0) / samples;
const meanUnitPurity = used.reduce((s, c) => s + Math.max(...c) / c.reduce((a, b) => a + b, 0), 0) / used.length;
const unitDigit = counts.map((c) => (c.some((v) => v > 0) ? majority(c) : -1));
const testCounts = labelCounts(test.images, test.labels);
const testCorrect = testCounts.reduce((s, c, u) => s + (unitDigit[u] >= 0 ? c[unitDigit[u]] : 0), 0);

console.log(`SOM ${rows}x${cols} ${topology}, ${mode} training, ${epochs} epochs on ${samples} MNIST images: ${seconds.toFixed(1)} s`);
console.log(`quantisation error: train ${som.quantizationError(x).toFixed(3)}, test ${som.quantizationError(test.images).toFixed(3)} (mean ‖x − w_bmu‖, pixels in [0, 1])`);
console.log(`topographic error: train ${(100 * som.topographicError(x)).toFixed(1)}%, test ${(100 * som.topographicError(test.images)).toFixed(1)}% (best and second-best unit not neighbours)`);
console.log(`label purity: ${(100 * purity).toFixed(1)}% of training samples carry their unit's majority digit (mean per unit ${(100 * meanUnitPurity).toFixed(1)}%, ${used.length}/${som.units} units used)`);
console.log(`test accuracy of the unit's majority digit: ${(100 * testCorrect / 10000).toFixed(1)}%`);

const uMatrix = som.uMatrix(), u = Array.from(uMatrix.liveData());
uMatrix.dispose();
const lo = Math.min(...u), hi = Math.max(...u), shades = " .:-=+*#%@";
console.log(`\nU-matrix (mean distance to grid neighbours: min ${lo.toFixed(2)}, mean ${(u.reduce((a, b) => a + b, 0) / u.length).toFixed(2)}, max ${hi.toFixed(2)}; darker = farther) and each unit's majority digit:`);
for (let r = 0; r < rows; r++) {
  const indent = topology === "hexagonal" && r % 2 === 1 ? " " : "";
  let shade = indent, digits = indent;
  for (let c = 0; c < cols; c++) {
    const v = u[r * cols + c];
    shade += shades[Math.min(shades.length - 1, Math.floor(((v - lo) / (hi - lo || 1)) * shades.length))].repeat(2);
    digits += ` ${unitDigit[r * cols + c] < 0 ? "." : unitDigit[r * cols + c]}`;
  }
  console.log(`${shade}    ${digits}`);
}
for (const t of [x, y, train.images, train.labels, test.images, test.labels]) t.dispose();
som.dispose();

// The trip between PyTorch and simdgrad: a LeNet-5 trained in PyTorch (one pass over 6,000 MNIST
// digits, exported with torch.onnx.export: test/fixtures/onnx/lenet.onnx, made by
// test/fixtures/onnx/generate.py) is imported as a trainable module, fine-tuned here on more of
// MNIST, exported again as ONNX and checked in ONNX Runtime (onnxruntime-web's wasm build in Node):
// the same predictions, and outputs equal to simdgrad's within 1e-4.
//
// Run: npm run onnx-roundtrip [-- --samples 12000 --test-samples 10000 --epochs 1 --batch-size 64 --lr 1e-3 --out lenet-finetuned.onnx]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-web";
import { DataLoader, TensorDataset, Subset, manualSeed, noGrad, optim, nn, accuracy, type Tensor } from "../src/index.js";
import { importOnnx, exportOnnx } from "../src/onnx.js";
import { loadMnist, saveOnnx } from "../src/node.js";

const { values } = parseArgs({
  options: {
    samples: { type: "string", default: "12000" }, "test-samples": { type: "string", default: "10000" }, epochs: { type: "string", default: "1" }, "batch-size": { type: "string", default: "64" },
    lr: { type: "string", default: "1e-3" }, out: { type: "string", default: "lenet-finetuned.onnx" },
  },
});
const samples = Number(values.samples), epochs = Number(values.epochs), batchSize = Number(values["batch-size"]), lr = Number(values.lr);

manualSeed(0);
// The PyTorch model was trained on pixels in [0, 1] (no standardisation), as [N, 1, 28, 28] images.
const images = (split: "train" | "test") => {
  const { images: x, labels } = loadMnist(split);
  return new TensorDataset(x.reshape(-1, 1, 28, 28), labels);
};
const train = images("train"), allTest = images("test");
const test = new Subset(allTest, Int32Array.from({ length: Math.min(Number(values["test-samples"]), allTest.length) }, (_, i) => i));
const testLoader = new DataLoader(test, { batchSize: 500 });

const model = importOnnx(new Uint8Array(readFileSync(new URL("../test/fixtures/onnx/lenet.onnx", import.meta.url))));
console.log(`imported ${model.toString()}`);
console.log(`parameters (named as in the file): ${model.namedParameters().map(([k, p]) => `${k} [${p.shape.join(", ")}]`).join(", ")}`);

const testAccuracy = () => {
  model.eval();
  let correct = 0;
  for (const [x, y] of testLoader) correct += noGrad(() => accuracy(model.forward(x) as Tensor, y)); // the number right
  return correct / test.length;
};
console.log(`test accuracy as trained in PyTorch: ${(100 * testAccuracy()).toFixed(2)}%`);

// Fine-tune on training digits the PyTorch run did not see (it used the first 6,000).
const fresh = new Subset(train, Int32Array.from({ length: samples }, (_, i) => 6000 + i));
const loader = new DataLoader(fresh, { batchSize, shuffle: true });
const opt = new optim.Adam(model.parameters(), { lr });
for (let epoch = 1; epoch <= epochs; epoch++) {
  model.train();
  let lossSum = 0, n = 0;
  const start = performance.now();
  for (const [x, y] of loader) {
    opt.zeroGrad();
    const loss = nn.functional.crossEntropy(model.forward(x) as Tensor, y);
    loss.backward();
    opt.step();
    lossSum += loss.item() * y.shape[0];
    n += y.shape[0];
  }
  const seconds = (performance.now() - start) / 1000;
  console.log(`epoch ${epoch}: train loss ${(lossSum / n).toFixed(4)}, ${Math.round(n / seconds)} samples/s, test accuracy ${(100 * testAccuracy()).toFixed(2)}%`);
}

// Export again, and run the exported file in ONNX Runtime on the test set.
model.eval();
const [probe] = testLoader[Symbol.iterator]().next().value as Tensor[];
const bytes = exportOnnx(model, probe, { dynamicAxes: { input: { 0: "batch" }, output: { 0: "batch" } } });
saveOnnx(values.out!, model, probe, { dynamicAxes: { input: { 0: "batch" }, output: { 0: "batch" } } });
ort.env.wasm.numThreads = 1;
const session = await ort.InferenceSession.create(bytes);
let agree = 0, correct = 0, worst = 0;
for (const [x, y] of testLoader) {
  const ours = noGrad(() => model.forward(x) as Tensor).data();
  const theirs = (await session.run({ input: new ort.Tensor("float32", x.data() as Float32Array, [...x.shape]) })).output.data as Float32Array;
  const labels = y.data();
  for (let i = 0; i < y.shape[0]; i++) {
    const row = (v: ArrayLike<number>) => Array.from({ length: 10 }, (_, k) => v[i * 10 + k]);
    const argmax = (r: number[]) => r.indexOf(Math.max(...r));
    const a = argmax(row(ours)), b = argmax(row(theirs));
    agree += +(a === b);
    correct += +(b === labels[i]);
  }
  // Within rtol 1e-4 / atol 1e-5 means |ours − theirs| / (0.1 + |theirs|) <= 1e-4.
  for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]) / (0.1 + Math.abs(theirs[i])));
}
console.log(`exported ${bytes.length} bytes to ${values.out}; ONNX Runtime: test accuracy ${(100 * correct / test.length).toFixed(2)}%, ` +
  `same prediction as simdgrad on ${agree}/${test.length} digits, largest |difference| / (0.1 + |output|) = ${worst.toExponential(2)}`);
if (agree !== test.length || worst > 1e-4) {
  console.error("ONNX Runtime does not match simdgrad");
  process.exit(1);
}

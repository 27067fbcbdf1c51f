// Post-training int8 quantization of the MNIST MLP (784-225-225-10) and LeNet-5: loads the weights
// `npm start` and `npm run lenet` saved (mnist-mlp.safetensors, mnist-lenet.safetensors), or
// trains each briefly when its file is missing; then prints the test accuracy in float32 and after
// static quantization (calibrated on --calibration training images), the MLP also after dynamic
// quantization, the time of one pass over the test set in each form (same process, so a ratio),
// and the size of the quantized state dict saved as safetensors (I8 codes + F32 scales).
//
// Run: npm run quantize [-- --mlp-epochs 5 --lenet-epochs 2 --calibration 1000 --seed 0]
import { existsSync } from "node:fs";
import { nn, manualSeed, Generator, TensorDataset, DataLoader, randomSplit, evaluate, quantize, quantizeDynamic, save, type Tensor } from "../src/index.js";
import { loadFile, loadMnist } from "../src/node.js";
import { parseFlags, trainMnist } from "./mnist-training.js";

const flags = parseFlags("quantize-mnist", { "mlp-epochs": 5, "lenet-epochs": 2, calibration: 1000, seed: 0 }, "");
manualSeed(flags.seed);

const mlp = () => new nn.Sequential(
  new nn.GaussianNoise(0.2),
  new nn.Linear(784, 225), new nn.ReLU(), new nn.Dropout(0.25),
  new nn.Linear(225, 225), new nn.ReLU(), new nn.Dropout(0.25),
  new nn.Linear(225, 10),
);
const lenet = () => new nn.Sequential(
  new nn.Conv2d(1, 6, 5, { padding: 2 }), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Conv2d(6, 16, 5), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Flatten(),
  new nn.Linear(400, 120), new nn.ReLU(), new nn.Linear(120, 84), new nn.ReLU(), new nn.Linear(84, 10),
);

const loss = (logits: Tensor, target: Tensor) => nn.functional.crossEntropy(logits, target);
const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

/** Test accuracy and the seconds of one pass over the test set. */
function measure(model: nn.Module, test: DataLoader): { accuracy: number; seconds: number } {
  const t0 = performance.now();
  const { accuracy } = evaluate(model, test, loss);
  return { accuracy: accuracy!, seconds: (performance.now() - t0) / 1e3 };
}

function run(name: string, file: string, build: () => nn.Sequential, epochs: number, images: (t: Tensor) => Tensor, normalize: boolean, dynamicToo: boolean): void {
  const train = loadMnist("train", { normalize }), testData = loadMnist("test", { normalize });
  const trainSet = new TensorDataset(images(train.images), train.labels);
  const test = new DataLoader(new TensorDataset(images(testData.images), testData.labels), { batchSize: 1000 });
  const float = build();
  if (existsSync(file)) {
    const state = loadFile(file);
    float.loadStateDict(state);
    console.log(`${name}: weights from ${file}`);
  } else {
    console.log(`${name}: no ${file}; training ${epochs} epoch(s)`);
    const [fitSet, valSet] = randomSplit(trainSet, [trainSet.length - 5000, 5000], new Generator(flags.seed));
    trainMnist({ model: float, trainSet: fitSet, valSet, testSet: test.dataset, epochs, batchSize: 100, lr: 1e-3, seed: flags.seed, out: file, description: name });
  }
  const copy = () => {
    const m = build();
    m.loadStateDict(float.stateDict());
    return m;
  };
  // Calibration: the first training images (in batches of 100, as a loader would give them).
  const calibration = new DataLoader(new TensorDataset(...trainSet.getBatch(Array.from({ length: flags.calibration }, (_, i) => i))), { batchSize: 100 });
  const rows: [string, nn.Module][] = [["float32", float.eval()], ["int8 static", quantize(copy(), { calibration })]];
  if (dynamicToo) rows.push(["int8 dynamic", quantizeDynamic(copy())]);
  measure(rows[1][1], test); // warm-up: the kernels' first calls run in the baseline tier
  const results = rows.map(([label, model]) => ({ label, model, ...measure(model, test) }));
  const base = results[0];
  for (const r of results) {
    console.log(
      `  ${r.label.padEnd(12)} test accuracy ${percent(r.accuracy)}  (${r === base ? "reference" : `${(100 * (r.accuracy - base.accuracy)).toFixed(2)} points`})  ` +
        `test pass ${(r.seconds * 1e3).toFixed(0)} ms${r === base ? "" : ` (${(base.seconds / r.seconds).toFixed(2)}x float32)`}`,
    );
  }
  const bytes = (m: nn.Module) => save(m.stateDict()).length;
  console.log(`  safetensors: float32 ${bytes(float)} bytes, int8 ${bytes(results[1].model)} bytes`);
}

run("mlp 784-225-225-10", "mnist-mlp.safetensors", mlp, flags["mlp-epochs"], (t) => t, false, true);
run("lenet-5", "mnist-lenet.safetensors", lenet, flags["lenet-epochs"], (t) => t.reshape(-1, 1, 28, 28), true, false);

// A small ResNet (He et al. 2016) on MNIST: a 3x3 convolution stem, three residual blocks (the
// second and third halve the resolution and double the channels through a strided 1x1 shortcut),
// global average pooling and a linear classifier. Trained briefly on a subset of the training
// images with Adam; the running loss is printed as it falls, then the test accuracy.
//
// Run: npm run resnet [-- --epochs 2 --train-size 10000 --batch-size 64 --lr 2e-3 --width 16 --seed 0]
import { parseArgs } from "node:util";
import { nn, optim, manualSeed, Generator, TensorDataset, DataLoader, randomSplit, fit, evaluate, type Tensor } from "../src/index.js";
import { loadMnist } from "../src/node.js";

const { values: flags } = parseArgs({
  options: {
    epochs: { type: "string", default: "2" },
    "train-size": { type: "string", default: "10000" },
    "batch-size": { type: "string", default: "64" },
    lr: { type: "string", default: "2e-3" },
    width: { type: "string", default: "16" },
    seed: { type: "string", default: "0" },
  },
});
const number = (name: keyof typeof flags) => {
  const v = Number(flags[name]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`resnet: --${name} must be a non-negative number, got ${flags[name]}`);
  return v;
};
const epochs = number("epochs"), trainSize = number("train-size"), batchSize = number("batch-size");
const lr = number("lr"), width = number("width"), seed = number("seed");

manualSeed(seed);
const asImages = ({ images, labels }: { images: Tensor; labels: Tensor }) => new TensorDataset(images.reshape(-1, 1, 28, 28), labels);
const train = asImages(loadMnist("train", { normalize: true }));
const test = asImages(loadMnist("test", { normalize: true }));
const [trainSet] = randomSplit(train, [trainSize, train.length - trainSize], new Generator(seed));
const loaders = {
  train: new DataLoader(trainSet, { batchSize, shuffle: true, generator: new Generator(seed + 1) }),
  test: new DataLoader(test, { batchSize: 500 }),
};

// 28x28 -> 28x28 (width channels) -> 14x14 (2 width) -> 7x7 (4 width) -> 10 classes.
const model = new nn.Sequential(
  new nn.Conv2d(1, width, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(width), new nn.ReLU(),
  new nn.ResidualBlock(width, width),
  new nn.ResidualBlock(width, 2 * width, { stride: 2 }),
  new nn.ResidualBlock(2 * width, 4 * width, { stride: 2 }),
  new nn.GlobalAvgPool2d(),
  new nn.Linear(4 * width, 10),
);
const optimizer = new optim.Adam(model.parameters(), { lr });
const loss = (logits: Tensor, target: Tensor) => nn.functional.crossEntropy(logits, target);
console.log(model.toString());
console.log(`${model.numParameters()} parameters; ${trainSet.length} training, ${test.length} test images; batch ${batchSize}, Adam lr ${lr}, ${epochs} epochs`);

// The mean loss over the last `every` batches, so the trend is visible through the batch noise.
const every = 25;
let windowLoss = 0, windowSamples = 0;
let testAccuracy = NaN;
const start = performance.now();
fit(model, {
  train: loaders.train,
  optimizer,
  loss,
  epochs,
  onBatchEnd(log) {
    windowLoss += log.loss * log.samples;
    windowSamples += log.samples;
    if (log.batch % every === 0 || log.batch === log.batches) {
      console.log(`epoch ${log.epoch}/${epochs}  batch ${String(log.batch).padStart(String(log.batches).length)}/${log.batches}  loss ${(windowLoss / windowSamples).toFixed(4)}`);
      windowLoss = windowSamples = 0;
    }
  },
  onEpochEnd(log) {
    const t = evaluate(model, loaders.test, loss);
    testAccuracy = t.accuracy!;
    console.log(
      `epoch ${log.epoch}/${epochs}  train loss ${log.trainLoss.toFixed(4)}  train accuracy ${(100 * log.trainAccuracy!).toFixed(2)}%  ` +
        `test loss ${t.loss.toFixed(4)}  test accuracy ${(100 * t.accuracy!).toFixed(2)}%  ${log.seconds.toFixed(1)}s (${Math.round(trainSet.length / log.seconds)} samples/s)`,
    );
  },
});
console.log(`trained in ${((performance.now() - start) / 1000).toFixed(0)} s`);
console.log(`test accuracy: ${(100 * testAccuracy).toFixed(2)}%`);

// Logistic regression: one linear unit whose logit w·x + b gives P(y = 1 | x) = σ(w·x + b),
// trained by minimising the binary cross-entropy with mini-batch SGD, on two overlapping
// Gaussian clouds in 2-D. The Bayes-optimal boundary is the perpendicular bisector of the means.
// Run: npm run logistic
import { tensor, manualSeed, Generator, nn, optim, TensorDataset, DataLoader, randomSplit, fit, evaluate, type Tensor } from "../src/index.js";

manualSeed(0);
const gen = new Generator(1);
const n = 1000;
const means = [[-1, -0.5], [1, 0.5]];
const points = new Float32Array(2 * n), labels = new Float32Array(n);
for (let i = 0; i < n; i++) {
  const c = i % 2;
  labels[i] = c;
  points[2 * i] = means[c][0] + gen.normal();
  points[2 * i + 1] = means[c][1] + gen.normal();
}
const [trainSet, testSet] = randomSplit(new TensorDataset(tensor(points, [n, 2]), tensor(labels, [n, 1])), [0.8, 0.2], gen);

const model = new nn.Linear(2, 1);
const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
const loss = (logits: Tensor, target: Tensor) => nn.functional.binaryCrossEntropyWithLogits(logits, target);
const history = fit(model, {
  train: new DataLoader(trainSet, { batchSize: 32, shuffle: true, generator: gen }),
  optimizer,
  loss,
  epochs: 30,
  onEpochEnd: (log) => log.epoch % 10 === 0 && console.log(`epoch ${log.epoch}: loss ${log.trainLoss.toFixed(4)}, training accuracy ${(100 * log.trainAccuracy!).toFixed(1)}%`),
});

const [w1, w2] = model.weight.data();
const [b] = model.bias!.data();
console.log(`logit = ${w1.toFixed(3)}·x1 + ${w2.toFixed(3)}·x2 + ${b.toFixed(3)} (the optimal boundary is x1 + 0.5·x2 = 0)`);
const test = evaluate(model, new DataLoader(testSet, { batchSize: 200 }), loss);
console.log(`after ${history.epochs.length} epochs: test loss ${test.loss.toFixed(4)}, test accuracy ${(100 * test.accuracy!).toFixed(1)}%`);

// The workload the worker runs: XOR of quadrants (64 points in [-1, 1]², class 1 where x·y > 0),
// full-batch Adam on a 2-16-2 ReLU MLP. Shared with the test, which runs it in Node to compare.
import { manualSeed, memoryStats, nn, optim, rand, tensor, tidy } from "../../src/index.js";

export function trainXorQuadrants(steps = 400) {
  manualSeed(0);
  const x = rand([64, 2], { low: -1, high: 1 });
  const xs = x.liveData();
  const y = tensor(Array.from({ length: 64 }, (_, i) => (xs[2 * i] * xs[2 * i + 1] > 0 ? 1 : 0)), [64], { dtype: "int32" });
  const model = new nn.Sequential(new nn.Linear(2, 16), new nn.ReLU(), new nn.Linear(16, 2));
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.05 });
  const step = () =>
    tidy(() => {
      optimizer.zeroGrad();
      const loss = nn.functional.crossEntropy(model.forward(x), y);
      loss.backward();
      optimizer.step();
      return loss.item();
    });
  const initialLoss = step();
  let finalLoss = initialLoss;
  let afterWarmup = memoryStats();
  for (let i = 1; i < steps; i++) {
    finalLoss = step();
    if (i === 50) afterWarmup = memoryStats();
  }
  return { initialLoss, finalLoss, memoryStats: { afterWarmup, atEnd: memoryStats() } };
}

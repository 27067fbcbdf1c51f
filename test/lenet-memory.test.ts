import { describe, it, expect } from "vitest";
import { nn, optim, randn, randint, dispose, manualSeed, Generator } from "../src/index.js";
import { runSteps, meanOf } from "./flat-memory.js";

// A long training run must not leak: every step (forward, backward, Adam update) inside a tidy
// releases exactly what it allocated, so once Adam's lazily created state exists, the allocator's
// counters and the wasm memory size stay identical step after step.
describe("LeNet-5 training memory", () => {
  it("keeps memoryStats() identical after every one of 2,000 steps past warm-up, while the loss falls", () => {
    manualSeed(0);
    const gen = new Generator(1);
    const model = new nn.Sequential(
      new nn.Conv2d(1, 6, 5, { padding: 2 }), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(6, 16, 5), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Flatten(),
      new nn.Linear(400, 120), new nn.ReLU(),
      new nn.Linear(120, 84), new nn.ReLU(),
      new nn.Linear(84, 10),
    );
    const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
    // Four fixed batches of 8 random images with random labels: the network can only memorise
    // them, which makes the loss fall steadily.
    const batches = Array.from({ length: 4 }, () => [randn([8, 1, 28, 28], { generator: gen }), randint(0, 10, [8], { generator: gen })]);

    const steps = 2000;
    const { losses, baseline, changed } = runSteps(steps, (step) => {
      const [x, y] = batches[step % batches.length];
      optimizer.zeroGrad();
      const loss = nn.functional.crossEntropy(model.forward(x), y);
      loss.backward();
      optimizer.step();
      return loss.item();
    });
    dispose(batches.flat());

    expect(baseline.liveTensors).toBeGreaterThan(0);
    expect(changed.slice(0, 3)).toEqual([]);
    expect(meanOf(losses, 0, batches.length)).toBeCloseTo(Math.log(10), 0); // near-uniform predictions at the start
    expect(meanOf(losses, steps - 100, steps)).toBeLessThan(0.05); // the 32 samples are memorised
  });
});

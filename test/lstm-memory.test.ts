import { describe, it, expect } from "vitest";
import { nn, optim, randn, dispose, manualSeed, Generator } from "../src/index.js";
import { runSteps, meanOf } from "./flat-memory.js";

// A long training run of a 2-layer bidirectional LSTM (dropout between the layers, variable-length
// batches) must not leak: once Adam's state exists, memoryStats() is identical after every step.
describe("LSTM stack training memory", () => {
  it("keeps memoryStats() identical over 2,000 steps of a 2-layer bidirectional LSTM, while the loss falls", () => {
    manualSeed(0);
    const gen = new Generator(2);
    const T = 6, N = 4, I = 3, H = 8;
    const lstm = new nn.LSTM(I, H, { numLayers: 2, bidirectional: true, dropout: 0.1, generator: gen });
    const head = new nn.Linear(2 * H, 1, { generator: gen });
    const optimizer = new optim.Adam([...lstm.parameters(), ...head.parameters()], { lr: 1e-2 });
    // Four fixed batches, each with its own lengths: regress a fixed target from the last step.
    const batches = Array.from({ length: 4 }, (_, b) => ({
      x: randn([T, N, I], { generator: gen }),
      y: randn([N, 1], { generator: gen }),
      lengths: [T, T - 1 - (b % 3), 2 + b, 3],
    }));

    const steps = 2000;
    const { losses, baseline, changed } = runSteps(steps, (step) => {
      const { x, y, lengths } = batches[step % batches.length];
      optimizer.zeroGrad();
      const [out, [h]] = lstm.forward(x, null, lengths);
      // The top layer's final states of both directions (h entries 2, 3) feed the head; a small
      // penalty on the outputs sends gradients through every step's output too.
      const features = h.narrow(0, 2, 2).transpose(0, 1).reshape([N, 2 * H]);
      const loss = nn.functional.mseLoss(head.forward(features), y).add(out.square().mean().mul(1e-3));
      loss.backward();
      optimizer.step();
      return loss.item();
    });
    dispose(batches.flatMap((b) => [b.x, b.y]));

    expect(baseline.liveTensors).toBeGreaterThan(0);
    expect(changed.slice(0, 3)).toEqual([]);
    expect(meanOf(losses, steps - 100, steps)).toBeLessThan(meanOf(losses, 0, 20) / 4);
  });
});

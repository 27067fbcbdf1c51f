import { describe, it, expect } from "vitest";
import { nn, optim, tidy, dispose, noGrad, DataLoader, TensorDataset, randn, tensor, memoryStats, manualSeed, argmax } from "../src/index.js";

function separableData() {
  manualSeed(7);
  const images = randn([512, 784]);
  const labels = tensor(Int32Array.from({ length: 512 }, (_, i) => i % 10));
  // Make the classes separable: shift pixel `label` of each image.
  const v = images.liveData(), l = labels.data(); // a copy: views go stale when memory grows
  for (let i = 0; i < 512; i++) v[i * 784 + l[i]] += 4;
  return { images, labels, l };
}

type Loop = (loader: DataLoader, model: nn.Sequential, opt: optim.Adam) => void;

/**
 * The README's model and loader, trained for `warmup` epochs by `epoch`, then 4 more: memory must
 * not change over those 4, and the model must have learned the separable classes.
 */
function trainsFlat(epoch: Loop, warmup: number): void {
  const { images, labels, l } = separableData();
  const model = new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 10));
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const loader = new DataLoader(new TensorDataset(images, labels), { batchSize: 128, shuffle: true });
  for (let e = 0; e < warmup; e++) epoch(loader, model, opt);
  const settled = memoryStats();
  for (let e = 0; e < 4; e++) epoch(loader, model, opt);
  expect(memoryStats()).toEqual(settled);

  const logits = noGrad(() => model.eval().forward(images));
  const predicted = argmax(logits, 1).data();
  const correct = predicted.filter((p, i) => p === l[i]).length;
  expect(correct / 512).toBeGreaterThan(0.95);
  dispose([logits, images, labels]);
  model.dispose();
  opt.dispose();
}

describe("README example", () => {
  // The README's "Using it" loop, verbatim but for the data: it must learn and keep memory flat.
  it("trains with the documented loop (no tidy, no dispose) and leaks nothing per epoch", () => {
    trainsFlat((loader, model, opt) => {
      for (const [x, y] of loader) {
        opt.zeroGrad();
        const loss = nn.functional.crossEntropy(model.forward(x), y);
        loss.backward();
        opt.step();
      }
    }, 2);
  });

  // The explicit style (tidy per step, batches disposed) keeps working exactly as before.
  it("trains with the explicit tidy/dispose loop and leaks nothing per epoch", () => {
    trainsFlat((loader, model, opt) => {
      for (const [x, y] of loader) {
        tidy(() => {
          opt.zeroGrad();
          const loss = nn.functional.crossEntropy(model.forward(x), y);
          loss.backward();
          opt.step();
        });
        dispose([x, y]);
      }
    }, 1);
  });
});

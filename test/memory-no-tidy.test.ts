// Loops written from PyTorch habits — no tidy, dispose or keep — must stay flat (autofree.ts):
// DataLoader loops, batches made in the loop body, evaluation under noGrad, synchronous and with
// an await per step, for an MLP, a CNN with BatchNorm and an LSTM.
import { describe, it, expect } from "vitest";
import {
  nn, optim, noGrad, tidy, keep, dispose, randn, randint, tensor, manualSeed, memoryStats,
  DataLoader, TensorDataset, type Tensor,
} from "../src/index.js";

const F = nn.functional;
const STEPS = 10_000;
/** DataLoader and evaluation loops: shorter, the training loops above already run STEPS. */
const SHORT = 2_000;

interface Task {
  model: nn.Module<Tensor>;
  batch: () => [Tensor, Tensor];
  /** The whole data set, for DataLoader loops. */
  data: () => [Tensor, Tensor];
}

class LstmClassifier extends nn.Module {
  lstm = new nn.LSTM(3, 8, { batchFirst: true });
  head = new nn.Linear(8, 4);
  forward(x: Tensor): Tensor {
    const [, [h]] = this.lstm.forward(x);
    return this.head.forward(h.reshape([h.shape[1], 8]));
  }
}

const tasks: Record<string, () => Task> = {
  mlp: () => ({
    model: new nn.Sequential(new nn.Linear(20, 32), new nn.ReLU(), new nn.Linear(32, 5)),
    batch: () => [randn([16, 20]), randint(0, 5, [16])],
    data: () => [randn([64, 20]), randint(0, 5, [64])],
  }),
  "cnn with BatchNorm": () => ({
    model: new nn.Sequential(
      new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Flatten(), new nn.Linear(4 * 3 * 3, 3),
    ),
    batch: () => [randn([4, 1, 6, 6]), randint(0, 3, [4])],
    data: () => [randn([16, 1, 6, 6]), randint(0, 3, [16])],
  }),
  lstm: () => ({
    model: new LstmClassifier(),
    batch: () => [randn([4, 3, 3]), randint(0, 4, [4])],
    data: () => [randn([16, 3, 3]), randint(0, 4, [16])],
  }),
};

type Stats = ReturnType<typeof memoryStats>;

/** Runs `steps` steps, recording the stats every 500 after a warm-up; each must equal the first. */
async function expectFlat(steps: number, step: (i: number) => void | Promise<void>): Promise<void> {
  const samples: Stats[] = [];
  for (let i = 0; i < steps; i++) {
    await step(i);
    if (i >= 20 && i % 500 === 20) samples.push(memoryStats());
  }
  samples.push(memoryStats());
  for (const s of samples) {
    expect(s.wasmMemoryBytes).toBe(samples[0].wasmMemoryBytes);
    // With an await per step the GC may still free leftovers of the first steps: never more.
    expect(s.bytesInUse).toBeLessThanOrEqual(samples[0].bytesInUse);
    expect(s.liveTensors).toBeLessThanOrEqual(samples[0].liveTensors);
  }
}

// A macrotask, so the GC's finalizers may run between steps (as they would in a page or a server).
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** STEPS steps of the PyTorch-habit loop on batch(i), half synchronously and half with an await per step. */
async function trainFlat(model: nn.Module<Tensor>, opt: optim.Optimizer, batch: (i: number) => [Tensor, Tensor]): Promise<void> {
  let total = 0;
  const trainStep = (i: number) => {
    const [x, y] = batch(i);
    opt.zeroGrad();
    const loss = F.crossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
    total += loss.item();
  };
  await expectFlat(STEPS / 2, trainStep);
  await expectFlat(STEPS / 2, async (i) => {
    trainStep(i);
    await tick();
  });
  expect(Number.isFinite(total)).toBe(true);
}

describe.each(Object.keys(tasks))("%s without tidy", (name) => {
  it(`trains ${STEPS} steps on batches made in the loop body (sync, then with an await per step) with flat memory`, async () => {
    manualSeed(1);
    const { model, batch } = tasks[name]();
    await trainFlat(model, new optim.Adam(model.parameters(), { lr: 1e-3 }), batch);
  }, 120_000);

  it("trains and evaluates over a DataLoader (no tidy, no dispose) with flat memory", async () => {
    manualSeed(2);
    const { model, data } = tasks[name]();
    const [xs, ys] = data();
    const loader = new DataLoader(new TensorDataset(xs, ys), { batchSize: 4, shuffle: true });
    const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
    const epochs = Math.ceil(SHORT / loader.length);
    await expectFlat(epochs, () => {
      for (const [x, y] of loader) {
        opt.zeroGrad();
        const loss = F.crossEntropy(model.forward(x), y);
        loss.backward();
        opt.step();
      }
    });
    model.eval();
    let correct = 0;
    await expectFlat(epochs, async () => {
      for (const [x, y] of loader) {
        noGrad(() => {
          correct += model.forward(x).argmax(1).eq(y).sum().item();
        });
      }
      await tick();
    });
    expect(correct).toBeGreaterThan(0);
  }, 120_000);

  it(`evaluates ${SHORT} body-made batches under noGrad with flat memory`, async () => {
    manualSeed(3);
    const { model, batch } = tasks[name]();
    model.eval();
    let correct = 0;
    let seen = 0;
    await expectFlat(SHORT, async (i) => {
      const [x, y] = batch();
      const logits = noGrad(() => model.forward(x));
      correct += logits.argmax(1).eq(y).sum().item();
      seen += y.size;
      if (i % 2) await tick();
    });
    expect(correct).toBeGreaterThan(0);
    expect(correct).toBeLessThan(seen);
  }, 120_000);
});

describe("batches made with tensor(...) from JavaScript data, without tidy", () => {
  it(`an MLP trains ${STEPS} steps on typed-array and nested-array batches (sync, then with an await per step) with flat memory`, async () => {
    manualSeed(5);
    const { model } = tasks.mlp();
    let seed = 1;
    const next = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    await trainFlat(model, new optim.SGD(model.parameters(), { lr: 0.01 }), (i) => {
      // Every other step a nested array, as data from JSON would come.
      const flat = Float32Array.from({ length: 16 * 20 }, () => next() * 2 - 1);
      const x = i % 2 ? tensor(flat, [16, 20]) : tensor(Array.from({ length: 16 }, (_, r) => Array.from(flat.subarray(r * 20, r * 20 + 20))));
      return [x, tensor(Int32Array.from({ length: 16 }, () => Math.floor(next() * 5)))];
    });
  }, 120_000);
});

describe("automatic freeing: what it keeps and what it says", () => {
  it("keeps set-up tensors, kept tensors, tensors carried to the next step, and tidy results", () => {
    manualSeed(4);
    const model = new nn.Linear(3, 2);
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    const testX = randn([5, 3]); // made before the loop: never freed automatically
    const history = keep(tensor([0]));
    let carried = tensor([0]);
    let tidyResult: Tensor | null = null;
    for (let i = 0; i < 20; i++) {
      const x = randn([4, 3]);
      opt.zeroGrad();
      const loss = model.forward(x).square().mean();
      loss.backward();
      opt.step();
      carried = carried.add(loss.detach()); // a running value carried step to step
      tidyResult ??= tidy(() => x.sum());
    }
    expect(testX.isDisposed).toBe(false);
    expect(history.isDisposed).toBe(false);
    expect(Number.isFinite(carried.item())).toBe(true);
    expect(tidyResult!.isDisposed).toBe(false);
    for (const p of model.parameters()) expect(p.isDisposed).toBe(false);
    dispose([testX, history, tidyResult]);
  });

  it("a tensor kept past its step without keep() fails with an error that says why and how", () => {
    const model = new nn.Linear(3, 2);
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    const losses: Tensor[] = [];
    for (let i = 0; i < 5; i++) {
      const loss = model.forward(randn([4, 3])).square().mean();
      opt.zeroGrad();
      loss.backward();
      opt.step();
      losses.push(loss);
    }
    // What the first step made counts as the loop's set-up (the loop is recognised at its second step).
    expect(losses[0].isDisposed).toBe(false);
    expect(losses[1].isDisposed).toBe(true);
    expect(() => losses[1].item()).toThrow(/freed automatically after a whole step in which it was not used\. Call keep\(t\)/);
    expect(losses[4].isDisposed).toBe(false); // the last step's loss is still usable after the loop
    expect(losses[4].item()).toBeGreaterThan(0);
  });

  it("a DataLoader loop's body tensors are freed one batch after their last use; break keeps the last ones", () => {
    const loader = new DataLoader(new TensorDataset(randn([12, 2])), { batchSize: 2 });
    const made: Tensor[] = [];
    let last: Tensor | null = null;
    for (const [x] of loader) {
      last = x.mul(2);
      made.push(last);
      if (made.length === 4) break;
    }
    expect(made[0].isDisposed).toBe(true);
    expect(made[3].isDisposed).toBe(false);
    expect(last!.size).toBe(4);
    expect(() => made[0].data()).toThrow(/freed automatically/);
  });

  it("taking one batch with iterator().next() does not leave a loop governing forever", () => {
    const loader = new DataLoader(new TensorDataset(randn([8, 2]), randint(0, 2, [8])), { batchSize: 4 });
    const [x0] = loader[Symbol.iterator]().next().value as Tensor[];
    const model = new nn.Linear(2, 2);
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    const step = () => {
      const loss = F.crossEntropy(model.forward(randn([4, 2])), randint(0, 2, [4]));
      opt.zeroGrad();
      loss.backward();
      opt.step();
    };
    for (let i = 0; i < 10; i++) step();
    const before = memoryStats();
    for (let i = 0; i < 200; i++) step();
    expect(memoryStats().liveTensors).toBe(before.liveTensors);
    expect(memoryStats().bytesInUse).toBe(before.bytesInUse);
    expect(x0.shape).toEqual([4, 2]);
  });
});

import { describe, it, expect } from "vitest";
import { tensor, dispose, tidy, manualSeed, memoryStats, Generator, nn, optim, type Tensor } from "../src/index.js";
import { TensorDataset } from "../src/data/dataset.js";
import { DataLoader } from "../src/data/dataloader.js";
import { fit, fitAsync, evaluate, accuracy, type BatchLog, type EpochLog } from "../src/train/fit.js";
import { progressBar } from "../src/node.js";

/** Three Gaussian blobs in 2-D, labelled 0..2. */
function blobs(n: number, seed: number): { x: Tensor; y: Tensor } {
  const gen = new Generator(seed);
  const centres = [[-2, 0], [2, 0], [0, 2.5]];
  const xs = new Float32Array(2 * n), ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    ys[i] = c;
    xs[2 * i] = centres[c][0] + 0.7 * gen.normal();
    xs[2 * i + 1] = centres[c][1] + 0.7 * gen.normal();
  }
  return { x: tensor(xs, [n, 2]), y: tensor(ys, [n]) };
}

function model(hidden = 16): nn.Sequential {
  return new nn.Sequential(new nn.Linear(2, hidden), new nn.ReLU(), new nn.Linear(hidden, 3));
}

describe("accuracy", () => {
  it("counts argmax hits for class scores and threshold hits for binary outputs", () => {
    const scores = tensor([[0.1, 2, -1], [3, 0, 0], [0, 0, 5], [1, 2, 3]]);
    expect(accuracy(scores, tensor(Int32Array.of(1, 0, 0, 2), [4]))).toBe(3);
    expect(accuracy(scores, tensor([[0, 1, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]))).toBe(3);
    expect(accuracy(tensor([[-1], [2], [0.5]]), tensor([[0], [1], [0]]))).toBe(2);
    expect(accuracy(tensor([0.2, 0.7, 0.9]), tensor([0, 1, 0]), 0.5)).toBe(2);
    expect(() => accuracy(scores, tensor([1, 2]))).toThrow(/target of shape \[2\] does not match output \[4, 3\]/);
  });
});

describe("fit", () => {
  it("reduces the loss on a small problem and records the learning curve", () => {
    manualSeed(0);
    const train = blobs(240, 1), val = blobs(90, 2);
    const net = model();
    const opt = new optim.Adam(net.parameters(), { lr: 0.02 });
    const batches: BatchLog[] = [], epochs: EpochLog[] = [];
    let ended = 0;
    const history = fit(net, {
      train: new DataLoader(new TensorDataset(train.x, train.y), { batchSize: 32, shuffle: true, generator: new Generator(3) }),
      val: new DataLoader(new TensorDataset(val.x, val.y), { batchSize: 64 }),
      optimizer: opt,
      scheduler: new optim.StepLR(opt, { stepSize: 2, gamma: 0.5 }),
      loss: (out, y) => nn.functional.crossEntropy(out, y),
      epochs: 6,
      clipGradNorm: 5,
      onBatchEnd: (b) => batches.push(b),
      onEpochEnd: (e) => epochs.push(e),
      callbacks: [{ onTrainEnd: () => ended++ }],
    });
    expect(history.stoppedEarly).toBe(false);
    expect(history.epochs).toEqual(epochs);
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(epochs.map((e) => e.lr)).toEqual([0.02, 0.02, 0.01, 0.01, 0.005, 0.005]);
    expect(batches.length).toBe(6 * 8);
    expect(batches.slice(0, 8).map((b) => b.samples)).toEqual([32, 32, 32, 32, 32, 32, 32, 16]);
    expect(ended).toBe(1);
    const first = epochs[0], last = epochs[5];
    expect(last.trainLoss).toBeLessThan(first.trainLoss / 2);
    expect(last.valLoss!).toBeLessThan(0.3);
    expect(last.valAccuracy!).toBeGreaterThan(0.9);
    expect(last.trainAccuracy!).toBeGreaterThan(0.9);
    expect(epochs.every((e) => e.seconds >= 0)).toBe(true);
    // The epoch's trainLoss is the sample-weighted mean of its batch losses.
    const weighted = batches.slice(40).reduce((s, b) => s + b.loss * b.samples, 0) / 240;
    expect(last.trainLoss).toBeCloseTo(weighted, 5);

    // evaluate agrees with the last validation numbers and leaves the model in train mode.
    const ev = evaluate(net, new DataLoader(new TensorDataset(val.x, val.y), { batchSize: 7 }), (o, y) => nn.functional.crossEntropy(o, y));
    expect(ev.loss).toBeCloseTo(last.valLoss!, 5);
    expect(ev.accuracy).toBeCloseTo(last.valAccuracy!, 10);
    expect(ev.error).toBeCloseTo(1 - last.valAccuracy!, 10);
    expect(net.training).toBe(true);
    dispose([train, val]);
    net.dispose();
    opt.dispose();
  });

  it("stops early when the monitored loss stops improving", () => {
    manualSeed(1);
    const data = blobs(60, 4);
    const net = model();
    const opt = new optim.SGD(net.parameters(), { lr: 0 }); // nothing changes: no improvement after epoch 1
    const history = fit(net, {
      train: new DataLoader(new TensorDataset(data.x, data.y), { batchSize: 20 }),
      optimizer: opt,
      loss: (out, y) => nn.functional.crossEntropy(out, y),
      epochs: 50,
      earlyStopping: { patience: 3, minDelta: 1e-4 },
      accuracy: false,
    });
    expect(history.stoppedEarly).toBe(true);
    expect(history.epochs.length).toBe(4);
    expect(history.epochs[0].trainAccuracy).toBeNull();
    expect(history.epochs[0].valLoss).toBeNull();
    dispose(data);
    net.dispose();
  });

  it("keeps memory flat over 5,000 training steps", () => {
    manualSeed(2);
    const data = blobs(64, 5);
    const net = new nn.Sequential(new nn.Linear(2, 8), new nn.ReLU(), new nn.Dropout(0.1), new nn.Linear(8, 3));
    const opt = new optim.Adam(net.parameters(), { lr: 1e-3 });
    const loader = new DataLoader(new TensorDataset(data.x, data.y), { batchSize: 8, shuffle: true, generator: new Generator(6) });
    let steps = 0;
    let reference: ReturnType<typeof memoryStats> | null = null;
    const drift: string[] = [];
    while (steps < 5000) {
      for (const batch of loader) {
        tidy(() => {
          const [x, y] = batch;
          opt.zeroGrad();
          nn.functional.crossEntropy(net.forward(x), y).backward();
          opt.step();
        });
        dispose(batch);
        steps++;
        const now = memoryStats();
        if (steps === 20) reference = now;
        else if (reference && (now.bytesInUse !== reference.bytesInUse || now.liveTensors !== reference.liveTensors || now.wasmMemoryBytes !== reference.wasmMemoryBytes)) {
          drift.push(`step ${steps}: ${JSON.stringify(now)} vs ${JSON.stringify(reference)}`);
        }
      }
    }
    expect(drift.slice(0, 3)).toEqual([]);
    dispose(data);
    net.dispose();
    opt.dispose();
  });
});

describe("early stopping and stopping from a callback", () => {
  const crossEntropy = (out: Tensor, y: Tensor) => nn.functional.crossEntropy(out, y);

  // Gradient descent for three epochs, then ascent (maximize): the validation loss is best at epoch 3.
  function improveThenWorsen(restoreBestWeights?: boolean) {
    manualSeed(5);
    const data = blobs(60, 6);
    const net = model();
    const opt = new optim.SGD(net.parameters(), { lr: 0.2 });
    const loader = () => new DataLoader(new TensorDataset(data.x, data.y), { batchSize: 20 });
    const history = fit(net, {
      train: loader(),
      val: loader(),
      optimizer: opt,
      loss: crossEntropy,
      epochs: 20,
      earlyStopping: { patience: 2, restoreBestWeights },
      onEpochEnd: (log) => void (log.epoch === 3 && ((opt.paramGroups[0] as { maximize: boolean }).maximize = true)),
    });
    const after = evaluate(net, loader(), crossEntropy).loss;
    dispose(data);
    net.dispose();
    return { history, after };
  }

  it("restores the weights of the best epoch when training ends", () => {
    const { history, after } = improveThenWorsen();
    const valLosses = history.epochs.map((e) => e.valLoss!);
    expect(history.stoppedBy).toBe("earlyStopping");
    expect(history.bestEpoch).toBe(3);
    expect(valLosses.length).toBe(5);
    expect(Math.min(...valLosses)).toBe(valLosses[2]);
    expect(valLosses[4]).toBeGreaterThan(valLosses[2]);
    expect(after).toBeCloseTo(valLosses[2], 6);
  });

  it("keeps the last weights with restoreBestWeights: false", () => {
    const { history, after } = improveThenWorsen(false);
    expect(history.bestEpoch).toBe(3);
    expect(after).toBeCloseTo(history.epochs[4].valLoss!, 6);
  });

  it("rejects a patience that is not a positive integer", () => {
    const net = model();
    const data = blobs(6, 1);
    const options = { train: new DataLoader(new TensorDataset(data.x, data.y), { batchSize: 3 }), optimizer: new optim.SGD(net.parameters(), { lr: 0.1 }), loss: crossEntropy, epochs: 2 };
    expect(() => fit(net, { ...options, earlyStopping: { patience: 0 } })).toThrow(/fit: earlyStopping.patience must be a positive integer, got 0/);
    dispose(data);
    net.dispose();
  });

  it("a callback's stop() ends training after the current batch", () => {
    manualSeed(6);
    const data = blobs(60, 7);
    const net = model();
    const seen: string[] = [];
    const history = fit(net, {
      train: new DataLoader(new TensorDataset(data.x, data.y), { batchSize: 20 }),
      optimizer: new optim.SGD(net.parameters(), { lr: 0.1 }),
      loss: crossEntropy,
      epochs: 10,
      onBatchEnd: (log, control) => {
        seen.push(`${log.epoch}.${log.batch}`);
        if (log.epoch === 2 && log.batch === 2) control.stop();
      },
    });
    expect(seen).toEqual(["1.1", "1.2", "1.3", "2.1", "2.2"]);
    expect(history.stoppedBy).toBe("callback");
    expect(history.stoppedEarly).toBe(false);
    expect(history.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    dispose(data);
    net.dispose();
  });
});

describe("fitAsync", () => {
  const crossEntropy = (out: Tensor, y: Tensor) => nn.functional.crossEntropy(out, y);
  const setup = (seed: number) => {
    manualSeed(seed);
    const data = blobs(120, seed + 1);
    const net = model();
    const opt = new optim.Adam(net.parameters(), { lr: 0.02 });
    const train = new DataLoader(new TensorDataset(data.x, data.y), { batchSize: 10, shuffle: true, generator: new Generator(seed) });
    return { data, net, opt, train };
  };

  it("trains exactly as fit does, and lets the event loop run between batches", async () => {
    const a = setup(7);
    const sync = fit(a.net, { train: a.train, optimizer: a.opt, loss: crossEntropy, epochs: 3 });
    const b = setup(7);
    // A task queued over and over: it runs only when the training loop yields.
    let ticks = 0, ticking = true;
    const tick = () => ((ticks++, ticking) ? void setImmediate(tick) : undefined);
    setImmediate(tick);
    const ticksAtBatch: number[] = [];
    const history = await fitAsync(b.net, { train: b.train, optimizer: b.opt, loss: crossEntropy, epochs: 3, yieldEvery: 4, onBatchEnd: () => void ticksAtBatch.push(ticks) });
    ticking = false;
    expect(history.epochs.map((e) => e.trainLoss)).toEqual(sync.epochs.map((e) => e.trainLoss));
    expect(ticksAtBatch.length).toBe(36);
    // Between batch 4k and 4k+1 the queued task ran; within a group of four it did not.
    expect(ticksAtBatch[4]).toBeGreaterThan(ticksAtBatch[3]);
    expect(ticksAtBatch[2]).toBe(ticksAtBatch[1]);
    // Eight yields after batch groups and two after epochs came before the last batch.
    expect(ticksAtBatch[35]).toBeGreaterThanOrEqual(10);
    dispose([a.data, b.data]);
    a.net.dispose();
    b.net.dispose();
  });

  it("an AbortSignal stops it between batches: it rejects with the reason and frees the batch", async () => {
    const { data, net, opt, train } = setup(8);
    const controller = new AbortController();
    fit(net, { train, optimizer: opt, loss: crossEntropy, epochs: 1 }); // creates Adam's state
    const before = memoryStats().liveTensors;
    let batches = 0;
    setImmediate(() => setImmediate(() => controller.abort(new Error("user pressed stop"))));
    const run = fitAsync(net, { train, optimizer: opt, loss: crossEntropy, epochs: 100, signal: controller.signal, onBatchEnd: () => void batches++ });
    await expect(run).rejects.toThrow("user pressed stop");
    expect(batches).toBeGreaterThan(0);
    expect(batches).toBeLessThan(100 * 12);
    expect(memoryStats().liveTensors).toBe(before);
    // An already aborted signal refuses to start.
    await expect(fitAsync(net, { train, optimizer: opt, loss: crossEntropy, epochs: 1, signal: AbortSignal.abort() })).rejects.toThrow(/abort/i);
    await expect(fitAsync(net, { train, optimizer: opt, loss: crossEntropy, epochs: 1, yieldEvery: 0 })).rejects.toThrow(/yieldEvery must be a positive integer, got 0/);
    dispose(data);
    net.dispose();
  });
});

describe("progressBar", () => {
  let out = "";
  const run = (stream: { isTTY: boolean; columns: number; write(s: string): boolean }, summary?: boolean) => {
    manualSeed(4);
    const data = blobs(30, 7);
    const net = model(4);
    const lines: string[] = [];
    fit(net, {
      train: new DataLoader(new TensorDataset(data.x, data.y), { batchSize: 10 }),
      optimizer: new optim.SGD(net.parameters(), { lr: 0.1 }),
      loss: (out, y) => nn.functional.crossEntropy(out, y),
      epochs: 2,
      callbacks: [progressBar({ stream: stream as never, summary })],
      // What the terminal's last line holds when the epoch's own hook runs.
      onEpochEnd: (log) => lines.push(`epoch ${log.epoch}: ${JSON.stringify(out.slice(out.lastIndexOf("\r")))} loss ${log.trainLoss.toFixed(4)}`),
    });
    dispose(data);
    net.dispose();
    return lines;
  };
  const terminal = () => ({ isTTY: true, columns: 120, write: (s: string) => ((out += s), true) });

  it("draws a bar per epoch on a terminal and replaces it with a one-line summary of the epoch", () => {
    out = "";
    const lines = run(terminal());
    expect(out).toMatch(/epoch 1\/2 \[.*\] 0\/3 \| loss - \| - samples\/s/);
    expect(out).toMatch(/epoch 2\/2 \[.*\] 3\/3 \| loss \d\.\d{4} \| \d+ samples\/s \| ETA 0s/);
    // The kept line is the cleared bar followed by the epoch's summary, with fit's own train loss.
    for (const line of lines) {
      const [, epoch, kept, loss] = line.match(/^epoch (\d): "(.*)" loss (\S+)$/)!;
      expect(kept).toMatch(new RegExp(`^\\\\r\\\\u001b\\[2Kepoch ${epoch}/2 \\| loss ${loss} \\| acc [01]\\.\\d{4} \\| \\d+ samples/s \\| \\d+\\.\\ds\\\\n$`));
    }
    expect(out.split("\n")).toHaveLength(3);
  });

  it("only clears the bar with summary: false", () => {
    out = "";
    const lines = run(terminal(), false);
    expect(lines.map((l) => l.replace(/ loss .*/, ""))).toEqual(['epoch 1: "\\r\\u001b[2K"', 'epoch 2: "\\r\\u001b[2K"']);
    expect(out).not.toContain("\n");
  });

  it("is silent when the stream is not a terminal", () => {
    out = "";
    run({ isTTY: false, columns: 120, write: (s) => ((out += s), true) });
    expect(out).toBe("");
  });
});

import { describe, it, expect } from "vitest";
import { tensor, zeros, optim, type Tensor } from "../src/index.js";
import { runCase } from "./conformance/families/lr_scheduler.js";
import { loadIndex, loadCases } from "./conformance/load.js";

describe("schedulers against the PyTorch sequences", () => {
  for (const [file] of Object.entries(loadIndex().files).filter(([, f]) => f.family === "lr_scheduler")) {
    for (const c of loadCases(file)) it(`${file} ${c.id}`, () => expect(runCase(c)).toBeNull());
  }
});

// An SGD optimizer with one group per base lr, for driving schedulers.
function optimizerWithLrs(...lrs: number[]): { opt: optim.SGD; params: Tensor[] } {
  const params = lrs.map(() => zeros([1], { requiresGrad: true }));
  const opt = new optim.SGD(params.map((p, i) => ({ params: [p], lr: lrs[i] })), { lr: lrs[0] });
  return { opt, params };
}

/** The lr of every group at epochs 0..epochs (after e calls of step()). */
function lrSequence(opt: optim.Optimizer, scheduler: { step(): void }, epochs: number): number[][] {
  const out = [opt.paramGroups.map((g) => g.lr)];
  for (let e = 1; e <= epochs; e++) {
    scheduler.step();
    out.push(opt.paramGroups.map((g) => g.lr));
  }
  return out;
}

function expectClose(got: number[][], want: number[][]): void {
  expect(got.length).toBe(want.length);
  got.forEach((row, e) => row.forEach((v, i) => expect(v, `epoch ${e} group ${i}`).toBeCloseTo(want[e][i], 12)));
}

const epochs = (n: number) => Array.from({ length: n + 1 }, (_, e) => e);

describe("epoch schedulers (closed forms, every group from its own base lr)", () => {
  it("StepLR: lr·gamma^floor(e/stepSize)", () => {
    const { opt } = optimizerWithLrs(0.1, 1);
    const s = new optim.StepLR(opt, { stepSize: 3, gamma: 0.5 });
    expectClose(lrSequence(opt, s, 10), epochs(10).map((e) => [0.1 * 0.5 ** Math.floor(e / 3), 0.5 ** Math.floor(e / 3)]));
    expect(s.getLastLr()).toEqual(opt.paramGroups.map((g) => g.lr));
  });

  it("MultiStepLR: gamma once per milestone passed (a repeated milestone counts twice)", () => {
    const { opt } = optimizerWithLrs(1);
    const s = new optim.MultiStepLR(opt, { milestones: [2, 5, 5], gamma: 0.1 });
    expectClose(lrSequence(opt, s, 7), [[1], [1], [0.1], [0.1], [0.1], [0.001], [0.001], [0.001]]);
  });

  it("ExponentialLR: lr·gamma^e", () => {
    const { opt } = optimizerWithLrs(0.2);
    const s = new optim.ExponentialLR(opt, { gamma: 0.9 });
    expectClose(lrSequence(opt, s, 30), epochs(30).map((e) => [0.2 * 0.9 ** e]));
  });

  it("CosineAnnealingLR: half a cosine from lr to etaMin over tMax, then back up (period 2·tMax)", () => {
    const { opt } = optimizerWithLrs(0.1, 0.05);
    const s = new optim.CosineAnnealingLR(opt, { tMax: 8, etaMin: 0.01 });
    const cos = (base: number, e: number) => 0.01 + ((base - 0.01) * (1 + Math.cos((Math.PI * e) / 8))) / 2;
    const seq = lrSequence(opt, s, 32);
    expectClose(seq, epochs(32).map((e) => [cos(0.1, e), cos(0.05, e)]));
    expect(seq[8][0]).toBeCloseTo(0.01, 15);
    expect(seq[16][0]).toBeCloseTo(0.1, 15);
    expect(seq[12][0]).toBeGreaterThan(seq[10][0]);
  });

  it("LinearLR: the factor moves linearly from startFactor to endFactor, then stays", () => {
    const { opt } = optimizerWithLrs(0.5);
    const s = new optim.LinearLR(opt, { startFactor: 0.2, endFactor: 1, totalIters: 4 });
    expectClose(lrSequence(opt, s, 6), [[0.1], [0.2], [0.3], [0.4], [0.5], [0.5], [0.5]]);
    const { opt: opt2 } = optimizerWithLrs(0.3);
    const defaults = new optim.LinearLR(opt2); // 1/3 → 1 over 5 epochs
    expectClose(lrSequence(opt2, defaults, 5), epochs(5).map((e) => [0.3 * (1 / 3 + ((2 / 3) * e) / 5)]));
  });

  it("LambdaLR: lr·lrLambda(e)", () => {
    const { opt } = optimizerWithLrs(2);
    const s = new optim.LambdaLR(opt, { lrLambda: (e) => 1 / (1 + e) });
    expectClose(lrSequence(opt, s, 4), [[2], [1], [2 / 3], [0.5], [0.4]]);
  });

  it("SequentialLR: linear warmup, then cosine counted from the milestone", () => {
    const { opt } = optimizerWithLrs(0.1);
    const warmup = new optim.LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
    const cosine = new optim.CosineAnnealingLR(opt, { tMax: 10 });
    const s = new optim.SequentialLR(opt, { schedulers: [warmup, cosine], milestones: [5] });
    const want = epochs(15).map((e) => [e < 5 ? 0.1 * (0.1 + (0.9 * e) / 5) : (0.1 * (1 + Math.cos((Math.PI * (e - 5)) / 10))) / 2]);
    expectClose(lrSequence(opt, s, 15), want);
    expect(want[0][0]).toBeCloseTo(0.01, 15);
    expect(want[5][0]).toBe(0.1);
  });

  it("a scheduler attached after another starts from the group's initialLr, not the lr the first one set", () => {
    const { opt } = optimizerWithLrs(0.1);
    new optim.LinearLR(opt, { startFactor: 0.5 });
    expect(opt.paramGroups[0].lr).toBe(0.05);
    const s = new optim.StepLR(opt, { stepSize: 1, gamma: 0.1 });
    expect(s.baseLrs).toEqual([0.1]);
    expect(opt.paramGroups[0]).toMatchObject({ lr: 0.1, initialLr: 0.1 });
  });

  it("stateDict / loadStateDict resume the schedule where it was", () => {
    const { opt } = optimizerWithLrs(0.1);
    const s = new optim.CosineAnnealingLR(opt, { tMax: 10 });
    for (let e = 0; e < 4; e++) s.step();
    const sd = s.stateDict();
    expect(sd).toEqual({ last_epoch: 4, base_lrs: [0.1], _last_lr: [opt.paramGroups[0].lr] });
    const optState = opt.stateDict();
    const ahead = lrSequence(opt, s, 3);

    const { opt: opt2 } = optimizerWithLrs(0.7);
    opt2.loadStateDict(optState);
    const s2 = new optim.CosineAnnealingLR(opt2, { tMax: 10 });
    s2.loadStateDict(sd);
    expect(s2.getLastLr()).toEqual(sd._last_lr);
    expectClose(lrSequence(opt2, s2, 3), ahead);
  });

  it("rejects bad options", () => {
    const { opt } = optimizerWithLrs(0.1);
    expect(() => new optim.StepLR(opt, { stepSize: 0 })).toThrow(/StepLR: invalid stepSize/);
    expect(() => new optim.CosineAnnealingLR(opt, { tMax: 0 })).toThrow(/CosineAnnealingLR: invalid tMax/);
    expect(() => new optim.LinearLR(opt, { startFactor: 0 })).toThrow(/LinearLR: invalid startFactor/);
    expect(() => new optim.MultiStepLR(opt, { milestones: [5, 2] })).toThrow(/MultiStepLR: invalid milestones/);
    const a = new optim.LinearLR(opt);
    expect(() => new optim.SequentialLR(opt, { schedulers: [a], milestones: [3] })).toThrow(/SequentialLR: invalid milestones/);
    const other = optimizerWithLrs(0.1).opt;
    expect(() => new optim.SequentialLR(opt, { schedulers: [a, new optim.StepLR(other, { stepSize: 1 })], milestones: [3] })).toThrow(/same optimizer/);
  });
});

describe("ReduceLROnPlateau", () => {
  it("follows PyTorch's patience / threshold / cooldown / minLr rules on a scripted loss curve", () => {
    const { opt } = optimizerWithLrs(1, 2);
    const s = new optim.ReduceLROnPlateau(opt, { factor: 0.5, patience: 2, threshold: 0.1, thresholdMode: "abs", cooldown: 1, minLr: [0.2, 0.3] });
    const metrics = [10, 9.95, 9.5, 9.5, 9.45, 9.6, 9.6, 9.6, 9.6, 9.6, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0];
    const lrs = metrics.map((m) => {
      s.step(m);
      return s.getLastLr();
    });
    // reductions at epochs 6 (3 bad epochs > patience 2), 10 (the epoch after a reduction is
    // cooldown), 14 (down to minLr), and at 18 there is nothing left to reduce
    const first = [1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2, 0.2];
    const second = [2, 2, 2, 2, 2, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3, 0.3];
    expect(lrs).toEqual(first.map((v, i) => [v, second[i]]));
    expect(s.best).toBe(9.0);
    expect(s.lastEpoch).toBe(18);
  });

  it("mode max with a relative threshold; takes a one-element tensor as the metric", () => {
    const { opt } = optimizerWithLrs(1);
    const s = new optim.ReduceLROnPlateau(opt, { mode: "max", patience: 0, threshold: 0.01 });
    const lrs = [0.5, 0.6, 0.605, 0.7, 0.7].map((m) => {
      const t = tensor([m]);
      s.step(t);
      t.dispose();
      return opt.paramGroups[0].lr;
    });
    // 0.605 is not > 0.6·1.01: reduced by the default factor 0.1; 0.7 improves; the last 0.7 does not
    expect(lrs.map((v) => +v.toPrecision(12))).toEqual([1, 1, 0.1, 0.1, 0.01]);
  });

  it("stateDict / loadStateDict carry best, bad-epoch and cooldown counters", () => {
    const { opt } = optimizerWithLrs(1);
    const s = new optim.ReduceLROnPlateau(opt, { patience: 1, cooldown: 2 });
    for (const m of [3, 2, 2, 2]) s.step(m);
    const sd = s.stateDict();
    expect(sd).toEqual({ last_epoch: 4, best: 2, num_bad_epochs: 0, cooldown_counter: 2, _last_lr: [0.1] });
    const s2 = new optim.ReduceLROnPlateau(opt, { patience: 1, cooldown: 2 });
    s2.loadStateDict(sd);
    for (const m of [2, 2, 2]) {
      s.step(m);
      s2.step(m);
    }
    expect(s2.stateDict()).toEqual(s.stateDict());
  });

  it("rejects bad options", () => {
    const { opt } = optimizerWithLrs(1, 1);
    expect(() => new optim.ReduceLROnPlateau(opt, { factor: 1 })).toThrow(/ReduceLROnPlateau: invalid factor/);
    expect(() => new optim.ReduceLROnPlateau(opt, { minLr: [0] })).toThrow(/invalid minLr \(expected 2 values/);
    expect(() => new optim.ReduceLROnPlateau(opt, { mode: "up" as any })).toThrow(/invalid mode/);
  });
});

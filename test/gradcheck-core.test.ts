// Finite-difference gradient checks (src/gradcheck.ts) for every differentiable core op, on small
// odd shapes with seeded random inputs kept away from kinks (relu at 0, clamp bounds, ties of
// max/maximum, the softplus threshold) by more than the step.
import { describe, expect, it } from "vitest";
import * as sg from "../src/index.js";
import { Generator, Tensor, gradcheck } from "../src/index.js";
import { randomInput, unaryCases, unaryRows, type Range } from "./unary-cases.js";

const gen = new Generator(1234);
const input = (shape: number[], range: Range = {}) => randomInput(gen, shape, range);

/** Distinct values (shuffled, spaced by 0.1) so max has no ties anywhere. */
function distinct(shape: number[]): Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  const order = gen.permutation(n);
  return sg.tensor(Array.from(order, (k) => (k - n / 2) * 0.1), shape, { requiresGrad: true });
}

function check(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  const result = gradcheck(fn, inputs);
  expect(result.mismatch).toBeNull();
  expect(result.ok).toBe(true);
}

const SHAPE = [3, 5, 2];

// One case list per row of the unary table (assembly/ops/unary.mjs): each row's public form
// (nn.functional for activations) with the row's arguments and input range.
describe("gradcheck: unary", () => {
  const cases = unaryCases();
  it("covers every row of the table that has a derivative worth checking", () => {
    const checked = new Set(unaryRows.filter((r) => r.gradcheck).map((r) => r.name));
    // geluTanh is checked as gelu(x, "tanh"); sign and step have zero gradients.
    expect(unaryRows.filter((r) => !checked.has(r.name)).map((r) => r.name)).toEqual(["geluTanh", "sign", "step"]);
  });
  it.each(cases)("%s", (_name, fn, range) => check(fn, [input(SHAPE, range)]));
});

describe("gradcheck: binary with broadcasting", () => {
  const shapes: [number[], number[]][] = [[[3, 1, 5], [4, 1]], [[3], [5, 3]], [[], [3, 5]]];
  const ops: [string, (a: Tensor, b: Tensor) => Tensor][] = [
    ["add", sg.add], ["sub", sg.sub], ["mul", sg.mul],
  ];
  for (const [sa, sb] of shapes) {
    it.each(ops)(`%s [${sa}] with [${sb}]`, (_name, fn) => check(fn, [input(sa), input(sb)]));
    it(`div [${sa}] with [${sb}]`, () => check(sg.div, [input(sa), input(sb, { kinks: [0], gap: 0.5 })]));
    it(`pow [${sa}] with [${sb}]`, () => check(sg.pow, [input(sa, { lo: 0.3, hi: 2 }), input(sb, { lo: -1.5, hi: 1.5 })]));
    it(`maximum / minimum [${sa}] with [${sb}]`, () => {
      // a ∈ ±[1, 2], b ∈ ±0.9: never within 0.1 of each other.
      const a = input(sa, { kinks: [0], gap: 1 }), b = input(sb, { lo: -0.9, hi: 0.9 });
      check(sg.maximum, [a, b]);
      check(sg.minimum, [a, b]);
    });
  }

  it("where", () => {
    const cond = sg.tensor([1, 0, 0, 1, 1], [5]);
    check((a, b) => sg.where(cond, a, b), [input([3, 5]), input([3, 1])]);
  });
});

describe("gradcheck: reductions", () => {
  it("sum / mean over dims, lists of dims, negative dims, all", () => {
    for (const dim of [null, 1, -1, [0, 2]] as (number | number[] | null)[]) {
      check((x) => sg.sum(x, dim), [input(SHAPE)]);
      check((x) => sg.mean(x, dim, true), [input(SHAPE)]);
    }
  });

  it("var, biased and unbiased", () => {
    for (const unbiased of [false, true]) {
      check((x) => sg.var(x, 1, { unbiased }), [input(SHAPE)]);
      check((x) => sg.var(x, [0, -1], { unbiased, keepdim: true }), [input(SHAPE)]);
      check((x) => sg.var(x, null, { unbiased }), [input(SHAPE)]);
    }
  });

  it("max over all elements and along dims", () => {
    check((x) => sg.max(x).values, [distinct(SHAPE)]);
    check((x) => sg.max(x, 1).values, [distinct(SHAPE)]);
    check((x) => sg.max(x, -1, true).values, [distinct(SHAPE)]);
  });

  it("softmax / logSoftmax", () => {
    for (const dim of [0, 1, -1]) {
      check((x) => sg.softmax(x, dim), [input(SHAPE)]);
      check((x) => sg.logSoftmax(x, dim), [input(SHAPE)]);
    }
    // rows of 9 along the last dim: the kernels' four-lane body and one-lane tail
    check((x) => sg.softmax(x, -1), [input([3, 9])]);
    check((x) => sg.logSoftmax(x, -1), [input([3, 9])]);
  });

  it("gather", () => {
    const index = sg.tensor(new Int32Array([0, 2, 4, 1, 3, 3, 0]), [7, 1]);
    check((x) => sg.gather(x, 1, index), [input([7, 5])]);
  });
});

describe("gradcheck: matmul and linear", () => {
  const pairs: [number[], number[]][] = [
    [[3, 5], [5, 7]],
    [[2, 1, 3, 5], [3, 5, 4]],
    [[3, 5], [2, 5, 3]],
    [[5], [5, 3]],
    [[3, 5], [5]],
    [[5], [5]],
    [[2, 3, 5], [5]],
  ];
  it.each(pairs)("matmul %j @ %j", (sa, sb) => check(sg.matmul, [input(sa), input(sb)]));

  it("linear with and without bias, batched input", () => {
    check((x, w, b) => sg.linear(x, w, b), [input([2, 3, 5]), input([7, 5]), input([7])]);
    check((x, w) => sg.linear(x, w), [input([3, 5]), input([7, 5])]);
  });

  it("linear with the fused relu", () => {
    // Pre-activations kept ≥ 0.1 from zero: bias ±[2, 3] dominates x·wᵀ (|·| < 0.75).
    const x = input([3, 5], { lo: -0.5, hi: 0.5 }), w = input([7, 5], { lo: -0.3, hi: 0.3 }), b = input([7], { lo: -3, hi: 3, kinks: [0], gap: 2 });
    check((x, w, b) => sg.linear(x, w, b, { activation: "relu" }), [x, w, b]);
    check((x, w) => sg.linear(x, w, null, { activation: "relu" }), [input([3, 5], { lo: 0.2, hi: 1 }), input([7, 5], { lo: 0.2, hi: 1 })]);
  });
});

describe("gradcheck: shape ops", () => {
  const cases: [string, (x: Tensor) => Tensor][] = [
    ["reshape", (x) => sg.reshape(x, [5, -1])],
    ["flatten", (x) => sg.flatten(x, 1)],
    ["squeeze / unsqueeze", (x) => sg.squeeze(sg.unsqueeze(x, 1), 1)],
    ["permute", (x) => sg.permute(x, [2, 0, 1])],
    ["transpose", (x) => sg.transpose(x, -1, 0)],
    ["slice with step", (x) => sg.slice(x, 1, 1, 5, 2)],
    ["narrow", (x) => sg.narrow(x, -2, 1, 3)],
    ["pad", (x) => sg.pad(x, [1, 2, 0, 1], 0.5)],
    ["pad that crops", (x) => sg.pad(x, [-1, 0, 2, -1])],
    ["expand", (x) => sg.expand(sg.narrow(x, 2, 0, 1), [4, 3, 5, 3])],
    ["clone", (x) => sg.clone(x)],
  ];
  it.each(cases)("%s", (_name, fn) => check(fn, [input(SHAPE)]));

  it("cat and stack", () => {
    check((a, b) => sg.cat([a, b, a], 1), [input([3, 2, 2]), input([3, 3, 2])]);
    check((a, b) => sg.stack([a, b], -1), [input(SHAPE), input(SHAPE)]);
  });
});

describe("gradcheck: embedding and recurrent cells", () => {
  it("embedding with repeated indices; the padding row is read but gets no gradient", () => {
    const idx = sg.tensor(new Int32Array([1, 3, 1, 0, 4, 1]), [2, 3]);
    check((w) => sg.embedding(idx, w), [input([5, 3])]);
    const w = input([5, 3]);
    const out = sg.embedding(idx, w, 1);
    expect(Array.from(out.data().slice(0, 3))).toEqual(Array.from(w.data().slice(3, 6)));
    out.backward(sg.onesLike(out));
    // Rows 0..4 are read 1, 3 (padding), 0, 1 and 1 times.
    expect(Array.from(w.grad!.data())).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
  });

  const N = 3, I = 4, H = 5;
  const weights = (G: number) => [input([G * H, I], { lo: -0.5, hi: 0.5 }), input([G * H, H], { lo: -0.5, hi: 0.5 }), input([G * H]), input([G * H])];
  const w = ([weightIh, weightHh, biasIh, biasHh]: Tensor[]): sg.RnnWeights => ({ weightIh, weightHh, biasIh, biasHh });

  it("rnnCell, lstmCell, gruCell", () => {
    check((x, h, ...p) => sg.rnnCell(x, h, w(p)), [input([N, I]), input([N, H]), ...weights(1)]);
    check((x, h, c, ...p) => {
      const [h2, c2] = sg.lstmCell(x, h, c, w(p));
      return sg.cat([h2, c2], 1);
    }, [input([N, I]), input([N, H]), input([N, H]), ...weights(4)]);
    check((x, h, ...p) => sg.gruCell(x, h, w(p)), [input([N, I]), input([N, H]), ...weights(3)]);
  });

  it("gru and lstm over a sequence", () => {
    check((x, h0, ...p) => {
      const { output, hN } = sg.gru(x, h0, w(p));
      return sg.cat([output, hN], 0);
    }, [input([3, N, I]), input([1, N, H]), ...weights(3)]);
    check((x, h0, c0, ...p) => {
      const { output, hN, cN } = sg.lstm(x, h0, c0, w(p));
      return sg.cat([output, hN, cN], 0);
    }, [input([3, N, I]), input([1, N, H]), input([1, N, H]), ...weights(4)]);
  });
});

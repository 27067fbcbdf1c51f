// The activations added as rows of the unary table (assembly/ops/unary.mjs) against PyTorch
// (test/fixtures/activations.json, from scripts/fixtures/activations.py): values and input
// gradients on random inputs, at the kinks (±3) and far out (±30, ±90), and their nn layers.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { grad, nn, sum, tensor, tidy, type Tensor } from "../src/index.js";

interface Case { op: "hardswish" | "hardsigmoid" | "mish" | "logSigmoid"; x: number[]; upstream: number[]; out: number[]; grad: number[] }
const { cases } = JSON.parse(readFileSync("test/fixtures/activations.json", "utf8")) as { cases: Case[] };

const layers: Record<Case["op"], () => nn.Module> = {
  hardswish: () => new nn.Hardswish(),
  hardsigmoid: () => new nn.Hardsigmoid(),
  mish: () => new nn.Mish(),
  logSigmoid: () => new nn.LogSigmoid(),
};

function expectClose(actual: ArrayLike<number>, expected: number[], what: string): void {
  expected.forEach((e, i) => {
    const a = actual[i];
    if (!(Math.abs(a - e) <= 1e-6 + 1e-5 * Math.abs(e))) throw new Error(`${what}[${i}]: ${a}, PyTorch ${e}`);
  });
}

describe.each(cases)("$op", (c) => {
  it("matches PyTorch's values and input gradients", () => {
    const x = tensor(c.x, [c.x.length], { requiresGrad: true });
    const y = (nn.functional[c.op] as (x: Tensor) => Tensor)(x);
    expectClose(y.data(), c.out, `${c.op}(x)`);
    y.backward(tensor(c.upstream, [c.upstream.length]));
    expectClose(x.grad!.data(), c.grad, `${c.op} grad`);
  });

  it("has a layer that applies it and prints as PyTorch's", () => {
    const layer = layers[c.op]();
    const x = tensor(c.x.slice(0, 12), [3, 4]);
    expectClose(layer.forward(x).data(), c.out.slice(0, 12), `${c.op} layer`);
    expect(layer.toString()).toBe(`${layer.constructor.name}()`);
  });
});

// The second derivative by createGraph against a central difference of the first, away from the kinks.
describe.each(cases.map((c) => c.op))("%s double backward", (op) => {
  it("matches the finite difference of its gradient", () => {
    tidy(() => {
      const fn = nn.functional[op] as (x: Tensor) => Tensor;
      const xs = [-4.2, -2.5, -1.1, -0.3, 0.4, 1.7, 2.6, 3.9];
      const x = tensor(xs, [xs.length], { requiresGrad: true });
      const [g] = grad(sum(fn(x)), [x], { createGraph: true });
      // hardsigmoid is piecewise linear: its gradient is a constant mask, with no graph behind it.
      const h = g!.requiresGrad ? grad(sum(g!), [x])[0]! : tensor(xs.map(() => 0), [xs.length]);
      const first = (v: number) => {
        const t = tensor([v], [1], { requiresGrad: true });
        return grad(sum(fn(t)), [t])[0]!.data()[0];
      };
      const e = 1e-2;
      const want = xs.map((v) => (first(v + e) - first(v - e)) / (2 * e));
      Array.from(h.data()).forEach((got, i) => expect(Math.abs(got - want[i])).toBeLessThan(2e-3 * (1 + Math.abs(want[i]))));
    });
  });
});

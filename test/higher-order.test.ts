// grad() and backward({ createGraph }): gradients without touching .grad, gradients of
// gradients checked against closed forms, and the errors that keep createGraph from being ignored.
import { describe, expect, it } from "vitest";
import * as sg from "../src/index.js";
import { grad, tensor, tidy } from "../src/index.js";

const close = (got: sg.Tensor, want: number[], tol = 1e-5) => {
  const v = Array.from(got.view());
  expect(v.length).toBe(want.length);
  v.forEach((g, i) => expect(Math.abs(g - want[i])).toBeLessThan(tol * (1 + Math.abs(want[i]))));
};

describe("grad", () => {
  it("returns the gradient of leaves and intermediates without touching .grad", () => {
    tidy(() => {
      const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
      const y = sg.mul(x, x);
      const f = sg.sum(sg.mul(y, 3));
      const [gx, gy] = grad(f, [x, y]);
      close(gx!, [6, 12, 18]);
      close(gy!, [3, 3, 3]);
      expect(x.grad).toBeNull();
      expect(gx!.requiresGrad).toBe(false);
    });
  });

  it("weights several outputs by gradOutputs and sums them", () => {
    tidy(() => {
      const x = tensor([1, -2], undefined, { requiresGrad: true });
      const a = sg.mul(x, 2), b = sg.square(x);
      const [gx] = grad([a, b], x, { gradOutputs: [tensor([1, 1]), tensor([0.5, 2])] });
      close(gx!, [2 + 0.5 * 2, 2 + 2 * -4]);
    });
  });

  it("throws for an unused input unless allowUnused, and for an input that does not require grad", () => {
    tidy(() => {
      const x = tensor([1, 2], undefined, { requiresGrad: true });
      const z = tensor([1, 2], undefined, { requiresGrad: true });
      expect(() => grad(sg.sum(sg.mul(x, x)), [x, z], { retainGraph: true })).toThrow(/input 1 \[2\] was not used.*allowUnused/);
      const [gx, gz] = grad(sg.sum(sg.mul(x, x)), [x, z], { allowUnused: true });
      close(gx!, [2, 4]);
      expect(gz).toBeNull();
      expect(() => grad(sg.sum(sg.mul(x, x)), [tensor([1, 2])])).toThrow(/input 0 \[2\] does not require grad/);
    });
  });
});

describe("createGraph", () => {
  it("differentiates a gradient again: the Hessian diagonal of Σ tanh(x²)", () => {
    tidy(() => {
      const xs = [0.3, -0.5, 1.2];
      const x = tensor(xs, undefined, { requiresGrad: true });
      const [g] = grad(sg.sum(sg.tanh(sg.mul(x, x))), [x], { createGraph: true });
      expect(g!.requiresGrad).toBe(true);
      const [h] = grad(sg.sum(g!), [x]);
      close(h!, xs.map((v) => { const t = Math.tanh(v * v), s = 1 - t * t; return 2 * s - 8 * v * v * t * s; }), 1e-4);
    });
  });

  it("backward({ createGraph }) leaves a differentiable .grad", () => {
    tidy(() => {
      const x = tensor([0.5, 2], undefined, { requiresGrad: true });
      sg.sum(sg.pow(x, 3)).backward(undefined, { createGraph: true });
      const g = x.grad!;
      close(g, [0.75, 12]);
      const [h] = grad(sg.sum(g), [x]);
      close(h!, [3, 12]);
      g.dispose();
      x.grad = null;
    });
  });

  it("is an error naming the op when an op has no double backward, never a silent zero", () => {
    tidy(() => {
      const x = tensor([[[[1, 2], [3, 4]]]], undefined, { requiresGrad: true });
      const f = sg.sum(sg.embedding(tensor([0, 1], undefined, { dtype: "int32" }), sg.reshape(x, [2, 2])));
      expect(() => grad(f, [x], { createGraph: true })).toThrow(/createGraph: embedding has no double backward/);
    });
  });
});

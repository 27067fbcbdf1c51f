// grad() and backward({ createGraph }): gradients without touching .grad, gradients of
// gradients checked against closed forms, and the errors that keep createGraph from being ignored.
import { describe, expect, it } from "vitest";
import * as sg from "../src/index.js";
import { grad, tensor, tidy } from "../src/index.js";
import { record } from "../src/autograd.js";

const close = (got: sg.Tensor, want: number[], tol = 1e-5) => {
  const v = Array.from(got.liveData());
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
      // Every public op has a double backward now: an op recorded with only a fused backward.
      const x = tensor([[0.5, -1]], undefined, { requiresGrad: true });
      const y = sg.Tensor.empty(x.shape).writeFrom(x);
      record("fusedOnly", [x], [y], [], ([g]) => [g!.clone()]);
      const f = sg.sum(sg.mul(y, y));
      expect(() => grad(f, [x], { createGraph: true })).toThrow(/createGraph: fusedOnly has no double backward/);
    });
  });
});

describe("functional: vjp, jvp, hvp, jacobian, hessian", () => {
  // f(x, w) = tanh(x·w) with x [2, 3], w [3, 2]: small enough to compare with the Jacobian.
  const inputs = () => [tensor([[0.2, -0.4, 0.9], [1.1, 0.3, -0.7]]), tensor([[0.5, -0.3], [0.8, 0.1], [-0.6, 0.4]])];
  const f = (x: sg.Tensor, w: sg.Tensor) => sg.tanh(sg.matmul(x, w));

  it("jvp and vjp agree with the Jacobian, forward and reverse Jacobians agree", () => {
    tidy(() => {
      const [x, w] = inputs();
      const tx = tensor([[1, 0.5, -1], [0, 2, 1]]), tw = tensor([[0.3, 0.2], [-1, 0], [0.5, 1]]);
      const [out, jt] = sg.jvp(f, [x, w], [tx, tw]) as [sg.Tensor, sg.Tensor];
      const rev = sg.jacobian(f, [x, w]) as sg.Tensor[];
      const fwd = sg.jacobian(f, [x, w], { strategy: "forward" }) as sg.Tensor[];
      expect(rev[0].shape).toEqual([2, 2, 2, 3]);
      expect(rev[1].shape).toEqual([2, 2, 3, 2]);
      close(fwd[0], Array.from(rev[0].liveData()));
      close(fwd[1], Array.from(rev[1].liveData()));
      // J·t from the Jacobian blocks
      const want = sg.add(sg.sum(sg.mul(rev[0], tx), [2, 3]), sg.sum(sg.mul(rev[1], tw), [2, 3]));
      close(jt, Array.from(want.liveData()));
      close(out, Array.from(f(x, w).liveData()));
      // vᵀJ from the same blocks
      const v = tensor([[1, -2], [0.5, 3]]);
      const [, [gx, gw]] = sg.vjp(f, [x, w], v) as [sg.Tensor, sg.Tensor[]];
      close(gx, Array.from(sg.sum(sg.mul(rev[0], sg.reshape(v, [2, 2, 1, 1])), [0, 1]).liveData()));
      close(gw, Array.from(sg.sum(sg.mul(rev[1], sg.reshape(v, [2, 2, 1, 1])), [0, 1]).liveData()));
      expect(x.requiresGrad || jt.requiresGrad || gx.requiresGrad).toBe(false);
    });
  });

  it("hessian and hvp of a quadratic form are exact, cross terms included", () => {
    tidy(() => {
      // f(a, b) = Σ (a·b)² + Σ a³: H_aa = 2b² + 6a, H_ab = 4ab, H_bb = 2a²
      const a = tensor([0.5, -1, 2]), b = tensor([1.5, 0.2, -0.3]);
      const fn = (p: sg.Tensor, q: sg.Tensor) => sg.add(sg.sum(sg.square(sg.mul(p, q))), sg.sum(sg.pow(p, 3)));
      const H = sg.hessian(fn, [a, b]) as sg.Tensor[][];
      const av = [0.5, -1, 2], bv = [1.5, 0.2, -0.3];
      const diag = (d: number[]) => d.flatMap((v, i) => d.map((_, j) => (i === j ? v : 0)));
      close(H[0][0], diag(av.map((x, i) => 2 * bv[i] ** 2 + 6 * x)), 1e-4);
      close(H[0][1], diag(av.map((x, i) => 4 * x * bv[i])), 1e-4);
      close(H[1][1], diag(av.map((x) => 2 * x * x)), 1e-4);
      const va = tensor([1, 0, -1]), vb = tensor([0.5, 2, 1]);
      const [value, [ha, hb]] = sg.hvp(fn, [a, b], [va, vb]) as [sg.Tensor, sg.Tensor[]];
      close(value, [av.reduce((s, x, i) => s + (x * bv[i]) ** 2 + x ** 3, 0)], 1e-5);
      const vav = [1, 0, -1], vbv = [0.5, 2, 1];
      close(ha, av.map((x, i) => (2 * bv[i] ** 2 + 6 * x) * vav[i] + 4 * x * bv[i] * vbv[i]), 1e-4);
      close(hb, av.map((x, i) => 4 * x * bv[i] * vav[i] + 2 * x * x * vbv[i]), 1e-4);
    });
  });

  it("rejects mismatched tangents and non-scalar Hessian functions with errors naming the op", () => {
    tidy(() => {
      const [x, w] = inputs();
      expect(() => sg.jvp(f, [x, w], [tensor([1, 2])])).toThrow(/jvp: got 1 tangents for 2 tensors/);
      expect(() => sg.jvp(f, [x, w], [tensor([1, 2]), null])).toThrow(/jvp: tangent 0 has shape \[2\], expected \[2, 3\]/);
      expect(() => sg.hvp(f, [x, w], [x, w])).toThrow(/hvp: the function must return a single scalar, got \[2, 2\]/);
      expect(() => sg.jacobian(f, [x, w], { strategy: "sideways" as any })).toThrow(/jacobian: strategy must be/);
    });
  });
});

describe("gradient penalty", () => {
  it("1,000 steps of a loss plus ‖∇ₓ f‖² (createGraph) keep memory flat, and the penalised loss falls", () => {
    sg.manualSeed(7);
    const w1 = sg.randn([4, 8], { std: 0.5 }).setRequiresGrad(true);
    const w2 = sg.randn([8, 1], { std: 0.5 }).setRequiresGrad(true);
    const x = sg.randn([16, 4]).setRequiresGrad(true);
    const y = sg.randn([16, 1]);
    const opt = new sg.optim.SGD([w1, w2], { lr: 0.05 });
    let first = 0, last = 0;
    const step = () =>
      tidy(() => {
        opt.zeroGrad();
        const out = sg.matmul(sg.tanh(sg.matmul(x, w1)), w2);
        const [gx] = grad(sg.sum(out), [x], { createGraph: true });
        const p = sg.mean(sg.sum(sg.square(gx!), 1));
        const loss = sg.add(sg.nn.functional.mseLoss(out, y), p);
        loss.backward();
        opt.step();
        x.grad?.dispose();
        x.grad = null;
        return loss.item();
      });
    first = step();
    step();
    const baseline = sg.memoryStats();
    for (let i = 0; i < 1000; i++) {
      last = step();
      const now = sg.memoryStats();
      if (now.bytesInUse !== baseline.bytesInUse || now.liveTensors !== baseline.liveTensors) {
        throw new Error(`step ${i}: memory moved from ${JSON.stringify(baseline)} to ${JSON.stringify(now)}`);
      }
    }
    expect(last).toBeLessThan(first * 0.5);
  });
});

// In-place ops: values, version counters, the saved-tensor check in backward, history rebasing
// (gradients through in-place ops on non-leaf tensors) and the leaf-requires-grad error.
import { describe, expect, it } from "vitest";
import * as sg from "../src/index.js";
import { Tensor, gradcheck, noGrad, tensor, tidy } from "../src/index.js";

const arr = (t: Tensor) => Array.from(t.data());

describe("in-place ops: values and versions", () => {
  it("each op writes the same storage and bumps the version shared by its views", () => {
    tidy(() => {
      const x = tensor([1, -2, 3, -4], [2, 2]);
      const v = x.reshape([4]);
      expect(x.version).toBe(0);
      x.add_(1);
      expect(arr(v)).toEqual([2, -1, 4, -3]);
      x.sub_(tensor([1, 0], [2]));
      expect(arr(x)).toEqual([1, -1, 3, -3]);
      x.mul_(tensor([[2], [3]], [2, 1]));
      expect(arr(x)).toEqual([2, -2, 9, -9]);
      x.div_(2);
      expect(arr(x)).toEqual([1, -1, 4.5, -4.5]);
      x.clamp_(-1, 2);
      expect(arr(x)).toEqual([1, -1, 2, -1]);
      x.maskedFill_(tensor([1, 0], [2]), 7);
      expect(arr(x)).toEqual([7, -1, 7, -1]);
      x.copy_(tensor([5, 6], [2]));
      expect(arr(x)).toEqual([5, 6, 5, 6]);
      x.fill_(3);
      expect(arr(v)).toEqual([3, 3, 3, 3]);
      x.zero_();
      expect(arr(x)).toEqual([0, 0, 0, 0]);
      expect(x.version).toBe(9);
      expect(v.version).toBe(9);
    });
  });

  it("copy_ converts dtype and broadcasts; shapes that do not fit are errors that change nothing", () => {
    tidy(() => {
      const x = sg.zeros([2, 3]);
      x.copy_(tensor([1, 2, 3], [3], { dtype: "int32" }));
      expect(arr(x)).toEqual([1, 2, 3, 1, 2, 3]);
      expect(() => x.copy_(sg.zeros([6]))).toThrow(/copy_.*\[6\]|cannot expand/);
      expect(() => x.add_(sg.zeros([4, 2, 3]))).toThrow(/add_: the result of shape \[4, 2, 3\] does not match the tensor's shape \[2, 3\]/);
      expect(arr(x)).toEqual([1, 2, 3, 1, 2, 3]);
      expect(x.version).toBe(1);
    });
  });

  it("maskedFill (out of place) leaves the input alone and passes gradients where the mask is 0", () => {
    tidy(() => {
      const x = tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
      const y = x.maskedFill(tensor([[1, 0], [0, 1]], [2, 2]), -1);
      expect(arr(y)).toEqual([-1, 2, 3, -1]);
      expect(arr(x)).toEqual([1, 2, 3, 4]);
      y.sum().backward();
      expect(arr(x.grad!)).toEqual([0, 1, 1, 0]);
      expect(() => x.maskedFill(sg.zeros([3]), 0)).toThrow(/maskedFill/);
      x.grad!.dispose();
    });
  });
});

describe("in-place ops and autograd", () => {
  it("fill_ or copy_ on a tensor saved for backward makes backward throw (it used to give x.grad [0, 0])", () => {
    for (const modify of [(y: Tensor) => y.fill_(0), (y: Tensor) => y.copy_(sg.zeros([2]))]) {
      tidy(() => {
        const x = tensor([1, 2], [2], { requiresGrad: true });
        const y = tensor([5, 6], [2]);
        const loss = x.mul(y).sum();
        modify(y);
        expect(() => loss.backward()).toThrow(
          /backward of mul: one of the variables needed for gradient computation has been modified by an inplace operation \((fill_|copy_)\): the float32 \[2\] tensor saved by mul is at version 1; expected version 0/,
        );
        expect(x.grad).toBeNull();
      });
    }
  });

  it("without the modification the same graph gives the true gradient [5, 6]", () => {
    tidy(() => {
      const x = tensor([1, 2], [2], { requiresGrad: true });
      x.mul(tensor([5, 6], [2])).sum().backward();
      expect(arr(x.grad!)).toEqual([5, 6]);
      x.grad!.dispose();
    });
  });

  it("modifying an op's saved output (exp saves its result) is caught too", () => {
    tidy(() => {
      const x = tensor([0, 1], [2], { requiresGrad: true });
      const y = x.exp();
      const loss = y.sum();
      y.add_(1);
      expect(() => loss.backward()).toThrow(/backward of exp: .*modified by an inplace operation \(add_\)/);
    });
  });

  it("in-place on a leaf that requires grad is an error outside noGrad and allowed inside it", () => {
    tidy(() => {
      const w = tensor([1, 2], [2], { requiresGrad: true });
      for (const f of [() => w.add_(1), () => w.fill_(0), () => w.zero_(), () => w.copy_(sg.ones([2])), () => w.mul_(2), () => w.clamp_(0, 1)]) {
        expect(f).toThrow(/a leaf tensor that requires grad \(float32 \[2\]\) is being used in an in-place operation/);
      }
      expect(arr(w)).toEqual([1, 2]);
      expect(w.version).toBe(0);
      noGrad(() => w.sub_(tensor([0.5, 0.5], [2])));
      expect(arr(w)).toEqual([0.5, 1.5]);
      expect(w.version).toBe(1);
      expect(w.isLeaf).toBe(true);
    });
  });

  it("in-place on a non-leaf rebases its history: gradients flow through the in-place op", () => {
    tidy(() => {
      const x = tensor([1, 2, 3], [3], { requiresGrad: true });
      const y = x.mul(2); // non-leaf
      y.mul_(x); // y = 2x·x
      y.add_(1);
      expect(arr(y)).toEqual([3, 9, 19]);
      y.sum().backward();
      expect(arr(x.grad!)).toEqual([4, 8, 12]);
      x.grad!.dispose();
    });
  });

  it("fill_ and copy_ on a non-leaf cut the old history and pass the gradient to src", () => {
    tidy(() => {
      const x = tensor([1, 2], [2], { requiresGrad: true });
      const s = tensor([3], [1], { requiresGrad: true });
      const y = x.mul(3);
      y.copy_(s); // broadcast [1] -> [2]
      expect(y.requiresGrad).toBe(true);
      y.mul(tensor([1, 2], [2])).sum().backward();
      expect(x.grad).toBeNull();
      expect(arr(s.grad!)).toEqual([3]);
      const z = x.mul(3);
      z.fill_(1);
      expect(z.requiresGrad).toBe(true);
      expect(arr(z)).toEqual([1, 1]);
      s.grad!.dispose();
    });
  });

  it("a no-grad tensor written in place from a tensor that requires grad joins the graph", () => {
    tidy(() => {
      const x = tensor([1, 2], [2], { requiresGrad: true });
      const buf = sg.zeros([2]);
      buf.add_(x.mul(x));
      expect(buf.requiresGrad).toBe(true);
      buf.sum().backward();
      expect(arr(x.grad!)).toEqual([2, 4]);
      x.grad!.dispose();
    });
  });

  it("gradcheck through add_, mul_, div_, clamp_ and maskedFill_ on a non-leaf", () => {
    tidy(() => {
      const a = tensor([0.3, -0.7, 1.2, 0.9, -1.4, 0.4], [2, 3], { requiresGrad: true });
      const b = tensor([1.3, 0.8, -1.1], [3], { requiresGrad: true });
      const mask = tensor([1, 0, 0], [3]);
      const fn = (p: Tensor, q: Tensor) => p.mul(1).add_(q).mul_(q).div_(q.add(3)).clamp_(-0.8, 0.8).maskedFill_(mask, 0.25);
      const result = gradcheck(fn, [a, b]);
      expect(result.mismatch).toBeNull();
      expect(result.ok).toBe(true);
    });
  });

  it("internal writers keep working: optimizer steps and zeroGrad on parameters", () => {
    tidy(() => {
      const model = new sg.nn.Linear(3, 2);
      const opt = new sg.optim.SGD(model.parameters(), { lr: 0.1 });
      const before = arr(model.weight);
      model.forward(sg.ones([4, 3])).sum().backward();
      opt.step();
      opt.zeroGrad();
      expect(arr(model.weight)).not.toEqual(before);
      sg.nn.init.constant_(model.weight, 0.5);
      expect(arr(model.weight)).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
      model.dispose();
    });
  });
});

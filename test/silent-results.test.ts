// Misuse that used to give silently wrong numbers: each case checks PyTorch's behaviour.
import { describe, it, expect } from "vitest";
import { tensor, ones } from "../src/index.js";

describe("backward(gradient)", () => {
  it("casts an int32 gradient to float32 (PyTorch) instead of reinterpreting its bits", () => {
    const x = ones([3]).setRequiresGrad();
    const y = x.mul(2);
    y.backward(tensor([3, 3, 3], undefined, { dtype: "int32" }));
    expect(Array.from(x.grad!.data())).toEqual([6, 6, 6]);
  });

  it("rejects a gradient of another shape with the same number of elements", () => {
    const x = ones([3]).setRequiresGrad();
    const y = x.mul(2);
    expect(() => y.backward(ones([1, 3]))).toThrow(/backward: mismatch in shape: gradient has a shape of \[1, 3\] and the output has a shape of \[3\]/);
    // the graph is intact: a correct call still works
    y.backward(ones([3]));
    expect(Array.from(x.grad!.data())).toEqual([2, 2, 2]);
  });

  it("rejects a disposed gradient by name", () => {
    const x = ones([2]).setRequiresGrad();
    const g = ones([2]);
    g.dispose();
    expect(() => x.mul(2).backward(g)).toThrow(/backward: the gradient \[2\] was disposed/);
  });
});

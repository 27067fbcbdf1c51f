// The PyTorch-faithful surface (issue 11 §1): positional arguments and options, no silently
// ignored settings, varargs shapes, view, non-tensor arguments, printing.
import { describe, expect, it } from "vitest";
import { tensor } from "../src/index.js";

describe("view", () => {
  it("is PyTorch's view: another shape over the same storage, -1 inferred", () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    const v = x.view(-1, 2);
    expect(v.shape).toEqual([3, 2]);
    expect(x.view([6]).shape).toEqual([6]);
    x.fill_(7);
    expect(Array.from(v.data())).toEqual([7, 7, 7, 7, 7, 7]);
    expect(() => x.view(4, -1)).toThrow(/view: shape \[4, -1\] is invalid for input of shape \[2, 3\]/);
  });

  it("liveData() is the storage in place (no copy), data() a copy", () => {
    const x = tensor([1, 2]);
    x.liveData()[0] = 5;
    const copy = x.data();
    copy[1] = 9;
    expect(x.toArray()).toEqual([5, 2]);
  });
});

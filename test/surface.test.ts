// The PyTorch-faithful surface (issue 11 §1): positional arguments and options, no silently
// ignored settings, varargs shapes, view, non-tensor arguments, printing.
import { describe, expect, it } from "vitest";
import { tensor, randn, nn } from "../src/index.js";

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

describe("PyTorch's positional order, or options, never silently ignored", () => {
  const image = () => randn([1, 1, 28, 28]);

  it("Conv2d(1, 4, 3, 2) has stride 2: 13×13 from 28×28, as in PyTorch", () => {
    expect(new nn.Conv2d(1, 4, 3, 2).forward(image()).shape).toEqual([1, 4, 13, 13]);
    expect(new nn.Conv2d(1, 4, 3, { stride: 2 }).forward(image()).shape).toEqual([1, 4, 13, 13]);
    // (in, out, kernel, stride, padding, dilation, groups, bias)
    const c = new nn.Conv2d(2, 4, 3, 1, 1, 2, 2, false);
    expect([c.padding, c.dilation, c.groups, c.bias]).toEqual([[1, 1], [2, 2], 2, null]);
    expect(c.forward(randn([1, 2, 8, 8])).shape).toEqual([1, 4, 6, 6]);
    expect(new nn.Conv1d(1, 2, 3, 2).forward(randn([1, 1, 9])).shape).toEqual([1, 2, 4]);
    // ConvTranspose2d: (in, out, kernel, stride, padding, outputPadding, groups, bias, dilation)
    const t = new nn.ConvTranspose2d(2, 2, 3, 2, 1, 1, 1, true, 1);
    expect(t.forward(randn([1, 2, 4, 4])).shape).toEqual([1, 2, 8, 8]);
  });

  it("MaxPool2d(2, 1) has stride 1; AvgPool2d takes its order too", () => {
    expect(new nn.MaxPool2d(2, 1).forward(randn([1, 1, 4, 4])).shape).toEqual([1, 1, 3, 3]);
    expect(new nn.MaxPool2d(2).forward(randn([1, 1, 4, 4])).shape).toEqual([1, 1, 2, 2]);
    // (kernel, stride, padding, dilation, returnIndices, ceilMode)
    expect(new nn.MaxPool2d(2, 2, 0, 1, false, true).forward(randn([1, 1, 5, 5])).shape).toEqual([1, 1, 3, 3]);
    // (kernel, stride, padding, ceilMode, countIncludePad, divisorOverride)
    const avg = new nn.AvgPool2d(2, 1, 0, false, true, 1);
    expect(Array.from(avg.forward(tensor([[[[1, 2], [3, 4]]]])).data())).toEqual([10]);
  });

  it("Linear(784, 10, false) has no bias", () => {
    expect(new nn.Linear(784, 10, false).bias).toBeNull();
    expect(new nn.Linear(784, 10, { bias: false }).parameters().length).toBe(1);
    expect(new nn.Linear(784, 10).parameters().length).toBe(2);
  });

  it("a setting given twice, an unknown or unsupported option, a wrong kind: errors naming it", () => {
    expect(() => new nn.Conv2d(1, 4, 3, 2, { stride: 2 })).toThrow(/Conv2d: stride is given both as an argument and in the options/);
    expect(() => new nn.Conv2d(1, 4, 3, { strides: 2 } as never)).toThrow(/Conv2d: unknown option "strides"/);
    expect(() => new nn.Conv2d(1, 4, 3, { paddingMode: "reflect" as never })).toThrow(/Conv2d: paddingMode "reflect" is not supported/);
    expect(() => new nn.MaxPool2d(2, 2, 0, 1, true)).toThrow(/MaxPool2d: returnIndices true is not supported/);
    expect(() => new nn.Linear(784, 10, "no" as never)).toThrow(/Linear: bias must be a boolean, got "no"/);
    expect(() => new (nn.Linear as any)(784, 10, false, 1)).toThrow(/Linear: too many arguments/);
  });
});

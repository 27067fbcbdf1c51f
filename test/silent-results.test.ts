// Misuse that used to give silently wrong numbers: each case checks PyTorch's behaviour.
import { describe, it, expect } from "vitest";
import { tensor, ones, zeros, full, randint, linear, matmul, max, argmax, nn, dispose } from "../src/index.js";

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

describe("empty and degenerate shapes", () => {
  it("linear with in_features 0 returns the bias broadcast (PyTorch), and zeros without a bias", () => {
    const y = linear(zeros([2, 0]), zeros([3, 0]), tensor([1, 2, 3]));
    expect(y.shape).toEqual([2, 3]);
    expect(Array.from(y.data())).toEqual([1, 2, 3, 1, 2, 3]);
    // dirty the free lists so uninitialised memory would show
    dispose([full([64], 7), full([6], 9)]);
    expect(Array.from(linear(zeros([2, 0]), zeros([3, 0])).data())).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(matmul(ones([2, 0]), ones([0, 3])).data())).toEqual([0, 0, 0, 0, 0, 0]);
    const layer = new nn.Linear(0, 2);
    expect(Array.from(layer.forward(zeros([3, 0])).data())).toEqual(Array.from({ length: 6 }, (_, i) => layer.bias!.data()[i % 2]));
  });

  it("max and argmax over a non-empty dim of an empty tensor are empty; an empty reduced dim is an error (done on main by the indexing work; checked here)", () => {
    const { values, indices } = max(zeros([0, 3]), 1);
    expect(values.shape).toEqual([0]);
    expect(indices.shape).toEqual([0]);
    expect(argmax(zeros([0, 3]), 1).shape).toEqual([0]);
    expect(zeros([0, 3]).max(1, true).values.shape).toEqual([0, 1]);
    expect(() => max(zeros([3, 0]), 1)).toThrow(/max: cannot reduce dim 1 of size 0 in \[3, 0\]/);
    expect(() => argmax(zeros([0, 3]))).toThrow(/cannot reduce an empty tensor \[0, 3\] without a dim/);
  });

  it("reshape rejects an ambiguous -1 next to a 0", () => {
    expect(() => zeros([0, 3]).reshape([-1, 0])).toThrow(/unspecified dimension size -1 can be any value and is ambiguous/);
    expect(zeros([0, 3]).reshape([-1, 3]).shape).toEqual([0, 3]);
    expect(zeros([0, 3]).reshape([3, 0, 5]).shape).toEqual([3, 0, 5]);
  });

  it("randint needs low < high (PyTorch's 'from must be less than to')", () => {
    expect(() => randint(5, 2, [6])).toThrow(/randint: 'from' must be less than 'to', got from=5 >= to=2/);
    expect(() => randint(3, 3, [1])).toThrow(/from=3 >= to=3/);
    expect(() => randint(0, 1.5, [1])).toThrow(/must be integers/);
    expect(Array.from(randint(4, 5, [3]).data())).toEqual([4, 4, 4]);
  });
});

describe("float to int32 conversions (PyTorch's rules)", () => {
  it(".int() truncates toward zero; NaN and out-of-range values become INT_MIN (PyTorch on x86), never 0", () => {
    const v = tensor([NaN, 3e9, -3e9, Infinity, 2.7, -2.7, 2147483520]).int();
    expect(Array.from(v.data())).toEqual([-2147483648, -2147483648, -2147483648, -2147483648, 2, -2, 2147483520]);
  });

  it("a NaN class target is out of range for crossEntropy instead of silently class 0", () => {
    const target = tensor([NaN, 1]).int();
    expect(() => nn.functional.crossEntropy(zeros([2, 3]), target)).toThrow(/-2147483648/);
  });

  it("making an int32 tensor from a value that does not fit is an error (PyTorch: cannot be converted without overflow)", () => {
    expect(() => tensor([3e9], undefined, { dtype: "int32" })).toThrow(/tensor: value 3000000000 cannot be converted to int32 without overflow/);
    expect(() => tensor([NaN], undefined, { dtype: "int32" })).toThrow(/value NaN cannot be converted/);
    expect(() => full([2], 2 ** 31, { dtype: "int32" })).toThrow(/full: value 2147483648 cannot be converted/);
    expect(() => zeros([2], { dtype: "int32" }).fill_(-3e9)).toThrow(/fill_: value -3000000000 cannot be converted/);
    expect(Array.from(tensor([2.7, -2.7, -2147483648], undefined, { dtype: "int32" }).data())).toEqual([2, -2, -2147483648]);
  });
});

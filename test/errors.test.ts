// Bad input gets a clear error naming the op and the shapes/dtypes, thrown before anything is
// allocated or written: the tensors involved keep their values and no tensor leaks.
import { describe, expect, it } from "vitest";
import * as sg from "../src/index.js";
import { expectCleanThrow } from "./helpers/clean-throw.js";

const t = (shape: number[], dtype: sg.DType = "float32") =>
  sg.tensor(Array.from({ length: shape.reduce((n, d) => n * d, 1) }, (_, i) => i * 0.5 - 1), shape, { dtype });

describe("shape errors", () => {
  it("matmul of [2,3] and [4,5] names both shapes", () => {
    const a = t([2, 3]), b = t([4, 5]);
    expectCleanThrow(() => sg.matmul(a, b), [/^matmul:/, /\[2, 3\]/, /\[4, 5\]/], [a, b]);
  });

  it("add of shapes that do not broadcast names both shapes", () => {
    const a = t([2, 3]), b = t([4]);
    expectCleanThrow(() => sg.add(a, b), [/^add:/, /\[2, 3\]/, /\[4\]/, /broadcast/], [a, b]);
    const c = t([3, 1, 4]), d = t([2, 5]);
    expectCleanThrow(() => c.mul(d), [/^mul:/, /\[3, 1, 4\]/, /\[2, 5\]/], [c, d]);
  });

  it("reshape to a shape with another element count names both shapes", () => {
    const x = t([2, 3]);
    expectCleanThrow(() => sg.reshape(x, [4, 5]), [/^reshape:/, /\[4, 5\]/, /\[2, 3\]/], [x]);
    expectCleanThrow(() => x.reshape(-1, -1), [/^reshape:/, /\[-1, -1\]/], [x]);
  });

  it("linear with a weight that does not fit names the shapes", () => {
    const x = t([4, 5]), w = t([3, 6]);
    expectCleanThrow(() => sg.linear(x, w), [/^linear:/, /\[4, 5\]/, /\[3, 6\]/], [x, w]);
  });
});

describe("dtype errors", () => {
  const i = t([2, 2], "int32"), f = t([2, 2]);
  const cases: [string, () => unknown][] = [
    ["exp", () => sg.exp(i)],
    ["relu", () => sg.relu(i)],
    ["add", () => sg.add(i, f)],
    ["matmul", () => sg.matmul(f, i)],
    ["sum", () => sg.sum(i)],
    ["var", () => sg.var(i, 0)],
    ["softmax", () => sg.softmax(i, 1)],
    ["linear", () => sg.linear(f, i)],
  ];
  it.each(cases)("%s of an int32 tensor names the op, dtype and shape", (op, fn) => {
    expectCleanThrow(fn, [new RegExp(`^${op}:`), /float32/, /int32 \[2, 2\]/], [i, f]);
  });
});

describe("out-of-range dims", () => {
  const x = t([2, 3]);
  const cases: [string, () => unknown][] = [
    ["sum", () => sg.sum(x, 2)],
    ["sum", () => sg.sum(x, [0, -3])],
    ["mean", () => sg.mean(x, 5)],
    ["max", () => sg.max(x, -3)],
    ["softmax", () => sg.softmax(x, 2)],
    ["logSoftmax", () => sg.logSoftmax(x, -3)],
    ["transpose", () => sg.transpose(x, 0, 2)],
    ["cat", () => sg.cat([x, x], 2)],
    ["slice", () => sg.slice(x, 3, 0, 1)],
  ];
  it.each(cases)("%s names the op, the dim and the shape", (op, fn) => {
    expectCleanThrow(fn, [new RegExp(`^${op}: dim -?\\d out of range`), /\[2, 3\]/], [x]);
  });
});

describe("autograd errors", () => {
  it("backward() of a non-scalar without a gradient names the shape; earlier grads survive", () => {
    const x = sg.tensor([[1, 2, 3], [4, 5, 6]], undefined, { requiresGrad: true });
    x.mul(x).sum().backward();
    const y = x.mul(2);
    expectCleanThrow(() => y.backward(), [/^backward:/, /scalar/, /\[2, 3\]/], [x, y, x.grad!]);
    expect(Array.from(x.grad!.data())).toEqual([2, 4, 6, 8, 10, 12]);
    // The graph is still usable after the error.
    y.backward(sg.onesLike(y));
    expect(Array.from(x.grad!.data())).toEqual([4, 6, 8, 10, 12, 14]);
  });
});

describe("disposed tensors", () => {
  it("every op refuses a disposed input, naming the op and the shape", () => {
    const gone = t([2, 3]);
    gone.dispose();
    const other = t([2, 3]), otherT = other.T;
    const cases: [string, () => unknown][] = [
      ["add", () => sg.add(other, gone)],
      ["exp", () => sg.exp(gone)],
      ["sum", () => sg.sum(gone, 0)],
      ["softmax", () => sg.softmax(gone, 1)],
      ["matmul", () => sg.matmul(otherT, gone)],
      ["reshape", () => gone.reshape(3, 2)],
      ["transpose", () => gone.transpose(0, 1)],
      ["cat", () => sg.cat([other, gone])],
      ["clone", () => gone.clone()],
      ["narrow", () => gone.narrow(0, 0, 1)],
      ["pad", () => sg.pad(gone, [1, 1])],
      ["linear", () => sg.linear(gone, other)],
    ];
    for (const [op, fn] of cases) {
      expectCleanThrow(fn, [new RegExp(`^${op}:`), /disposed/, /\[2, 3\]/], [other]);
    }
    expect(() => gone.data()).toThrow(/disposed/);
  });

  it("backward() of a disposed output is refused", () => {
    const x = sg.tensor([1, 2, 3], undefined, { requiresGrad: true });
    const y = x.square().sum();
    y.dispose();
    expectCleanThrow(() => y.backward(), [/^backward:/, /disposed/], [x]);
    expect(x.grad).toBeNull();
  });
});

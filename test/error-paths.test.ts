// An op that throws frees what it allocated, and its error names the public op.
import { describe, it, expect } from "vitest";
import { zeros, conv1d, conv2d, convTranspose2d, mul, add, memoryStats, dispose } from "../src/index.js";

function expectNoLeak(fn: () => unknown, message: RegExp): void {
  const before = memoryStats();
  for (let i = 0; i < 3; i++) expect(fn).toThrow(message);
  const after = memoryStats();
  expect(after.liveTensors).toBe(before.liveTensors);
  expect(after.bytesInUse).toBe(before.bytesInUse);
}

describe("error paths free what the op made", () => {
  const x3 = zeros([2, 5, 5]), w4 = zeros([4, 3, 3, 3]), x2 = zeros([2, 5]), w3 = zeros([4, 3, 3]);
  it("unbatched conv2d / conv1d with a mismatched weight leak nothing", () => {
    expectNoLeak(() => conv2d(x3, w4), /^conv2d: weight \[4, 3, 3, 3\] with groups=1 expects 3 input channels/);
    expectNoLeak(() => conv1d(x2, w3), /^conv1d: /);
  });

  it("conv2d with a disposed weight names conv2d and allocates no output", () => {
    const w = zeros([4, 2, 3, 3]);
    w.dispose();
    const x = zeros([1, 2, 5, 5]);
    expectNoLeak(() => conv2d(x, w), /^conv2d: .*was disposed/);
    x.dispose();
  });

  it("errors name the public op: convTranspose2d, mul, add", () => {
    const x = zeros([1, 2, 4, 4]), w = zeros([3, 2, 3, 3]), i = zeros([2], { dtype: "int32" });
    expectNoLeak(() => convTranspose2d(x, w), /^convTranspose2d: /);
    expectNoLeak(() => mul(i, 2), /^mul: expected float32 input, got int32 \[2\]/);
    expectNoLeak(() => add(i, 2), /^add: /);
    dispose([x, w, i]);
  });
});

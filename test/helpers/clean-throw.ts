// The error-path contract of every op: it throws a clear message, leaves its inputs' values as
// they were and leaves no tensor behind.
import { expect } from "vitest";
import { Tensor, liveTensorCount } from "../../src/tensor.js";

/** fn throws an error matching every pattern; `intact` keep their values; no tensor is left behind. */
export function expectCleanThrow(fn: () => unknown, patterns: RegExp[], intact: Tensor[]): void {
  const before = intact.map((x) => Array.from(x.data()));
  const live = liveTensorCount();
  let message = "";
  try {
    fn();
  } catch (e) {
    message = (e as Error).message;
  }
  for (const p of patterns) expect(message).toMatch(p);
  expect(liveTensorCount()).toBe(live);
  intact.forEach((x, i) => expect(Array.from(x.data())).toEqual(before[i]));
}

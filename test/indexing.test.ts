// The indexing, ordering and creation ops beyond the PyTorch vectors: gradient checks on odd
// shapes, closed forms and invariants, PyTorch's edge cases (empty dims, NaN, broadcasting in
// einsum), and the errors (op, shapes and values named; nothing leaked or overwritten).
import { describe, expect, it } from "vitest";
import * as sg from "../src/index.js";
import { Generator, Tensor, gradcheck } from "../src/index.js";
import { liveTensorCount } from "../src/tensor.js";
import { expectCleanThrow } from "./helpers/clean-throw.js";

const gen = new Generator(4321);

/** Distinct shuffled values spaced by 0.1, so orderings and extrema have no ties. */
function distinct(shape: number[]): Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  return sg.tensor(Array.from(gen.permutation(n), (k) => (k - n / 2) * 0.1), shape, { requiresGrad: true });
}

function input(shape: number[], lo = -2, hi = 2): Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  return sg.tensor(Array.from({ length: n }, () => lo + (hi - lo) * gen.uniform()), shape, { requiresGrad: true });
}

const ints = (data: number[], shape: number[]) => sg.tensor(Int32Array.from(data), shape);

function check(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  const result = gradcheck(fn, inputs);
  expect(result.mismatch).toBeNull();
  expect(result.ok).toBe(true);
}

const values = (t: Tensor) => Array.from(t.data());

describe("gradcheck: reductions", () => {
  it("min / max along dims and over all elements", () => {
    for (const f of [sg.min, sg.max]) {
      check((x) => f(x).values, [distinct([3, 4, 5])]);
      check((x) => f(x, 1).values, [distinct([3, 4, 5])]);
      check((x) => f(x, -1, true).values, [distinct([3, 4, 5])]);
    }
  });

  it("std with unbiased and correction, several dims", () => {
    check((x) => sg.std(x), [input([3, 5])]);
    check((x) => sg.std(x, 1, { unbiased: false }), [input([3, 5, 2])]);
    check((x) => sg.std(x, [0, 2], { correction: 2, keepdim: true }), [input([3, 5, 2])]);
  });

  it("logsumexp over one and several dims, also for large logits", () => {
    check((x) => sg.logsumexp(x, 1), [input([3, 5])]);
    check((x) => sg.logsumexp(x, [0, -1], true), [input([2, 3, 4])]);
    check((x) => sg.logsumexp(x, 0), [input([5, 3], 95, 105)]);
  });

  it("cumsum along every dim", () => {
    for (const dim of [0, 1, 2, -1]) check((x) => sg.cumsum(x, dim), [input([3, 4, 5])]);
  });
});

describe("gradcheck: shape-like ops", () => {
  it("flip, roll, diagonal, tril, triu, repeat", () => {
    check((x) => sg.flip(x, [0, 2]), [input([2, 3, 4])]);
    check((x) => sg.roll(x, [7, -1], [1, 2]), [input([2, 3, 4])]);
    check((x) => sg.roll(x, -5), [input([3, 4])]);
    check((x) => sg.diagonal(x, 1, 0, 2), [input([3, 2, 4])]);
    check((x) => sg.tril(x, -1), [input([2, 4, 3])]);
    check((x) => sg.triu(x, 2), [input([3, 5])]);
    check((x) => sg.repeat(x, [2, 1, 3]), [input([3, 2])]);
  });

  it("chunk and split pieces", () => {
    check((x) => sg.chunk(x, 3, 1)[2], [input([2, 7])]);
    check((x) => sg.split(x, [1, 3, 1], 0)[1], [input([5, 2])]);
  });
});

describe("gradcheck: indexing", () => {
  const index = ints([0, 2, 1, 2, 0, 0, 1, 1, 2, 0], [2, 5]);

  it("gather with an index smaller than x and repeated entries", () => {
    check((x) => sg.gather(x, 0, index), [input([3, 6])]);
    check((x) => sg.gather(x, 1, index), [input([4, 3])]);
  });

  it("scatterAdd into x from src (both differentiated), src larger than index", () => {
    check((x, src) => sg.scatterAdd(x, 0, index, src), [input([3, 6]), input([2, 5])]);
    check((x, src) => sg.scatterAdd(x, 1, index, src), [input([2, 4]), input([3, 6])]);
  });

  it("indexSelect and indexAdd with repeats", () => {
    const idx = ints([2, 0, 2, 1], [4]);
    check((x) => sg.indexSelect(x, 1, idx), [input([2, 3, 2])]);
    check((x, src) => sg.indexAdd(x, 0, idx, src), [input([3, 2]), input([4, 2])]);
  });

  it("sort and topk values", () => {
    check((x) => sg.sort(x, 1, true).values, [distinct([3, 5])]);
    check((x) => sg.topk(x, 2, 0, false).values, [distinct([5, 3])]);
  });

  it("einsum: matmul, batched, outer, diagonal, trace-like, three operands, implicit form", () => {
    check((a, b) => sg.einsum("ij,jk->ik", a, b), [input([3, 4]), input([4, 2])]);
    check((a, b) => sg.einsum("bhqd,bhkd->bhqk", a, b), [input([2, 2, 3, 4]), input([2, 2, 5, 4])]);
    check((a, b) => sg.einsum("i,j->ji", a, b), [input([3]), input([4])]);
    check((a) => sg.einsum("iji->j", a), [input([3, 2, 3])]);
    check((a, b) => sg.einsum("bi,bi->b", a, b), [input([4, 3]), input([4, 3])]);
    check((a, b, c) => sg.einsum("ij,jk,kl->il", a, b, c), [input([2, 3]), input([3, 4]), input([4, 2])]);
    check((a, b) => sg.einsum("ij,kj", a, b), [input([2, 3]), input([4, 3])]);
    check((a, b) => sg.einsum("...ij,...jk->...ik", a, b), [input([2, 1, 2, 3]), input([3, 3, 2])]);
    check((a) => sg.einsum("i...->...", a), [input([3, 2, 2])]);
  });
});

describe("double backward (createGraph): gradients of gradients match finite differences", () => {
  /** gradcheck of x ↦ ∇f(x), the gradient built as a graph: its backward is the double backward. */
  const checkSecond = (f: (x: Tensor) => Tensor, x: Tensor) =>
    check((v) => sg.enableGrad(() => sg.grad(f(v), [v], { createGraph: true })[0]!), [x]);
  const cube = (t: Tensor) => sg.sum(sg.mul(t, sg.mul(t, t)));
  const index = ints([0, 2, 1, 2, 0, 0], [2, 3]);

  it("gather, scatterAdd, indexSelect, indexAdd", () => {
    checkSecond((x) => cube(sg.gather(x, 1, index)), input([2, 4]));
    checkSecond((x) => cube(sg.scatterAdd(sg.zeros([3, 3]), 0, index, x)), input([2, 3]));
    checkSecond((x) => cube(sg.indexSelect(x, 0, ints([1, 1, 0], [3]))), input([2, 3]));
    checkSecond((x) => cube(sg.indexAdd(x, 1, ints([2, 0], [2]), sg.ones([2, 2]))), input([2, 3]));
  });

  it("cumsum, flip, diagonal, min, max, sort, topk, logsumexp, std", () => {
    checkSecond((x) => cube(sg.cumsum(x, 1)), input([2, 4]));
    checkSecond((x) => cube(sg.flip(x, [0, 1])), input([2, 3]));
    checkSecond((x) => cube(sg.diagonal(x)), input([3, 3]));
    checkSecond((x) => cube(sg.min(x, 1).values), distinct([3, 4]));
    checkSecond((x) => cube(sg.max(x).values), distinct([3, 4]));
    checkSecond((x) => cube(sg.sort(x, 0).values), distinct([3, 2]));
    checkSecond((x) => cube(sg.topk(x, 2).values), distinct([2, 5]));
    checkSecond((x) => sg.sum(sg.logsumexp(x, 1)), input([3, 4]));
    checkSecond((x) => sg.std(x, 1).sum(), input([3, 4]));
  });
});

describe("values against closed forms", () => {
  it("min/max/argmin agree with the data; NaN wins like in PyTorch", () => {
    const x = sg.tensor([[3, -1, 2], [0, 5, -4]]);
    const mn = sg.min(x, 1);
    expect(values(mn.values)).toEqual([-1, -4]);
    expect(values(mn.indices)).toEqual([1, 2]);
    expect(values(sg.argmin(x))).toEqual([5]);
    expect(x.max().item()).toBe(5);
    expect(x.min().item()).toBe(-4);
    const withNan = sg.tensor([3, NaN, 1]);
    expect(Number.isNaN(sg.min(withNan, 0).values.item())).toBe(true);
    expect(sg.argmin(withNan).item()).toBe(1);
  });

  it("empty dims: max over a non-empty dim of an empty tensor gives empty results", () => {
    const r = sg.zeros([0, 3]).max(1);
    expect(r.values.shape).toEqual([0]);
    expect(r.indices.shape).toEqual([0]);
    expect(sg.logsumexp(sg.zeros([0, 3]), 0).data()).toEqual(new Float32Array([-Infinity, -Infinity, -Infinity]));
    expect(sg.chunk(sg.zeros([0]), 3).map((t) => t.shape)).toEqual([[0], [0], [0]]);
    expect(sg.split(sg.zeros([0, 3]), 2).map((t) => t.shape)).toEqual([[0, 3]]);
    expect(sg.topk(sg.tensor([3, 1, 2]), 0).values.shape).toEqual([0]);
    expect(sg.cumsum(sg.zeros([2, 0]), 1).shape).toEqual([2, 0]);
    expect(values(sg.einsum("ij,jk->ik", sg.zeros([2, 0]), sg.zeros([0, 3])))).toEqual(new Array(6).fill(0));
  });

  it("0-d tensors: flip, roll without dims, sort, topk, gather, cumsum, logsumexp act on the one element", () => {
    const s = sg.tensor(3);
    for (const t of [sg.flip(s, [0]), sg.roll(s, 1), sg.sort(s).values, sg.topk(s, 1).values, sg.cumsum(s, 0), sg.logsumexp(s, 0)]) {
      expect(t.shape).toEqual([]);
      expect(t.item()).toBe(3);
    }
    expect(sg.gather(s, 0, ints([0], [])).item()).toBe(3);
  });

  it("logsumexp does not overflow and keeps ±Infinity slices", () => {
    const x = sg.tensor([[1000, 1000], [-Infinity, -Infinity]]);
    const out = values(sg.logsumexp(x, 1));
    expect(out[0]).toBeCloseTo(1000 + Math.log(2), 3);
    expect(out[1]).toBe(-Infinity);
  });

  it("sort is a stable sort along any dim: odd lengths, repeated values, every merge width", () => {
    const [rows, n, cols] = [2, 37, 3];
    const data = Array.from({ length: rows * n * cols }, () => Math.floor(gen.uniform() * 9) - 4);
    const x = sg.tensor(data, [rows, n, cols]);
    for (const descending of [false, true]) {
      const got = sg.sort(x, 1, descending);
      const gotIdx = got.indices.data(), gotVal = got.values.data();
      for (let o = 0; o < rows; o++) for (let i = 0; i < cols; i++) {
        const at = (k: number) => (o * n + k) * cols + i;
        const want = Array.from({ length: n }, (_, k) => k).sort((a, b) => (descending ? data[at(b)] - data[at(a)] : data[at(a)] - data[at(b)]) || a - b);
        want.forEach((k, j) => {
          expect(gotIdx[at(j)]).toBe(k);
          expect(gotVal[at(j)]).toBe(data[at(k)]);
        });
      }
    }
  });

  it("sort orders NaN last (first when descending), as PyTorch does", () => {
    const x = sg.tensor([3, NaN, 1]);
    expect(values(sg.sort(x).indices)).toEqual([2, 0, 1]);
    expect(values(sg.sort(x, 0, true).indices)).toEqual([1, 0, 2]);
    expect(values(sg.argsort(sg.tensor([[2, 9, 4]]), 1))).toEqual([0, 2, 1]);
  });

  it("cumsum equals the running sum; flip twice is the identity; roll by n is the identity", () => {
    const x = input([3, 4, 5]);
    const c = sg.cumsum(x, 1).data(), v = x.data();
    for (let o = 0; o < 3; o++) for (let i = 0; i < 5; i++) {
      let s = 0;
      for (let k = 0; k < 4; k++) {
        s += v[(o * 4 + k) * 5 + i];
        expect(c[(o * 4 + k) * 5 + i]).toBeCloseTo(s, 5);
      }
    }
    expect(values(sg.flip(sg.flip(x, [0, 2]), [2, 0]))).toEqual(values(x));
    expect(values(sg.roll(x, [4, -10], [1, 2]))).toEqual(values(x));
  });

  it("tril/triu give 0 outside the triangle even for Infinity", () => {
    expect(values(sg.tril(sg.tensor([[Infinity, Infinity], [1, 1]])))).toEqual([Infinity, 0, 1, 1]);
    expect(values(sg.triu(sg.ones([3, 3]), 1))).toEqual([0, 1, 1, 0, 0, 1, 0, 0, 0]);
  });

  it("einsum: trace, full sum, size-1 broadcasting, the identity, outer product", () => {
    const m = sg.tensor([[1, 2], [3, 4]]);
    expect(sg.einsum("ii", m).item()).toBe(5);
    expect(sg.einsum("ij->", m).item()).toBe(10);
    expect(values(sg.einsum("ij,jk->ik", sg.ones([2, 1]), sg.ones([3, 4])))).toEqual(new Array(8).fill(3));
    expect(values(sg.einsum("ij->ij", m))).toEqual([1, 2, 3, 4]);
    expect(values(sg.einsum("ba", m))).toEqual([1, 3, 2, 4]);
    expect(values(sg.einsum("i,j->ij", sg.tensor([1, 2]), sg.tensor([3, 4, 5])))).toEqual([3, 4, 5, 6, 8, 10]);
  });

  it("creation: eye, linspace (both ends exact), arange with negative float steps, *Like", () => {
    expect(values(sg.eye(2, 3))).toEqual([1, 0, 0, 0, 1, 0]);
    expect(values(sg.linspace(-1, 1, 5))).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(values(sg.linspace(2, 3, 1))).toEqual([2]);
    expect(values(sg.arange(5, 1, -0.75))).toEqual([5, 4.25, 3.5, 2.75, 2, 1.25]);
    const t = sg.zeros([2, 3], { dtype: "int32" });
    expect(sg.fullLike(t, 7).dtype).toBe("int32");
    expect(values(sg.fullLike(t, 7))).toEqual(new Array(6).fill(7));
    expect(sg.randnLike(sg.zeros([4, 5])).shape).toEqual([4, 5]);
    expect(sg.randLike(sg.zeros([3])).shape).toEqual([3]);
  });

  it("Tensor methods match the functions", () => {
    const x = distinct([3, 4]);
    expect(values(x.max(1).indices)).toEqual(values(sg.argmax(x, 1)));
    expect(values(x.topk(2).values)).toEqual(values(sg.topk(x, 2).values));
    expect(values(x.repeat(2, 1))).toEqual(values(sg.repeat(x, [2, 1])));
    expect(values(x.flip(0, 1))).toEqual(values(sg.flip(x, [0, 1])));
    expect(x.chunk(2, 1).map((p) => p.shape)).toEqual([[3, 2], [3, 2]]);
    expect(values(x.gather(1, ints([0, 1, 2], [3, 1])))).toEqual(values(sg.gather(x, 1, ints([0, 1, 2], [3, 1]))));
  });
});

describe("errors name the op and the shapes, and leave everything intact", () => {
  const x = sg.tensor([[1, 2, 3], [4, 5, 6]]);
  const f = sg.tensor([0, 1]);

  it("out-of-range indices", () => {
    const bad = ints([0, 3], [2, 1]);
    expectCleanThrow(() => sg.gather(x, 1, bad), [/^gather:/, /index 3/, /dim 1 of size 3/, /\[2, 3\]/], [x, bad]);
    const negative = ints([-1, 0], [2, 1]), src = sg.ones([2, 1]), two = ints([2], [1]);
    expectCleanThrow(() => sg.scatterAdd(x, 1, negative, src), [/^scatterAdd:/, /index -1/, /\[2, 3\]/], [x, negative, src]);
    expectCleanThrow(() => sg.indexSelect(x, 0, two), [/^indexSelect:/, /index 2/, /dim 0 of size 2/], [x, two]);
  });

  it("wrong dtypes and ranks", () => {
    expectCleanThrow(() => sg.gather(x, 0, f), [/^gather:/, /int32/, /float32 \[2\]/], [x, f]);
    const flat = ints([0, 1], [2]), tall = ints([0, 0, 0], [3, 1]), matrix = ints([0, 0], [1, 2]);
    expectCleanThrow(() => sg.gather(x, 0, flat), [/^gather:/, /\[2\]/, /\[2, 3\]/], [x, flat]);
    expectCleanThrow(() => sg.gather(x, 1, tall), [/^gather:/, /\[3, 1\]/, /\[2, 3\]/], [x, tall]);
    expectCleanThrow(() => sg.indexSelect(x, 0, matrix), [/^indexSelect:/, /0-d or 1-d/, /\[1, 2\]/], [x, matrix]);
    expectCleanThrow(() => sg.sort(flat), [/^sort:/, /float32/, /int32 \[2\]/], [flat]);
    expectCleanThrow(() => sg.einsum("ij,jk->ik", x, matrix), [/^einsum:/, /float32/], [x, matrix]);
  });

  it("bad dims and arguments", () => {
    expectCleanThrow(() => sg.min(x, 2), [/^min: dim 2 out of range/, /\[2, 3\]/], [x]);
    const empty = sg.zeros([3, 0]);
    expectCleanThrow(() => empty.max(1), [/^max:/, /dim 1 of size 0/, /\[3, 0\]/], [empty]);
    expectCleanThrow(() => sg.max(empty), [/^max:/, /empty/], [empty]);
    expectCleanThrow(() => sg.cumsum(x, -3), [/^cumsum: dim -3 out of range/], [x]);
    expectCleanThrow(() => sg.flip(x, [0, -2]), [/^flip:/, /repeat/], [x]);
    expectCleanThrow(() => sg.roll(x, [1, 2], 0), [/^roll:/, /same length/], [x]);
    expectCleanThrow(() => sg.topk(x, 4, 1), [/^topk: k 4 out of range/, /size 3/], [x]);
    expectCleanThrow(() => sg.split(x, [1, 1], 1), [/^split:/, /summing to 3/], [x]);
    expectCleanThrow(() => sg.chunk(x, 0), [/^chunk:/], [x]);
    expectCleanThrow(() => sg.tril(f), [/^tril:/, /at least 2 dims/, /\[2\]/], [f]);
    expectCleanThrow(() => sg.repeat(x, [2]), [/^repeat:/, /\[2, 3\]/], [x]);
    expectCleanThrow(() => sg.std(x, 0, { unbiased: true, correction: 1 }), [/^std:/, /either/], [x]);
    expectCleanThrow(() => sg.logsumexp(x, null as unknown as number), [/^logsumexp: dim is required/], [x]);
    expectCleanThrow(() => sg.linspace(0, 1, -1), [/^linspace:/], []);
    expectCleanThrow(() => sg.arange(0, 1, 0), [/^arange:/], []);
    expectCleanThrow(() => sg.arange(2, 1, 0.5), [/^arange:/, /wrong side/], []);
    const scalar = sg.tensor(3);
    expectCleanThrow(() => sg.roll(scalar, 1, 0), [/^roll:/, /0-d/], [scalar]);
    expectCleanThrow(() => sg.split(scalar, 1), [/^split:/, /0-d/], [scalar]);
    expectCleanThrow(() => sg.chunk(scalar, 1), [/^chunk:/, /0-d/], [scalar]);
  });

  it("einsum equations", () => {
    const y = sg.ones([4, 5]);
    expectCleanThrow(() => sg.einsum("ij,jk->ik", x, y), [/^einsum:/, /"j" has sizes 3 and 4/, /\[2, 3\], \[4, 5\]/], [x, y]);
    expectCleanThrow(() => sg.einsum("ij->ik", x), [/^einsum:/, /"k" does not appear/], [x]);
    expectCleanThrow(() => sg.einsum("ijk->i", x), [/^einsum:/, /2 dims/], [x]);
    expectCleanThrow(() => sg.einsum("ij,jk->ik", x), [/^einsum:/, /2 operand subscripts but 1/], [x]);
    expectCleanThrow(() => sg.einsum("....j->j", x), [/^einsum:/, /one "\.\.\."/], [x]);
    expectCleanThrow(() => sg.einsum("...ijk->i", x), [/^einsum:/, /operand 0 has 2 dims/], [x]);
    expectCleanThrow(() => sg.einsum("ii->i", x), [/^einsum:/, /"i" has sizes 2 and 3/], [x]);
    const row = sg.ones([1, 3]);
    expectCleanThrow(() => sg.einsum("ii->i", row), [/^einsum:/, /repeated/, /1 and 3/], [row]);
  });
});

describe("memory", () => {
  it("a forward and backward through every op leaves no tensor behind", () => {
    const before = liveTensorCount();
    sg.tidy(() => {
      const x = distinct([3, 4]);
      const idx = ints([0, 2, 1], [3, 1]);
      const loss = sg.max(x, 1).values.sum()
        .add(sg.logsumexp(x, 1).sum()).add(sg.std(x)).add(sg.cumsum(x, 0).sum())
        .add(sg.gather(x, 1, idx).sum()).add(sg.topk(x, 2).values.sum()).add(sg.einsum("ij,kj->ik", x, x).sum())
        .add(sg.roll(x, 1, 0).mul(sg.flip(x, [1])).sum()).add(sg.repeat(sg.tril(x), [2, 1]).sum());
      loss.backward();
      x.grad!.dispose();
    });
    expect(liveTensorCount()).toBe(before);
  });
});

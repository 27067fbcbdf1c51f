import { describe, it, expect } from "vitest";
import { tensor, type Tensor } from "../src/index.js";
import { gemm } from "../src/backend/gemm.js";
import { BiasMode } from "../src/backend/kernels.js";

// gemm() against a float64 reference, with shapes that reach every kernel path: the packed 4x8
// GEMM, the unpacked small-M paths (dot products of rows for transB, streamed rows of B
// otherwise) and the small-N transB path.

let seed = 2024;
const rnd = (): number => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 4294967296;
};
const ri = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
const fill = (n: number): Float32Array => Float32Array.from({ length: Math.max(1, n) }, () => rnd() * 2 - 1);
const GUARD = 8;

interface Case {
  tA: boolean; tB: boolean; M: number; N: number; K: number; alpha: number; beta: number;
  lda: number; ldb: number; ldc: number; biasMode: BiasMode; relu: boolean;
  A: Float32Array; B: Float32Array; C0: Float32Array; bias: Float32Array;
}

function makeCase(M: number, N: number, K: number, tA: boolean, tB: boolean, opts: Partial<Case> = {}): Case {
  const pad = () => pick([0, 0, 1, 3, 8]);
  const lda = (tA ? M : K) + pad(), ldb = (tB ? K : N) + pad(), ldc = N + pad();
  const beta = opts.beta ?? pick([0, 1, 0.5]);
  // beta = 0 must ignore C (NaN here); the padding columns of C must stay untouched (NaN).
  const C0 = beta === 0 ? new Float32Array(M * ldc).fill(NaN) : fill(M * ldc);
  for (let m = 0; m < M; m++) C0.fill(NaN, m * ldc + N, (m + 1) * ldc);
  return {
    tA, tB, M, N, K, lda, ldb, ldc, beta, C0,
    alpha: opts.alpha ?? pick([1, 1, 0.5, -2]),
    biasMode: opts.biasMode ?? pick([BiasMode.none, BiasMode.perColumn, BiasMode.perRow]),
    relu: opts.relu ?? rnd() < 0.5,
    A: opts.A ?? fill((tA ? K : M) * lda), B: opts.B ?? fill((tB ? N : K) * ldb), bias: fill(Math.max(M, N)),
  };
}

/** act(alpha·op(A)·op(B) + beta·C + bias) in float64, and the sum of the magnitudes of its terms. */
function reference(c: Case): { out: Float64Array; mag: Float64Array } {
  const out = new Float64Array(c.M * c.N), mag = new Float64Array(c.M * c.N);
  for (let m = 0; m < c.M; m++) {
    for (let n = 0; n < c.N; n++) {
      let s = 0, a = 0;
      if (c.alpha !== 0) {
        for (let k = 0; k < c.K; k++) {
          const p = (c.tA ? c.A[k * c.lda + m] : c.A[m * c.lda + k]) * (c.tB ? c.B[n * c.ldb + k] : c.B[k * c.ldb + n]);
          s += p;
          a += Math.abs(p);
        }
      }
      let v = c.alpha * s;
      a *= Math.abs(c.alpha);
      if (c.beta !== 0) {
        v += c.beta * c.C0[m * c.ldc + n];
        a += Math.abs(c.beta * c.C0[m * c.ldc + n]);
      }
      const b = c.biasMode === BiasMode.perColumn ? c.bias[n] : c.biasMode === BiasMode.perRow ? c.bias[m] : 0;
      v += b;
      a += Math.abs(b);
      out[m * c.N + n] = c.relu && v < 0 ? 0 : v;
      mag[m * c.N + n] = a;
    }
  }
  return { out, mag };
}

/** Runs gemm() on the case; returns a description of the first wrong element, or null. */
function check(c: Case): string | null {
  const withGuard = new Float32Array(c.C0.length + GUARD);
  withGuard.set(c.C0);
  withGuard.fill(-7.5, c.C0.length);
  const a = tensor(c.A), b = tensor(c.B), bias = tensor(c.bias), C = tensor(withGuard);
  const tensors: Tensor[] = [a, b, bias, C];
  try {
    gemm(c.tA, c.tB, c.M, c.N, c.K, c.alpha, a.ptr, c.lda, b.ptr, c.ldb, c.beta, C.ptr, c.ldc,
      c.biasMode === BiasMode.none ? 0 : bias.ptr, c.biasMode, c.relu);
    const got = C.data();
    const { out, mag } = reference(c);
    const where = `M=${c.M} N=${c.N} K=${c.K} tA=${c.tA} tB=${c.tB} alpha=${c.alpha} beta=${c.beta} bias=${c.biasMode} relu=${c.relu} lda=${c.lda} ldb=${c.ldb} ldc=${c.ldc}`;
    for (let i = c.C0.length; i < got.length; i++) if (got[i] !== -7.5) return `${where}: wrote past C`;
    for (let m = 0; m < c.M; m++) {
      for (let n = 0; n < c.ldc; n++) {
        const v = got[m * c.ldc + n];
        if (n >= c.N) {
          if (!Number.isNaN(v)) return `${where}: padding C[${m}][${n}] changed to ${v}`;
          continue;
        }
        const want = out[m * c.N + n];
        if (!(Math.abs(v - want) <= 1e-5 * mag[m * c.N + n] + 1e-30)) return `${where}: C[${m}][${n}] = ${v}, want ${want}`;
      }
    }
    return null;
  } finally {
    for (const t of tensors) t.dispose();
  }
}

const transposes: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

function expectAllPass(cases: Case[]): void {
  const failures = cases.map(check).filter((r) => r !== null);
  expect(failures.slice(0, 5)).toEqual([]);
}

describe("gemm", () => {
  it("small M (matrix-vector paths): every transpose, epilogue and K % 4", () => {
    const cases: Case[] = [];
    for (const M of [1, 2, 3, 5]) {
      for (const [tA, tB] of transposes) {
        for (const K of [1, 2, 3, 4, 5, 7, 8, 9, 17, 31, 64, 301]) cases.push(makeCase(M, ri(1, 70), K, tA, tB));
        for (let i = 0; i < 4; i++) cases.push(makeCase(M, ri(1, 300), ri(1, 300), tA, tB));
      }
    }
    expectAllPass(cases);
  });

  it("every epilogue combination at M = 1, 2, 3 (bias modes, relu, beta 0 / 1 / 0.5)", () => {
    const cases: Case[] = [];
    for (const M of [1, 2, 3]) {
      for (const [tA, tB] of transposes) {
        for (const biasMode of [BiasMode.none, BiasMode.perColumn, BiasMode.perRow]) {
          for (const relu of [false, true]) {
            for (const beta of [0, 1, 0.5]) cases.push(makeCase(M, 23, 45, tA, tB, { biasMode, relu, beta, alpha: -0.75 }));
          }
        }
      }
    }
    expectAllPass(cases);
  });

  it("few columns with transB for any M, and M just past the small-M limits", () => {
    const cases: Case[] = [];
    for (const N of [1, 2, 3, 4, 5, 7, 10, 15, 16, 17]) cases.push(makeCase(ri(17, 140), N, ri(1, 300), false, true));
    for (const M of [4, 8, 9, 16, 17, 33]) {
      for (const [tA, tB] of transposes) cases.push(makeCase(M, ri(1, 90), ri(1, 90), tA, tB));
    }
    expectAllPass(cases);
  });

  it("wide rows of B (several column passes) and larger packed shapes", () => {
    const cases = [
      makeCase(2, 2051, 9, false, false), makeCase(1, 4100, 6, true, false), makeCase(3, 2048, 13, false, false),
      makeCase(1, 256, 784, false, true), makeCase(1, 256, 784, false, false), makeCase(70, 65, 300, false, false),
      makeCase(129, 40, 257, true, true),
    ];
    expectAllPass(cases);
  });

  it("K = 0 and alpha = 0 give act(beta·C + bias) without reading A or B", () => {
    const cases: Case[] = [];
    for (const M of [1, 2, 3, 9]) {
      for (const [tA, tB] of transposes) {
        cases.push(makeCase(M, 13, 0, tA, tB));
        const nan = new Float32Array(64 * 64).fill(NaN);
        cases.push(makeCase(M, 13, 5, tA, tB, { alpha: 0, A: nan, B: nan }));
      }
    }
    expectAllPass(cases);
  });
});

import { describe, it, expect, beforeAll } from "vitest";
import * as sg from "../src/index.js";
import "../src/threads.js";
import { defaultSpawner } from "../src/backend/threads.js";
import { gemm } from "../src/backend/gemm.js";
import { BiasMode } from "../src/backend/kernels.js";
import { backend } from "../src/backend/wasm.js";

// This file runs in its own process (vitest forks), so it can start the pool before any tensor.
// No spawner is passed: init finds worker_threads itself (test/conv-threads.test.ts passes
// simdgrad/node's nodeWorkerSpawner).
beforeAll(async () => {
  await sg.init({ threads: 2 });
  // every job over the threads (the pool's solo runs are tested in threads-chunks.test.ts)
  backend().pool!.adaptive = false;
});

describe("worker threads", () => {
  it("without a Worker or worker_threads, says how to pass a spawner", () => {
    const getBuiltinModule = process.getBuiltinModule;
    try {
      (process as { getBuiltinModule?: unknown }).getBuiltinModule = undefined;
      expect(() => defaultSpawner()).toThrow(/no Worker to start threads with; pass init\(\{ threads, spawnWorker \}\) .*nodeWorkerSpawner from "simdgrad\/node"/);
    } finally {
      process.getBuiltinModule = getBuiltinModule;
    }
  });

  it("reports and bounds the thread count", () => {
    expect(sg.getNumThreads()).toBe(2);
    expect(() => sg.setNumThreads(3)).toThrow(/setNumThreads: 3 is outside 1..2/);
    expect(sg.getNumThreads()).toBe(2);
  });

  it("splits GEMM over threads with results identical to the single-threaded path", () => {
    sg.manualSeed(11);
    const cases: [boolean, boolean, number, number, number, BiasMode, boolean][] = [
      [false, false, 200, 150, 130, BiasMode.perColumn, true],
      [true, false, 97, 301, 64, BiasMode.perRow, false],
      [false, true, 12, 517, 90, BiasMode.none, false], // few rows: split by columns
      [true, true, 133, 77, 257, BiasMode.perColumn, false],
      [false, true, 128, 10, 256, BiasMode.perColumn, false], // matrix-vector path in each band
      [false, true, 40, 300, 200, BiasMode.none, true], // just above the small-M cut-off
      [false, false, 24, 700, 300, BiasMode.none, false],
    ];
    for (const [ta, tb, M, N, K, mode, relu] of cases) {
      const a = sg.randn(ta ? [K, M] : [M, K]), b = sg.randn(tb ? [N, K] : [K, N]);
      const bias = sg.randn([Math.max(M, N)]);
      const run = (threads: number) => {
        sg.setNumThreads(threads);
        const c = sg.full([M, N], 0.5);
        gemm(ta, tb, M, N, K, 0.75, a.ptr, ta ? M : K, b.ptr, tb ? K : N, 0.25, c.ptr, N, bias.ptr, mode, relu);
        const out = c.data();
        c.dispose();
        return out;
      };
      const one = run(1), two = run(2);
      expect(Array.from(two)).toEqual(Array.from(one));
      // and the values are right: compare one element with a direct dot product
      const av = a.data(), bv = b.data(), bs = bias.data();
      const i = M - 1, j = N - 1;
      let dot = 0;
      for (let p = 0; p < K; p++) dot += (ta ? av[p * M + i] : av[i * K + p]) * (tb ? bv[j * K + p] : bv[p * N + j]);
      let ref = 0.75 * dot + 0.25 * 0.5 + (mode === BiasMode.perColumn ? bs[j] : mode === BiasMode.perRow ? bs[i] : 0);
      if (relu) ref = Math.max(ref, 0);
      expect(one[i * N + j]).toBeCloseTo(ref, 3);
      sg.dispose([a, b, bias]);
    }
    sg.setNumThreads(2);
  });

  it("trains through the pool: linear forward and backward match one thread", () => {
    sg.manualSeed(5);
    const x = sg.randn([256, 300]);
    const w = sg.randn([200, 300], { requiresGrad: true });
    const grads = [1, 2].map((t) => {
      sg.setNumThreads(t);
      const out = sg.tidy(() => {
        sg.linear(x, w, null, { activation: "relu" }).sum().backward();
        return w.grad!.data();
      });
      w.grad!.dispose();
      w.grad = null;
      return out;
    });
    expect(Array.from(grads[1])).toEqual(Array.from(grads[0]));
  });
});

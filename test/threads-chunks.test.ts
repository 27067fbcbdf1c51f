// The pool's dynamic chunks: results are bit-identical at 1, 2 and 3 threads for GEMM, every
// convolution path and whole training steps (MLP and LeNet-5 with Adam, SGD with momentum), the
// workers do take chunks, and a slow worker takes fewer of them instead of stalling the job.
import { describe, it, expect, beforeAll } from "vitest";
import { Worker } from "node:worker_threads";
import * as sg from "../src/index.js";
import "../src/threads.js";
import { backend } from "../src/backend/wasm.js";
import { gemm } from "../src/backend/gemm.js";
import { BiasMode, Unary } from "../src/backend/kernels.js";
import { workerThreadsSpawner, type JobTrace, type WorkerSpawner } from "../src/backend/threads.js";

// Each worker's kernel calls can be slowed down from the test (a sleep of delay[0] ms before every
// call), to play a worker on a core another process is busy on, and each worker can be made late
// for its next claim (a sleep of delay[2] ms after each chunk it reports done), to play one
// descheduled between two chunks.
const delay = new Int32Array(new SharedArrayBuffer(12));
const slowable: WorkerSpawner = (source, message) =>
  workerThreadsSpawner(Worker)(
    source
      .replace("fn(...call);", "if (Atomics.load(globalThis.delay, 0)) Atomics.wait(globalThis.delay, 1, 0, Atomics.load(globalThis.delay, 0)); fn(...call);")
      .replace("ran++;", "ran++; if (Atomics.load(globalThis.delay, 2)) Atomics.wait(globalThis.delay, 1, 0, Atomics.load(globalThis.delay, 2));")
      .replace("function main({", "function main({ delay, ")
      .replace("const exports =", "globalThis.delay = delay; const exports ="),
    { ...(message as object), delay },
  );

beforeAll(async () => {
  await sg.init({ threads: 3, spawnWorker: slowable });
  // every job over the threads, but in the tests of the pool's own solo runs
  backend().pool!.adaptive = false;
});

/** fn's result (arrays of numbers) at 1, 2 and 3 threads. */
function atEachThreadCount<T>(fn: () => T): T[] {
  const out = [1, 2, 3].map((t) => {
    sg.setNumThreads(t);
    return fn();
  });
  sg.setNumThreads(3);
  return out;
}

function expectSame(results: number[][][]): void {
  for (const r of results.slice(1)) r.forEach((v, i) => expect(v).toEqual(results[0][i]));
}

/** Whether every active worker's record of job `t` came in time (a worker descheduled after its last chunk has none, null, on a loaded machine). */
const isComplete = (t: JobTrace) => t.workers.every((w) => w);
/** Whether some worker's record in `traces` shows chunks it ran. */
const workerRan = (traces: JobTrace[]) => traces.some((t) => t.workers.some((w) => w && w.chunks > 0));

/** Every chunk of `t` is counted once, by the thread that ran it (exactly, when the trace is complete). */
function expectChunksCounted(t: JobTrace): void {
  const counted = t.callerChunks + t.workers.reduce((s, w) => s + (w?.chunks ?? 0), 0);
  if (isComplete(t)) expect(counted).toBe(t.chunks);
  else expect(counted).toBeLessThanOrEqual(t.chunks);
}

describe("dynamic chunks on a pool of 3", () => {
  it("GEMM: 2-D blocks, row chunks of the matrix-vector path, bias and ReLU epilogues: same bits at 1, 2, 3 threads", () => {
    sg.manualSeed(31);
    const cases: [boolean, boolean, number, number, number, BiasMode, boolean][] = [
      [false, false, 512, 700, 64, BiasMode.none, false],
      [false, false, 301, 517, 130, BiasMode.perColumn, true],
      [true, false, 97, 611, 64, BiasMode.perRow, false],
      [false, true, 12, 517, 90, BiasMode.none, false],
      [true, true, 333, 177, 257, BiasMode.perColumn, false],
      [false, true, 900, 10, 256, BiasMode.perColumn, false], // matrix-vector path, split by rows
      [false, true, 128, 784, 256, BiasMode.none, true],
    ];
    const before = backend().pool!.stats.chunksByWorkers;
    for (const [ta, tb, M, N, K, mode, relu] of cases) {
      const a = sg.randn(ta ? [K, M] : [M, K]), b = sg.randn(tb ? [N, K] : [K, N]);
      const bias = sg.randn([Math.max(M, N)]);
      const results = atEachThreadCount(() => {
        const c = sg.full([M, N], 0.5);
        gemm(ta, tb, M, N, K, 0.75, a.ptr, ta ? M : K, b.ptr, tb ? K : N, 0.25, c.ptr, N, bias.ptr, mode, relu);
        const out = Array.from(c.float32Data());
        c.dispose();
        return [out];
      });
      expectSame(results);
      // and right: one element against a direct dot product
      const av = a.float32Data(), bv = b.float32Data(), bs = bias.float32Data();
      const i = M - 1, j = N - 1;
      let dot = 0;
      for (let p = 0; p < K; p++) dot += (ta ? av[p * M + i] : av[i * K + p]) * (tb ? bv[j * K + p] : bv[p * N + j]);
      let ref = 0.75 * dot + 0.25 * 0.5 + (mode === BiasMode.perColumn ? bs[j] : mode === BiasMode.perRow ? bs[i] : 0);
      if (relu) ref = Math.max(ref, 0);
      expect(results[0][0][i * N + j]).toBeCloseTo(ref, 2);
      sg.dispose([a, b, bias]);
    }
    expect(backend().pool!.stats.chunksByWorkers).toBeGreaterThan(before);
  });

  it("convolutions (direct, Winograd, im2col, per-image, transposed; outputs and all gradients): same bits at 1, 2, 3 threads", () => {
    sg.manualSeed(32);
    const convs: { x: number[]; w: number[]; cout: number; conv: (x: sg.Tensor, w: sg.Tensor, b: sg.Tensor) => sg.Tensor }[] = [
      { x: [16, 6, 14, 14], w: [16, 6, 5, 5], cout: 16, conv: (x, w, b) => sg.conv2d(x, w, b, { activation: "relu" }) },
      { x: [9, 1, 28, 28], w: [6, 1, 5, 5], cout: 6, conv: (x, w, b) => sg.conv2d(x, w, b, { padding: 2 }) },
      { x: [3, 64, 12, 12], w: [64, 64, 3, 3], cout: 64, conv: (x, w, b) => sg.conv2d(x, w, b, { padding: 1 }) }, // Winograd
      { x: [32, 64, 7, 7], w: [32, 64, 1, 1], cout: 32, conv: (x, w, b) => sg.conv2d(x, w, b) }, // 1x1: chunked GEMMs
      { x: [5, 8, 11, 11], w: [2, 8, 3, 3], cout: 2, conv: (x, w, b) => sg.conv2d(x, w, b, { stride: 2 }) }, // few channels: im2col + col2im
      { x: [2, 16, 40, 40], w: [32, 8, 3, 3], cout: 32, conv: (x, w, b) => sg.conv2d(x, w, b, { padding: 1, stride: [1, 2], dilation: [2, 1], groups: 2 }) },
      { x: [4, 32, 9, 9], w: [32, 8, 3, 3], cout: 8, conv: (x, w, b) => sg.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }) },
    ];
    for (const c of convs) {
      const x = sg.randn(c.x, { requiresGrad: true }), w = sg.randn(c.w, { requiresGrad: true }), b = sg.randn([c.cout], { requiresGrad: true });
      const g = sg.randn(sg.noGrad(() => sg.tidy(() => c.conv(x, w, b).shape)));
      const results = atEachThreadCount(() => {
        const out = sg.tidy(() => {
          const y = c.conv(x, w, b);
          y.backward(g);
          return [y, x.grad!, w.grad!, b.grad!].map((t) => Array.from(t.float32Data()));
        });
        for (const t of [x, w, b]) {
          t.grad!.dispose();
          t.grad = null;
        }
        return out;
      });
      expectSame(results);
      sg.dispose([x, w, b, g]);
    }
  });

  it("unary kernels in chunks that each end in a partial vector, on every thread at once: each thread stages its tail in its own scratch", () => {
    sg.manualSeed(38);
    const n = 7 * 1000, x = sg.randn([n]), g = sg.randn([n]), y = sg.zeros([n]), dx = sg.zeros([n]);
    const { kernels, pool } = backend();
    const expected = sg.zeros([n]), expectedDx = sg.zeros([n]);
    // chunks of 7 elements: one whole vector and a tail of 3 each, 1,000 of them over 3 threads
    // (the cheap affine op spends the most of its time in the tails; gelu, its derivative with y)
    for (const [op, p0, p1] of [[Unary.affine, 0.5, 2], [Unary.gelu, 0, 0]] as const) {
      kernels.unary_f32(op, x.ptr, expected.ptr, n, p0, p1);
      kernels.unary_backward_f32(op, x.ptr, expected.ptr, g.ptr, expectedDx.ptr, n, p0, p1);
      for (let run = 0; run < 10; run++) {
        pool!.run({ kernel: "unary_f32", args: [op, x.ptr, y.ptr, n, p0, p1], dims: [{ extent: n, chunk: 7, count: 3, perUnit: { 1: 4, 2: 4 } }] });
        pool!.run({ kernel: "unary_backward_f32", args: [op, x.ptr, y.ptr, g.ptr, dx.ptr, n, p0, p1], dims: [{ extent: n, chunk: 7, count: 5, perUnit: { 1: 4, 2: 4, 3: 4, 4: 4 } }] });
        expect(Array.from(y.float32Data())).toEqual(Array.from(expected.float32Data()));
        expect(Array.from(dx.float32Data())).toEqual(Array.from(expectedDx.float32Data()));
      }
    }
    sg.dispose([x, g, y, dx, expected, expectedDx]);
  });

  it("element-wise ops, pooling (forward and backward, split by elements or planes) and row sums: same bits at 1, 2, 3 threads", () => {
    sg.manualSeed(36);
    const x = sg.randn([8, 16, 33, 31], { requiresGrad: true });
    const g = sg.randn([8, 16, 33, 31]);
    const ops: ((x: sg.Tensor) => sg.Tensor)[] = [
      (t) => sg.nn.functional.gelu(t), (t) => sg.tanh(t), (t) => sg.relu(t).mul(g),
      (t) => sg.nn.functional.maxPool2d(t, 3, { stride: 2, padding: 1 }), (t) => sg.nn.functional.avgPool2d(t, 2),
      (t) => sg.nn.functional.adaptiveAvgPool2d(t, [5, 7]),
    ];
    for (const op of ops) {
      const results = atEachThreadCount(() => {
        const out = sg.tidy(() => {
          const y = op(x);
          y.sum().backward();
          return [Array.from(y.float32Data()), Array.from(x.grad!.float32Data())];
        });
        x.grad!.dispose();
        x.grad = null;
        return out;
      });
      expectSame(results);
    }
    // sums along the last dim, split by rows: alone, and as the first of the dims of a whole sum
    const big = sg.randn([16, 16, 33, 31]);
    expectSame(atEachThreadCount(() => sg.tidy(() => [Array.from(big.sum(3).float32Data()), Array.from(big.sum().float32Data())])));
    sg.dispose([x, g, big]);
  });

  /** Parameters after `steps` training steps from the same start, as arrays. */
  function train(makeModel: () => sg.nn.Module, makeOptimizer: (p: sg.Tensor[]) => sg.optim.Optimizer, x: sg.Tensor, y: sg.Tensor, steps: number): number[][] {
    sg.manualSeed(7);
    const model = makeModel();
    const optimizer = makeOptimizer(model.parameters());
    for (let s = 0; s < steps; s++) {
      optimizer.zeroGrad();
      sg.tidy(() => sg.nn.functional.crossEntropy(model.forward(x) as sg.Tensor, y).backward());
      optimizer.step();
    }
    const params = model.parameters().map((p) => Array.from(p.float32Data()));
    optimizer.dispose();
    model.dispose();
    return params;
  }

  it("training steps (MLP with Adam, LeNet-5 with SGD + momentum): same parameters at 1, 2, 3 threads", () => {
    const { nn, optim } = sg;
    sg.manualSeed(33);
    const x = sg.randn([128, 784]), y = sg.randint(0, 10, [128]);
    const mlp = () => new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 256), new nn.ReLU(), new nn.Linear(256, 10));
    expectSame(atEachThreadCount(() => train(mlp, (p) => new optim.Adam(p, { lr: 1e-3 }), x, y, 3)));
    const images = sg.randn([32, 1, 28, 28]), labels = sg.randint(0, 10, [32]);
    const lenet = () => new nn.Sequential(
      new nn.Conv2d(1, 6, 5, { padding: 2 }), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(6, 16, 5), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(),
      new nn.Linear(400, 120), new nn.ReLU(), new nn.Linear(120, 84), new nn.ReLU(), new nn.Linear(84, 10),
    );
    expectSame(atEachThreadCount(() => train(lenet, (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9 }), images, labels, 3)));
    sg.dispose([x, y, images, labels]);
  });

  it("traces jobs over the threads: who ran how many chunks, and when, until tracing stops", () => {
    sg.manualSeed(36);
    const a = sg.randn([256, 256]), b = sg.randn([256, 256]);
    const pool = backend().pool!;
    const traces: JobTrace[] = [];
    pool.traceJobs((t) => traces.push(t));
    let jobs = 0;
    try {
      // at least 5 jobs, and on until a worker's record shows chunks it ran (on a machine busy with
      // the other test files, the caller may finish a short job before a worker wakes)
      for (; jobs < 5 || (!workerRan(traces) && jobs < 200); jobs++) sg.tidy(() => sg.matmul(a, b).float32Data());
    } finally {
      pool.traceJobs(null);
    }
    expect(traces.length).toBe(jobs);
    for (const t of traces) {
      expect(t.kernel).toBe("gemm_f32");
      expect(t.workers.length).toBe(2);
      expectChunksCounted(t);
      expect(t.published).toBeLessThanOrEqual(t.callerDone);
      expect(t.callerDone).toBeLessThanOrEqual(t.done);
      for (const w of t.workers) if (w) expect(w.done).toBeGreaterThanOrEqual(w.found);
    }
    // and the workers did run some of them
    expect(workerRan(traces)).toBe(true);
    sg.tidy(() => sg.matmul(a, b).float32Data());
    expect(traces.length).toBe(jobs);
    sg.dispose([a, b]);
  });

  it("traces a worker that was late for its next claim under the job whose chunks it ran (each chunk counted once)", () => {
    sg.manualSeed(37);
    const a = sg.randn([512, 512]), b = sg.randn([512, 512]);
    const pool = backend().pool!;
    const traces: JobTrace[] = [];
    // each worker sleeps 5 ms after each chunk: past the 2 ms the caller waits for its record, so
    // the caller publishes the next job while the worker is still in the last one's call (where
    // it once claimed the new job's chunks and counted them under the old one)
    Atomics.store(delay, 2, 5);
    const complete = () => traces.filter(isComplete).length;
    pool.traceJobs((t) => traces.push(t));
    try {
      // 24 jobs at least, and on (up to 200) until some traces are complete and a worker ran chunks
      for (let i = 0; i < 24 || ((complete() < 3 || !workerRan(traces)) && i < 200); i++) sg.tidy(() => sg.matmul(a, b).float32Data());
    } finally {
      pool.traceJobs(null);
      Atomics.store(delay, 2, 0);
    }
    for (const t of traces) expectChunksCounted(t);
    expect(complete()).toBeGreaterThanOrEqual(3);
    expect(workerRan(traces)).toBe(true);
    sg.dispose([a, b]);
  });

  it("a slow worker takes fewer chunks and does not stall the job; the result is unchanged", () => {
    sg.manualSeed(34);
    const a = sg.randn([1024, 512]), b = sg.randn([512, 1024]);
    const product = () => sg.tidy(() => Array.from(sg.matmul(a, b).float32Data()));
    sg.setNumThreads(1);
    const expected = product();
    sg.setNumThreads(3);
    const stats = backend().pool!.stats;
    Atomics.store(delay, 0, 1000); // every worker sleeps 1 s before each call
    const before = { ...stats };
    const t0 = performance.now();
    const got = product();
    const elapsed = performance.now() - t0;
    Atomics.store(delay, 0, 0);
    expect(got).toEqual(expected);
    // the caller did all but the chunks the two workers claimed before it was done (at most one each)
    const chunks = stats.chunks - before.chunks, byWorkers = stats.chunksByWorkers - before.chunksByWorkers;
    expect(chunks).toBeGreaterThan(4);
    expect(byWorkers).toBeLessThanOrEqual(2);
    // one sleep (the workers sleep side by side), not one per chunk
    expect(elapsed).toBeLessThan(1000 * (chunks - 1));
    sg.dispose([a, b]);
  });

  it("a job shape runs on the calling thread alone first, then over the threads; workers that save too little make the pool back off to the calling thread, then it tries them again", () => {
    sg.manualSeed(35);
    const a = sg.randn([512, 512]), b = sg.randn([512, 512]);
    const product = () => sg.tidy(() => Array.from(sg.matmul(a, b).float32Data()));
    sg.setNumThreads(1);
    const expected = product();
    sg.setNumThreads(3);
    const pool = backend().pool!;
    pool.adaptive = true;
    try {
      // its first runs are on the caller alone (the shape's single-thread time), the next over the threads
      const before = { ...pool.stats };
      for (let i = 0; i < 3; i++) expect(product()).toEqual(expected);
      expect(pool.stats.soloJobs - before.soloJobs).toBe(3);
      expect(pool.stats.jobs).toBe(before.jobs);
      // (a refresh of the estimates may run a few more alone)
      for (let i = 0; i < 40 && pool.stats.jobs === before.jobs; i++) expect(product()).toEqual(expected);
      expect(pool.stats.jobs).toBeGreaterThan(before.jobs);

      // a shape whose solo time is a few microseconds stays on the caller after its first runs: the
      // smallest product the pool is offered (m·n·k = PARALLEL_MIN_WORK, about 6 µs alone), so that
      // a machine slowed down for a while by its host still times it below MIN_PARALLEL_MS (64³,
      // 13 µs alone, once went over the threads on a noisy 2-vCPU guest)
      const c = sg.randn([64, 32]), d = sg.randn([32, 64]);
      const short = () => sg.tidy(() => Array.from(sg.matmul(c, d).float32Data()));
      sg.setNumThreads(1);
      const shortExpected = short();
      sg.setNumThreads(3);
      const shortBefore = { ...pool.stats };
      for (let i = 0; i < 10; i++) expect(short()).toEqual(shortExpected);
      expect(pool.stats.jobs).toBe(shortBefore.jobs);
      expect(pool.stats.soloJobs - shortBefore.soloJobs).toBe(10);
      sg.dispose([c, d]);

      pool.backoff.minMs = 60_000; // (so that the backoff outlasts the loop however slow the machine)
      const lagging = { ...pool.stats };
      Atomics.store(delay, 0, 200); // each worker call sleeps 200 ms, far longer than the whole product takes the caller
      // (a job lags only if a worker claimed a chunk in it, which on a loaded machine may take a few jobs)
      for (let i = 0; i < 40 && pool.stats.backoffs === lagging.backoffs; i++) expect(product()).toEqual(expected);
      expect(pool.stats.backoffs - lagging.backoffs).toBe(1);
      expect(pool.backoff.backingOff(pool.workMs)).toBe(true);
      // while backing off, no job is published: the caller runs the kernels alone
      const jobs = pool.stats.jobs, solo = pool.stats.soloJobs;
      let work = pool.workMs;
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        expect(product()).toEqual(expected);
        // the backoff's clock advances by the work alone (the product, not the copy out) ...
        const ms = performance.now() - t0;
        expect(pool.workMs - work).toBeGreaterThan(0);
        expect(pool.workMs - work).toBeLessThanOrEqual(ms);
        work = pool.workMs;
      }
      expect(pool.stats.jobs).toBe(jobs);
      expect(pool.stats.soloJobs - solo).toBe(3);
      // ... and not while the program pauses, so a pause does not end a backoff
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      expect(pool.workMs).toBe(work);
      Atomics.store(delay, 0, 0);
      // the backoff ends (here at once) and the workers take chunks again
      pool.backoff.minMs = 20;
      pool.backoff.retry(pool.workMs);
      expect(pool.backoff.backingOff(pool.workMs)).toBe(false);
      const byWorkers = pool.stats.chunksByWorkers;
      for (let i = 0; i < 40 && pool.stats.chunksByWorkers === byWorkers; i++) expect(product()).toEqual(expected);
      expect(pool.stats.chunksByWorkers).toBeGreaterThan(byWorkers);
    } finally {
      pool.adaptive = false;
      Atomics.store(delay, 0, 0);
    }
    sg.dispose([a, b]);
  });
});

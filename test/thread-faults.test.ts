// Thread faults: a worker that throws in its job, one that is terminated while idle, and one that
// stops responding inside a synchronous wait each make the parallel op throw a clear error (never
// hang); the pool can then be shut down and started again on the same memory, tensors intact.
import { describe, it, expect, beforeAll } from "vitest";
import { Worker } from "node:worker_threads";
import * as sg from "../src/index.js";
import "../src/threads.js";
import { backend } from "../src/backend/wasm.js";
import { workerThreadsSpawner, type WorkerLike, type WorkerSpawner } from "../src/backend/threads.js";

// Records the workers it starts, so a test can kill one.
let started: WorkerLike[] = [];
const recording: WorkerSpawner = (source, message) => {
  const w = workerThreadsSpawner(Worker)(source, message);
  started.push(w);
  return w;
};

// Large enough that matmul runs on the pool (above the parallel threshold).
const a = () => sg.randn([256, 256]);

function product(x: sg.Tensor, y: sg.Tensor): Float32Array {
  return sg.tidy(() => sg.matmul(x, y).float32Data());
}

beforeAll(async () => {
  await sg.init({ threads: 2, spawnWorker: recording });
  // every job over the threads (the pools started by the tests below run jobs on the caller alone
  // at first, as any pool does, and on the threads after)
  backend().pool!.adaptive = false;
});

describe("thread faults", () => {
  it("a job that throws in a worker raises its error; the pool stays usable", () => {
    sg.manualSeed(1);
    const x = a(), y = a();
    const expected = (() => { sg.setNumThreads(1); const r = product(x, y); sg.setNumThreads(2); return r; })();
    const pool = backend().pool!;
    // gemm on an address far past the memory: the worker's wasm traps.
    const bad = 0xfffff000;
    const job = { kernel: "gemm_f32" as const, args: [0, 0, 64, 64, 64, 1, bad, 64, bad, 64, 0, bad, 64, 0, 0, 0, pool.workspaces[0]], dims: [{ extent: 64, chunk: 32, count: 2, perUnit: {} }], workspace: 16 };
    // (whichever thread claims a chunk first traps; the rest of the job is cancelled)
    expect(() => pool.run(job)).toThrow(/thread pool: (worker 1|the calling thread) threw in gemm_f32: .*out of bounds/);
    expect(sg.getNumThreads()).toBe(2);
    expect(Array.from(product(x, y))).toEqual(Array.from(expected));
    sg.dispose([x, y]);
  });

  it("a worker terminated while idle: the next parallel op throws naming it, later ops run on one thread, init restarts the pool", async () => {
    sg.manualSeed(2);
    const x = a(), y = a();
    sg.setNumThreads(1);
    const expected = product(x, y);
    sg.setNumThreads(2);
    const before = sg.memoryStats().bytesInUse;
    await started[0].terminate();
    expect(() => product(x, y)).toThrow(/thread pool: worker 1 exited.*the pool is shut down and kernels run on the calling thread/);
    expect(sg.getNumThreads()).toBe(1);
    // the pool's workspaces went back to the allocator; the operands are intact
    expect(sg.memoryStats().bytesInUse).toBeLessThan(before);
    expect(Array.from(product(x, y))).toEqual(Array.from(expected));

    started = [];
    await sg.init({ threads: 2, spawnWorker: recording });
    expect(sg.getNumThreads()).toBe(2);
    expect(started.length).toBe(1);
    expect(Array.from(product(x, y))).toEqual(Array.from(expected));
    sg.dispose([x, y]);
  });

  it("a worker that dies with no event yet: the op completes on the threads left (or throws clearly), and the exit is noticed next", async () => {
    sg.manualSeed(4);
    const x = a(), y = a();
    sg.setNumThreads(1);
    const expected = product(x, y);
    sg.setNumThreads(2);
    // No await: the exit event cannot arrive before the op. Chunks go to whichever thread claims
    // them, so a dead worker only leaves more of them to the caller.
    void started[0].terminate();
    const t0 = Date.now();
    try {
      expect(Array.from(product(x, y))).toEqual(Array.from(expected));
    } catch (e) {
      expect(String(e)).toMatch(/thread pool: (.* did not finish on the workers within|worker 1 exited)/);
    }
    expect(Date.now() - t0).toBeLessThan(10_000);
    await new Promise((r) => setTimeout(r, 200)); // the exit event
    try {
      product(x, y);
    } catch (e) {
      expect(String(e)).toMatch(/thread pool: worker 1 exited.*the pool is shut down/);
    }
    expect(sg.getNumThreads()).toBe(1);
    expect(Array.from(product(x, y))).toEqual(Array.from(expected));
    sg.dispose([x, y]);
  });

  it("a worker stuck inside a chunk: a bounded wait, then an error; the pool restarts", async () => {
    // A worker that claims a chunk and never finishes it (its kernel call blocks for good).
    const stuck: WorkerSpawner = (source, message) => recording(source.replace("fn(...call);", "Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);"), message);
    started = [];
    await sg.init({ threads: 2, spawnWorker: stuck });
    const x = sg.randn([512, 512]), y = sg.randn([512, 512]);
    const pool = backend().pool!;
    pool.stallFloorMs = 300;
    const t0 = Date.now();
    // (the caller may take every chunk before the worker wakes: then the op succeeds; try until the worker got one)
    let error = "";
    for (let i = 0; i < 50 && !error; i++) {
      try {
        product(x, y);
      } catch (e) {
        error = String(e);
      }
    }
    expect(error).toMatch(/thread pool: 1 of \d+ chunk\(s\) of gemm_f32 did not finish on the workers within .* \(dead or starved\).*the pool is shut down/);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(sg.getNumThreads()).toBe(1);
    expect(sg.matmul(x, y).shape).toEqual([512, 512]);
    sg.dispose([x, y]);
  });

  it("shutdownThreads stops the pool and init starts another; tensors made before survive", async () => {
    await sg.init({ threads: 2, spawnWorker: recording });
    sg.manualSeed(3);
    const x = a(), y = a();
    const withPool = product(x, y);
    const before = sg.memoryStats().bytesInUse;
    sg.shutdownThreads();
    expect(sg.getNumThreads()).toBe(1);
    expect(sg.memoryStats().bytesInUse).toBeLessThan(before);
    sg.shutdownThreads(); // a no-op without a pool
    expect(Array.from(product(x, y))).toEqual(Array.from(withPool));
    await sg.init({ threads: 2, spawnWorker: recording });
    expect(sg.getNumThreads()).toBe(2);
    expect(Array.from(product(x, y))).toEqual(Array.from(withPool));
    sg.dispose([x, y]);
  });

  it("a worker that fails to start makes init throw instead of waiting", async () => {
    sg.shutdownThreads();
    const broken: WorkerSpawner = (source, message) => workerThreadsSpawner(Worker)(source.replace("function main(", "function main(_) { throw new Error('no module'); }\nfunction unused("), message);
    await expect(sg.init({ threads: 2, spawnWorker: broken })).rejects.toThrow(/init: worker 1 (failed|exited).*no module/);
    expect(sg.getNumThreads()).toBe(1);
  });
});

// Opt-in worker threads over one shared WebAssembly.Memory. Each worker instantiates the same
// module on the shared memory and waits on a control block in that memory; the main thread
// writes one job per worker (kernel index + numeric arguments), wakes them, runs its own share,
// and waits until all are done. Kernels are pointer-only and allocate nothing, so they are safe
// to run concurrently on disjoint outputs. A worker that throws reports the error in its job slot;
// one that dies (terminated, crashed) is noticed by its exit/error event or, inside a synchronous
// wait where no event can arrive, by a bounded wait: either way run() throws and never hangs.
import type { Allocator } from "./allocator.js";
import type { Backend } from "./wasm.js";
import type { KernelExports } from "./kernels.js";

export interface WorkerLike {
  terminate(): unknown;
  /** Node worker_threads: "exit" and "error" events. */
  on?(event: "exit" | "error", listener: (arg: unknown) => void): unknown;
  /** Web Workers: "error" events. */
  addEventListener?(event: "error", listener: (arg: unknown) => void): unknown;
}
/** Starts a worker running `source` and delivers `message` (module + memory) to it. */
export type WorkerSpawner = (source: string, message: unknown) => WorkerLike;

/** Kernels a worker can run, by index in the job descriptor. */
export const PARALLEL_KERNELS = ["gemm_f32", "conv_direct_f32", "conv_direct_wgrad_f32"] as const satisfies readonly (keyof KernelExports)[];
export type ParallelKernel = (typeof PARALLEL_KERNELS)[number];

export interface Job {
  kernel: ParallelKernel;
  args: number[];
}

// Control block: [seq i32, done i32, ready i32, ...pad to 64] then one 256-byte job slot per
// worker (f64: kernel index, argument count, arguments). A job that throws leaves FAULTED in its
// slot's kernel index and the error's message, as bytes, after the first 16 bytes.
const SEQ = 0, DONE = 1, READY = 2;
const FAULTED = -2, MESSAGE_OFFSET = 16;
const JOB_BASE = 64, JOB_BYTES = 256, MAX_ARGS = JOB_BYTES / 8 - 2;
// Waking a thread blocked in Atomics.wait takes tens of microseconds — as long as a small GEMM.
// Both sides spin this many checks (well under a millisecond) before they block, so a training
// step's back-to-back kernels hand over without sleeping.
const SPIN_CHECKS = 100_000;
// A worker's share of a kernel is about the size of the caller's, so a worker that has not
// finished long after the caller did is dead (or starved beyond use). The wait is bounded by the
// larger of a floor and a multiple of the caller's own time.
const STALL_FLOOR_MS = 20_000, STALL_FACTOR = 50, WAIT_SLICE_MS = 50;

// The worker's main(message): runs in a Web Worker or a Node worker_threads Worker alike.
const WORKER_MAIN = `function main({ module, memory, control, index, kernels }) {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const fns = kernels.map((k) => exports[k]);
  const i32 = new Int32Array(memory.buffer, control, 16);
  const job = new Float64Array(memory.buffer, control + ${JOB_BASE} + index * ${JOB_BYTES}, ${JOB_BYTES / 8});
  const text = new Uint8Array(memory.buffer, control + ${JOB_BASE} + index * ${JOB_BYTES} + ${MESSAGE_OFFSET}, ${JOB_BYTES - MESSAGE_OFFSET});
  Atomics.add(i32, ${READY}, 1);
  Atomics.notify(i32, ${READY});
  let seen = 0;
  for (;;) {
    for (let spin = 0; spin < ${SPIN_CHECKS} && Atomics.load(i32, ${SEQ}) === seen; spin++);
    Atomics.wait(i32, ${SEQ}, seen);
    seen = Atomics.load(i32, ${SEQ});
    if (seen < 0) return;
    try {
      if (job[0] >= 0) fns[job[0]](...job.subarray(2, 2 + job[1]));
    } catch (e) {
      const message = String(e && e.message || e).slice(0, ${JOB_BYTES - MESSAGE_OFFSET});
      for (let i = 0; i < message.length; i++) text[i] = message.charCodeAt(i) & 0x7f;
      job[0] = ${FAULTED};
      job[1] = message.length;
    }
    Atomics.add(i32, ${DONE}, 1);
    Atomics.notify(i32, ${DONE});
  }
}`;

/** Browsers: a module Web Worker from a Blob URL (module, not classic: Deno runs no classic workers). */
const webWorkerSpawner: WorkerSpawner = (source, message) => {
  const url = URL.createObjectURL(new Blob([`${source}\nself.onmessage = (e) => main(e.data);`], { type: "text/javascript" }));
  const w = new Worker(url, { type: "module" });
  w.postMessage(message);
  return w;
};

/** The part of Node's worker_threads.Worker the pool uses. */
export interface WorkerThreadsWorker extends WorkerLike {
  postMessage(message: unknown): void;
  unref(): void;
}
export type WorkerThreadsConstructor = new (source: string, options: { eval: true }) => WorkerThreadsWorker;

/** Node: a worker_threads Worker evaluating the source (Node has no global Web Worker). */
export function workerThreadsSpawner(NodeWorker: WorkerThreadsConstructor): WorkerSpawner {
  return (source, message) => {
    const worker = new NodeWorker(`const { parentPort } = require("node:worker_threads");\n${source}\nparentPort.once("message", main);`, { eval: true });
    worker.postMessage(message);
    // Idle workers must not keep the process alive.
    worker.unref();
    return worker;
  };
}

/**
 * The runtime's own way to start a worker: worker_threads where the runtime has them (Node, Deno,
 * Bun: their workers can be unref'd, so an idle pool does not keep the process alive), reached
 * through process.getBuiltinModule (Node ≥ 20.16) so that the core imports no Node module and
 * bundlers see nothing to resolve; else a Web Worker (browsers).
 */
export function defaultSpawner(): WorkerSpawner {
  const nodeProcess = (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process;
  const threads = nodeProcess?.getBuiltinModule?.("node:worker_threads") as { Worker: WorkerThreadsConstructor } | undefined;
  if (threads) return workerThreadsSpawner(threads.Worker);
  if (typeof Worker === "function") return webWorkerSpawner;
  throw new Error(
    'init: this runtime has no Worker to start threads with; pass init({ threads, spawnWorker }) — in Node older than 20.16, spawnWorker: nodeWorkerSpawner from "simdgrad/node"',
  );
}

export class ThreadPool {
  /** Threads in use, including the calling thread (1..size). */
  private activeThreads: number;
  private readonly i32: Int32Array;
  private readonly jobs: Float64Array[];
  private readonly canBlock: boolean;
  /** One GEMM packing workspace per worker. */
  readonly workspaces: number[];
  /** Why a worker is gone (exit or error event), once one is; the pool is then unusable. */
  private lost: string | null = null;
  private closed = false;
  /** The least time run() waits for the workers after its own share (tests lower it). */
  stallFloorMs = STALL_FLOOR_MS;
  /** Called once when the pool shuts itself down after losing a worker. */
  onLost: () => void = () => {};

  private constructor(private readonly workers: WorkerLike[], private readonly memory: WebAssembly.Memory, private readonly heap: Allocator,
    private readonly control: number, private readonly workspaceBytes: number) {
    this.i32 = new Int32Array(memory.buffer, control, 16);
    this.jobs = workers.map((_, w) => new Float64Array(memory.buffer, control + JOB_BASE + w * JOB_BYTES, JOB_BYTES / 8));
    this.workspaces = workers.map(() => heap.alloc(workspaceBytes, "GEMM workspace (worker)"));
    this.activeThreads = workers.length + 1;
    this.canBlock = ThreadPool.mainThreadCanBlock(this.i32);
    workers.forEach((w, i) => {
      const lose = (what: string) => (arg: unknown) => {
        const detail = arg instanceof Error ? arg.message : (arg as { message?: unknown })?.message ?? arg;
        this.lost ??= `worker ${i + 1} ${what}${detail === undefined ? "" : ` (${String(detail)})`}`;
      };
      w.on?.("exit", lose("exited"));
      w.on?.("error", lose("failed"));
      w.addEventListener?.("error", lose("failed"));
    });
  }

  static async start(module: WebAssembly.Module, b: Backend, workerCount: number, spawn: WorkerSpawner = defaultSpawner()): Promise<ThreadPool> {
    const controlBytes = JOB_BASE + workerCount * JOB_BYTES;
    const control = b.heap.alloc(controlBytes, "thread pool control block");
    new Uint8Array(b.memory.buffer, control, controlBytes).fill(0);
    const workers = Array.from({ length: workerCount }, (_, index) =>
      spawn(WORKER_MAIN, { module, memory: b.memory, control, index, kernels: PARALLEL_KERNELS }),
    );
    const pool = new ThreadPool(workers, b.memory, b.heap, control, b.kernels.gemm_workspace_bytes());
    const deadline = Date.now() + 30_000;
    while (Atomics.load(pool.i32, READY) < workerCount) {
      const failure = pool.lost ?? (Date.now() > deadline ? `${workerCount} worker thread(s) did not start within 30 s` : null);
      if (failure) {
        pool.terminate();
        throw new Error(`init: ${failure}`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    return pool;
  }

  // Browsers' main threads may not Atomics.wait; they spin on Atomics.load instead.
  private static mainThreadCanBlock(i32: Int32Array): boolean {
    try {
      Atomics.wait(i32, DONE, -1, 0);
      return true;
    } catch {
      return false;
    }
  }

  get size(): number {
    return this.workers.length + 1;
  }

  get threads(): number {
    return this.activeThreads;
  }

  setThreads(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > this.size) {
      throw new Error(`setNumThreads: ${n} is outside 1..${this.size} (the pool was started with init({ threads: ${this.size} }))`);
    }
    this.activeThreads = n;
  }

  /** Runs jobs[w] on worker w (at most threads − 1 of them) while the caller runs `own`. */
  run(jobs: Job[], own: () => void): void {
    if (this.lost) this.fail(`before ${jobs[0]?.kernel ?? "a job"}`);
    if (jobs.length > this.activeThreads - 1) throw new Error(`thread pool: ${jobs.length} jobs for ${this.activeThreads - 1} active workers`);
    this.jobs.forEach((slot, w) => {
      const job = jobs[w];
      if (!job) return void (slot[0] = -1);
      if (job.args.length > MAX_ARGS) throw new Error(`thread pool: ${job.kernel} has more than ${MAX_ARGS} arguments`);
      slot[0] = PARALLEL_KERNELS.indexOf(job.kernel);
      slot[1] = job.args.length;
      slot.set(job.args, 2);
    });
    Atomics.store(this.i32, DONE, 0);
    Atomics.add(this.i32, SEQ, 1);
    Atomics.notify(this.i32, SEQ);
    const started = Date.now();
    own();
    const deadline = Date.now() + Math.max(this.stallFloorMs, STALL_FACTOR * (Date.now() - started));
    const total = this.workers.length;
    let spin = 0;
    for (let done = Atomics.load(this.i32, DONE); done < total; done = Atomics.load(this.i32, DONE)) {
      if (++spin <= SPIN_CHECKS) continue;
      if (this.canBlock) Atomics.wait(this.i32, DONE, done, WAIT_SLICE_MS);
      else if (spin % SPIN_CHECKS !== 0) continue;
      if (this.lost) this.fail(`during ${jobs[0]?.kernel}`);
      if (Date.now() > deadline) {
        this.lost = `${total - done} of ${total} worker(s) did not finish ${jobs[0]?.kernel} within ${((deadline - started) / 1000).toFixed(1)} s (dead or starved)`;
        this.fail("");
      }
    }
    this.jobs.forEach((slot, w) => {
      if (slot[0] !== FAULTED) return;
      const text = new Uint8Array(this.memory.buffer, this.control + JOB_BASE + w * JOB_BYTES + MESSAGE_OFFSET, slot[1]);
      throw new Error(`thread pool: worker ${w + 1} threw in ${jobs[w].kernel}: ${String.fromCharCode(...text)}`);
    });
  }

  // A lost worker cannot be replaced inside a synchronous call: shut the pool down (later kernels
  // run on the calling thread) and say so.
  private fail(when: string): never {
    const why = this.lost!;
    this.terminate();
    this.onLost();
    throw new Error(`thread pool: ${why}${when ? ` ${when}` : ""}; the pool is shut down and kernels run on the calling thread (await init({ threads }) starts a new pool)`);
  }

  /** Stops the workers and returns the pool's memory (control block, workspaces) to the allocator. */
  terminate(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.i32, SEQ, -1);
    Atomics.notify(this.i32, SEQ);
    for (const w of this.workers) w.terminate();
    for (const ws of this.workspaces) this.heap.release(ws, this.workspaceBytes);
    this.heap.release(this.control, JOB_BASE + this.workers.length * JOB_BYTES);
  }
}

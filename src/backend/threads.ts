// Opt-in worker threads over one shared WebAssembly.Memory. Each worker instantiates the same
// module on the shared memory and sleeps on a control block in that memory. A job is one kernel
// over a grid of chunks (ranges of one or two of its loops): the caller writes the job's
// descriptor, publishes it, and then every thread — the caller included — claims chunks from one
// atomic word (the caller from the front, the workers from the back) until none is left, so a worker that wakes late, or runs on a core another
// process is busy on, takes fewer chunks instead of stalling the job. The caller waits only for
// chunks already claimed. Kernels are pointer-only and allocate nothing, so they are safe to run
// concurrently on disjoint outputs; a chunk's arguments are a linear function of its position, so
// who runs it does not change what it computes. A chunk that throws reports its error in the
// control block and cancels the chunks not yet claimed; the caller throws it once the job has
// drained. A worker that dies (terminated, crashed) is noticed by its exit/error event or, inside
// a synchronous wait where no event can arrive, by a bounded wait: either way run() throws and
// never hangs.
import type { Allocator } from "./allocator.js";
import type { Backend } from "./wasm.js";
import type { KernelExports } from "./kernels.js";
import { Backoff } from "./backoff.js";
import { CHUNK_BITS, MAX_CHUNKS, chunksOf, runWhole, type Job } from "./job.js";

export interface WorkerLike {
  terminate(): unknown;
  /** Node worker_threads: "exit" and "error" events. */
  on?(event: "exit" | "error", listener: (arg: unknown) => void): unknown;
  /** Web Workers: "error" events. */
  addEventListener?(event: "error", listener: (arg: unknown) => void): unknown;
}
/** Starts a worker running `source` and delivers `message` (module + memory) to it. */
export type WorkerSpawner = (source: string, message: unknown) => WorkerLike;

// Control block (i32 words): GEN (job number, −1 = stop), CLAIM (the job's tag << 2·CHUNK_BITS |
// the first chunk not yet claimed << CHUNK_BITS | the end of those chunks), DONE (chunks finished or cancelled), READY (workers started), WORKERS (workers
// that join the current job: setNumThreads), FAULT (0, or 1 + the thread whose chunk threw: 0 the
// caller, w + 1 worker w), TRACE (1: workers record their part of each job, for profiling); the
// workers' workspace pointers from WORKSPACES; the fault's message (ASCII bytes, its length at
// FAULT_LENGTH) from MESSAGE; the job descriptor (f64) from JOB_BASE; then the workers' trace
// records (f64: when the worker found the job and when it ran out of chunks, on the clock
// performance.timeOrigin + performance.now(), the chunks it ran; then the job number as an i32,
// stored last).
// runChunks, which runs in the workers as source text, has these offsets, the header's size,
// CHUNK_BITS and TAG_BITS written out.
const GEN = 0, CLAIM = 1, DONE = 2, READY = 3, WORKERS = 4, FAULT = 5, FAULT_LENGTH = 6, TRACE = 7, WORKSPACES = 16;
// (assembly/vmath.ts keeps a scratch slot for the caller and each of at most 48 workers: SCRATCH_SLOTS.)
const MAX_WORKERS = 48;
const TAG_BITS = 31 - 2 * CHUNK_BITS, GEN_MASK = (1 << 30) - 1;
const MESSAGE = 4 * (WORKSPACES + MAX_WORKERS), MESSAGE_BYTES = 256;
const JOB_BASE = MESSAGE + MESSAGE_BYTES;
// Descriptor (f64): kernel index, argc, workspace arg (−1: none), per dim (2): extent, chunk,
// count arg (−1: none), chunks; the job number; then base args, perUnit of dim 0, perUnit of dim 1
// (argc each).
const JOB_GEN = 3 + 2 * 4, HEADER = JOB_GEN + 1, MAX_ARGS = 24;
const JOB_FLOATS = HEADER + 3 * MAX_ARGS;
const TRACE_BASE = JOB_BASE + 8 * JOB_FLOATS, TRACE_FLOATS = 4;
const CONTROL_BYTES = TRACE_BASE + 8 * TRACE_FLOATS * MAX_WORKERS;
// A traced job waits this long at most for a worker's record (a worker that never saw the job has none).
const TRACE_WAIT_MS = 2;
// Waking a thread blocked in Atomics.wait takes tens of microseconds, so a worker checks for the
// next job for WORKER_SPIN_MS (a training step's kernels come tens of microseconds apart) before it
// blocks; the caller, waiting for chunks still running, checks for about one chunk's time (what it
// measured for its own), at least CALLER_SPIN_MS and at most CALLER_SPIN_MAX_MS. Both are bounded
// in time, so neither keeps a core another process needs busy for long.
const WORKER_SPIN_MS = 0.2;
const CALLER_SPIN_MS = 0.05, CALLER_SPIN_MAX_MS = 1;
// The caller waits only for chunks already running, each a small share of the job, so a chunk not
// done long after the caller finished its own is on a dead (or hopelessly starved) worker: the
// wait is bounded by the larger of a floor and a multiple of the caller's own time.
const STALL_FLOOR_MS = 20_000, STALL_FACTOR = 50, WAIT_SLICE_MS = 50;
// Contention: a worker whose core another process is busy on can claim a chunk and then be
// descheduled for a time slice (milliseconds) while the caller waits for it, and three threads on
// two cores slow the caller too, so the caller's own pace says nothing about what it would do
// alone. What the pool compares against is the job's time on the calling thread alone while the
// workers sleep (the machine's single-thread speed): each job shape's first SOLO_CALIBRATION runs
// are solo, and the estimate follows later solo runs (down at once, up slowly, so a slow run on a
// loaded machine does not inflate it; being near the fastest run, it is itself the margin the
// workers must beat). The pool's Backoff (backoff.ts) judges the jobs over the threads against
// these estimates and says when to run on the caller alone.
const SOLO_CALIBRATION = 3;
// A job shape whose solo time is below MIN_PARALLEL_MS always runs on the caller alone: a job over
// the threads costs about 5 µs more than its chunks (publishing it, the workers' claims, the last
// chunk's wait), so a short one saves little at best, and any job over the threads waits the
// whole time slice of a worker descheduled while it holds a chunk (milliseconds, on a shared
// machine), which a job on the caller alone never does. Measured on the MLP step's short products
// (20-25 µs alone): no faster over two threads at the median, slower in the mean.
const MIN_PARALLEL_MS = 0.03;
/** How fast a solo estimate rises toward a slower run (it drops to a faster one at once). */
const SOLO_RISE = 0.05;
/** Job shapes remembered (the estimates start afresh past this many). */
const MAX_SHAPES = 4096;

// The chunk-running code, shared by the caller (ThreadPool.claimChunks) and the workers, which get
// it as source: claims chunks of the current job while there are any, runs them, returns how many
// it ran. CLAIM holds the job's tag (its number's low TAG_BITS) and the chunks not yet claimed,
// [lo, hi): the caller (thread 0) claims from the front (lo + 1: chunk lo), the workers from the
// back (hi − 1: chunk hi − 1), so that on a quiet machine each thread runs about the same chunks —
// the same rows, the same parameters — from one job to the next and finds them in its own cache,
// while a slow thread still just takes fewer. The descriptor is read before the claim and its job
// number (written last, before CLAIM) checked after it: a successful claim holds the current job
// open (its descriptor is only rewritten once every chunk is done), so a claim whose number does
// not match the one read (a tag reused by a later job) re-reads it. A chunk that throws records
// the error (the first one wins) and cancels the chunks left, counting them done. A call runs the
// chunks of job `expected` only: a worker still in (or just woken for) an earlier job when the
// next is published returns, and its next call runs the new one, so the count it returns (and
// traces) is one job's.
function runChunks(i32: Int32Array, job: Float64Array, fns: ((...a: number[]) => void)[], workspace: number, thread: number, text: Uint8Array, expected: number): number {
  // (no inner functions: the workers run this as source text, without a bundler's helpers)
  let gen = -1, fn = fns[0], argc = 0, ws = -1, args: number[] = [], per0 = job, per1 = job, mine = 0, total = 0;
  let extent0 = 0, chunk0 = 0, count0 = 0, chunks0 = 0, extent1 = 0, chunk1 = 0, count1 = 0, chunks1 = 0;
  const front = thread === 0;
  let ran = 0, held = -1;
  for (;;) {
    if (job[11] !== gen) {
      gen = job[11];
      fn = fns[job[0]];
      argc = job[1];
      ws = job[2];
      extent0 = job[3], chunk0 = job[4], count0 = job[5], chunks0 = job[6];
      extent1 = job[7], chunk1 = job[8], count1 = job[9], chunks1 = job[10];
      args = Array.from(job.subarray(12, 12 + argc));
      per0 = job.subarray(12 + argc, 12 + 2 * argc);
      per1 = job.subarray(12 + 2 * argc, 12 + 3 * argc);
      total = chunks0 * chunks1;
      mine = gen & 0x7ff;
    }
    let c = held;
    if (c < 0) {
      if (gen !== expected) return ran;
      const claim = Atomics.load(i32, 1);
      const lo = (claim >> 10) & 1023, hi = claim & 1023;
      if (claim >> 20 !== mine || lo >= hi) return ran;
      if (Atomics.compareExchange(i32, 1, claim, front ? claim + 1024 : claim - 1) !== claim) continue;
      c = front ? lo : hi - 1;
      // a later job with the same tag: read its descriptor (stable while this chunk is held), then run the chunk
      held = job[11] !== gen ? c : -1;
      if (held >= 0) continue;
    }
    held = -1;
    const i0 = Math.floor(c / chunks1), i1 = c - i0 * chunks1;
    const lo0 = i0 * chunk0, lo1 = i1 * chunk1;
    const n0 = i0 === chunks0 - 1 ? extent0 - lo0 : chunk0, n1 = i1 === chunks1 - 1 ? extent1 - lo1 : chunk1;
    let cancelled = 0;
    try {
      // a dim with a count argument is one call over the chunk's range, one without is a call per unit
      for (let u0 = lo0; u0 < lo0 + n0; u0 += count0 >= 0 ? n0 : 1) {
        for (let u1 = lo1; u1 < lo1 + n1; u1 += count1 >= 0 ? n1 : 1) {
          const call = args.slice();
          for (let a = 0; a < argc; a++) call[a] += per0[a] * u0 + per1[a] * u1;
          if (ws >= 0) call[ws] = workspace;
          if (count0 >= 0) call[count0] = n0;
          if (count1 >= 0) call[count1] = n1;
          fn(...call);
        }
      }
    } catch (e) {
      if (Atomics.compareExchange(i32, 5, 0, thread + 1) === 0) {
        const message = String((e && (e as Error).message) || e).slice(0, text.length);
        for (let i = 0; i < message.length; i++) text[i] = message.charCodeAt(i) & 0x7f;
        Atomics.store(i32, 6, message.length);
      }
      for (let left = Atomics.load(i32, 1); left >> 20 === mine && ((left >> 10) & 1023) < (left & 1023); left = Atomics.load(i32, 1)) {
        const end = left & 1023;
        if (Atomics.compareExchange(i32, 1, left, (left & ~0xfffff) | (end << 10) | end) === left) cancelled = end - ((left >> 10) & 1023);
      }
    }
    if (Atomics.add(i32, 2, 1 + cancelled) + 1 + cancelled === total) Atomics.notify(i32, 2);
    ran++;
  }
}

// The worker's main(message): runs in a Web Worker or a Node worker_threads Worker alike.
// (runChunks as an expression: a minifier may have renamed the declaration.)
const WORKER_MAIN = `const runChunks = (${runChunks.toString()});
function main({ module, memory, control, index, kernels }) {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  exports.set_thread_slot(index + 1);
  const fns = kernels.map((k) => exports[k]);
  const i32 = new Int32Array(memory.buffer, control, ${JOB_BASE / 4});
  const job = new Float64Array(memory.buffer, control + ${JOB_BASE}, ${JOB_FLOATS});
  const text = new Uint8Array(memory.buffer, control + ${MESSAGE}, ${MESSAGE_BYTES});
  const trace = new Float64Array(memory.buffer, control + ${TRACE_BASE} + ${8 * TRACE_FLOATS} * index, ${TRACE_FLOATS});
  const traced = new Int32Array(trace.buffer, trace.byteOffset, ${2 * TRACE_FLOATS});
  const now = () => performance.now();
  const clock = () => performance.timeOrigin + performance.now();
  Atomics.add(i32, ${READY}, 1);
  Atomics.notify(i32, ${READY});
  let seen = 0;
  for (;;) {
    if (Atomics.load(i32, ${GEN}) === seen) {
      const until = now() + ${WORKER_SPIN_MS};
      while (Atomics.load(i32, ${GEN}) === seen && now() < until);
      Atomics.wait(i32, ${GEN}, seen);
    }
    seen = Atomics.load(i32, ${GEN});
    if (seen < 0) return;
    if (index >= Atomics.load(i32, ${WORKERS})) continue;
    const tracing = Atomics.load(i32, ${TRACE}), found = tracing ? clock() : 0;
    const ran = runChunks(i32, job, fns, Atomics.load(i32, ${WORKSPACES} + index), index + 1, text, seen);
    if (tracing) {
      trace[0] = found, trace[1] = clock(), trace[2] = ran;
      Atomics.store(traced, 6, seen);
    }
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

/** What the pool did, for benchmarks and tests: jobs run over the threads, chunks run by the caller vs the workers. */
export interface PoolStats {
  jobs: number;
  chunks: number;
  chunksByWorkers: number;
  /** Jobs run on the calling thread alone (a job shape's first runs, shapes too short to split, backoffs, refreshes). */
  soloJobs: number;
  /** Times the pool fell back to the calling thread because the workers saved too little (contention). */
  backoffs: number;
}

/**
 * One job over the threads, traced (ThreadPool.traceJobs): times in ms on the clock
 * performance.timeOrigin + performance.now(), which the workers share.
 */
export interface JobTrace {
  kernel: string;
  chunks: number;
  /** The caller published the job, then ran out of chunks to claim, then saw the last one done. */
  published: number;
  callerDone: number;
  done: number;
  callerChunks: number;
  /** Per active worker: when it found the job and ran out of chunks, and the chunks it ran (null: it never found this job). */
  workers: ({ found: number; done: number; chunks: number } | null)[];
}

/** A job shape's time on the calling thread alone. */
interface SoloEstimate {
  ms: number;
  runs: number;
}

export class ThreadPool {
  /** Threads in use, including the calling thread (1..size). */
  private activeThreads: number;
  private readonly i32: Int32Array;
  private readonly job: Float64Array;
  private readonly text: Uint8Array;
  private readonly fns: ((...a: number[]) => void)[];
  private readonly kernelIndex: Map<string, number>;
  private readonly canBlock: boolean;
  private gen = 0;
  /** Why a worker is gone (exit or error event), once one is; the pool is then unusable. */
  private lost: string | null = null;
  private closed = false;
  /** The least time run() waits for chunks running on workers after its own (tests lower it). */
  stallFloorMs = STALL_FLOOR_MS;
  /** When jobs go over the threads and when they run on the caller alone (tests set its minimum backoff, end one). */
  readonly backoff = new Backoff();
  /** The backoff's clock: ms spent in calibrated jobs (those that could go over the threads), run solo or over the threads, since the pool started. */
  workMs = 0;
  /** false: every job runs over the threads, never on the caller alone (tests of the parallel path). */
  adaptive = true;
  /** Called once when the pool shuts itself down after losing a worker. */
  onLost: () => void = () => {};
  /** Receives every job over the threads, traced (profiling: bench/profile-step.ts); null: no tracing. */
  private tracer: ((t: JobTrace) => void) | null = null;
  /** What the pool did (benchmarks and tests read it). */
  readonly stats: PoolStats = { jobs: 0, chunks: 0, chunksByWorkers: 0, soloJobs: 0, backoffs: 0 };
  /** Solo estimates by job shape (shapeOf). */
  private readonly solo = new Map<string, SoloEstimate>();
  /** Arguments from here up are pointers into the heap, left out of a job's shape. */
  private readonly heapBase: number;

  private constructor(private readonly workers: WorkerLike[], private readonly memory: WebAssembly.Memory, private readonly heap: Allocator,
    kernels: KernelExports, names: string[], private readonly control: number, private readonly workspaceBytes: number) {
    this.i32 = new Int32Array(memory.buffer, control, JOB_BASE / 4);
    this.job = new Float64Array(memory.buffer, control + JOB_BASE, JOB_FLOATS);
    this.text = new Uint8Array(memory.buffer, control + MESSAGE, MESSAGE_BYTES);
    this.fns = names.map((n) => (kernels as unknown as Record<string, (...a: number[]) => void>)[n]);
    this.kernelIndex = new Map(names.map((n, i) => [n, i]));
    this.activeThreads = workers.length + 1;
    this.heapBase = kernels.heap_base();
    this.canBlock = ThreadPool.callerCanBlock(this.i32);
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
    if (workerCount > MAX_WORKERS) throw new Error(`init: at most ${MAX_WORKERS + 1} threads, got ${workerCount + 1}`);
    const workspaceBytes = b.kernels.gemm_workspace_bytes();
    const control = b.heap.alloc(CONTROL_BYTES, "thread pool control block");
    new Uint8Array(b.memory.buffer, control, CONTROL_BYTES).fill(0);
    const i32 = new Int32Array(b.memory.buffer, control, JOB_BASE / 4);
    for (let w = 0; w < workerCount; w++) i32[WORKSPACES + w] = b.heap.alloc(workspaceBytes, "GEMM workspace (worker)");
    const names = Object.keys(b.kernels).filter((k) => typeof (b.kernels as unknown as Record<string, unknown>)[k] === "function");
    const workers = Array.from({ length: workerCount }, (_, index) =>
      spawn(WORKER_MAIN, { module, memory: b.memory, control, index, kernels: names }),
    );
    const pool = new ThreadPool(workers, b.memory, b.heap, b.kernels, names, control, workspaceBytes);
    const deadline = Date.now() + 30_000;
    while (Atomics.load(i32, READY) < workerCount) {
      const failure = pool.lost ?? (Date.now() > deadline ? `${workerCount} worker thread(s) did not start within 30 s` : null);
      if (failure) {
        pool.terminate();
        throw new Error(`init: ${failure}`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    return pool;
  }

  // Browsers' main threads may not Atomics.wait; there the caller checks for running chunks by
  // Atomics.load until they are done (it only ever waits for chunks a worker already runs).
  private static callerCanBlock(i32: Int32Array): boolean {
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

  /** The workers' GEMM workspaces. */
  get workspaces(): number[] {
    return this.workers.map((_, w) => this.i32[WORKSPACES + w]);
  }

  /** Traces every job over the threads into `tracer` (null: stops). Each traced job waits a little for the workers' records. */
  traceJobs(tracer: ((t: JobTrace) => void) | null): void {
    this.tracer = tracer;
    Atomics.store(this.i32, TRACE, tracer ? 1 : 0);
  }

  setThreads(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > this.size) {
      throw new Error(`setNumThreads: ${n} is outside 1..${this.size} (the pool was started with init({ threads: ${this.size} }))`);
    }
    this.activeThreads = n;
  }

  /**
   * Runs `job`: over the calling thread and the active workers (every chunk, returning when all
   * are done; the caller runs with the job's own workspace argument, the workers with theirs), or
   * on the calling thread alone while the pool calibrates the job's shape, for a shape too short
   * to split, or while it backs off from workers that save too little.
   */
  run(job: Job): void {
    const { dims, args } = job;
    if (this.lost) this.fail(`before ${job.kernel}`);
    if (dims.length < 1 || dims.length > 2) throw new Error(`thread pool: ${job.kernel}: a job has 1 or 2 dims, got ${dims.length}`);
    if (args.length > MAX_ARGS) throw new Error(`thread pool: ${job.kernel} has more than ${MAX_ARGS} arguments`);
    const kernel = this.kernelIndex.get(job.kernel);
    if (kernel === undefined) throw new Error(`thread pool: no kernel ${job.kernel}`);
    const chunks = chunksOf(dims);
    if (chunks > MAX_CHUNKS) throw new Error(`thread pool: ${job.kernel}: ${chunks} chunks, more than ${MAX_CHUNKS}`);
    if (!this.adaptive) return this.runOverThreads(job, kernel, chunks);
    const shape = this.shapeOf(job, kernel);
    const estimate = this.solo.get(shape);
    if (!estimate || estimate.runs < SOLO_CALIBRATION || estimate.ms < MIN_PARALLEL_MS) {
      this.runSolo(job, kernel, shape, estimate);
      return;
    }
    if (this.backoff.soloNow(estimate.ms, this.workMs)) {
      this.workMs += this.runSolo(job, kernel, shape, estimate);
      return;
    }
    const started = performance.now();
    this.runOverThreads(job, kernel, chunks);
    const took = performance.now() - started;
    this.workMs += took;
    if (this.backoff.judge(estimate.ms, took, this.workMs)) this.stats.backoffs++;
  }

  /** A job's shape: its kernel, loops and every argument but the pointers (whose values change from call to call). */
  private shapeOf(job: Job, kernel: number): string {
    let shape = String(kernel);
    for (const d of job.dims) shape += `|${d.extent}/${d.chunk}`;
    for (const a of job.args) shape += Number.isInteger(a) && a >= this.heapBase ? ",p" : `,${a}`;
    return shape;
  }

  /** Runs the job on the calling thread alone, updating its shape's estimate; returns the ms it took. */
  private runSolo(job: Job, kernel: number, shape: string, estimate: SoloEstimate | undefined): number {
    const started = performance.now();
    runWhole(this.fns[kernel], job);
    const ms = performance.now() - started;
    this.stats.soloJobs++;
    if (!estimate) {
      if (this.solo.size >= MAX_SHAPES) this.solo.clear();
      this.solo.set(shape, { ms, runs: 1 });
    } else {
      estimate.ms = ms < estimate.ms ? ms : estimate.ms + SOLO_RISE * (ms - estimate.ms);
      estimate.runs++;
    }
    return ms;
  }

  private runOverThreads(job: Job, kernel: number, chunks: number): void {
    const { dims, args } = job;
    const d = this.job, argc = args.length;
    d[0] = kernel;
    d[1] = argc;
    d[2] = job.workspace ?? -1;
    for (let i = 0; i < 2; i++) {
      const dim = dims[i] ?? { extent: 1, chunk: 1, perUnit: {} };
      d.set([dim.extent, dim.chunk, dim.count ?? -1, Math.max(1, Math.floor(dim.extent / dim.chunk))], 3 + 4 * i);
      d.fill(0, HEADER + (1 + i) * argc, HEADER + (2 + i) * argc);
      for (const [a, v] of Object.entries(dim.perUnit)) d[HEADER + (1 + i) * argc + Number(a)] = v ?? 0;
    }
    d.set(args, HEADER);
    const gen = (this.gen = (this.gen + 1) & GEN_MASK);
    d[JOB_GEN] = gen;
    Atomics.store(this.i32, FAULT, 0);
    Atomics.store(this.i32, DONE, 0);
    Atomics.store(this.i32, CLAIM, ((gen & ((1 << TAG_BITS) - 1)) << (2 * CHUNK_BITS)) | chunks);
    const published = this.tracer ? performance.timeOrigin + performance.now() : 0;
    if (this.activeThreads > 1) {
      Atomics.store(this.i32, WORKERS, this.activeThreads - 1);
      Atomics.store(this.i32, GEN, gen);
      Atomics.notify(this.i32, GEN, this.activeThreads - 1);
    }
    const started = performance.now();
    const own = runChunks(this.i32, d, this.fns, job.workspace === undefined ? 0 : args[job.workspace], 0, this.text, gen);
    const callerDone = this.tracer ? performance.timeOrigin + performance.now() : 0;
    this.awaitDone(job.kernel, chunks, started, own ? (performance.now() - started) / own : 0);
    if (this.tracer) this.tracer({ kernel: job.kernel, chunks, published, callerDone, done: performance.timeOrigin + performance.now(), callerChunks: own, workers: this.workerRecords(gen) });
    this.stats.jobs++;
    this.stats.chunks += chunks;
    this.stats.chunksByWorkers += chunks - own;
    const fault = Atomics.load(this.i32, FAULT);
    if (fault) {
      const message = String.fromCharCode(...this.text.subarray(0, Atomics.load(this.i32, FAULT_LENGTH)));
      throw new Error(`thread pool: ${fault === 1 ? "the calling thread" : `worker ${fault - 1}`} threw in ${job.kernel}: ${message}`);
    }
  }

  /** The active workers' trace records of job `gen` (each worker writes its own after its last chunk; null if it has none within TRACE_WAIT_MS). */
  private workerRecords(gen: number): JobTrace["workers"] {
    return Array.from({ length: this.activeThreads - 1 }, (_, w) => {
      const offset = this.control + TRACE_BASE + 8 * TRACE_FLOATS * w;
      const words = new Int32Array(this.memory.buffer, offset, 2 * TRACE_FLOATS), record = new Float64Array(this.memory.buffer, offset, TRACE_FLOATS);
      for (const until = performance.now() + TRACE_WAIT_MS; Atomics.load(words, 6) !== gen && performance.now() < until;);
      return Atomics.load(words, 6) === gen ? { found: record[0], done: record[1], chunks: record[2] } : null;
    });
  }

  /**
   * Waits for the chunks workers still run: a spin of about one chunk's time (`chunkMs`), then
   * Atomics.wait in slices where the caller may block (else Atomics.load), checking for a lost
   * worker and bounded in time.
   */
  private awaitDone(kernel: string, chunks: number, started: number, chunkMs: number): void {
    let done = Atomics.load(this.i32, DONE);
    if (done === chunks) return;
    const now = performance.now();
    const spinUntil = now + Math.min(CALLER_SPIN_MAX_MS, Math.max(CALLER_SPIN_MS, chunkMs)), deadline = now + Math.max(this.stallFloorMs, STALL_FACTOR * (now - started));
    while (done < chunks && performance.now() < spinUntil) done = Atomics.load(this.i32, DONE);
    while (done < chunks) {
      if (this.canBlock) Atomics.wait(this.i32, DONE, done, WAIT_SLICE_MS);
      else for (const until = performance.now() + WAIT_SLICE_MS; Atomics.load(this.i32, DONE) === done && performance.now() < until;);
      done = Atomics.load(this.i32, DONE);
      if (done === chunks) return;
      if (this.lost) this.fail(`during ${kernel}`);
      if (performance.now() > deadline) {
        this.lost = `${chunks - done} of ${chunks} chunk(s) of ${kernel} did not finish on the workers within ${((deadline - started) / 1000).toFixed(1)} s (dead or starved)`;
        this.fail("");
      }
    }
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
    Atomics.store(this.i32, GEN, -1);
    Atomics.notify(this.i32, GEN);
    for (const w of this.workers) w.terminate();
    for (const ws of this.workspaces) this.heap.release(ws, this.workspaceBytes);
    this.heap.release(this.control, CONTROL_BYTES);
  }
}

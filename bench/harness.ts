// Workload definitions and the timing loop: warm-up, then benchmark.js samples.
import Benchmark from "benchmark";
import { median } from "./timing.js";

export { toValue } from "./timing.js";

export const IMPLS = ["simdgrad", "tfjs-wasm", "tfjs-cpu", "ort-wasm", "pytorch"] as const;
export type Impl = (typeof IMPLS)[number];
export type Unit = "GFLOP/s" | "samples/s" | "tokens/s" | "ms";

/** One prepared run: `run` is what gets timed; `dispose` frees what setup allocated. */
export interface Case {
  run: () => void;
  dispose?: () => void;
}

/** A prepared run whose call is asynchronous (ONNX Runtime's session.run). */
export interface AsyncCase {
  run: () => Promise<void>;
  dispose?: () => Promise<void>;
}

export interface Workload {
  name: string;
  unit: Unit;
  /** FLOPs per call (GFLOP/s) or samples per call (samples/s); unused for ms. */
  perCall?: number;
  /** For an ms workload: its multiply-add FLOPs per call, so its rows are also a fraction of the peak. */
  flops?: number;
  /** Builds simdgrad's case. */
  simdgrad: () => Case;
  /** Builds TF.js's case, run once per backend (the runner switches backend first). */
  tfjs: () => Case;
  /** Builds ONNX Runtime Web's case (wasm, 1 thread): the same model, exported with exportOnnx (inference workloads). */
  ort?: () => Promise<AsyncCase>;
  /** The workload's name in bench/torch_peer.py (native PyTorch, one thread; run with --torch). */
  torch?: string;
  /** Implementations skipped unless --include-slow (a single call takes minutes). */
  slow?: Impl[];
}

export interface Timing {
  /** seconds per call: median of the benchmark.js samples (each a mean over a cycle of calls) */
  seconds: number;
  /** relative margin of error of the mean, in percent (benchmark.js) */
  rme: number | null;
  samples: number;
  /** how it was measured when not by benchmark.js */
  method: string;
}

export interface TimingOptions {
  quick: boolean;
  /** a warm-up call longer than this (s) is timed once more by hand instead of by benchmark.js */
  slowCallSeconds: number;
}

// Inline decompilation of the test body breaks closures; call the function instead.
(Benchmark as unknown as { support: { decompilation: boolean } }).support.decompilation = false;


function timeOnce(run: () => void): number {
  const t0 = performance.now();
  run();
  return (performance.now() - t0) / 1e3;
}

async function timeOnceAsync(run: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await run();
  return (performance.now() - t0) / 1e3;
}

const SLOW_METHOD = "1 timed call after 1 warm-up (too slow for benchmark.js)";

/** Whether the warm-up goes on after `calls` calls that took `spent` seconds. */
const warming = (opts: TimingOptions, calls: number, spent: number) => (calls < (opts.quick ? 4 : 10) || spent < (opts.quick ? 0.1 : 0.3)) && spent < 2;

const benchOptions = (opts: TimingOptions) => ({ minSamples: opts.quick ? 3 : 5, maxTime: opts.quick ? 0.25 : 1, initCount: 1 });

function benchTiming(bench: Benchmark): Timing {
  if (bench.error) throw bench.error;
  return { seconds: median(bench.stats.sample), rme: bench.stats.rme, samples: bench.stats.sample.length, method: "benchmark.js" };
}

/**
 * Warm-up (V8 runs wasm in its baseline tier for the first calls and tiers up after a few), then
 * benchmark.js. Calls that take over `slowCallSeconds` get one more hand-timed warm call instead:
 * benchmark.js would need 5+ of them.
 */
export function measure(run: () => void, opts: TimingOptions): Timing {
  const first = timeOnce(run);
  if (first > opts.slowCallSeconds) return { seconds: timeOnce(run), rme: null, samples: 1, method: SLOW_METHOD };
  for (let calls = 1, spent = first; warming(opts, calls, spent); calls++) spent += timeOnce(run);
  global.gc?.();
  const bench = new Benchmark({ fn: run, ...benchOptions(opts) });
  bench.run({ async: false });
  return benchTiming(bench);
}

/** measure for an asynchronous call: the same warm-up, then benchmark.js's deferred mode (each call awaited). */
export async function measureAsync(run: () => Promise<void>, opts: TimingOptions): Promise<Timing> {
  const first = await timeOnceAsync(run);
  if (first > opts.slowCallSeconds) return { seconds: await timeOnceAsync(run), rme: null, samples: 1, method: SLOW_METHOD };
  for (let calls = 1, spent = first; warming(opts, calls, spent); calls++) spent += await timeOnceAsync(run);
  global.gc?.();
  let failure: unknown = null;
  const bench = new Benchmark({
    defer: true,
    fn: (deferred: { resolve: () => void }) => void run().then(() => deferred.resolve(), (e: unknown) => {
      failure ??= e;
      deferred.resolve();
    }),
    ...benchOptions(opts),
  });
  await new Promise<void>((done) => {
    bench.on("complete", () => done());
    bench.run({ async: true });
  });
  if (failure) throw failure;
  return benchTiming(bench);
}


/** simdgrad's advantage over a peer: > 1 means simdgrad is better, for throughput, time and bytes. */
export function advantage(unit: string, mine: number, peer: number): number {
  return unit === "ms" || unit === "bytes" ? peer / mine : mine / peer;
}

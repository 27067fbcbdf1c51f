// Thread scaling: simdgrad at N threads against its own single thread in the same process, in
// interleaved rounds (1, N, N-forced, then reversed, ...), quiet and with busy processes on the
// other cores. N-forced runs every job over the threads (pool.adaptive = false: no solo runs, no
// backoffs), which shows what the pool's backoff saves under contention and costs when quiet.
//   node --expose-gc --import tsx bench/threads.ts [--threads N] [--mode quiet|contention|both]
//     [--busy K] [--rounds R] [--seconds S] [--filter <regex>] [--write <file.md>]
// Each round times one variant for about S seconds; a workload's value is the median over its
// rounds (R: by default 12 quiet and 36 under contention, where one round's ratio ranges over
// 0.6–1.5x and a median of 12 does not resolve the 5% between 1x and the floor of 0.95x), with
// the min–max spread, and its speedup the median of the rounds' N-thread/1-thread ratios (the
// variants of a round measured back to back). --write puts the markdown table in a file
// (bench/results/threads.md is the one bench/RESULTS.md includes).
// Every call is timed too, and the table gives the ratio of the calls' median and 10th-percentile
// times (1 thread over N, all rounds): on a shared or virtual machine whose cores are taken away
// for milliseconds now and then, that tells what the undisturbed calls scale by from what the
// interruptions (which stall a job at N threads on either thread, and take the backoff's solo
// time with them) cost the rounds' means.
import { cpus, loadavg } from "node:os";
import { writeFileSync } from "node:fs";
import * as sg from "../src/index.js";
import "../src/relaxed.js";
import "../src/threads.js";
import { nodeWorkerSpawner } from "../src/backend/threads-node.js";
import { backend } from "../src/backend/wasm.js";
import { startBusy } from "./contention.js";
import { convWorkloads } from "./conv.js";
import { gemmWorkloads } from "./gemm.js";
import type { Workload } from "./harness.js";
import { median, timeCalls, toValue } from "./timing.js";
import { lenetWorkloads } from "./lenet.js";
import { mlpWorkloads } from "./mlp.js";

const HELP = `usage: bench/threads.ts [--threads N] [--mode quiet|contention|both] [--busy K] [--rounds R] [--seconds S] [--filter <regex>] [--write <file.md>]`;

function parse(argv: string[]) {
  const o = { threads: 2, mode: "quiet", busy: 1, rounds: null as number | null, seconds: 0.25, filter: null as RegExp | null, write: null as string | null };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const value = () => inline ?? argv[++i];
    if (flag === "--threads") o.threads = Number(value());
    else if (flag === "--mode") o.mode = value();
    else if (flag === "--busy") o.busy = Number(value());
    else if (flag === "--rounds") o.rounds = Number(value());
    else if (flag === "--seconds") o.seconds = Number(value());
    else if (flag === "--filter") o.filter = new RegExp(value());
    else if (flag === "--write") o.write = value();
    else {
      console.error(flag === "--help" ? HELP : `bench/threads.ts: unknown argument ${argv[i]}\n${HELP}`);
      process.exit(flag === "--help" ? 0 : 2);
    }
  }
  if (!Number.isInteger(o.threads) || o.threads < 2) fail(`--threads needs a whole number >= 2, got ${o.threads}`);
  if (!["quiet", "contention", "both"].includes(o.mode)) fail(`--mode is quiet, contention or both, got ${o.mode}`);
  if (!Number.isInteger(o.busy) || o.busy < 1) fail(`--busy needs a whole number >= 1, got ${o.busy}`);
  if (o.rounds !== null && (!Number.isInteger(o.rounds) || o.rounds < 1)) fail(`--rounds needs a whole number >= 1, got ${o.rounds}`);
  if (!(o.seconds > 0)) fail(`--seconds needs a positive number, got ${o.seconds}`);
  return o;
}

function fail(message: string): never {
  console.error(`bench/threads.ts: ${message}\n${HELP}`);
  process.exit(2);
}

const opts = parse(process.argv.slice(2));
const build = (await sg.init({ threads: opts.threads, spawnWorker: nodeWorkerSpawner })).build;

/** The targets of the thread work (N threads vs 1, quiet), by workload. */
const TARGETS: Record<string, number> = { "gemm-1024": 1.85, "mlp-train": 1.7, "lenet-train": 1.7, "conv-res64-fwd": 1.8 };
/** Under contention every workload must stay at this fraction of one thread or above. */
const CONTENTION_FLOOR = 0.95;

const all = [...gemmWorkloads, ...mlpWorkloads, ...convWorkloads, ...lenetWorkloads];
const names = ["gemm-1024", "gemm-mlp", "mlp-train", "mlp-infer-b128", "lenet-train", "conv-lenet2-fwdbwd", "conv-res64-fwd", "conv-res64-fwdbwd"];
const workloads = names.map((n) => all.find((w) => w.name === n)!).filter((w) => !opts.filter || opts.filter.test(w.name));
if (!workloads.length) fail(`--filter ${opts.filter} matches none of ${names.join(", ")}`);

interface Result {
  workload: string;
  unit: string;
  one: number[]; // values per round at 1 thread (the workload's unit)
  many: number[]; // at N threads
  ratios: number[]; // per round: N-thread advantage over 1 thread
  stepRatios: { median: number; p10: number }; // the calls' median and 10th-percentile times over all rounds, 1 thread over N threads
  forcedRatios: number[]; // per round: the same with every job over the threads (pool.adaptive = false: no solo runs, no backoffs)
  workerShare: number; // chunks the workers ran, of all chunks at N threads
  soloShare: number; // jobs the pool ran on the calling thread alone (calibration, backoffs), of all its jobs at N threads
  backoffs: number; // times the pool fell back to the calling thread (workers saving too little)
}

const advantage = (unit: string, mine: number, base: number) => (unit === "ms" ? base / mine : mine / base);

/** The variants of a round: one thread, N threads as the pool runs them, N threads with every job over the threads (pool.adaptive = false). */
type Variant = "one" | "many" | "forced";

/** The q-quantile (0..1) of xs. */
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** Seconds per call over a run of about `seconds` (after one warm call), each call's time (ms) added to `calls`. */
function timeEachCall(run: () => void, seconds: number, calls: number[]): number {
  run();
  const t0 = performance.now();
  let t = t0, n = 0;
  while (t - t0 < seconds * 1e3 || n < 2) {
    run();
    const end = performance.now();
    calls.push(end - t);
    t = end;
    n++;
  }
  return (t - t0) / 1e3 / n;
}

/** Rounds per workload in a mode, unless --rounds says. */
const QUIET_ROUNDS = 12, CONTENTION_ROUNDS = 36;
const roundsIn = (mode: string) => opts.rounds ?? (mode === "contention" ? CONTENTION_ROUNDS : QUIET_ROUNDS);

function measure(w: Workload, rounds: number): Result {
  const c = w.simdgrad();
  const pool = backend().pool!;
  const values: Record<Variant, number[]> = { one: [], many: [], forced: [] };
  const calls: Record<Variant, number[]> = { one: [], many: [], forced: [] };
  let chunks = 0, byWorkers = 0, jobs = 0, solo = 0, backoffs = 0;
  const use = (v: Variant) => {
    sg.setNumThreads(v === "one" ? 1 : opts.threads);
    pool.adaptive = v !== "forced";
  };
  // warm-up in every variant (V8 tiers wasm up over the first calls)
  for (const v of ["one", "forced", "many"] as const) {
    use(v);
    timeCalls(c.run, opts.seconds / 2);
  }
  for (let r = 0; r < rounds; r++) {
    // ABCCBA: the order reversed in odd rounds, so drift favours no variant
    const order: Variant[] = r % 2 ? ["forced", "many", "one"] : ["one", "many", "forced"];
    for (const v of order) {
      use(v);
      global.gc?.();
      const before = { ...pool.stats };
      values[v].push(toValue(w, timeEachCall(c.run, opts.seconds, calls[v])));
      if (v === "many") {
        chunks += pool.stats.chunks - before.chunks;
        byWorkers += pool.stats.chunksByWorkers - before.chunksByWorkers;
        jobs += pool.stats.jobs - before.jobs;
        solo += pool.stats.soloJobs - before.soloJobs;
        backoffs += pool.stats.backoffs - before.backoffs;
      }
    }
  }
  use("many");
  c.dispose?.();
  const { one, many, forced } = values;
  return {
    workload: w.name, unit: w.unit, one, many,
    ratios: many.map((m, i) => advantage(w.unit, m, one[i])),
    stepRatios: { median: quantile(calls.one, 0.5) / quantile(calls.many, 0.5), p10: quantile(calls.one, 0.1) / quantile(calls.many, 0.1) },
    forcedRatios: forced.map((f, i) => advantage(w.unit, f, one[i])),
    workerShare: chunks ? byWorkers / chunks : 0, soloShare: jobs + solo ? solo / (jobs + solo) : 0, backoffs,
  };
}

function fmt(v: number): string {
  return v >= 1000 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}
const spread = (xs: number[]) => `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;

function table(mode: string, results: Result[]): string {
  const n = opts.threads;
  const lines = [
    `| workload | unit | 1 thread | ${n} threads | ${n}t / 1t | rounds' range | target | calls' median / 10th percentile: ${n}t / 1t | workers' share of chunks | jobs on the caller alone | backoffs | every job over the threads: ${n}t / 1t |`,
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of results) {
    const ratio = median(r.ratios);
    const target = mode === "quiet" ? TARGETS[r.workload] : CONTENTION_FLOOR;
    const verdict = target === undefined ? "—" : `≥ ${target.toFixed(2)}x ${ratio >= target ? "met" : "**missed**"}`;
    lines.push(`| ${r.workload} | ${r.unit} | ${spread(r.one)} | ${spread(r.many)} | ${ratio.toFixed(2)}x | ${Math.min(...r.ratios).toFixed(2)}–${Math.max(...r.ratios).toFixed(2)}x | ${verdict} | ${r.stepRatios.median.toFixed(2)}x / ${r.stepRatios.p10.toFixed(2)}x | ${(100 * r.workerShare).toFixed(0)}% | ${(100 * r.soloShare).toFixed(0)}% | ${r.backoffs} | ${median(r.forcedRatios).toFixed(2)}x (${Math.min(...r.forcedRatios).toFixed(2)}–${Math.max(...r.forcedRatios).toFixed(2)}x) |`);
  }
  return lines.join("\n");
}

const header = `simdgrad build ${build}, pool of ${opts.threads} threads, measured at ${opts.threads} and 1 | node ${process.version} | ${cpus()[0]?.model ?? "?"} x${cpus().length} | ` +
  `${opts.rounds ?? `${QUIET_ROUNDS} (quiet) or ${CONTENTION_ROUNDS} (contention)`} rounds of ~${opts.seconds} s per variant | load before ${loadavg().map((l) => l.toFixed(2)).join(" ")} | ${new Date().toISOString()}`;
console.log(header);
const sections: string[] = [];
for (const mode of opts.mode === "both" ? ["quiet", "contention"] : [opts.mode]) {
  const loadAtStart = loadavg()[0];
  const busy = mode === "contention" ? startBusy(opts.busy) : null;
  const results: Result[] = [];
  try {
    for (const w of workloads) {
      const r = measure(w, roundsIn(mode));
      results.push(r);
      console.error(`${mode} ${w.name}: 1t ${spread(r.one)}  ${opts.threads}t ${spread(r.many)}  ratio ${median(r.ratios).toFixed(2)}x (calls' median ${r.stepRatios.median.toFixed(2)}x, 10th percentile ${r.stepRatios.p10.toFixed(2)}x)`);
    }
  } finally {
    busy?.stop();
  }
  const title = mode === "quiet" ? "Quiet" : `Under contention (${opts.busy} busy process${opts.busy > 1 ? "es" : ""} spinning alongside)`;
  sections.push(`### ${title}\n\nLoad average (1 min) ${loadAtStart.toFixed(2)} when this part started, ${loadavg()[0].toFixed(2)} when it ended.\n\n${table(mode, results)}`);
}
const markdown = `${header}\n\n${sections.join("\n\n")}\n`;
console.log(`\n${markdown}`);
if (opts.write) writeFileSync(opts.write, markdown);

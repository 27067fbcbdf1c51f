// Where a training step's time goes: every wasm kernel call is timed (one clock read before and
// after), so a step splits into GEMM, each other kernel, and the JavaScript between kernel calls
// (autograd, shape checks, allocation, the op wrappers). Also the GEMM's own rate inside the step.
//   node --expose-gc --import tsx bench/profile-step.ts [mlp-train|lenet-train|transformer-train|lstm-train] [--steps N] [--by-call] [--cpu-clock] [--threads N [--forced]]
// With --threads N (N > 1) a kernel the pool runs is timed as one job ("kernel (pool)": its
// chunks on every thread, until the last is done) and the other kernels as calls on this thread;
// --forced runs every job over the threads (pool.adaptive = false: no solo runs, no backoffs).
// Each job over the threads is traced (ThreadPool.traceJobs): a second table splits its wall time
// into the caller's own chunks and its wait for the workers', with how long after the caller
// published it the worker found it (the hand-off) and how much of the job the worker sat idle.
// Every row has its median over the steps beside the mean: a machine shared with other programs
// deschedules a thread for milliseconds now and then, which the means carry and the medians not.
//   add --experimental-wasm-relaxed-simd for the relaxed build
// The clock is the wall clock (hrtime); on a busy machine --cpu-clock uses the process's CPU time
// instead (user + system, which leaves out time spent descheduled but counts V8's background
// threads, such as the GC's, as JavaScript). Clock reads add a little to every call: that is
// measured, subtracted from the kernel totals and reported.
import * as sg from "../src/index.js";
import "../src/relaxed.js";
import "../src/threads.js";
import { nodeWorkerSpawner } from "../src/backend/threads-node.js";
import type { Job } from "../src/backend/job.js";
import type { JobTrace } from "../src/backend/threads.js";
import { backend } from "../src/backend/wasm.js";
import type { Case, Workload } from "./harness.js";
import { lenetWorkloads } from "./lenet.js";
import { mlpWorkloads } from "./mlp.js";
import { sequenceWorkloads } from "./sequence.js";

const argv = process.argv.slice(2);
const name = argv.find((a) => !a.startsWith("--")) ?? "mlp-train";
const stepsArg = argv.indexOf("--steps");
const steps = stepsArg >= 0 ? Number(argv[stepsArg + 1]) : 200;
/** --by-call: one row per kernel call of the step (in call order, with its arguments) instead of per kernel. */
const byCall = argv.includes("--by-call");
const threadsArg = argv.indexOf("--threads");
const threads = threadsArg >= 0 ? Number(argv[threadsArg + 1]) : 1;
const workloads: Workload[] = [...mlpWorkloads, ...lenetWorkloads, ...sequenceWorkloads];
const workload = workloads.find((w) => w.name === name);
if (!workload || !Number.isInteger(steps) || steps < 1 || !Number.isInteger(threads) || threads < 1) {
  console.error(`usage: profile-step.ts [${workloads.filter((w) => w.unit !== "ms").map((w) => w.name).join("|")}] [--steps N] [--threads N]`);
  process.exit(2);
}

const b = await sg.init(threads > 1 ? { threads, spawnWorker: nodeWorkerSpawner } : {});
interface Tally { ns: number; calls: number; flops: number; steps: number[] }
const tallies = new Map<string, Tally>();
let callInStep = 0, step = 0;
const cpuClock = argv.includes("--cpu-clock");
const now = cpuClock
  ? () => {
      const u = process.cpuUsage();
      return (u.user + u.system) * 1e3;
    }
  : () => Number(process.hrtime.bigint());
let timing = false;
// gemm_f32(transA, transB, M, N, K, ...): 2·M·N·K flops.
const flopsOf = (kernel: string, a: number[]) => (kernel.startsWith("gemm_f32") ? 2 * a[2] * a[3] * a[4] : 0);
const raw = b.kernels as unknown as Record<string, (...a: number[]) => number>;
const timed: Record<string, unknown> = {};
for (const [kernel, fn] of Object.entries(raw)) {
  if (typeof fn !== "function") {
    timed[kernel] = fn;
    continue;
  }
  timed[kernel] = (...a: number[]) => {
    if (!timing) return fn(...a);
    const t0 = now();
    const r = fn(...a);
    tally(kernel, a, now() - t0);
    return r;
  };
}
(b as { kernels: unknown }).kernels = timed;
// The pool runs the module's own functions (it took them at init), so a job is timed once, here.
const pool = b.pool;
if (pool) {
  pool.adaptive = !argv.includes("--forced");
  const run = pool.run.bind(pool);
  pool.run = (job: Job) => {
    if (!timing) return run(job);
    const t0 = now();
    run(job);
    tally(`${job.kernel} (pool)`, job.args as number[], now() - t0);
  };
}
/** Per pool job (by call in the step, numbered as in the table of calls, or by kernel): its traces. */
const jobTraces = new Map<string, JobTrace[]>();
pool?.traceJobs((t) => {
  if (!timing) return;
  // (inside pool.run, which tally() counts once it returns)
  const key = byCall ? `${String(callInStep).padStart(3)} ${t.kernel} (${t.chunks} chunks)` : t.kernel;
  const list = jobTraces.get(key) ?? [];
  list.push(t);
  jobTraces.set(key, list);
});
function tally(kernel: string, a: number[], ns: number): void {
  const key = byCall ? `${String(callInStep++).padStart(3)} ${kernel}(${a.map((v) => (typeof v !== "number" ? String(v) : Math.abs(v) >= 65536 ? "p" : +v.toFixed(3))).join(", ")})` : kernel;
  const t = tallies.get(key) ?? { ns: 0, calls: 0, flops: 0, steps: [] };
  if (t.steps.length <= step) t.steps.push(...new Array<number>(step + 1 - t.steps.length).fill(0));
  t.steps[step] += ns;
  t.ns += ns;
  t.calls++;
  t.flops += flopsOf(kernel, a);
  tallies.set(key, t);
}

// The cost of one timed call with no work in it, to subtract from each kernel's total.
function clockOverheadNs(): number {
  const probe = timed.fill_f32 as (p: number, n: number, v: number) => void;
  const p = b.heap.alloc(16, "profile probe");
  timing = true;
  const t0 = now();
  for (let i = 0; i < 100_000; i++) probe(p, 0, 0);
  const per = (now() - t0) / 100_000;
  timing = false;
  tallies.clear();
  b.heap.release(p, 16);
  const t1 = now();
  for (let i = 0; i < 100_000; i++) probe(p, 0, 0);
  return per - (now() - t1) / 100_000;
}

const c: Case = workload.simdgrad();
for (let i = 0; i < Math.min(50, steps); i++) c.run(); // tier-up, allocator steady state
const overhead = clockOverheadNs();
global.gc?.();
timing = true;
const t0 = now(), wall0 = performance.now(), cpu0 = process.cpuUsage();
for (step = 0; step < steps; step++) {
  callInStep = 0;
  c.run();
}
const wallNs = now() - t0;
const cpuUsed = process.cpuUsage(cpu0);
const cpuShare = (cpuUsed.user + cpuUsed.system) / 1e3 / (performance.now() - wall0);
timing = false;
c.dispose?.();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : 0;
};
const rows = [...tallies].map(([kernel, t]) => {
  const perCall = t.calls / steps;
  const perStepNs = Array.from({ length: steps }, (_, i) => t.steps[i] ?? 0);
  return { kernel, ns: Math.max(0, t.ns - t.calls * overhead), medianNs: Math.max(0, median(perStepNs) - perCall * overhead), calls: t.calls, flops: t.flops };
});
if (!byCall) rows.sort((x, y) => y.ns - x.ns);
const kernelNs = rows.reduce((s, r) => s + r.ns, 0);
const calls = rows.reduce((s, r) => s + r.calls, 0);
const clockNs = calls * overhead;
const jsNs = wallNs - kernelNs - clockNs;
const perStep = (ns: number) => `${(ns / steps / 1e3).toFixed(1)} µs`;
const pct = (ns: number) => `${((100 * ns) / wallNs).toFixed(1)}%`;
const gemmRows = rows.filter((r) => r.kernel.includes("gemm_f32"));
const gemm = gemmRows.length ? gemmRows.reduce((s, r) => ({ ns: s.ns + r.ns, calls: s.calls + r.calls, flops: s.flops + r.flops }), { ns: 0, calls: 0, flops: 0 }) : null;

console.log(`${workload.name}, build ${b.build}, ${steps} steps: ${perStep(wallNs)} per step (${cpuClock ? "CPU" : "wall"} clock; the process used ${(cpuShare * 100).toFixed(0)}% of a core), ` +
  `${(calls / steps).toFixed(0)} kernel calls per step, ${overhead.toFixed(0)} ns clock overhead per call (subtracted)`);
if (gemm) console.log(`GEMM inside the step: ${(gemm.flops / gemm.ns).toFixed(1)} GFLOP/s over ${(gemm.calls / steps).toFixed(0)} calls per step`);
const us = (ns: number) => `${(ns / 1e3).toFixed(1)} µs`;
console.log(`\n| part | per step | share | median step | calls per step |\n|---|---:|---:|---:|---:|`);
const shown = byCall ? rows : rows.filter((r) => r.ns / wallNs >= 0.005);
for (const r of shown) console.log(`| ${r.kernel} | ${perStep(r.ns)} | ${pct(r.ns)} | ${us(r.medianNs)} | ${(r.calls / steps).toFixed(0)} |`);
const rest = byCall ? [] : rows.filter((r) => r.ns / wallNs < 0.005);
if (rest.length) console.log(`| ${rest.length} other kernels | ${perStep(rest.reduce((s, r) => s + r.ns, 0))} | ${pct(rest.reduce((s, r) => s + r.ns, 0))} | ${us(rest.reduce((s, r) => s + r.medianNs, 0))} | ${(rest.reduce((s, r) => s + r.calls, 0) / steps).toFixed(0)} |`);
console.log(`| all kernels | ${perStep(kernelNs)} | ${pct(kernelNs)} | ${us(rows.reduce((s, r) => s + r.medianNs, 0))} | ${(calls / steps).toFixed(0)} |`);
console.log(`| JavaScript between kernels | ${perStep(jsNs)} | ${pct(jsNs)} | | ${(jsNs / calls / 1e3).toFixed(2)} µs per kernel call |`);
console.log(`| clock reads (profiling only) | ${perStep(clockNs)} | ${pct(clockNs)} | | |`);
if (jobTraces.size) {
  // (a job's parts in µs, the median over its runs, the mean in brackets; per step: the sums over its runs in a step)
  console.log(`\nJobs over the threads, traced: per job, median over its runs (mean in brackets), µs. The caller's wait is for chunks a worker still ran after its own; ` +
    `hand-off: from the caller publishing the job to the worker finding it; worker idle: the job's wall time outside the worker's chunks.`);
  console.log(`\n| job | runs per step | wall | caller's chunks | caller waits | hand-off | worker idle | chunks: caller / worker | worker found none |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|`);
  const cell = (xs: number[]) => `${(median(xs) * 1e3).toFixed(1)} (${((xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)) * 1e3).toFixed(1)})`;
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  for (const [key, ts] of [...jobTraces].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const w = ts.map((t) => t.workers[0]);
    const found = ts.filter((_, i) => w[i]);
    const fw = found.map((t) => t.workers[0]!);
    console.log(`| ${key} | ${(ts.length / steps).toFixed(0)} | ${cell(ts.map((t) => t.done - t.published))} | ${cell(ts.map((t) => t.callerDone - t.published))} | ${cell(ts.map((t) => t.done - t.callerDone))} | ` +
      `${cell(fw.map((r, i) => r.found - found[i].published))} | ${cell(found.map((t, i) => t.done - t.published - (fw[i].done - fw[i].found)))} | ` +
      `${(sum(ts.map((t) => t.callerChunks)) / ts.length).toFixed(1)} / ${(sum(fw.map((r) => r.chunks)) / ts.length).toFixed(1)} | ${(100 * (1 - found.length / ts.length)).toFixed(0)}% |`);
  }
  const all = [...jobTraces.values()].flat();
  console.log(`\nPer step, over all jobs: the caller waited ${perStep(sum(all.map((t) => t.done - t.callerDone)) * 1e6)} (${perStep(median(all.map((t) => t.done - t.callerDone)) * all.length * 1e6)} at the median job's wait); ` +
    `wall in jobs ${perStep(sum(all.map((t) => t.done - t.published)) * 1e6)}.`);
}

// simdgrad vs TensorFlow.js (wasm/XNNPACK and cpu backends, 1 thread each) in one process, ONNX
// Runtime Web (wasm, 1 thread) on the workloads that define it (inference of a model simdgrad
// exports), and with --torch native PyTorch (one thread, bench/torch_peer.py in a child process per round, alternating
// with the other rounds, so every ratio comes from one run on one machine).
//   node --expose-gc --import tsx bench/run.ts [--quick] [--json] [--filter <regex>] [--include-slow] [--threads N] [--contention] [--torch]
// Prints a table per workload and a summary; ratios > 1 mean simdgrad is better (faster or
// higher throughput). --json prints one object per result line instead. --threads N starts
// simdgrad's worker pool and measures simdgrad at N threads and at 1 (TF.js stays at 1).
import { spawnSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import * as sg from "../src/index.js";
// Every build, as an app opting in would: relaxed SIMD where the runtime validates it, and the
// shared-memory builds for --threads.
import "../src/relaxed.js";
import "../src/threads.js";
import { nodeWorkerSpawner } from "../src/backend/threads-node.js";
import { startBusy } from "./contention.js";
import { convWorkloads } from "./conv.js";
import { gemmWorkloads } from "./gemm.js";
import { int8Workloads } from "./int8.js";
import { advantage, IMPLS, measure, measureAsync, toValue, type AsyncCase, type Case, type Impl, type Timing, type TimingOptions, type Workload } from "./harness.js";
import { lenetWorkloads } from "./lenet.js";
import { sequenceWorkloads } from "./sequence.js";
import { mlpWorkloads } from "./mlp.js";
import { cannotTrain, initPeers, peerInfo, threadsOf, useBackend } from "./peers.js";

interface Row {
  workload: string;
  impl: Impl;
  threads: number;
  value: number | null;
  unit: string;
  ratioVsTfjsWasm: number | null;
  /** on workloads with an ONNX Runtime case: simdgrad's advantage over it in the same run */
  ratioVsOrt?: number | null;
  /** with --torch: simdgrad's advantage over native PyTorch measured in the same run */
  ratioVsTorch?: number | null;
  /** with --threads N: simdgrad's advantage over its own single thread (null for TF.js) */
  ratioVsOwn1Thread?: number | null;
  note?: string;
  build?: string;
  [extra: string]: unknown;
}

const HELP = `usage: npm run bench -- [--quick] [--json] [--filter <regex>] [--include-slow] [--threads N] [--contention] [--torch [--torch-coretype NAME]]
  --quick         fewer samples (about 3x faster, noisier)
  --json          one JSON object per line: workload, impl, threads, value, unit, ratioVsTfjsWasm
                  (with --threads also ratioVsOwn1Thread)
  --filter <re>   only workloads whose name matches the regular expression
  --include-slow  also run peer cases that take minutes per call (tfjs-cpu conv-res64-fwdbwd)
  --threads N     start simdgrad's worker pool with N threads; simdgrad is measured at N threads
                  and at 1 (setNumThreads) in the same process; TF.js stays at 1 thread
  --contention    a busy process spins on a core for the whole run (bench/contention.ts), as on a
                  shared machine; with --threads N it shows what the pool does then
  --torch         also run native PyTorch (1 thread) on the workloads bench/torch_peer.py defines,
                  alternating rounds with the others; needs a python3 with torch
                  ($SIMDGRAD_BENCH_PYTHON, else /usr/bin/python3, else python3)
  --torch-coretype NAME  OpenBLAS kernels for the PyTorch peer (OPENBLAS_CORETYPE, e.g. SkylakeX);
                  without it the peer gets OpenBLAS's own pick for this CPU`;

function parseThreads(v: string | undefined): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`bench: --threads needs a whole number >= 1, got ${v}\n${HELP}`);
    process.exit(2);
  }
  return n;
}

function parseArgs(argv: string[]) {
  const args = { quick: false, json: false, includeSlow: false, filter: null as RegExp | null, threads: 1, torch: false, torchCoretype: "", contention: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") args.quick = true;
    else if (a === "--json") args.json = true;
    else if (a === "--include-slow") args.includeSlow = true;
    else if (a === "--torch") args.torch = true;
    else if (a === "--torch-coretype" && i + 1 < argv.length) args.torchCoretype = argv[++i];
    else if (a.startsWith("--torch-coretype=")) args.torchCoretype = a.slice("--torch-coretype=".length);
    else if (a === "--contention") args.contention = true;
    else if (a === "--filter" && i + 1 < argv.length) args.filter = new RegExp(argv[++i]);
    else if (a.startsWith("--filter=")) args.filter = new RegExp(a.slice("--filter=".length));
    else if (a === "--threads") args.threads = parseThreads(argv[++i]);
    else if (a.startsWith("--threads=")) args.threads = parseThreads(a.slice("--threads=".length));
    else {
      console.error(a === "--help" || a === "-h" ? HELP : `bench: unknown argument ${a}\n${HELP}`);
      process.exit(a === "--help" || a === "-h" ? 0 : 2);
    }
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const timing: TimingOptions = { quick: args.quick, slowCallSeconds: 1 };
const MEMORY_WORKLOAD = "mlp-train-peak-mem";
/** --threads N with N > 1: simdgrad is measured at N threads and at 1 (its own baseline). */
const multiThreaded = args.threads > 1;
// The pool must start before any tensor exists, so no workload is built before this.
const simdgradBuild = (await sg.init(multiThreaded ? { threads: args.threads, spawnWorker: nodeWorkerSpawner } : {})).build;

const workloads = [...gemmWorkloads, ...mlpWorkloads, ...convWorkloads, ...lenetWorkloads, ...sequenceWorkloads, ...int8Workloads];
const names = [...workloads.map((w) => w.name), MEMORY_WORKLOAD];
const selected = names.filter((n) => !args.filter || args.filter.test(n));
if (!selected.length) {
  console.error(`bench: --filter ${args.filter} matches none of: ${names.join(", ")}`);
  process.exit(2);
}
/** ONNX Runtime gets a column when a selected workload defines its case. */
const withOrt = workloads.some((w) => w.ort && selected.includes(w.name));

/** One measured column: an implementation at a thread count. */
interface Variant {
  impl: Impl;
  threads: number;
}

const VARIANTS: Variant[] = [
  { impl: "simdgrad", threads: args.threads },
  ...(multiThreaded ? [{ impl: "simdgrad" as const, threads: 1 }] : []),
  { impl: "tfjs-wasm", threads: 1 }, // threadsOf("tfjs-wasm") once the peers are initialised
  { impl: "tfjs-cpu", threads: 1 },
  ...(withOrt ? [{ impl: "ort-wasm" as const, threads: 1 }] : []),
  ...(args.torch ? [{ impl: "pytorch" as const, threads: 1 }] : []),
];

/** The first python that imports torch, or the reason there is none. */
function findTorchPython(): { python: string } | { error: string } {
  const candidates = [process.env.SIMDGRAD_BENCH_PYTHON, "/usr/bin/python3", "python3"].filter((p): p is string => !!p);
  for (const python of candidates) {
    if (spawnSync(python, ["-c", "import torch"], { stdio: "ignore" }).status === 0) return { python };
  }
  return { error: `no python with torch among ${candidates.join(", ")} (Debian: apt-get install python3-torch)` };
}
const torchPython = args.torch ? findTorchPython() : null;
if (torchPython && "error" in torchPython) {
  console.error(`bench: --torch: ${torchPython.error}`);
  process.exit(2);
}

let torchInfo = "";

/**
 * The register-only f32x4 multiply-add ceiling (bench/simd-peak) of the build simdgrad loaded,
 * measured in this run (a child process), so GFLOP/s rows are also a fraction of it.
 */
function measurePeak(): { plain: number | null; relaxed: number | null; mine: number | null } {
  const script = fileURLToPath(new URL("./simd-peak/run.mjs", import.meta.url));
  const out = spawnSync(process.execPath, ["--experimental-wasm-relaxed-simd", script], { encoding: "utf8" }).stdout ?? "";
  const read = (label: string) => Number(new RegExp(`${label}[^:]*: ([\\d.]+) GFLOP/s`).exec(out)?.[1]) || null;
  const plain = read("plain SIMD"), relaxed = read("relaxed SIMD");
  return { plain, relaxed, mine: simdgradBuild === "relaxed-simd" ? relaxed : plain };
}
let peak: ReturnType<typeof measurePeak> = { plain: null, relaxed: null, mine: null };

/** One round of native PyTorch on workload `name` in a child process (bench/torch_peer.py). */
function measureTorch(name: string): Timing {
  const script = fileURLToPath(new URL("./torch_peer.py", import.meta.url));
  const python = (torchPython as { python: string }).python;
  // OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE pin old OpenBLAS kernels on some machines here; the peer
  // gets its library's own choice, as a user's PyTorch would, unless --torch-coretype names the
  // kernels (OpenBLAS 0.3.21 does not know newer Xeons and falls back to SSE3 kernels on them).
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  if (args.torchCoretype) env.OPENBLAS_CORETYPE = args.torchCoretype;
  const child = spawnSync(python, [script, name, ...(args.quick ? ["--quick"] : [])], { encoding: "utf8", env });
  if (child.status !== 0) throw new Error(`torch_peer.py ${name}: ${child.stderr.trim().split("\n").pop()}`);
  const r = JSON.parse(child.stdout.trim().split("\n").pop()!);
  torchInfo = `PyTorch ${r.torch} (BLAS: ${r.blas})`;
  return { seconds: r.seconds, rme: r.rme, samples: r.samples, method: r.samples > 1 ? "torch_peer.py: timed cycles" : "1 timed call after 1 warm-up" };
}

function threads(v: Variant): number {
  return v.impl === "simdgrad" ? v.threads : threadsOf(v.impl);
}

function describeError(e: unknown): string {
  return cannotTrain(e) ?? `error: ${String((e as Error)?.message ?? e).split("\n")[0]}`;
}

async function switchTo(v: Variant): Promise<void> {
  if (v.impl === "simdgrad") sg.setNumThreads(v.threads);
  else if (v.impl === "tfjs-wasm" || v.impl === "tfjs-cpu") await useBackend(v.impl === "tfjs-wasm" ? "wasm" : "cpu");
}

/** Fills ratioVsTfjsWasm and, with --threads, ratioVsOwn1Thread (simdgrad rows only). */
function addRatios(rows: Row[]): Row[] {
  const value = (impl: Impl, threads?: number) => rows.find((r) => r.impl === impl && (threads === undefined || r.threads === threads))?.value ?? null;
  const ratio = (r: Row, base: number | null) => (r.value !== null && base !== null ? advantage(r.unit, r.value, base) : null);
  const peer = value("tfjs-wasm"), own1 = value("simdgrad", 1), torch = value("pytorch"), onnx = value("ort-wasm");
  for (const r of rows) {
    r.ratioVsTfjsWasm = ratio(r, peer);
    if (withOrt) r.ratioVsOrt = r.impl === "ort-wasm" ? null : ratio(r, onnx);
    if (args.torch) r.ratioVsTorch = r.impl === "pytorch" ? null : ratio(r, torch);
    if (multiThreaded) r.ratioVsOwn1Thread = r.impl === "simdgrad" ? ratio(r, own1) : null;
  }
  return rows;
}

/** GFLOP/s of a call taking `seconds`: GFLOP/s workloads, and ms workloads that count their FLOPs. */
function gflops(w: Workload, seconds: number): number | null {
  if (w.unit === "GFLOP/s") return toValue(w, seconds);
  return w.flops ? w.flops / seconds / 1e9 : null;
}

/**
 * simdgrad and tfjs-wasm are measured in alternating rounds (A B A B; with --threads, simdgrad at
 * N and at 1 thread then tfjs-wasm: A B C A B C) and each keeps its best round: load from other
 * processes only ever slows a round down, and alternation keeps a burst of it from landing on one
 * side only. tfjs-cpu and hand-timed slow cases run once. simdgrad's thread counts share one case.
 */
async function runWorkload(w: Workload): Promise<Row[]> {
  const cases = new Map<Impl, Case>();
  let ortCase: AsyncCase | null = null;
  const notes = new Map<Impl, string>();
  const best = new Map<Variant, Timing>();
  /** every round's value, for the spread over rounds */
  const roundValues = new Map<Variant, number[]>();
  const keep = (v: Variant, t: Timing, prev: Timing | undefined) => {
    roundValues.set(v, [...(roundValues.get(v) ?? []), toValue(w, t.seconds)]);
    if (!prev || t.seconds < prev.seconds) best.set(v, t);
  };
  for (const impl of IMPLS) {
    if (impl === "pytorch") {
      if (args.torch && !w.torch) notes.set(impl, "n/a: no PyTorch definition in bench/torch_peer.py");
      continue;
    }
    if (impl === "ort-wasm") {
      if (!withOrt) continue;
      if (!w.ort) notes.set(impl, "n/a: no ONNX Runtime case (inference workloads only)");
      else {
        try {
          ortCase = await w.ort();
        } catch (e) {
          notes.set(impl, describeError(e));
        }
      }
      continue;
    }
    if (w.slow?.includes(impl) && !args.includeSlow) {
      notes.set(impl, "skipped: one call takes minutes (--include-slow runs it)");
      continue;
    }
    await switchTo(VARIANTS.find((v) => v.impl === impl)!);
    try {
      cases.set(impl, impl === "simdgrad" ? w.simdgrad() : w.tfjs());
    } catch (e) {
      notes.set(impl, describeError(e));
    }
  }
  const rounds = args.quick ? 1 : 2;
  for (let round = 0; round < rounds; round++) {
    for (const v of VARIANTS) {
      const prev = best.get(v);
      if (v.impl === "pytorch") {
        if (!w.torch || notes.has("pytorch") || (round > 0 && prev?.samples === 1)) continue;
        if (args.json) process.stderr.write(`${w.name} pytorch (round ${round + 1})...\n`);
        try {
          const t = measureTorch(w.torch);
          keep(v, t, prev);
        } catch (e) {
          notes.set(v.impl, describeError(e));
        }
        continue;
      }
      if (v.impl === "ort-wasm") {
        if (!ortCase || (round > 0 && prev?.method !== "benchmark.js")) continue;
        if (args.json) process.stderr.write(`${w.name} ort-wasm (round ${round + 1})...\n`);
        try {
          keep(v, await measureAsync(ortCase.run, timing), prev);
        } catch (e) {
          notes.set(v.impl, describeError(e));
          await ortCase.dispose?.();
          ortCase = null;
        }
        global.gc?.();
        continue;
      }
      const c = cases.get(v.impl);
      if (!c || (round > 0 && (v.impl === "tfjs-cpu" || prev?.method !== "benchmark.js"))) continue;
      if (args.json) process.stderr.write(`${w.name} ${v.impl} ${v.threads}t (round ${round + 1})...\n`);
      await switchTo(v);
      try {
        const t = measure(c.run, timing);
        keep(v, t, prev);
      } catch (e) {
        notes.set(v.impl, describeError(e));
        cases.delete(v.impl);
        c.dispose?.();
      }
      global.gc?.();
    }
  }
  for (const [impl, c] of cases) {
    await switchTo(VARIANTS.find((v) => v.impl === impl)!);
    c.dispose?.();
  }
  await ortCase?.dispose?.();

  return addRatios(VARIANTS.map((v) => {
    const t = best.get(v);
    const note = notes.get(v.impl);
    return {
      workload: w.name, impl: v.impl, threads: threads(v), value: t ? toValue(w, t.seconds) : null, unit: w.unit, ratioVsTfjsWasm: null,
      ...(v.impl === "simdgrad" ? { build: simdgradBuild } : {}),
      // TF.js's wasm runs plain SIMD: its rows are a fraction of the plain peak (native PyTorch's are not wasm)
      ...(t && v.impl !== "pytorch" && gflops(w, t.seconds) !== null && peak.plain && peak.mine ? { fractionOfPeak: gflops(w, t.seconds)! / (v.impl === "simdgrad" ? peak.mine : peak.plain) } : {}),
      ...(note ? { note } : {}),
      ...(t ? { rme: t.rme, samples: t.samples, method: t.method, rounds: roundValues.get(v) } : {}),
    };
  }));
}

/**
 * Peak memory of MLP training, measured in a fresh process (wasm memories only ever grow), one
 * per simdgrad thread count; TF.js wasm's heap comes from the first.
 */
function runMemory(): Row[] {
  const script = fileURLToPath(new URL("./mlp-memory.ts", import.meta.url));
  const base = { workload: MEMORY_WORKLOAD, unit: "bytes", ratioVsTfjsWasm: null };
  let peer: number | null = null;
  const rows = VARIANTS.map((v): Row => {
    if (v.impl === "tfjs-wasm") return { ...base, impl: v.impl, threads: threads(v), value: peer, note: "wasm heap after the same steps" };
    if (v.impl === "tfjs-cpu") return { ...base, impl: v.impl, threads: 1, value: null, note: "n/a (JS heap, no wasm memory)" };
    if (v.impl === "pytorch") return { ...base, impl: v.impl, threads: 1, value: null, note: "not measured (native heap)" };
    if (v.impl === "ort-wasm") return { ...base, impl: v.impl, threads: 1, value: null, note: "not measured (inference only)" };
    const child = spawnSync(process.execPath, [...process.execArgv, script, args.quick ? "5" : "20", String(v.threads)], { encoding: "utf8" });
    const line = child.stdout.trim().split("\n").pop() ?? "";
    let m;
    try {
      m = JSON.parse(line);
    } catch {
      const note = `error: ${child.stderr.trim().split("\n").slice(-3).join(" ")}`.slice(0, 300);
      return { ...base, impl: v.impl, threads: v.threads, value: null, note };
    }
    peer ??= m.tfjsWasmHeapBytes;
    return {
      ...base, impl: v.impl, threads: v.threads, value: m.peakWasmMemoryBytes, build: simdgradBuild,
      budgetBytes: m.budgetBytes, allocatorHighWaterBytes: m.allocatorHighWaterBytes, budget: m.budget, steps: m.steps,
      note: `budget (params+grads+Adam+activations) ${m.budgetBytes} B; allocator high-water ${m.allocatorHighWaterBytes} B = ` +
        `${(m.allocatorHighWaterBytes / m.budgetBytes).toFixed(2)}x budget; wasm memory = ${(m.peakWasmMemoryBytes / m.budgetBytes).toFixed(2)}x budget`,
    };
  });
  return addRatios(rows);
}

function fmt(v: number | null, unit: string): string {
  if (v === null) return "—";
  if (unit === "bytes") return `${(v / 2 ** 20).toFixed(2)} MiB`;
  if (v >= 1000) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  if (v >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

function fmtRatio(r: number | null): string {
  return r === null ? "—" : `${r.toFixed(2)}x`;
}

function printWorkloadTable(rows: Row[]): void {
  const { workload, unit } = rows[0];
  const better = unit === "ms" || unit === "bytes" ? "lower is better" : "higher is better";
  const own1 = (r: Row | null) =>
    (multiThreaded ? ` ${(r ? fmtRatio(r.ratioVsOwn1Thread ?? null) : "vs 1 thread").padStart(12)}` : "") +
    (withOrt ? ` ${(r ? fmtRatio(r.ratioVsOrt ?? null) : "vs ort-wasm").padStart(11)}` : "") +
    (args.torch ? ` ${(r ? fmtRatio(r.ratioVsTorch ?? null) : "vs pytorch").padStart(11)}` : "");
  console.log(`\n${workload}  [${unit}, ${better}]`);
  console.log(`  ${"impl".padEnd(10)} ${"threads".padStart(7)} ${"value".padStart(11)} ${"±rme".padStart(7)} ${"vs tfjs-wasm".padStart(13)}${own1(null)}  note`);
  for (const r of rows) {
    const rme = typeof r.rme === "number" ? `${r.rme.toFixed(1)}%` : "";
    const note = [typeof r.fractionOfPeak === "number" ? `${(100 * r.fractionOfPeak).toFixed(1)}% of the ${r.impl === "simdgrad" ? simdgradBuild : "plain SIMD"} peak` : null, r.note, r.method && !/benchmark\.js|timed cycles/.test(String(r.method)) ? r.method : null].filter(Boolean).join("; ");
    console.log(`  ${r.impl.padEnd(10)} ${String(r.threads).padStart(7)} ${fmt(r.value, unit).padStart(11)} ${rme.padStart(7)} ${fmtRatio(r.ratioVsTfjsWasm).padStart(13)}${own1(r)}  ${note}`);
  }
}

/** Rows come in VARIANTS order: simdgrad at N threads first, then (with --threads) at 1. */
function printSummary(all: Row[][]): void {
  const n = args.threads;
  const label = (v: Variant) => (v.impl === "simdgrad" && multiThreaded ? `simdgrad ${v.threads}t` : v.impl);
  const ratios = [
    ...(multiThreaded ? [`${n}t vs 1t`, `${n}t vs tfjs-wasm`, "1t vs tfjs-wasm", `${n}t vs tfjs-cpu`] : ["vs tfjs-wasm", "vs tfjs-cpu"]),
    ...(withOrt ? [multiThreaded ? `${n}t vs ort-wasm` : "vs ort-wasm"] : []),
    ...(args.torch ? [multiThreaded ? `${n}t vs pytorch` : "vs pytorch"] : []),
  ];
  console.log("\n## Summary (ratios: simdgrad's advantage; > 1 = simdgrad better)\n");
  console.log(`| workload | unit | ${VARIANTS.map(label).join(" | ")} | ${ratios.join(" | ")} |`);
  console.log(`|---|---|${"---:|".repeat(VARIANTS.length + ratios.length)}`);
  for (const rows of all) {
    const mine = rows[0];
    const cpu = rows.find((r) => r.impl === "tfjs-cpu")!;
    const cell = (r: Row) => (r.value === null ? (r.note ?? "—").replace(/\|/g, "/") : fmt(r.value, r.unit));
    const vsCpu = mine.value !== null && cpu.value !== null ? advantage(mine.unit, mine.value, cpu.value) : null;
    const ratioCells = [
      ...(multiThreaded ? [mine.ratioVsOwn1Thread ?? null, mine.ratioVsTfjsWasm, rows[1].ratioVsTfjsWasm, vsCpu] : [mine.ratioVsTfjsWasm, vsCpu]),
      ...(withOrt ? [mine.ratioVsOrt ?? null] : []),
      ...(args.torch ? [mine.ratioVsTorch ?? null] : []),
    ];
    console.log(`| ${mine.workload} | ${mine.unit} | ${rows.map(cell).join(" | ")} | ${ratioCells.map(fmtRatio).join(" | ")} |`);
  }
}

async function main(): Promise<void> {
  await initPeers();
  const busy = args.contention ? startBusy(1) : null;
  const header =
    `simdgrad build: ${simdgradBuild} (${multiThreaded ? `pool of ${args.threads} threads, also measured at 1` : "1 thread"}) | ${peerInfo()} | node ${process.version} | ` +
    `${cpus()[0]?.model ?? "?"} x${cpus().length} | load ${loadavg().map((l) => l.toFixed(2)).join(" ")} | ${args.quick ? "quick" : "full"}` +
    (busy ? " | with a busy process spinning on a core" : "");
  if (args.json) process.stderr.write(header + "\n");
  else console.log(header);
  peak = measurePeak();
  const peakLine = `multiply-add peak (bench/simd-peak, this run): plain SIMD ${peak.plain ?? "?"} GFLOP/s, relaxed SIMD ${peak.relaxed ?? "?"} GFLOP/s`;
  if (args.json) console.log(JSON.stringify({ workload: "simd-peak", plainGflops: peak.plain, relaxedGflops: peak.relaxed }));
  else console.log(peakLine);

  const all: Row[][] = [];
  const t0 = performance.now();
  for (const name of selected) {
    const rows = name === MEMORY_WORKLOAD ? runMemory() : await runWorkload(workloads.find((w) => w.name === name)!);
    all.push(rows);
    if (args.json) for (const r of rows) console.log(JSON.stringify(r));
    else printWorkloadTable(rows);
  }
  if (torchInfo) console.log(`\npytorch: ${torchInfo}, 1 thread, in a child process per round`);
  busy?.stop();
  if (!args.json) {
    printSummary(all);
    console.log(`\n${((performance.now() - t0) / 1e3).toFixed(0)} s`);
  }
}

// The TF.js wasm module's Emscripten glue rethrows uncaught errors with its whole source: report here.
await main().catch((e: unknown) => {
  console.error(`bench: ${(e as Error)?.stack ?? e}`);
  process.exit(1);
});

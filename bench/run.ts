// simdgrad vs TensorFlow.js (wasm/XNNPACK and cpu backends, 1 thread each) in one process.
//   node --expose-gc --import tsx bench/run.ts [--quick] [--json] [--filter <regex>] [--include-slow]
// Prints a table per workload and a summary; ratios > 1 mean simdgrad is better (faster or
// higher throughput). --json prints one object per result line instead.
import { spawnSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import * as sg from "../src/index.js";
import { backend } from "../src/backend/wasm.js";
import { convWorkloads } from "./conv.js";
import { gemmWorkloads } from "./gemm.js";
import { advantage, IMPLS, measure, toValue, type Case, type Impl, type Timing, type TimingOptions, type Workload } from "./harness.js";
import { lenetWorkloads } from "./lenet.js";
import { mlpWorkloads } from "./mlp.js";
import { cannotTrain, initPeers, peerInfo, threadsOf, useBackend } from "./peers.js";

interface Row {
  workload: string;
  impl: Impl;
  threads: number;
  value: number | null;
  unit: string;
  ratioVsTfjsWasm: number | null;
  note?: string;
  build?: string;
  [extra: string]: unknown;
}

const HELP = `usage: npm run bench -- [--quick] [--json] [--filter <regex>] [--include-slow]
  --quick         fewer samples (about 3x faster, noisier)
  --json          one JSON object per line: workload, impl, threads, value, unit, ratioVsTfjsWasm
  --filter <re>   only workloads whose name matches the regular expression
  --include-slow  also run peer cases that take minutes per call (tfjs-cpu conv-res64-fwdbwd)`;

function parseArgs(argv: string[]) {
  const args = { quick: false, json: false, includeSlow: false, filter: null as RegExp | null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") args.quick = true;
    else if (a === "--json") args.json = true;
    else if (a === "--include-slow") args.includeSlow = true;
    else if (a === "--filter" && i + 1 < argv.length) args.filter = new RegExp(argv[++i]);
    else if (a.startsWith("--filter=")) args.filter = new RegExp(a.slice("--filter=".length));
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
const simdgradBuild = backend().build;

function threads(impl: Impl): number {
  return impl === "simdgrad" ? sg.getNumThreads() : threadsOf(impl);
}

function describeError(e: unknown): string {
  return cannotTrain(e) ?? `error: ${String((e as Error)?.message ?? e).split("\n")[0]}`;
}

async function switchTo(impl: Impl): Promise<void> {
  if (impl !== "simdgrad") await useBackend(impl === "tfjs-wasm" ? "wasm" : "cpu");
}

/**
 * simdgrad and tfjs-wasm are measured in alternating rounds (A B A B) and each keeps its best
 * round: load from other processes only ever slows a round down, and alternation keeps a burst of
 * it from landing on one side only. tfjs-cpu and hand-timed slow cases run once.
 */
async function runWorkload(w: Workload): Promise<Row[]> {
  const cases = new Map<Impl, Case>();
  const notes = new Map<Impl, string>();
  const best = new Map<Impl, Timing>();
  for (const impl of IMPLS) {
    if (w.slow?.includes(impl) && !args.includeSlow) {
      notes.set(impl, "skipped: one call takes minutes (--include-slow runs it)");
      continue;
    }
    await switchTo(impl);
    try {
      cases.set(impl, impl === "simdgrad" ? w.simdgrad() : w.tfjs());
    } catch (e) {
      notes.set(impl, describeError(e));
    }
  }
  const rounds = args.quick ? 1 : 2;
  for (let round = 0; round < rounds; round++) {
    for (const impl of IMPLS) {
      const c = cases.get(impl);
      const prev = best.get(impl);
      if (!c || (round > 0 && (impl === "tfjs-cpu" || prev?.method !== "benchmark.js"))) continue;
      if (args.json) process.stderr.write(`${w.name} ${impl} (round ${round + 1})...\n`);
      await switchTo(impl);
      try {
        const t = measure(c.run, timing);
        if (!prev || t.seconds < prev.seconds) best.set(impl, t);
      } catch (e) {
        notes.set(impl, describeError(e));
        cases.delete(impl);
        c.dispose?.();
      }
      global.gc?.();
    }
  }
  for (const [impl, c] of cases) {
    await switchTo(impl);
    c.dispose?.();
  }

  const rows: Row[] = IMPLS.map((impl) => {
    const t = best.get(impl);
    const note = notes.get(impl);
    return {
      workload: w.name, impl, threads: threads(impl), value: t ? toValue(w, t.seconds) : null, unit: w.unit, ratioVsTfjsWasm: null,
      ...(impl === "simdgrad" ? { build: simdgradBuild } : {}),
      ...(note ? { note } : {}),
      ...(t ? { rme: t.rme, samples: t.samples, method: t.method } : {}),
    };
  });
  const peer = rows.find((r) => r.impl === "tfjs-wasm")!.value;
  for (const r of rows) r.ratioVsTfjsWasm = r.value !== null && peer !== null ? advantage(w.unit, r.value, peer) : null;
  return rows;
}

/** Peak memory of MLP training, measured in a fresh process (wasm memories only ever grow). */
function runMemory(): Row[] {
  const script = fileURLToPath(new URL("./mlp-memory.ts", import.meta.url));
  const child = spawnSync(process.execPath, [...process.execArgv, script, args.quick ? "5" : "20"], { encoding: "utf8" });
  const line = child.stdout.trim().split("\n").pop() ?? "";
  const base = { workload: MEMORY_WORKLOAD, unit: "bytes" };
  let m;
  try {
    m = JSON.parse(line);
  } catch {
    const note = `error: ${child.stderr.trim().split("\n").slice(-3).join(" ")}`.slice(0, 300);
    return IMPLS.map((impl) => ({ ...base, impl, threads: threads(impl), value: null, ratioVsTfjsWasm: null, note }));
  }
  return [
    {
      ...base, impl: "simdgrad", threads: threads("simdgrad"), value: m.peakWasmMemoryBytes, build: simdgradBuild,
      ratioVsTfjsWasm: advantage("bytes", m.peakWasmMemoryBytes, m.tfjsWasmHeapBytes),
      budgetBytes: m.budgetBytes, allocatorHighWaterBytes: m.allocatorHighWaterBytes, budget: m.budget, steps: m.steps,
      note: `budget (params+grads+Adam+activations) ${m.budgetBytes} B; allocator high-water ${m.allocatorHighWaterBytes} B = ` +
        `${(m.allocatorHighWaterBytes / m.budgetBytes).toFixed(2)}x budget; wasm memory = ${(m.peakWasmMemoryBytes / m.budgetBytes).toFixed(2)}x budget`,
    },
    { ...base, impl: "tfjs-wasm", threads: threads("tfjs-wasm"), value: m.tfjsWasmHeapBytes, ratioVsTfjsWasm: 1, note: "wasm heap after the same steps" },
    { ...base, impl: "tfjs-cpu", threads: 1, value: null, ratioVsTfjsWasm: null, note: "n/a (JS heap, no wasm memory)" },
  ];
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
  console.log(`\n${workload}  [${unit}, ${better}]`);
  console.log(`  ${"impl".padEnd(10)} ${"threads".padStart(7)} ${"value".padStart(11)} ${"±rme".padStart(7)} ${"vs tfjs-wasm".padStart(13)}  note`);
  for (const r of rows) {
    const rme = typeof r.rme === "number" ? `${r.rme.toFixed(1)}%` : "";
    const note = [r.note, r.method && r.method !== "benchmark.js" ? r.method : null].filter(Boolean).join("; ");
    console.log(`  ${r.impl.padEnd(10)} ${String(r.threads).padStart(7)} ${fmt(r.value, unit).padStart(11)} ${rme.padStart(7)} ${fmtRatio(r.ratioVsTfjsWasm).padStart(13)}  ${note}`);
  }
}

function printSummary(all: Row[][]): void {
  console.log("\n## Summary (ratios: simdgrad's advantage; > 1 = simdgrad better)\n");
  console.log("| workload | unit | simdgrad | tfjs-wasm | tfjs-cpu | vs tfjs-wasm | vs tfjs-cpu |");
  console.log("|---|---|---:|---:|---:|---:|---:|");
  for (const rows of all) {
    const by = (impl: Impl) => rows.find((r) => r.impl === impl)!;
    const [mine, wasm, cpu] = IMPLS.map(by);
    const cell = (r: Row) => (r.value === null ? (r.note ?? "—").replace(/\|/g, "/") : fmt(r.value, r.unit));
    const vsCpu = mine.value !== null && cpu.value !== null ? advantage(mine.unit, mine.value, cpu.value) : null;
    console.log(`| ${mine.workload} | ${mine.unit} | ${cell(mine)} | ${cell(wasm)} | ${cell(cpu)} | ${fmtRatio(mine.ratioVsTfjsWasm)} | ${fmtRatio(vsCpu)} |`);
  }
}

async function main(): Promise<void> {
  await initPeers();
  const header =
    `simdgrad build: ${simdgradBuild} (${sg.getNumThreads()} thread) | ${peerInfo()} | node ${process.version} | ` +
    `${cpus()[0]?.model ?? "?"} x${cpus().length} | load ${loadavg().map((l) => l.toFixed(2)).join(" ")} | ${args.quick ? "quick" : "full"}`;
  if (args.json) process.stderr.write(header + "\n");
  else console.log(header);

  const workloads = [...gemmWorkloads, ...mlpWorkloads, ...convWorkloads, ...lenetWorkloads];
  const names = [...workloads.map((w) => w.name), MEMORY_WORKLOAD];
  const selected = names.filter((n) => !args.filter || args.filter.test(n));
  if (!selected.length) {
    console.error(`bench: --filter ${args.filter} matches none of: ${names.join(", ")}`);
    process.exit(2);
  }
  const all: Row[][] = [];
  const t0 = performance.now();
  for (const name of selected) {
    const rows = name === MEMORY_WORKLOAD ? runMemory() : await runWorkload(workloads.find((w) => w.name === name)!);
    all.push(rows);
    if (args.json) for (const r of rows) console.log(JSON.stringify(r));
    else printWorkloadTable(rows);
  }
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

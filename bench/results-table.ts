// The markdown tables of bench/RESULTS.md from `npm run bench -- --json` output: one row per
// workload with every round in brackets, the spread within the best round (±rme), the fraction of
// the peak measured at the start of the same run, and each peer with its ratio from that run.
//   node --import tsx bench/results-table.ts <run.jsonl>...   (prints the markdown)
// The files are kept in bench/results/runs/ so that a table can be checked against its run.
import { readFileSync } from "node:fs";

interface Row {
  workload: string;
  impl: string;
  threads: number;
  value: number | null;
  unit: string;
  rounds?: number[];
  rme?: number;
  fractionOfPeak?: number;
  ratioVsTfjsWasm: number | null;
  ratioVsOrt?: number | null;
  ratioVsTorch?: number | null;
  note?: string;
}

function fmt(v: number | null | undefined, unit: string): string {
  if (v === null || v === undefined) return "—";
  if (unit === "bytes") return `${(v / 2 ** 20).toFixed(2)} MiB`;
  if (v >= 1000) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  if (v >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

const ratio = (r: number | null | undefined) => (r === null || r === undefined ? "—" : `${r.toFixed(2)}x`);

/** the value with its rounds, or the note that says why there is none */
function cell(r: Row | undefined): string {
  if (!r) return "";
  // no value: the note's first words ("n/a", "cannot train", "skipped"); the JSON keeps the whole note
  if (r.value === null) return /^(error: )?n\/a/.test(r.note ?? "") ? "n/a" : (r.note ?? "—").replace(/[|:(].*$/, "").trim();
  const rounds = r.rounds && r.rounds.length > 1 ? ` (${r.rounds.map((x) => fmt(x, r.unit)).join(", ")})` : "";
  return fmt(r.value, r.unit) + rounds;
}

function table(path: string): string {
  const lines = readFileSync(path, "utf8").split("\n").filter((l) => l.startsWith("{"));
  const rows = lines.map((l) => JSON.parse(l) as Row & { plainGflops?: number; relaxedGflops?: number });
  const peak = rows.find((r) => r.workload === "simd-peak");
  const byWorkload = new Map<string, Row[]>();
  for (const r of rows) if (r.workload !== "simd-peak") byWorkload.set(r.workload, [...(byWorkload.get(r.workload) ?? []), r]);
  const withOrt = rows.some((r) => r.impl === "ort-wasm");
  const withTorch = rows.some((r) => r.impl === "pytorch");
  const head = ["workload", "unit", "simdgrad (rounds)", "±rme", "of peak", "tfjs-wasm (rounds)", "vs tfjs-wasm", "tfjs-cpu",
    ...(withOrt ? ["ort-wasm (rounds)", "vs ort-wasm"] : []), ...(withTorch ? ["pytorch (rounds)", "vs pytorch"] : [])];
  const out = [`peak in this run: plain ${peak?.plainGflops ?? "?"} GFLOP/s, relaxed ${peak?.relaxedGflops ?? "?"} GFLOP/s`, "",
    `| ${head.join(" | ")} |`, `|---|---|${"---:|".repeat(head.length - 2)}`];
  for (const [workload, rs] of byWorkload) {
    const get = (impl: string) => rs.find((r) => r.impl === impl);
    const mine = get("simdgrad")!;
    out.push(`| ${[workload, mine.unit, cell(mine), mine.rme !== undefined ? `${mine.rme.toFixed(1)}%` : "",
      mine.fractionOfPeak !== undefined ? `${(100 * mine.fractionOfPeak).toFixed(0)}%` : "",
      cell(get("tfjs-wasm")), ratio(mine.ratioVsTfjsWasm), cell(get("tfjs-cpu")).replace(/ \(.*/, ""),
      ...(withOrt ? [cell(get("ort-wasm")), ratio(mine.ratioVsOrt)] : []),
      ...(withTorch ? [cell(get("pytorch")), ratio(mine.ratioVsTorch)] : [])].join(" | ")} |`);
  }
  return out.join("\n");
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node --import tsx bench/results-table.ts <run.jsonl>...");
  process.exit(2);
}
console.log(files.map((f) => `${f}:\n\n${table(f)}`).join("\n\n"));

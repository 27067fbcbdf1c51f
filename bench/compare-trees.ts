// simdgrad against itself at another commit, side by side: each round runs every workload once in
// this checkout and once in the other (a child process per checkout and round, alternating which
// goes first), so both see the same machine; the best round of each is kept, and the spread over
// rounds is printed beside it (each side's range, and the range of the per-round ratios).
//   git worktree add --detach ../base <commit> && (cd ../base && npm ci)   # or link node_modules, then npm run build:wasm
//   node --expose-gc --import tsx bench/compare-trees.ts ../base [--rounds N] [--filter <regex>] [--relaxed]
// Only simdgrad runs (1 thread; the plain SIMD build, or with --relaxed the relaxed-SIMD build,
// under --experimental-wasm-relaxed-simd); each checkout's own bench/ workload definitions and
// timing loop are used, so a workload must exist under the same name in both.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

interface Result { workload: string; unit: string; value: number; build: string }

/** Child: measure this checkout's simdgrad on the selected workloads, one JSON line each. */
async function child(tree: string, filter: RegExp, relaxed: boolean): Promise<void> {
  const at = (f: string) => pathToFileURL(resolve(tree, f)).href;
  if (relaxed) await import(at("src/relaxed.ts"));
  const sg = await import(at("src/index.ts"));
  await sg.init({ relaxedSimd: relaxed });
  const { backend } = await import(at("src/backend/wasm.ts"));
  const build: string = backend().build;
  const { measure, toValue } = await import(at("bench/harness.ts"));
  const modules = ["gemm", "mlp", "conv", "lenet", "sequence", "int8"];
  type W = { name: string; unit: string; simdgrad: () => { run: () => void; dispose?: () => void } };
  const isWorkloads = (v: unknown): v is W[] => Array.isArray(v) && typeof v[0]?.simdgrad === "function";
  const workloads = (await Promise.all(modules.map(async (m) => Object.values(await import(at(`bench/${m}.ts`))).filter(isWorkloads).flat()))).flat();
  for (const w of workloads.filter((w) => filter.test(w.name))) {
    const c = w.simdgrad();
    const t = measure(c.run, { quick: false, slowCallSeconds: 1 });
    c.dispose?.();
    console.log(JSON.stringify({ workload: w.name, unit: w.unit, value: toValue(w, t.seconds), build }));
  }
}

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const filter = new RegExp(opt("--filter", "^(gemm-(256|512|mlp)|mlp-train|mlp-infer-b128|conv-lenet[12]-fwdbwd|conv-res64-fwd|lenet-train)$"));
const relaxed = argv.includes("--relaxed");
if (argv[0] === "--child") {
  await child(argv[1], filter, relaxed);
} else {
  const base = argv[0];
  if (!base || base.startsWith("--")) {
    console.error("usage: compare-trees.ts <other checkout> [--rounds N] [--filter <regex>]");
    process.exit(2);
  }
  const trees = { here: resolve("."), base: resolve(base) };
  const rounds = Number(opt("--rounds", "3"));
  const execArgv = [...process.execArgv, ...(relaxed ? ["--experimental-wasm-relaxed-simd"] : [])];
  // every round's value per workload and side
  const rows = new Map<string, { unit: string; here: number[]; base: number[] }>();
  const builds = new Set<string>();
  for (let r = 0; r < rounds; r++) {
    for (const side of (r % 2 ? ["base", "here"] : ["here", "base"]) as ("here" | "base")[]) {
      const args = [new URL(import.meta.url).pathname, "--child", trees[side], "--filter", filter.source, ...(relaxed ? ["--relaxed"] : [])];
      const run = spawnSync(process.execPath, [...execArgv, ...args], { cwd: trees[side], encoding: "utf8" });
      if (run.status !== 0) throw new Error(`${side}: ${run.stderr.trim().split("\n").slice(-3).join(" ")}`);
      for (const line of run.stdout.trim().split("\n")) {
        const { workload, unit, value, build } = JSON.parse(line) as Result;
        const row = rows.get(workload) ?? { unit, here: [], base: [] };
        row[side].push(value);
        rows.set(workload, row);
        builds.add(build);
      }
      process.stderr.write(`round ${r + 1} ${side} done\n`);
    }
  }
  console.log(`build: ${[...builds].join(", ")}; ${rounds} rounds, alternating which checkout goes first`);
  console.log(`| workload | unit | this checkout: best (range) | ${base}: best (range) | ratio of the bests (> 1: this checkout faster) | per-round ratios |\n|---|---|---:|---:|---:|---:|`);
  const f = (v: number) => (v >= 100 ? v.toFixed(0) : v.toPrecision(3));
  for (const [w, { unit, here, base: other }] of rows) {
    const faster = (a: number, b: number) => (unit === "ms" ? b / a : a / b); // > 1: a is faster than b
    const best = (v: number[]) => (unit === "ms" ? Math.min(...v) : Math.max(...v));
    const side = (v: number[]) => `${f(best(v))} (${f(Math.min(...v))}–${f(Math.max(...v))})`;
    const perRound = here.map((h, i) => faster(h, other[i]));
    console.log(`| ${w} | ${unit} | ${side(here)} | ${side(other)} | ${faster(best(here), best(other)).toFixed(3)}x | ` +
      `${Math.min(...perRound).toFixed(3)}–${Math.max(...perRound).toFixed(3)}x |`);
  }
}

// simdgrad against itself at another commit, side by side: each round runs every workload once in
// this checkout and once in the other (a child process per checkout and round, alternating which
// goes first), so both see the same machine; the best round of each is kept.
//   git worktree add --detach ../base <commit> && (cd ../base && npm ci)   # or link node_modules, then npm run build:wasm
//   node --expose-gc --import tsx bench/compare-trees.ts ../base [--rounds N] [--filter <regex>]
// Only simdgrad runs (1 thread, plain SIMD build); each checkout's own bench/ workload definitions
// and timing loop are used, so a workload must exist under the same name in both.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

interface Result { workload: string; unit: string; value: number }

/** Child: measure this checkout's simdgrad on the selected workloads, one JSON line each. */
async function child(tree: string, filter: RegExp): Promise<void> {
  const at = (f: string) => pathToFileURL(resolve(tree, f)).href;
  const sg = await import(at("src/index.ts"));
  await sg.init({ relaxedSimd: false });
  const { measure, toValue } = await import(at("bench/harness.ts"));
  const modules = ["gemm", "mlp", "conv", "lenet", "sequence"];
  type W = { name: string; unit: string; simdgrad: () => { run: () => void; dispose?: () => void } };
  const isWorkloads = (v: unknown): v is W[] => Array.isArray(v) && typeof v[0]?.simdgrad === "function";
  const workloads = (await Promise.all(modules.map(async (m) => Object.values(await import(at(`bench/${m}.ts`))).filter(isWorkloads).flat()))).flat();
  for (const w of workloads.filter((w) => filter.test(w.name))) {
    const c = w.simdgrad();
    const t = measure(c.run, { quick: false, slowCallSeconds: 1 });
    c.dispose?.();
    console.log(JSON.stringify({ workload: w.name, unit: w.unit, value: toValue(w, t.seconds) }));
  }
}

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const filter = new RegExp(opt("--filter", "^(gemm-(256|512|mlp)|mlp-train|mlp-infer-b128|conv-lenet[12]-fwdbwd|conv-res64-fwd|lenet-train)$"));
if (argv[0] === "--child") {
  await child(argv[1], filter);
} else {
  const base = argv[0];
  if (!base || base.startsWith("--")) {
    console.error("usage: compare-trees.ts <other checkout> [--rounds N] [--filter <regex>]");
    process.exit(2);
  }
  const trees = { here: resolve("."), base: resolve(base) };
  const rounds = Number(opt("--rounds", "3"));
  const best = new Map<string, { unit: string; here?: number; base?: number }>();
  for (let r = 0; r < rounds; r++) {
    for (const side of (r % 2 ? ["base", "here"] : ["here", "base"]) as ("here" | "base")[]) {
      const run = spawnSync(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, "--child", trees[side], "--filter", filter.source], { cwd: trees[side], encoding: "utf8" });
      if (run.status !== 0) throw new Error(`${side}: ${run.stderr.trim().split("\n").slice(-3).join(" ")}`);
      for (const line of run.stdout.trim().split("\n")) {
        const { workload, unit, value } = JSON.parse(line) as Result;
        const b = best.get(workload) ?? { unit };
        const better = (old: number | undefined) => old === undefined || (unit === "ms" ? value < old : value > old);
        if (better(b[side])) b[side] = value;
        best.set(workload, b);
      }
      process.stderr.write(`round ${r + 1} ${side} done\n`);
    }
  }
  console.log(`| workload | unit | this checkout | ${base} | ratio (> 1: this checkout faster) |\n|---|---|---:|---:|---:|`);
  for (const [w, b] of best) {
    const ratio = b.here && b.base ? (b.unit === "ms" ? b.base / b.here : b.here / b.base) : NaN;
    const f = (v?: number) => (v === undefined ? "—" : v >= 100 ? v.toFixed(0) : v.toPrecision(3));
    console.log(`| ${w} | ${b.unit} | ${f(b.here)} | ${f(b.base)} | ${ratio.toFixed(3)}x |`);
  }
}

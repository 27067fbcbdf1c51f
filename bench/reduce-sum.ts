// Reduction throughput (GB/s read): a contiguous sum of 4M floats, a column sum of [4096, 1024]
// over dim 0, a row sum over dim 1, softmax and layerNorm over dim 1. Given other checkouts (built),
// all run in this process (each its own module graph and wasm memory), case by case in interleaved
// rounds with the order alternating, so all see the same machine; a round is the best of 3 runs of
// ~20 ms. Ratios are this checkout's rate over the other's, round by round.
//   node --import tsx bench/reduce-sum.ts [<other checkout>...] [--rounds N]
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { loadavg } from "node:os";

type Simdgrad = typeof import("../src/index.js");
interface Case { name: string; bytes: number; run: () => void }

function cases(sg: Simdgrad): Case[] {
  const flat = sg.full([1 << 22], 0.5);
  const grid = sg.full([4096, 1024], 0.5);
  return [
    { name: "sum of 4M floats", bytes: flat.size * 4, run: () => sg.sum(flat).dispose() },
    { name: "sum over dim 0 of [4096, 1024]", bytes: grid.size * 4, run: () => sg.sum(grid, 0).dispose() },
    { name: "sum over dim 1 of [4096, 1024]", bytes: grid.size * 4, run: () => sg.sum(grid, 1).dispose() },
    // The blocked exp-sum and squared-deviation sum (forward only).
    { name: "softmax over dim 1 of [4096, 1024]", bytes: grid.size * 4, run: () => sg.noGrad(() => sg.softmax(grid, 1)).dispose() },
    { name: "layerNorm over dim 1 of [4096, 1024]", bytes: grid.size * 4, run: () => sg.noGrad(() => sg.layerNorm(grid, 1024)).dispose() },
  ];
}

/** GB/s of the best of 3 runs of about 20 ms each. */
function rate(c: Case): number {
  const t0 = performance.now();
  c.run();
  const calls = Math.max(1, Math.round(20 / (performance.now() - t0)));
  let best = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    const t1 = performance.now();
    for (let i = 0; i < calls; i++) c.run();
    best = Math.min(best, (performance.now() - t1) / calls);
  }
  return c.bytes / best / 1e6;
}

const argv = process.argv.slice(2);
const at = argv.indexOf("--rounds");
const rounds = at >= 0 ? Number(argv[at + 1]) : 20;
const others = argv.filter((a, i) => !a.startsWith("--") && argv[i - 1] !== "--rounds");
const trees = [{ label: "this checkout", dir: resolve(".") }, ...others.map((o) => ({ label: o, dir: resolve(o) }))];
const sides = await Promise.all(trees.map(async (t) => {
  const sg: Simdgrad = await import(pathToFileURL(resolve(t.dir, "src/index.ts")).href);
  sg.initSync({ relaxedSimd: false });
  const cs = cases(sg);
  for (const c of cs) for (let i = 0; i < 10; i++) c.run(); // past the baseline tier
  return { ...t, cases: cs, rates: cs.map(() => [] as number[]) };
}));
const load0 = loadavg()[0];
// Case by case, so the checkouts' rounds of one case are a fraction of a second apart.
sides[0].cases.forEach((_, i) => {
  for (let r = 0; r < rounds; r++) for (const s of r % 2 ? [...sides].reverse() : sides) s.rates[i].push(rate(s.cases[i]));
});
const range = (xs: number[], digits = 1) => {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[s.length >> 1].toFixed(digits)} (${s[0].toFixed(digits)}–${s.at(-1)!.toFixed(digits)})`;
};
console.log(`${rounds} interleaved rounds, load average ${load0.toFixed(2)} -> ${loadavg()[0].toFixed(2)}; GB/s median (range)`);
sides[0].cases.forEach((c, i) => {
  const row = sides.map((s) => `${s.label}: ${range(s.rates[i])}`).join(", ");
  const ratios = sides.slice(1).map((s) => `; ratio to ${s.label} ${range(sides[0].rates[i].map((v, r) => v / s.rates[i][r]), 2)}`).join("");
  console.log(`${c.name}: ${row}${ratios}`);
});

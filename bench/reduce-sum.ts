// Reduction throughput (GB/s read) of sum: a contiguous sum of 4M floats, and a column sum of
// [4096, 1024] over dim 0. Run it for two kernel builds side by side when a reduction changes:
//   node --import tsx bench/reduce-sum.ts
import { full, sum, dispose } from "../src/index.js";

function rate(name: string, bytes: number, run: () => void): void {
  for (let i = 0; i < 10; i++) run(); // past the baseline tier
  let best = Infinity;
  for (let rep = 0; rep < 5; rep++) {
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) run();
    best = Math.min(best, (performance.now() - t0) / 20);
  }
  console.log(`${name}: ${(bytes / best / 1e6).toFixed(1)} GB/s (${best.toFixed(3)} ms)`);
}

const flat = full([1 << 22], 0.5);
const grid = full([4096, 1024], 0.5);
rate("sum of 4M floats", flat.size * 4, () => sum(flat).dispose());
rate("sum over dim 0 of [4096, 1024]", grid.size * 4, () => sum(grid, 0).dispose());
rate("sum over dim 1 of [4096, 1024]", grid.size * 4, () => sum(grid, 1).dispose());
dispose([flat, grid]);

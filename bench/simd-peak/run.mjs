// The wasm SIMD multiply-add ceiling of this machine, to put GEMM GFLOP/s in proportion:
//   node bench/simd-peak/run.mjs            (plain SIMD: f32x4.mul + f32x4.add)
//   node --experimental-wasm-relaxed-simd bench/simd-peak/run.mjs   (also f32x4.relaxed_madd)
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const asc = new URL("../../node_modules/.bin/asc", import.meta.url).pathname;
const source = new URL("./peak.ts", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "simd-peak-"));
const builds = [["plain SIMD (mul + add)", "simd"], ["relaxed SIMD (relaxed_madd)", "simd,relaxed-simd"]];
for (const [label, features] of builds) {
  const out = join(dir, `${features.replace(",", "-")}.wasm`);
  // Run from the temp dir so the project's asconfig.json (imported memory) does not apply.
  execFileSync(asc, [source, "-o", out, "--enable", features, "-O3", "--noAssert", "--runtime", "stub"], { cwd: dir });
  const bytes = readFileSync(out);
  if (!WebAssembly.validate(bytes)) {
    console.log(`${label}: not supported by this runtime (Node 20 needs --experimental-wasm-relaxed-simd)`);
    continue;
  }
  const { peak, peak8, tile4x8, tile4x8Row3Unfused, CHAINS, DOT_MACS, peakDot, tileDot, memory } = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports;
  /** best of 5 GFLOP/s of run() doing `flops` */
  const rate = (run, flops) => {
    run(); // tier up
    let best = 0;
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      run();
      best = Math.max(best, flops / ((performance.now() - t0) / 1000) / 1e9);
    }
    return best;
  };
  const iters = 20_000_000;
  const best = rate(() => peak(iters, 1.0001), iters * CHAINS.value * 4 * 2);
  console.log(`${label}: ${best.toFixed(1)} GFLOP/s (${CHAINS.value} f32x4 multiply-add chains, registers only, best of 5)`);
  const share = (v) => `${v.toFixed(1)} GFLOP/s = ${((100 * v) / best).toFixed(1)}%`;
  console.log(`  8 chains (a 4x8 register tile's accumulators): ${share(rate(() => peak8(iters, 1.0001), iters * 8 * 4 * 2))}`);
  // panels of kc = 256 (4 KiB of A, 8 KiB of B) in L1, 40,000 tiles
  const kc = 256, reps = 40_000, a = 65536, b = a + kc * 16, tile = b + kc * 32;
  if (memory.buffer.byteLength < tile + 128) memory.grow(Math.ceil((tile + 128 - memory.buffer.byteLength) / 65536));
  new Float32Array(memory.buffer, a, (tile - a) / 4).fill(0.5);
  const tileFlops = reps * kc * 64;
  console.log(`  a 4x8 tile's loads and multiply-adds, panels in L1: ${share(rate(() => tile4x8(reps, kc, a, b, tile), tileFlops))}; ` +
    `row 3 unfused: ${share(rate(() => tile4x8Row3Unfused(reps, kc, a, b, tile), tileFlops))}`);
  // int8 (assembly/qgemm.ts): 2 ops per multiply-add, as GFLOP/s counts them, so the ratio is int8's ceiling over float32's.
  const tileF32 = rate(() => tile4x8(reps, kc, a, b, tile), tileFlops);
  const dotOps = rate(() => peakDot(iters, 1), iters * CHAINS.value * DOT_MACS.value * 2);
  const groups = 128, tileDotOps = rate(() => tileDot(reps, groups, a, b, tile), reps * groups * 8 * DOT_MACS.value * 2);
  console.log(`  int8 dot group (${DOT_MACS.value} multiply-adds, 12 chains): ${dotOps.toFixed(1)} GOP/s = ${(dotOps / best).toFixed(2)}x the f32 peak; ` +
    `its 4x8 tile, panels in L1: ${tileDotOps.toFixed(1)} GOP/s = ${(tileDotOps / tileF32).toFixed(2)}x the f32 tile`);
}

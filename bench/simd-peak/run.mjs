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
  const { peak, CHAINS } = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports;
  peak(1_000_000, 1); // tier up
  const iters = 20_000_000;
  let best = 0;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    peak(iters, 1.0001);
    best = Math.max(best, (iters * CHAINS.value * 4 * 2) / ((performance.now() - t0) / 1000) / 1e9);
  }
  console.log(`${label}: ${best.toFixed(1)} GFLOP/s (${CHAINS.value} f32x4 multiply-add chains, registers only, best of 5)`);
}

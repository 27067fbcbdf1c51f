// How close to native PyTorch a wasm-SIMD training step can get on this machine, for the sequence
// workloads (bench/sequence.ts), all measured in one run, in interleaved rounds:
//   - the step's GEMM FLOPs, counted exactly from the GEMM calls of one step (2·M·N·K each);
//   - the wasm multiply-add peak (bench/simd-peak, plain and relaxed), so the GEMMs' time at 100%
//     of it is a lower bound on any wasm-SIMD step (everything else in the step only adds);
//   - our step (plain and relaxed builds), each in a child process;
//   - PyTorch's step (bench/torch_peer.py, 1 thread) as OpenBLAS picks its kernels here, with the
//     AVX-512 kernels forced (OPENBLAS_CORETYPE=SkylakeX), and restricted to AVX2
//     (OPENBLAS_CORETYPE=Haswell, ATEN_CPU_CAPABILITY=avx2).
// The best ratio a wasm-SIMD step could reach is PyTorch's step time over the GEMMs' time at the peak.
// With --base <checkout>, that checkout's simdgrad (plain build) runs in every round too: our own
// before/after in the same run.
//   node --expose-gc --experimental-wasm-relaxed-simd --import tsx bench/sequence-ceiling.ts [--rounds N] [--filter <regex>] [--base <checkout>]
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Workload } from "./harness.js";
import { median } from "./timing.js";
import { sequenceWorkloads } from "./sequence.js";

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);

/** Child: one build's step time for one workload in checkout `tree`, and the GEMM FLOPs of one step. */
async function child(tree: string, name: string, build: "plain" | "relaxed"): Promise<void> {
  const at = (f: string) => pathToFileURL(resolve(tree, f)).href;
  const sg = await import(at("src/index.ts"));
  await import(at("src/relaxed.ts"));
  const { measure } = await import(at("bench/harness.ts"));
  const b = await sg.init({ relaxedSimd: build === "relaxed" });
  const w = ((await import(at("bench/sequence.ts"))).sequenceWorkloads as Workload[]).find((x) => x.name === name)!;
  const c = w.simdgrad();
  // The kernels as exported, and a copy whose gemm_f32 counts its FLOPs, for one step.
  const kernels = b.kernels;
  const gemm = kernels.gemm_f32 as (...a: number[]) => void;
  let gemmFlops = 0;
  (b as { kernels: unknown }).kernels = {
    ...kernels,
    gemm_f32: (...a: number[]) => {
      gemmFlops += 2 * a[2] * a[3] * a[4]; // gemm_f32(transA, transB, M, N, K, ...)
      gemm(...a);
    },
  };
  c.run();
  (b as { kernels: unknown }).kernels = kernels;
  const t = measure(c.run, { quick: false, slowCallSeconds: 5 });
  c.dispose?.();
  console.log(JSON.stringify({ seconds: t.seconds, gemmFlops, build: b.build }));
}

if (argv[0] === "--child") {
  await child(argv[1], argv[2], argv[3] as "plain" | "relaxed");
  process.exit(0);
}

const rounds = Number(opt("--rounds", "3"));
const filter = new RegExp(opt("--filter", "."));
const self = fileURLToPath(import.meta.url);
const node = (args: string[]) => spawnSync(process.execPath, ["--expose-gc", "--experimental-wasm-relaxed-simd", "--import", "tsx", ...args], { encoding: "utf8" });

function peak(): { plain: number; relaxed: number } {
  const out = spawnSync(process.execPath, ["--experimental-wasm-relaxed-simd", fileURLToPath(new URL("./simd-peak/run.mjs", import.meta.url))], { encoding: "utf8" }).stdout;
  const read = (label: string) => Number(new RegExp(`${label}[^:]*: ([\\d.]+) GFLOP/s`).exec(out)?.[1]);
  return { plain: read("plain SIMD"), relaxed: read("relaxed SIMD") };
}

const TORCH_VARIANTS: Record<string, Record<string, string>> = {
  "PyTorch (OpenBLAS's own pick)": {},
  "PyTorch, AVX-512 OpenBLAS (SkylakeX)": { OPENBLAS_CORETYPE: "SkylakeX" },
  "PyTorch, AVX2 only (Haswell, ATen avx2)": { OPENBLAS_CORETYPE: "Haswell", ATEN_CPU_CAPABILITY: "avx2" },
};

function torch(name: string, env: Record<string, string>): { seconds: number; blas: string } {
  const base = { ...process.env };
  delete base.OPENBLAS_CORETYPE;
  delete base.ATEN_CPU_CAPABILITY;
  const r = spawnSync("/usr/bin/python3", [fileURLToPath(new URL("./torch_peer.py", import.meta.url)), name], { encoding: "utf8", env: { ...base, ...env } });
  if (r.status !== 0) throw new Error(`torch_peer.py ${name}: ${r.stderr.trim().split("\n").pop()}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

const here = fileURLToPath(new URL("..", import.meta.url));
const base = argv.includes("--base") ? resolve(opt("--base", "")) : null;

function ours(tree: string, name: string, build: "plain" | "relaxed"): { seconds: number; gemmFlops: number } {
  const r = node([self, "--child", tree, name, build]);
  if (r.status !== 0) throw new Error(`child ${name} ${build}: ${r.stderr.trim().split("\n").pop()}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

const workloads = sequenceWorkloads.filter((w) => filter.test(w.name));
const series = new Map<string, number[]>();
const put = (key: string, v: number) => series.set(key, [...(series.get(key) ?? []), v]);
const gemmFlops = new Map<string, number>();
const blas = new Map<string, string>();
const started = new Date().toISOString(), load0 = loadavg().map((l) => l.toFixed(2)).join(", ");
for (let round = 0; round < rounds; round++) {
  for (const w of workloads) {
    process.stderr.write(`round ${round + 1}: ${w.name}\n`);
    const p = peak(); // beside each workload's figures, since the load drifts
    for (const key of ["peak", `${w.name} peak`]) {
      put(`${key} plain`, p.plain);
      put(`${key} relaxed`, p.relaxed);
    }
    for (const build of ["plain", "relaxed"] as const) {
      const r = ours(here, w.name, build);
      gemmFlops.set(w.name, r.gemmFlops);
      put(`${w.name} simdgrad ${build}`, r.seconds);
    }
    if (base) put(`${w.name} simdgrad plain, base checkout`, ours(base, w.name, "plain").seconds);
    for (const [label, env] of Object.entries(TORCH_VARIANTS)) {
      const r = torch(w.torch!, env);
      blas.set(label, r.blas);
      put(`${w.name} ${label}`, r.seconds);
    }
  }
}
const load1 = loadavg().map((l) => l.toFixed(2)).join(", ");

const ms = (s: number) => (s * 1e3).toFixed(1);
const peakPlain = median(series.get("peak plain")!), peakRelaxed = median(series.get("peak relaxed")!);
if (base) console.log(`base checkout: ${base} (${spawnSync("git", ["-C", base, "log", "-1", "--format=%h %s"], { encoding: "utf8" }).stdout.trim().slice(0, 100)})`);
console.log(`# sequence ceiling, ${started} → ${new Date().toISOString()}, ${rounds} interleaved rounds, load average ${load0} at the start, ${load1} at the end`);
console.log(`multiply-add peak per round (median): plain ${peakPlain.toFixed(1)} GFLOP/s (${series.get("peak plain")!.map((v) => v.toFixed(1)).join(", ")}), relaxed ${peakRelaxed.toFixed(1)} GFLOP/s (${series.get("peak relaxed")!.map((v) => v.toFixed(1)).join(", ")})`);
for (const [label, b] of blas) console.log(`${label}: ${b}`);
// On a shared machine the load changes between rounds: every ratio is taken within a round (the
// two figures measured minutes apart at most), then the median over rounds, with its range.
const ratioText = (xs: number[]) => `${median(xs).toFixed(2)}x (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
for (const w of workloads) {
  const flops = gemmFlops.get(w.name)!;
  const at = (key: string) => series.get(`${w.name} ${key}`)!;
  const perRound = (f: (round: number) => number) => Array.from({ length: rounds }, (_, r) => f(r));
  const atPeak = (build: "plain" | "relaxed", r: number) => flops / (at(`peak ${build}`)[r] * 1e9);
  console.log(`\n## ${w.name}: ${(flops / 1e9).toFixed(3)} GFLOP of GEMM per step (${w.perCall} tokens); at 100% of the peak the GEMMs alone take ` +
    `${ms(flops / (peakPlain * 1e9))} ms plain, ${ms(flops / (peakRelaxed * 1e9))} ms relaxed (median peak)`);
  console.log(`\n| implementation | step ms per round | tokens/s (median) | simdgrad plain / it | simdgrad relaxed / it | wasm ceiling / it, plain | wasm ceiling / it, relaxed |`);
  console.log(`|---|---:|---:|---:|---:|---:|---:|`);
  for (const key of ["simdgrad plain", "simdgrad relaxed", ...(base ? ["simdgrad plain, base checkout"] : []), ...Object.keys(TORCH_VARIANTS)]) {
    const xs = at(key);
    const vs = (other: (r: number) => number) => ratioText(perRound((r) => xs[r] / other(r)));
    console.log(`| ${key} | ${xs.map(ms).join(", ")} | ${Math.round(w.perCall! / median(xs))} | ${vs((r) => at("simdgrad plain")[r])} | ` +
      `${vs((r) => at("simdgrad relaxed")[r])} | ${vs((r) => atPeak("plain", r))} | ${vs((r) => atPeak("relaxed", r))} |`);
  }
}

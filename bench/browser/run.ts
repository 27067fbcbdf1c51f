// The workloads in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core):
// simdgrad at 1 and 2 threads beside TF.js wasm in the same cross-origin isolated page (COOP/COEP,
// so both can share memory with workers), one page with TF.js at 1 thread and one with TF.js at 2.
// Writes the table to bench/results/browser.md (bench/RESULTS.md includes it).
//   node --import tsx bench/browser/run.ts [--rounds R] [--seconds S] [--filter <regex>] [--out <file.md>]
import { build } from "esbuild";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serveFiles } from "../../test/browser/server.js";
import type { BenchConfig, PageResult } from "./page.js";
import { median } from "../timing.js";

const CHROMIUM = "/usr/bin/chromium";
const WORKLOADS = ["gemm-1024", "gemm-mlp", "mlp-train", "mlp-infer-b1", "mlp-infer-b128", "conv-lenet2-fwd", "conv-res64-fwd", "lenet-train"];
const THREADS = 2;

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const rounds = Number(option("--rounds", "4")), seconds = Number(option("--seconds", "0.3"));
const filter = new RegExp(option("--filter", "."));
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const out = option("--out", here("../results/browser.md"));
if (!(rounds >= 1) || !(seconds > 0)) throw new Error("bench/browser/run.ts: --rounds needs a whole number >= 1 and --seconds a positive number");
const workloads = WORKLOADS.filter((w) => filter.test(w));

const require = createRequire(import.meta.url);
const tfjsWasmDir = join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist");

const dir = await mkdtemp(join(tmpdir(), "simdgrad-bench-browser-"));
try {
  await build({
    entryPoints: [here("./page.ts")],
    bundle: true, platform: "browser", format: "esm", outfile: join(dir, "page.js"), logLevel: "error",
    plugins: [{
      // bench/'s workloads import their TF.js from bench/peers.ts (Node); the page has its own
      name: "browser-peers",
      setup(b) {
        b.onResolve({ filter: /^\.\/peers\.js$/ }, (a) => (dirname(a.importer) === here("..").replace(/\/$/, "") ? { path: here("./peers.ts") } : undefined));
      },
    }],
  });
  await writeFile(join(dir, "index.html"), '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="/page.js"></script>');
  const wasmFiles = ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"];
  const server = await serveFiles({
    "/": join(dir, "index.html"),
    "/page.js": join(dir, "page.js"),
    ...Object.fromEntries(wasmFiles.map((f) => [`/tfjs/${f}`, join(tfjsWasmDir, f)])),
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"] });
  const pages: PageResult[] = [];
  try {
    for (const tfjsThreads of [1, THREADS]) {
      const page = await browser.newPage();
      page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
      page.on("console", (m) => (m.type() === "error" || m.type() === "warning") && console.error(`page ${m.type()}: ${m.text()}`));
      await page.goto(`${server.origin}/`);
      await page.waitForFunction(() => (window as unknown as { benchReady?: boolean }).benchReady === true, null, { timeout: 30_000 });
      const config: BenchConfig = { workloads, rounds, seconds, simdgradThreads: THREADS, tfjsThreads };
      console.error(`page with TF.js at ${tfjsThreads} thread(s)...`);
      pages.push(await page.evaluate((c) => (window as unknown as { runBench(c: BenchConfig): Promise<PageResult> }).runBench(c), config, { timeout: 0 } as never));
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const markdown = render(pages);
  console.log(markdown);
  await writeFile(out, markdown);
} finally {
  await rm(dir, { recursive: true, force: true });
}

function fmt(v: number): string {
  return v >= 1000 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

/** One row per workload: each variant's median (min–max over rounds), and simdgrad's ratios. */
function render(pages: PageResult[]): string {
  const better = (unit: string, a: number, b: number) => (unit === "ms" ? b / a : a / b);
  const lines = [
    `Headless Chromium, ${rounds} interleaved rounds of ~${seconds} s per variant, on the page's main thread; median (min–max). ` +
      `Ratios are simdgrad's advantage (> 1 = simdgrad better); the simdgrad columns come from the page with TF.js at 1 thread.`,
    "",
    ...pages.map((p) => `- ${p.info}`),
    "",
    `| workload | unit | simdgrad 1t | simdgrad ${THREADS}t | tfjs-wasm ${pages[0].tfjsThreads}t | tfjs-wasm ${pages[1]?.tfjsThreads ?? "—"}t (asked ${THREADS}) | ${THREADS}t / 1t | 1t vs tfjs | ${THREADS}t vs tfjs asked ${THREADS}t |`,
    "|---|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of pages[0].results) {
    const cell = (v: { values: number[]; note?: string } | undefined) => (!v ? "—" : v.values.length ? `${fmt(median(v.values))} (${fmt(Math.min(...v.values))}–${fmt(Math.max(...v.values))})` : (v.note ?? "—"));
    const m = (v: { values: number[] } | undefined) => (v?.values.length ? median(v.values) : null);
    const other = pages[1]?.results.find((x) => x.workload === r.workload);
    const [one, many, tf1] = r.variants, tf2 = other?.variants[2];
    const ratio = (a: number | null, b: number | null) => (a !== null && b !== null ? `${better(r.unit, a, b).toFixed(2)}x` : "—");
    lines.push(`| ${r.workload} | ${r.unit} | ${cell(one)} | ${cell(many)} | ${cell(tf1)} | ${cell(tf2)} | ${ratio(m(many), m(one))} | ${ratio(m(one), m(tf1))} | ${ratio(m(many), m(tf2))} |`);
  }
  return lines.join("\n") + "\n";
}

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { build } from "esbuild";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { serveFiles, type StaticServer } from "./browser/server.js";

// simdgrad in a real browser: Debian's Chromium, headless, driven by playwright-core. The library
// is bundled for the browser with esbuild and served with COOP/COEP (cross-origin isolated, so
// threads can share memory). Each check gets a fresh page: init() runs once per module state.
// Outside CI the test is skipped when Chromium is missing; in CI (.ci/run installs it) it must run.
const CHROMIUM = "/usr/bin/chromium";
const skip = !existsSync(CHROMIUM) && !process.env.CI;
if (skip) console.warn(`test/browser.test.ts: SKIPPED — ${CHROMIUM} not found (apt-get install -y chromium); set CI=1 to make this a failure.`);

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

describe.skipIf(skip)("in Chromium", () => {
  let dir: string, server: StaticServer, browser: Browser;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "simdgrad-browser-"));
    // The page opts in to the relaxed-SIMD and shared-memory builds as an app would (simdgrad/relaxed, simdgrad/threads).
    const entry = `export * from "./index.ts"; import "./relaxed.ts"; import "./threads.ts";`;
    await build({ stdin: { contents: entry, resolveDir: here("../src"), loader: "ts" }, bundle: true, platform: "browser", format: "esm", outfile: join(dir, "simdgrad.js"), logLevel: "silent" });
    server = await serveFiles({
      "/": here("./browser/index.html"),
      "/page.js": here("./browser/page.js"),
      "/simdgrad.js": join(dir, "simdgrad.js"),
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A fresh context and page with the library loaded; page errors and console errors are collected. */
  async function openPage(query = ""): Promise<{ page: Page; problems: string[]; workerUrls: string[] }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [], workerUrls: string[] = [];
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
    page.on("worker", (w) => workerUrls.push(w.url()));
    await page.goto(`${server.origin}/${query}`);
    await page.waitForFunction(() => (window as any).simdgradReady === true, null, { timeout: 10_000 });
    return { page, problems, workerUrls };
  }

  it("without `await init()`, first use compiles synchronously or fails with an error that names init()", async () => {
    const { page, problems } = await openPage();
    const r = await page.evaluate(() => (window as any).simdgradChecks.withoutInit());
    console.log(`browser: tensor() before init(): ${r.threw ? `threw "${r.message}"` : "worked (synchronous compile allowed)"}`);
    if (r.threw) expect(r.message).toMatch(/await init\(\)/);
    else expect(r.sum).toBe(6);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("fitAsync keeps drawing animation frames while it trains; fit blocks them", async () => {
    const { page, problems } = await openPage();
    const r = await page.evaluate(() => (window as any).simdgradChecks.framesDuringFit());
    console.log(`browser: frames during fit ${r.blocking.frames} in ${r.blocking.ms.toFixed(0)} ms, during fitAsync ${r.async.frames} in ${r.async.ms.toFixed(0)} ms`);
    expect(r.blocking.frames).toBeLessThanOrEqual(1);
    // At least one frame per 50 ms of training (a 60 Hz page draws one per 17 ms).
    expect(r.async.frames).toBeGreaterThanOrEqual(Math.floor(r.async.ms / 50));
    expect(r.async.frames).toBeGreaterThan(2);
    expect(r.async.finalLoss).toBeCloseTo(r.blocking.finalLoss, 4);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("`await init()` picks the relaxed-SIMD build (simdgrad/relaxed imported) and trains an MLP with flat memory", async () => {
    const { page, problems } = await openPage();
    const r = await page.evaluate(() => (window as any).simdgradChecks.train({ steps: 300 }));
    console.log(`browser: build ${r.build}; loss ${r.firstLoss.toFixed(4)} -> ${r.finalLoss.toExponential(2)}, accuracy ${r.accuracy}, 300 Adam steps in ${r.trainMs.toFixed(0)} ms`);
    expect(r.build).toBe("relaxed-simd");
    // chance level for two balanced classes is ln 2 ≈ 0.69; XOR quadrants are not linearly separable
    expect(r.firstLoss).toBeGreaterThan(0.5);
    expect(r.finalLoss).toBeLessThan(0.02);
    expect(r.accuracy).toBe(1);
    // the training loop leaks nothing: same live tensors, bytes in use and reservation after warm-up
    expect(r.final).toEqual(r.afterWarmup);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("loops with no tidy, dispose or keep (body-made batches sync and with an await per step, a DataLoader, noGrad evaluation) stay flat in a page", async () => {
    const { page, problems } = await openPage();
    const r = await page.evaluate(() => (window as any).simdgradChecks.noTidyLoops({ steps: 1000 }));
    const { syncWarm, syncEnd, asyncEnd, loaderWarm, loaderEnd, evalEnd } = r.stats;
    console.log(`browser: no-tidy loops: ${syncWarm.liveTensors} tensors / ${(syncWarm.wasmMemoryBytes / 2 ** 20).toFixed(1)} MiB after warm-up, ` +
      `${evalEnd.liveTensors} / ${(evalEnd.wasmMemoryBytes / 2 ** 20).toFixed(1)} MiB after 1000 sync + 100 async steps, 250 DataLoader epochs and 1000 noGrad batches`);
    expect(Number.isFinite(r.total)).toBe(true);
    expect(r.correct).toBeGreaterThan(0);
    // Nothing grows: the wasm memory never, bytes in use and live tensors not past the warm-up level
    // (the loaders' data set adds its two tensors).
    for (const s of [syncEnd, asyncEnd]) {
      expect(s.wasmMemoryBytes).toBe(syncWarm.wasmMemoryBytes);
      expect(s.bytesInUse).toBeLessThanOrEqual(syncWarm.bytesInUse);
      expect(s.liveTensors).toBeLessThanOrEqual(syncWarm.liveTensors);
    }
    for (const s of [loaderEnd, evalEnd]) {
      expect(s.wasmMemoryBytes).toBe(syncWarm.wasmMemoryBytes);
      expect(s.bytesInUse).toBeLessThanOrEqual(loaderWarm.bytesInUse);
      expect(s.liveTensors).toBeLessThanOrEqual(loaderWarm.liveTensors);
    }
    expect(r.freedMessage).toMatch(/can no longer be used.*keep/);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("`await init({ threads: 2 })` starts a Blob-URL Web Worker; GEMM and linear backward match one thread exactly", async () => {
    const { page, problems, workerUrls } = await openPage();
    const r = await page.evaluate(() => (window as any).simdgradChecks.threads());
    console.log(`browser threads: build ${r.build}, pool size ${r.poolSize}, crossOriginIsolated ${r.crossOriginIsolated}, workers ${workerUrls.join(", ")}`);
    expect(r.crossOriginIsolated).toBe(true);
    expect(r.poolSize).toBe(2);
    expect(workerUrls).toHaveLength(1);
    expect(workerUrls[0]).toMatch(/^blob:/);
    expect(r.one.threadsUsed).toBe(1);
    expect(r.two.threadsUsed).toBe(2);
    expect(r.two.product).toEqual(r.one.product);
    expect(r.two.gradW).toEqual(r.one.gradW);
    expect(r.two.gradBias).toEqual(r.one.gradBias);
    expect(r.two.product.at(-1)).toBeCloseTo(r.lastProductByHand, 3);
    expect(problems).toEqual([]);
    await page.context().close();
  }, 30_000);

  it("on a page that is not cross-origin isolated, init({ threads: 2 }) fails with a clear error", async () => {
    const { page, problems, workerUrls } = await openPage("?isolated=0");
    const r = await page.evaluate(() => (window as any).simdgradChecks.threadsWithoutIsolation());
    expect(r.crossOriginIsolated).toBe(false);
    expect(r.threw).toBe(true);
    expect(r.message).toMatch(/init: threads need SharedArrayBuffer \(in browsers, a cross-origin isolated page\)/);
    expect(workerUrls).toEqual([]);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

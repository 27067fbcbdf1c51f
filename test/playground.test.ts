import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { startPlayground, type Playground } from "../playground/server.js";
import { decisionBoundary, heatmap, histogram, imageGrid, learningCurves, linePlot, scatter } from "../src/plot.js";
import { colorAt } from "../src/plot/colormap.js";
import { init, nn } from "../src/index.js";
import { decodePng, pixel } from "./helpers/png.js";

// The playground in real Chromium (Debian's, headless, via playwright-core), served as
// `npm run playground` serves it (cross-origin isolated): each model trains for a given number of steps in
// the worker, its loss must fall and its figures must be drawn; screenshots go to test-output/.
// Then every kind of figure from simdgrad/plot is rendered by Chromium and checked by its pixels.
const CHROMIUM = "/usr/bin/chromium";
const skip = !existsSync(CHROMIUM) && !process.env.CI;
if (skip) console.warn(`test/playground.test.ts: SKIPPED — ${CHROMIUM} not found (apt-get install -y chromium); set CI=1 to make this a failure.`);
const OUTPUT = new URL("../test-output/", import.meta.url).pathname;

interface Last {
  steps: number;
  losses: number[];
  running: boolean;
}

describe.skipIf(skip)("playground in Chromium", () => {
  let server: Playground, browser: Browser, page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    server = await startPlayground(0);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"] });
    page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
    await page.goto(server.origin + "/");
    await page.waitForFunction(() => (window as any).playground?.ready === true, null, { timeout: 20_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("starts simdgrad in the worker on two threads (the page is cross-origin isolated)", async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    // (what the worker reported: the status line says so until the first model's update replaces it)
    expect(await page.evaluate(() => (window as any).playground.started)).toEqual({ threads: 2, isolated: true });
  });

  it.each([
    // Steps, not seconds: a loaded machine does fewer steps per second, and the loss must fall by
    // what the model learns in a given number of steps (about a third of what a quiet machine does
    // in 3 s; the SOM lowers its quantisation error by 10% in about 20 of its batch epochs).
    ["logistic", "blobs", 2_000],
    ["mlp2d", "xor", 1_000],
    ["mnist-mlp", "", 150],
    ["lenet", "", 40],
    ["autoencoder", "", 100],
    ["som", "", 30],
  ])("%s trains in the worker: the loss falls and both figures are drawn", async (model, dataset, steps) => {
    await page.selectOption("#model", model);
    if (dataset) await page.selectOption("#dataset", dataset);
    // The configure that the change sent has answered with its first figures (steps 0).
    await page.waitForFunction(() => { const l = (window as any).playground.last; return l && l.steps === 0; }, null, { timeout: 30_000 });
    await page.click("#run");
    // and at least 4 recorded losses: the worker records the untrained model's loss, then one per
    // time slice, so a fast step fits the steps into fewer slices
    await page.waitForFunction((n) => { const l = (window as any).playground.last; return (l?.steps ?? 0) >= n && (l?.losses.length ?? 0) > 3; }, steps, { timeout: 100_000, polling: 50 });
    await page.click("#run"); // pause
    await page.waitForFunction(() => (window as any).playground.last?.running === false, null, { timeout: 10_000 });
    const last: Last = await page.evaluate(() => (window as any).playground.last);
    const status = await page.textContent("#status");
    expect(status).not.toMatch(/^error/);
    console.log(`playground ${model}: ${last.steps} steps (at least ${steps}), loss ${last.losses[0].toFixed(4)} -> ${last.losses.at(-1)!.toFixed(4)}`);
    expect(last.losses.length).toBeGreaterThan(3);
    expect(Math.min(...last.losses.slice(-3))).toBeLessThan(last.losses[0] * 0.9);
    for (const id of ["main", "side"]) {
      const box = await page.$eval(`#${id} svg`, (svg) => { const r = svg.getBoundingClientRect(); return [r.width, r.height, svg.querySelectorAll("*").length]; });
      expect(box[0]).toBeGreaterThan(100);
      expect(box[1]).toBeGreaterThan(100);
      expect(box[2]).toBeGreaterThan(2);
    }
    await page.screenshot({ path: `${OUTPUT}playground-${model}.png` });
    expect(problems).toEqual([]);
  });

  it("renders every kind of figure, with crisp cells in their colours", async () => {
    await init();
    const epochs = [1, 2, 3].map((epoch) => ({ epoch, trainLoss: 2 / epoch, valLoss: 2.2 / epoch, trainAccuracy: null, valAccuracy: null, lr: 0.1, seconds: 1 }));
    const figures: Record<string, string> = {
      linePlot: linePlot([1, 4, 2, 8], { title: "line" }),
      learningCurves: learningCurves(epochs, { logY: true }),
      scatter: scatter([[0, 0], [1, 1], [2, 0]], { labels: [0, 1, 1] }),
      histogram: histogram([1, 2, 2, 3, 3, 3]),
      heatmap: heatmap([[0, 1], [2, 3]], { colorbar: false, width: 300, height: 260 }),
      imageGrid: imageGrid([[[0, 1], [1, 0]], [[1, 0], [0, 1]]], { scale: 40 }),
      decisionBoundary: decisionBoundary(new nn.Sequential(new nn.Linear(2, 2)), [[0, 0], [1, 1]], [0, 1], { resolution: 20 }),
    };
    const shot = await browser.newPage({ viewport: { width: 800, height: 600 } });
    try {
      await shot.setContent(`<body style="margin:0;background:#fff">${Object.entries(figures).map(([k, svg]) => `<div id="${k}" style="display:inline-block">${svg}</div>`).join("")}</body>`);
      for (const [name, svg] of Object.entries(figures)) {
        const png = await shot.locator(`#${name} svg`).screenshot({ path: `${OUTPUT}plot-${name}.png` });
        const img = decodePng(png);
        let ink = 0;
        for (let i = 0; i < img.width * img.height; i++) if (img.rgba[i * 4] < 200 || img.rgba[i * 4 + 1] < 200 || img.rgba[i * 4 + 2] < 200) ink++;
        expect(ink / (img.width * img.height), name).toBeGreaterThan(0.01);
        if (name === "heatmap") {
          // Cell (0, 0) is viridis' start up to its edge: Chromium draws the cells unsmoothed.
          const [, x, y, w, h] = /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="none"/.exec(svg)!.map(Number);
          for (const [px, py] of [[x + w / 4, y + h / 4], [x + w / 2 - 2, y + h / 4], [x + w / 4, y + h / 2 - 2]]) {
            expect(pixel(img, Math.round(px), Math.round(py)).slice(0, 3).every((v, i) => Math.abs(v - colorAt("viridis", 0)[i]) <= 4), `${px},${py}`).toBe(true);
          }
        }
      }
    } finally {
      await shot.close();
    }
    writeFileSync(`${OUTPUT}plots.html`, Object.values(figures).join("\n"));
  });
});

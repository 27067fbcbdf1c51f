import { describe, it, expect, beforeAll } from "vitest";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { build as esbuild } from "esbuild";
import { rollup } from "rollup";
import { nodeResolve } from "@rollup/plugin-node-resolve";
import terserPlugin from "@rollup/plugin-terser";
import webpack from "webpack";
import { build as viteBuild } from "vite";
// @ts-expect-error a JavaScript build script without declarations
import { bundleEsm } from "../scripts/esm-bundle.mjs";

// What a page costs: a small training page and an inference page, bundled as an app would with
// each of esbuild, rollup, webpack and Vite at their default (production) settings, then the
// output (library JS + embedded wasm, minified) gzipped. The package is installed into a scratch
// project as its ES build (scripts/esm-bundle.mjs, as `npm run build` writes it to dist/) and
// package.json (exports, imports, sideEffects), so tree-shaking sees what users' bundlers see.
// The budgets are the targets, 60 kB (training) and 50 kB (inference), for every bundler. The pages import nn, optim
// and nn.functional from their subpath entries (the README's form): esbuild keeps every member of a
// namespace that reaches a page through a re-export (`export * as nn`), so the same pages with
// `import { nn, optim } from "simdgrad"` carry all of nn there; they have their own, looser budget,
// which catches a regression of that form too.
// The int8 kernels (assembly/qgemm.ts) are in every build's wasm. The pages use top-level await,
// which keeps webpack from concatenating the library into the page's scope (see
// scripts/esm-bundle.mjs for why the ES build is a few large modules).
// A page drawing a figure with simdgrad/plot alone carries no kernels (about 7 kB).
// The direct convolutions with output positions in the lanes (LeNet's few-channel layers) are in
// every build: their 1.3 kB (deflated) are paid for by the unary ops and the pointwise losses
// calling the transcendental functions rather than inlining them into every op's loop
// (assembly/vmath-calls.ts) and by single-body loops with a partial last vector (vmath.ts loadTail).
const BUDGET_KB: Record<string, Record<Page, number>> = {
  esbuild: { training: 60, inference: 50, plot: 9, trainingNamespaces: 85, inferenceNamespaces: 82 },
  rollup: { training: 60, inference: 50, plot: 9, trainingNamespaces: 60, inferenceNamespaces: 50 },
  webpack: { training: 60, inference: 50, plot: 9, trainingNamespaces: 60, inferenceNamespaces: 50 },
  vite: { training: 60, inference: 50, plot: 9, trainingNamespaces: 60, inferenceNamespaces: 50 },
};

const DOCUMENTED_PAGES = {
  training: `import { init, randn, randint, tidy } from "simdgrad";
import * as nn from "simdgrad/nn";
import * as F from "simdgrad/nn/functional";
import * as optim from "simdgrad/optim";
await init();
const model = new nn.Sequential(new nn.Linear(16, 32), new nn.ReLU(), new nn.Linear(32, 4));
const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
const x = randn([64, 16]), y = randint(0, 4, [64]);
for (let i = 0; i < 10; i++) tidy(() => { optimizer.zeroGrad(); const loss = F.crossEntropy(model.forward(x), y); loss.backward(); optimizer.step(); document.title = String(loss.item()); });
`,
  inference: `import { init, load, noGrad, tensor } from "simdgrad";
import * as nn from "simdgrad/nn";
await init();
const model = new nn.Sequential(new nn.Linear(16, 32), new nn.ReLU(), new nn.Linear(32, 4));
model.loadStateDict(load(new Uint8Array(await (await fetch("model.safetensors")).arrayBuffer())));
const p = noGrad(() => model.forward(tensor(Array.from({ length: 16 }, () => Math.random()), [1, 16])).softmax(-1));
document.title = String(p.data());
`,
  plot: `import { learningCurves } from "simdgrad/plot";
document.body.innerHTML = learningCurves([{ epoch: 1, trainLoss: 2, valLoss: 2.1 }, { epoch: 2, trainLoss: 1, valLoss: 1.2 }]);
`,
};
// The same pages with the namespaces taken from the main entry, which esbuild does not tree-shake.
const NAMESPACE_IMPORT = (page: string) =>
  page
    .replace(/^import \{ (.*) \} from "simdgrad";$/m, (_, names) => `import { ${names}, nn${page.includes("simdgrad/optim") ? ", optim" : ""} } from "simdgrad";`)
    .replace(/^import \* as .*\n/gm, "")
    .replace(/\bF\./g, "nn.functional.");
const PAGES = {
  ...DOCUMENTED_PAGES,
  trainingNamespaces: NAMESPACE_IMPORT(DOCUMENTED_PAGES.training),
  inferenceNamespaces: NAMESPACE_IMPORT(DOCUMENTED_PAGES.inference),
};
type Page = keyof typeof PAGES;
// The plugin's types describe its CommonJS build (a module object); the ES build vitest loads is the function.
const terser = terserPlugin as unknown as () => import("rollup").Plugin;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
}

let project: string;

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), "simdgrad-bundle-size-"));
  const pkg = join(project, "node_modules/simdgrad");
  await bundleEsm(join(pkg, "dist"), { sourcemap: false });
  const manifest = JSON.parse(readFileSync("package.json", "utf8"));
  writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "simdgrad", type: "module", exports: manifest.exports, imports: manifest.imports, sideEffects: manifest.sideEffects }));
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "page", private: true, type: "module" }));
  for (const [page, text] of Object.entries(PAGES)) {
    mkdirSync(join(project, page));
    writeFileSync(join(project, page, "main.js"), text);
    writeFileSync(join(project, page, "index.html"), '<!doctype html><script type="module" src="./main.js"></script>\n');
  }
}, 120_000);

/** min+gz bytes of every script and wasm file a bundler wrote. */
function gzSize(outDir: string): number {
  return walk(outDir)
    .filter((f) => /\.(m?js|wasm)$/.test(f))
    .reduce((sum, f) => sum + gzipSync(readFileSync(f), { level: 9 }).length, 0);
}

const BUNDLERS: Record<string, (page: Page, out: string) => Promise<void>> = {
  esbuild: async (page, out) => {
    await esbuild({ entryPoints: [join(project, page, "main.js")], bundle: true, minify: true, format: "esm", outdir: out, logLevel: "silent" });
  },
  rollup: async (page, out) => {
    const bundle = await rollup({ input: join(project, page, "main.js"), plugins: [nodeResolve({ browser: true }), terser()], logLevel: "silent" });
    await bundle.write({ dir: out, format: "es" });
  },
  webpack: (page, out) =>
    new Promise((resolve, reject) =>
      webpack({ mode: "production", context: project, entry: `./${page}/main.js`, output: { path: out }, stats: "none" }, (err, stats) =>
        err || stats?.hasErrors() ? reject(err ?? new Error(stats!.toString())) : resolve(),
      ),
    ),
  vite: async (page, out) => {
    await viteBuild({ root: join(project, page), logLevel: "silent", configFile: false, build: { outDir: out, emptyOutDir: true } });
  },
};

describe("bundle size (min+gz, library JS + wasm)", () => {
  for (const bundler of Object.keys(BUNDLERS)) {
    for (const page of Object.keys(PAGES) as Page[]) {
      it(`${bundler}: the ${page} page is at most ${BUDGET_KB[bundler][page]} kB`, async () => {
        const out = join(project, "out", bundler, page);
        await BUNDLERS[bundler](page, out);
        const kB = gzSize(out) / 1000;
        console.log(`bundle size: ${bundler} ${page} ${kB.toFixed(1)} kB min+gz (${relative(project, out)})`);
        if (page !== "plot") expect(kB).toBeGreaterThan(10); // the embedded build is in it
        expect(kB).toBeLessThanOrEqual(BUDGET_KB[bundler][page]);
      });
    }
  }
});

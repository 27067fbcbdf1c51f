// Builds the package's JavaScript from src/ (after build-wasm.mjs generated the kernel modules):
//   dist/       ES modules bundled by scripts/esm-bundle.mjs (an entry module per export, the code
//               in shared chunks; source maps with their sources inlined, so debuggers and
//               source-map-loader need no files beside the package), and tsc's declarations of
//               every module of src/ with declaration maps
//   dist/cjs/   CommonJS (esbuild, one file per module so both entries share one backend), with
//               CommonJS-flavoured copies of the declarations for `require` users
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { build } from "esbuild";
import { bundleEsm } from "./esm-bundle.mjs";

const tsc = new URL("../node_modules/.bin/tsc", import.meta.url).pathname;
rmSync("dist", { recursive: true, force: true });
execFileSync(tsc, ["-p", "tsconfig.build.json"], { stdio: "inherit" });

// The embedded kernel binaries are not source anyone steps through: no declaration maps for them,
// and their generated modules stay out of the package's src/.
for (const file of readdirSync("dist/backend/generated").filter((f) => f.startsWith("wasm-binaries"))) {
  const path = join("dist/backend/generated", file);
  if (file.endsWith(".map")) rmSync(path);
  else writeFileSync(path, readFileSync(path, "utf8").replace(/\n\/\/# sourceMappingURL=.*\n?$/, "\n"));
}
await bundleEsm("dist");

function walk(dir) {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
}
// workerd-build.ts is for the ES build's "workerd" condition only.
const sources = walk("src").filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && f !== "src/backend/workerd-build.ts");
// CommonJS has no import.meta: the few modules that resolve files next to themselves get their URL from __filename.
const usesImportMeta = (f) => readFileSync(f, "utf8").includes("import.meta.url");
const mapped = (f) => !f.includes("/generated/wasm-binaries");
const common = { outdir: "dist/cjs", outbase: "src", format: "cjs", platform: "neutral", target: "es2022", sourcemap: true, sourcesContent: true, logLevel: "warning" };
await build({ ...common, entryPoints: sources.filter((f) => !usesImportMeta(f) && mapped(f)) });
await build({ ...common, sourcemap: false, entryPoints: sources.filter((f) => !mapped(f)) });
await build({
  ...common,
  entryPoints: sources.filter(usesImportMeta),
  define: { "import.meta.url": "__moduleUrl" },
  banner: { js: 'const __moduleUrl = require("node:url").pathToFileURL(__filename).href;' },
});
writeFileSync("dist/cjs/package.json", '{ "type": "commonjs" }\n');

// Declarations for require(): the same text, read as CommonJS because of dist/cjs/package.json; their
// maps point one directory further up to src/.
for (const file of walk("dist").filter((f) => !f.startsWith("dist/cjs/") && (f.endsWith(".d.ts") || f.endsWith(".d.ts.map")))) {
  const to = join("dist/cjs", relative("dist", file));
  mkdirSync(dirname(to), { recursive: true });
  if (!file.endsWith(".map")) copyFileSync(file, to);
  else {
    const map = JSON.parse(readFileSync(file, "utf8"));
    map.sources = map.sources.map((s) => `../${s}`);
    writeFileSync(to, JSON.stringify(map));
  }
}

// The repository's package.json has a `prepare` script so that `npm install` / `npm ci` in a clone
// builds the wasm kernels and the generated modules (README's first command runs the examples from
// src/). A published package must not carry it: npm 11 lists a dependency's `prepare` as an install
// script awaiting approval. So `prepack` writes the manifest without it and `postpack` puts the
// original back, byte for byte.
//   node scripts/pack-manifest.mjs strip | restore
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";

const manifest = "package.json";
const saved = "package.json.unpacked";
const mode = process.argv[2];
if (mode === "strip") {
  // A pack that failed before its postpack left the original in `saved`: keep that one.
  if (!existsSync(saved)) writeFileSync(saved, readFileSync(manifest));
  const json = JSON.parse(readFileSync(saved, "utf8"));
  delete json.scripts.prepare;
  writeFileSync(manifest, JSON.stringify(json, null, 2) + "\n");
} else if (mode === "restore") {
  if (existsSync(saved)) renameSync(saved, manifest);
} else {
  console.error(`pack-manifest: expected "strip" or "restore", got ${JSON.stringify(mode)}`);
  process.exit(2);
}

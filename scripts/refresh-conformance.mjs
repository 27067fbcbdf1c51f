// Copies the PyTorch conformance vectors from ../shared/conformance (the steering side's oracle
// output) into test/conformance/vectors/, so a lone clone carries them and `npm test` needs nothing
// beside the repository. Run `npm run conformance:refresh` after the shared set changes and commit
// the result; CONFORMANCE_DIR still points the tests at any other set (e.g. a held-out one).
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";

const from = new URL("../../shared/conformance/", import.meta.url);
const to = new URL("../test/conformance/vectors/", import.meta.url);
if (!existsSync(new URL("index.json", from))) {
  console.error(`no conformance set at ${from.pathname}: nothing refreshed`);
  process.exit(1);
}
rmSync(to, { recursive: true, force: true });
mkdirSync(to, { recursive: true });
const files = readdirSync(from).filter((f) => f.endsWith(".json") || f === "FORMAT.md");
for (const f of files) copyFileSync(new URL(f, from), new URL(f, to));
console.log(`copied ${files.length} files into test/conformance/vectors/`);

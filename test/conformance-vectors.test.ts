import { describe, expect, it } from "vitest";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { conformanceDir, repoRoot, type Index } from "./conformance/load.js";

// A clone with nothing beside it runs the PyTorch conformance cases: the repository carries the
// vectors (npm run conformance:refresh copies them from ../shared/conformance), and no test reads
// outside the repository.
describe("the repository's conformance vectors", () => {
  const vectors = resolve(repoRoot, "test/conformance/vectors");

  it("are the default set, and every file the index lists is there with its number of cases", () => {
    if (!process.env.CONFORMANCE_DIR) expect(conformanceDir).toBe(vectors);
    const index: Index = JSON.parse(readFileSync(join(vectors, "index.json"), "utf8"));
    const files = Object.entries(index.files);
    expect(files.length).toBeGreaterThan(10);
    for (const [file, { cases }] of files) {
      expect(existsSync(join(vectors, file)), file).toBe(true);
      expect(JSON.parse(readFileSync(join(vectors, file), "utf8")).cases.length, file).toBe(cases);
    }
  });

  it("are the only vectors the tests read: no test file opens ../shared", () => {
    const code = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? code(join(dir, e.name)) : /\.(ts|mjs|js)$/.test(e.name) ? [join(dir, e.name)] : []);
    const readers = code(resolve(repoRoot, "test")).filter((f) =>
      readFileSync(f, "utf8").split("\n").some((line) => /shared\/conformance/.test(line) && !/^\s*(\/\/|\*|\/\*)/.test(line)));
    expect(readers).toEqual([]);
  });
});

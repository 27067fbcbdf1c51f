// The layers of DESIGN.md, checked on the source: imports go nn -> ops -> backend (never up), no
// import cycle but Tensor's method delegation, and only backend/ touches raw memory.
import { describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// @ts-expect-error: a build script without type declarations
import { cycleEdges, cycles, delegation, importGraph, upwardImports, without } from "../scripts/import-graph.mjs";

type Graph = Map<string, Set<string>>;
const graph = importGraph("src") as Graph;
const methods = delegation("src") as { edges: [string, string][]; outside: string[] };

describe("layers", () => {
  it("imports only downwards: nn -> ops -> backend", () => {
    expect(upwardImports(graph)).toEqual([]);
  });

  it("has no import cycle but Tensor's method delegation", () => {
    // tensor.ts imports the op modules (and the autograd engine) as namespaces for its method
    // shortcuts, and uses them only in the block between its markers: that is the one loop allowed.
    expect(methods.outside).toEqual([]);
    expect(methods.edges.map(([, to]) => to)).toContain("ops/binary");
    const rest = without(graph, methods.edges) as Graph;
    const found = (cycles(rest) as string[][]).map((scc) => cycleEdges(rest, scc) as string[]);
    expect(found).toEqual([]);
  });

  it("keeps Sequential free of concrete layers (fusion is asked of each layer)", () => {
    expect([...graph.get("nn/container")!].sort()).toEqual(["nn/module", "tensor"]);
  });

  it("sees a cycle, and an import of types only as none", () => {
    const dir = mkdtempSync(join(tmpdir(), "graph-"));
    writeFileSync(join(dir, "a.ts"), 'import { b } from "./b.js";\nimport type { C } from "./c.js";\nexport const a = b;\n');
    writeFileSync(join(dir, "b.ts"), 'import {\n  type A,\n  a,\n} from "./a.js";\nexport const b = 1;\n');
    writeFileSync(join(dir, "c.ts"), 'import { type A } from "./a.js";\nexport type C = A;\n');
    const g = importGraph(dir) as Graph;
    expect(cycles(g)).toEqual([["a", "b"]]);
    expect(cycleEdges(g, ["a", "b"])).toEqual(["a -> b", "b -> a"]);
    expect([...g.get("c")!]).toEqual([]);
  });

  it("leaves byte offsets and the wasm memory's buffer to backend/", () => {
    // A pointer plus something, a shift by 2, or a pointer step in a parallel loop counted in bytes
    // (perUnit: { 0: n * 4 }): backend/memory.ts's elementAt and elementBytes say what an element is.
    const bytes = /memory\.buffer|\.ptr \+|\bptr \+ |<< ?2\b|perUnit: \{[^}]*(\* ?4\b|: ?4\b)/;
    const offenders = (readdirSync("src", { recursive: true }) as string[])
      .filter((f) => f.endsWith(".ts") && !f.startsWith("backend"))
      .flatMap((f) => readFileSync(`src/${f}`, "utf8").split("\n").map((line, i) => [f, i + 1, line] as const))
      .filter(([, , line]) => bytes.test(line))
      .map(([f, n, line]) => `src/${f}:${n}: ${line.trim()}`);
    expect(offenders).toEqual([]);
  });
});

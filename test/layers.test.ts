// The layers of DESIGN.md, checked on the source: imports go nn -> ops -> backend (never up),
// import cycles stay inside one layer, and only backend/ touches raw memory.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
// @ts-expect-error: a build script without type declarations
import { cycles, importGraph, upwardImports } from "../scripts/import-graph.mjs";

const graph = importGraph("src") as Map<string, Set<string>>;

describe("layers", () => {
  it("imports only downwards: nn -> ops -> backend", () => {
    expect(upwardImports(graph)).toEqual([]);
  });

  it("keeps every import cycle inside one layer", () => {
    // The differentiable ops are written in one another (a backward uses other ops) and Tensor's
    // method shortcuts delegate to them, so tensor, autograd and ops/ may form a cycle; nothing above them may join it.
    const core = (m: string) => m.startsWith("ops/") || ["tensor", "autograd", "autofree"].includes(m);
    for (const scc of cycles(graph) as string[][]) {
      expect(scc.every(core), `cycle across layers: ${scc.join(", ")}`).toBe(true);
    }
  });

  it("has no import cycle inside backend/", () => {
    const backendCycles = (cycles(graph) as string[][]).filter((scc) => scc.some((m) => m.startsWith("backend/")));
    expect(backendCycles).toEqual([]);
  });

  it("leaves byte offsets and the wasm memory's buffer to backend/", () => {
    const offenders = (readdirSync("src", { recursive: true }) as string[])
      .filter((f) => f.endsWith(".ts") && !f.startsWith("backend"))
      .flatMap((f) => readFileSync(`src/${f}`, "utf8").split("\n").map((line, i) => [f, i + 1, line] as const))
      .filter(([, , line]) => /memory\.buffer|\.ptr \+|\bptr \+ /.test(line))
      .map(([f, n, line]) => `src/${f}:${n}: ${line.trim()}`);
    expect(offenders).toEqual([]);
  });
});

// The import graph of src/ (value imports only: `import type` and `export type` vanish at run time):
// prints every cycle (strongly connected component of more than one module) and every import that
// goes against the layers nn -> ops -> backend. `node scripts/import-graph.mjs`; used by test/layers.test.ts.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { pathToFileURL } from "node:url";

const IMPORT = /^\s*(?:import|export)\s+(?!type\b)(?:[^"';]*?\sfrom\s+)?["'](\.[^"']+)["']/gm;

/** module (path under src/, no extension) -> the modules it imports at run time */
export function importGraph(root = "src") {
  const files = readdirSync(root, { recursive: true }).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
  const graph = new Map();
  for (const f of files) {
    const from = f.replace(/\.ts$/, "");
    const text = readFileSync(join(root, f), "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
    const deps = new Set();
    for (const m of text.matchAll(IMPORT)) {
      const line = text.slice(text.lastIndexOf("\n", m.index) + 1, text.indexOf("\n", m.index + 1));
      if (/^\s*(import|export)\s*\{[^}]*\}/.test(line) && /\{\s*(type\s+[\w$]+\s*(,\s*|(?=\})))+\}/.test(line)) continue; // only types
      deps.add(normalize(join(dirname(from), m[1])).replace(/\.js$/, ""));
    }
    graph.set(from, deps);
  }
  return graph;
}

/** Strongly connected components with more than one module (Tarjan). */
export function cycles(graph) {
  let index = 0;
  const idx = new Map(), low = new Map(), stack = [], on = new Set(), out = [];
  const visit = (v) => {
    idx.set(v, index); low.set(v, index++); stack.push(v); on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do { w = stack.pop(); on.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const LAYER = (m) => (m.startsWith("nn/") ? 3 : m.startsWith("ops/") ? 2 : m.startsWith("backend/") ? 0 : null);

/** Imports from a lower layer to a higher one (backend -> anything above it, ops -> nn). */
export function upwardImports(graph) {
  const out = [];
  for (const [from, deps] of graph) {
    for (const to of deps) {
      const a = LAYER(from), b = LAYER(to);
      if ((a === 0 && !to.startsWith("backend/")) || (a !== null && b !== null && b > a)) out.push(`${from} -> ${to}`);
    }
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const g = importGraph();
  console.log("cycles:");
  for (const c of cycles(g)) console.log(`  ${c.join(" ")}`);
  console.log("imports against the layers:");
  for (const u of upwardImports(g)) console.log(`  ${u}`);
}

// The import graph of src/ (value imports only: `import type`, `export type` and imports of nothing
// but types vanish at run time): prints every cycle (strongly connected component of more than one
// module) and every import that goes against the layers nn -> ops -> backend.
// `node scripts/import-graph.mjs`; used by test/layers.test.ts.
//
// One loop is allowed: Tensor's method shortcuts. tensor.ts imports the op modules as namespaces
// (`import * as binary from "./ops/binary.js"`) and uses them only between the two DELEGATION
// markers; those imports are the delegation edges, and the graph without them must have no cycle.
import ts from "typescript";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { pathToFileURL } from "node:url";

const DELEGATOR = "tensor";
export const DELEGATION = { start: "// ==== Method shortcuts", end: "// ==== End of method shortcuts" };

const parse = (root, module) => {
  const file = join(root, `${module}.ts`);
  return ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
};

/** Whether an import or export declaration brings in anything that exists at run time. */
function isValueImport(st) {
  if (ts.isImportDeclaration(st)) {
    const c = st.importClause;
    if (!c) return true; // import "./x.js": for its side effects
    if (c.isTypeOnly) return false;
    if (c.name) return true;
    const b = c.namedBindings;
    return !b || ts.isNamespaceImport(b) || b.elements.length === 0 || b.elements.some((e) => !e.isTypeOnly);
  }
  if (st.isTypeOnly) return false;
  const e = st.exportClause;
  return !e || !ts.isNamedExports(e) || e.elements.length === 0 || e.elements.some((x) => !x.isTypeOnly);
}

/** module (path under src/, no extension) -> the modules it imports at run time */
export function importGraph(root = "src") {
  const files = readdirSync(root, { recursive: true }).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
  const graph = new Map();
  for (const f of files) {
    const from = f.replace(/\.ts$/, "");
    const deps = new Set();
    for (const st of parse(root, from).statements) {
      if (!(ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) || !st.moduleSpecifier) continue;
      const spec = st.moduleSpecifier.text;
      if (spec.startsWith(".") && isValueImport(st)) deps.add(normalize(join(dirname(from), spec)).replace(/\.js$/, ""));
    }
    graph.set(from, deps);
  }
  return graph;
}

/**
 * Tensor's method delegation: the modules tensor.ts imports as namespaces, each used only between
 * the DELEGATION markers. Returns the edges and every use of such a namespace outside the markers.
 */
export function delegation(root = "src") {
  const sf = parse(root, DELEGATOR);
  const text = sf.getFullText();
  const start = text.indexOf(DELEGATION.start), end = text.indexOf(DELEGATION.end);
  if (start < 0 || end < start) throw new Error(`src/${DELEGATOR}.ts: the method shortcuts are not between "${DELEGATION.start}" and "${DELEGATION.end}"`);
  const namespaces = new Map();
  for (const st of sf.statements) {
    const b = ts.isImportDeclaration(st) ? st.importClause?.namedBindings : undefined;
    if (b && ts.isNamespaceImport(b) && !st.importClause.isTypeOnly) {
      namespaces.set(b.name.text, normalize(join(dirname(DELEGATOR), st.moduleSpecifier.text)).replace(/\.js$/, ""));
    }
  }
  const outside = [];
  const visit = (node) => {
    if (ts.isIdentifier(node) && namespaces.has(node.text) && !ts.isNamespaceImport(node.parent)) {
      const at = node.getStart(sf);
      if (at < start || at > end) outside.push(`src/${DELEGATOR}.ts:${sf.getLineAndCharacterOfPosition(at).line + 1}: ${node.text}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { edges: [...namespaces.values()].map((to) => [DELEGATOR, to]), outside };
}

/** The graph without the given edges. */
export function without(graph, edges) {
  const g = new Map([...graph].map(([k, v]) => [k, new Set(v)]));
  for (const [from, to] of edges) g.get(from)?.delete(to);
  return g;
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

/** The imports between the modules of a cycle, as "from -> to". */
export function cycleEdges(graph, scc) {
  const inside = new Set(scc);
  return scc.flatMap((from) => [...graph.get(from)].filter((to) => inside.has(to)).map((to) => `${from} -> ${to}`));
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
  const d = delegation();
  const rest = without(g, d.edges);
  console.log(`Tensor's method delegation (src/${DELEGATOR}.ts, between its markers): ${d.edges.map(([, to]) => to).join(" ")}`);
  for (const o of d.outside) console.log(`  used outside the markers: ${o}`);
  console.log("cycles without it:");
  for (const c of cycles(rest)) {
    console.log(`  ${c.join(" ")}`);
    for (const e of cycleEdges(rest, c)) console.log(`    ${e}`);
  }
  console.log("imports against the layers:");
  for (const u of upwardImports(g)) console.log(`  ${u}`);
}

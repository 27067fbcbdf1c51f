// The package's ES build: rollup over src/ (esbuild strips the types), with every module the main
// entry reaches in one chunk, dist/chunks/core.js, and each entry point of package.json's "exports" a
// module of its own that re-exports from it. Bundlers then see a handful of modules instead of the
// ~100 of src/. That matters to webpack: it keeps a page's library modules apart when the page
// uses top-level await (its module concatenation takes no async module, and adds a module to a
// scope only with every module importing it), and each module it keeps apart costs a wrapper and
// export getters, and keeps alive every export another module's code names, used or not (its
// inner graph counts a class whose constructor calls super() as used); inside one module the
// minifier drops unused code and renames what is left.
// The modules outside the main entry's graph (the Node helpers, ONNX, the relaxed and
// shared-memory builds, the worker pool) stay in their entries or in chunks of their own, so a
// page carries them only when it imports their entry.
// An entry's import of another entry (`export * as nn from "./nn/index.js"`) stays an import, so
// a bundler sees the namespace as an ES module namespace and tree-shakes its members as before;
// the same holds for the modules re-exported as namespaces (nn.init, quantization), which are
// entries of the build for that reason. The embedded build stays behind "#embedded-build"
// (package.json's "imports"), which the "workerd" condition swaps for the .wasm file imported as a
// module (src/backend/workerd-build.ts).
// Used by scripts/build-js.mjs (dist/) and test/bundle-size.test.ts (what a bundler sees).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { build, transform } from "esbuild";
import MagicString from "magic-string";
import { rollup } from "rollup";

const root = new URL("..", import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const source = (target) => resolve(root, target.replace(/^\.\/dist\//, "src/").replace(/\.js$/, ".ts"));
const mainEntry = source(manifest.exports["."].import.default);
/** The ES entry points (exports' "import" targets). */
const entryPoints = Object.values(manifest.exports).flatMap((target) => (target.import ? [source(target.import.default)] : []));
/** The modules that run for their effect (they register builds): package.json's "sideEffects". */
const effectful = manifest.sideEffects.filter((f) => f.startsWith("./src/")).map((f) => resolve(root, f));
/** The modules "#embedded-build" resolves to. */
const embeddedBuilds = Object.values(manifest.imports["#embedded-build"]).map(source);

function walk(dir) {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
}
/** The modules another module re-exports as a namespace (`export * as init from "./init.js"`). */
const namespaceTargets = () =>
  walk(join(root, "src")).flatMap((file) =>
    [...readFileSync(file, "utf8").matchAll(/^export \* as \w+ from "(\.[^"]+)\.js";/gm)].map((m) => resolve(dirname(file), `${m[1]}.ts`)),
  );

/** Writes the ES build's JavaScript (with source maps carrying their sources, if `sourcemap`) into `outdir`. */
export async function bundleEsm(to, { sourcemap = true } = {}) {
  const outdir = resolve(to);
  const entries = new Set([...entryPoints, ...namespaceTargets()]);
  const input = Object.fromEntries([...entries].map((f) => [relative(join(root, "src"), f).replace(/\.ts$/, ""), f]));
  let core;
  const entryImports = new Map(); // entry -> the entries it imports
  const bundle = await rollup({
    input,
    treeshake: { moduleSideEffects: (id) => effectful.includes(id) },
    plugins: [
      // In one chunk, a bundler drops a declaration a page does not use only if it can tell its
      // initializer has no side effects (as a module of its own, `sideEffects: false` let it drop
      // the whole module). No module computes at load time anything another relies on but the
      // values it declares (the promise `sideEffects: false` makes per module), so each top-level
      // initializer a bundler could not prove pure (a call, a property read such as kinds.size, a
      // class with a computed key such as Tensor's [inspect.custom]) is wrapped in an arrow
      // function annotated pure and called at once: dropped when unused, inlined when minified.
      {
        name: "pure-declarations",
        renderChunk(code) {
          const out = new MagicString(code);
          for (const statement of this.parse(code).body) {
            if (statement.type === "VariableDeclaration") {
              for (const { init } of statement.declarations) if (init && !provablyPure(init, code)) out.prependLeft(init.start, "/* @__PURE__ */ (() => (").appendRight(init.end, "))()");
            } else if (statement.type === "ClassDeclaration" && !provablyPure(statement, code)) {
              out.prependLeft(statement.start, `const ${statement.id.name} = /* @__PURE__ */ (() => `).appendRight(statement.end, ")();");
            }
          }
          return { code: out.toString(), map: out.generateMap({ hires: "boundary" }) };
        },
      },
      {
        name: "simdgrad-sources",
        resolveId(specifier, importer) {
          if (!importer) return null;
          // Bare imports are the runtime's (node:fs) or optional peers loaded on use; none is imported for its side effects.
          if (!specifier.startsWith(".")) return { id: specifier, external: true, moduleSideEffects: false };
          const target = resolve(dirname(importer), specifier.replace(/\.js$/, ".ts"));
          if (embeddedBuilds.includes(target)) return { id: "#embedded-build", external: true, moduleSideEffects: false };
          // An entry's import of another entry stays an import; an entry's output sits where its source does.
          if (entries.has(target) && entries.has(importer)) {
            entryImports.set(importer, [...(entryImports.get(importer) ?? []), target]);
            return { id: target.replace(/\.ts$/, ".js"), external: true, moduleSideEffects: false };
          }
          return target;
        },
        async transform(code, id) {
          const result = await transform(code, { loader: "ts", target: "es2022", sourcemap: true, sourcefile: id });
          // The generated modules of embedded builds are data (and not in the package's src/): no map.
          return { code: result.code, map: /\/generated\/wasm-binaries/.test(id) ? { mappings: "" } : result.map };
        },
      },
    ],
    onwarn(warning) {
      // The cycles are the design (Tensor's methods call the ops, which make Tensors); rollup orders them as Node does.
      if (warning.code === "CIRCULAR_DEPENDENCY") return;
      throw new Error(`esm-bundle: ${warning.message}`);
    },
  });
  await bundle.write({
    dir: outdir,
    format: "es",
    sourcemap,
    entryFileNames: "[name].js",
    // An entry imports what it uses, not also what that imports (a bundler would keep a bare
    // import of #embedded-build in a page that uses none of the kernels).
    hoistTransitiveImports: false,
    chunkFileNames: "chunks/[name].js",
    manualChunks(id, { getModuleInfo }) {
      core ??= reachable(mainEntry, (from) => [...(getModuleInfo(from)?.importedIds ?? []), ...(entryImports.get(from) ?? [])]);
      return core.has(id) && !entryPoints.includes(id) ? "core" : undefined;
    },
  });
  await bundle.close();
  // The embedded builds are data, not code anyone steps through: no maps.
  await build({ absWorkingDir: root, entryPoints: embeddedBuilds, outdir, outbase: "src", format: "esm", target: "es2022", logLevel: "warning" });
}

/**
 * Whether every bundler can tell that evaluating `node` (in `code`) has no side effects: literals,
 * names, functions, calls annotated pure, and classes and literals made of them; no other call,
 * no property read, no computed key but a well-known symbol.
 */
function provablyPure(node, code) {
  const pure = (n) => provablyPure(n, code);
  switch (node.type) {
    case "Literal":
    case "Identifier":
    case "FunctionExpression":
    case "ArrowFunctionExpression":
      return true;
    case "TemplateLiteral":
      return node.expressions.length === 0;
    case "UnaryExpression":
      return node.argument.type === "Literal";
    case "BinaryExpression":
      return [node.left, node.right].every((n) => n.type === "Literal" || (n.type === "BinaryExpression" && pure(n)));
    case "CallExpression":
    case "NewExpression":
      return /@__PURE__ \*\/ $/.test(code.slice(Math.max(0, node.start - 16), node.start)) && (node.callee.type === "Identifier" || (node.callee.type === "MemberExpression" && node.callee.object.type === "Identifier")) && node.arguments.every(pure);
    case "ArrayExpression":
      return node.elements.every((e) => e && e.type !== "SpreadElement" && pure(e));
    case "ObjectExpression":
      return node.properties.every((p) => p.type === "Property" && !p.computed && pure(p.value));
    case "ClassDeclaration":
    case "ClassExpression": {
      const wellKnownSymbol = (key) => key.type === "MemberExpression" && key.object.type === "Identifier" && key.object.name === "Symbol" && !key.computed;
      return (
        (!node.superClass || node.superClass.type === "Identifier") &&
        node.body.body.every((m) => m.type !== "StaticBlock" && (!m.computed || wellKnownSymbol(m.key)) && !(m.static && m.value && !pure(m.value)))
      );
    }
    default:
      return false;
  }
}

/** The modules `from` reaches through static imports. */
function reachable(from, imports) {
  const seen = new Set([from]);
  for (const id of seen) for (const next of imports(id)) seen.add(next);
  return seen;
}

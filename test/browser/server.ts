// A tiny static server for the browser test: serves a fixed set of files on 127.0.0.1 (random
// port) with the headers that make the page cross-origin isolated, so SharedArrayBuffer and
// shared WebAssembly.Memory (hence worker threads) are available. A request with
// `?isolated=0` gets no COOP/COEP, to check the library's error on a page that is not isolated.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";

const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".wasm": "application/wasm" };

export interface StaticServer {
  origin: string;
  close(): Promise<void>;
}

/** Serves `files` (URL path -> file on disk); any other path is a 404. */
export async function serveFiles(files: Record<string, string>): Promise<StaticServer> {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    const file = files[path];
    if (!file) return void res.writeHead(404).end(`not found: ${path}`);
    const body = await readFile(file);
    const isolation = url.searchParams.get("isolated") === "0" ? {} : { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };
    res.writeHead(200, {
      "Content-Type": TYPES[file.slice(file.lastIndexOf("."))] ?? "application/octet-stream",
      "Cross-Origin-Resource-Policy": "same-origin",
      "Cache-Control": "no-store",
      ...isolation,
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

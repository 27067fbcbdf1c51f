import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { build } from "esbuild";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { trainXorQuadrants } from "./workerd/train.js";

// simdgrad in Cloudflare's edge runtime: workerd (npm devDependency) serves test/workerd/worker.ts,
// bundled by esbuild with the .wasm import left external and declared as a wasm module in
// test/workerd/config.capnp. workerd forbids compiling wasm from bytes ("Wasm code generation
// disallowed by embedder"), so the worker passes the imported module to init({ source }); a
// second service that does not must get an error telling the user to do so.
// No skip: if workerd is missing or cannot start here, this test fails and says why.

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const WORKERD = here("../node_modules/.bin/workerd");
const WASM = here("../build/simdgrad.wasm");

interface TrainResult {
  build: string;
  initialLoss: number;
  finalLoss: number;
  memoryStats: { afterWarmup: Record<string, number>; atEnd: Record<string, number> };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe("in workerd", () => {
  let dir: string, workerd: ChildProcess | undefined;
  let output = "";
  const origins: Record<"module" | "embedded", string> = { module: "", embedded: "" };

  /** Fetches from a service, waiting for workerd to listen; fails with workerd's output if it exits. */
  async function get(service: keyof typeof origins): Promise<{ status: number; body: any }> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (workerd?.exitCode !== null) throw new Error(`workerd exited with code ${workerd?.exitCode}:\n${output}`);
      try {
        const response = await fetch(origins[service]);
        return { status: response.status, body: await response.json() };
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`workerd did not answer on ${origins[service]} within 15 s (${e}):\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  beforeAll(async () => {
    if (!existsSync(WORKERD)) throw new Error(`workerd not found at ${WORKERD}: run \`npm ci\` (workerd is a devDependency)`);
    if (!existsSync(WASM)) throw new Error(`${WASM} not found: run \`npm run build:wasm\``);
    dir = await mkdtemp(join(tmpdir(), "simdgrad-workerd-"));
    await build({
      entryPoints: [here("./workerd/worker.ts")],
      bundle: true,
      platform: "browser",
      format: "esm",
      target: "es2022",
      external: ["*.wasm"],
      outfile: join(dir, "worker.js"),
      logLevel: "silent",
    });
    await copyFile(WASM, join(dir, "simdgrad.wasm"));
    await copyFile(here("./workerd/config.capnp"), join(dir, "config.capnp"));
    origins.module = `http://127.0.0.1:${await freePort()}`;
    origins.embedded = `http://127.0.0.1:${await freePort()}`;
    workerd = spawn(
      WORKERD,
      ["serve", join(dir, "config.capnp"), "--socket-addr", `module=${origins.module.slice(7)}`, "--socket-addr", `embedded=${origins.embedded.slice(7)}`],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    workerd.stdout!.on("data", (d) => (output += d));
    workerd.stderr!.on("data", (d) => (output += d));
    await new Promise<void>((resolve, reject) => {
      workerd!.once("spawn", resolve);
      workerd!.once("error", (e) => reject(new Error(`workerd could not be started (${WORKERD}): ${e.message}`)));
    });
  });

  afterAll(async () => {
    if (workerd && workerd.exitCode === null) {
      const exited = new Promise((r) => workerd!.once("exit", r));
      workerd.kill();
      await exited;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("trains an MLP on the precompiled module passed to init({ source }), with flat memory", async () => {
    const { status, body } = await get("module");
    expect(status, JSON.stringify(body)).toBe(200);
    const r = body as TrainResult;
    expect(r.build).toBe("custom");
    // Two balanced classes: the untrained loss is near ln 2; the trained MLP separates the quadrants.
    expect(r.initialLoss).toBeGreaterThan(0.5);
    expect(r.finalLoss).toBeLessThan(0.05);
    // Same seeds and kernels in Node give the same losses (to float rounding: the relaxed build fuses).
    const node = trainXorQuadrants();
    expect(r.initialLoss).toBeCloseTo(node.initialLoss, 5);
    expect(r.finalLoss).toBeCloseTo(node.finalLoss, 3);
    // Each step frees what it allocates: steps 51..400 leave the heap exactly as it was.
    expect(r.memoryStats.atEnd).toEqual(r.memoryStats.afterWarmup);
    expect(r.memoryStats.atEnd.liveTensors).toBeGreaterThan(0);
  });

  it("without the module, init() fails with an error that says to pass one", async () => {
    const { status, body } = await get("embedded");
    expect(status).toBe(500);
    expect(body.error.message).toMatch(/disallowed by embedder/);
    expect(body.error.message).toMatch(/init\(\{ source \}\)/);
  });
});

// Helpers for test/package.test.ts: the packed tarball (what `npm publish` would upload) and
// scratch consumer projects that install it, the way a stranger would.
import { execFile, type ExecFileOptions } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repo = fileURLToPath(new URL("../..", import.meta.url));
export const bin = (name: string) => join(repo, "node_modules", ".bin", name);

/** Runs a command (asynchronously: the test worker must keep answering); its stdout, or an error with all it printed. */
export function run(command: string, args: string[], options: ExecFileOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: "utf8", timeout: 300_000, maxBuffer: 64 << 20, ...options }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(" ")} failed (${error.code ?? error.signal}):\n${String(stdout)}\n${String(stderr)}`));
      else resolve(String(stdout));
    });
  });
}

/** `npm pack` of the repository (its prepack builds dist/) into a fresh directory; the tarball's path. */
export async function pack(): Promise<{ root: string; tarball: string }> {
  const root = mkdtempSync(join(tmpdir(), "simdgrad-package-"));
  await run("npm", ["pack", "--pack-destination", root, "--silent"], { cwd: repo });
  const tarball = readdirSync(root).find((f) => f.endsWith(".tgz"));
  if (!tarball) throw new Error(`npm pack wrote no tarball into ${root}`);
  return { root, tarball: join(root, tarball) };
}

/** A project made by `npm init -y` (npm 11: "type": "commonjs"), plus `fields`, with the tarball installed. */
export async function consumerProject(root: string, name: string, tarball: string, fields: Record<string, unknown> = {}): Promise<string> {
  const dir = join(root, name);
  mkdirSync(dir);
  await run("npm", ["init", "-y"], { cwd: dir });
  if (Object.keys(fields).length > 0) {
    const manifest = JSON.parse(await run("npm", ["pkg", "get"], { cwd: dir }));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ ...manifest, ...fields }, null, 2));
  }
  await run("npm", ["install", "--no-audit", "--no-fund", "--offline", tarball], { cwd: dir });
  return dir;
}

// The workload every runtime trains: XOR of quadrants (64 grid points in [-1, 1]², class 1 where
// x·y > 0), full-batch Adam on a 2-16-2 tanh MLP. `train(initOptions)` resolves to its first and
// last loss.
const TRAIN = `
async function train(initOptions = {}) {
  await init(initOptions);
  manualSeed(0);
  const points = [], labels = [];
  for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) {
    const a = i / 3.5 - 1, b = j / 3.5 - 1;
    points.push([a, b]);
    labels.push(a * b > 0 ? 1 : 0);
  }
  const x = tensor(points), y = tensor(labels, [64], { dtype: "int32" });
  const model = new nn.Sequential(new nn.Linear(2, 16), new nn.Tanh(), new nn.Linear(16, 2));
  const opt = new optim.Adam(model.parameters(), { lr: 0.05 });
  const losses = [];
  for (let step = 0; step < 150; step++) {
    losses.push(tidy(() => {
      opt.zeroGrad();
      const loss = nn.functional.crossEntropy(model.forward(x), y);
      loss.backward();
      opt.step();
      return loss.item();
    }));
  }
  return { initialLoss: losses[0], finalLoss: losses[losses.length - 1] };
}
`;
const NAMES = "init, manualSeed, nn, optim, tensor, tidy";

/**
 * The training script in a module system: "esm" and "cjs" print the result as one JSON line (Node,
 * Deno, Bun); "module" only exports train() for a bundle (edge runtimes, pages).
 */
export function trainingScript(kind: "esm" | "cjs" | "module"): string {
  if (kind === "cjs") return `const { ${NAMES} } = require("simdgrad");\n${TRAIN}\ntrain().then((r) => console.log(JSON.stringify(r)));\n`;
  const head = `import { ${NAMES} } from "simdgrad";\n${TRAIN}\n`;
  return kind === "esm" ? `${head}console.log(JSON.stringify(await train()));\n` : `${head}export { train };\n`;
}

/** The JSON line a training script printed last. */
export function lastJson(output: string): { initialLoss: number; finalLoss: number } {
  const lines = output.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

/** Starts two worker threads with no spawner and checks a GEMM split over them against one thread. */
export const THREADS_SCRIPT = `import { getNumThreads, init, manualSeed, randn, setNumThreads } from "simdgrad";
import "simdgrad/threads";
await init({ threads: 2 });
const pool = getNumThreads();
manualSeed(1);
const a = randn([200, 300]), b = randn([300, 150]);
const two = a.matmul(b).data();
setNumThreads(1);
const one = a.matmul(b).data();
console.log(JSON.stringify({ pool, identical: two.every((v, i) => v === one[i]), sum: one.reduce((s, v) => s + v, 0) }));
`;

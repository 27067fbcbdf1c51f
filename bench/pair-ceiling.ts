// What two cores of this machine give two copies of a one-thread workload that share nothing: each
// round times the workload in one process alone, then in two processes at once (each its own
// one-thread simdgrad, started on the same clock), and their order alternates between rounds. Two
// threads of one process can at best match the pair (they also share the JavaScript between the
// kernels and wait for each other at every job), so 2 × pair / alone is the ceiling of a 2-thread
// speedup here: on a virtual machine whose vCPUs share a physical core, or whose host takes them
// away, it is below 2x, and bench/threads.ts's targets above it cannot be met on that machine.
//   node --expose-gc --import tsx bench/pair-ceiling.ts [--rounds R] [--seconds S] [--filter <regex>]
import { spawn } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import * as sg from "../src/index.js";
import { convWorkloads } from "./conv.js";
import { gemmWorkloads } from "./gemm.js";
import { lenetWorkloads } from "./lenet.js";
import { mlpWorkloads } from "./mlp.js";
import { median, timeCalls, toValue } from "./timing.js";

const NAMES = ["gemm-1024", "mlp-train", "lenet-train", "conv-res64-fwd"];
const all = [...gemmWorkloads, ...mlpWorkloads, ...convWorkloads, ...lenetWorkloads];
// Time for a child to start Node, build its case and warm up before the common start.
const START_DELAY_MS = 4000;
const HELP = "usage: bench/pair-ceiling.ts [--rounds R] [--seconds S] [--filter <regex>]";

/** Child: `--child <workload> <start ms since epoch> <seconds>`: warm up, wait for the start, print the seconds per call. */
async function child(name: string, startAt: number, seconds: number): Promise<void> {
  await sg.init();
  const c = all.find((w) => w.name === name)!.simdgrad();
  timeCalls(c.run, 0.3); // compile and warm up before the common start
  const late = Date.now() - startAt;
  while (Date.now() < startAt) { /* both processes begin on the same wall-clock instant */ }
  process.stdout.write(`${timeCalls(c.run, seconds)} ${Math.max(0, late)}\n`);
  c.dispose?.();
}

/** Runs `copies` children of `name` started together; their seconds per call. */
function runCopies(name: string, copies: number, seconds: number): Promise<number[]> {
  const startAt = Date.now() + START_DELAY_MS;
  const script = fileURLToPath(import.meta.url);
  return Promise.all(Array.from({ length: copies }, () => new Promise<number>((done, failed) => {
    const p = spawn(process.execPath, [...process.execArgv, script, "--child", name, String(startAt), String(seconds)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d));
    p.on("exit", (code) => {
      const [secs, late] = out.trim().split(" ").map(Number);
      if (code !== 0 || !(secs > 0)) failed(new Error(`pair-ceiling: ${name} child exited with ${code}: ${out}`));
      // A child still warming up at the start would leave the other alone for a while.
      else if (late > 0) failed(new Error(`pair-ceiling: ${name} child was ready ${late} ms after the common start; raise START_DELAY_MS`));
      else done(secs);
    });
  })));
}

function parse(argv: string[]) {
  const o = { rounds: 6, seconds: 1.5, filter: null as RegExp | null };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const value = () => inline ?? argv[++i];
    if (flag === "--rounds") o.rounds = Number(value());
    else if (flag === "--seconds") o.seconds = Number(value());
    else if (flag === "--filter") o.filter = new RegExp(value());
    else fail(flag === "--help" ? "" : `unknown argument ${argv[i]}`);
  }
  if (!Number.isInteger(o.rounds) || o.rounds < 1) fail(`--rounds needs a whole number >= 1, got ${o.rounds}`);
  if (!(o.seconds > 0)) fail(`--seconds needs a positive number, got ${o.seconds}`);
  return o;
}

function fail(message: string): never {
  console.error(message ? `bench/pair-ceiling.ts: ${message}\n${HELP}` : HELP);
  process.exit(message ? 2 : 0);
}

const argv = process.argv.slice(2);
if (argv[0] === "--child") {
  await child(argv[1], Number(argv[2]), Number(argv[3]));
} else {
  const o = parse(argv);
  const workloads = NAMES.map((n) => all.find((w) => w.name === n)!).filter((w) => !o.filter || o.filter.test(w.name));
  if (!workloads.length) fail(`--filter ${o.filter} matches none of ${NAMES.join(", ")}`);
  const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v.toPrecision(3));
  console.log(`simdgrad, one thread per process: alone against two processes at once | node ${process.version} | ${cpus()[0]?.model.trim()} x${cpus().length} | ${o.rounds} rounds of ${o.seconds} s | load before ${loadavg().map((l) => l.toFixed(2)).join(" ")} | ${new Date().toISOString()}\n`);
  console.log("| workload | unit | alone | each of two at once | 2 × pair / alone: the 2-thread ceiling | rounds' range |");
  console.log("|---|---|---:|---:|---:|---:|");
  for (const w of workloads) {
    const alone: number[] = [], pair: number[] = [], ratios: number[] = [];
    for (let r = 0; r < o.rounds; r++) {
      // Alternate which goes first, so a slow stretch of the machine does not always hit one side.
      const order = r % 2 === 0 ? [1, 2] : [2, 1];
      const got: Record<number, number> = {};
      for (const copies of order) {
        const secs = await runCopies(w.name, copies, o.seconds);
        got[copies] = median(secs.map((s) => toValue(w, s)));
      }
      alone.push(got[1]);
      pair.push(got[2]);
      // In "ms" a larger value is slower, so the ratio is inverted.
      ratios.push(2 * (w.unit === "ms" ? got[1] / got[2] : got[2] / got[1]));
    }
    console.log(`| ${w.name} | ${w.unit} | ${fmt(median(alone))} | ${fmt(median(pair))} | ${median(ratios).toFixed(2)}x | ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}x |`);
  }
}

// The browser benchmark's page: simdgrad (relaxed SIMD where the browser has it, the worker pool
// on a cross-origin isolated page) at 1 and 2 threads and TF.js wasm, on the workloads of bench/,
// in interleaved rounds on the page's main thread, as an app would call them. bench/browser/run.ts
// serves it, calls window.runBench and writes the table.
import * as sg from "../../src/index.js";
import "../../src/relaxed.js";
import "../../src/threads.js";
import { convWorkloads } from "../conv.js";
import { gemmWorkloads } from "../gemm.js";
import type { Case, Workload } from "../harness.js";
import { lenetWorkloads } from "../lenet.js";
import { mlpWorkloads } from "../mlp.js";
import { timeCalls, toValue } from "../timing.js";
import { cannotTrain, initTfjs } from "./peers.js";

export interface BenchConfig {
  workloads: string[];
  rounds: number;
  seconds: number;
  simdgradThreads: number;
  tfjsThreads: number;
}

export interface Variant {
  label: string;
  values: number[]; // per round, in the workload's unit
  note?: string;
}

export interface PageResult {
  info: string;
  /** The threads TF.js's wasm backend runs on (it may give fewer than asked). */
  tfjsThreads: number;
  results: { workload: string; unit: string; variants: Variant[] }[];
}

async function runBench(config: BenchConfig): Promise<PageResult> {
  const { build } = await sg.init({ threads: config.simdgradThreads });
  const tf = await initTfjs(config.tfjsThreads);
  const all = [...gemmWorkloads, ...mlpWorkloads, ...convWorkloads, ...lenetWorkloads];
  const results: PageResult["results"] = [];
  for (const name of config.workloads) {
    const w = all.find((x) => x.name === name);
    if (!w) throw new Error(`bench: no workload ${name}`);
    const variants: { label: string; threads?: number; c: Case | null; v: Variant }[] = [
      ...[1, config.simdgradThreads].map((t) => ({ label: `simdgrad ${t}t`, threads: t, c: null as Case | null, v: { label: `simdgrad ${t}t`, values: [] as number[] } })),
      { label: `tfjs-wasm ${tf.threads}t`, c: null, v: { label: `tfjs-wasm ${tf.threads}t`, values: [] } },
    ];
    const mine = w.simdgrad();
    for (const x of variants) {
      if (x.threads) x.c = mine;
      else {
        try {
          x.c = w.tfjs();
        } catch (e) {
          x.v.note = cannotTrain(e) ?? `error: ${String((e as Error)?.message ?? e).split("\n")[0]}`;
        }
      }
    }
    const run = (x: (typeof variants)[number]) => {
      if (x.threads) sg.setNumThreads(x.threads);
      try {
        return toValue(w, timeCalls(x.c!.run, config.seconds));
      } catch (e) {
        x.v.note = cannotTrain(e) ?? `error: ${String((e as Error)?.message ?? e).split("\n")[0]}`;
        x.c = null;
        return null;
      }
    };
    for (const x of variants) if (x.c) run(x); // warm-up
    for (let r = 0; r < config.rounds; r++) {
      const order = r % 2 ? [...variants].reverse() : variants;
      for (const x of order) {
        if (!x.c) continue;
        const value = run(x);
        if (value !== null) x.v.values.push(value);
        // yield to the event loop between rounds (the page stays responsive; workers' messages get through)
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
    mine.dispose?.();
    variants.find((x) => !x.threads)?.c?.dispose?.();
    results.push({ workload: w.name, unit: w.unit, variants: variants.map((x) => x.v) });
  }
  return { tfjsThreads: tf.threads, info: `simdgrad build ${build} (pool of ${config.simdgradThreads}) | ${tf.info} | ${navigator.userAgent} | ${navigator.hardwareConcurrency} cores | crossOriginIsolated ${crossOriginIsolated}`, results };
}

(window as unknown as { runBench: typeof runBench }).runBench = runBench;
(window as unknown as { benchReady: boolean }).benchReady = true;

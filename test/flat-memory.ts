// The check the training-loop memory tests share: run a step function many times, each inside a
// tidy, and record every step past warm-up whose memoryStats() (bytes in use, bytes reserved, wasm
// memory size, live tensors) differs from the stats at the end of warm-up (by then the optimizer's
// lazily created state exists).
import { tidy, memoryStats } from "../src/index.js";

type Stats = ReturnType<typeof memoryStats>;

export interface FlatRun {
  /** what each step returned (its loss) */
  losses: number[];
  /** the stats after the last warm-up step */
  baseline: Stats;
  /** the steps whose stats differed from the baseline */
  changed: { step: number; stats: Stats }[];
}

export function runSteps(steps: number, step: (i: number) => number, warmUp = 5): FlatRun {
  const losses: number[] = [];
  let baseline: Stats | null = null;
  const changed: FlatRun["changed"] = [];
  for (let i = 0; i < steps; i++) {
    losses.push(tidy(() => step(i)));
    const stats = memoryStats();
    if (i + 1 === warmUp) baseline = stats;
    else if (baseline && JSON.stringify(stats) !== JSON.stringify(baseline)) changed.push({ step: i, stats });
  }
  return { losses, baseline: baseline!, changed };
}

/** The mean of losses[from, to). */
export const meanOf = (losses: number[], from: number, to: number) => losses.slice(from, to).reduce((a, b) => a + b, 0) / (to - from);

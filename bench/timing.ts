// The small timing helpers every bench shares, free of Node and benchmark.js imports so the browser
// page can bundle them too.
import type { Workload } from "./harness.js";

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Converts seconds per call to the workload's unit. */
export function toValue(w: Workload, seconds: number): number {
  if (w.unit === "ms") return seconds * 1e3;
  if (w.unit === "GFLOP/s") return w.perCall! / seconds / 1e9;
  return w.perCall! / seconds;
}

/** Seconds per call over a run of about `seconds` (after one warm call). */
export function timeCalls(run: () => void, seconds: number): number {
  run();
  let calls = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < seconds * 1e3 || calls < 2) {
    run();
    calls++;
    t = performance.now();
  }
  return (t - t0) / 1e3 / calls;
}

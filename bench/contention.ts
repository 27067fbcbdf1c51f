// Busy processes for the contention benchmarks: each spins on one core until stopped, as another
// program on a shared machine would (`npm run bench -- --threads 2 --contention`, bench/threads.ts).
import { spawn, type ChildProcess } from "node:child_process";

export interface Busy {
  stop(): void;
}

// The child spins in slices of about a millisecond and exits when its parent is gone (ppid
// changes) or after an hour, so a killed benchmark leaves no spinning process behind.
const BUSY_LOOP = `const parent = process.ppid, end = Date.now() + 3600e3;
for (let x = 0; ; ) { for (let i = 0; i < 1e6; i++) x = (x * 31 + i) | 0; if (process.ppid !== parent || Date.now() > end) process.exit(x & 0); }`;

/** Starts `count` processes that each keep a core busy; stop() ends them (as does this process's exit). */
export function startBusy(count: number): Busy {
  const children: ChildProcess[] = Array.from({ length: count }, () => spawn(process.execPath, ["-e", BUSY_LOOP], { stdio: "ignore" }));
  const stop = () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  };
  process.once("exit", stop);
  return { stop };
}

// The thread pool's backoff policy on synthetic job times (no threads, no clock): what stalls it
// pays from the credit the workers earned, when it backs off and for how long, and when it tries
// the workers again.
import { describe, it, expect } from "vitest";
import { Backoff } from "../src/backend/backoff.js";

/** Feeds `n` jobs of `alone` ms solo that took `took` over the threads, 1 ms apart from `t`; returns the backoffs and the clock after them. */
function feed(b: Backoff, n: number, alone: number, took: number, t: number): { backoffs: number; t: number } {
  let backoffs = 0;
  for (let i = 0; i < n; i++) {
    t += took;
    if (b.judge(alone, took, t)) backoffs++;
  }
  return { backoffs, t };
}

describe("the pool's backoff", () => {
  it("never backs off while the workers save time", () => {
    const b = new Backoff(0);
    expect(feed(b, 1000, 1, 0.6, 0).backoffs).toBe(0);
    expect(b.backingOff(10_000)).toBe(false);
  });

  it("pays a host's brief stall (12 ms on one job) from what the workers saved before it", () => {
    const b = new Backoff(0);
    // 100 jobs of 1 ms alone at 0.6 ms each: 40 ms saved, of which CREDIT_MAX_MS (16) is kept
    let { t } = feed(b, 100, 1, 0.6, 0);
    t += 13;
    expect(b.judge(1, 13, t)).toBe(false);
    expect(b.backingOff(t)).toBe(false);
    // and again, once the workers have earned it back
    t = feed(b, 100, 1, 0.6, t).t + 13;
    expect(b.judge(1, 13, t)).toBe(false);
    // two shorter stalls back to back, within what was saved (16 ms)
    t = feed(b, 100, 1, 0.6, t).t + 7;
    expect(b.judge(1, 7, t)).toBe(false);
    t += 7;
    expect(b.judge(1, 7, t)).toBe(false);
    expect(b.backingOff(t)).toBe(false);
  });

  it("earns no credit from windows that merely break even (under CLEAR_GAIN, 1.2x: luck on a loaded machine)", () => {
    const b = new Backoff(0);
    // 100 jobs at 0.9 ms where the caller alone takes 1 ms: 1.11x, 10 ms saved but no credit
    let { t, backoffs } = feed(b, 100, 1, 0.9, 0);
    expect(backoffs).toBe(0);
    t += 13;
    expect(b.judge(1, 13, t)).toBe(true);
  });

  it("backs off from the same stall with no credit (the first window), for at least LOSS_FACTOR times what it lost", () => {
    const b = new Backoff(0);
    expect(b.judge(1, 13, 13)).toBe(true);
    // lost 12 ms: solo for at least 120 ms
    expect(b.backingOff(13 + 119)).toBe(true);
    expect(b.soloNow(1, 13 + 119)).toBe(true);
    expect(b.backingOff(13 + 121)).toBe(false);
  });

  it("backs off under lasting contention once the credit is spent, and for longer at each strike", () => {
    const b = new Backoff(0);
    let { t } = feed(b, 100, 1, 0.6, 0); // credit: 16 ms
    // every job now takes 3x its solo time: 2 ms lost each
    let lost = 0, first = -1;
    for (let i = 0; i < 100 && first < 0; i++) {
      t += 3;
      lost += 2;
      if (b.judge(1, 3, t)) first = t;
    }
    expect(first).toBeGreaterThan(0);
    // it spent the credit (16) and LOSS_MAX_MS (2) more at most before backing off
    expect(lost).toBeLessThanOrEqual(16 + 2 + 2);
    const soloUntil = (() => { let u = first; while (b.backingOff(u)) u += 1; return u; })();
    expect(soloUntil - first).toBeGreaterThanOrEqual(20);
    // the next try loses at once (no credit left) and backs off for longer (the strike doubles the factor)
    expect(b.soloNow(1, soloUntil)).toBe(false);
    let second = -1;
    for (t = soloUntil; second < 0; ) {
      t += 3;
      if (b.judge(1, 3, t)) second = t;
    }
    expect(second - soloUntil).toBeLessThanOrEqual(3 * 2);
    let until2 = second;
    while (b.backingOff(until2)) until2 += 1;
    expect(until2 - second).toBeGreaterThan(soloUntil - first);
  });

  it("refreshes the estimates: after REFRESH_EVERY_MS over the threads, REFRESH_MS on the caller alone", () => {
    const b = new Backoff(0);
    expect(b.soloNow(1, 999)).toBe(false);
    expect(b.soloNow(1, 1001)).toBe(true);
    expect(b.soloNow(1, 1010)).toBe(true);
    expect(b.soloNow(1, 1012)).toBe(false);
    // a long job is refreshed less often: REFRESH_FACTOR (200) times its solo time
    expect(b.soloNow(25, 1012 + 4999)).toBe(false);
  });

  it("retry() ends a backoff at once", () => {
    const b = new Backoff(0);
    expect(b.judge(1, 100, 100)).toBe(true);
    expect(b.backingOff(101)).toBe(true);
    b.retry(101);
    expect(b.backingOff(101)).toBe(false);
    expect(b.soloNow(1, 102)).toBe(false);
  });
});

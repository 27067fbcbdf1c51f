// The part of benchmark.js 2.1 that the harness uses (the package ships no types).
declare module "benchmark" {
  interface Options {
    /** With defer: fn gets a deferred and calls its resolve() when the call is done. */
    fn: (() => void) | ((deferred: { resolve: () => void }) => void);
    defer?: boolean;
    minSamples?: number;
    maxTime?: number;
    initCount?: number;
  }
  class Benchmark {
    static support: { decompilation: boolean };
    constructor(options: Options);
    run(options?: { async?: boolean }): this;
    on(event: "complete", listener: () => void): this;
    error?: Error;
    stats: { sample: number[]; rme: number; mean: number };
  }
  export default Benchmark;
}

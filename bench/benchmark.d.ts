// The part of benchmark.js 2.1 that the harness uses (the package ships no types).
declare module "benchmark" {
  interface Options {
    fn: () => void;
    minSamples?: number;
    maxTime?: number;
    initCount?: number;
  }
  class Benchmark {
    static support: { decompilation: boolean };
    constructor(options: Options);
    run(options?: { async?: boolean }): this;
    error?: Error;
    stats: { sample: number[]; rme: number; mean: number };
  }
  export default Benchmark;
}

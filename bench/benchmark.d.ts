// The small part of benchmark.js (CommonJS, no bundled types; @types/benchmark is not a
// dependency) that the micro benchmarks use.
declare module 'benchmark' {
  namespace Benchmark {
    interface Options {
      minSamples?: number;
      maxTime?: number;
    }
    interface Stats {
      /** Relative margin of error, in percent. */
      rme: number;
      /** Seconds per operation. */
      mean: number;
      sample: number[];
    }
  }
  class Benchmark {
    constructor(name: string, fn: () => void, options?: Benchmark.Options);
    readonly name: string;
    /** Operations per second. */
    readonly hz: number;
    readonly stats: Benchmark.Stats;
    readonly error?: Error;
    /** Runs synchronously unless { async: true }. */
    run(options?: { async?: boolean }): this;
    toString(): string;
  }
  export = Benchmark;
}

// The part of cli-progress (a CommonJS package without bundled types) that src/node.ts uses.
declare module "cli-progress" {
  namespace cliProgress {
    interface Options {
      format?: string;
      stream?: NodeJS.WritableStream;
      clearOnComplete?: boolean;
      hideCursor?: boolean;
      barsize?: number;
      fps?: number;
    }
    class SingleBar {
      constructor(options: Options, preset?: object);
      start(total: number, startValue: number, payload?: Record<string, unknown>): void;
      update(value: number, payload?: Record<string, unknown>): void;
      stop(): void;
    }
    const Presets: { shades_classic: object; legacy: object; rect: object };
  }
  export = cliProgress;
}

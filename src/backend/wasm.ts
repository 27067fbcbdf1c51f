// Loads the kernel module: the relaxed-SIMD build where the runtime validates it, else the
// plain SIMD build. Both are embedded, so no path or fetch is needed; a runtime that forbids
// compiling wasm from bytes (Cloudflare workerd) passes a precompiled WebAssembly.Module.
// With `threads > 1` the shared-memory builds are loaded instead and a worker pool is started.
import { Allocator } from "./allocator.js";
import { relaxedWasmBase64, simdWasmBase64 } from "./generated/wasm-binaries.js";
import { bindKernels, type KernelExports } from "./kernels.js";
import { ThreadPool, type WorkerSpawner } from "./threads.js";

export interface Backend {
  readonly memory: WebAssembly.Memory;
  readonly kernels: KernelExports;
  readonly build: "simd" | "relaxed-simd" | "custom";
  /** The allocator over this instance's memory. */
  readonly heap: Allocator;
  /** The worker pool when initialised with threads > 1. */
  readonly pool: ThreadPool | null;
}

let current: Backend | null = null;

// 2 MiB to start (the GEMM workspace and small models fit); the allocator grows it on demand,
// close to what is needed, up to the 4 GiB wasm32 limit.
const INITIAL_PAGES = 32;
const MAXIMUM_PAGES = 65536;

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

export type WasmSource = WebAssembly.Module | BufferSource;

function pickBuild(relaxed: string, simd: string, preferRelaxed: boolean): { bytes: Uint8Array<ArrayBuffer>; build: Backend["build"] } {
  if (preferRelaxed) {
    const bytes = decodeBase64(relaxed);
    if (WebAssembly.validate(bytes)) return { bytes, build: "relaxed-simd" };
  }
  const bytes = decodeBase64(simd);
  if (!WebAssembly.validate(bytes)) {
    throw new Error("simdgrad: this runtime does not support WebAssembly SIMD (128-bit), which simdgrad requires");
  }
  return { bytes, build: "simd" };
}

// Runtimes that forbid compiling wasm at run time (Cloudflare workerd: "Wasm code generation
// disallowed by embedder"; pages whose CSP lacks 'wasm-unsafe-eval') throw a bare CompileError:
// say what to do instead.
function explainCompileError(e: unknown): unknown {
  if (!(e instanceof WebAssembly.CompileError)) return e;
  return new Error(
    `simdgrad: compiling the wasm kernels failed (${e.message}). If this runtime forbids compiling wasm at run time ` +
      `(e.g. Cloudflare Workers), import the precompiled module ("simdgrad/simdgrad.wasm") and pass it to init({ source }); ` +
      `in a page whose Content-Security-Policy blocks it, add 'wasm-unsafe-eval' to script-src (a page compiles every module it runs)`,
    { cause: e },
  );
}

function compileSync(bytes: BufferSource): WebAssembly.Module {
  try {
    return new WebAssembly.Module(bytes);
  } catch (e) {
    throw explainCompileError(e);
  }
}

function compile(bytes: BufferSource): Promise<WebAssembly.Module> {
  return WebAssembly.compile(bytes).catch((e) => Promise.reject(explainCompileError(e)));
}

// The pool, if any, is attached by init() once its workers run on this instance's memory.
function instantiate(module: WebAssembly.Module, build: Backend["build"], memory: WebAssembly.Memory): Backend {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const kernels = bindKernels(instance.exports);
  current = { memory, kernels, build, heap: new Allocator({ memory, kernels }), pool: null };
  return current;
}

export interface InitOptions {
  /** A precompiled module or its bytes (e.g. the file build/simdgrad.wasm imported by a bundler). */
  source?: WasmSource;
  /** Use the relaxed-SIMD (fused multiply-add) build when the runtime supports it. Default true. */
  relaxedSimd?: boolean;
  /**
   * Worker threads sharing the wasm memory (default 1: no workers). Needs SharedArrayBuffer
   * (cross-origin isolated pages; Node, Deno, Bun).
   */
  threads?: number;
  /** How to start a worker from its source text; defaults to a Blob-URL Web Worker, or worker_threads in Node. */
  spawnWorker?: WorkerSpawner;
}

function checkFresh(): void {
  if (current) throw new Error("simdgrad: already initialised; init() must come before any tensor is created");
}

interface Binaries {
  relaxed: string;
  simd: string;
}

const embedded: Binaries = { relaxed: relaxedWasmBase64, simd: simdWasmBase64 };

// The shared-memory builds are a separate generated module, loaded only when threads are asked for.
async function sharedBinaries(): Promise<Binaries> {
  const shared = await import("./generated/wasm-binaries-shared.js");
  return { relaxed: shared.relaxedSharedWasmBase64, simd: shared.simdSharedWasmBase64 };
}

function newMemory(shared: boolean): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared });
}

/** The user's module or bytes if given, else the embedded build this runtime validates. */
function chooseModule(source: WasmSource | undefined, relaxedSimd: boolean, binaries: Binaries): { module?: WebAssembly.Module; bytes?: BufferSource; build: Backend["build"] } {
  // By tag, not instanceof: a module compiled in another realm (a host passing it into a vm
  // context, as edge-runtime simulators do) is still a module.
  if (Object.prototype.toString.call(source) === "[object WebAssembly.Module]") return { module: source as WebAssembly.Module, build: "custom" };
  if (source) return { bytes: source as BufferSource, build: "custom" };
  return pickBuild(binaries.relaxed, binaries.simd, relaxedSimd);
}

/**
 * Loads the kernels synchronously. Called on first use in Node; browsers' main threads refuse
 * synchronous compilation of large modules, so there call `await init()` before creating tensors.
 */
export function initSync(options: Omit<InitOptions, "threads" | "spawnWorker"> = {}): Backend {
  checkFresh();
  const chosen = chooseModule(options.source, options.relaxedSimd ?? true, embedded);
  return instantiate(chosen.module ?? compileSync(chosen.bytes!), chosen.build, newMemory(false));
}

export async function init(options: InitOptions = {}): Promise<Backend> {
  const { source, relaxedSimd = true, threads = 1 } = options;
  if (current && threads <= 1 && !source) return current;
  checkFresh();
  const shared = threads > 1;
  if (shared && typeof SharedArrayBuffer === "undefined") {
    throw new Error("init: threads need SharedArrayBuffer (in browsers, a cross-origin isolated page); use threads: 1");
  }
  const binaries = shared ? await sharedBinaries() : embedded;
  const chosen = chooseModule(source, relaxedSimd, binaries);
  const module = chosen.module ?? (await compile(chosen.bytes!));
  const b = instantiate(module, chosen.build, newMemory(shared));
  if (!shared) return b;
  const pool = await ThreadPool.start(module, b, threads - 1, options.spawnWorker);
  return (current = { ...b, pool });
}

export function backend(): Backend {
  return current ?? initSync();
}

/** Threads used by parallel kernels (1..pool size). The pool itself is started by init({ threads }). */
export function setNumThreads(n: number): void {
  const pool = backend().pool;
  if (pool) return pool.setThreads(n);
  if (n !== 1) throw new Error(`setNumThreads: no worker pool; start one with await init({ threads: ${n} }) before creating tensors`);
}

export function getNumThreads(): number {
  return backend().pool?.threads ?? 1;
}

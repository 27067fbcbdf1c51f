// Loads the kernel module. The plain SIMD build is embedded, so no path or fetch is needed; the
// relaxed-SIMD build and the shared-memory builds with the worker pool are registered by the
// opt-in entry points `simdgrad/relaxed` and `simdgrad/threads` (src/relaxed.ts, src/threads.ts),
// so a default bundle carries one build and no pool. A runtime that forbids compiling wasm from
// bytes (Cloudflare workerd) passes a precompiled WebAssembly.Module. With `threads > 1` the
// shared-memory builds are loaded instead and a worker pool is started.
import { Allocator } from "./allocator.js";
import { simdWasm } from "./generated/wasm-binaries.js";
import { inflateRaw } from "./inflate.js";
import { bindKernels, type KernelExports } from "./kernels.js";
import type { ThreadPool, WorkerSpawner } from "./threads.js";

export interface Backend {
  readonly memory: WebAssembly.Memory;
  readonly kernels: KernelExports;
  readonly build: "simd" | "relaxed-simd" | "custom";
  /** The allocator over this instance's memory. */
  readonly heap: Allocator;
  /** The worker pool when initialised with threads > 1 (null again after shutdownThreads()). */
  readonly pool: ThreadPool | null;
  /** The compiled module (a new pool's workers instantiate it). */
  readonly module: WebAssembly.Module;
}

let current: Backend | null = null;

// 2 MiB to start (the GEMM workspace and small models fit); the allocator grows it on demand,
// close to what is needed, up to the 4 GiB wasm32 limit.
const INITIAL_PAGES = 32;
const MAXIMUM_PAGES = 65536;

/** A .wasm file as scripts/build-wasm.mjs embeds it: raw DEFLATE, base64-encoded, and its size. */
export interface EmbeddedBuild {
  bytes: number;
  deflated: string;
}

function decodeBuild({ bytes, deflated }: EmbeddedBuild): Uint8Array<ArrayBuffer> {
  const binary = atob(deflated);
  const data = new Uint8Array(binary.length);
  for (let i = 0; i < data.length; i++) data[i] = binary.charCodeAt(i);
  return inflateRaw(data, bytes);
}

export type WasmSource = WebAssembly.Module | BufferSource;

type Chosen = { module?: WebAssembly.Module; bytes?: BufferSource; build: Backend["build"] };

// By tag, not instanceof: a module compiled in another realm (a host passing it into a vm
// context, as edge-runtime simulators do) is still a module.
const isModule = (x: unknown): x is WebAssembly.Module => Object.prototype.toString.call(x) === "[object WebAssembly.Module]";

function pickBuild(relaxed: EmbeddedBuild | undefined, simd: Binaries["simd"], preferRelaxed: boolean): Chosen {
  if (preferRelaxed && relaxed) {
    const bytes = decodeBuild(relaxed);
    if (WebAssembly.validate(bytes)) return { bytes, build: "relaxed-simd" };
  }
  // Under the "workerd" export condition the plain build comes precompiled (backend/workerd-build.ts).
  if (isModule(simd)) return { module: simd, build: "simd" };
  const bytes = decodeBuild(simd);
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
  current = { memory, kernels, build, heap: new Allocator({ memory, kernels }), pool: null, module };
  return current;
}

/** The options of init: which build to load and how many threads to start. */
export interface InitOptions {
  /** A precompiled module or its bytes (e.g. the file build/simdgrad.wasm imported by a bundler). */
  source?: WasmSource;
  /**
   * Use the relaxed-SIMD (fused multiply-add) build when it is loaded (`import "simdgrad/relaxed"`)
   * and the runtime supports it. Default true.
   */
  relaxedSimd?: boolean;
  /**
   * Worker threads sharing the wasm memory (default 1: no workers). Needs the shared-memory builds
   * (`import "simdgrad/threads"`) and SharedArrayBuffer (cross-origin isolated pages; Node, Deno, Bun).
   */
  threads?: number;
  /** How to start a worker from its source text; defaults to a Blob-URL Web Worker, or worker_threads in Node. */
  spawnWorker?: WorkerSpawner;
}

function checkFresh(): void {
  if (current) throw new Error("simdgrad: already initialised; init() must come before any tensor is created");
}

/** The builds init() can pick from: the plain one always (precompiled under workerd), the relaxed one once registered. */
export interface Binaries {
  relaxed?: EmbeddedBuild;
  simd: EmbeddedBuild | WebAssembly.Module;
}

/** What `simdgrad/threads` adds: the shared-memory builds and the pool that runs on them. */
export interface Threading {
  builds: Binaries;
  startPool: typeof ThreadPool.start;
}

const embedded: Binaries = { simd: simdWasm };
let threading: Threading | null = null;

/** Called by the entry point `simdgrad/relaxed` when it is imported. */
export function registerRelaxedBuild(relaxed: EmbeddedBuild): void {
  embedded.relaxed = relaxed;
}

/** Called by the entry point `simdgrad/threads` when it is imported. */
export function registerThreading(t: Threading): void {
  threading = t;
}

function newMemory(shared: boolean): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared });
}

/** The user's module or bytes if given, else the embedded build this runtime validates. */
function chooseModule(source: WasmSource | undefined, relaxedSimd: boolean, binaries: Binaries): Chosen {
  if (isModule(source)) return { module: source, build: "custom" };
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

/**
 * Loads the WebAssembly kernels (the embedded SIMD build, or `source`) and, with `threads` > 1 (after
 * `import "simdgrad/threads"`), starts the worker pool on a shared memory. In browsers call
 * `await init()` before creating any tensor; Node, Deno and Bun load synchronously on first use and need
 * it only for threads. Once the kernels are loaded, it returns them as they are (or starts a pool on a
 * shared memory whose pool was shut down); other options then are an error.
 */
export async function init(options: InitOptions = {}): Promise<Backend> {
  const { source, relaxedSimd = true, threads = 1 } = options;
  if (current && threads <= 1 && !source) return current;
  // A shared memory whose pool was shut down (or lost a worker) takes a new pool; tensors stay.
  if (current && threads > 1 && !source && !current.pool && current.memory.buffer instanceof SharedArrayBuffer) return startPool(current, threads, options.spawnWorker);
  checkFresh();
  const shared = threads > 1;
  if (shared && typeof SharedArrayBuffer === "undefined") {
    throw new Error("init: threads need SharedArrayBuffer (in browsers, a cross-origin isolated page); use threads: 1");
  }
  if (shared && !threading) {
    throw new Error('init: threads need the shared-memory builds and the worker pool; import "simdgrad/threads" (once, anywhere) before calling init({ threads })');
  }
  const binaries = shared ? threading!.builds : embedded;
  const chosen = chooseModule(source, relaxedSimd, binaries);
  const module = chosen.module ?? (await compile(chosen.bytes!));
  const b = instantiate(module, chosen.build, newMemory(shared));
  return shared ? startPool(b, threads, options.spawnWorker) : b;
}

// Only reached with `threading` registered: a shared memory is only made then.
async function startPool(b: Backend, threads: number, spawn: WorkerSpawner | undefined): Promise<Backend> {
  const pool = await threading!.startPool(b.module, b, threads - 1, spawn);
  pool.onLost = () => detachPool(pool);
  return (current = { ...b, pool });
}

function detachPool(pool: ThreadPool): void {
  if (current?.pool === pool) current = { ...current, pool: null };
}

/**
 * Stops the worker pool (kernels then run on the calling thread; tensors are untouched). `await
 * init({ threads })` starts a new one on the same memory. A no-op without a pool.
 */
export function shutdownThreads(): void {
  const pool = current?.pool;
  if (!pool) return;
  pool.terminate();
  detachPool(pool);
}

/**
 * Replaces the wasm memory by a fresh small one (the runtime frees the old pages) when nothing is
 * allocated in it and no worker pool shares it; returns whether it did. A memory cannot shrink,
 * so this is the only way to give pages back.
 */
export function recreateMemory(): boolean {
  if (!current || current.pool || current.heap.bytesInUse !== 0) return false;
  instantiate(current.module, current.build, newMemory(false));
  return true;
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

/** The number of threads parallel kernels use (1 without a pool; see setNumThreads). */
export function getNumThreads(): number {
  return backend().pool?.threads ?? 1;
}

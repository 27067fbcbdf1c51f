// Loads the kernel module: the relaxed-SIMD build where the runtime validates it, else the
// plain SIMD build. Both are embedded, so no path or fetch is needed; a runtime that forbids
// compiling wasm from bytes (Cloudflare workerd) passes a precompiled WebAssembly.Module.
import { relaxedWasmBase64, simdWasmBase64 } from "./generated/wasm-binaries.js";
import type { KernelExports } from "./kernels.js";

export interface Backend {
  readonly memory: WebAssembly.Memory;
  readonly kernels: KernelExports;
  readonly build: "simd" | "relaxed-simd" | "custom";
}

let current: Backend | null = null;
const onLoad: Array<(b: Backend) => void> = [];

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

export type WasmSource = WebAssembly.Module | BufferSource;

function pickModuleBytes(preferRelaxed: boolean): { bytes: Uint8Array<ArrayBuffer>; build: Backend["build"] } {
  if (preferRelaxed) {
    const relaxed = decodeBase64(relaxedWasmBase64);
    if (WebAssembly.validate(relaxed)) return { bytes: relaxed, build: "relaxed-simd" };
  }
  const simd = decodeBase64(simdWasmBase64);
  if (!WebAssembly.validate(simd)) {
    throw new Error("simdgrad: this runtime does not support WebAssembly SIMD (128-bit), which simdgrad requires");
  }
  return { bytes: simd, build: "simd" };
}

function instantiate(module: WebAssembly.Module, build: Backend["build"]): Backend {
  // 16 MiB to start; the allocator grows it on demand up to the 4 GiB wasm32 limit.
  const memory = new WebAssembly.Memory({ initial: 256, maximum: 65536 });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const backend: Backend = { memory, kernels: instance.exports as unknown as KernelExports, build };
  current = backend;
  for (const f of onLoad) f(backend);
  return backend;
}

export interface InitOptions {
  /** A precompiled module or its bytes (e.g. from `import wasm from "simdgrad/build/simdgrad.wasm"`). */
  source?: WasmSource;
  /** Use the relaxed-SIMD (fused multiply-add) build when the runtime supports it. Default true. */
  relaxedSimd?: boolean;
}

/**
 * Loads the kernels synchronously. Called on first use in Node; browsers' main threads refuse
 * synchronous compilation of large modules, so there call `await init()` before creating tensors.
 */
export function initSync(options: InitOptions = {}): Backend {
  if (current) throw new Error("simdgrad: already initialised; init() must come before any tensor is created");
  const { source, relaxedSimd = true } = options;
  if (source instanceof WebAssembly.Module) return instantiate(source, "custom");
  if (source) return instantiate(new WebAssembly.Module(source), "custom");
  const { bytes, build } = pickModuleBytes(relaxedSimd);
  return instantiate(new WebAssembly.Module(bytes), build);
}

export async function init(options: InitOptions = {}): Promise<Backend> {
  if (current) return current;
  const { source, relaxedSimd = true } = options;
  if (source instanceof WebAssembly.Module) return instantiate(source, "custom");
  if (source) return instantiate(await WebAssembly.compile(source), "custom");
  const { bytes, build } = pickModuleBytes(relaxedSimd);
  return instantiate(await WebAssembly.compile(bytes), build);
}

export function backend(): Backend {
  return current ?? initSync();
}

/** Lets backend-level singletons (the allocator) attach to the module once it is loaded. */
export function whenLoaded(f: (b: Backend) => void): void {
  onLoad.push(f);
  if (current) f(current);
}

import type { MemoryStats } from "./backend/allocator.js";
import { heap, wasmMemoryBytes } from "./backend/memory.js";
import { releaseGemmWorkspace } from "./backend/gemm.js";
import { recreateMemory } from "./backend/wasm.js";
import { releaseConvScratch } from "./ops/conv-passes.js";
import { liveTensorCount } from "./tensor.js";

/** Memory held by simdgrad: bytes in live tensors, bytes reserved from wasm memory, live tensors. */
export function memoryStats(): MemoryStats {
  const h = heap();
  return {
    bytesInUse: h.bytesInUse,
    bytesReserved: h.bytesReserved,
    wasmMemoryBytes: wasmMemoryBytes(),
    liveTensors: liveTensorCount(),
  };
}

/**
 * Gives back memory cached after a spike (torch.cuda.empty_cache): the GEMM and convolution
 * workspaces and every cached free block return to the allocator, merged into ranges that serve any
 * size (bytesReserved drops to what is in use plus the free gaps below it). A wasm memory cannot
 * shrink, so the pages themselves go back to the runtime only when no tensor (or optimizer state)
 * is left and no worker pool shares the memory: the memory is then replaced by a fresh 2 MiB one.
 * Returns memoryStats() afterwards.
 */
export function emptyCache(): MemoryStats {
  releaseGemmWorkspace();
  releaseConvScratch();
  heap().coalesce();
  recreateMemory();
  return memoryStats();
}


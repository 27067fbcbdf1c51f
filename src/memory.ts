import type { MemoryStats } from "./backend/allocator.js";
import { heap, wasmMemoryBytes } from "./backend/memory.js";
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

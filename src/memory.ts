import { heap, type MemoryStats } from "./backend/allocator.js";
import { backend } from "./backend/wasm.js";
import { liveTensorCount } from "./tensor.js";

/** Memory held by simdgrad: bytes in live tensors, bytes reserved from wasm memory, live tensors. */
export function memoryStats(): MemoryStats {
  const h = heap();
  return {
    bytesInUse: h.bytesInUse,
    bytesReserved: h.bytesReserved,
    wasmMemoryBytes: backend().memory.buffer.byteLength,
    liveTensors: liveTensorCount(),
  };
}

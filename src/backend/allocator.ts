// A caching allocator over the wasm linear memory: 16-byte aligned blocks handed out from a bump
// pointer, freed blocks kept in per-size free lists and reused for the next request of that size
// class. Training loops repeat the same shapes, so steady state never grows memory. Before the
// memory would grow, the cached blocks are merged into free ranges that serve any size (and those
// at the top lower the bump pointer), so memory freed after a spike is reused by later shapes and
// the footprint stays bounded by the peak in use plus fragmentation. Each backend owns one
// (Backend.heap); the allocator imports nothing at run time, so the backend can make it.
import type { Backend } from "./wasm.js";

const PAGE = 65536;

// Small sizes round to 16 bytes; larger ones to 1/8 of their power of two, so near sizes share a list.
function sizeClass(bytes: number): number {
  if (bytes <= 4096) return Math.max(16, (bytes + 15) & ~15);
  const step = 2 ** Math.floor(Math.log2(bytes)) / 8;
  return Math.ceil(bytes / step) * step;
}

export interface MemoryStats {
  /** bytes held by live storages (rounded to size classes) */
  bytesInUse: number;
  /** bytes taken from the linear memory by the allocator: in use plus cached free blocks */
  bytesReserved: number;
  /** bytes of the wasm memory (what the runtime holds) */
  wasmMemoryBytes: number;
  /** live (not yet disposed) tensors */
  liveTensors: number;
}

export class Allocator {
  private top: number;
  private readonly free = new Map<number, number[]>();
  /** Merged free address ranges [start, end), sorted; made by coalesce(). */
  private spare: [number, number][] = [];
  bytesInUse = 0;

  constructor(private readonly b: Pick<Backend, "memory" | "kernels">) {
    this.top = (b.kernels.heap_base() + 15) & ~15;
  }

  get bytesReserved(): number {
    return this.top - ((this.b.kernels.heap_base() + 15) & ~15);
  }

  /** `what` names the allocation in the out-of-memory error (a function: built only then). */
  alloc(bytes: number, what: string | (() => string)): number {
    const size = sizeClass(bytes);
    const cached = this.free.get(size)?.pop();
    if (cached !== undefined) {
      this.bytesInUse += size;
      return cached;
    }
    const memory = this.b.memory;
    let spare = this.takeSpare(size);
    if (spare < 0 && this.top + size > memory.buffer.byteLength && this.bytesReserved > this.bytesInUse) {
      this.coalesce();
      spare = this.takeSpare(size);
    }
    if (spare >= 0) {
      this.bytesInUse += size;
      return spare;
    }
    const ptr = this.top;
    const end = ptr + size;
    if (end > memory.buffer.byteLength) {
      const needed = Math.ceil((end - memory.buffer.byteLength) / PAGE);
      // Growing commits pages without copying (the engine reserves the address space), so grow by
      // little more than needed: peak wasm memory stays close to peak use. The 1/16 slack keeps
      // a run of small growths from becoming one grow per allocation.
      const pages = Math.max(needed, Math.ceil(memory.buffer.byteLength / PAGE / 16));
      try {
        memory.grow(pages);
      } catch {
        try {
          memory.grow(needed);
        } catch {
          throw new RangeError(
            `simdgrad: out of memory allocating ${bytes} bytes for ${typeof what === "string" ? what : what()} ` +
              `(wasm memory is ${memory.buffer.byteLength} bytes, ${this.bytesInUse} in use; the wasm32 limit is 4 GiB)`,
          );
        }
      }
    }
    this.top = end;
    this.bytesInUse += size;
    return ptr;
  }

  release(ptr: number, bytes: number): void {
    const size = sizeClass(bytes);
    this.bytesInUse -= size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(ptr);
  }

  /**
   * Merges every cached free block into free ranges; ranges that reach the bump pointer lower it.
   * Afterwards bytesReserved counts in-use blocks plus the free ranges below the highest one.
   */
  coalesce(): void {
    const blocks: [number, number][] = [...this.spare];
    for (const [size, list] of this.free) for (const ptr of list) blocks.push([ptr, ptr + size]);
    this.free.clear();
    blocks.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const [start, end] of blocks) {
      const last = merged[merged.length - 1];
      if (last && last[1] === start) last[1] = end;
      else merged.push([start, end]);
    }
    while (merged.length && merged[merged.length - 1][1] === this.top) this.top = merged.pop()![0];
    this.spare = merged;
  }

  // First fit from the free ranges; -1 when none is large enough.
  private takeSpare(size: number): number {
    for (let i = 0; i < this.spare.length; i++) {
      const range = this.spare[i];
      if (range[1] - range[0] < size) continue;
      const ptr = range[0];
      range[0] += size;
      if (range[0] === range[1]) this.spare.splice(i, 1);
      return ptr;
    }
    return -1;
  }
}

// Addresses, views and copies of the linear memory, counted in elements. Every dtype is 32 bits
// wide (float32, int32), so this is the one place that knows an element is 4 bytes. Views are made
// from the current buffer every time: memory.grow detaches the old ones.
import type { Allocator } from "./allocator.js";
import { backend } from "./wasm.js";

/** The allocator of the loaded backend (loading it on first use). */
export function heap(): Allocator {
  return backend().heap;
}

export const ELEMENT_BYTES = 4;

/** The bytes `count` elements take: how far a pointer argument moves per unit of a parallel loop (perUnit). */
export function elementBytes(count: number): number {
  return count * ELEMENT_BYTES;
}

/** The address of element `index` of the block at `ptr`. */
export function elementAt(ptr: number, index: number): number {
  return ptr + index * ELEMENT_BYTES;
}

/** A block of `count` elements from the allocator; `what` names it in an out-of-memory error. */
export function allocElements(count: number, what: string | (() => string)): number {
  return heap().alloc(count * ELEMENT_BYTES, what);
}

export function releaseElements(ptr: number, count: number): void {
  heap().release(ptr, count * ELEMENT_BYTES);
}

export function f32View(ptr: number, length: number): Float32Array {
  return new Float32Array(backend().memory.buffer, ptr, length);
}

export function i32View(ptr: number, length: number): Int32Array {
  return new Int32Array(backend().memory.buffer, ptr, length);
}

/** The bytes of `count` elements at `ptr`, little-endian (wasm memory's byte order, and safetensors'). */
export function byteView(ptr: number, count: number): Uint8Array {
  return new Uint8Array(backend().memory.buffer, ptr, count * ELEMENT_BYTES);
}

/** Copies `count` elements from `src` to `dst` (the blocks may overlap). */
export function copyElements(dst: number, src: number, count: number): void {
  new Uint8Array(backend().memory.buffer).copyWithin(dst, src, src + count * ELEMENT_BYTES);
}

/** The size of the wasm memory in bytes (what the runtime holds). */
export function wasmMemoryBytes(): number {
  return backend().memory.buffer.byteLength;
}

// Strided iteration shared by the broadcasting binary kernels and the strided copy: the index
// space is simplified (size-1 dims dropped, mergeable neighbours merged) to at most 4 dims, which
// the wasm kernels take as plain arguments; any dims beyond that are looped here. Nothing here
// makes a tensor, so every op module can build on it.
import { elementAt } from "../backend/memory.js";
import { backend } from "../backend/wasm.js";
import { shapeToString, type Shape } from "../dims.js";
import type { Tensor } from "../tensor.js";

export function contiguousStrides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** NumPy broadcasting of two shapes, or an error naming the op and both shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${shapeToString(a)} and ${shapeToString(b)} cannot be broadcast together (dim ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Element strides of `shape` read as if broadcast to `outShape` (0 along stretched dims). */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const own = contiguousStrides(shape);
  const off = outShape.length - shape.length;
  return outShape.map((_, i) => (i < off || shape[i - off] === 1 ? 0 : own[i - off]));
}

/**
 * Calls kernel(offsets, dims4, strides4...) for the index space `shape` with one stride vector
 * per operand; offsets are element offsets per operand for the looped leading dims.
 */
export function forEachBlock4(
  shape: Shape,
  strides: number[][],
  kernel: (offsets: number[], dims: number[], strides4: number[][]) => void,
): void {
  const dims: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && st.every((s, k) => s[last] === strides[k][i] * shape[i])) {
      dims[last] *= shape[i];
      st.forEach((s, k) => (s[last] = strides[k][i]));
    } else {
      dims.push(shape[i]);
      st.forEach((s, k) => s.push(strides[k][i]));
    }
  }
  if (shape.some((d) => d === 0)) return;
  while (dims.length < 4) {
    dims.unshift(1);
    st.forEach((s) => s.unshift(0));
  }
  const lead = dims.length - 4;
  const leadDims = dims.slice(0, lead);
  const inner = dims.slice(lead);
  const innerStrides = st.map((s) => s.slice(lead));
  const idx = new Array<number>(lead).fill(0);
  const offsets = strides.map(() => 0);
  for (;;) {
    kernel(offsets, inner, innerStrides);
    let d = lead - 1;
    for (; d >= 0; d--) {
      idx[d]++;
      st.forEach((s, k) => (offsets[k] += s[d]));
      if (idx[d] < leadDims[d]) break;
      st.forEach((s, k) => (offsets[k] -= s[d] * leadDims[d]));
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

/** dst[offset + i·dstStrides] = src[offset + i·srcStrides] over `shape` (element offsets/strides). */
export function copyStrided(src: Tensor, srcOffset: number, srcStrides: number[], dst: Tensor, dstOffset: number, dstStrides: number[], shape: Shape): void {
  const k = backend().kernels;
  forEachBlock4(shape, [srcStrides, dstStrides], (off, d, [ss, ds]) => {
    k.copy_strided_32(elementAt(src.ptr, srcOffset + off[0]), elementAt(dst.ptr, dstOffset + off[1]),
      d[0], d[1], d[2], d[3], ss[0], ss[1], ss[2], ss[3], ds[0], ds[1], ds[2], ds[3]);
  });
}

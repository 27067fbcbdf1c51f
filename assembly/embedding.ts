// Embedding lookup: rows of a [num, dim] table picked by int32 indices, and its backward.
import { axpy_f32 } from "./elementwise";

// out[i, :] = weight[idx[i], :]
export function embedding_f32(weight: usize, idx: usize, out: usize, n: i32, dim: i32): void {
  const rowBytes = <usize>dim << 2;
  for (let i = 0; i < n; i++) {
    const k = <usize>load<i32>(idx + (<usize>i << 2));
    memory.copy(out + <usize>i * rowBytes, weight + k * rowBytes, rowBytes);
  }
}

// dw[idx[i], :] += g[i, :] (indices may repeat), skipping the row paddingIdx (-1: none).
// dw must be zeroed by the caller.
export function embedding_backward_f32(g: usize, idx: usize, dw: usize, n: i32, dim: i32, paddingIdx: i32): void {
  const rowBytes = <usize>dim << 2;
  for (let i = 0; i < n; i++) {
    const k = load<i32>(idx + (<usize>i << 2));
    if (k == paddingIdx) continue;
    axpy_f32(1, g + <usize>i * rowBytes, dw + <usize>k * rowBytes, dim);
  }
}

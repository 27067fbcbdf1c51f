// Embedding lookup (torch.nn.functional.embedding): rows of a weight table picked by integer
// indices. The backward scatter-adds the gradient rows into the table's gradient (indices may
// repeat); the padding row is still read forward but receives no gradient.
import { record, needsGrad, type BackwardFn } from "../autograd.js";
import { mul } from "./binary.js";
import { backend } from "../backend/wasm.js";
import { Tensor, shapeToString } from "../tensor.js";
import { traced } from "../trace.js";
import { checkArgs } from "./checks.js";

/** out[..., :] = weight[indices[...], :] for int32 indices of any shape and weight [num, dim]. */
export function embedding(indices: Tensor, weight: Tensor, paddingIdx: number | null = null): Tensor<"float32"> {
  checkArgs("embedding", { input: indices, weight });
  if (indices.dtype !== "int32") throw new Error(`embedding: indices must be int32, got ${indices.dtype} ${shapeToString(indices.shape)}`);
  if (weight.dtype !== "float32" || weight.ndim !== 2) {
    throw new Error(`embedding: weight must be a float32 [num_embeddings, dim] matrix, got ${weight.dtype} ${shapeToString(weight.shape)}`);
  }
  const [num, dim] = weight.shape;
  // Like PyTorch, a negative padding_idx counts from the end.
  const pad = paddingIdx === null ? -1 : paddingIdx < 0 ? paddingIdx + num : paddingIdx;
  if (paddingIdx !== null && (!Number.isInteger(paddingIdx) || pad < 0 || pad >= num)) {
    throw new Error(`embedding: padding_idx ${paddingIdx} out of range for ${num} embeddings`);
  }
  const idx = indices.liveData();
  for (let i = 0; i < idx.length; i++) {
    if (idx[i] < 0 || idx[i] >= num) {
      throw new Error(`embedding: index ${idx[i]} out of range for weight ${shapeToString(weight.shape)} (${num} embeddings)`);
    }
  }
  return traced("embedding", [weight, indices], lookupRows(weight, indices, pad));
}

/** Rows of weight [num, dim] at valid int32 indices (no checks); the padding row gets no gradient. */
export function lookupRows(weight: Tensor, indices: Tensor, pad = -1): Tensor<"float32"> {
  const [num, dim] = weight.shape;
  const out = Tensor.empty([...indices.shape, dim], "float32", "embedding");
  backend().kernels.embedding_f32(weight.ptr, indices.ptr, out.ptr, indices.size, dim);
  if (needsGrad(weight)) {
    const backward: BackwardFn = ([g], [ix]) => [scatterRows(g!, ix, num, pad)];
    record("embedding", [weight], [out], [indices], backward, backward);
  }
  return out;
}

/**
 * lookupRows' adjoint: each row of g [..., dim] added into row indices[...] of a zero [num, dim]
 * table, rows at the padding index left out. Differentiable: its backward looks the rows up again.
 */
export function scatterRows(g: Tensor, indices: Tensor, num: number, pad = -1): Tensor<"float32"> {
  const dim = g.shape[g.ndim - 1];
  const dw = Tensor.empty([num, dim], "float32", "embedding backward").zero_();
  backend().kernels.embedding_backward_f32(g.ptr, indices.ptr, dw.ptr, indices.size, dim, pad);
  if (needsGrad(g)) {
    const backward: BackwardFn = ([gg], [ix]) => {
      const rows = lookupRows(gg!, ix);
      if (pad < 0) return [rows];
      // Positions at the padding index sent nothing, so they receive nothing back.
      const keep = Tensor.empty([...ix.shape, 1], "float32", "embedding padding mask");
      const kv = keep.liveData(), iv = ix.liveData();
      for (let i = 0; i < iv.length; i++) kv[i] = iv[i] === pad ? 0 : 1;
      return [mul(rows, keep)];
    };
    record("embedding backward", [g], [dw], [indices], backward, backward);
  }
  return dw;
}

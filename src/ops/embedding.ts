// Embedding lookup (torch.nn.functional.embedding): rows of a weight table picked by integer
// indices. The backward scatter-adds the gradient rows into the table's gradient (indices may
// repeat); the padding row is still read forward but receives no gradient.
import { record, needsGrad } from "../autograd.js";
import { backend } from "../backend/wasm.js";
import { Tensor, shapeToString } from "../tensor.js";
import { checkLive } from "./checks.js";

/** out[..., :] = weight[indices[...], :] for int32 indices of any shape and weight [num, dim]. */
export function embedding(indices: Tensor, weight: Tensor, paddingIdx: number | null = null): Tensor {
  checkLive("embedding", indices, weight);
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
  const idx = indices.view();
  for (let i = 0; i < idx.length; i++) {
    if (idx[i] < 0 || idx[i] >= num) {
      throw new Error(`embedding: index ${idx[i]} out of range for weight ${shapeToString(weight.shape)} (${num} embeddings)`);
    }
  }
  const out = Tensor.empty([...indices.shape, dim], "float32", "embedding");
  backend().kernels.embedding_f32(weight.ptr, indices.ptr, out.ptr, indices.size, dim);
  if (needsGrad(weight)) {
    record("embedding", [weight], [out], [indices], ([g], [ix]) => {
      const dw = Tensor.empty([num, dim], "float32", "embedding backward").zero_();
      backend().kernels.embedding_backward_f32(g!.ptr, ix.ptr, dw.ptr, ix.size, dim, pad);
      return [dw];
    });
  }
  return out;
}

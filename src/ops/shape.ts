// Shape ops. reshape/flatten/squeeze/unsqueeze share storage; the rest are one strided copy
// (copy_strided_32), and the backward of each is the inverse gather/scatter of the gradient.
import { record, needsGrad, type BackwardFn } from "../autograd.js";
import { backend } from "../backend/wasm.js";
import { Tensor, shapeToString, numel, sameShape, tidy, type Shape, type DType } from "../tensor.js";
import { traced } from "../trace.js";
import { contiguousStrides, copyStrided } from "./strided.js";
import { expand } from "./broadcast.js";
import { checkLive, describeValue, normalizeDim } from "./checks.js";
import { where } from "./binary.js";

/** A new handle on x's storage with another shape; backward reshapes the gradient back. */
function viewAs<D extends DType>(name: string, x: Tensor<D>, shape: number[]): Tensor<D> {
  checkLive(name, x);
  const out = x.aliasAs(shape);
  if (needsGrad(x)) {
    const xShape = x.shape;
    const backward: BackwardFn = ([g]) => [reshape(g!, [...xShape])];
    record(name, [x], [out], [], backward, backward);
  }
  return traced("reshape", [x], out);
}

/**
 * x's data under another shape with the same number of elements; one size may be -1 (torch.reshape; shares
 * storage, as every tensor is contiguous).
 */
export function reshape<D extends DType>(x: Tensor<D>, shape: number[]): Tensor<D> {
  return reshapeAs("reshape", x, shape);
}

/**
 * PyTorch's view. Every tensor here is contiguous, so a view always exists and is reshape's alias;
 * the errors name view.
 */
export function view<D extends DType>(x: Tensor<D>, shape: number[]): Tensor<D> {
  return reshapeAs("view", x, shape);
}

function reshapeAs<D extends DType>(op: string, x: Tensor<D>, shape: number[]): Tensor<D> {
  checkLive(op, x);
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1 || shape.some((d) => !Number.isInteger(d) || d < -1)) {
    throw new Error(`${op}: invalid target shape ${shapeToString(shape)} for input ${shapeToString(x.shape)}`);
  }
  const known = shape.reduce((n, d) => (d === -1 ? n : n * d), 1);
  if (unknown === 1 && known === 0) {
    // PyTorch: with a 0 among the other sizes, -1 could be anything.
    throw new Error(
      `${op}: cannot reshape a tensor of ${x.size} elements into shape ${shapeToString(shape)} because the unspecified dimension size -1 can be any value and is ambiguous`,
    );
  }
  const resolved = shape.map((d) => (d === -1 ? x.size / known : d));
  if (numel(resolved) !== x.size || resolved.some((d) => !Number.isInteger(d))) {
    throw new Error(`${op}: shape ${shapeToString(shape)} is invalid for input of shape ${shapeToString(x.shape)} (${x.size} elements)`);
  }
  return viewAs(op, x, resolved);
}

/** x with dims startDim..endDim merged into one (torch.flatten; shares storage). */
export function flatten<D extends DType>(x: Tensor<D>, startDim = 0, endDim = -1): Tensor<D> {
  checkLive("flatten", x);
  if (x.ndim === 0) return viewAs("flatten", x, [1]);
  const s = normalizeDim("flatten", startDim, x.shape), e = normalizeDim("flatten", endDim, x.shape);
  if (s > e) throw new Error(`flatten: start_dim ${startDim} comes after end_dim ${endDim} for shape ${shapeToString(x.shape)}`);
  return viewAs("flatten", x, [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/** x without its size-1 dims, or only dim when given (torch.squeeze; shares storage). */
export function squeeze<D extends DType>(x: Tensor<D>, dim?: number): Tensor<D> {
  checkLive("squeeze", x);
  if (dim === undefined) return viewAs("squeeze", x, x.shape.filter((d) => d !== 1));
  const d = normalizeDim("squeeze", dim, x.shape);
  return viewAs("squeeze", x, x.shape[d] === 1 ? x.shape.filter((_, i) => i !== d) : [...x.shape]);
}

/** x with a size-1 dim inserted at dim (torch.unsqueeze; shares storage). */
export function unsqueeze<D extends DType>(x: Tensor<D>, dim: number): Tensor<D> {
  checkLive("unsqueeze", x);
  const d = normalizeDim("unsqueeze", dim, x.ndim + 1);
  return viewAs("unsqueeze", x, [...x.shape.slice(0, d), 1, ...x.shape.slice(d)]);
}

/** A copy with its own storage; the gradient flows back unchanged (torch.clone). */
export function clone<D extends DType>(x: Tensor<D>): Tensor<D> {
  checkLive("clone", x);
  const out = Tensor.empty(x.shape, x.dtype, "clone").writeFrom(x);
  const backward: BackwardFn = ([g]) => [g];
  if (needsGrad(x)) record("clone", [x], [out], [], backward, backward);
  return traced("identity", [x], out);
}

/**
 * x converted to dtype (torch's `.to(dtype)`): float32 -> int32 truncates toward zero; the same dtype gives a
 * copy.
 */
export function toDType<D extends DType>(x: Tensor, dtype: D): Tensor<D> {
  checkLive("toDType", x);
  if (x.dtype === dtype) return x.clone() as Tensor as Tensor<D>; // the check narrows x.dtype, not x
  const out = Tensor.empty(x.shape, dtype, "cast");
  const k = backend().kernels;
  if (dtype === "float32") k.cast_i32_f32(x.ptr, out.ptr, x.size);
  else k.cast_f32_i32(x.ptr, out.ptr, x.size);
  return traced("cast", [x], out, { dtype });
}

/** x's dims reordered: output dim i is input dim dims[i] (torch.permute). */
export function permute<D extends DType>(x: Tensor<D>, dims: number[]): Tensor<D> {
  checkLive("permute", x);
  const nd = dims.map((d) => normalizeDim("permute", d, x.shape));
  if (nd.length !== x.ndim || new Set(nd).size !== nd.length) {
    throw new Error(`permute: dims ${shapeToString(dims)} are not a permutation of the ${x.ndim} dims of ${shapeToString(x.shape)}`);
  }
  const shape = nd.map((d) => x.shape[d]);
  const xs = contiguousStrides(x.shape);
  const out = Tensor.empty(shape, x.dtype, "permute");
  copyStrided(x, 0, nd.map((d) => xs[d]), out, 0, contiguousStrides(shape), shape);
  if (needsGrad(x)) {
    const inverse = new Array<number>(nd.length);
    nd.forEach((d, i) => (inverse[d] = i));
    const backward: BackwardFn = ([g]) => [permute(g!, inverse)];
    record("permute", [x], [out], [], backward, backward);
  }
  return traced("permute", [x], out, { dims: nd });
}

/** dim0 and dim1 swapped (torch.transpose; a copy here, as every tensor is contiguous). */
export function transpose<D extends DType>(x: Tensor<D>, dim0 = 0, dim1 = 1): Tensor<D> {
  checkLive("transpose", x);
  const a = normalizeDim("transpose", dim0, x.shape), b = normalizeDim("transpose", dim1, x.shape);
  const dims = x.shape.map((_, i) => i);
  [dims[a], dims[b]] = [dims[b], dims[a]];
  return permute(x, dims);
}

/**
 * out[i] = x[offset + Σ i_k·strides_k] over `shape` (element offset and strides into x), where no
 * two positions read the same element of x: slices, flips, diagonals. Backward writes the
 * gradient back to those positions (stridedWrite), and stridedWrite's backward reads them again.
 */
function stridedRead<D extends DType>(name: string, x: Tensor<D>, offset: number, strides: number[], shape: Shape): Tensor<D> {
  const out = Tensor.empty(shape, x.dtype, name);
  copyStrided(x, offset, strides, out, 0, contiguousStrides(shape), shape);
  if (needsGrad(x)) {
    const xShape = x.shape;
    const backward: BackwardFn = ([g]) => [stridedWrite(`${name} backward`, g!, xShape, offset, strides)];
    record(name, [x], [out], [], backward, backward);
  }
  return out;
}

/** Zeros of `shape` with g written at offset + Σ i_k·strides_k (the adjoint of stridedRead). */
function stridedWrite(name: string, g: Tensor, shape: Shape, offset: number, strides: number[]): Tensor {
  const out = Tensor.empty(shape, g.dtype, name).zero_();
  copyStrided(g, 0, contiguousStrides(g.shape), out, offset, strides, g.shape);
  if (needsGrad(g)) {
    const gShape = g.shape;
    const backward: BackwardFn = ([gg]) => [stridedRead(`${name} backward`, gg!, offset, strides, gShape)];
    record(name, [g], [out], [], backward, backward);
  }
  return out;
}

/** Elements start, start+step, ... < end along dim (Python slicing with 0 <= start <= end). */
export function slice<D extends DType>(x: Tensor<D>, dim: number, start: number, end?: number, step = 1): Tensor<D> {
  checkLive("slice", x);
  const d = normalizeDim("slice", dim, x.shape);
  const size = x.shape[d];
  const s = Math.min(Math.max(start < 0 ? start + size : start, 0), size);
  const e = Math.min(Math.max(end === undefined ? size : end < 0 ? end + size : end, s), size);
  if (!Number.isInteger(step) || step < 1) throw new Error(`slice: step must be a positive integer, got ${step}`);
  const len = Math.ceil((e - s) / step);
  const shape = x.shape.map((v, i) => (i === d ? len : v));
  const xs = contiguousStrides(x.shape);
  return traced("slice", [x], stridedRead("slice", x, s * xs[d], xs.map((v, i) => (i === d ? v * step : v)), shape), { dim: d, start: s, end: e, step });
}

/** length elements of dim starting at start (torch.narrow). */
export function narrow<D extends DType>(x: Tensor<D>, dim: number, start: number, length: number): Tensor<D> {
  checkLive("narrow", x);
  const d = normalizeDim("narrow", dim, x.shape);
  const st = start < 0 ? start + x.shape[d] : start;
  if (st < 0 || length < 0 || st + length > x.shape[d]) {
    throw new Error(`narrow: start ${start} and length ${length} exceed dim ${d} of size ${x.shape[d]} in ${shapeToString(x.shape)}`);
  }
  return slice(x, d, st, st + length);
}

/**
 * Joins tensors along an existing dim; the other dims must agree (torch.cat). Gradients are split back to
 * each input.
 */
export function cat<D extends DType>(tensors: Tensor<D>[], dim = 0): Tensor<D> {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error(`cat: expected a non-empty list of tensors, got ${describeValue(tensors)}`);
  checkLive("cat", ...tensors);
  const first = tensors[0];
  checkLive("cat", ...tensors);
  const d = normalizeDim("cat", dim, first.shape);
  for (const t of tensors) {
    if (t.ndim !== first.ndim || t.shape.some((v, i) => i !== d && v !== first.shape[i]) || t.dtype !== first.dtype) {
      throw new Error(`cat: tensors must match except in dim ${d}; got ${tensors.map((u) => `${shapeToString(u.shape)} ${u.dtype}`).join(", ")}`);
    }
  }
  const shape = first.shape.map((v, i) => (i === d ? tensors.reduce((n, t) => n + t.shape[d], 0) : v));
  const out = Tensor.empty(shape, first.dtype, "cat");
  const os = contiguousStrides(shape);
  let offset = 0;
  for (const t of tensors) {
    copyStrided(t, 0, contiguousStrides(t.shape), out, offset * os[d], os, t.shape);
    offset += t.shape[d];
  }
  if (needsGrad(...tensors)) {
    const sizes = tensors.map((t) => t.shape[d]);
    const backward: BackwardFn = ([g]) => {
      let o = 0;
      return sizes.map((n, i) => {
        const gi = tensors[i].requiresGrad ? narrow(g!, d, o, n) : null;
        o += n;
        return gi;
      });
    };
    record("cat", tensors, [out], [], backward, backward);
  }
  return traced("cat", tensors, out, { dim: d });
}

/** Joins tensors of one shape along a new dim (torch.stack). */
export function stack<D extends DType>(tensors: Tensor<D>[], dim = 0): Tensor<D> {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error(`stack: expected a non-empty list of tensors, got ${describeValue(tensors)}`);
  checkLive("stack", ...tensors);
  const d = normalizeDim("stack", dim, tensors[0].ndim + 1);
  for (const t of tensors) {
    if (!sameShape(t.shape, tensors[0].shape)) {
      throw new Error(`stack: all tensors must have the same shape; got ${tensors.map((u) => shapeToString(u.shape)).join(", ")}`);
    }
  }
  const parts = tensors.map((t) => unsqueeze(t, d));
  const out = cat(parts, d);
  for (const p of parts) p.dispose();
  return out;
}

/** Constant padding: pad = [lastLeft, lastRight, secondLastLeft, secondLastRight, ...] (torch.nn.functional.pad). */
export function pad<D extends DType>(x: Tensor<D>, padding: number[], value = 0): Tensor<D> {
  checkLive("pad", x);
  if (padding.length % 2 !== 0 || padding.length / 2 > x.ndim) {
    throw new Error(`pad: padding of length ${padding.length} must be even and cover at most ${x.ndim} dims of ${shapeToString(x.shape)}`);
  }
  const before = x.shape.map(() => 0), after = x.shape.map(() => 0);
  for (let i = 0; i < padding.length / 2; i++) {
    before[x.ndim - 1 - i] = padding[2 * i];
    after[x.ndim - 1 - i] = padding[2 * i + 1];
  }
  const shape = x.shape.map((v, i) => v + before[i] + after[i]);
  if (shape.some((v) => v < 0)) throw new Error(`pad: negative padding ${shapeToString(padding)} removes more than ${shapeToString(x.shape)} has`);
  // Negative pads crop: copy only the part of x that lands inside the output.
  const region = x.shape.map((v, i) => v + Math.min(before[i], 0) + Math.min(after[i], 0));
  const xs = contiguousStrides(x.shape), os = contiguousStrides(shape);
  const srcOffset = before.reduce((n, b, i) => n + Math.max(-b, 0) * xs[i], 0);
  const dstOffset = before.reduce((n, b, i) => n + Math.max(b, 0) * os[i], 0);
  const out = Tensor.empty(shape, x.dtype, "pad").writeFill(value);
  copyStrided(x, srcOffset, xs, out, dstOffset, os, region);
  if (needsGrad(x)) {
    // The adjoint of padding by p is padding by −p: crop what was added, zero-fill what was cropped.
    const unpad = padding.map((v) => -v);
    const backward: BackwardFn = ([g]) => [pad(g!, unpad)];
    record("pad", [x], [out], [], backward, backward);
  }
  return traced("pad", [x], out, { before, after, value });
}

/** Reverses the order of elements along each of `dims` (torch.flip). */
export function flip<D extends DType>(x: Tensor<D>, dims: number | number[]): Tensor<D> {
  checkLive("flip", x);
  const nd = (Array.isArray(dims) ? dims : [dims]).map((d) => normalizeDim("flip", d, x.shape));
  if (new Set(nd).size !== nd.length) throw new Error(`flip: dims ${JSON.stringify(dims)} repeat a dimension of ${shapeToString(x.shape)}`);
  if (x.ndim === 0) return clone(x);
  const xs = contiguousStrides(x.shape);
  // Read each flipped dim from its last element backwards.
  const offset = nd.reduce((n, d) => n + Math.max(x.shape[d] - 1, 0) * xs[d], 0);
  return stridedRead("flip", x, offset, xs.map((v, i) => (nd.includes(i) ? -v : v)), x.shape);
}

/**
 * Rolls along each of `dims` by the matching shift: out[i] = x[(i − shift) mod n] (torch.roll).
 * dims null or absent: rolls the flattened tensor by one shift and keeps the shape.
 */
export function roll<D extends DType>(x: Tensor<D>, shifts: number | number[], dims?: number | number[] | null): Tensor<D> {
  checkLive("roll", x);
  const shiftList = Array.isArray(shifts) ? shifts : [shifts];
  if (shiftList.some((s) => !Number.isInteger(s))) throw new Error(`roll: shifts must be integers, got ${JSON.stringify(shifts)}`);
  if (dims === null || dims === undefined) {
    if (shiftList.length !== 1) throw new Error(`roll: without dims, shifts must be one integer, got ${JSON.stringify(shifts)}`);
    return tidy(() => reshape(roll(reshape(x, [x.size]), shiftList[0], 0), [...x.shape]));
  }
  if (x.ndim === 0) throw new Error(`roll: a 0-d tensor has no dim ${JSON.stringify(dims)} to roll along (roll it without dims)`);
  const dimList = (Array.isArray(dims) ? dims : [dims]).map((d) => normalizeDim("roll", d, x.shape));
  if (dimList.length !== shiftList.length) {
    throw new Error(`roll: shifts ${JSON.stringify(shifts)} and dims ${JSON.stringify(dims)} must have the same length`);
  }
  return tidy(() => {
    let out = x;
    dimList.forEach((d, j) => {
      const n = out.shape[d];
      const k = n === 0 ? 0 : ((shiftList[j] % n) + n) % n;
      // The last k elements move to the front.
      if (k !== 0) out = cat([narrow(out, d, n - k, k), narrow(out, d, 0, n - k)], d);
    });
    return out === x ? clone(x) : out;
  });
}

/** The diagonal of the (dim1, dim2) planes, offset above (> 0) or below (< 0) the main one, as the last dim (torch.diagonal; a copy). */
export function diagonal<D extends DType>(x: Tensor<D>, offset = 0, dim1 = 0, dim2 = 1): Tensor<D> {
  checkLive("diagonal", x);
  const a = normalizeDim("diagonal", dim1, x.shape), b = normalizeDim("diagonal", dim2, x.shape);
  if (x.ndim < 2 || a === b) throw new Error(`diagonal: dim1 ${dim1} and dim2 ${dim2} must be two different dims of ${shapeToString(x.shape)}`);
  if (!Number.isInteger(offset)) throw new Error(`diagonal: offset must be an integer, got ${offset}`);
  const xs = contiguousStrides(x.shape);
  const len = Math.max(0, Math.min(x.shape[a] - Math.max(-offset, 0), x.shape[b] - Math.max(offset, 0)));
  const start = len === 0 ? 0 : Math.max(-offset, 0) * xs[a] + Math.max(offset, 0) * xs[b];
  const rest = x.shape.map((_, i) => i).filter((i) => i !== a && i !== b);
  return stridedRead("diagonal", x, start, [...rest.map((i) => xs[i]), xs[a] + xs[b]], [...rest.map((i) => x.shape[i]), len]);
}

/** Pieces along dim: `sizes` an integer gives pieces of that size (the last one smaller); a list gives each piece's size (torch.split). */
export function split<D extends DType>(x: Tensor<D>, sizes: number | number[], dim = 0): Tensor<D>[] {
  checkLive("split", x);
  if (x.ndim === 0) throw new Error("split: expected a tensor with at least 1 dim, got a 0-d tensor");
  const d = normalizeDim("split", dim, x.shape);
  const n = x.shape[d];
  let pieces: number[];
  if (Array.isArray(sizes)) {
    if (sizes.some((s) => !Number.isInteger(s) || s < 0) || sizes.reduce((a, s) => a + s, 0) !== n) {
      throw new Error(`split: sections ${JSON.stringify(sizes)} must be non-negative integers summing to ${n}, the size of dim ${d} of ${shapeToString(x.shape)}`);
    }
    pieces = sizes;
  } else {
    if (!Number.isInteger(sizes) || sizes < 0 || (sizes === 0 && n > 0)) {
      throw new Error(`split: split size must be a positive integer, got ${sizes} for dim ${d} of ${shapeToString(x.shape)}`);
    }
    pieces = n === 0 ? [0] : Array.from({ length: Math.ceil(n / sizes) }, (_, i) => Math.min(sizes, n - i * sizes));
  }
  let start = 0;
  return pieces.map((len) => narrow(x, d, (start += len) - len, len));
}

/** At most `chunks` pieces of ceil(n / chunks) along dim, the last one smaller (torch.chunk: there may be fewer). */
export function chunk<D extends DType>(x: Tensor<D>, chunks: number, dim = 0): Tensor<D>[] {
  checkLive("chunk", x);
  if (!Number.isInteger(chunks) || chunks < 1) throw new Error(`chunk: chunks must be a positive integer, got ${chunks}`);
  if (x.ndim === 0) throw new Error("chunk: expected a tensor with at least 1 dim, got a 0-d tensor");
  const d = normalizeDim("chunk", dim, x.shape);
  const n = x.shape[d];
  // An empty dim gives `chunks` empty pieces, as in PyTorch.
  return n === 0 ? split(x, new Array<number>(chunks).fill(0), d) : split(x, Math.ceil(n / chunks), d);
}

function triangle<D extends DType>(op: "tril" | "triu", x: Tensor<D>, diagonal: number): Tensor<D> {
  checkLive(op, x);
  if (x.ndim < 2) throw new Error(`${op}: input must have at least 2 dims, got ${shapeToString(x.shape)}`);
  if (!Number.isInteger(diagonal)) throw new Error(`${op}: diagonal must be an integer, got ${diagonal}`);
  const rows = x.shape[x.ndim - 2], cols = x.shape[x.ndim - 1];
  return tidy(() => {
    const mask = Tensor.empty([rows, cols], "float32", `${op} mask`);
    const m = mask.liveData();
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) m[i * cols + j] = +(op === "tril" ? j - i <= diagonal : j - i >= diagonal);
    }
    // where, not a product with the mask: Infinity and NaN outside the triangle become 0. With the
    // integer 0 beside x, where keeps x's dtype.
    return where(mask, x, 0) as Tensor<D>;
  });
}

/** Keeps x[..., i, j] where j − i ≤ diagonal, zeros elsewhere (torch.tril). */
export const tril = <D extends DType>(x: Tensor<D>, diagonal = 0) => triangle("tril", x, diagonal);
/** Keeps x[..., i, j] where j − i ≥ diagonal, zeros elsewhere (torch.triu). */
export const triu = <D extends DType>(x: Tensor<D>, diagonal = 0) => triangle("triu", x, diagonal);

/** Tiles x `repeats[d]` times along each dim d, x first viewed with leading 1s up to repeats.length dims (Tensor.repeat). */
export function repeat<D extends DType>(x: Tensor<D>, repeats: number[]): Tensor<D> {
  checkLive("repeat", x);
  if (repeats.length < x.ndim || repeats.some((r) => !Number.isInteger(r) || r < 0)) {
    throw new Error(`repeat: repeats ${JSON.stringify(repeats)} must be ${x.ndim} or more non-negative integers for ${shapeToString(x.shape)}`);
  }
  const padded = [...new Array<number>(repeats.length - x.ndim).fill(1), ...x.shape];
  // [.., 1, s_d, ..] expanded to [.., r_d, s_d, ..] and merged into [.., r_d·s_d, ..]: one copy.
  return tidy(() => {
    const spread = reshape(x, padded.flatMap((s) => [1, s]));
    const tiled = expand(spread, padded.flatMap((s, d) => [repeats[d], s]));
    return reshape(tiled, padded.map((s, d) => s * repeats[d]));
  });
}

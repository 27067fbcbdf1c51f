// matmul (torch.matmul semantics, batched with broadcasting) and linear, on the packed SIMD GEMM.
// Backward passes run the same GEMM with transpose flags; no transpose is materialised. With
// createGraph the backward is written in matmul itself (transposes materialised), to differentiate again.
import { readOptions, kinds, type Kind } from "./args.js";
import { record, needsGrad } from "../autograd.js";
import { gemm, gemmBatched } from "../backend/gemm.js";
import { unaryBackward } from "../backend/elementwise.js";
import { elementAt } from "../backend/memory.js";
import { sumDim } from "../backend/reduce.js";
import { BiasMode, Unary } from "../backend/kernels.js";
import { Tensor, shapeToString, numel, sameShape } from "../tensor.js";
import { traced } from "../trace.js";
import { broadcastShapes, broadcastStrides } from "./strided.js";
import { checkArgs } from "./checks.js";
import { reshape, transpose } from "./shape.js";
import { sum } from "./reduce.js";
import { sumToShape } from "./broadcast.js";
import { mul } from "./binary.js";
import { step } from "./elementwise.js";

/** torch.matmul: 1-D operands are promoted (and the added dim dropped), batch dims broadcast. */
export function matmul(a: Tensor, b: Tensor): Tensor<"float32"> {
  checkArgs("matmul", { input: a, other: b }, "float32");
  if (a.ndim === 0 || b.ndim === 0) {
    throw new Error(`matmul: both operands need at least one dim, got ${shapeToString(a.shape)} and ${shapeToString(b.shape)}`);
  }
  const aShape = a.ndim === 1 ? [1, a.shape[0]] : [...a.shape];
  const bShape = b.ndim === 1 ? [b.shape[0], 1] : [...b.shape];
  const m = aShape[aShape.length - 2], k = aShape[aShape.length - 1];
  const k2 = bShape[bShape.length - 2], n = bShape[bShape.length - 1];
  if (k !== k2) {
    throw new Error(`matmul: shapes ${shapeToString(a.shape)} and ${shapeToString(b.shape)} cannot be multiplied (${m}x${k} and ${k2}x${n})`);
  }
  const aBatch = aShape.slice(0, -2), bBatch = bShape.slice(0, -2);
  const batch = broadcastShapes("matmul", aBatch, bBatch);
  const outShape = [...batch, m, n];
  const finalShape = [...batch, ...(a.ndim === 1 ? [] : [m]), ...(b.ndim === 1 ? [] : [n])];

  // The products as runs of equally spaced batches (element offsets of the first A, B and C
  // blocks, and the step between batches): without broadcasting, one run of every batch — one
  // batched GEMM call; when B has no batch dims the A batches are contiguous rows, so they fold
  // into one GEMM with M = batch·m; a broadcast batch dim gives one run per product (products
  // that share an operand's gradient block then accumulate into it one after another).
  type Run = { count: number; at: [number, number, number]; strides: [number, number, number] };
  const runs: Run[] = [];
  let rows = m;
  if (bBatch.length === 0) {
    rows = numel(batch) * m;
    runs.push({ count: 1, at: [0, 0, 0], strides: [0, 0, 0] });
  } else if (sameShape(aBatch, batch) && sameShape(bBatch, batch)) {
    if (numel(batch) > 0) runs.push({ count: numel(batch), at: [0, 0, 0], strides: [m * k, k * n, m * n] });
  } else {
    const as = broadcastStrides(aBatch, batch), bs = broadcastStrides(bBatch, batch);
    const count = numel(batch);
    const idx = new Array<number>(batch.length).fill(0);
    for (let t = 0; t < count; t++) {
      let ao = 0, bo = 0;
      idx.forEach((v, d) => { ao += v * as[d]; bo += v * bs[d]; });
      runs.push({ count: 1, at: [ao * m * k, bo * k * n, t * m * n], strides: [0, 0, 0] });
      for (let d = batch.length - 1; d >= 0 && ++idx[d] === batch[d]; d--) idx[d] = 0;
    }
  }

  const out = Tensor.empty(outShape, "float32", "matmul");
  for (const { count, at: [ao, bo, co], strides } of runs) {
    gemmBatched(count, strides, false, false, rows, n, k, 1, elementAt(a.ptr, ao), k, elementAt(b.ptr, bo), n, 0, elementAt(out.ptr, co), n);
  }
  const result = finalShape.length === outShape.length ? out : out.aliasAs(finalShape);
  if (result !== out) out.dispose();
  if (needsGrad(a, b)) {
    const aDims = a.shape, bDims = b.shape;
    record("matmul", [a, b], [result], [a, b], ([g], [as, bs]) => {
      let ga: Tensor | null = null, gb: Tensor | null = null;
      if (a.requiresGrad) {
        ga = Tensor.empty(aDims, "float32", "matmul backward").zero_();
        for (const { count, at: [ao, bo, co], strides: [sa, sb, sc] } of runs) {
          gemmBatched(count, [sc, sb, sa], false, true, rows, k, n, 1, elementAt(g!.ptr, co), n, elementAt(bs.ptr, bo), n, 1, elementAt(ga.ptr, ao), k);
        }
      }
      if (b.requiresGrad) {
        gb = Tensor.empty(bDims, "float32", "matmul backward").zero_();
        for (const { count, at: [ao, bo, co], strides: [sa, sb, sc] } of runs) {
          gemmBatched(count, [sa, sc, sb], true, false, k, n, rows, 1, elementAt(as.ptr, ao), k, elementAt(g!.ptr, co), n, 1, elementAt(gb.ptr, bo), n);
        }
      }
      return [ga, gb];
    }, ([g], [as, bs]) => {
      // 1-D operands as matrices; the batch dims of each operand's gradient summed back to its own.
      const a2 = a.ndim === 1 ? reshape(as, aShape) : as, b2 = b.ndim === 1 ? reshape(bs, bShape) : bs;
      const g2 = reshape(g!, outShape);
      return [
        a.requiresGrad ? reshape(sumToShape(matmul(g2, transpose(b2, -1, -2)), aShape), [...aDims]) : null,
        b.requiresGrad ? reshape(sumToShape(matmul(transpose(a2, -1, -2), g2), bShape), [...bDims]) : null,
      ];
    });
  }
  return traced("matmul", [a, b], result);
}

// Made on first use, not at load: this module and args.ts are in one import cycle.
let linearOptions: Readonly<Record<string, Kind>> | null = null;

/**
 * y = x·Wᵀ + b for x [..., in], W [out, in], b [out]; `activation: "relu"` fuses the ReLU into
 * the GEMM epilogue (and its derivative into the backward).
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null, options: { activation?: "relu" } = {}): Tensor<"float32"> {
  readOptions("linear", options, (linearOptions ??= { activation: kinds.oneOf("relu") }));
  checkArgs("linear", { input: x, weight, ...(bias ? { bias } : {}) }, "float32");
  if (weight.ndim !== 2 || x.ndim < 1 || x.shape[x.ndim - 1] !== weight.shape[1]) {
    throw new Error(`linear: input ${shapeToString(x.shape)} does not match weight ${shapeToString(weight.shape)} (expected input [..., ${weight.shape[1] ?? "?"}])`);
  }
  const [outF, inF] = weight.shape;
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outF)) {
    throw new Error(`linear: bias ${shapeToString(bias.shape)} does not match weight ${shapeToString(weight.shape)} (expected [${outF}])`);
  }
  const relu = options.activation === "relu";
  const rows = numel(x.shape.slice(0, -1)); // not x.size / inF: in_features may be 0
  const y = Tensor.empty([...x.shape.slice(0, -1), outF], "float32", "linear");
  gemm(false, true, rows, outF, inF, 1, x.ptr, inF, weight.ptr, inF, 0, y.ptr, outF, bias ? bias.ptr : 0, bias ? BiasMode.perColumn : BiasMode.none, relu);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  if (needsGrad(...inputs)) {
    record(relu ? "linearRelu" : "linear", inputs, [y], relu ? [x, weight, y] : [x, weight], ([g], [xs, ws, ys]) => {
      let gz = g!;
      if (relu) {
        gz = Tensor.empty(ys.shape, "float32", "linear backward");
        unaryBackward(Unary.relu, ys.ptr, ys.ptr, g!.ptr, gz.ptr, ys.size);
      }
      let gx: Tensor | null = null, gw: Tensor | null = null, gb: Tensor | null = null;
      if (x.requiresGrad) {
        gx = Tensor.empty(xs.shape, "float32", "linear backward");
        gemm(false, false, rows, inF, outF, 1, gz.ptr, outF, ws.ptr, inF, 0, gx.ptr, inF);
      }
      if (weight.requiresGrad) {
        gw = Tensor.empty([outF, inF], "float32", "linear backward");
        gemm(true, false, outF, inF, rows, 1, gz.ptr, outF, xs.ptr, inF, 0, gw.ptr, inF);
      }
      if (bias?.requiresGrad) {
        gb = Tensor.empty([outF], "float32", "linear backward");
        sumDim(gz.ptr, gb.ptr, 1, rows, outF);
      }
      return bias ? [gx, gw, gb] : [gx, gw];
    }, ([g], [xs, ws, ys]) => {
      const gz = relu ? mul(g!, step(ys)) : g!;
      const gz2 = reshape(gz, [rows, outF]);
      return [
        x.requiresGrad ? matmul(gz, ws) : null,
        weight.requiresGrad ? matmul(transpose(gz2, 0, 1), reshape(xs, [rows, inF])) : null,
        ...(bias ? [bias.requiresGrad ? sum(gz2, 0) : null] : []),
      ];
    });
  }
  return traced("linear", [x, weight, bias ?? null], y, { relu });
}

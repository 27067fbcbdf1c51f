// GEMM throughput through each library's matmul on preallocated operands (the output is
// allocated per call, inside tidy, as in user code): square sizes, and the products of the MLP's
// and LeNet-5's training steps with their transpose flags (simdgrad's Linear runs x·Wᵀ, its
// backward dX = dY·W and dW = dYᵀ·X on the untransposed operands).
import * as sg from "../src/index.js";
import { gemm } from "../src/backend/gemm.js";
import type { Workload } from "./harness.js";
import { tf } from "./peers.js";

function gemmWorkload(name: string, m: number, k: number, n: number): Workload {
  return {
    name,
    unit: "GFLOP/s",
    perCall: 2 * m * k * n,
    torch: `gemm:0:0:${m}:${n}:${k}`,
    simdgrad: () => {
      const a = sg.randn([m, k]), b = sg.randn([k, n]);
      return {
        run: () => sg.tidy(() => void sg.matmul(a, b)),
        dispose: () => sg.dispose([a, b]),
      };
    },
    tfjs: () => {
      const a = tf.randomNormal([m, k]), b = tf.randomNormal([k, n]);
      return {
        run: () => tf.tidy(() => void tf.matMul(a, b)),
        dispose: () => tf.dispose([a, b]),
      };
    },
  };
}

/**
 * C[m, n] = op(A)·op(B) with op(A) [m, k] and op(B) [k, n] stored transposed where the flags say
 * (A as [k, m], B as [n, k]), through the backend's GEMM (the Linear ops' own call) and TF.js's
 * matMul with the same flags.
 */
function stepGemmWorkload(name: string, transA: boolean, transB: boolean, m: number, n: number, k: number): Workload {
  const aShape: [number, number] = transA ? [k, m] : [m, k], bShape: [number, number] = transB ? [n, k] : [k, n];
  return {
    name,
    unit: "GFLOP/s",
    perCall: 2 * m * k * n,
    torch: `gemm:${+transA}:${+transB}:${m}:${n}:${k}`,
    simdgrad: () => {
      const a = sg.randn(aShape), b = sg.randn(bShape);
      return {
        run: () => sg.tidy(() => {
          const c = sg.empty([m, n]);
          gemm(transA, transB, m, n, k, 1, a.ptr, aShape[1], b.ptr, bShape[1], 0, c.ptr, n);
        }),
        dispose: () => sg.dispose([a, b]),
      };
    },
    tfjs: () => {
      const a = tf.randomNormal(aShape) as tf.Tensor2D, b = tf.randomNormal(bShape) as tf.Tensor2D;
      return {
        run: () => tf.tidy(() => void tf.matMul(a, b, transA, transB)),
        dispose: () => tf.dispose([a, b]),
      };
    },
  };
}

export const gemmWorkloads: Workload[] = [
  gemmWorkload("gemm-128", 128, 128, 128),
  gemmWorkload("gemm-256", 256, 256, 256),
  gemmWorkload("gemm-512", 512, 512, 512),
  gemmWorkload("gemm-1024", 1024, 1024, 1024),
  gemmWorkload("gemm-mlp", 128, 784, 256),
  // The MLP (784-256-256-10, batch 128): layer 1 forward and weight gradient, layer 2 input gradient.
  stepGemmWorkload("gemm-mlp-fc1-fwd", false, true, 128, 256, 784),
  stepGemmWorkload("gemm-mlp-fc1-dw", true, false, 256, 784, 128),
  stepGemmWorkload("gemm-mlp-fc2-dx", false, false, 128, 256, 256),
  // LeNet-5's first two Linear layers (400-120-84, batch 64).
  stepGemmWorkload("gemm-lenet-fc1-fwd", false, true, 64, 120, 400),
  stepGemmWorkload("gemm-lenet-fc1-dw", true, false, 120, 400, 64),
  stepGemmWorkload("gemm-lenet-fc2-fwd", false, true, 64, 84, 120),
];

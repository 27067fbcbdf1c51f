// GEMM throughput through each library's matmul on preallocated operands (the output is
// allocated per call, inside tidy, as in user code).
import * as sg from "../src/index.js";
import type { Workload } from "./harness.js";
import { tf } from "./peers.js";

function gemmWorkload(name: string, m: number, k: number, n: number): Workload {
  return {
    name,
    unit: "GFLOP/s",
    perCall: 2 * m * k * n,
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

export const gemmWorkloads: Workload[] = [
  gemmWorkload("gemm-128", 128, 128, 128),
  gemmWorkload("gemm-256", 256, 256, 256),
  gemmWorkload("gemm-512", 512, 512, 512),
  gemmWorkload("gemm-1024", 1024, 1024, 1024),
  gemmWorkload("gemm-mlp", 128, 784, 256),
];

// Single conv2d layers (stride 1, bias): forward, and forward + gradients wrt input, weight and
// bias given an output gradient. simdgrad is NCHW with weight [out, in, kh, kw]; TF.js is NHWC
// with filter [kh, kw, in, out] and gets its fused conv + bias kernel.
import * as sg from "../src/index.js";
import type { Case, Impl, Workload } from "./harness.js";
import { tf } from "./peers.js";

interface ConvShape {
  batch: number;
  cin: number;
  cout: number;
  size: number; // input height = width
  kernel: number;
  padding: number;
}

function outSize(s: ConvShape): number {
  return s.size + 2 * s.padding - s.kernel + 1;
}

function simdgradConv(s: ConvShape, backward: boolean): Case {
  const bound = 1 / Math.sqrt(s.cin * s.kernel * s.kernel);
  const x = sg.randn([s.batch, s.cin, s.size, s.size]);
  const w = sg.rand([s.cout, s.cin, s.kernel, s.kernel], { low: -bound, high: bound });
  const b = sg.rand([s.cout], { low: -bound, high: bound });
  const options = { padding: s.padding };
  if (!backward) {
    return {
      run: () => sg.tidy(() => void sg.conv2d(x, w, b, options)),
      dispose: () => sg.dispose([x, w, b]),
    };
  }
  const leaves = [x, w, b].map((t) => t.setRequiresGrad());
  const dy = sg.randn([s.batch, s.cout, outSize(s), outSize(s)]);
  return {
    run: () => {
      sg.tidy(() => sg.conv2d(x, w, b, options).backward(dy));
      // Fresh gradients every call, as tf.grads returns them (no accumulation).
      for (const t of leaves) {
        t.grad?.dispose();
        t.grad = null;
      }
    },
    dispose: () => sg.dispose([leaves, dy]),
  };
}

function tfjsConv(s: ConvShape, backward: boolean): Case {
  const bound = 1 / Math.sqrt(s.cin * s.kernel * s.kernel);
  const x = tf.randomNormal([s.batch, s.size, s.size, s.cin]) as tf.Tensor4D;
  const w = tf.randomUniform([s.kernel, s.kernel, s.cin, s.cout], -bound, bound) as tf.Tensor4D;
  const b = tf.randomUniform([s.cout], -bound, bound) as tf.Tensor1D;
  const conv = (x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D) =>
    tf.fused.conv2d({ x, filter, bias, strides: 1, pad: s.padding });
  if (!backward) {
    return {
      run: () => tf.tidy(() => void conv(x, w, b)),
      dispose: () => tf.dispose([x, w, b]),
    };
  }
  const dy = tf.randomNormal([s.batch, outSize(s), outSize(s), s.cout]);
  const grads = tf.grads((x, w, b) => conv(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D));
  return {
    run: () => tf.tidy(() => void grads([x, w, b], dy)),
    dispose: () => tf.dispose([x, w, b, dy]),
  };
}

function convPair(name: string, s: ConvShape, slowFwdBwd: Impl[] = []): Workload[] {
  // The forward's multiply-adds (the input and weight gradients take as many each), for a fraction
  // of the peak; not for 3x3 kernels, which run Winograd's transform with fewer multiply-adds.
  const fwdFlops = s.kernel === 3 ? undefined : 2 * s.batch * s.cout * outSize(s) ** 2 * s.cin * s.kernel ** 2;
  return [false, true].map((backward) => ({
    name: `${name}-${backward ? "fwdbwd" : "fwd"}`,
    unit: "ms",
    flops: fwdFlops && (backward ? 3 * fwdFlops : fwdFlops),
    simdgrad: () => simdgradConv(s, backward),
    tfjs: () => tfjsConv(s, backward),
    slow: backward ? slowFwdBwd : [],
  }));
}

export const convWorkloads: Workload[] = [
  ...convPair("conv-lenet1", { batch: 64, cin: 1, cout: 6, size: 28, kernel: 5, padding: 2 }),
  ...convPair("conv-lenet2", { batch: 64, cin: 6, cout: 16, size: 14, kernel: 5, padding: 0 }),
  // TF.js cpu's Conv2DBackpropFilter takes minutes on this shape.
  ...convPair("conv-res64", { batch: 32, cin: 64, cout: 64, size: 32, kernel: 3, padding: 1 }, ["tfjs-cpu"]),
];

// LeNet-5 training steps on MNIST-shaped input: conv 1->6 5x5 pad 2, ReLU, maxpool 2,
// conv 6->16 5x5, ReLU, maxpool 2, fc 400-120-84-10 (ReLU), cross-entropy, Adam lr 1e-3.
import * as sg from "../src/index.js";
import type { Workload } from "./harness.js";
import { tf } from "./peers.js";

const BATCH = 64;
const FC = [400, 120, 84, 10];

export function tfjsLenet(): { vars: tf.Variable[]; forward: (x: tf.Tensor4D) => tf.Tensor2D } {
  const uniform = (shape: number[], fanIn: number) => {
    const bound = 1 / Math.sqrt(fanIn);
    return tf.tidy(() => tf.variable(tf.randomUniform(shape, -bound, bound))); // tidy keeps variables
  };
  const convs = [
    { filter: uniform([5, 5, 1, 6], 25), bias: uniform([6], 25), pad: 2 },
    { filter: uniform([5, 5, 6, 16], 150), bias: uniform([16], 150), pad: 0 },
  ];
  const dense = FC.slice(1).map((out, i) => ({ w: uniform([FC[i], out], FC[i]), b: uniform([out], FC[i]) }));
  const forward = (x: tf.Tensor4D): tf.Tensor2D => {
    let h = x;
    for (const c of convs) {
      h = tf.fused.conv2d({ x: h, filter: c.filter as tf.Tensor4D, bias: c.bias, strides: 1, pad: c.pad, activation: "relu" });
      h = tf.maxPool(h, 2, 2, "valid");
    }
    let z = tf.reshape(h, [x.shape[0], FC[0]]) as tf.Tensor2D;
    dense.forEach(({ w, b }, i) => {
      z = tf.fused.matMul({ a: z, b: w as tf.Tensor2D, bias: b, activation: i + 1 < dense.length ? "relu" : "linear" }) as tf.Tensor2D;
    });
    return z;
  };
  return { vars: [...convs.flatMap((c) => [c.filter, c.bias]), ...dense.flatMap((d) => [d.w, d.b])], forward };
}

export const lenetWorkloads: Workload[] = [
  {
    name: "lenet-train",
    torch: "lenet-train",
    unit: "samples/s",
    perCall: BATCH,
    simdgrad: () => {
      const { nn } = sg;
      const model = new nn.Sequential(
        new nn.Conv2d(1, 6, 5, { padding: 2 }), new nn.ReLU(), new nn.MaxPool2d(2),
        new nn.Conv2d(6, 16, 5), new nn.ReLU(), new nn.MaxPool2d(2),
        new nn.Flatten(),
        new nn.Linear(400, 120), new nn.ReLU(), new nn.Linear(120, 84), new nn.ReLU(), new nn.Linear(84, 10),
      );
      const optimizer = new sg.optim.Adam(model.parameters(), { lr: 1e-3 });
      const x = sg.randn([BATCH, 1, 28, 28]);
      const y = sg.randint(0, 10, [BATCH]);
      return {
        run: () => {
          optimizer.zeroGrad();
          sg.tidy(() => nn.functional.crossEntropy(model.forward(x), y).backward());
          optimizer.step();
        },
        dispose: () => {
          optimizer.dispose();
          model.dispose();
          sg.dispose([x, y]);
        },
      };
    },
    tfjs: () => {
      const { vars, forward } = tfjsLenet();
      const optimizer = tf.train.adam(1e-3);
      const x = tf.randomNormal([BATCH, 28, 28, 1]) as tf.Tensor4D;
      const y = tf.tidy(() => tf.oneHot(tf.randomUniformInt([BATCH], 0, 10), 10));
      return {
        run: () => tf.tidy(() => void optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(x)), false, vars)),
        dispose: () => {
          optimizer.dispose();
          tf.dispose([x, y, vars]);
        },
      };
    },
  },
];

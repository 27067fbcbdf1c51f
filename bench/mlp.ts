// The MNIST MLP 784-256-256-10 (ReLU): Adam training steps with cross-entropy, and inference.
// TF.js gets its fastest path: fused matMul + bias + ReLU, weights laid out [in, out].
import * as sg from "../src/index.js";
import type { Case, Workload } from "./harness.js";
import { tf } from "./peers.js";

export const MLP_SIZES = [784, 256, 256, 10];
export const MLP_BATCH = 128;

function simdgradMlp(): sg.nn.Sequential {
  const layers: sg.nn.Module[] = [];
  for (let i = 1; i < MLP_SIZES.length; i++) {
    if (i > 1) layers.push(new sg.nn.ReLU());
    layers.push(new sg.nn.Linear(MLP_SIZES[i - 1], MLP_SIZES[i]));
  }
  return new sg.nn.Sequential(...layers);
}

/** PyTorch's default Linear init, U(-1/sqrt(in), 1/sqrt(in)) for weight and bias. */
function tfjsMlp(): { vars: tf.Variable[]; forward: (x: tf.Tensor2D) => tf.Tensor2D } {
  const vars: tf.Variable[] = [];
  for (let i = 1; i < MLP_SIZES.length; i++) {
    const bound = 1 / Math.sqrt(MLP_SIZES[i - 1]);
    for (const shape of [[MLP_SIZES[i - 1], MLP_SIZES[i]], [MLP_SIZES[i]]]) {
      vars.push(tf.tidy(() => tf.variable(tf.randomUniform(shape, -bound, bound)))); // tidy keeps variables
    }
  }
  const forward = (x: tf.Tensor2D): tf.Tensor2D => {
    let h = x;
    for (let i = 0; i < vars.length; i += 2) {
      const activation = i + 2 < vars.length ? "relu" : "linear";
      h = tf.fused.matMul({ a: h, b: vars[i] as tf.Tensor2D, bias: vars[i + 1], activation }) as tf.Tensor2D;
    }
    return h;
  };
  return { vars, forward };
}

export function simdgradMlpTrain(): Case & { model: sg.nn.Sequential; optimizer: sg.optim.Adam } {
  const model = simdgradMlp();
  const optimizer = new sg.optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = sg.randn([MLP_BATCH, MLP_SIZES[0]]);
  const y = sg.randint(0, MLP_SIZES[MLP_SIZES.length - 1], [MLP_BATCH]);
  return {
    model,
    optimizer,
    run: () => {
      optimizer.zeroGrad();
      sg.tidy(() => sg.nn.functional.crossEntropy(model.forward(x), y).backward());
      optimizer.step();
    },
    dispose: () => {
      optimizer.dispose();
      model.dispose();
      sg.dispose([x, y]);
    },
  };
}

export function tfjsMlpTrain(): Case {
  const { vars, forward } = tfjsMlp();
  const optimizer = tf.train.adam(1e-3);
  const classes = MLP_SIZES[MLP_SIZES.length - 1];
  const x = tf.randomNormal([MLP_BATCH, MLP_SIZES[0]]) as tf.Tensor2D;
  const y = tf.tidy(() => tf.oneHot(tf.randomUniformInt([MLP_BATCH], 0, classes), classes));
  return {
    run: () => tf.tidy(() => void optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(x)), false, vars)),
    dispose: () => {
      optimizer.dispose();
      tf.dispose([x, y, vars]);
    },
  };
}

function inferWorkload(batch: number): Workload {
  return {
    name: `mlp-infer-b${batch}`,
    unit: "ms",
    simdgrad: () => {
      const model = simdgradMlp().eval();
      const x = sg.randn([batch, MLP_SIZES[0]]);
      return {
        run: () => sg.noGrad(() => sg.tidy(() => void model.forward(x))),
        dispose: () => {
          model.dispose();
          x.dispose();
        },
      };
    },
    tfjs: () => {
      const { vars, forward } = tfjsMlp();
      const x = tf.randomNormal([batch, MLP_SIZES[0]]) as tf.Tensor2D;
      return {
        run: () => tf.tidy(() => void forward(x)),
        dispose: () => tf.dispose([x, vars]),
      };
    },
  };
}

export const mlpWorkloads: Workload[] = [
  { name: "mlp-train", unit: "samples/s", perCall: MLP_BATCH, torch: "mlp-train", simdgrad: simdgradMlpTrain, tfjs: tfjsMlpTrain },
  inferWorkload(1),
  inferWorkload(128),
];

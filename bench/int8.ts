// int8 inference beside float32, in pairs of rows measured in the same run: `int8-<workload>-f32`
// is simdgrad's float32 model, `int8-<workload>` the same weights statically quantized
// (quantize with one calibration batch; `-dynamic` rows: quantizeDynamic). Within a pair the
// TF.js column is the same float32 TF.js model, so int8 vs float32 = the ratio of the two rows'
// times (or of their ratios vs tfjs-wasm). The ort-wasm column is ONNX Runtime Web running the
// row's own model as exportOnnx writes it: the float32 model on -f32 rows, the same quantized
// model (integer ops, src/onnx/export.ts) on the int8 rows, so vs ort-wasm compares int8 with
// int8. Workloads: the MNIST MLP 784-256-256-10 at batch 128
// (bench/mlp.ts), the LeNet-5 conv layers and a 3x3 64-channel conv (bench/conv.ts), LeNet-5
// inference at batch 128.
import * as sg from "../src/index.js";
import type { AsyncCase, Case, Workload } from "./harness.js";
import { convWorkloads } from "./conv.js";
import { MLP_SIZES, mlpWorkloads } from "./mlp.js";
import { tfjsLenet } from "./lenet.js";
import { ortCase, tf } from "./peers.js";

type Variant = "f32" | "int8" | "dynamic";

/** A row's model (the float model or its quantized copy; `calibration` is x itself) and its input x. */
function prepared(build: () => sg.nn.Module, inputShape: number[], variant: Variant): { model: sg.nn.Module; x: sg.Tensor } {
  let model = build().eval();
  // Kept: building the ORT case between this case's setup and its runs calibrates another model
  // (noGrad blocks, loop boundaries), which would otherwise free this x as an unused loop temporary.
  const x = sg.keep(sg.randn(inputShape));
  if (variant === "int8") model = sg.quantize(model, { calibration: [x] });
  if (variant === "dynamic") model = sg.quantizeDynamic(model);
  return { model, x };
}

/** Times model.forward(x) (eval, noGrad). */
function inferCase(build: () => sg.nn.Module, inputShape: number[], variant: Variant): Case {
  const { model, x } = prepared(build, inputShape, variant);
  return {
    run: () => sg.noGrad(() => sg.tidy(() => void model.forward(x))),
    dispose: () => {
      model.dispose();
      x.dispose();
    },
  };
}

/** The same model exported and run in ONNX Runtime. */
async function ortInferCase(build: () => sg.nn.Module, inputShape: number[], variant: Variant): Promise<AsyncCase> {
  const { model, x } = prepared(build, inputShape, variant);
  try {
    return await ortCase(model, x);
  } finally {
    model.dispose();
    x.dispose();
  }
}

function mlp(): sg.nn.Module {
  const layers: sg.nn.Module[] = [];
  for (let i = 1; i < MLP_SIZES.length; i++) {
    if (i > 1) layers.push(new sg.nn.ReLU());
    layers.push(new sg.nn.Linear(MLP_SIZES[i - 1], MLP_SIZES[i]));
  }
  return new sg.nn.Sequential(...layers);
}

function lenet(): sg.nn.Module {
  const { nn } = sg;
  return new nn.Sequential(
    new nn.Conv2d(1, 6, 5, { padding: 2 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(6, 16, 5), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(400, 120), new nn.ReLU(), new nn.Linear(120, 84), new nn.ReLU(), new nn.Linear(84, 10),
  );
}

const peerOf = (name: string) => (convWorkloads.find((w) => w.name === name) ?? mlpWorkloads.find((w) => w.name === name))!.tfjs;

function lenetTfjs(batch: number): Case {
  const { vars, forward } = tfjsLenet();
  const x = tf.randomNormal([batch, 28, 28, 1]) as tf.Tensor4D;
  return { run: () => tf.tidy(() => void forward(x)), dispose: () => tf.dispose([x, vars]) };
}

function rows(name: string, build: () => sg.nn.Module, inputShape: number[], tfjs: () => Case, variants: Variant[]): Workload[] {
  return variants.map((variant) => ({
    name: `int8-${name}${variant === "int8" ? "" : `-${variant}`}`,
    unit: "ms",
    simdgrad: () => inferCase(build, inputShape, variant),
    tfjs,
    ort: () => ortInferCase(build, inputShape, variant),
  }));
}

export const int8Workloads: Workload[] = [
  ...rows("mlp-infer-b128", mlp, [128, MLP_SIZES[0]], peerOf("mlp-infer-b128"), ["f32", "int8", "dynamic"]),
  ...rows("conv-lenet1-fwd", () => new sg.nn.Conv2d(1, 6, 5, { padding: 2 }), [64, 1, 28, 28], peerOf("conv-lenet1-fwd"), ["f32", "int8"]),
  ...rows("conv-lenet2-fwd", () => new sg.nn.Conv2d(6, 16, 5), [64, 6, 14, 14], peerOf("conv-lenet2-fwd"), ["f32", "int8"]),
  ...rows("conv-res64-fwd", () => new sg.nn.Conv2d(64, 64, 3, { padding: 1 }), [32, 64, 32, 32], peerOf("conv-res64-fwd"), ["f32", "int8"]),
  ...rows("lenet-infer-b128", lenet, [128, 1, 28, 28], () => lenetTfjs(128), ["f32", "int8"]),
];

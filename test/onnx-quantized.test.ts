// exportOnnx of int8 models (quantize / quantizeDynamic), run in ONNX Runtime (onnxruntime-web's
// wasm build in Node): a quantized layer is written with ONNX's integer ops (MatMulInteger,
// ConvInteger), which compute the same integer codes and sums as our kernels, so ORT's outputs
// differ from ours only by the float rounding of the dequantizing epilogue — unless that rounding
// moves a later layer's input across a code boundary, which changes one code by one. The bound
// asserted is that one code's worth at the last layer: s_in·max_n s_w[n]·max_k |code[n, k]|.
// Runs on either build (SIMDGRAD_RELAXED=1: the relaxed dot kernel), which must give the same integers.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { DataLoader, TensorDataset, init, manualSeed, nn, noGrad, optim, quantize, quantizeDynamic, quantization, randn, dispose, type Tensor } from "../src/index.js";
import { exportOnnx, importOnnx } from "../src/onnx.js";
import { DataType, decodeModel } from "../src/onnx/proto.js";
import { loadMnist } from "../src/node.js";
import { runOrt } from "./helpers/onnxruntime.js";

const { QuantizedLinear, QuantizedConv2d, DynamicQuantizedLinear } = quantization;
type QuantizedLayer = InstanceType<typeof QuantizedLinear> | InstanceType<typeof QuantizedConv2d> | InstanceType<typeof DynamicQuantizedLinear>;

beforeAll(async () => {
  await init();
  manualSeed(0);
});

/** The most one input code changed by one moves an output of `layer`: s_in·max_n s_w[n]·max_k |code[n, k]|. */
function oneCode(layer: QuantizedLayer, inputScale: number): number {
  const codes = layer.weight.int32Data(), scales = layer.weight_scale.float32Data();
  const K = codes.length / scales.length;
  let worst = 0;
  scales.forEach((s, n) => {
    for (let k = 0; k < K; k++) worst = Math.max(worst, s * Math.abs(codes[n * K + k]));
  });
  return inputScale * worst;
}

const lastQuantized = (model: nn.Module<unknown>) => model.modules().filter((m): m is QuantizedLayer => m instanceof QuantizedLinear || m instanceof QuantizedConv2d || m instanceof DynamicQuantizedLinear).at(-1)!;
const staticInputScale = (layer: QuantizedLayer) => (layer as InstanceType<typeof QuantizedLinear>).input_scale.float32Data()[0];

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

function argmaxRows(v: ArrayLike<number>, cols: number): number[] {
  return Array.from({ length: v.length / cols }, (_, r) => {
    let best = 0;
    for (let c = 1; c < cols; c++) if (v[r * cols + c] > v[r * cols + best]) best = c;
    return best;
  });
}

/**
 * Exports the quantized model, runs it in ORT on x, and checks: the graph holds the integer op and
 * int8 weights under their state-dict keys; ORT's output is within `bound` of ours, element by
 * element, and all but 0.1% of the elements within float rounding (1e-6 relative); the argmax of
 * every row agrees. Returns ORT's output and ours.
 */
async function agree(model: nn.Module<unknown>, x: Tensor, bound: number, integerOp: string) {
  const bytes = exportOnnx(model, x, { dynamicAxes: { input: [0], output: [0] } });
  const graph = decodeModel(bytes).graph;
  expect(graph.nodes.map((n) => n.opType)).toContain(integerOp);
  const int8 = graph.initializers.filter((t) => t.dataType === DataType.INT8).map((t) => t.name);
  const weights = model.namedBuffers().filter(([k]) => k.endsWith(".weight") || k === "weight").map(([k]) => k);
  expect(int8.sort()).toEqual(weights.sort());
  const ours = noGrad(() => model.forward(x) as Tensor);
  const ort = (await runOrt(bytes, { input: x })).output;
  expect([...ort.dims]).toEqual([...ours.shape]);
  const y = ours.float32Data();
  expect(maxAbsDiff(ort.data, y)).toBeLessThanOrEqual(bound);
  // And nearly all of them to float rounding: the same codes, the same sums.
  let rounded = 0;
  y.forEach((v, i) => void (Math.abs(ort.data[i] - v) > 1e-6 * (1 + Math.abs(v)) && rounded++));
  expect(rounded).toBeLessThanOrEqual(y.length / 1000);
  const cols = ours.shape.at(-1)!;
  expect(argmaxRows(ort.data, cols)).toEqual(argmaxRows(y, cols));
  ours.dispose();
  return { ort: ort.data, ours: y };
}

/** The MNIST MLP of bench/mlp.ts (784-256-256-10), trained for one pass over 3,000 digits. */
/** Builds copies of it (quantize converts the model it is given). */
function trainedMlp(): () => nn.Module<Tensor> {
  const build = () => new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 256), new nn.ReLU(), new nn.Linear(256, 10));
  const model = build();
  const { images, labels } = loadMnist("train");
  const loader = new DataLoader(new TensorDataset(images.slice(0, 0, 3000), labels.slice(0, 0, 3000)), { batchSize: 64, shuffle: true });
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  for (const [xb, yb] of loader) {
    opt.zeroGrad();
    nn.functional.crossEntropy(model.forward(xb), yb).backward();
    opt.step();
  }
  dispose([images, labels]);
  const state = model.stateDict();
  return () => {
    const m = build();
    m.loadStateDict(state);
    return m;
  };
}

const mnist = (split: "train" | "test", n: number, image = false) => {
  const { images, labels } = loadMnist(split);
  const x = images.slice(0, 0, n);
  dispose([images, labels]);
  return image ? x.reshape(n, 1, 28, 28) : x;
};

describe("exportOnnx of a quantized model, in ONNX Runtime", () => {
  let mlp: () => nn.Module<Tensor>;
  beforeAll(() => {
    mlp = trainedMlp();
  });

  it("a statically quantized MNIST MLP: MatMulInteger, ORT's logits within one code of ours, every argmax the same", async () => {
    const calibration = mnist("train", 512);
    const x = mnist("test", 1000);
    const float = mlp().eval();
    const f32 = noGrad(() => float.forward(x)).float32Data().slice();
    const model = quantize(float, { calibration: [calibration] });
    const last = lastQuantized(model);
    const { ort, ours } = await agree(model, x, oneCode(last, staticInputScale(last)), "MatMulInteger");
    // ORT ran the quantized model, not a float one: it is far closer to ours than float32 is.
    expect(maxAbsDiff(ort, ours)).toBeLessThan(maxAbsDiff(f32, ours) / 100);
    dispose([calibration, x]);
    model.dispose();
  });

  it("a dynamically quantized MLP: each batch's 7-bit range computed in the graph, as ours", async () => {
    const model = quantizeDynamic(mlp());
    const x = mnist("test", 500);
    // The bound of the last layer for the input range it sees in this batch: its input is the ReLU before it.
    const hidden = noGrad(() => (model as nn.Sequential).children().slice(0, -1).reduce<Tensor>((h, m) => m.forward(h) as Tensor, x));
    const range = hidden.float32Data().reduce((a, b) => Math.max(a, b), 0);
    await agree(model, x, oneCode(lastQuantized(model), range / 127), "MatMulInteger");
    // Another batch, with a wider range, through the same file: the graph quantizes by the batch it is given.
    const wide = x.mul(3);
    const bytes = exportOnnx(model, x, { dynamicAxes: { input: [0], output: [0] } });
    const ours = noGrad(() => model.forward(wide) as Tensor);
    const ort = (await runOrt(bytes, { input: wide })).output;
    expect(maxAbsDiff(ort.data, ours.float32Data())).toBeLessThanOrEqual(3 * oneCode(lastQuantized(model), range / 127));
    dispose([x, hidden, wide, ours]);
    model.dispose();
  });

  it("a statically quantized LeNet-5 (the PyTorch-trained fixture's weights): ConvInteger, within one code, every argmax the same", async () => {
    const fixture = importOnnx(new Uint8Array(readFileSync(new URL("fixtures/onnx/lenet.onnx", import.meta.url))));
    const p = Object.fromEntries(fixture.namedParameters());
    const lenet = new nn.Sequential(
      new nn.Conv2d(1, 6, 5, { padding: 2 }), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(6, 16, 5), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(),
      new nn.Linear(400, 32), new nn.ReLU(), new nn.Linear(32, 24), new nn.ReLU(), new nn.Linear(24, 10),
    );
    const layers: [string, string][] = [["0", "conv1"], ["3", "conv2"], ["7", "fc1"], ["9", "fc2"], ["11", "fc3"]];
    lenet.loadStateDict(Object.fromEntries(layers.flatMap(([ours, theirs]) => [[`${ours}.weight`, p[`${theirs}.weight`]], [`${ours}.bias`, p[`${theirs}.bias`]]])));
    fixture.dispose();
    const calibration = mnist("train", 256, true);
    const x = mnist("test", 500, true);
    const model = quantize(lenet, { calibration: [calibration] });
    const last = lastQuantized(model);
    await agree(model, x, oneCode(last, staticInputScale(last)), "ConvInteger");
    dispose([calibration, x]);
    model.dispose();
  });

  it("convolutions with stride, dilation, groups, 'same' padding (uneven), no bias, no fused ReLU; unbatched input; Linear on 3-D input", async () => {
    const net = new nn.Sequential(
      new nn.Conv2d(4, 6, 3, { stride: 2, padding: 1, groups: 2 }), new nn.Tanh(),
      new nn.Conv2d(6, 6, 4, { padding: "same", dilation: 2, bias: false }), new nn.ReLU(),
      new nn.Conv2d(6, 2, 1),
    );
    const calibration = randn([8, 4, 13, 11]);
    const model = quantize(net, { calibration: [calibration] });
    const last = lastQuantized(model);
    await agree(model, randn([3, 4, 13, 11]).mul(1.5), oneCode(last, staticInputScale(last)), "ConvInteger");
    // Unbatched [C, H, W]: the exported graph takes the same rank.
    const x3 = randn([4, 13, 11]);
    const bytes = exportOnnx(model, x3);
    const ours = noGrad(() => model.forward(x3) as Tensor);
    const ort = (await runOrt(bytes, { input: x3 })).output;
    expect([...ort.dims]).toEqual([2, 7, 6]);
    expect(maxAbsDiff(ort.data, ours.float32Data())).toBeLessThanOrEqual(oneCode(last, staticInputScale(last)));

    const lin = quantize(new nn.Sequential(new nn.Linear(12, 5, false)), { calibration: [randn([2, 7, 12])] });
    const xl = randn([2, 7, 12]);
    const ql = lastQuantized(lin);
    const l = await agree(lin, xl, oneCode(ql, staticInputScale(ql)), "MatMulInteger");
    expect(l.ours.length).toBe(2 * 7 * 5);
    dispose([calibration, x3, ours, xl]);
    model.dispose();
    lin.dispose();
  });

  it("every opset from 17 to 21 (ReduceMin/Max and QuantizeLinear changed form in between), static and dynamic", async () => {
    const x = randn([3, 2, 6, 6]);
    const build = () => new nn.Sequential(new nn.Conv2d(2, 3, 3), new nn.ReLU(), new nn.Flatten(), new nn.Linear(3 * 4 * 4, 5));
    for (const model of [quantize(build(), { calibration: [x] }), quantizeDynamic(build())]) {
      const ours = noGrad(() => model.forward(x) as Tensor);
      for (let opset = 17; opset <= 21; opset++) {
        const ort = (await runOrt(exportOnnx(model, x, { opset }), { input: x })).output;
        expect(maxAbsDiff(ort.data, ours.float32Data()), `opset ${opset}`).toBeLessThanOrEqual(1e-6);
      }
      ours.dispose();
      model.dispose();
    }
    x.dispose();
  });

  it("importOnnx of an exported quantized model is an error naming the first integer-domain op it does not run", () => {
    const model = quantize(new nn.Sequential(new nn.Linear(6, 3)), { calibration: [randn([4, 6])] });
    const bytes = exportOnnx(model, randn([2, 6]));
    expect(() => importOnnx(bytes)).toThrow(/importOnnx: node \S+: the op QuantizeLinear is not supported/);
    model.dispose();
  });
});

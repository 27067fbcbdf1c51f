// exportOnnx across the library's layers and ops: every exported model runs in ONNX Runtime with
// simdgrad's outputs (rtol 1e-4, atol 1e-5), and the opset-17 ones pass the ONNX checker.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  init, manualSeed, noGrad, randn, tensor, nn, cat, slice, pad, permute, squeeze, unsqueeze, flatten, reshape, transpose, relu, sigmoid,
  cumsum, batchNorm, scaledDotProductAttention, type Tensor,
} from "../src/index.js";
import { exportOnnx, importOnnx, type ExportOnnxOptions } from "../src/onnx.js";
import { runOrt, expectClose } from "./helpers/onnxruntime.js";

const PYTHON = "/usr/bin/python3";
const hasChecker = existsSync(PYTHON) && (() => {
  try {
    execFileSync(PYTHON, ["-c", "import onnx"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** Models exported at opset 17, for the checker at the end (python3-onnx 1.12 knows opsets up to 17). */
const forChecker: [string, Uint8Array][] = [];

/** Exports model, runs it in ONNX Runtime on `inputs` (default: the example inputs) and compares every output with simdgrad's. */
async function roundTrip(name: string, model: nn.Module<unknown>, example: Tensor[], options: ExportOnnxOptions = {}, inputs = example): Promise<Uint8Array> {
  model.eval();
  const bytes = exportOnnx(model, example, options);
  if ((options.opset ?? 17) === 17) forChecker.push([name, bytes]);
  const ours = noGrad(() => (model.forward as (...xs: Tensor[]) => unknown)(...inputs));
  const flat = ([ours].flat(3) as (Tensor | null)[]).filter((t): t is Tensor => t !== null);
  const inputNames = options.inputNames ?? (inputs.length === 1 ? ["input"] : inputs.map((_, i) => `input_${i}`));
  const outputNames = options.outputNames ?? (flat.length === 1 ? ["output"] : flat.map((_, i) => `output_${i}`));
  const ort = await runOrt(bytes, Object.fromEntries(inputs.map((x, i) => [inputNames[i], x])));
  flat.forEach((t, k) => {
    expect([...ort[outputNames[k]].dims], `${name} output ${k} shape`).toEqual([...t.shape]);
    expectClose(ort[outputNames[k]].data, t.data());
  });
  return bytes;
}

/** A module whose forward is the given function of its inputs (for functional graphs). */
class Fn extends nn.Module<unknown> {
  constructor(private readonly fn: (...xs: Tensor[]) => unknown, readonly children_: nn.Module<unknown>[] = []) {
    super();
  }
  forward(...xs: Tensor[]): unknown {
    return this.fn(...xs);
  }
}

beforeAll(async () => {
  await init();
  manualSeed(0);
});

describe("exportOnnx", () => {
  it("an MLP with a dynamic batch: Gemm (ReLU fused in simdgrad) runs on another batch size", async () => {
    const model = new nn.Sequential(new nn.Linear(6, 12), new nn.ReLU(), new nn.Linear(12, 3));
    await roundTrip("mlp", model, [randn([4, 6])], { dynamicAxes: { input: { 0: "batch" }, output: { 0: "batch" } } }, [randn([9, 6])]);
  });

  const activations: [string, () => nn.Module][] = [
    ["ReLU", () => new nn.ReLU()], ["LeakyReLU", () => new nn.LeakyReLU(0.2)], ["ELU", () => new nn.ELU(0.7)], ["GELU", () => new nn.GELU()],
    ["GELU tanh", () => new nn.GELU("tanh")], ["SiLU", () => new nn.SiLU()], ["Sigmoid", () => new nn.Sigmoid()], ["Tanh", () => new nn.Tanh()],
    ["Softplus", () => new nn.Softplus(2, 3)], ["Hardswish", () => new nn.Hardswish()], ["Hardsigmoid", () => new nn.Hardsigmoid()],
    ["Mish", () => new nn.Mish()], ["LogSigmoid", () => new nn.LogSigmoid()], ["Softmax", () => new nn.Softmax(1)], ["LogSoftmax", () => new nn.LogSoftmax(1)],
    ["PReLU", () => new nn.PReLU()], ["PReLU per channel", () => new nn.PReLU(5)], ["Step", () => new nn.Step()], ["Sign", () => new nn.Sign()],
  ];
  it.each(activations)("%s at opsets 17 and 20", async (name, make) => {
    const model = new nn.Sequential(new nn.Linear(4, 5), make());
    const x = randn([6, 4]).mul(3);
    await roundTrip(name, model, [x]);
    await roundTrip(name, model, [x], { opset: 20 });
  });

  it("elementwise and binary ops in a custom forward: residual and multi-branch graphs", async () => {
    const a = new nn.Linear(4, 4), b = new nn.Linear(4, 4);
    const model = new Fn((x) => {
      const h = a.forward(x), g = b.forward(x);
      return relu(h.add(g)).sub(h.mul(g)).div(sigmoid(g).add(1)).add(x).mul(2).sub(1).pow(2).clamp(-3, 5).exp().log().sqrt().abs().neg();
    }, [a, b]);
    await roundTrip("branches", model, [randn([3, 4])]);
  });

  it("shape ops: Flatten, Reshape, Transpose, Concat, Slice, Pad, Squeeze, Unsqueeze, Expand", async () => {
    const model = new Fn((x) => {
      const y = permute(x, [0, 2, 1, 3]);
      const z = cat([slice(y, 1, 0, 2), slice(y, 1, 1, 3, 2), transpose(y, 2, 3).reshape([2, 4, 3, 5]).narrow(1, 0, 1)], 1);
      const p = pad(z, [1, 2, 0, 1], 0.5);
      return flatten(squeeze(unsqueeze(p, 0), 0), 1).add(reshape(p, [2, -1]).sum(1, true)).add(x.reshape([2, 60]).sum(1, true).expand([2, 128]));
    });
    await roundTrip("shapes", model, [randn([2, 3, 4, 5])]);
  });

  it("Conv2d with stride, padding, dilation and groups; ConvTranspose2d; Conv1d", async () => {
    const model = new nn.Sequential(
      new nn.Conv2d(4, 6, 3, { stride: 2, padding: 1, dilation: 1, groups: 2 }),
      new nn.ReLU(),
      new nn.Conv2d(6, 6, 3, { padding: 2, dilation: 2, groups: 3, bias: false }),
      new nn.ConvTranspose2d(6, 4, 3, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }),
      new nn.Conv2d(4, 4, 3, { padding: "same" }),
    );
    await roundTrip("conv2d", model, [randn([2, 4, 9, 9])]);
    await roundTrip("conv1d", new nn.Sequential(new nn.Conv1d(3, 5, 3, { stride: 2, padding: 1 }), new nn.Tanh()), [randn([2, 3, 11])]);
  });

  it("pools: MaxPool2d (padding, dilation, ceil mode), AvgPool2d, AdaptiveAvgPool2d, GlobalAvgPool2d", async () => {
    const x = randn([2, 3, 9, 9]);
    await roundTrip("maxpool", new nn.MaxPool2d(3, { stride: 2, padding: 1, dilation: 1, ceilMode: true }), [x]);
    await roundTrip("maxpool dilated", new nn.MaxPool2d(2, { stride: 1, dilation: 2 }), [x]);
    await roundTrip("avgpool", new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }), [x]);
    await roundTrip("avgpool include pad", new nn.AvgPool2d(2, { stride: 2, padding: 1 }), [x]);
    await roundTrip("adaptive", new nn.AdaptiveAvgPool2d(3), [x]);
    await roundTrip("adaptive 1", new nn.AdaptiveAvgPool2d(1), [x]);
    await roundTrip("global", new nn.GlobalAvgPool2d(), [x]);
  });

  it("BatchNorm (running statistics, eval), LayerNorm, GroupNorm (decomposed at 17, native at 21), Dropout in eval", async () => {
    const bn = new nn.BatchNorm2d(3);
    noGrad(() => {
      for (let i = 0; i < 3; i++) bn.forward(randn([4, 3, 5, 5]).mul(2).add(1)); // running statistics away from 0/1
    });
    const model = new nn.Sequential(bn, new nn.Dropout(0.5), new nn.GroupNorm(3, 3), new nn.LayerNorm([5, 5]));
    await roundTrip("norms", model, [randn([2, 3, 5, 5])]);
    await roundTrip("norms 21", model, [randn([2, 3, 5, 5])], { opset: 21 });
    const bn1 = new nn.BatchNorm1d(4);
    noGrad(() => bn1.forward(randn([8, 4]).add(2)));
    await roundTrip("batchnorm1d", new nn.Sequential(new nn.Linear(3, 4), bn1, new nn.Dropout(0.3)), [randn([5, 3])]);
  });

  it("ResidualBlock with a downsampling branch", async () => {
    const block = new nn.ResidualBlock(3, 6, 2);
    noGrad(() => block.forward(randn([4, 3, 8, 8])));
    await roundTrip("resnet", block, [randn([2, 3, 8, 8])]);
  });

  it("Embedding -> Gather with int32 indices", async () => {
    const model = new nn.Sequential(new nn.Embedding(10, 4), new nn.Flatten(), new nn.Linear(12, 2));
    await roundTrip("embedding", model, [tensor([[1, 2, 9], [0, 0, 5]], { dtype: "int32" })]);
  });

  it("LSTM (2 layers, bidirectional, batch-first), GRU and RNN (relu) with their final states; gate orders", async () => {
    const x = randn([3, 5, 4]);
    await roundTrip("lstm", new nn.LSTM(4, 6, { numLayers: 2, bidirectional: true, batchFirst: true }), [x]);
    await roundTrip("gru", new nn.GRU(4, 5, { bidirectional: true }), [randn([5, 3, 4])]);
    await roundTrip("rnn", new nn.RNN(4, 5, { numLayers: 2, nonlinearity: "relu" }), [randn([5, 3, 4])]);
    const h0 = randn([1, 3, 5]), c0 = randn([1, 3, 5]);
    const lstm = new nn.LSTM(4, 5);
    await roundTrip("lstm states", new Fn((x, h, c) => lstm.forward(x, [h, c]).flat(), [lstm]), [randn([5, 3, 4]), h0, c0]);
  });

  it("MultiheadAttention, TransformerEncoderLayer (post- and pre-norm, GELU) and scaled dot-product attention with a causal mask", async () => {
    const mha = new nn.MultiheadAttention(8, 2, { batchFirst: true });
    const q = randn([2, 5, 8]);
    await roundTrip("mha", new Fn((x) => mha.forward(x, x, x), [mha]), [q]);
    await roundTrip("encoder", new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, batchFirst: true }), [q]);
    await roundTrip("encoder prenorm", new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, normFirst: true, activation: "gelu" }), [randn([5, 2, 8])]);
    await roundTrip("sdpa", new Fn((x) => scaledDotProductAttention(x, x, x, { isCausal: true })), [randn([2, 4, 6])]);
  });

  it("a model exported by simdgrad imports again with the same outputs and parameter names", async () => {
    const model = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.ReLU(), new nn.Flatten(), new nn.Linear(2 * 4 * 4, 3));
    const x = randn([2, 1, 6, 6]);
    const back = importOnnx(exportOnnx(model.eval(), x));
    expect(Object.keys(back.stateDict()).sort()).toEqual(Object.keys(model.stateDict()).sort());
    expectClose(noGrad(() => back.forward(x) as Tensor).data(), noGrad(() => model.forward(x)).data());
  });

  it("names the op that has no ONNX export, and checks its options", () => {
    expect(() => exportOnnx(new Fn((x) => cumsum(x, 1)), randn([2, 3]))).toThrow(/exportOnnx: the op cumsum .* has no ONNX export/);
    const training = new Fn((x) => batchNorm(x, null, null, null, null, { training: true }));
    expect(() => exportOnnx(training, randn([4, 3]))).toThrow(/batchNorm in training mode/);
    expect(() => exportOnnx(new nn.ReLU(), randn([2]), { opset: 13 })).toThrow(/opset 13 is not supported \(17 to 21\)/);
    expect(() => exportOnnx(new nn.ReLU(), randn([2]), { opsetVersion: 17 } as never)).toThrow(/unknown option opsetVersion/);
    expect(() => exportOnnx(new nn.ReLU(), randn([2]), { dynamicAxes: { x: [0] } })).toThrow(/dynamicAxes names x/);
    expect(() => exportOnnx(new nn.ReLU(), [randn([2]), randn([2])], { inputNames: ["a"] })).toThrow(/1 inputNames for 2 example inputs/);
  });

  it.skipIf(!hasChecker && !process.env.CI)("passes the ONNX checker (python3-onnx, full check with shape inference)", () => {
    expect(forChecker.length).toBeGreaterThan(20);
    const dir = mkdtempSync(join(tmpdir(), "simdgrad-onnx-"));
    try {
      const paths = forChecker.map(([name], i) => join(dir, `${i}-${name.replace(/\W+/g, "_")}.onnx`));
      forChecker.forEach(([, bytes], i) => writeFileSync(paths[i], bytes));
      const script = "import onnx, sys\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(p), full_check=True)\nprint(len(sys.argv) - 1)";
      expect(execFileSync(PYTHON, ["-c", script, ...paths], { encoding: "utf8" }).trim()).toBe(String(paths.length));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

if (!hasChecker && !process.env.CI) console.warn("onnx-export.test.ts: python3-onnx is not installed (apt-get install python3-onnx); the ONNX checker test is skipped");

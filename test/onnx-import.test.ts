// importOnnx on models written by torch.onnx.export (test/fixtures/onnx/generate.py): each runs
// here with ONNX Runtime's outputs (and PyTorch's), fine-tunes, and exports again.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { init, tensor, noGrad, optim, nn, keep, type Tensor } from "../src/index.js";
import { importOnnx, exportOnnx } from "../src/onnx.js";
import { AttrType, DataType, encodeModel, type AttributeProto } from "../src/onnx/proto.js";
import { runOrt, expectClose } from "./helpers/onnxruntime.js";
import { meanOf, runSteps } from "./flat-memory.js";

const dir = new URL("./fixtures/onnx/", import.meta.url);
const fixture = (name: string) => {
  const bytes = new Uint8Array(readFileSync(new URL(`${name}.onnx`, dir)));
  const io = JSON.parse(readFileSync(new URL(`${name}.json`, dir), "utf8")) as Record<"input" | "output", { shape: number[]; data: number[] }>;
  // kept: the training loop below would free a tensor made before it once unused for a step (see Memory in the README)
  return { bytes, input: keep(tensor(io.input.data, io.input.shape)), expected: io.output };
};

beforeAll(async () => {
  await init();
});

describe.each(["mlp", "lenet", "resblock", "lstm", "transformer"])("importOnnx(%s.onnx from torch.onnx.export)", (name) => {
  it("matches ONNX Runtime and PyTorch, with the initializers as named parameters", async () => {
    const { bytes, input, expected } = fixture(name);
    const model = importOnnx(bytes).eval();
    const ours = noGrad(() => model.forward(input)) as Tensor;
    const ort = await runOrt(bytes, { input });
    expect([...ours.shape]).toEqual([...ort.output.dims]);
    expectClose(ours.data(), ort.output.data);
    expectClose(ours.data(), expected.data);
    expect(model.parameters().length).toBeGreaterThan(0);
    for (const [key] of model.namedParameters()) expect(key).not.toMatch(/^const/);
  });

  it("fine-tunes (the loss falls) and exports again, matching ONNX Runtime", async () => {
    const { bytes, input } = fixture(name);
    const model = importOnnx(bytes);
    const before = noGrad(() => model.eval().forward(input)) as Tensor;
    const target = keep(noGrad(() => before.mul(0.5).add(0.1)));
    const opt = new optim.Adam(model.parameters(), { lr: 1e-2 });
    model.train();
    const losses: number[] = [];
    for (let step = 0; step < 5; step++) {
      opt.zeroGrad();
      const loss = nn.functional.mseLoss(model.forward(input) as Tensor, target);
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    expect(losses[4]).toBeLessThan(losses[0]);
    model.eval();
    const again = exportOnnx(model, input);
    const ours = noGrad(() => model.forward(input)) as Tensor;
    const ort = await runOrt(again, { input });
    expectClose(ours.data(), ort.output.data);
  });
});

describe("importOnnx errors", () => {
  const graphWith = (opType: string, attributes: AttributeProto[] = []) =>
    encodeModel({
      irVersion: 8, opsetImports: [{ domain: "", version: 17 }], producerName: "test", producerVersion: "0",
      graph: {
        name: "g", nodes: [{ inputs: ["x"], outputs: ["y"], name: "the_node", opType, domain: "", attributes }], initializers: [],
        inputs: [{ name: "x", elemType: DataType.FLOAT, shape: [2, 3] }], outputs: [{ name: "y", elemType: DataType.FLOAT, shape: [2, 3] }], valueInfo: [],
      },
    });

  it("an unsupported op names the node and the op", () => {
    expect(() => importOnnx(graphWith("NonMaxSuppression"))).toThrow("importOnnx: node the_node: the op NonMaxSuppression is not supported");
  });

  it("an unsupported attribute or attribute value names the node", () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(() => importOnnx(graphWith("Relu", [{ name: "gamma", type: AttrType.FLOAT, f: 2 }])).forward(x)).toThrow("importOnnx: node the_node (Relu): attribute gamma is not supported");
    expect(() => importOnnx(graphWith("Pad", [{ name: "mode", type: AttrType.STRING, s: "reflect" }])).forward(x)).toThrow('importOnnx: node the_node (Pad): attribute mode = "reflect" is not supported (only "constant")');
  });

  it("a malformed file and a wrong number of inputs are clear errors", () => {
    expect(() => importOnnx(Uint8Array.of(0x3a, 0x05, 1))).toThrow(/onnx: malformed protobuf/);
    expect(() => importOnnx(graphWith("Relu")).forward()).toThrow("OnnxModule.forward: the graph takes 1 input (x), got 0");
  });
});

describe("fine-tuning an imported model", () => {
  it("keeps memory flat in steady state (the LSTM and Transformer graphs, with shape arithmetic)", () => {
    for (const name of ["lstm", "transformer", "resblock"]) {
      const { bytes, input } = fixture(name);
      const model = importOnnx(bytes).train();
      const target = keep(noGrad(() => (model.forward(input) as Tensor).mul(0.5)));
      const opt = new optim.SGD(model.parameters(), { lr: 1e-3 });
      const run = runSteps(25, () => {
        opt.zeroGrad();
        const loss = nn.functional.mseLoss(model.forward(input) as Tensor, target);
        loss.backward();
        opt.step();
        return loss.item();
      });
      expect(run.changed, name).toEqual([]);
      expect(meanOf(run.losses, 20, 25), name).toBeLessThan(meanOf(run.losses, 0, 5));
    }
  });
});

// importOnnx on models written by torch.onnx.export (test/fixtures/onnx/generate.py): each runs
// here with ONNX Runtime's outputs (and PyTorch's), fine-tunes, and exports again.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { init, tensor, noGrad, optim, nn, keep, type Tensor } from "../src/index.js";
import { importOnnx, exportOnnx } from "../src/onnx.js";
import { runOrt, expectClose } from "./helpers/onnxruntime.js";

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

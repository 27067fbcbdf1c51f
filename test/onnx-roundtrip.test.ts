// A shortened `npm run onnx-roundtrip`: the PyTorch-trained LeNet-5 fixture, fine-tuned on 1,280
// more digits, exported and run in ONNX Runtime, which must predict every test digit as simdgrad
// does, and better than the model did as it came from PyTorch.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

it("examples/onnx-roundtrip: import, fine-tune, export, check in ONNX Runtime", async () => {
  const dir = mkdtempSync(join(tmpdir(), "simdgrad-roundtrip-"));
  try {
    const out = join(dir, "lenet.onnx");
    const { stdout } = await promisify(execFile)("node_modules/.bin/tsx", ["examples/onnx-roundtrip.ts", "--samples", "1280", "--test-samples", "2000", "--out", out]);
    const before = Number(/as trained in PyTorch: ([\d.]+)%/.exec(stdout)![1]);
    const ortAccuracy = Number(/ONNX Runtime: test accuracy ([\d.]+)%/.exec(stdout)![1]);
    expect(before).toBeGreaterThan(70);
    expect(ortAccuracy).toBeGreaterThan(before);
    expect(stdout).toMatch(/same prediction as simdgrad on 2000\/2000 digits/);
    expect(statSync(out).size).toBeGreaterThan(60000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

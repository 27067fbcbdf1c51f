import { describe, it, expect, beforeAll } from "vitest";
import * as sg from "../src/index.js";
import "../src/threads.js";
import { nodeWorkerSpawner } from "../src/backend/threads-node.js";
import { backend } from "../src/backend/wasm.js";

// This file runs in its own process (vitest forks), so it can start the pool before any tensor.
beforeAll(async () => {
  await sg.init({ threads: 2, spawnWorker: nodeWorkerSpawner });
  // every job over the threads (the pool's solo runs are tested in threads-chunks.test.ts)
  backend().pool!.adaptive = false;
});

/** Output and input/weight/bias gradients of one convolution, as plain arrays. */
function run(threads: number, conv: (x: sg.Tensor, w: sg.Tensor, b: sg.Tensor) => sg.Tensor, x: sg.Tensor, w: sg.Tensor, b: sg.Tensor, g: sg.Tensor): number[][] {
  sg.setNumThreads(threads);
  const leaves = [x, w, b];
  const out = sg.tidy(() => {
    const y = conv(x, w, b);
    y.backward(g);
    return [y, ...leaves.map((t) => t.grad!)].map((t) => Array.from(t.data()));
  });
  for (const t of leaves) {
    t.grad!.dispose();
    t.grad = null;
  }
  return out;
}

describe("convolutions on the worker pool", () => {
  it("give bit-identical outputs and gradients with 1 and 2 threads (direct, chunked, Winograd, per-image, transposed)", () => {
    sg.manualSeed(21);
    const cases: { x: number[]; w: number[]; cout: number; conv: (x: sg.Tensor, w: sg.Tensor, b: sg.Tensor) => sg.Tensor }[] = [
      // LeNet's layers: direct forward and input gradient split by images, weight gradient by
      // chunked GEMMs split by rows (M = 16) or columns (M = 6)
      { x: [8, 6, 14, 14], w: [16, 6, 5, 5], cout: 16, conv: (x, w, b) => sg.conv2d(x, w, b, { activation: "relu" }) },
      { x: [6, 1, 28, 28], w: [6, 1, 5, 5], cout: 6, conv: (x, w, b) => sg.conv2d(x, w, b, { padding: 2 }) },
      // 1x1 on small images: chunked GEMMs throughout
      { x: [32, 64, 7, 7], w: [32, 64, 1, 1], cout: 32, conv: (x, w, b) => sg.conv2d(x, w, b, { activation: "relu" }) },
      // Winograd: 16 GEMMs [96, 96] x [96, 64 tiles] per image, split by rows
      { x: [2, 96, 16, 16], w: [96, 96, 3, 3], cout: 96, conv: (x, w, b) => sg.conv2d(x, w, b, { padding: 1, activation: "relu" }) },
      // large images: one GEMM per image and group
      { x: [2, 16, 24, 24], w: [32, 8, 3, 3], cout: 32, conv: (x, w, b) => sg.conv2d(x, w, b, { padding: 1, stride: [1, 2], dilation: [2, 1], groups: 2 }) },
      { x: [4, 32, 9, 9], w: [32, 8, 3, 3], cout: 8, conv: (x, w, b) => sg.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }) },
    ];
    for (const c of cases) {
      const x = sg.randn(c.x, { requiresGrad: true }), w = sg.randn(c.w, { requiresGrad: true }), b = sg.randn([c.cout], { requiresGrad: true });
      const g = sg.randn(sg.noGrad(() => sg.tidy(() => c.conv(x, w, b).shape)));
      const one = run(1, c.conv, x, w, b, g), two = run(2, c.conv, x, w, b, g);
      expect(two.length).toBe(4);
      two.forEach((v, i) => expect(v).toEqual(one[i]));
      sg.dispose([x, w, b, g]);
    }
    sg.setNumThreads(2);
  });
});

import { describe, it, expect } from "vitest";
import { nn, optim, tensor, tidy, dispose, noGrad, manualSeed, Generator, type Tensor } from "../src/index.js";
import { runSteps } from "./flat-memory.js";

// End to end through the decoder ops: a small convolutional autoencoder (strided convs down, a
// ConvTranspose2d with outputPadding and an Upsample + conv back up, a linear bottleneck between)
// learns to reconstruct structured images. Every step runs in a tidy, so once Adam's lazily
// created state exists the allocator's counters must stay identical step after step.
const SIDE = 16, CODE = 8;

/** n images [n, 1, 16, 16]: each a filled axis-aligned rectangle or a filled disc, at a random place and size. */
function shapes(n: number, gen: Generator): Tensor {
  const pixels = new Float32Array(n * SIDE * SIDE);
  for (let i = 0; i < n; i++) {
    const image = pixels.subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE);
    if (i % 2 === 0) {
      const y0 = gen.int(SIDE - 4), x0 = gen.int(SIDE - 4);
      const y1 = y0 + 3 + gen.int(SIDE - y0 - 3), x1 = x0 + 3 + gen.int(SIDE - x0 - 3);
      for (let y = y0; y < y1; y++) image.fill(1, y * SIDE + x0, y * SIDE + x1);
    } else {
      const r = 2 + 4 * gen.uniform(), cy = r + (SIDE - 2 * r) * gen.uniform(), cx = r + (SIDE - 2 * r) * gen.uniform();
      for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) image[y * SIDE + x] = +((y + 0.5 - cy) ** 2 + (x + 0.5 - cx) ** 2 <= r * r);
    }
  }
  return tensor(pixels, [n, 1, SIDE, SIDE]);
}

class TinyAutoencoder extends nn.Module {
  readonly encoder = new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { stride: 2, padding: 1 }), new nn.ReLU(), // 16 -> 8
    new nn.Conv2d(8, 16, 3, { stride: 2, padding: 1 }), new nn.ReLU(), // 8 -> 4
    new nn.Flatten(), new nn.Linear(16 * 4 * 4, CODE),
  );
  readonly project = new nn.Linear(CODE, 16 * 4 * 4);
  readonly decoder = new nn.Sequential(
    new nn.ConvTranspose2d(16, 8, 3, { stride: 2, padding: 1, outputPadding: 1 }), new nn.ReLU(), // 4 -> 8
    new nn.Upsample({ scaleFactor: 2 }), new nn.Conv2d(8, 1, 3, { padding: 1 }), // 8 -> 16, logits
  );

  forward(x: Tensor): Tensor {
    const code = this.encoder.forward(x);
    return this.decoder.forward(this.project.forward(code).relu().reshape(-1, 16, 4, 4));
  }
}

describe("convolutional autoencoder", () => {
  it("reconstructs 64 rectangles and discs far better than the mean image, with memoryStats() flat after warm-up", () => {
    manualSeed(0);
    const images = shapes(64, new Generator(1));
    const model = new TinyAutoencoder();
    const optimizer = new optim.Adam(model.parameters(), { lr: 3e-3 });
    const loss = (x: Tensor) => nn.functional.binaryCrossEntropyWithLogits(model.forward(x), x);
    // The best prediction that ignores its input: each pixel's mean over the images.
    const baseline = noGrad(() => tidy(() => nn.functional.binaryCrossEntropy(images.mean(0, true).expand([...images.shape]), images).item()));

    const { losses, baseline: reference, changed } = runSteps(200, () => {
      optimizer.zeroGrad();
      const l = loss(images);
      l.backward();
      optimizer.step();
      return l.item();
    });
    const final = noGrad(() => tidy(() => loss(images).item()));
    dispose(images);

    expect(reference.liveTensors).toBeGreaterThan(0);
    expect(changed.slice(0, 3)).toEqual([]);
    expect(losses[0]).toBeCloseTo(Math.log(2), 1); // logits near 0 at the start
    // Measured: 0.0195 against a baseline of 0.374 (19x lower); 6.7x to 78x over five other seeds.
    expect(final).toBeLessThan(baseline / 5);
  });
});

import { describe, it, expect } from "vitest";
import { nn, optim, randint, zeros, dispose, manualSeed, Generator, type Tensor } from "../src/index.js";
import { runSteps, meanOf } from "./flat-memory.js";

// A Transformer encoder training loop (embedding, learned positions, two encoder layers with
// dropout and a padding mask, a token classifier, Adam) must not leak: once Adam's state exists,
// the allocator's counters and the wasm memory size stay identical step after step.
describe("Transformer encoder training memory", () => {
  it("keeps memoryStats() identical after every one of 2,000 steps past warm-up, while the loss falls", () => {
    manualSeed(0);
    const gen = new Generator(1);
    const vocab = 8, d = 16, L = 6, N = 8;
    const embed = new nn.Embedding(vocab, d, { generator: gen });
    const positions = new nn.LearnedPositionalEncoding(L, d, { batchFirst: true, generator: gen });
    const layer = new nn.TransformerEncoderLayer(d, 2, { dimFeedforward: 32, dropout: 0.1, batchFirst: true, generator: gen });
    const encoder = new nn.TransformerEncoder(layer, 2);
    const head = new nn.Linear(d, vocab, { generator: gen });
    const modules = [embed, positions, encoder, head];
    const optimizer = new optim.Adam(modules.flatMap((m) => m.parameters()), { lr: 3e-3 });
    // Learn to output each sequence reversed; the last position of every sequence is padding.
    const batches = Array.from({ length: 4 }, () => {
      const x = randint(0, vocab, [N, L], { generator: gen });
      const xs = x.liveData();
      const reversed = zeros([N * L], { dtype: "int32" });
      const ys = reversed.liveData();
      for (let n = 0; n < N; n++) for (let t = 0; t < L; t++) ys[n * L + t] = xs[n * L + L - 1 - t];
      const padding = zeros([N, L], { dtype: "int32" });
      for (let n = 0; n < N; n++) padding.liveData()[n * L + L - 1] = 1;
      return [x, reversed, padding] as Tensor[];
    });

    const steps = 2000;
    const { losses, baseline, changed } = runSteps(steps, (step) => {
      const [x, y, padding] = batches[step % batches.length];
      optimizer.zeroGrad();
      const h = encoder.forward(positions.forward(embed.forward(x)), { srcKeyPaddingMask: padding });
      const loss = nn.functional.crossEntropy(head.forward(h).reshape([N * L, vocab]), y);
      loss.backward();
      optimizer.step();
      return loss.item();
    });
    dispose(batches.flat());
    for (const m of modules) m.dispose();

    expect(baseline.liveTensors).toBeGreaterThan(0);
    expect(changed.slice(0, 3)).toEqual([]);
    expect(meanOf(losses, 0, batches.length)).toBeGreaterThan(1.5); // near-uniform over 8 tokens (ln 8 ≈ 2.08) at the start
    expect(meanOf(losses, steps - 100, steps)).toBeLessThan(0.3 * meanOf(losses, 0, batches.length));
  }, 120_000);
});

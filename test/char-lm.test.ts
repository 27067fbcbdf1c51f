import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { Generator, dispose } from "../src/index.js";
import { Alphabet, CORPUS, streamWindow, windowsPerPass, trainCharLM, sample } from "../examples/char-lm.js";

// A shortened `npm run char-lm`: a fixed number of truncated-BPTT steps (not a time budget, so the
// result does not depend on the machine) must bring the held-out bits per character well below
// the unigram baseline.
describe("examples/char-lm", () => {
  const text = readFileSync(CORPUS, "utf8");

  it("windows: each stream reads contiguous text and the targets are the next characters", () => {
    const alphabet = new Alphabet(text), ids = alphabet.encode(text.slice(0, 1001));
    const streams = 4, window = 10, part = 250;
    expect(windowsPerPass(ids, streams, window)).toBe(25);
    const { x, y } = streamWindow(ids, streams, window, 3);
    const xs = x.liveData(), ys = y.liveData();
    for (let s = 0; s < streams; s++) {
      for (let t = 0; t < window; t++) {
        expect(xs[t * streams + s]).toBe(ids[s * part + 30 + t]);
        expect(ys[t * streams + s]).toBe(ids[s * part + 31 + t]);
      }
    }
    expect(() => alphabet.encode("\u{1F600}")).toThrow(/char-lm: character .* is not in the alphabet/);
    dispose([x, y]);
  });

  it("learns: held-out bits per character fall far below the unigram baseline; samples use the alphabet", () => {
    const run = trainCharLM({ text, seconds: Infinity, steps: 120, hidden: 128, layers: 1, window: 48, batchSize: 32, lr: 1e-2, seed: 0 });
    expect(run.steps).toBe(120);
    expect(run.unigramBits).toBeGreaterThan(4);
    expect(run.heldOutBits).toBeLessThan(run.unigramBits - 1.2);
    const continuation = sample(run.model, run.alphabet, "The river ", 40, 0.7, new Generator(7));
    expect(continuation).toHaveLength(40);
    for (const c of continuation) expect(run.alphabet.chars).toContain(c);
    run.model.dispose();
  });
});

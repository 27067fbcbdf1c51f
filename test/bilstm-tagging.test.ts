import { describe, it, expect } from "vitest";
import { Generator, dispose } from "../src/index.js";
import { taggingBatch, trainTagger, tokenAccuracy, IGNORE } from "../examples/bilstm-tagging.js";

// A shortened `npm run bilstm-tag`: the tag of a token depends on whether it occurs again later,
// so after the same training the bidirectional LSTM must tag (nearly) every held-out token right
// while the left-to-right one stays far below it.
describe("examples/bilstm-tagging", () => {
  it("labels: 2·(seen earlier) + (seen later), IGNORE on the padding", () => {
    const b = taggingBatch(5, new Generator(3));
    const [T, n] = b.x.shape, x = b.x.liveData(), y = b.y.liveData();
    for (let s = 0; s < n; s++) {
      const tokens = Array.from({ length: b.lengths[s] }, (_, t) => x[t * n + s]);
      for (let t = 0; t < T; t++) {
        const want = t >= b.lengths[s] ? IGNORE : 2 * +tokens.slice(0, t).includes(tokens[t]) + +tokens.slice(t + 1).includes(tokens[t]);
        expect(y[t * n + s]).toBe(want);
      }
    }
    dispose([b.x, b.y]);
  });

  it("the bidirectional LSTM learns the tags; the unidirectional one cannot", () => {
    const test = taggingBatch(300, new Generator(1000));
    const run = { steps: 200, hidden: 32, batchSize: 64, lr: 1e-2, seed: 0 };
    const bi = trainTagger({ ...run, bidirectional: true }), uni = trainTagger({ ...run, bidirectional: false });
    const accBi = tokenAccuracy(bi.model, test), accUni = tokenAccuracy(uni.model, test);
    expect(accBi).toBeGreaterThan(0.9);
    expect(accBi - accUni).toBeGreaterThan(0.2);
    bi.model.dispose();
    uni.model.dispose();
    dispose([test.x, test.y]);
  });
});

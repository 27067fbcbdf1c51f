// Sequence labelling that needs both directions: sequences of 6 to 20 tokens from a vocabulary of
// 8, and each token is tagged with one of 4 classes, (does the same token occur earlier in the
// sequence?) × (does it occur later?). A left-to-right LSTM can know the first half of the tag
// but has to guess the second from what it has seen so far; a bidirectional LSTM reads the rest of
// the sequence too and can tag every token exactly. The batches mix lengths and are padded to the
// longest: the lengths go to nn.LSTM (packed-sequence semantics, so the reverse direction starts
// at each sequence's own last token, not at the padding) and padded positions are left out of the
// loss with ignoreIndex. Embedding 16 -> LSTM hidden 32 (one or two directions) -> a linear
// read-out per token; Adam, the same steps and data for both. Reports per-token accuracy on 2,000
// held-out sequences.
//
// Run: npm run bilstm-tag [-- --steps 600 --hidden 32 --batch-size 64 --lr 0.01 --seed 0 --out bilstm-tagging.safetensors]
import { pathToFileURL } from "node:url";
import { nn, optim, tensor, tidy, noGrad, dispose, Generator, type Tensor } from "../src/index.js";
import { saveFile } from "../src/node.js";
import { parseFlags } from "./mnist-training.js";

export const VOCAB = 8, CLASSES = 4, MIN_LEN = 6, MAX_LEN = 20, IGNORE = -100;

export interface TaggingBatch {
  /** int32 [T, n] token ids, padded with 0 after each sequence's length */
  x: Tensor;
  /** int32 [T·n] classes 2·(seen earlier) + (seen later), IGNORE at padded positions */
  y: Tensor;
  lengths: Int32Array;
}

/** n sequences of random lengths in [MIN_LEN, MAX_LEN], time-major and padded to the longest. */
export function taggingBatch(n: number, gen: Generator): TaggingBatch {
  const lengths = Int32Array.from({ length: n }, () => MIN_LEN + gen.int(MAX_LEN - MIN_LEN + 1));
  const T = Math.max(...lengths);
  const x = new Int32Array(T * n), y = new Int32Array(T * n).fill(IGNORE);
  for (let s = 0; s < n; s++) {
    const tokens = Array.from({ length: lengths[s] }, () => gen.int(VOCAB));
    tokens.forEach((tok, t) => {
      const earlier = tokens.slice(0, t).includes(tok), later = tokens.indexOf(tok, t + 1) >= 0;
      x[t * n + s] = tok;
      y[t * n + s] = 2 * +earlier + +later;
    });
  }
  return { x: tensor(x, [T, n]), y: tensor(y, [T * n]), lengths };
}

/** Embedding -> LSTM (uni- or bidirectional) -> a linear read-out per token: logits [T·N, CLASSES]. */
export class Tagger extends nn.Module {
  readonly embed: nn.Embedding;
  readonly rnn: nn.LSTM;
  readonly head: nn.Linear;
  constructor(readonly bidirectional: boolean, hidden: number, gen: Generator) {
    super();
    this.embed = new nn.Embedding(VOCAB, 16, { generator: gen });
    this.rnn = new nn.LSTM(16, hidden, { bidirectional, generator: gen });
    this.head = new nn.Linear((bidirectional ? 2 : 1) * hidden, CLASSES, { generator: gen });
  }
  forward(x: Tensor, lengths: Int32Array): Tensor {
    const [out] = this.rnn.forward(this.embed.forward(x), null, lengths);
    return this.head.forward(out).reshape([-1, CLASSES]);
  }
}

export interface TaggerRun { bidirectional: boolean; steps: number; hidden: number; batchSize: number; lr: number; seed: number }

/** Trains a Tagger on fresh random batches (the same stream for every run of a seed); returns it and its last loss. */
export function trainTagger(run: TaggerRun): { model: Tagger; loss: number } {
  const model = new Tagger(run.bidirectional, run.hidden, new Generator(run.seed + 1));
  const optimizer = new optim.Adam(model.parameters(), { lr: run.lr });
  const data = new Generator(run.seed + 2);
  let loss = NaN;
  for (let step = 1; step <= run.steps; step++) {
    const { x, y, lengths } = taggingBatch(run.batchSize, data);
    loss = tidy(() => {
      optimizer.zeroGrad();
      const l = nn.functional.crossEntropy(model.forward(x, lengths), y, { ignoreIndex: IGNORE });
      l.backward();
      optimizer.step();
      return l.item();
    });
    dispose([x, y]);
  }
  return { model, loss };
}

/** Fraction of the (unpadded) tokens of a batch whose tag the model gets right. */
export function tokenAccuracy(model: Tagger, test: TaggingBatch): number {
  return noGrad(() => tidy(() => {
    const predicted = model.forward(test.x, test.lengths).argmax(1).liveData(), want = test.y.liveData();
    let right = 0, total = 0;
    want.forEach((w, i) => {
      if (w === IGNORE) return;
      total++;
      right += +(predicted[i] === w);
    });
    return right / total;
  }));
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const flags = parseFlags("bilstm-tagging", { steps: 600, hidden: 32, "batch-size": 64, lr: 1e-2, seed: 0 }, "bilstm-tagging.safetensors");
  const test = taggingBatch(2000, new Generator(flags.seed + 1000));
  const tokens = test.lengths.reduce((a, b) => a + b, 0);
  console.log(`tagging (seen earlier?, seen later?) over ${VOCAB} tokens, lengths ${MIN_LEN}-${MAX_LEN}; LSTM hidden ${flags.hidden}, ` +
    `batch ${flags["batch-size"]}, Adam lr ${flags.lr}, ${flags.steps} steps; test ${test.lengths.length} sequences (${tokens} tokens)`);
  const accuracy: Record<string, number> = {};
  const weights: Record<string, Tensor> = {};
  for (const bidirectional of [true, false]) {
    const name = bidirectional ? "bidirectional" : "unidirectional";
    const start = performance.now();
    const { model, loss } = trainTagger({ bidirectional, steps: flags.steps, hidden: flags.hidden, batchSize: flags["batch-size"], lr: flags.lr, seed: flags.seed });
    accuracy[name] = tokenAccuracy(model, test);
    console.log(`${name}: last training loss ${loss.toFixed(4)}, test token accuracy ${(100 * accuracy[name]).toFixed(2)}%, ` +
      `${((performance.now() - start) / 1000).toFixed(1)} s`);
    for (const [k, t] of Object.entries(model.stateDict())) weights[`${name}.${k}`] = t;
  }
  saveFile(flags.out, weights, { format: "pt", model: `bilstm tagging, hidden ${flags.hidden}`, steps: String(flags.steps) });
  console.log(`test token accuracy: bidirectional ${(100 * accuracy.bidirectional).toFixed(2)}%, unidirectional ` +
    `${(100 * accuracy.unidirectional).toFixed(2)}% (chance ${100 / CLASSES}%); weights saved to ${flags.out}`);
}

// Sequence reversal with a small Transformer encoder: read 12 random digits, output them reversed.
// Every output position has to find its mirror position by content-free attention on the
// positional encodings, which is what the attention layers must learn (an MLP per position
// cannot). Embedding + sinusoidal positions -> 2 pre-norm encoder layers (d_model 64, 4 heads,
// feed-forward 128) -> a linear read-out per position; Adam with a short warm-up, cross-entropy
// over all positions. Reports token and whole-sequence accuracy on 2,000 held-out sequences.
// Run: npm run transformer-reverse [-- --steps 500]
import { nn, optim, tensor, tidy, noGrad, manualSeed, Generator, type Tensor } from "../src/index.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const steps = arg("steps", 500), batchSize = 64, L = 12, vocab = 10, dModel = 64;

manualSeed(0);
const gen = new Generator(1);

/** A batch of random digit sequences and their reversals, as int32 [N, L] and [N·L]. */
function batch(n: number, g: Generator): [Tensor, Tensor] {
  const x = new Int32Array(n * L), y = new Int32Array(n * L);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < L; t++) x[i * L + t] = g.int(vocab);
    for (let t = 0; t < L; t++) y[i * L + t] = x[i * L + L - 1 - t];
  }
  return [tensor(x, [n, L]), tensor(y, [n * L])];
}

const embed = new nn.Embedding(vocab, dModel, { generator: gen });
const positions = new nn.SinusoidalPositionalEncoding(dModel, { maxLen: L, batchFirst: true });
const encoder = new nn.TransformerEncoder(
  new nn.TransformerEncoderLayer(dModel, 4, { dimFeedforward: 128, dropout: 0, normFirst: true, batchFirst: true, generator: gen }), 2,
  { norm: new nn.LayerNorm(dModel) });
const head = new nn.Linear(dModel, vocab, { generator: gen });
const modules = [embed, positions, encoder, head];
const optimizer = new optim.Adam(modules.flatMap((m) => m.parameters()), { lr: 1e-3 });
const scheduler = new optim.LambdaLR(optimizer, { lrLambda: (step) => Math.min(1, (step + 1) / 100) });

const logits = (x: Tensor) => head.forward(encoder.forward(positions.forward(embed.forward(x)))).reshape([-1, vocab]);

const start = performance.now();
for (let step = 1; step <= steps; step++) {
  const loss = tidy(() => {
    const [x, y] = batch(batchSize, gen);
    optimizer.zeroGrad();
    const l = nn.functional.crossEntropy(logits(x), y);
    l.backward();
    optimizer.step();
    return l.item();
  });
  scheduler.step();
  if (step % 250 === 0 || step === steps) console.log(`step ${step}: loss ${loss.toFixed(4)} (${((performance.now() - start) / 1000).toFixed(0)} s)`);
}
const seconds = (performance.now() - start) / 1000;

for (const m of modules) m.eval();
const testGen = new Generator(12345);
let tokens = 0, sequences = 0;
const testSize = 2000;
noGrad(() => tidy(() => {
  for (let done = 0; done < testSize; done += 250) {
    const [x, y] = batch(250, testGen);
    const predicted = logits(x).argmax(1).liveData(), want = y.liveData();
    for (let i = 0; i < 250; i++) {
      let all = true;
      for (let t = 0; t < L; t++) {
        const ok = predicted[i * L + t] === want[i * L + t];
        tokens += +ok;
        all &&= ok;
      }
      sequences += +all;
    }
  }
}));
console.log(`test: token accuracy ${(100 * tokens / (testSize * L)).toFixed(2)}%, sequence accuracy ${(100 * sequences / testSize).toFixed(1)}% ` +
  `(${testSize} held-out sequences of ${L} digits; chance 10% per token); ${steps} steps of ${batchSize} in ${seconds.toFixed(0)} s`);
for (const m of modules) m.dispose();

// The adding problem (Hochreiter & Schmidhuber 1997), a test of memory over long spans: every
// step of a sequence of T = 50 carries two inputs, a number drawn from U(0, 1) and a marker that
// is 1 at exactly two steps (one in each half of the sequence) and 0 elsewhere; the target is the
// sum of the two marked numbers. Always answering the mean, 1, scores MSE = Var(u1 + u2) = 1/6 ≈
// 0.167: a network clearly below that has learned to pick out the marked numbers and carry them
// to the end. A GRU and an LSTM (one layer each, a linear read-out of the final hidden state) are
// trained with Adam on fresh random batches and scored on a fixed test set of 1,000 sequences.
//
// Run: npm run adding [-- --steps 1500 --hidden 32 --seq 50 --batch-size 64 --lr 0.005 --seed 0 --out adding-problem.safetensors]
import { nn, optim, tensor, manualSeed, Generator, noGrad, tidy, dispose, type Tensor } from "../src/index.js";
import { saveFile } from "../src/node.js";
import { parseFlags } from "./mnist-training.js";

const flags = parseFlags("adding-problem", { steps: 1500, hidden: 32, seq: 50, "batch-size": 64, lr: 5e-3, seed: 0 }, "adding-problem.safetensors");
const T = flags.seq, H = flags.hidden, batchSize = flags["batch-size"];
const TEST_SIZE = 1000, BASELINE = 1 / 6;

/** n sequences: x [T, n, 2] (value, marker), y [n, 1] the sum of the two marked values. */
function batch(n: number, gen: Generator): { x: Tensor; y: Tensor } {
  const x = new Float32Array(T * n * 2), y = new Float32Array(n);
  const half = Math.floor(T / 2);
  for (let s = 0; s < n; s++) {
    const marks = [Math.floor(gen.uniform() * half), half + Math.floor(gen.uniform() * (T - half))];
    for (let t = 0; t < T; t++) {
      const v = gen.uniform();
      x[(t * n + s) * 2] = v;
      if (marks.includes(t)) {
        x[(t * n + s) * 2 + 1] = 1;
        y[s] += v;
      }
    }
  }
  return { x: tensor(x, [T, n, 2]), y: tensor(y, [n, 1]) };
}

/** A recurrent layer whose final hidden state is read out by a linear layer. */
class Adder extends nn.Module {
  readonly head: nn.Linear;
  constructor(readonly rnn: nn.GRU | nn.LSTM, gen: Generator) {
    super();
    this.head = new nn.Linear(H, 1, { generator: gen });
  }
  forward(x: Tensor): Tensor {
    const h = this.rnn instanceof nn.LSTM ? this.rnn.forward(x)[1][0] : this.rnn.forward(x)[1];
    return this.head.forward(h.reshape([-1, H]));
  }
}

manualSeed(flags.seed);
const test = batch(TEST_SIZE, new Generator(flags.seed + 1000));
const testMse = (model: Adder) => noGrad(() => tidy(() => nn.functional.mseLoss(model.forward(test.x), test.y).item()));

console.log(`adding problem: T = ${T}, hidden ${H}, batch ${batchSize}, Adam lr ${flags.lr}, ${flags.steps} steps; ` +
  `test set ${TEST_SIZE} sequences; baseline (always 1) MSE ${BASELINE.toFixed(3)}`);
const results: Record<string, number> = {};
const weights: Record<string, Tensor> = {};
for (const kind of ["GRU", "LSTM"] as const) {
  const gen = new Generator(flags.seed + 1);
  const model = new Adder(kind === "GRU" ? new nn.GRU(2, H, { generator: gen }) : new nn.LSTM(2, H, { generator: gen }), gen);
  const optimizer = new optim.Adam(model.parameters(), { lr: flags.lr });
  const data = new Generator(flags.seed + 2);
  const start = performance.now();
  for (let step = 1; step <= flags.steps; step++) {
    const { x, y } = batch(batchSize, data);
    tidy(() => {
      optimizer.zeroGrad();
      nn.functional.mseLoss(model.forward(x), y).backward();
      optimizer.step();
    });
    dispose([x, y]);
    if (step % 250 === 0 || step === flags.steps) console.log(`${kind} step ${step}: test MSE ${testMse(model).toFixed(4)}`);
  }
  results[kind] = testMse(model);
  console.log(`${kind}: test MSE ${results[kind].toFixed(4)} (${(results[kind] / BASELINE * 100).toFixed(1)}% of the baseline), ` +
    `${((performance.now() - start) / 1000).toFixed(1)} s`);
  for (const [k, t] of Object.entries(model.stateDict())) weights[`${kind.toLowerCase()}.${k}`] = t;
}
saveFile(flags.out, weights, { format: "pt", model: `adding problem, T ${T}, hidden ${H}`, steps: String(flags.steps) });
console.log(`test MSE: GRU ${results.GRU.toFixed(4)}, LSTM ${results.LSTM.toFixed(4)}, baseline ${BASELINE.toFixed(3)}; weights saved to ${flags.out}`);

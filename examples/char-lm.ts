// A character-level language model: an LSTM reads a text one character at a time and predicts the
// next. The corpus (examples/data/char-lm-corpus.txt, prose and verse written for this repository
// and dedicated to the public domain) is split into a training part and the last 10% held out.
// Training is truncated backpropagation through time: the training text is cut into batch-size
// contiguous streams, each step reads the next window of every stream, and the LSTM state carries
// over from window to window (detached, so gradients stop at the window's start). Embedding 32 ->
// LSTM (1 layer, hidden 128) -> a linear read-out over the characters; Adam, gradients clipped
// to norm 1, for a fixed wall-clock budget (--steps N instead runs exactly N steps). Reports
// held-out bits per character against the unigram baseline (every character predicted by its
// training frequency) and a sampled continuation.
//
// Run: npm run char-lm [-- --minutes 1 --steps 0 --hidden 128 --layers 1 --window 48 --batch-size 32 --lr 0.01 --seed 0 --out char-lm.safetensors]
import { readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { nn, optim, tensor, tidy, noGrad, dispose, Generator, type Tensor } from "../src/index.js";
import { saveFile } from "../src/node.js";
import { parseFlags } from "./mnist-training.js";

export const CORPUS = fileURLToPath(new URL("./data/char-lm-corpus.txt", import.meta.url));

/** A text's characters as ids into its sorted alphabet. */
export class Alphabet {
  readonly chars: string[];
  private readonly ids: Map<string, number>;
  constructor(text: string) {
    this.chars = [...new Set(text)].sort();
    this.ids = new Map(this.chars.map((c, i) => [c, i]));
  }
  get size(): number { return this.chars.length; }
  encode(text: string): Int32Array {
    return Int32Array.from(text, (c) => {
      const id = this.ids.get(c);
      if (id === undefined) throw new Error(`char-lm: character ${JSON.stringify(c)} is not in the alphabet`);
      return id;
    });
  }
}

type State = [Tensor, Tensor];

/** Embedding -> stacked LSTM -> linear read-out: forward(x [T, N], state) gives logits [T·N, V] and the next state. */
export class CharLM extends nn.Module<{ logits: Tensor; state: State }> {
  readonly embed: nn.Embedding;
  readonly rnn: nn.LSTM;
  readonly head: nn.Linear;
  constructor(readonly vocab: number, hidden: number, layers: number, gen: Generator) {
    super();
    this.embed = new nn.Embedding(vocab, 32, { generator: gen });
    this.rnn = new nn.LSTM(32, hidden, { numLayers: layers, generator: gen });
    this.head = new nn.Linear(hidden, vocab, { generator: gen });
  }
  forward(x: Tensor, state: State | null = null): { logits: Tensor; state: State } {
    const [out, next] = this.rnn.forward(this.embed.forward(x), state);
    return { logits: this.head.forward(out).reshape([-1, this.vocab]), state: next };
  }
}

/**
 * The next window of every stream: `streams` equal contiguous parts of ids, window `index`, as
 * inputs x [T, N] and next-character targets y [T·N] (time-major). Wraps around at the end.
 */
export function streamWindow(ids: Int32Array, streams: number, window: number, index: number): { x: Tensor; y: Tensor } {
  const part = Math.floor((ids.length - 1) / streams), windows = Math.floor(part / window);
  const offset = (index % windows) * window;
  const x = new Int32Array(window * streams), y = new Int32Array(window * streams);
  for (let s = 0; s < streams; s++) {
    for (let t = 0; t < window; t++) {
      const at = s * part + offset + t;
      x[t * streams + s] = ids[at];
      y[t * streams + s] = ids[at + 1];
    }
  }
  return { x: tensor(x, [window, streams]), y: tensor(y, [window * streams]) };
}

/** Windows per pass over ids with this many streams. */
export const windowsPerPass = (ids: Int32Array, streams: number, window: number) => Math.floor(Math.floor((ids.length - 1) / streams) / window);

/** Mean bits per character of the model's next-character predictions over all of ids (state carried across windows). */
export function bitsPerChar(model: CharLM, ids: Int32Array, streams = 8, window = 128): number {
  model.eval();
  let state: State | null = null, nats = 0, count = 0;
  noGrad(() => {
    for (let i = 0; i < windowsPerPass(ids, streams, window); i++) {
      const { x, y } = streamWindow(ids, streams, window, i);
      const next: State = tidy(() => {
        const out = model.forward(x, state);
        nats += nn.functional.crossEntropy(out.logits, y, { reduction: "sum" }).item();
        return out.state;
      });
      dispose([x, y, ...(state ?? [])]);
      state = next;
      count += window * streams;
    }
  });
  dispose(state ?? []);
  model.train();
  return nats / count / Math.LN2;
}

/** Continues a prompt by sampling one character at a time from softmax(logits / temperature). */
export function sample(model: CharLM, alphabet: Alphabet, prompt: string, length: number, temperature: number, gen: Generator): string {
  model.eval();
  let text = prompt, state: State | null = null;
  let input = alphabet.encode(prompt);
  noGrad(() => {
    for (let i = 0; i < length; i++) {
      const x = tensor(input, [input.length, 1]);
      const { probs, next } = tidy(() => {
        const out = model.forward(x, state);
        return { probs: out.logits.narrow(0, input.length - 1, 1).div(temperature).softmax(1), next: out.state };
      });
      const p = probs.liveData();
      let u = gen.uniform(), c = 0;
      while (c < p.length - 1 && (u -= p[c]) >= 0) c++;
      dispose([x, probs, ...(state ?? [])]);
      state = next;
      text += alphabet.chars[c];
      input = Int32Array.of(c);
    }
  });
  dispose(state ?? []);
  model.train();
  return text.slice(prompt.length);
}

/** Bits per character of heldOut under the training text's character frequencies (add-one smoothed): the baseline to beat. */
export function unigramBits(train: Int32Array, heldOut: Int32Array, vocab: number): number {
  const counts = new Float64Array(vocab).fill(1);
  for (const c of train) counts[c]++;
  const total = train.length + vocab;
  let bits = 0;
  for (const c of heldOut) bits -= Math.log2(counts[c] / total);
  return bits / heldOut.length;
}

export interface CharLMRun { text: string; seconds: number; /** stop after this many steps instead of the time budget, if > 0 */ steps?: number; hidden: number; layers: number; window: number; batchSize: number; lr: number; seed: number; log?: (line: string) => void }

/** Trains a CharLM by truncated BPTT on the first 90% of the text for a wall-clock budget; returns it with its held-out bits per character. */
export function trainCharLM(run: CharLMRun) {
  const alphabet = new Alphabet(run.text);
  const ids = alphabet.encode(run.text);
  const split = Math.floor(ids.length * 0.9);
  const train = ids.subarray(0, split), heldOut = ids.subarray(split);
  const model = new CharLM(alphabet.size, run.hidden, run.layers, new Generator(run.seed + 1));
  const optimizer = new optim.Adam(model.parameters(), { lr: run.lr });
  const perPass = windowsPerPass(train, run.batchSize, run.window);
  let state: State | null = null, steps = 0, loss = NaN;
  const start = performance.now();
  const more = () => (run.steps ? steps < run.steps : performance.now() - start < run.seconds * 1000);
  while (more()) {
    // A new pass starts every stream at its beginning again: the carried state no longer fits.
    if (steps % perPass === 0) state = (dispose(state ?? []), null);
    const { x, y } = streamWindow(train, run.batchSize, run.window, steps);
    const result = tidy(() => {
      optimizer.zeroGrad();
      const out = model.forward(x, state);
      const l = nn.functional.crossEntropy(out.logits, y);
      l.backward();
      optim.clipGradNorm(model.parameters(), 1);
      optimizer.step();
      return { loss: l.item(), h: out.state[0].detach(), c: out.state[1].detach() };
    });
    dispose([x, y, ...(state ?? [])]);
    state = [result.h, result.c];
    loss = result.loss;
    if (++steps % 100 === 0) run.log?.(`step ${steps} (pass ${(steps / perPass).toFixed(1)}): training loss ${(loss / Math.LN2).toFixed(3)} bits/char, ${((performance.now() - start) / 1000).toFixed(0)} s`);
  }
  dispose(state ?? []);
  return { model, alphabet, steps, trainBits: loss / Math.LN2, heldOutBits: bitsPerChar(model, heldOut), unigramBits: unigramBits(train, heldOut, alphabet.size), heldOutChars: heldOut.length };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const flags = parseFlags("char-lm", { minutes: 1, steps: 0, hidden: 128, layers: 1, window: 48, "batch-size": 32, lr: 1e-2, seed: 0 }, "char-lm.safetensors");
  const text = readFileSync(CORPUS, "utf8");
  console.log(`char-lm: ${text.length} characters; LSTM ${flags.layers} × ${flags.hidden}, window ${flags.window}, batch ${flags["batch-size"]}, ` +
    `Adam lr ${flags.lr}, clip 1, ${flags.steps ? `${flags.steps} steps` : `${flags.minutes} min`}`);
  const run = trainCharLM({ text, seconds: 60 * flags.minutes, steps: flags.steps, hidden: flags.hidden, layers: flags.layers, window: flags.window,
    batchSize: flags["batch-size"], lr: flags.lr, seed: flags.seed, log: console.log });
  console.log(`held-out: ${run.heldOutBits.toFixed(3)} bits per character over ${run.heldOutChars} characters (unigram frequencies: ` +
    `${run.unigramBits.toFixed(3)}; uniform over the ${run.alphabet.size} characters: ${Math.log2(run.alphabet.size).toFixed(2)}); ` +
    `${run.steps} steps, last training loss ${run.trainBits.toFixed(3)}`);
  const prompt = "The river ";
  console.log(`sample (temperature 0.7): ${JSON.stringify(prompt + sample(run.model, run.alphabet, prompt, 300, 0.7, new Generator(flags.seed + 7)))}`);
  saveFile(flags.out, run.model.stateDict(), { format: "pt", model: `char-lm, LSTM ${flags.layers} x ${flags.hidden}`, alphabet: run.alphabet.chars.join("") });
  console.log(`weights saved to ${flags.out}`);
}

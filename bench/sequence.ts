// Sequence-model training steps (issue 13's speed rows), the same definitions as bench/torch_peer.py:
//   transformer-train: 2-layer TransformerEncoder, d_model 128, 4 heads, feed-forward 512, dropout 0,
//     batch-first [32, 64, 128] input, cross-entropy of every position's 128 features against a
//     random class, Adam lr 1e-3;
//   lstm-train: 2-layer LSTM, input 64, hidden 256, sequence 50, batch 64, a Linear(256, 10) head on
//     the last step, cross-entropy, Adam lr 1e-3.
// Throughput is tokens (sequence positions) per second. TF.js has no Transformer or LSTM layer in
// tfjs-core (only low-level cell ops): these rows compare against PyTorch (`--torch`).
import * as sg from "../src/index.js";
import type { Case, Workload } from "./harness.js";

export const TRANSFORMER = { layers: 2, dModel: 128, heads: 4, ff: 512, seq: 64, batch: 32 };
export const LSTM = { layers: 2, input: 64, hidden: 256, seq: 50, batch: 64, classes: 10 };

function trainingCase(model: sg.nn.Module, loss: () => sg.Tensor, inputs: sg.Tensor[]): Case {
  const optimizer = new sg.optim.Adam(model.parameters(), { lr: 1e-3 });
  return {
    run: () => {
      optimizer.zeroGrad();
      sg.tidy(() => loss().backward());
      optimizer.step();
    },
    dispose: () => {
      optimizer.dispose();
      model.dispose();
      sg.dispose(inputs);
    },
  };
}

class LstmClassifier extends sg.nn.Module {
  readonly lstm = new sg.nn.LSTM(LSTM.input, LSTM.hidden, LSTM.layers);
  readonly head = new sg.nn.Linear(LSTM.hidden, LSTM.classes);

  forward(x: sg.Tensor): sg.Tensor {
    const [out] = this.lstm.forward(x);
    return this.head.forward(out.narrow(0, LSTM.seq - 1, 1).reshape([LSTM.batch, LSTM.hidden]));
  }
}

const noTfjs = (): Case => {
  throw new Error("n/a: tfjs-core has no Transformer or LSTM layer (compare with --torch)");
};

export const sequenceWorkloads: Workload[] = [
  {
    name: "transformer-train",
    unit: "tokens/s",
    perCall: TRANSFORMER.batch * TRANSFORMER.seq,
    torch: "transformer-train",
    simdgrad: () => {
      const t = TRANSFORMER;
      const layer = new sg.nn.TransformerEncoderLayer(t.dModel, t.heads, { dimFeedforward: t.ff, dropout: 0, batchFirst: true });
      const model = new sg.nn.TransformerEncoder(layer, t.layers);
      const x = sg.randn([t.batch, t.seq, t.dModel]);
      const y = sg.randint(0, t.dModel, [t.batch * t.seq]);
      return trainingCase(model, () => sg.nn.functional.crossEntropy(model.forward(x).reshape([t.batch * t.seq, t.dModel]), y), [x, y]);
    },
    tfjs: noTfjs,
  },
  {
    name: "lstm-train",
    unit: "tokens/s",
    perCall: LSTM.batch * LSTM.seq,
    torch: "lstm-train",
    simdgrad: () => {
      const model = new LstmClassifier();
      const x = sg.randn([LSTM.seq, LSTM.batch, LSTM.input]);
      const y = sg.randint(0, LSTM.classes, [LSTM.batch]);
      return trainingCase(model, () => sg.nn.functional.crossEntropy(model.forward(x), y), [x, y]);
    },
    tfjs: noTfjs,
  },
];

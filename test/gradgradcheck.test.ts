// Second derivatives by finite differences (gradgradcheck) for every op with a double backward:
// the gradient is computed with createGraph and its own backward is checked against central
// differences of that gradient, in the inputs and in the cotangent.
import { describe, expect, it } from "vitest";
import * as sg from "../src/index.js";
import { Generator, Tensor, gradgradcheck, tidy } from "../src/index.js";
import { randomInput, unaryCases } from "./unary-cases.js";

const gen = new Generator(4321);
const F = sg.nn.functional;

/** Uniform in [lo, hi), at least `gap` away from each kink (where a derivative jumps). */
const input = (shape: number[], lo = -1.5, hi = 1.5, kinks: number[] = [], gap = 0.05) => randomInput(gen, shape, { lo, hi, kinks, gap });

const labels = (values: number[]) => sg.tensor(values, [values.length], { dtype: "int32" });

type Case = [string, () => [(...xs: Tensor[]) => Tensor, Tensor[]]];

/**
 * Weights of numLayers·D layer-directions of a recurrent net with G gates, as a flat list of
 * inputs (weightIh, weightHh and, with bias, biasIh, biasHh per entry), and their regrouping.
 */
const recurrentWeights = (G: number, inputSize: number, H: number, layers = 1, D = 1, bias = true): Tensor[] =>
  Array.from({ length: layers * D }, (_, e) => [
    input([G * H, e < D ? inputSize : D * H]), input([G * H, H]), ...(bias ? [input([G * H]), input([G * H])] : []),
  ]).flat();
const grouped = (ws: Tensor[], bias = true): sg.RnnWeights[] => {
  const per = bias ? 4 : 2;
  return Array.from({ length: ws.length / per }, (_, e) => {
    const [weightIh, weightHh, biasIh, biasHh] = ws.slice(e * per, e * per + per);
    return { weightIh, weightHh, biasIh, biasHh };
  });
};
const flat = (...ts: Tensor[]) => sg.cat(ts.map((t) => sg.reshape(t, [-1])));
// T = 3 steps, a batch of 2 with lengths [3, 2] (the second sequence has a padded step). The
// stacked LSTM and GRU use one hidden unit to stay fast; the cells cover H = 2.
const stack2 = { numLayers: 2, bidirectional: true, lengths: [3, 2] };

const cases: Case[] = [
  // unary: every row of the op table follows (unaryCases)
  ["pow (number exponent)", () => [(x) => sg.pow(x, 3), [input([3, 5])]]],
  ["clamp", () => [(x) => sg.clamp(x, -0.5, 0.8), [input([3, 5], -1.5, 1.5, [-0.5, 0.8])]]],
  ["scalar add/sub/mul/div", () => [(x) => sg.div(sg.mul(sg.sub(sg.add(x, 1), 0.5), 3), 2), [input([3, 5])]]],
  // binary, broadcasting
  ["add", () => [(a, b) => sg.mul(sg.add(a, b), sg.add(a, b)), [input([3, 1, 4]), input([5, 4])]]],
  ["sub", () => [(a, b) => sg.square(sg.sub(a, b)), [input([3, 4]), input([4])]]],
  ["mul", () => [sg.mul, [input([3, 4]), input([3, 1])]]],
  ["div", () => [sg.div, [input([3, 4]), input([4], 0.5, 1.5)]]],
  ["pow", () => [sg.pow, [input([3, 4], 0.5, 2), input([4])]]],
  ["maximum", () => [(a, b) => sg.square(sg.maximum(a, b)), [input([3, 4], -1.5, -0.1), input([3, 4], 0.1, 1.5)]]],
  ["minimum", () => [(a, b) => sg.square(sg.minimum(a, b)), [input([3, 4], -1.5, -0.1), input([3, 4], 0.1, 1.5)]]],
  ["where", () => [(a, b) => sg.square(sg.where(sg.tensor([1, 0, 1, 0]), a, b)), [input([3, 4]), input([4])]]],
  // reductions and softmax
  ["sum", () => [(x) => sg.square(sg.sum(x, [0, 2], true)), [input([3, 4, 2])]]],
  ["mean", () => [(x) => sg.square(sg.mean(x, 1)), [input([3, 4, 2])]]],
  ["var", () => [(x) => sg.var(x, 1), [input([3, 4])]]],
  ["max", () => [(x) => sg.square(sg.max(x, 1).values), [sg.tensor([0.3, -1.2, 0.9, 1.4, 0.1, -0.6], [2, 3], { requiresGrad: true })]]],
  ["softmax", () => [(x) => sg.softmax(x, 1), [input([3, 4])]]],
  ["logSoftmax", () => [(x) => sg.logSoftmax(x, 0), [input([3, 4])]]],
  // linear algebra
  ["matmul (batched, broadcast)", () => [sg.matmul, [input([2, 1, 3, 4]), input([3, 4, 2])]]],
  ["matmul (1-D)", () => [sg.matmul, [input([4]), input([4, 3])]]],
  ["linear", () => [(x, w, b) => sg.linear(x, w, b), [input([2, 3, 4]), input([5, 4]), input([5])]]],
  ["linear relu", () => [(x, w, b) => sg.linear(x, w, b, { activation: "relu" }), [input([3, 4]), input([5, 4]), input([5], 0.2, 1)]]],
  // shape
  ["reshape, transpose, permute, expand", () => [(x) => sg.square(sg.expand(sg.permute(sg.transpose(sg.reshape(x, [2, 3, 1]), 0, 1), [1, 0, 2]), [2, 3, 4])), [input([6])]]],
  ["slice, narrow", () => [(x) => sg.square(sg.narrow(sg.slice(x, 1, 1, 6, 2), 0, 1, 2)), [input([3, 6])]]],
  ["cat, stack", () => [(a, b) => sg.square(sg.stack([sg.cat([a, b], 1), sg.cat([b, a], 1)], 0)), [input([2, 3]), input([2, 3])]]],
  ["pad (growing and cropping)", () => [(x) => sg.square(sg.pad(x, [1, -1, 2, 0])), [input([3, 4])]]],
  ["gather, scatterAdd, indexSelect", () => [(x, src) => sg.square(sg.scatterAdd(sg.indexSelect(x, 0, sg.tensor([2, 0, 2], [3], { dtype: "int32" })), 1, sg.tensor([[1, 0], [3, 3], [0, 2]], [3, 2], { dtype: "int32" }), src)), [input([3, 4]), input([3, 2])]]],
  ["gather", () => [(x) => sg.square(sg.gather(x, 1, sg.tensor([[2], [0], [1]], [3, 1], { dtype: "int32" }))), [input([3, 4])]]],
  ["embedding (repeated indices, padding row)", () => [(w) => sg.square(sg.embedding(sg.tensor([[1, 3], [3, 0]], [2, 2], { dtype: "int32" }), w, 0)), [input([4, 3])]]],
  ["maxPool2d", () => [(x) => sg.square(sg.maxPool2d(x, 2, { stride: 1 })), [sg.tensor(Array.from(gen.permutation(32), (k) => (k - 16) * 0.1), [2, 1, 4, 4], { requiresGrad: true })]]],
  ["avgPool2d", () => [(x) => sg.square(sg.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false })), [input([1, 2, 5, 5])]]],
  ["adaptiveAvgPool2d", () => [(x) => sg.square(sg.adaptiveAvgPool2d(x, [2, 3])), [input([1, 2, 5, 4])]]],
  // losses
  ["mseLoss", () => [(x, t) => F.mseLoss(sg.tanh(x), t), [input([3, 4]), input([3, 4])]]],
  ["l1Loss", () => [(x, t) => F.l1Loss(sg.square(x), t, { reduction: "sum" }), [input([3, 4]), sg.tensor([[0.1, 3, 0.2, 3], [3, 0.1, 3, 0.2], [0.3, 3, 3, 0.1]])]]],
  ["smoothL1Loss", () => [(x, t) => F.smoothL1Loss(x, t, { beta: 0.5, reduction: "none" }), [input([3, 4], -1, 1, [-0.5, 0.5]), sg.zeros([3, 4])]]],
  ["huberLoss", () => [(x, t) => F.huberLoss(sg.square(x), t, { delta: 0.5 }), [input([2, 3]), sg.tensor([[0, 3, 0], [3, 0, 3]])]]],
  ["binaryCrossEntropy", () => [(p, t) => F.binaryCrossEntropy(sg.sigmoid(p), t), [input([3, 4]), input([3, 4], 0.1, 0.9)]]],
  ["binaryCrossEntropyWithLogits (posWeight)", () => [(x, t) => F.binaryCrossEntropyWithLogits(x, t, { posWeight: sg.tensor([0.5, 2, 1, 3]), reduction: "sum" }), [input([3, 4]), input([3, 4], 0.1, 0.9)]]],
  ["klDiv", () => [(x, t) => F.klDiv(sg.logSoftmax(x, 1), t, { reduction: "batchmean" }), [input([3, 4]), input([3, 4], 0.1, 0.9)]]],
  ["klDiv (logTarget)", () => [(x, t) => F.klDiv(x, t, { logTarget: true, reduction: "none" }), [input([3, 4]), input([3, 4], -2, -0.1)]]],
  ["crossEntropy", () => [(x) => F.crossEntropy(x, labels([1, 0, 3]), { labelSmoothing: 0.1, weight: sg.tensor([1, 2, 0.5, 1]) }), [input([3, 4])]]],
  ["crossEntropy (none, spatial, ignoreIndex)", () => [(x) => F.crossEntropy(x, sg.tensor([[0, 2], [-100, 1]], [2, 2], { dtype: "int32" }), { reduction: "none" }), [input([2, 3, 2])]]],
  ["nllLoss", () => [(x) => F.nllLoss(sg.logSoftmax(x, 1), labels([2, 0])), [input([2, 3])]]],
  // normalisation
  ["layerNorm", () => [(x, w, b) => sg.layerNorm(x, [4], w, b), [input([3, 4]), input([4]), input([4])]]],
  ["groupNorm", () => [(x, w, b) => sg.groupNorm(x, 2, w, b), [input([2, 4, 3]), input([4]), input([4])]]],
  ["batchNorm (training)", () => [(x, w, b) => sg.batchNorm(x, null, null, w, b, { training: true }), [input([4, 3, 2]), input([3]), input([3])]]],
  ["batchNorm (eval)", () => [(x, w) => sg.batchNorm(x, sg.tensor([0.1, -0.2, 0.3]), sg.tensor([0.5, 1.2, 0.8]), w), [input([4, 3]), input([3])]]],
  // convolution
  ["conv2d", () => [(x, w, b) => sg.conv2d(x, w, b, { padding: 1 }), [input([2, 2, 4, 4]), input([3, 2, 3, 3]), input([3])]]],
  ["conv2d (stride, dilation, groups)", () => [(x, w) => sg.conv2d(x, w, null, { stride: 2, dilation: [1, 2], groups: 2, padding: [1, 2] }), [input([1, 4, 5, 6]), input([2, 2, 2, 2])]]],
  // One output channel all positive, one all negative: no pre-activation near the kink.
  ["conv2d relu", () => [(x, w) => sg.conv2d(x, w, null, { activation: "relu" }), [input([1, 2, 4, 4], 0.2, 1), sg.cat([input([1, 2, 2, 2], 0.2, 1), input([1, 2, 2, 2], -1, -0.2)]).detach().setRequiresGrad(true)]]],
  ["conv1d", () => [(x, w) => sg.conv1d(x, w, null, { padding: 1 }), [input([2, 2, 5]), input([3, 2, 3])]]],
  ["convTranspose2d", () => [(x, w, b) => sg.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }), [input([1, 2, 3, 3]), input([2, 3, 3, 3]), input([3])]]],
  // recurrent (each layer and direction one fused node; its graph backward recomputes the steps)
  ["rnn tanh (2 layers, bidirectional, lengths)", () => [
    (x, h0, ...ws) => { const r = sg.rnn(x, h0, grouped(ws), stack2); return flat(r.output, r.hN); },
    [input([3, 2, 1]), input([4, 2, 2]), ...recurrentWeights(1, 1, 2, 2, 2)],
  ]],
  ["lstm (2 layers, bidirectional, lengths)", () => [
    (x, h0, c0, ...ws) => { const r = sg.lstm(x, h0, c0, grouped(ws), stack2); return flat(r.output, r.hN, r.cN); },
    [input([3, 2, 1]), input([4, 2, 1]), input([4, 2, 1]), ...recurrentWeights(4, 1, 1, 2, 2)],
  ]],
  ["gru (2 layers, bidirectional, lengths)", () => [
    (x, h0, ...ws) => { const r = sg.gru(x, h0, grouped(ws), stack2); return flat(r.output, r.hN); },
    [input([3, 2, 1]), input([4, 2, 1]), ...recurrentWeights(3, 1, 1, 2, 2)],
  ]],
  ["gru (no bias, batchFirst, no initial state)", () => [
    (x, ...ws) => { const r = sg.gru(x, null, grouped(ws, false), { batchFirst: true }); return flat(r.output, r.hN); },
    [input([2, 3, 2]), ...recurrentWeights(3, 2, 2, 1, 1, false)],
  ]],
  ["rnnCell (tanh)", () => [(x, h, ...ws) => sg.rnnCell(x, h, grouped(ws)[0]), [input([2, 3]), input([2, 2]), ...recurrentWeights(1, 3, 2)]]],
  ["rnnCell (relu, no bias, unbatched)", () => [(x, h, ...ws) => sg.rnnCell(x, h, grouped(ws, false)[0], "relu"), [input([3], 0.2, 1), input([2], 0.2, 1), ...recurrentWeights(1, 3, 2, 1, 1, false).map((w) => sg.abs(w).detach().setRequiresGrad(true))]]],
  ["lstmCell", () => [(x, h, c, ...ws) => flat(...sg.lstmCell(x, h, c, grouped(ws)[0])), [input([2, 2]), input([2, 2]), input([2, 2]), ...recurrentWeights(4, 2, 2)]]],
  ["gruCell", () => [(x, h, ...ws) => sg.gruCell(x, h, grouped(ws)[0]), [input([2, 2]), input([2, 2]), ...recurrentWeights(3, 2, 2)]]],
];

const unary: Case[] = unaryCases().map(([name, fn, range]) => [name, () => [fn, [randomInput(gen, [3, 5], range)]]]);

describe("gradgradcheck: every op with a double backward", () => {
  for (const [name, build] of [...unary, ...cases]) {
    it(name, () => {
      tidy(() => {
        const [fn, inputs] = build();
        const result = gradgradcheck(fn, inputs, { rtol: 3e-2, atol: 3e-3 });
        expect(result.mismatch).toBeNull();
        expect(result.ok).toBe(true);
        for (const x of inputs) x.grad?.dispose();
      });
    });
  }
});

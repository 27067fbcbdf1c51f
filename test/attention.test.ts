// Attention and Transformer layers: exact zeros at masked positions, finite-difference gradient
// checks of scaled dot-product attention, multi-head attention and the Transformer layers, PyTorch's
// state-dict keys, closed forms (positional encodings, causal masks) and the errors for bad input.
import { describe, expect, it } from "vitest";
import * as sg from "../src/index.js";
import { Generator, Tensor, gradcheck, nn, tidy, dispose, memoryStats } from "../src/index.js";

const gen = new Generator(7);

function input(shape: number[], requiresGrad = true, scale = 1): Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  return sg.tensor(Array.from({ length: n }, () => scale * (2 * gen.uniform() - 1)), shape, { requiresGrad });
}

const mask = (data: number[], shape: number[]) => sg.tensor(data, shape, { dtype: "int32" });

function expectGradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  const result = gradcheck(fn, inputs);
  expect(result.mismatch).toBeNull();
  expect(result.ok).toBe(true);
}

describe("scaledDotProductAttention", () => {
  it("gives masked positions exactly zero weight and a row with one allowed key exactly 1", () => {
    tidy(() => {
      const q = input([2, 3, 4], false, 3), k = input([2, 4, 4], false, 3), v = input([2, 4, 2], false);
      // Row 0 allows only key 2; row 1 all but key 0; row 2 keys 1 and 3.
      const m = mask([0, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0, 1], [3, 4]);
      const [out, w] = sg.scaledDotProductAttention(q, k, v, { attnMask: m, needWeights: true });
      const wv = w.liveData(), mv = m.liveData();
      for (let b = 0; b < 2; b++) {
        for (let i = 0; i < 12; i++) if (!mv[i]) expect(wv[b * 12 + i]).toBe(0);
        expect(wv[b * 12 + 2]).toBe(1);
      }
      // The single allowed key's value is the output, exactly.
      expect(Array.from(out.liveData().slice(0, 2))).toEqual(Array.from(v.liveData().slice(4, 6)));
    });
  });

  it("softmax over a row with -Infinity entries gives exact zeros; one finite entry gives exactly 1", () => {
    tidy(() => {
      const x = sg.tensor([-Infinity, 0.3, -Infinity, 1.7, -Infinity, -Infinity, 2.5, -Infinity], [2, 4]);
      const y = sg.softmax(x, 1).liveData();
      expect([y[0], y[2], y[4], y[5], y[7]]).toEqual([0, 0, 0, 0, 0]);
      expect(y[6]).toBe(1);
      expect(y[1] + y[3]).toBeCloseTo(1, 6);
    });
  });

  it("isCausal equals the lower-triangular boolean mask, top-left aligned when L ≠ S", () => {
    tidy(() => {
      const q = input([2, 3, 4], false), k = input([2, 5, 4], false), v = input([2, 5, 3], false);
      const tril = mask(Array.from({ length: 15 }, (_, i) => (i % 5 <= Math.floor(i / 5) ? 1 : 0)), [3, 5]);
      const a = sg.scaledDotProductAttention(q, k, v, { isCausal: true }).liveData();
      const b = sg.scaledDotProductAttention(q, k, v, { attnMask: tril }).liveData();
      expect(Array.from(a)).toEqual(Array.from(b));
    });
  });

  it("gives a key excluded for every query exactly zero key and value gradient", () => {
    tidy(() => {
      const q = input([3, 4]), k = input([4, 4]), v = input([4, 2]);
      const m = mask([1, 0, 1, 1, 1, 0, 0, 1, 0, 0, 1, 1], [3, 4]); // key 1 never attended
      sg.scaledDotProductAttention(q, k, v, { attnMask: m }).sum().backward();
      expect(Array.from(k.grad!.liveData().slice(4, 8))).toEqual([0, 0, 0, 0]);
      expect(Array.from(v.grad!.liveData().slice(2, 4))).toEqual([0, 0]);
    });
  });

  it("passes gradcheck: plain, causal, boolean mask, additive mask with its gradient, broadcast batch dims, scale", () => {
    const q = input([2, 3, 4]), k = input([2, 5, 4]), v = input([2, 5, 3]);
    expectGradcheck((a, b, c) => sg.scaledDotProductAttention(a, b, c), [q, k, v]);
    expectGradcheck((a, b, c) => sg.scaledDotProductAttention(a, b, c, { isCausal: true }), [q, k, v]);
    const m = mask([1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0, 1], [3, 5]);
    expectGradcheck((a, b, c) => sg.scaledDotProductAttention(a, b, c, { attnMask: m, scale: 0.7 }), [q, k, v]);
    const additive = input([2, 1, 5]);
    expectGradcheck((a, b, c, d) => sg.scaledDotProductAttention(a, b, c, { attnMask: d }), [q, k, v, additive]);
    // Query with a head dim, key/value shared across heads: [2, 2, 3, 4] against [2, 1, 5, 4].
    const qh = input([2, 2, 3, 4]), kh = input([2, 1, 5, 4]), vh = input([1, 5, 2]);
    expectGradcheck((a, b, c) => sg.scaledDotProductAttention(a, b, c), [qh, kh, vh]);
    dispose([q, k, v, m, additive, qh, kh, vh]);
  });

  it("applies dropout to the weights whenever dropoutP > 0, reproducibly with a generator", () => {
    tidy(() => {
      const q = input([4, 6, 8], false), k = input([4, 6, 8], false), v = input([4, 6, 8], false);
      const run = () => sg.scaledDotProductAttention(q, k, v, { dropoutP: 0.5, needWeights: true, generator: new Generator(3) });
      const [o1, w1] = run(), [o2] = run();
      expect(Array.from(o1.liveData())).toEqual(Array.from(o2.liveData()));
      const wv = w1.liveData();
      const zeros = wv.filter((x) => x === 0).length;
      expect(zeros).toBeGreaterThan(0.3 * wv.length);
      expect(zeros).toBeLessThan(0.7 * wv.length);
      // Survivors are scaled by 1/(1 − p): each row sums to 2 × the kept softmax mass, so the mean row sum is ≈ 1.
      const rowSums = Array.from({ length: wv.length / 6 }, (_, r) => Array.from(wv.slice(r * 6, r * 6 + 6)).reduce((a, b) => a + b, 0));
      expect(rowSums.reduce((a, b) => a + b, 0) / rowSums.length).toBeCloseTo(1, 0);
    });
  });

  it("rejects bad shapes, unknown options, a mask with isCausal, and a mask that does not broadcast", () => {
    tidy(() => {
      const q = input([2, 3, 4], false), k = input([2, 5, 4], false), v = input([2, 5, 3], false);
      const before = memoryStats().liveTensors;
      expect(() => sg.scaledDotProductAttention(q, input([2, 5, 3], false), v)).toThrow(/scaledDotProductAttention: expected query/);
      expect(() => sg.scaledDotProductAttention(q, k, input([2, 4, 3], false))).toThrow(/scaledDotProductAttention/);
      expect(() => sg.scaledDotProductAttention(q, k, v, { causal: true } as never)).toThrow(/unknown option "causal"/);
      expect(() => sg.scaledDotProductAttention(q, k, v, { isCausal: true, attnMask: mask(new Array(15).fill(1), [3, 5]) })).toThrow(/isCausal/);
      expect(() => sg.scaledDotProductAttention(q, k, v, { attnMask: input([3, 4], false) })).toThrow(/cannot be broadcast|does not broadcast/);
      expect(() => sg.scaledDotProductAttention(q, k, v, { dropoutP: 1.5 })).toThrow(/dropoutP/);
      // Every failing call freed what it allocated (the inputs made for the calls stay).
      expect(memoryStats().liveTensors).toBe(before + 4);
    });
  });
});

describe("MultiheadAttention", () => {
  it("has PyTorch's parameter names and initialisation (zero biases)", () => {
    const mha = new nn.MultiheadAttention(8, 2);
    expect(mha.namedParameters().map(([n, p]) => `${n} ${p.shape.join("x")}`)).toEqual([
      "in_proj_weight 24x8", "in_proj_bias 24", "out_proj.weight 8x8", "out_proj.bias 8",
    ]);
    expect(Array.from(mha.in_proj_bias!.liveData()).every((x) => x === 0)).toBe(true);
    // xavier_uniform bound √(6 / (fanIn + fanOut)) = √(6 / 32)
    expect(Math.max(...Array.from(mha.in_proj_weight.liveData(), Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 32));
    expect(new nn.MultiheadAttention(8, 2, { bias: false }).namedParameters().map(([n]) => n)).toEqual(["in_proj_weight", "out_proj.weight"]);
    mha.dispose();
  });

  it("passes gradcheck for self-attention with masks and for cross-attention with another key/value length", () => {
    const mha = new nn.MultiheadAttention(6, 3, { batchFirst: true, generator: new Generator(2) });
    const x = input([2, 3, 6]), mem = input([2, 5, 6]);
    const padding = mask([0, 0, 1, 0, 1, 1, 0, 0, 0, 0], [2, 5]);
    const selfPadding = mask([0, 1, 0, 0, 0, 1], [2, 3]);
    const attn = mask([0, 1, 1, 0, 0, 1, 0, 0, 0], [3, 3]);
    const params = mha.parameters();
    expectGradcheck((q) => mha.forward(q, q, q, { attnMask: attn, keyPaddingMask: selfPadding, needWeights: false })[0], [x, ...params]);
    expectGradcheck((q, kv) => mha.forward(q, kv, kv, { keyPaddingMask: padding })[0], [x, mem, ...params]);
    // The per-head weights are differentiable too.
    expectGradcheck((q, kv) => mha.forward(q, kv, kv, { averageAttnWeights: false })[1]!, [x, mem]);
    dispose([x, mem, padding, selfPadding, attn]);
    mha.dispose();
  });

  it("handles unbatched input, [N·h, L, S] float masks and returns null weights when not needed", () => {
    tidy(() => {
      const mha = new nn.MultiheadAttention(4, 2, { generator: new Generator(5) });
      const x = input([3, 4], false);
      const [out, w] = mha.forward(x);
      expect(out.shape).toEqual([3, 4]);
      expect(w!.shape).toEqual([3, 3]);
      // Unbatched equals batch of one.
      const [outB] = mha.forward(x.reshape([3, 1, 4]));
      expect(Array.from(outB.liveData())).toEqual(Array.from(out.liveData()));
      const floatMask = sg.tensor([0, -Infinity, 0, 0, 0, -Infinity, 0, 0, 0, 0, 0, -Infinity, 0, -Infinity, 0, 0, 0, 0], [2, 3, 3]);
      const [, perHead] = mha.forward(x, null, null, { attnMask: floatMask, averageAttnWeights: false });
      expect(perHead!.shape).toEqual([2, 3, 3]);
      expect([perHead!.liveData()[1], perHead!.liveData()[5], perHead!.liveData()[11], perHead!.liveData()[13]]).toEqual([0, 0, 0, 0]);
      expect(mha.forward(x, null, null, { needWeights: false })[1]).toBeNull();
      mha.dispose();
    });
  });

  it("rejects unsupported options by name and bad shapes", () => {
    expect(() => new nn.MultiheadAttention(6, 4)).toThrow(/multiple of numHeads/);
    expect(() => new nn.MultiheadAttention(6, 2, { kdim: 4 })).toThrow(/MultiheadAttention: kdim 4 is not supported; only 6 \(the same as embedDim\) or null/);
    expect(() => new nn.MultiheadAttention(6, 2, { vdim: 3 })).toThrow(/vdim 3 is not supported/);
    expect(() => new nn.MultiheadAttention(6, 2, { addBiasKV: true })).toThrow(/addBiasKV/);
    expect(() => new nn.MultiheadAttention(6, 2, { addZeroAttn: true })).toThrow(/addZeroAttn/);
    expect(() => new nn.MultiheadAttention(6, 2, { kDim: 6 } as never)).toThrow(/unknown option "kDim"/);
    const mha = new nn.MultiheadAttention(4, 2);
    tidy(() => {
      const x = input([3, 2, 4], false);
      expect(() => mha.forward(x, input([5, 2, 3], false))).toThrow(/multiHeadAttention: key/);
      expect(() => mha.forward(x, null, null, { attnMask: mask(new Array(12).fill(0), [4, 3]) })).toThrow(/attnMask must be \[3, 3\] or \[4, 3, 3\]/);
      expect(() => mha.forward(x, null, null, { keyPaddingMask: mask(new Array(3).fill(0), [3]) })).toThrow(/keyPaddingMask must be \[2, 3\]/);
      expect(() => mha.forward(x, null, null, { needWeight: false } as never)).toThrow(/unknown option "needWeight"/);
    });
    mha.dispose();
  });
});

describe("Transformer layers", () => {
  // ReLU's kink makes finite differences unreliable here (its layers are in the conformance
  // vectors); the smooth activations are gradchecked, and "relu" (fused into linear1) is checked
  // against the same layer with relu as a function.
  it("encoder layer: PyTorch's state-dict keys and a gradcheck pre- and post-norm, gelu and a function activation, with masks", () => {
    const activations: nn.TransformerActivation[] = ["gelu", (x) => x.tanh()];
    for (const [normFirst, activation] of [[false, activations[0]], [true, activations[1]]] as const) {
      const layer = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, normFirst, activation, generator: new Generator(11) });
      expect(Object.keys(layer.stateDict())).toEqual([
        "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
        "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
      ]);
      const src = input([3, 2, 4]);
      const padding = mask([0, 0, 0, 0, 1, 0], [2, 3]);
      expectGradcheck((x) => layer.forward(x, { srcKeyPaddingMask: padding, isCausal: true }), [src, ...layer.parameters()]);
      dispose([src, padding]);
      layer.dispose();
    }
  });

  it("the fused relu feed-forward equals relu applied as a function", () => {
    const fused = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, generator: new Generator(3) });
    const plain = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, activation: sg.relu });
    plain.loadStateDict(fused.stateDict());
    tidy(() => {
      const x = input([3, 2, 4], false);
      expect(Array.from(fused.forward(x).liveData())).toEqual(Array.from(plain.forward(x).liveData()));
    });
    fused.dispose();
    plain.dispose();
  });

  it("decoder layer: PyTorch's keys and a gradcheck through self- and cross-attention", () => {
    const layer = new nn.TransformerDecoderLayer(4, 2, { dimFeedforward: 5, dropout: 0, activation: "gelu", batchFirst: true, generator: new Generator(12) });
    expect(Object.keys(layer.stateDict()).filter((k) => k.endsWith("weight"))).toEqual([
      "self_attn.in_proj_weight", "self_attn.out_proj.weight", "multihead_attn.in_proj_weight", "multihead_attn.out_proj.weight",
      "linear1.weight", "linear2.weight", "norm1.weight", "norm2.weight", "norm3.weight",
    ]);
    const tgt = input([2, 3, 4]), memory = input([2, 4, 4]);
    const memoryPadding = mask([0, 0, 0, 1, 0, 1, 0, 0], [2, 4]);
    expectGradcheck((t, m) => layer.forward(t, m, { tgtIsCausal: true, memoryKeyPaddingMask: memoryPadding }), [tgt, memory, ...layer.parameters()]);
    dispose([tgt, memory, memoryPadding]);
    layer.dispose();
  });

  it("stacks copy the first layer's configuration and weights under layers.N keys, with an optional final norm", () => {
    const layer = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0 });
    const encoder = new nn.TransformerEncoder(layer, 3, { norm: new nn.LayerNorm(4) });
    const keys = Object.keys(encoder.stateDict());
    expect(keys.filter((k) => k.endsWith("linear1.weight"))).toEqual(["layers.0.linear1.weight", "layers.1.linear1.weight", "layers.2.linear1.weight"]);
    expect(keys.slice(-2)).toEqual(["norm.weight", "norm.bias"]);
    expect(Array.from(encoder.layers[2].linear1.weight.liveData())).toEqual(Array.from(layer.linear1.weight.liveData()));
    expect(encoder.layers[1].linear1.weight).not.toBe(layer.linear1.weight);
    tidy(() => {
      const x = input([5, 2, 4], false);
      let expected = x;
      for (const l of encoder.layers) expected = l.forward(expected);
      expected = encoder.norm!.forward(expected);
      expect(Array.from(encoder.forward(x).liveData())).toEqual(Array.from(expected.liveData()));
    });
    const decoder = new nn.TransformerDecoder(new nn.TransformerDecoderLayer(4, 2, { dimFeedforward: 8 }), 2);
    expect(Object.keys(decoder.stateDict()).filter((k) => k.endsWith("multihead_attn.in_proj_weight"))).toEqual([
      "layers.0.multihead_attn.in_proj_weight", "layers.1.multihead_attn.in_proj_weight",
    ]);
    tidy(() => expect(decoder.forward(input([3, 2, 4], false), input([5, 2, 4], false)).shape).toEqual([3, 2, 4]));
    encoder.dispose();
    decoder.dispose();
  });

  it("dropout is active in training only", () => {
    const layer = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0.5, generator: new Generator(1) });
    tidy(() => {
      const x = input([3, 2, 4], false);
      const a = layer.forward(x).liveData().slice(), b = layer.forward(x).liveData().slice();
      expect(Array.from(a)).not.toEqual(Array.from(b));
      layer.eval();
      expect(Array.from(layer.forward(x).liveData())).toEqual(Array.from(layer.forward(x).liveData()));
    });
    layer.dispose();
  });

  it("rejects unknown options and activations by name", () => {
    expect(() => new nn.TransformerEncoderLayer(4, 2, { activation: "tanh" as never })).toThrow(/activation must be "relu", "gelu" or a function/);
    expect(() => new nn.TransformerEncoderLayer(4, 2, { dimFeedForward: 8 } as never)).toThrow(/unknown option "dimFeedForward"/);
    expect(() => new nn.TransformerDecoderLayer(4, 3)).toThrow(/multiple of numHeads/);
    const layer = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8 });
    expect(() => new nn.TransformerEncoder(layer, 0)).toThrow(/numLayers/);
    tidy(() => expect(() => layer.forward(input([3, 2, 4], false), { mask: null } as never)).toThrow(/unknown option "mask"/));
    layer.dispose();
  });
});

describe("positional encodings and masks", () => {
  it("sinusoidal: sin/cos of p / 10000^(2i/d), added per position and broadcast over the batch", () => {
    tidy(() => {
      const pe = nn.sinusoidalPositionalEncoding(6, 4).liveData();
      expect(pe[3 * 4 + 0]).toBeCloseTo(Math.sin(3), 6);
      expect(pe[3 * 4 + 1]).toBeCloseTo(Math.cos(3), 6);
      expect(pe[5 * 4 + 2]).toBeCloseTo(Math.sin(5 / 100), 6);
      expect(pe[5 * 4 + 3]).toBeCloseTo(Math.cos(5 / 100), 6);
      const enc = new nn.SinusoidalPositionalEncoding(4, { maxLen: 10, batchFirst: true });
      expect(Object.keys(enc.stateDict())).toEqual(["pe"]);
      const x = sg.zeros([2, 6, 4]);
      const y = enc.forward(x).liveData();
      expect(Array.from(y.slice(24, 48))).toEqual(Array.from(y.slice(0, 24)));
      expect(y[3 * 4 + 1]).toBeCloseTo(Math.cos(3), 6);
      expect(() => enc.forward(sg.zeros([2, 11, 4]))).toThrow(/L ≤ 10/);
      enc.dispose();
    });
  });

  it("learned: a trained table added per position (gradcheck), key weight", () => {
    const enc = new nn.LearnedPositionalEncoding(5, 3, { generator: new Generator(4) });
    expect(Object.keys(enc.stateDict())).toEqual(["weight"]);
    const x = input([4, 2, 3]);
    expectGradcheck((a) => enc.forward(a), [x, enc.weight]);
    x.dispose();
    enc.dispose();
  });

  it("generateSquareSubsequentMask is 0 on and below the diagonal, -Infinity above", () => {
    tidy(() => {
      expect(Array.from(nn.generateSquareSubsequentMask(3).liveData())).toEqual([0, -Infinity, -Infinity, 0, 0, -Infinity, 0, 0, 0]);
    });
  });
});

describe("attention double backward", () => {
  it("the gradient of SDPA (built with createGraph) passes gradcheck: second derivatives through the weights, mask and values", () => {
    const q = input([2, 3, 4]), k = input([2, 4, 4]), v = input([2, 4, 3]);
    const m = input([3, 4]);
    const r = input([2, 3, 3], false);
    const rq = input([2, 3, 4], false), rk = input([2, 4, 4], false);
    // A scalar of both first gradients: Σ dq⊙rq + Σ dk⊙rk.
    const firstGrad = (a: Tensor, b: Tensor, c: Tensor, d: Tensor) => sg.enableGrad(() => {
      const [dq, dk] = sg.grad(sg.sum(sg.mul(sg.scaledDotProductAttention(a, b, c, { attnMask: d }), r)), [a, b], { createGraph: true });
      return sg.add(sg.sum(sg.mul(dq!, rq)), sg.sum(sg.mul(dk!, rk)));
    });
    expectGradcheck(firstGrad, [q, k, v, m]);
    dispose([q, k, v, m, r, rq, rk]);
  });

  it("the input gradient of MultiheadAttention (createGraph) passes gradcheck", () => {
    const mha = new nn.MultiheadAttention(4, 2, { generator: new Generator(8) });
    const x = input([3, 2, 4]);
    const r = input([3, 2, 4], false);
    const padding = mask([0, 0, 1, 0, 0, 0], [2, 3]);
    const firstGrad = (a: Tensor) => sg.enableGrad(() => {
      const [out] = mha.forward(a, null, null, { keyPaddingMask: padding, needWeights: false });
      const [dx] = sg.grad(sg.sum(sg.square(out)), [a], { createGraph: true });
      return sg.sum(sg.mul(dx!, r));
    });
    expectGradcheck(firstGrad, [x]);
    dispose([x, r, padding]);
    mha.dispose();
  });
});

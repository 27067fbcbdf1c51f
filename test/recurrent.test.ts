// Recurrent layers and cells: PyTorch's parameter names, order and repr; constructor forms and
// their errors; PyTorch weights loaded through loadStateDict reproduce PyTorch's outputs (the
// rnn_stack vectors); gradchecks of every layer and cell, with lengths; the packed-sequence
// semantics of lengths against running each sequence alone; dropout between layers; unbatched
// inputs; double backward (createGraph) against the fused gradient and a finite-difference
// Hessian-vector product; errors that leave everything intact.
import { describe, it, expect, vi } from "vitest";
import { nn, tensor, randn, zeros, cat, sum, mul, grad, hvp, lstm, gradcheck, Generator, noGrad, tidy, memoryStats, type Tensor } from "../src/index.js";
import { loadCases, fromJson, compareTensor } from "./conformance/load.js";

const values = (t: Tensor) => Array.from(t.liveData());
const keysAndShapes = (m: nn.Module<unknown>) => m.namedParameters().map(([k, p]) => `${k} [${p.shape.join(", ")}]`);

// relu's kink at 0 is crossed by a finite-difference step of 1e-2 somewhere among the many
// pre-activations of a stack; a step of 3e-4 stays clear of it here (float32 still resolves it).
function expectGradOk(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], eps = 1e-2): void {
  expect(gradcheck(fn, inputs, { eps }).mismatch).toBeNull();
}

/** Every output of a layer flattened into one tensor (so gradcheck weighs them all). */
const flat = (ts: Tensor[]) => cat(ts.map((t) => t.reshape([-1])), 0);

describe("recurrent layers: parameters and construction", () => {
  it("name and shape parameters as PyTorch's state_dict, in its order", () => {
    // torch.nn.LSTM(3, 4, 2, bidirectional=True).state_dict() (torch 1.13)
    expect(keysAndShapes(new nn.LSTM(3, 4, 2, true, false, 0, true))).toEqual([
      "weight_ih_l0 [16, 3]", "weight_hh_l0 [16, 4]", "bias_ih_l0 [16]", "bias_hh_l0 [16]",
      "weight_ih_l0_reverse [16, 3]", "weight_hh_l0_reverse [16, 4]", "bias_ih_l0_reverse [16]", "bias_hh_l0_reverse [16]",
      "weight_ih_l1 [16, 8]", "weight_hh_l1 [16, 4]", "bias_ih_l1 [16]", "bias_hh_l1 [16]",
      "weight_ih_l1_reverse [16, 8]", "weight_hh_l1_reverse [16, 4]", "bias_ih_l1_reverse [16]", "bias_hh_l1_reverse [16]",
    ]);
    expect(keysAndShapes(new nn.GRU(3, 5, { numLayers: 2, bias: false }))).toEqual([
      "weight_ih_l0 [15, 3]", "weight_hh_l0 [15, 5]", "weight_ih_l1 [15, 5]", "weight_hh_l1 [15, 5]",
    ]);
    expect(Object.keys(new nn.RNN(2, 3, 3).stateDict())).toEqual(
      [0, 1, 2].flatMap((l) => ["weight_ih", "weight_hh", "bias_ih", "bias_hh"].map((k) => `${k}_l${l}`)),
    );
    expect(keysAndShapes(new nn.GRUCell(3, 4))).toEqual(["weight_ih [12, 3]", "weight_hh [12, 4]", "bias_ih [12]", "bias_hh [12]"]);
    expect(keysAndShapes(new nn.LSTMCell(3, 4, false))).toEqual(["weight_ih [16, 3]", "weight_hh [16, 4]"]);
    expect(keysAndShapes(new nn.RNNCell(3, 4))).toEqual(["weight_ih [4, 3]", "weight_hh [4, 4]", "bias_ih [4]", "bias_hh [4]"]);
  });

  it("initialise every parameter from U(±1/√hiddenSize), reproducibly from a generator", () => {
    const a = new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true, generator: new Generator(5) });
    const b = new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true, generator: new Generator(5) });
    for (const [k, p] of a.namedParameters()) {
      expect(values(p).every((v) => Math.abs(v) <= 0.5)).toBe(true);
      expect(values(p)).toEqual(values(b.stateDict()[k]));
    }
    expect(values(a.stateDict().weight_hh_l1_reverse).some((v) => Math.abs(v) > 0.25)).toBe(true);
  });

  it("print like PyTorch's repr", () => {
    expect(new nn.GRU(3, 4, 3, false, true, 0.5, true).toString()).toBe("GRU(3, 4, num_layers=3, bias=False, batch_first=True, dropout=0.5, bidirectional=True)");
    expect(new nn.LSTM(3, 5).toString()).toBe("LSTM(3, 5)");
    expect(new nn.RNN(3, 4, 2, "relu").toString()).toBe("RNN(3, 4, num_layers=2)");
    expect(new nn.RNNCell(3, 4, false, "relu").toString()).toBe("RNNCell(3, 4, bias=False, nonlinearity=relu)");
    expect(new nn.LSTMCell(3, 4).toString()).toBe("LSTMCell(3, 4)");
  });

  it("take PyTorch's positional order, an options object, or both, with the same result", () => {
    const positional = new nn.LSTM(3, 4, 2, false, true, 0.25, true);
    const options = new nn.LSTM(3, 4, { numLayers: 2, bias: false, batchFirst: true, dropout: 0.25, bidirectional: true });
    const mixed = new nn.LSTM(3, 4, 2, false, { batchFirst: true, dropout: 0.25, bidirectional: true });
    const single = new nn.LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bias: false, batchFirst: true, dropout: 0.25, bidirectional: true });
    for (const m of [options, mixed, single]) {
      expect(m.toString()).toBe(positional.toString());
      expect(keysAndShapes(m)).toEqual(keysAndShapes(positional));
    }
    const relu = new nn.RNN(3, 4, 1, "relu", true, false, 0, true);
    expect([relu.nonlinearity, relu.bidirectional]).toEqual(["relu", true]);
    expect(new nn.RNNCell(3, 4, { nonlinearity: "relu" }).nonlinearity).toBe("relu");
  });

  it("reject unknown and unsupported options, settings given twice and values of the wrong kind, naming them", () => {
    expect(() => new nn.LSTM(3, 4, { projSize: 2 })).toThrow(/LSTM: projSize 2 is not supported/);
    expect(() => new nn.LSTM(3, 4, 1, true, false, 0, false, 3)).toThrow(/projSize 3 is not supported/);
    expect(new nn.LSTM(3, 4, { projSize: 0 }).hiddenSize).toBe(4);
    expect(() => new nn.GRU(3, 4, { projSize: 2 } as never)).toThrow(/GRU: unknown option "projSize"/);
    expect(() => new nn.RNN(3, 4, { nonlinearty: "relu" } as never)).toThrow(/RNN: unknown option "nonlinearty"/);
    expect(() => new nn.GRUCell(3, 4, { numLayers: 2 } as never)).toThrow(/GRUCell: unknown option "numLayers"/);
    expect(() => new nn.LSTM(3, 4, 2, { numLayers: 3 })).toThrow(/numLayers is given both as an argument and in the options/);
    expect(() => new nn.RNN(3, 4, 1, true as never)).toThrow(/RNN: nonlinearity must be "tanh" or "relu", got true/);
    expect(() => new nn.RNN(3, 4, { nonlinearity: "sigmoid" as never })).toThrow(/nonlinearity must be "tanh" or "relu", got "sigmoid"/);
    expect(() => new nn.LSTM(3, 4, 0)).toThrow(/LSTM: numLayers must be a positive integer, got 0/);
    expect(() => new nn.GRU(3, 0)).toThrow(/GRU: hiddenSize must be a positive integer, got 0/);
    expect(() => new nn.GRU(3, 4, { dropout: 1.5 })).toThrow(/dropout must be a number in \[0, 1\], got 1.5/);
    expect(() => new (nn.GRU as any)(3, 4, 1, true, false, 0, false, {}, 1)).toThrow(/options object must be the last argument/);
    expect(() => new (nn.GRUCell as any)(3, 4, true, true)).toThrow(/GRUCell: too many arguments/);
    expect(() => new nn.LSTM({ inputSize: 3 } as never)).toThrow(/LSTM: hiddenSize is required/);
  });
});

describe("recurrent layers load PyTorch weights unchanged", () => {
  // Each rnn_stack.json case holds a PyTorch module's state dict (its inputs under the parameter
  // names) and that module's outputs: load it into the layer built from the same attrs.
  for (const c of loadCases("rnn_stack.json")) {
    it(`${c.id}: ${c.op} ${JSON.stringify(c.attrs)}`, () => {
      tidy(() => {
        const a = c.attrs;
        const args = [a.input_size, a.hidden_size, { numLayers: a.num_layers, bias: a.bias, batchFirst: a.batch_first, bidirectional: a.bidirectional }] as const;
        const layer = c.op === "lstm" ? new nn.LSTM(...args) : c.op === "gru" ? new nn.GRU(...args) : new nn.RNN(args[0], args[1], { ...args[2], nonlinearity: a.nonlinearity });
        const inputs: Record<string, Tensor> = Object.fromEntries(c.inputs.map((t: any) => [t.name, fromJson(t)]));
        const { x, h0, c0, ...weights } = inputs;
        expect(layer.loadStateDict(weights)).toEqual({ missingKeys: [], unexpectedKeys: [] });
        const outs = layer instanceof nn.LSTM ? (([o, [h, cc]]) => [o, h, cc])(layer.forward(x, h0 ? [h0, c0] : null)) : [layer.forward(x, h0 ?? null)].flatMap(([o, h]) => [o, h]);
        c.outputs.forEach((ref: any, k: number) => expect(compareTensor(outs[k], ref)).toBeNull());
        layer.dispose();
      });
    });
  }
});

describe("recurrent layers and cells: gradcheck", () => {
  const gen = new Generator(31);
  const input = (shape: number[]) => randn(shape, { generator: gen, requiresGrad: true });
  const T = 4, N = 3, I = 2, H = 3;

  const layers: [string, () => nn.RNN | nn.LSTM | nn.GRU][] = [
    ["RNN tanh", () => new nn.RNN(I, H, { numLayers: 2, bidirectional: true, generator: gen })],
    ["RNN relu", () => new nn.RNN(I, H, { numLayers: 2, nonlinearity: "relu", bidirectional: true, generator: gen })],
    ["LSTM", () => new nn.LSTM(I, H, { numLayers: 2, bidirectional: true, generator: gen })],
    ["GRU", () => new nn.GRU(I, H, { numLayers: 2, bidirectional: true, generator: gen })],
  ];
  for (const [name, make] of layers) {
    for (const lengths of [null, [4, 2, 3]]) {
      it(`${name}, 2 layers, bidirectional, with initial states${lengths ? " and lengths" : ""}: input, states and every parameter`, () => {
        const layer = make();
        const D = 2, states = layer instanceof nn.LSTM ? [input([2 * D, N, H]), input([2 * D, N, H])] : [input([2 * D, N, H])];
        expectGradOk((x, ...rest) => {
          const [s0, s1] = rest;
          if (layer instanceof nn.LSTM) {
            const [o, [h, c]] = layer.forward(x, [s0, s1], lengths);
            return flat([o, h, c]);
          }
          const [o, h] = layer.forward(x, s0, lengths);
          return flat([o, h]);
        }, [input([T, N, I]), ...states, ...layer.parameters()], name.includes("relu") ? 3e-4 : 1e-2);
        layer.dispose();
      });
    }
  }

  it("batch-first GRU and bias-free LSTM", () => {
    const g = new nn.GRU(I, H, { batchFirst: true, numLayers: 2, generator: gen });
    expectGradOk((x) => flat(g.forward(x, null, [2, 4, 1])), [input([N, T, I]), ...g.parameters()]);
    const l = new nn.LSTM(I, H, { bias: false, generator: gen });
    expectGradOk((x) => flat(l.forward(x)[1]), [input([T, N, I]), ...l.parameters()]);
  });

  it("RNNCell, LSTMCell and GRUCell modules, batched and unbatched", () => {
    const rc = new nn.RNNCell(I, H, { nonlinearity: "relu", generator: gen });
    expectGradOk((x, h) => rc.forward(x, h), [input([N, I]), input([N, H]), ...rc.parameters()], 3e-4);
    const lc = new nn.LSTMCell(I, H, { generator: gen });
    expectGradOk((x, h, c) => flat(lc.forward(x, [h, c])), [input([N, I]), input([N, H]), input([N, H]), ...lc.parameters()]);
    const gc = new nn.GRUCell(I, H, { generator: gen });
    expectGradOk((x, h) => gc.forward(x, h), [input([I]), input([H]), ...gc.parameters()]);
  });
});

describe("recurrent layers and cells: double backward (createGraph)", () => {
  const gen = new Generator(57);
  const input = (shape: number[]) => randn(shape, { generator: gen, requiresGrad: true });
  const T = 4, N = 3, I = 2, H = 3, lengths = [4, 2, 3];
  const gradients = (f: Tensor, inputs: Tensor[], createGraph: boolean) =>
    grad(f, inputs, { createGraph, retainGraph: true, allowUnused: true }).map((g) => (g ? values(g) : null));

  // The graph backward recomputes the steps in public ops; its first-order result must be the
  // fused kernels' gradient (reverse direction, lengths, every cell kind and both nonlinearities).
  const layers: [string, () => nn.RNN | nn.LSTM | nn.GRU][] = [
    ["RNN tanh", () => new nn.RNN(I, H, { numLayers: 2, bidirectional: true, generator: gen })],
    ["RNN relu", () => new nn.RNN(I, H, { numLayers: 2, nonlinearity: "relu", bidirectional: true, generator: gen })],
    ["LSTM", () => new nn.LSTM(I, H, { numLayers: 2, bidirectional: true, generator: gen })],
    ["GRU (no bias)", () => new nn.GRU(I, H, { numLayers: 2, bias: false, bidirectional: true, generator: gen })],
  ];
  for (const [name, make] of layers) {
    it(`${name}: the createGraph gradient equals the fused backward's`, () => {
      tidy(() => {
        const layer = make();
        const x = input([T, N, I]), h0 = input([4, N, H]), c0 = input([4, N, H]);
        const outs = layer instanceof nn.LSTM ? (([o, [h, c]]) => [o, h, c])(layer.forward(x, [h0, c0], lengths)) : layer.forward(x, h0, lengths);
        const f = sum(mul(flat(outs), randn([flat(outs).size], { generator: gen })));
        const wrt = [x, h0, ...(layer instanceof nn.LSTM ? [c0] : []), ...layer.parameters()];
        const fused = gradients(f, wrt, false), graph = gradients(f, wrt, true);
        fused.forEach((g, j) => g!.forEach((v, i) => expect(Math.abs(graph[j]![i] - v)).toBeLessThan(1e-5 * (1 + Math.abs(v)))));
        layer.dispose();
      });
    });
  }

  it("a Hessian-vector product through an LSTM matches finite differences of its gradient", () => {
    tidy(() => {
      // hvp differentiates in its own copies of the inputs: the weights go in as arguments.
      const layer = new nn.LSTM(I, H, { bidirectional: true, generator: gen });
      const params = layer.parameters();
      const x = input([T, N, I]);
      const loss = (...xs: Tensor[]) => {
        const weights = [0, 1].map((d) => { const [weightIh, weightHh, biasIh, biasHh] = xs.slice(1 + 4 * d, 5 + 4 * d); return { weightIh, weightHh, biasIh, biasHh }; });
        const { output, hN, cN } = lstm(xs[0], null, null, weights, { bidirectional: true, lengths });
        return sum(mul(flat([output, hN, cN]), flat([output, hN, cN])));
      };
      const wrt = [x, ...params];
      const v = wrt.map((t) => randn(t.shape, { generator: gen }));
      const [, hv] = hvp(loss, wrt, v) as [Tensor, Tensor[]];
      // (∇f(θ + εv) − ∇f(θ − εv)) / 2ε, with the fused backward.
      const eps = 1e-2;
      const shifted = (sign: number) => {
        noGrad(() => wrt.forEach((t, j) => t.liveData().set(Array.from(t.liveData(), (a, i) => a + sign * eps * v[j].liveData()[i]))));
        const g = gradients(loss(...wrt), wrt, false);
        return g.map((gj) => gj!);
      };
      const plus = shifted(1), minus = shifted(-2);
      shifted(1);
      hv.forEach((h, j) => values(h).forEach((a, i) => {
        const numeric = (plus[j][i] - minus[j][i]) / (2 * eps);
        expect(Math.abs(a - numeric)).toBeLessThan(2e-2 * (1 + Math.abs(numeric)));
      }));
      layer.dispose();
    });
  });
});

describe("variable-length batches (lengths)", () => {
  const T = 5, N = 3, I = 2, H = 3;
  const lengths = [5, 2, 3];
  const kinds = [
    ["RNN", () => new nn.RNN(I, H, { numLayers: 2, bidirectional: true, generator: new Generator(3) })],
    ["LSTM", () => new nn.LSTM(I, H, { numLayers: 2, bidirectional: true, generator: new Generator(3) })],
    ["GRU", () => new nn.GRU(I, H, { numLayers: 2, bidirectional: true, generator: new Generator(3) })],
  ] as const;

  /** [output, final states...] of a layer. */
  const run = (layer: nn.RNN | nn.LSTM | nn.GRU, x: Tensor, s: Tensor[] | null, lens: number[] | null): Tensor[] => {
    if (layer instanceof nn.LSTM) {
      const [o, [h, c]] = layer.forward(x, s ? [s[0], s[1]] : null, lens);
      return [o, h, c];
    }
    return layer.forward(x, s ? s[0] : null, lens);
  };

  for (const [name, make] of kinds) {
    it(`${name}: each sequence gives what it gives alone; padded steps output zero and change nothing`, () => {
      noGrad(() => tidy(() => {
        const layer = make();
        const x = randn([T, N, I], { generator: new Generator(4) });
        const states = (layer instanceof nn.LSTM ? [0, 1] : [0]).map((k) => randn([4, N, H], { generator: new Generator(10 + k) }));
        const [out, ...finals] = run(layer, x, states, lengths);
        expect(out.shape).toEqual([T, N, 2 * H]);
        // Different padding values: the same results.
        const x2 = x.clone();
        const v = x2.liveData();
        for (let n = 0; n < N; n++) for (let t = lengths[n]; t < T; t++) for (let i = 0; i < I; i++) v[(t * N + n) * I + i] = 100 + t;
        const [out2, ...finals2] = run(layer, x2, states, lengths);
        expect(values(out2)).toEqual(values(out));
        finals2.forEach((f, k) => expect(values(f)).toEqual(values(finals[k])));
        for (let n = 0; n < N; n++) {
          const L = lengths[n];
          const alone = run(layer, x.narrow(0, 0, L).narrow(1, n, 1), states.map((s) => s.narrow(1, n, 1)), null);
          const o = out.narrow(1, n, 1);
          for (let i = 0; i < values(alone[0]).length; i++) expect(values(o.narrow(0, 0, L))[i]).toBeCloseTo(values(alone[0])[i], 6);
          if (L < T) expect(values(o.narrow(0, L, T - L)).every((z) => z === 0)).toBe(true);
          finals.forEach((f, k) => {
            const mine = values(f.narrow(1, n, 1)), ref = values(alone[k + 1]);
            mine.forEach((m, i) => expect(m).toBeCloseTo(ref[i], 6));
          });
        }
        layer.dispose();
      }));
    });
  }

  it("lengths may be an int32 tensor and full lengths equal no lengths", () => {
    noGrad(() => tidy(() => {
      const layer = new nn.GRU(I, H, { batchFirst: true, generator: new Generator(8) });
      const x = randn([N, T, I], { generator: new Generator(9) });
      const [a] = layer.forward(x, null, tensor(new Int32Array([5, 2, 3]), [3]));
      const [b] = layer.forward(x, null, [5, 2, 3]);
      expect(values(a)).toEqual(values(b));
      expect(values(layer.forward(x, null, [5, 5, 5])[0])).toEqual(values(layer.forward(x)[0]));
      layer.dispose();
    }));
  });

  it("reject bad lengths naming the problem, and leak nothing", () => {
    const layer = new nn.LSTM(I, H, { generator: new Generator(8) });
    const x = randn([T, N, I], { generator: new Generator(9) });
    const floatLengths = tensor([5, 2, 3], [3]), unbatched = x.narrow(1, 0, 1).reshape([T, I]);
    const before = memoryStats();
    expect(() => layer.forward(x, null, [5, 0, 3])).toThrow(/lstm: lengths\[1\] = 0 must be an integer in \[1, 5\]/);
    expect(() => layer.forward(x, null, [5, 6, 3])).toThrow(/lengths\[1\] = 6 must be an integer in \[1, 5\]/);
    expect(() => layer.forward(x, null, [5, 2])).toThrow(/lengths has 2 entries for a batch of 3 sequences/);
    expect(() => layer.forward(x, null, floatLengths)).toThrow(/lengths must be a 1-D int32 tensor, got float32 \[3\]/);
    expect(() => layer.forward(unbatched, null, [5])).toThrow(/lengths needs a batched input/);
    expect(memoryStats()).toEqual(before);
    for (const t of [x, floatLengths, unbatched]) t.dispose();
    layer.dispose();
  });
});

describe("recurrent layers: layouts, dropout and errors", () => {
  it("batchFirst and unbatched inputs give the sequence-first results", () => {
    noGrad(() => tidy(() => {
      const seq = new nn.LSTM(2, 3, { numLayers: 2, bidirectional: true, generator: new Generator(1) });
      const bf = new nn.LSTM(2, 3, { numLayers: 2, bidirectional: true, batchFirst: true, generator: new Generator(1) });
      const x = randn([4, 2, 2], { generator: new Generator(2) });
      const [a, [ha, ca]] = seq.forward(x);
      const [b, [hb, cb]] = bf.forward(x.transpose(0, 1));
      expect(b.shape).toEqual([2, 4, 6]);
      expect(values(b)).toEqual(values(a.transpose(0, 1)));
      expect([values(hb), values(cb)]).toEqual([values(ha), values(ca)]);
      // Unbatched [T, I] with states [D·L, H]: the batch of one without its batch dim.
      const x0 = x.narrow(1, 0, 1);
      const h0 = randn([4, 1, 3], { generator: new Generator(3) }), c0 = randn([4, 1, 3], { generator: new Generator(4) });
      const [u, [hu, cu]] = bf.forward(x0.reshape([4, 2]), [h0.reshape([4, 3]), c0.reshape([4, 3])]);
      const [r, [hr, cr]] = seq.forward(x0, [h0, c0]);
      expect([u.shape, hu.shape, cu.shape]).toEqual([[4, 6], [4, 3], [4, 3]]);
      expect([values(u), values(hu), values(cu)]).toEqual([values(r), values(hr), values(cr)]);
      seq.dispose();
      bf.dispose();
    }));
  });

  it("apply dropout between layers in training only: p = 1 feeds zeros to layer 2, eval ignores it", () => {
    noGrad(() => tidy(() => {
      const layer = new nn.GRU(2, 3, { numLayers: 2, dropout: 1, generator: new Generator(5) });
      const top = new nn.GRU(3, 3);
      const w = layer.stateDict();
      top.loadStateDict({ weight_ih_l0: w.weight_ih_l1, weight_hh_l0: w.weight_hh_l1, bias_ih_l0: w.bias_ih_l1, bias_hh_l0: w.bias_hh_l1 });
      const x = randn([4, 2, 2], { generator: new Generator(6) });
      const [trained] = layer.forward(x);
      expect(values(trained)).toEqual(values(top.forward(zeros([4, 2, 3]))[0]));
      const noDropout = new nn.GRU(2, 3, { numLayers: 2, generator: new Generator(5) });
      layer.eval();
      expect(values(layer.forward(x)[0])).toEqual(values(noDropout.forward(x)[0]));
      for (const m of [layer, top, noDropout]) m.dispose();
    }));
  });

  it("warn, as PyTorch does, when dropout is set on a single layer (it would apply nowhere)", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      new nn.LSTM(3, 4, { dropout: 0.5 }).dispose();
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/LSTM: dropout 0.5 has no effect with numLayers 1/));
      warn.mockClear();
      new nn.LSTM(3, 4, { dropout: 0.5, numLayers: 2 }).dispose();
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it("reject bad inputs and states naming the op and shapes, leaving the model intact and leaking nothing", () => {
    const layer = new nn.LSTM(3, 4, { numLayers: 2 });
    const cell = new nn.GRUCell(3, 4);
    const before = values(layer.stateDict().weight_ih_l0);
    const [x, h, wrongFeatures, wrongState, rank4, cellX, cellH] =
      [[5, 2, 3], [2, 2, 4], [5, 2, 4], [1, 2, 4], [5, 3, 1, 1], [2, 3], [3, 4]].map((s) => randn(s));
    const stats = memoryStats();
    expect(() => layer.forward(wrongFeatures)).toThrow(/lstm: weights of layer 0 do not fit input size 4/);
    expect(() => layer.forward(x, [wrongState, h])).toThrow(/lstm: h0 must be \[2, 2, 4\], got \[1, 2, 4\]/);
    expect(() => layer.forward(x, [h] as never)).toThrow(/LSTM: the initial state must be a pair \[h0, c0\]/);
    expect(() => layer.forward(x, [h, null] as never)).toThrow(/lstm: give both h0 and c0 or neither \(got only h0\)/);
    expect(() => layer.forward(rank4)).toThrow(/lstm: input must be \[T, N, input_size\]/);
    expect(() => cell.forward(cellX, cellH)).toThrow(/gruCell: h must be \[2, 4\], got \[3, 4\]/);
    expect(memoryStats()).toEqual(stats);
    expect(values(layer.stateDict().weight_ih_l0)).toEqual(before);
    tidy(() => expect(values(layer.forward(x, [h, h])[0]).every(Number.isFinite)).toBe(true));
    for (const t of [x, h, wrongFeatures, wrongState, rank4, cellX, cellH]) t.dispose();
    layer.dispose();
    cell.dispose();
  });
});

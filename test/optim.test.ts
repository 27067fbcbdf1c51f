import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { Tensor, tensor, randn, zeros, tidy, memoryStats, linear, relu, mean, optim, Generator } from "../src/index.js";
import { runCase } from "./conformance/families/optim.js";
import { conformanceDir, loadIndex, loadCases } from "./conformance/load.js";

const optimizerFiles = Object.entries(loadIndex().files).filter(([, f]) => f.family === "optim");

describe("optimizers against the PyTorch trajectories", () => {
  for (const [file] of optimizerFiles) {
    for (const c of loadCases(file)) {
      it(`${file} ${c.id}`, () => expect(runCase(c)).toBeNull());
    }
  }
  it(`finds the vectors in ${conformanceDir}`, () => expect(optimizerFiles.length).toBeGreaterThan(0));
});

// ---- a float64 reference of the PyTorch 1.13 update rules (FORMAT.md), for options the vectors do not cover

type Make = (params: Tensor[], options: any) => optim.Optimizer<any>;
const makers: Record<string, Make> = {
  sgd: (p, o) => new optim.SGD(p, o),
  adam: (p, o) => new optim.Adam(p, o),
  adamw: (p, o) => new optim.AdamW(p, o),
  rmsprop: (p, o) => new optim.RMSprop(p, o),
  adagrad: (p, o) => new optim.Adagrad(p, o),
  adadelta: (p, o) => new optim.Adadelta(p, o),
};

function referenceOptimizer(op: string, o: any): (p: Float64Array, g: Float64Array) => void {
  const n = () => new Float64Array(0);
  let t = 0;
  let [a, b, c] = [n(), n(), n()];
  return (p, grad) => {
    t++;
    if (t === 1) [a, b, c] = [0, 1, 2].map(() => new Float64Array(p.length).fill(op === "adagrad" ? o.initialAccumulatorValue ?? 0 : 0));
    for (let i = 0; i < p.length; i++) {
      let g = (o.maximize ? -grad[i] : grad[i]) + (op === "adamw" ? 0 : (o.weightDecay ?? 0) * p[i]);
      if (op === "sgd") {
        if (o.momentum) {
          a[i] = t === 1 ? g : o.momentum * a[i] + (1 - (o.dampening ?? 0)) * g;
          g = o.nesterov ? g + o.momentum * a[i] : a[i];
        }
        p[i] -= o.lr * g;
      } else if (op === "adam" || op === "adamw") {
        const [b1, b2] = o.betas;
        if (op === "adamw") p[i] *= 1 - o.lr * o.weightDecay;
        a[i] = b1 * a[i] + (1 - b1) * g;
        b[i] = b2 * b[i] + (1 - b2) * g * g;
        c[i] = Math.max(c[i], b[i]);
        const v = o.amsgrad ? c[i] : b[i];
        p[i] -= (o.lr / (1 - b1 ** t)) * a[i] / (Math.sqrt(v) / Math.sqrt(1 - b2 ** t) + o.eps);
      } else if (op === "rmsprop") {
        a[i] = o.alpha * a[i] + (1 - o.alpha) * g * g;
        b[i] = o.alpha * b[i] + (1 - o.alpha) * g;
        const avg = Math.sqrt(o.centered ? a[i] - b[i] * b[i] : a[i]) + o.eps;
        if (o.momentum > 0) {
          c[i] = o.momentum * c[i] + g / avg;
          p[i] -= o.lr * c[i];
        } else {
          p[i] -= (o.lr * g) / avg;
        }
      } else if (op === "adagrad") {
        a[i] += g * g;
        p[i] -= ((o.lr / (1 + (t - 1) * o.lrDecay)) * g) / (Math.sqrt(a[i]) + o.eps);
      } else if (op === "adadelta") {
        a[i] = o.rho * a[i] + (1 - o.rho) * g * g;
        const delta = (Math.sqrt(b[i] + o.eps) / Math.sqrt(a[i] + o.eps)) * g;
        b[i] = o.rho * b[i] + (1 - o.rho) * delta * delta;
        p[i] -= o.lr * delta;
      }
    }
  };
}

const optionArbitraries: Record<string, fc.Arbitrary<any>> = {
  sgd: fc.record({
    lr: fc.constantFrom(0.01, 0.1), momentum: fc.constantFrom(0, 0.5, 0.9), dampening: fc.constantFrom(0, 0.3),
    weightDecay: fc.constantFrom(0, 0.05), nesterov: fc.boolean(), maximize: fc.boolean(),
  }).map((o) => (o.nesterov ? { ...o, momentum: o.momentum || 0.9, dampening: 0 } : o)),
  adam: fc.record({
    lr: fc.constantFrom(0.01, 0.05), betas: fc.constantFrom([0.9, 0.999], [0.8, 0.99]), eps: fc.constantFrom(1e-8, 1e-3),
    weightDecay: fc.constantFrom(0, 0.1), amsgrad: fc.boolean(), maximize: fc.boolean(),
  }),
  adamw: fc.record({
    lr: fc.constantFrom(0.01, 0.05), betas: fc.constantFrom([0.9, 0.999], [0.8, 0.99]), eps: fc.constantFrom(1e-8, 1e-3),
    weightDecay: fc.constantFrom(0, 0.1), amsgrad: fc.boolean(), maximize: fc.boolean(),
  }),
  rmsprop: fc.record({
    lr: fc.constantFrom(0.001, 0.01), alpha: fc.constantFrom(0.9, 0.99), eps: fc.constantFrom(1e-8, 1e-4),
    weightDecay: fc.constantFrom(0, 0.1), momentum: fc.constantFrom(0, 0.9), centered: fc.boolean(), maximize: fc.boolean(),
  }),
  adagrad: fc.record({
    lr: fc.constantFrom(0.01, 0.1), lrDecay: fc.constantFrom(0, 0.1), weightDecay: fc.constantFrom(0, 0.1),
    initialAccumulatorValue: fc.constantFrom(0, 0.5), eps: fc.constantFrom(1e-10, 1e-3), maximize: fc.boolean(),
  }),
  adadelta: fc.record({
    lr: fc.constantFrom(0.5, 1), rho: fc.constantFrom(0.9, 0.95), eps: fc.constantFrom(1e-6, 1e-3),
    weightDecay: fc.constantFrom(0, 0.1), maximize: fc.boolean(),
  }),
};

describe("fused update kernels against a float64 reference", () => {
  for (const op of Object.keys(makers)) {
    it(`${op}: every option combination, odd sizes (vector body and scalar tail)`, () => {
      fc.assert(
        fc.property(optionArbitraries[op], fc.integer({ min: 1, max: 23 }), fc.integer({ min: 1, max: 1e6 }), (o, size, seed) => {
          const gen = new Generator(seed);
          const init = Float64Array.from({ length: size }, () => gen.normal());
          const p = tensor(Float32Array.from(init), [size], { requiresGrad: true });
          const opt = makers[op]([p], o);
          const ref = Float64Array.from(new Float32Array(init));
          const refStep = referenceOptimizer(op, o);
          try {
            for (let s = 0; s < 4; s++) {
              const g = Float32Array.from({ length: size }, () => gen.normal());
              p.grad?.dispose();
              p.grad = tensor(g, [size]);
              opt.step();
              refStep(ref, Float64Array.from(g));
              const got = p.liveData();
              for (let i = 0; i < size; i++) expect(Math.abs(got[i] - ref[i])).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(ref[i]));
            }
          } finally {
            opt.dispose();
            p.grad?.dispose();
            p.dispose();
          }
        }),
        { numRuns: 40 },
      );
    });
  }
});

// ---- the Optimizer contract

const quadraticGrad = (p: Tensor, target: Tensor) =>
  tidy(() => {
    const loss = p.sub(target).square().mul(p.sub(target).abs().add(1)).sum();
    loss.backward();
  });

describe("Optimizer", () => {
  it("uses each parameter group's own options (lr here), falling back to the defaults", () => {
    const a = tensor([1, 2, 3], undefined, { requiresGrad: true });
    const b = tensor([1, 2, 3], undefined, { requiresGrad: true });
    const opt = new optim.SGD([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1, weightDecay: 0 });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.5]);
    expect(opt.paramGroups[1].momentum).toBe(0);
    for (const p of [a, b]) p.grad = tensor([1, 1, 1]);
    opt.step();
    expect(Array.from(a.data())).toEqual(Array.from(Float32Array.from([0.9, 1.9, 2.9])));
    expect(Array.from(b.data())).toEqual([0.5, 1.5, 2.5]);
    opt.paramGroups[0].lr = 1; // what a scheduler does
    opt.step();
    expect(a.data()[0]).toBeCloseTo(-0.1, 6);
    opt.zeroGrad();
    for (const p of [a, b]) p.dispose();
  });

  it("zeroGrad disposes and drops the gradients, or zeroes them in place with setToNone = false", () => {
    const p = tensor([1, 2], undefined, { requiresGrad: true });
    const opt = new optim.Adam([p]);
    const g = tensor([3, 4]);
    p.grad = g;
    opt.zeroGrad(false);
    expect(p.grad).toBe(g);
    expect(Array.from(g.data())).toEqual([0, 0]);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
    expect(g.isDisposed).toBe(true);
    p.dispose();
  });

  it("skips parameters whose gradient is null: no update, no state", () => {
    const a = tensor([1, 2], undefined, { requiresGrad: true });
    const b = tensor([5, 6], undefined, { requiresGrad: true });
    const opt = new optim.Adam([a, b], { lr: 0.1 });
    b.grad = tensor([1, -1]);
    const before = memoryStats().liveTensors;
    opt.step();
    expect(memoryStats().liveTensors - before).toBe(2); // exp_avg and exp_avg_sq of b only
    expect(Array.from(a.data())).toEqual([1, 2]);
    expect(Array.from(b.data())).toEqual(Array.from(Float32Array.from([4.9, 6.1])));
    const sd = opt.stateDict();
    expect(Object.keys(sd.state)).toEqual(["1"]);
    dispose(Object.values(sd.state[1]).filter((t) => t instanceof Tensor));
    opt.dispose();
    expect(memoryStats().liveTensors).toBe(before);
    opt.zeroGrad();
    a.dispose();
    b.dispose();
  });

  it("keeps its state out of the user's tidy scopes", () => {
    const p = tensor([1, 2], undefined, { requiresGrad: true });
    const opt = new optim.SGD([p], { lr: 0.1, momentum: 0.9 });
    tidy(() => {
      p.grad = tensor([1, 1]).untrack();
      opt.step();
    });
    opt.step(); // the momentum buffer is still alive
    expect(p.data()[0]).toBeCloseTo(1 - 0.1 - 0.1 * 1.9, 6);
    opt.dispose();
    opt.zeroGrad();
    p.dispose();
  });

  it("rejects bad construction with clear errors", () => {
    const p = zeros([2], { requiresGrad: true });
    expect(() => new optim.SGD([], { lr: 0.1 })).toThrow(/SGD: got an empty parameter list/);
    expect(() => new optim.SGD([p], { lr: -1 })).toThrow(/SGD: invalid learning rate: -1/);
    expect(() => new optim.SGD([p], { lr: 0.1, nesterov: true })).toThrow(/SGD: invalid nesterov/);
    expect(() => new optim.Adam([p], { betas: [0.9, 1] })).toThrow(/Adam: invalid beta parameter at index 1/);
    expect(() => new optim.AdamW([p], { eps: -1 })).toThrow(/AdamW: invalid epsilon value: -1/);
    expect(() => new optim.Adam([p], { weight_decay: 0.1 } as any)).toThrow(/Adam: unknown option "weight_decay"/);
    expect(() => new optim.Adam([{ params: [p] }, { params: [p] }])).toThrow(/appears more than once/);
    expect(() => new optim.Adam([p.mul(2)])).toThrow(/non-leaf/);
    expect(() => new optim.RMSprop([zeros([2], { dtype: "int32" })])).toThrow(/float32/);
    const opt = new optim.Adam([p]);
    p.grad = zeros([3]);
    expect(() => opt.step()).toThrow(/Adam: gradient \[3\] float32 does not match parameter \[2\]/);
    opt.zeroGrad();
    p.dispose();
  });

  it("addParamGroup adds parameters with their own options", () => {
    const a = zeros([2], { requiresGrad: true });
    const b = zeros([2], { requiresGrad: true });
    const opt = new optim.RMSprop([a], { lr: 0.01 });
    opt.addParamGroup({ params: [b], momentum: 0.9 });
    expect(opt.paramGroups[1]).toMatchObject({ lr: 0.01, momentum: 0.9, alpha: 0.99 });
    expect(() => opt.addParamGroup({ params: [a] })).toThrow(/more than once/);
    a.dispose();
    b.dispose();
  });
});

// ---- state dicts: save after k steps, load into a fresh optimizer over fresh parameters, continue

const resumeConfigs: [string, any][] = [
  ["sgd", { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 }],
  ["adam", { lr: 0.05, amsgrad: true, weightDecay: 0.01 }],
  ["adamw", { lr: 0.05 }],
  ["rmsprop", { lr: 0.01, momentum: 0.5, centered: true }],
  ["adagrad", { lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1 }],
  ["adadelta", { rho: 0.9 }],
];

describe("stateDict / loadStateDict", () => {
  for (const [op, options] of resumeConfigs) {
    it(`${op}: resuming from a state dict continues bit-identically`, () => {
      const target = randn([5, 3]);
      const init = randn([5, 3]).data();
      const run = (steps: number, p: Tensor, opt: optim.Optimizer<any>) => {
        for (let s = 0; s < steps; s++) {
          opt.zeroGrad();
          quadraticGrad(p, target);
          opt.step();
        }
      };
      // uninterrupted: 12 steps, with a group lr change at step 5 (as a scheduler would)
      const pa = tensor(init, [5, 3], { requiresGrad: true });
      const a = makers[op]([pa], options);
      run(5, pa, a);
      a.paramGroups[0].lr *= 0.5;
      run(7, pa, a);

      const pb = tensor(init, [5, 3], { requiresGrad: true });
      const b = makers[op]([pb], options);
      run(5, pb, b);
      b.paramGroups[0].lr *= 0.5;
      const sd = b.stateDict();
      const savedValues = pb.data();
      run(3, pb, b); // the saved copies must not move with the optimizer
      b.dispose();

      // fresh parameters holding the values at save time, and a fresh optimizer
      const pr = tensor(savedValues, [5, 3], { requiresGrad: true });
      const resumed = makers[op]([pr], options);
      resumed.loadStateDict(sd);
      expect(resumed.paramGroups[0].lr).toBe(options.lr === undefined ? 0.5 : options.lr * 0.5);
      run(7, pr, resumed);
      expect(Array.from(pr.data())).toEqual(Array.from(pa.data()));

      a.dispose();
      resumed.dispose();
      for (const t of [target, pa, pb, pr]) {
        t.grad?.dispose();
        t.dispose();
      }
      for (const v of Object.values(sd.state)) for (const t of Object.values(v)) if (t instanceof Tensor) t.dispose();
    });
  }

  it("has PyTorch's layout and key names", () => {
    const w = zeros([2, 2], { requiresGrad: true });
    const bias = zeros([2], { requiresGrad: true });
    const opt = new optim.Adam([{ params: [w], weightDecay: 0.1 }, { params: [bias] }], { lr: 0.01, amsgrad: true });
    bias.grad = tensor([1, 2]);
    opt.step();
    const sd = opt.stateDict();
    expect(Object.keys(sd.state)).toEqual(["1"]);
    expect(Object.keys(sd.state[1]).sort()).toEqual(["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]);
    expect(sd.state[1].step).toBe(1);
    expect(sd.param_groups).toEqual([
      { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.1, amsgrad: true, maximize: false, params: [0] },
      { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: true, maximize: false, params: [1] },
    ]);
    for (const v of Object.values(sd.state)) for (const t of Object.values(v)) if (t instanceof Tensor) t.dispose();
    opt.dispose();
    opt.zeroGrad();
    w.dispose();
    bias.dispose();
  });

  it("rejects a mismatched state dict and changes nothing", () => {
    const p = zeros([3], { requiresGrad: true });
    const q = zeros([4], { requiresGrad: true });
    const opt = new optim.SGD([p], { lr: 0.1, momentum: 0.9 });
    p.grad = tensor([1, 1, 1]);
    opt.step();
    const other = new optim.SGD([q], { lr: 0.7, momentum: 0.9 });
    q.grad = tensor([1, 1, 1, 1]);
    other.step();
    const bad = other.stateDict();
    expect(() => opt.loadStateDict(bad)).toThrow(/SGD.loadStateDict: state 0.momentum_buffer has shape \[4\], its parameter \[3\]/);
    expect(opt.paramGroups[0].lr).toBe(0.1);
    expect(() => opt.loadStateDict({ state: {}, param_groups: [] })).toThrow(/has 0 parameter groups, the optimizer 1/);
    expect(() => opt.loadStateDict({ state: {}, param_groups: [{ lr: 1, params: [0, 1] }] })).toThrow(/group 0 has 2 parameters/);
    opt.step(); // state intact: momentum continues
    expect(p.data()[0]).toBeCloseTo(-0.1 - 0.1 * 1.9, 6);
    dispose([bad.state[0].momentum_buffer as Tensor]);
    for (const o of [opt, other]) {
      o.dispose();
      o.zeroGrad();
    }
    p.dispose();
    q.dispose();
  });
});

function dispose(ts: Tensor[]): void {
  for (const t of ts) t.dispose();
}

// ---- a step updates a whole group in one kernel call, from a table with one row per parameter

describe("one kernel call per parameter group", () => {
  // Which parameters have a gradient at each step: the rows differ from step to step, and so do the
  // parameters' step counts (and whether SGD's momentum buffer is new).
  const schedule = [[0, 1], [0, 1, 2], [1, 2], [0, 2]];

  for (const [op, options] of resumeConfigs) {
    it(`${op}: stepping a group equals stepping each parameter alone, bit for bit`, () => {
      const gen = new Generator(7);
      const sizes = [7, 33, 3];
      const grouped = sizes.map((n) => randn([n], { generator: gen, requiresGrad: true }));
      const alone = grouped.map((p) => tensor(p.data(), p.shape, { requiresGrad: true }));
      const opt = makers[op](grouped, options);
      const single = alone.map((p) => makers[op]([p], options));
      for (const withGrad of schedule) {
        for (const i of withGrad) {
          const g = randn([sizes[i]], { generator: gen });
          grouped[i].grad = g;
          alone[i].grad = g.clone();
        }
        opt.step();
        for (const i of withGrad) single[i].step();
        opt.zeroGrad();
        for (const o of single) o.zeroGrad();
        grouped.forEach((p, i) => expect(Array.from(p.data())).toEqual(Array.from(alone[i].data())));
      }
      for (const o of [opt, ...single]) o.dispose();
      for (const p of [...grouped, ...alone]) p.dispose();
    });
  }

  it("writes the rows after state buffers that grow the wasm memory (which detaches views)", () => {
    const gen = new Generator(8);
    const big = 1 << 20;
    const params = [randn([5], { generator: gen, requiresGrad: true }), randn([big], { generator: gen, requiresGrad: true }), randn([6], { generator: gen, requiresGrad: true })];
    for (const p of params) p.grad = randn(p.shape, { generator: gen });
    // Each update is element-wise, so the first 8 elements of the big parameter stand for all of it.
    const alone = params.map((p) => tensor(p.data().slice(0, 8), [Math.min(p.size, 8)], { requiresGrad: true }));
    alone.forEach((p, i) => (p.grad = tensor(params[i].grad!.data().slice(0, 8), p.shape)));
    const options = { lr: 0.05, amsgrad: true };
    const opt = new optim.Adam(params, options);
    const memoryBefore = memoryStats().wasmMemoryBytes;
    opt.step(); // creates 3 state buffers of 4 MiB for row 1, then row 2's
    expect(memoryStats().wasmMemoryBytes).toBeGreaterThan(memoryBefore);
    const single = alone.map((p) => new optim.Adam([p], options));
    for (const o of single) o.step();
    params.forEach((p, i) => expect(Array.from(p.data().slice(0, 8))).toEqual(Array.from(alone[i].data())));
    for (const o of [opt, ...single]) {
      o.zeroGrad();
      o.dispose();
    }
    for (const p of [...params, ...alone]) p.dispose();
  });

  it("a gradient of the wrong shape in any group leaves every parameter and its state untouched", () => {
    const a = tensor([1, 2], undefined, { requiresGrad: true });
    const b = tensor([3, 4], undefined, { requiresGrad: true });
    const opt = new optim.SGD([{ params: [a] }, { params: [b] }], { lr: 0.1, momentum: 0.9 });
    a.grad = tensor([1, 1]);
    b.grad = tensor([1, 1, 1]);
    expect(() => opt.step()).toThrow(/SGD: gradient \[3\] float32 does not match parameter \[2\]/);
    expect(Array.from(a.data())).toEqual([1, 2]);
    expect(opt.stateDict().state).toEqual({});
    opt.zeroGrad();
    opt.dispose();
    a.dispose();
    b.dispose();
  });
});

describe("steady state", () => {
  for (const [op, options] of [...resumeConfigs, ["adam", { amsgrad: true, maximize: true }] as [string, any]]) {
    it(`${op} ${JSON.stringify(options)}: step() allocates nothing after the first step`, () => {
      const params = [randn([7, 5], { requiresGrad: true }), randn([5], { requiresGrad: true })];
      for (const p of params) p.grad = randn(p.shape);
      const opt = makers[op](params, options);
      opt.step();
      const before = memoryStats();
      for (let s = 2; s <= 100; s++) opt.step();
      expect(memoryStats()).toEqual(before);
      opt.dispose();
      for (const p of params) {
        p.grad!.dispose();
        p.dispose();
      }
    });
  }

  it("a whole training step (forward, backward, clip, Adam step, zeroGrad) keeps memory flat", () => {
    const w1 = randn([16, 8], { std: 0.3, requiresGrad: true });
    const b1 = zeros([16], { requiresGrad: true });
    const w2 = randn([1, 16], { std: 0.3, requiresGrad: true });
    const params = [w1, b1, w2];
    const x = randn([32, 8]);
    const y = randn([32, 1]);
    const opt = new optim.Adam(params, { lr: 1e-2 });
    const losses: number[] = [];
    const trainStep = () =>
      tidy(() => {
        opt.zeroGrad();
        const loss = mean(linear(relu(linear(x, w1, b1)), w2).sub(y).square());
        loss.backward();
        optim.clipGradNorm(params, 1);
        opt.step();
        losses.push(loss.item());
      });
    trainStep();
    trainStep();
    const before = memoryStats();
    for (let s = 3; s <= 100; s++) trainStep();
    expect(memoryStats()).toEqual(before);
    expect(losses[99]).toBeLessThan(losses[0] * 0.5);
    opt.dispose();
    opt.zeroGrad();
    for (const t of [...params, x, y]) t.dispose();
  });
});

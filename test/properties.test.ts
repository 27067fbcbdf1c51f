// Property tests (fast-check, fixed seeds and bounded run counts): the file parsers on random and
// mutated input, state-dict loading under corruption, and random-shape ops against a float64
// JavaScript reference (broadcasting binary ops, reductions, layout round trips, gradients).
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  tensor, tidy, dispose, memoryStats, add, sub, mul, div, maximum, minimum, sum, mean, max, min, logsumexp, var as variance,
  permute, transpose, reshape, indexSelect, split, cat, gradcheck, save, load, manualSeed, nn, type Tensor,
} from "../src/index.js";
import * as sg from "../src/index.js";
import { decodeSafetensors, encodeSafetensors, type RawTensor } from "../src/io/safetensors.js";
import { parseIdx, encodeIdx, type IdxArray } from "../src/data/idx.js";

// A small deterministic generator: values come from a seed, so shrinking works on shapes.
function values(seed: number, n: number, scale = 2): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return ((s / 2 ** 32) * 2 - 1) * scale;
  });
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const stridesOf = (shape: number[]) => shape.map((_, i) => numel(shape.slice(i + 1)));
const make = (shape: number[], seed: number) => tensor(values(seed, numel(shape))).reshape(shape);
const rel = (got: number, want: number, scale: number) => Math.abs(got - want) / Math.max(Math.abs(want), scale, 1e-30);

// An error the library raised on purpose names its source ("safetensors: ...", "idx: ...").
function expectNamedError(run: () => unknown, prefix: RegExp): void {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toMatch(prefix);
    expect((e as Error).message).not.toMatch(/Cannot read|undefined|is not a function|Invalid typed array length|Offset is outside/);
  }
}

describe("parsers on hostile bytes", () => {
  const bytes = fc.uint8Array({ maxLength: 200 });
  const rawTensor = fc.record({ dtype: fc.constantFrom("F32" as const, "I32" as const, "I64" as const, "U8" as const, "F16" as const), shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }) })
    .map(({ dtype, shape }): RawTensor => ({ dtype, shape, data: new Uint8Array(numel(shape) * ({ F32: 4, I32: 4, I64: 8, U8: 1, F16: 2 })[dtype]) }));
  const validFile = fc.dictionary(fc.constantFrom("w", "b", "0.weight", "__proto__", "constructor", "x"), rawTensor, { maxKeys: 4 }).map((d) => encodeSafetensors(d));
  // A valid file with bytes overwritten, the length prefix lying, or the end cut off.
  const mutated = fc.tuple(validFile, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.option(fc.nat({ max: 1 << 20 })), fc.option(fc.nat()))
    .map(([file, edits, lyingLength, cut]) => {
      const out = file.slice();
      for (const [at, b] of edits) if (out.length) out[at % out.length] = b;
      if (lyingLength !== null && out.length >= 8) new DataView(out.buffer).setUint32(0, lyingLength, true);
      return cut === null || !out.length ? out : out.subarray(0, cut % out.length);
    });

  it("decodeSafetensors and load either succeed consistently or throw a named error, allocating nothing on failure", () => {
    for (const input of [bytes, mutated]) {
      fc.assert(fc.property(input, (file) => {
        let decoded: ReturnType<typeof decodeSafetensors> | null = null;
        expectNamedError(() => (decoded = decodeSafetensors(file)), /^safetensors: /);
        if (decoded) {
          for (const t of Object.values((decoded as ReturnType<typeof decodeSafetensors>).tensors)) {
            expect(t.data.byteOffset + t.data.length).toBeLessThanOrEqual(file.byteOffset + file.length);
          }
        }
        const before = memoryStats();
        let sd: Record<string, Tensor> | null = null;
        expectNamedError(() => (sd = load(file)), /^(safetensors|load): /);
        if (sd) dispose(sd);
        expect(memoryStats().bytesInUse).toBe(before.bytesInUse);
        expect(memoryStats().liveTensors).toBe(before.liveTensors);
      }), { numRuns: 300, seed: 10 });
    }
  });

  it("parseIdx either returns data matching its shape or throws a named error", () => {
    const idx = fc.record({ type: fc.constantFrom("u8" as const, "i16" as const, "i32" as const, "f32" as const, "f64" as const), shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }) })
      .map(({ type, shape }): IdxArray => {
        const n = numel(shape);
        const data = { u8: new Uint8Array(n), i16: new Int16Array(n), i32: new Int32Array(n), f32: new Float32Array(n), f64: new Float64Array(n) }[type];
        return { type, shape, data };
      });
    const mutatedIdx = fc.tuple(idx, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.option(fc.nat()))
      .map(([arr, edits, cut]) => {
        const out = encodeIdx(arr).slice();
        for (const [at, b] of edits) out[at % out.length] = b;
        return cut === null ? out : out.subarray(0, cut % out.length);
      });
    for (const input of [bytes, mutatedIdx]) {
      fc.assert(fc.property(input, (file) => {
        let parsed: IdxArray | null = null;
        expectNamedError(() => (parsed = parseIdx(file)), /^idx: /);
        if (parsed) expect((parsed as IdxArray).data.length).toBe(numel((parsed as IdxArray).shape));
      }), { numRuns: 300, seed: 11 });
    }
  });
});

describe("state dicts", () => {
  const corruption = fc.constantFrom("none", "drop", "extra", "shape", "dtype", "disposed", "array", "null", "proto");
  it("loadStateDict with a corrupted entry throws naming the key and leaves the model unchanged; clean ones round-trip through save/load", () => {
    fc.assert(fc.property(corruption, fc.nat({ max: 3 }), fc.integer({ min: 1, max: 1000 }), (kind, which, seed) => {
      manualSeed(seed);
      const model = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
      const source = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
      const before = Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, Array.from(t.data())]));
      const sd = load(save(source.stateDict()));
      const keys = Object.keys(sd);
      const key = keys[which % keys.length];
      const made: Tensor[] = [];
      const state: Record<string, unknown> = Object.assign(Object.create(null), sd);
      if (kind === "drop") delete state[key];
      if (kind === "extra") state["2.extra"] = made[made.push(tensor([1])) - 1];
      if (kind === "shape") state[key] = made[made.push(tensor(values(seed, 5))) - 1];
      if (kind === "dtype") state[key] = made[made.push(sd[key].int()) - 1];
      if (kind === "disposed") sd[key].dispose();
      if (kind === "array") state[key] = [1, 2, 3];
      if (kind === "null") state[key] = null;
      if (kind === "proto") Object.defineProperty(state, "__proto__", { value: made[made.push(tensor([1])) - 1], enumerable: true });
      const x = make([5, 3], seed);
      if (kind === "none") {
        model.loadStateDict(state as Record<string, Tensor>);
        expect(Array.from(tidy(() => model.forward(x).data()))).toEqual(Array.from(tidy(() => source.forward(x).data())));
      } else if (kind === "dtype") {
        // copy_ casts, as in PyTorch: the int32 values (truncated) arrive as float32
        model.loadStateDict(state as Record<string, Tensor>);
        expect(Array.from(model.stateDict()[key].data())).toEqual(Array.from(sd[key].data()).map(Math.trunc).map((v) => v + 0));
      } else {
        expect(() => model.loadStateDict(state as Record<string, Tensor>)).toThrow(kind === "proto" ? /__proto__/ : kind === "extra" ? /2\.extra/ : new RegExp(key.replace(".", "\\.")));
        const after = Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, Array.from(t.data())]));
        expect(after).toEqual(before);
      }
      dispose([...Object.values(sd).filter((t) => !t.isDisposed), ...made, x]);
      dispose([...model.parameters(), ...source.parameters()]);
    }), { numRuns: 60, seed: 12 });
  });
});

describe("optimizer state dicts", () => {
  it("Adam.loadStateDict with a corrupted buffer throws and keeps the old state (the next step matches an untouched twin); a clean one continues the trajectory", () => {
    const kinds = fc.constantFrom("none", "int32", "disposed", "shape", "array", "step", "index");
    fc.assert(fc.property(kinds, fc.nat({ max: 3 }), fc.constantFrom("exp_avg", "exp_avg_sq"), fc.integer({ min: 1, max: 1000 }), (kind, which, buffer, seed) => {
      manualSeed(seed);
      const run = () => {
        const model = new nn.Linear(3, 2);
        const opt = new sg.optim.Adam(model.parameters(), { lr: 0.1 });
        const x = make([4, 3], seed);
        const step = () => tidy(() => { opt.zeroGrad(); model.forward(x).square().sum().backward(); opt.step(); });
        return { model, opt, x, step };
      };
      // a takes three steps; b and its untouched twin c two, so b's state differs from a's
      const a = run(), b = run(), c = run();
      for (const t of [b, c]) t.model.loadStateDict(a.model.stateDict());
      for (let i = 0; i < 3; i++) a.step();
      for (let i = 0; i < 2; i++) { b.step(); c.step(); }
      const sd = a.opt.stateDict();
      const key = which % 2;
      const entry = sd.state[key] as Record<string, unknown>;
      const made: Tensor[] = [];
      if (kind === "int32") entry[buffer] = made[made.push((entry[buffer] as Tensor).int()) - 1];
      if (kind === "disposed") (entry[buffer] as Tensor).dispose();
      if (kind === "shape") entry[buffer] = made[made.push(tensor([1, 2, 3])) - 1];
      if (kind === "array") entry[buffer] = [1, 2, 3];
      if (kind === "step") entry.step = -1;
      if (kind === "index") sd.state[7] = sd.state[key];
      if (kind === "none") {
        // a clean load continues a's trajectory exactly
        b.opt.loadStateDict(sd);
        b.model.loadStateDict(a.model.stateDict());
        a.step(); b.step();
        expect(Array.from(b.model.weight.data())).toEqual(Array.from(a.model.weight.data()));
      } else {
        // a failed load names the entry and leaves b's own state: b steps on exactly as its twin c
        expect(() => b.opt.loadStateDict(sd)).toThrow(kind === "index" ? /state for parameter 7/ : new RegExp(`state ${key}`));
        b.step(); c.step();
        expect(Array.from(b.model.weight.data())).toEqual(Array.from(c.model.weight.data()));
      }
      for (const e of Object.values(sd.state)) for (const v of Object.values(e)) if (v instanceof sg.Tensor && !v.isDisposed) v.dispose();
      dispose([...made, a.x, b.x, c.x]);
      for (const t of [a, b, c]) t.model.dispose();
    }), { numRuns: 50, seed: 17 });
  });
});

// Shapes of up to 4 dims of sizes 1..4 (0..3 where empty tensors are fine).
const shape = (minSize = 1) => fc.array(fc.integer({ min: minSize, max: 4 }), { maxLength: 4 });

describe("ops against a float64 reference", () => {
  // Two shapes that broadcast to `out`: each drops leading dims and sets some dims to 1.
  const broadcastPair = shape(0).chain((out) => fc.tuple(fc.constant(out), ...[0, 1].map(() =>
    fc.tuple(fc.nat({ max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
      .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d))))));
  const ops: [string, (a: Tensor, b: Tensor) => Tensor, (a: number, b: number) => number][] = [
    ["add", add, (a, b) => a + b], ["sub", sub, (a, b) => a - b], ["mul", mul, (a, b) => a * b], ["div", div, (a, b) => a / b],
    ["maximum", maximum, Math.max], ["minimum", minimum, Math.min],
  ];

  it("broadcasting binary ops match the reference elementwise", () => {
    fc.assert(fc.property(broadcastPair, fc.constantFrom(...ops), fc.integer({ min: 1, max: 1 << 30 }), ([, sa, sb], [name, op, ref], seed) => {
      tidy(() => {
        const a = make(sa, seed), b = make(sb, seed + 1);
        const got = op(a, b);
        // the result shape is the broadcast of the two, which can be smaller than `out` when both dropped dims
        const rank = Math.max(sa.length, sb.length);
        const resultShape = Array.from({ length: rank }, (_, i) => {
          const da = sa[sa.length - rank + i] ?? 1, db = sb[sb.length - rank + i] ?? 1;
          return da === 1 ? db : da;
        });
        expect(got.shape, name).toEqual(resultShape);
        const av = a.data(), bv = b.data(), gv = got.data();
        const as = stridesOf(sa), bs = stridesOf(sb), rs = stridesOf(resultShape);
        for (let i = 0; i < gv.length; i++) {
          let ia = 0, ib = 0;
          for (let d = 0; d < rank; d++) {
            const coord = Math.floor(i / rs[d]) % resultShape[d];
            const da = d - (rank - sa.length), db = d - (rank - sb.length);
            if (da >= 0 && sa[da] !== 1) ia += coord * as[da];
            if (db >= 0 && sb[db] !== 1) ib += coord * bs[db];
          }
          expect(rel(gv[i], Math.fround(ref(av[ia], bv[ib])), 1e-6), `${name} ${JSON.stringify([sa, sb])} at ${i}`).toBeLessThan(2e-7);
        }
      });
    }), { numRuns: 150, seed: 13 });
  });

  it("reductions over random dims (sum, mean, max, min, logsumexp, var) match the float64 reference", () => {
    const withDims = shape(1).filter((s) => s.length > 0).chain((s) => fc.tuple(fc.constant(s), fc.subarray(s.map((_, i) => i), { minLength: 1 }), fc.boolean()));
    fc.assert(fc.property(withDims, fc.integer({ min: 1, max: 1 << 30 }), ([s, dims, keepdim], seed) => {
      tidy(() => {
        const x = make(s, seed);
        const xv = x.data();
        const outShape = s.map((d, i) => (dims.includes(i) ? 1 : d));
        const groups = new Map<number, number[]>();
        const st = stridesOf(s), os = stridesOf(outShape);
        for (let i = 0; i < xv.length; i++) {
          let o = 0;
          for (let d = 0; d < s.length; d++) if (!dims.includes(d)) o += (Math.floor(i / st[d]) % s[d]) * os[d];
          (groups.get(o) ?? groups.set(o, []).get(o)!).push(xv[i]);
        }
        const refs: [string, Tensor, (v: number[]) => number][] = [
          ["sum", sum(x, dims, keepdim), (v) => v.reduce((a, b) => a + b, 0)],
          ["mean", mean(x, dims, keepdim), (v) => v.reduce((a, b) => a + b, 0) / v.length],
          ["logsumexp", logsumexp(x, dims, keepdim), (v) => { const m = Math.max(...v); return m + Math.log(v.reduce((a, b) => a + Math.exp(b - m), 0)); }],
          ["var", variance(x, dims, { keepdim }), (v) => { const m = v.reduce((a, b) => a + b, 0) / v.length; return v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1); }],
        ];
        if (dims.length === 1) {
          refs.push(["max", max(x, dims[0], keepdim).values, (v) => Math.max(...v)], ["min", min(x, dims[0], keepdim).values, (v) => Math.min(...v)]);
        }
        for (const [name, got, ref] of refs) {
          expect(got.shape, name).toEqual(keepdim ? outShape : s.filter((_, i) => !dims.includes(i)));
          const gv = got.data();
          for (const [o, v] of groups) {
            const want = ref(v);
            if (Number.isNaN(want)) expect(Number.isNaN(gv[o]), `${name} NaN`).toBe(true);
            else expect(rel(gv[o], want, 1), `${name} over ${JSON.stringify(dims)} of ${JSON.stringify(s)}`).toBeLessThan(1e-5);
          }
        }
      });
    }), { numRuns: 120, seed: 14 });
  });

  it("layout round trips: permute and its inverse, transpose twice, reshape and back, indexSelect by a permutation and its inverse, split and cat", () => {
    const withPerm = shape(1).chain((s) => fc.tuple(fc.constant(s), fc.shuffledSubarray(s.map((_, i) => i), { minLength: s.length, maxLength: s.length })));
    fc.assert(fc.property(withPerm, fc.integer({ min: 1, max: 1 << 30 }), fc.nat(), ([s, perm], seed, pick) => {
      tidy(() => {
        const x = make(s, seed);
        const xv = Array.from(x.data());
        const inverse = perm.map((_, i) => perm.indexOf(i));
        const p = permute(x, perm);
        expect(p.shape).toEqual(perm.map((d) => s[d]));
        expect(Array.from(permute(p, inverse).data())).toEqual(xv);
        if (s.length >= 2) {
          const i = pick % s.length, j = (pick >> 3) % s.length;
          expect(Array.from(transpose(transpose(x, i, j), i, j).data())).toEqual(xv);
        }
        expect(Array.from(reshape(reshape(x, [-1]), s).data())).toEqual(xv);
        if (s.length) {
          const d = pick % s.length;
          const order = Array.from(values(seed, s[d])).map((v, i) => [v, i]).sort((a, b) => a[0] - b[0]).map(([, i]) => i);
          const back = order.map((_, i) => order.indexOf(i));
          const shuffled = indexSelect(x, d, tensor(order, { dtype: "int32" }));
          expect(Array.from(indexSelect(shuffled, d, tensor(back, { dtype: "int32" })).data())).toEqual(xv);
          expect(Array.from(cat(split(x, 1 + (pick % s[d]), d), d).data())).toEqual(xv);
        }
      });
    }), { numRuns: 150, seed: 15 });
  });

  it("gradcheck passes for a composite of broadcasting, softmax and reductions on random shapes", () => {
    const twoD = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }));
    fc.assert(fc.property(twoD, fc.integer({ min: 1, max: 1 << 30 }), fc.integer({ min: 0, max: 2 }), ([a, b, c], seed, dim) => {
      tidy(() => {
        const x = make([a, b, c], seed), w = make([b, 1], seed + 1);
        x.requiresGrad = true;
        w.requiresGrad = true;
        const r = gradcheck((x, w) => mean(mul(x.softmax(dim), add(w, x.tanh())).logsumexp(dim), 0), [x, w]);
        expect(r.ok, r.mismatch ?? "").toBe(true);
      });
    }), { numRuns: 30, seed: 16 });
  });
});

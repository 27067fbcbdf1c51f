// Initializers checked by statistics, as FORMAT.md's "Initializers" section prescribes: at least
// 100,000 draws, |s/σ − 1| < 0.02, |mean| < 0.02·σ, and for uniform inits every |w| ≤ bound and
// max |w| > 0.99·bound.
import { describe, it, expect } from "vitest";
import { nn, Tensor, Generator, matmul } from "../src/index.js";

const init = nn.init;
const MIN_SAMPLES = 100_000;

/** Draws `fill` into a tensor of `shape` until at least 100,000 values are pooled. */
function sample(shape: number[], fill: (t: Tensor) => void): Float64Array {
  const t = Tensor.empty(shape);
  const n = t.size;
  const rounds = Math.ceil(MIN_SAMPLES / n);
  const out = new Float64Array(rounds * n);
  for (let r = 0; r < rounds; r++) {
    fill(t);
    out.set(t.liveData(), r * n);
  }
  t.dispose();
  return out;
}

function expectDistribution(v: Float64Array, sigma: number, bound?: number): void {
  expect(v.length).toBeGreaterThanOrEqual(MIN_SAMPLES);
  let sum = 0;
  for (const x of v) sum += x;
  const mean = sum / v.length;
  let ss = 0;
  for (const x of v) ss += (x - mean) ** 2;
  const s = Math.sqrt(ss / (v.length - 1));
  expect(Math.abs(s / sigma - 1)).toBeLessThan(0.02);
  expect(Math.abs(mean)).toBeLessThan(0.02 * sigma);
  if (bound !== undefined) {
    let maxAbs = 0;
    for (const x of v) maxAbs = Math.max(maxAbs, Math.abs(x));
    // float32 rounding of a value just under the bound may land on the bound's own rounding.
    expect(maxAbs).toBeLessThanOrEqual(Math.fround(bound) * (1 + 1e-7));
    expect(maxAbs).toBeGreaterThan(0.99 * bound);
  }
}

// FORMAT.md's worked examples: fans and the expected σ / bound of each init (kaiming: a = 0, fan_in).
const table = [
  { name: "Linear(784,256)", shape: [256, 784], fanIn: 784, fanOut: 256, xs: 0.0438529, xb: 0.0759555, ks: 0.0505076, kb: 0.0874818, ds: 0.0206197, db: 0.0357143 },
  { name: "Linear(256,10)", shape: [10, 256], fanIn: 256, fanOut: 10, xs: 0.086711, xb: 0.150188, ks: 0.0883883, kb: 0.153093, ds: 0.0360844, db: 0.0625 },
  { name: "Conv2d(3,16,3)", shape: [16, 3, 3, 3], fanIn: 27, fanOut: 144, xs: 0.108148, xb: 0.187317, ks: 0.272166, kb: 0.471405, ds: 0.111111, db: 0.19245 },
  { name: "Conv2d(16,32,5,groups=2)", shape: [32, 8, 5, 5], fanIn: 200, fanOut: 800, xs: 0.0447214, xb: 0.0774597, ks: 0.1, kb: 0.173205, ds: 0.0408248, db: 0.0707107 },
];

describe("nn.init", () => {
  it("calculateGain and calculateFans follow PyTorch", () => {
    expect(init.calculateGain("linear")).toBe(1);
    expect(init.calculateGain("conv2d")).toBe(1);
    expect(init.calculateGain("sigmoid")).toBe(1);
    expect(init.calculateGain("tanh")).toBeCloseTo(5 / 3, 12);
    expect(init.calculateGain("relu")).toBeCloseTo(Math.SQRT2, 12);
    expect(init.calculateGain("leaky_relu")).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 12);
    expect(init.calculateGain("leaky_relu", 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 12);
    expect(init.calculateGain("selu")).toBe(0.75);
    expect(() => init.calculateGain("swish" as any)).toThrow(/unsupported nonlinearity "swish"/);
    expect(init.calculateFans([64, 3, 5, 5])).toEqual([75, 1600]);
    expect(() => init.calculateFans([10])).toThrow(/at least 2 dims/);
  });

  for (const row of table) {
    it(`${row.name} ${JSON.stringify(row.shape)}: fans, σ and bounds match the worked example and the draws`, () => {
      expect(init.calculateFans(row.shape)).toEqual([row.fanIn, row.fanOut]);
      const g = new Generator(row.fanIn);
      const xavierSigma = Math.sqrt(2 / (row.fanIn + row.fanOut));
      expect(xavierSigma).toBeCloseTo(row.xs, 6);
      expect(Math.sqrt(3) * xavierSigma).toBeCloseTo(row.xb, 5);
      expectDistribution(sample(row.shape, (t) => init.xavierUniform_(t, 1, { generator: g })), row.xs, row.xb);
      expectDistribution(sample(row.shape, (t) => init.xavierNormal_(t, 1, { generator: g })), row.xs);
      expectDistribution(sample(row.shape, (t) => init.kaimingUniform_(t, { generator: g })), row.ks, row.kb);
      expectDistribution(sample(row.shape, (t) => init.kaimingUniform_(t, { nonlinearity: "relu", generator: g })), row.ks, row.kb);
      expectDistribution(sample(row.shape, (t) => init.kaimingNormal_(t, { generator: g })), row.ks);
      // PyTorch's default Linear/Conv2d weight init: kaiming_uniform(a = √5).
      expectDistribution(sample(row.shape, (t) => init.kaimingUniform_(t, { a: Math.sqrt(5), generator: g })), row.ds, row.db);
    });
  }

  it("nn.Linear(784, 256) draws its weight from the default distribution", () => {
    const { ds, db } = table[0];
    const layer = new nn.Linear(784, 256, { generator: new Generator(1) });
    expectDistribution(Float64Array.from(layer.weight.liveData()), ds, db);
    layer.dispose();
  });

  it("honours gain, mode fanOut and the leaky_relu slope on a [500, 200] weight", () => {
    const g = new Generator(2);
    const [fanIn, fanOut] = [200, 500];
    expectDistribution(sample([500, 200], (t) => init.xavierUniform_(t, 2, { generator: g })), 2 * Math.sqrt(2 / (fanIn + fanOut)), 2 * Math.sqrt(6 / (fanIn + fanOut)));
    expectDistribution(sample([500, 200], (t) => init.kaimingNormal_(t, { mode: "fanOut", nonlinearity: "relu", generator: g })), Math.SQRT2 / Math.sqrt(fanOut));
    const gain = Math.sqrt(2 / (1 + 0.3 ** 2));
    expectDistribution(sample([500, 200], (t) => init.kaimingUniform_(t, { a: 0.3, mode: "fanOut", generator: g })), gain / Math.sqrt(fanOut), gain * Math.sqrt(3 / fanOut));
    expect(() => init.kaimingUniform_(Tensor.empty([4, 4]), { mode: "fan_in" as any })).toThrow(/mode must be "fanIn" or "fanOut"/);
  });

  it("uniform, normal, constant, zeros and ones fill in place and return the tensor", () => {
    const g = new Generator(3);
    expectDistribution(sample([500, 200], (t) => init.uniform_(t, -0.5, 0.5, { generator: g })), 1 / Math.sqrt(12), 0.5);
    const shifted = sample([500, 200], (t) => init.normal_(t, 2, 0.1, { generator: g })).map((v) => v - 2);
    expectDistribution(shifted, 0.1);
    const t = Tensor.empty([3, 2]);
    expect(init.constant_(t, 1.5)).toBe(t);
    expect(Array.from(t.liveData())).toEqual(new Array(6).fill(1.5));
    expect(Array.from(init.zeros_(t).liveData())).toEqual(new Array(6).fill(0));
    expect(Array.from(init.ones(t).liveData())).toEqual(new Array(6).fill(1));
    expect(() => init.uniform_(Tensor.empty([2], "int32"))).toThrow(/expected a float32 tensor, got int32/);
  });

  it("is reproducible from a seeded generator", () => {
    const a = init.kaimingNormal_(Tensor.empty([20, 30]), { generator: new Generator(7) });
    const b = init.kaimingNormal_(Tensor.empty([20, 30]), { generator: new Generator(7) });
    expect(Array.from(a.liveData())).toEqual(Array.from(b.liveData()));
  });

  for (const shape of [[50, 120], [120, 50], [16, 3, 3, 3]]) {
    it(`orthogonal gives orthonormal rows or columns scaled by gain (${JSON.stringify(shape)})`, () => {
      const gain = 1.5;
      const w = init.orthogonal_(Tensor.empty(shape), gain, { generator: new Generator(8) });
      const rows = shape[0], cols = w.size / rows;
      const m = w.reshape([rows, cols]);
      const gram = rows <= cols ? matmul(m, m.T) : matmul(m.T, m);
      const k = Math.min(rows, cols);
      const v = gram.liveData();
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < k; j++) expect(v[i * k + j]).toBeCloseTo(i === j ? gain * gain : 0, 4);
      }
    });
  }
});

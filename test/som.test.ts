// nn.SOM: grids, best-matching units through the GEMM, online and batch training on closed-form
// cases (a 1-D map of 1-D data orders itself), quantisation/topographic error, the U-matrix,
// component planes, and the option errors.
import { describe, it, expect } from "vitest";
import { nn, tensor, rand, linspace, Generator, memoryStats, type Tensor } from "../src/index.js";

const values = (t: Tensor) => Array.from(t.liveData());

/** A SOM with a given codebook. */
function somWith(rows: number, cols: number, codebook: number[][], options: nn.SOMOptions = {}): nn.SOM {
  const som = new nn.SOM(rows, cols, codebook[0].length, options);
  const w = tensor(codebook);
  som.weight.copy_(w);
  w.dispose();
  return som;
}

const isMonotone = (v: number[]) => v.every((x, i) => i === 0 || x > v[i - 1]) || v.every((x, i) => i === 0 || x < v[i - 1]);

describe("SOM grids", () => {
  it("rectangular: 4 neighbours at distance 1, diagonals at √2", () => {
    const som = new nn.SOM(3, 3, 2);
    const d = som.gridDistances(), adj = som.adjacency();
    const dv = values(d), av = values(adj);
    expect(dv[4 * 9 + 1]).toBeCloseTo(1, 6); // centre (1,1) to (0,1)
    expect(dv[4 * 9 + 0]).toBeCloseTo(Math.SQRT2, 6);
    expect(dv[0 * 9 + 8]).toBeCloseTo(Math.sqrt(8), 6);
    expect(av.slice(4 * 9, 5 * 9)).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0]);
    expect(values(adj.sum(1))).toEqual([2, 3, 2, 3, 4, 3, 2, 3, 2]);
    for (const t of [d, adj]) t.dispose();
    som.dispose();
  });

  it("hexagonal: odd rows shifted by half, 6 neighbours at distance 1", () => {
    const som = new nn.SOM(3, 3, 2, { topology: "hexagonal" });
    const d = som.gridDistances(), adj = som.adjacency();
    const dv = values(d);
    // unit 4 = (row 1, col 1) at (1.5, √3/2): its neighbours are 1, 2 (row above), 3, 5, 7, 8 (row below)
    expect(values(adj).slice(4 * 9, 5 * 9)).toEqual([0, 1, 1, 1, 0, 1, 0, 1, 1]);
    for (const u of [1, 2, 3, 5, 7, 8]) expect(dv[4 * 9 + u]).toBeCloseTo(1, 5);
    expect(dv[4 * 9 + 0]).toBeCloseTo(Math.sqrt(3), 5); // (0,0) at (0,0) to (1.5, √3/2)
    expect(dv[0 * 9 + 6]).toBeCloseTo(Math.sqrt(3), 5); // two rows down, same column
    expect(values(adj.sum(1))).toEqual([2, 4, 3, 5, 6, 3, 2, 4, 3]);
    for (const t of [d, adj]) t.dispose();
    som.dispose();
  });
});

describe("SOM best-matching units and errors", () => {
  it("bmu, map and distances agree with the direct computation", () => {
    const g = new Generator(3);
    const x = rand([40, 5], { generator: g });
    const som = new nn.SOM(2, 3, 5, { generator: g });
    const d = som.distances(x), bmu = som.bmu(x), pos = som.map(x), fwd = som.forward(x);
    const xv = values(x), wv = values(som.weight), dv = values(d), bv = values(bmu);
    for (let i = 0; i < 40; i++) {
      let best = -1, bestD = Infinity;
      for (let u = 0; u < 6; u++) {
        let s = 0;
        for (let k = 0; k < 5; k++) s += (xv[i * 5 + k] - wv[u * 5 + k]) ** 2;
        expect(dv[i * 6 + u]).toBeCloseTo(s, 5);
        if (s < bestD) [best, bestD] = [u, s];
      }
      expect(bv[i]).toBe(best);
    }
    expect(bmu.dtype).toBe("int32");
    expect(values(fwd)).toEqual(bv);
    expect(pos.shape).toEqual([40, 2]);
    expect(values(pos)).toEqual(bv.flatMap((u) => [Math.floor(u / 3), u % 3]));
    for (const t of [x, d, bmu, pos, fwd]) t.dispose();
    som.dispose();
  });

  it("quantisation and topographic error on a known codebook", () => {
    const x = tensor([[0.4], [1.2], [2.5], [0.9]]);
    const ordered = somWith(1, 3, [[0], [1], [2]]);
    expect(ordered.quantizationError(x)).toBeCloseTo((0.4 + 0.2 + 0.5 + 0.1) / 4, 6);
    expect(ordered.topographicError(x)).toBe(0);
    // codebook 0, 2, 1 along the line: for 0.4 the best is unit 0 and the second unit 2 (value 1), not a neighbour
    const twisted = somWith(1, 3, [[0], [2], [1]]);
    // 0.4: 0 then 1 (unit 2) -> error; 1.2: 1 (unit 2) then 2 (unit 1) -> neighbours; 2.5: 2 (unit 1) then 1 (unit 2) -> ok; 0.9: unit 2 then unit 0 -> error
    expect(twisted.topographicError(x)).toBe(0.5);
    x.dispose();
    ordered.dispose();
    twisted.dispose();
  });

  it("the U-matrix of a known codebook is the mean distance to the grid neighbours", () => {
    // units (0,0)=0, (0,1)=1, (1,0)=3, (1,1)=7 on a 2x2 rectangular grid
    const som = somWith(2, 2, [[0], [1], [3], [7]]);
    const u = som.uMatrix();
    expect(u.shape).toEqual([2, 2]);
    values(u).forEach((v, i) => expect(v).toBeCloseTo([(1 + 3) / 2, (1 + 6) / 2, (3 + 4) / 2, (6 + 4) / 2][i], 5));
    u.dispose();
    // 2-D vectors on a hexagonal 2x2 grid: unit 0 neighbours 1 and 2; unit 1 neighbours 0, 2, 3
    const hex = somWith(2, 2, [[0, 0], [3, 4], [0, 1], [6, 8]], { topology: "hexagonal" });
    const uh = values(hex.uMatrix());
    expect(uh[0]).toBeCloseTo((5 + 1) / 2, 5);
    expect(uh[1]).toBeCloseTo((5 + Math.hypot(3, 3) + 5) / 3, 5);
    expect(uh[3]).toBeCloseTo((5 + Math.hypot(6, 7)) / 2, 5);
    som.dispose();
    hex.dispose();
  });

  it("component planes lay each feature out on the grid", () => {
    const som = somWith(2, 3, [[1, 10], [2, 20], [3, 30], [4, 40], [5, 50], [6, 60]]);
    const planes = som.componentPlanes();
    expect(planes.shape).toEqual([2, 2, 3]);
    expect(values(planes)).toEqual([1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60]);
    planes.dispose();
    som.dispose();
  });
});

describe("SOM training", () => {
  for (const mode of ["online", "batch"] as const) {
    for (const decay of ["linear", "exponential"] as const) {
      it(`${mode} (${decay} decay): a 1-D map of uniform 1-D data becomes ordered, its error falls, its topographic error is 0`, () => {
        const g = new Generator(7);
        const x = rand([300, 1], { generator: g });
        // start collapsed near 0.5 in random order, so the ordering is the training's doing
        const som = new nn.SOM(1, 10, 1, { generator: g });
        som.weight.mul_(0.1).add_(0.45);
        const before = som.quantizationError(x);
        som.fit(x, mode === "online"
          ? { mode, epochs: 5, sigma0: 5, sigmaEnd: 0.5, lr0: 0.5, lrEnd: 0.01, decay, generator: g }
          : { mode, epochs: 20, sigma0: 5, sigmaEnd: 0.5, decay });
        const w = values(som.weight);
        expect(isMonotone(w)).toBe(true);
        // the ordered map of U(0, 1) by 10 units: each unit quantises about 1/10 of the line, mean error ≈ 1/40
        const after = som.quantizationError(x);
        expect(after).toBeLessThan(before / 5);
        expect(after).toBeLessThan(0.035);
        expect(som.topographicError(x)).toBe(0);
        expect(Math.min(...w)).toBeGreaterThan(0);
        expect(Math.max(...w)).toBeLessThan(1);
        x.dispose();
        som.dispose();
      });
    }
  }

  it("batch mode with the bubble neighbourhood below the grid spacing is a k-means step", () => {
    const x = tensor([[0], [0.2], [0.9], [1.1], [5]]);
    const som = somWith(1, 3, [[0], [1], [4]]);
    som.fit(x, { mode: "batch", epochs: 1, neighborhood: "bubble", sigma0: 0.5, sigmaEnd: 0.5 });
    expect(values(som.weight).map((v) => +v.toFixed(5))).toEqual([0.1, 1, 5]);
    // a unit no sample reaches keeps its vector
    const lonely = somWith(1, 3, [[0], [100], [4]]);
    lonely.fit(x, { mode: "batch", epochs: 1, neighborhood: "bubble", sigma0: 0.5, sigmaEnd: 0.5 });
    expect(values(lonely.weight).map((v) => +v.toFixed(5))).toEqual([0.55, 100, 5]);
    x.dispose();
    som.dispose();
    lonely.dispose();
  });

  it("one online step moves the winner and its neighbours by lr·h", () => {
    const x = tensor([[1]]);
    const som = somWith(1, 3, [[0], [0.5], [3]]);
    // one sample, one step: t = 1, so σ = sigmaEnd and lr = lrEnd; the winner is unit 1
    som.fit(x, { mode: "online", epochs: 1, sigma0: 1, sigmaEnd: 1, lr0: 0.5, lrEnd: 0.5, shuffle: false });
    const h1 = Math.exp(-1 / 2);
    const w = values(som.weight);
    expect(w[0]).toBeCloseTo(0 + 0.5 * h1 * 1, 6);
    expect(w[1]).toBeCloseTo(0.5 + 0.5 * 0.5, 6);
    expect(w[2]).toBeCloseTo(3 + 0.5 * h1 * (1 - 3), 6);
    x.dispose();
    som.dispose();
  });

  it("a 2-D map of the unit square has a small topographic error (hexagonal, online) and memory stays flat", () => {
    const g = new Generator(11);
    const x = rand([400, 2], { generator: g });
    const som = new nn.SOM(5, 5, 2, { topology: "hexagonal", generator: g }).initFromSamples(x, g);
    som.fit(x, { mode: "online", epochs: 2, sigma0: 2.5, sigmaEnd: 0.7, generator: g });
    const stats = memoryStats();
    som.fit(x, { mode: "online", epochs: 1, sigma0: 0.7, sigmaEnd: 0.5, lr0: 0.05, generator: g });
    som.fit(x, { mode: "batch", epochs: 3, sigma0: 0.7, sigmaEnd: 0.5 });
    const { bytesInUse, liveTensors } = memoryStats();
    expect({ bytesInUse, liveTensors }).toEqual({ bytesInUse: stats.bytesInUse, liveTensors: stats.liveTensors });
    expect(som.topographicError(x)).toBeLessThan(0.15);
    expect(som.quantizationError(x)).toBeLessThan(0.12);
    expect(Object.keys(som.stateDict())).toEqual(["weight"]);
    x.dispose();
    som.dispose();
  });
});

describe("SOM errors", () => {
  it("names the option or input that is wrong and leaves the model intact", () => {
    const som = new nn.SOM(2, 2, 3);
    const x = tensor([[1, 2, 3]]);
    const wrong = linspace(0, 1, 4).reshape([2, 2]);
    const single = new nn.SOM(1, 1, 3);
    const w = values(som.weight);
    const stats = memoryStats();
    expect(() => new nn.SOM(0, 2, 3)).toThrow(/SOM: rows must be a positive integer, got 0/);
    expect(() => new nn.SOM(2, 2.5, 3)).toThrow(/SOM: cols must be a positive integer/);
    expect(() => new nn.SOM(2, 2, 3, { topology: "triangle" as never })).toThrow(/SOM: topology must be "rectangular" or "hexagonal", got "triangle"/);
    expect(() => new nn.SOM(2, 2, 3, { shape: 1 } as never)).toThrow(/SOM: unknown option "shape"/);
    expect(() => som.fit(x, { epochs: 0 })).toThrow(/SOM.fit: epochs must be a positive integer, got 0/);
    expect(() => som.fit(x, { sigma0: -1 })).toThrow(/SOM.fit: sigma0 must be a positive number, got -1/);
    expect(() => som.fit(x, { mode: "online", lrEnd: 0 })).toThrow(/SOM.fit: lrEnd must be a positive number/);
    expect(() => som.fit(x, { mode: "minibatch" as never })).toThrow(/SOM.fit: mode must be "batch" or "online"/);
    expect(() => som.fit(x, { neighborhood: "mexican" as never })).toThrow(/SOM.fit: neighborhood must be "gaussian" or "bubble"/);
    expect(() => som.fit(x, { decay: "cosine" as never })).toThrow(/SOM.fit: decay must be "linear" or "exponential"/);
    expect(() => som.fit(x, { lr0: 0.1 })).toThrow(/SOM.fit: lr0 applies to mode "online" only/);
    expect(() => som.fit(x, { shuffle: false })).toThrow(/SOM.fit: shuffle applies to mode "online" only/);
    expect(() => som.fit(x, { radius: 1 } as never)).toThrow(/SOM.fit: unknown option "radius"/);
    expect(() => som.bmu(wrong)).toThrow(/SOM.bmu: expected float32 samples \[N, 3\] with N ≥ 1, got float32 \[2, 2\]/);
    expect(() => som.quantizationError(wrong)).toThrow(/SOM.quantizationError: expected float32 samples \[N, 3\]/);
    expect(() => som.initFromSamples(x)).toThrow(/SOM.initFromSamples: need at least 4 samples \(one per unit\), got 1/);
    expect(() => single.topographicError(x)).toThrow(/SOM.topographicError: needs at least 2 units/);
    expect(memoryStats()).toEqual(stats);
    expect(values(som.weight)).toEqual(w);
    single.dispose();
    x.dispose();
    wrong.dispose();
    som.dispose();
  });
});

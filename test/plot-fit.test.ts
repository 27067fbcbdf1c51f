import { describe, it, expect, beforeAll } from "vitest";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { init, manualSeed, memoryStats, nn, optim, randn, randint, Generator, type Tensor } from "../src/index.js";
import { TensorDataset } from "../src/data/dataset.js";
import { DataLoader } from "../src/data/dataloader.js";
import { fit, fitAsync } from "../src/train/fit.js";
import type { EpochFigures } from "../src/train/plot-epochs.js";
import { plotFiles } from "../src/node.js";
import { decodePng, embeddedImages } from "./helpers/png.js";

// fit's plot option: after each epoch the learning curves so far and the first layer's weights as
// images, into an element or a function; plotFiles writes them to files.

beforeAll(() => init());

function data(n: number, features: number): { loader: DataLoader; x: Tensor; y: Tensor } {
  const x = randn([n, features]), y = randint(0, 3, [n]);
  return { x, y, loader: new DataLoader(new TensorDataset(x, y), { batchSize: 16, shuffle: true, generator: new Generator(1) }) };
}
const markers = (svg: string) => (svg.match(/class="marker"/g) ?? []).length;

describe("fit({ plot })", () => {
  it("hands each epoch's curves and the first Linear layer's weights (as 4×4 images) to a function", () => {
    manualSeed(0);
    const { loader } = data(64, 16);
    const model = new nn.Sequential(new nn.Linear(16, 6), new nn.ReLU(), new nn.Linear(6, 3));
    const figures: EpochFigures[] = [];
    const history = fit(model, { train: loader, val: loader, optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }), loss: nn.functional.crossEntropy, epochs: 3, plot: { to: (f) => figures.push(f), maxUnits: 4 } });
    expect(figures.map((f) => f.epoch)).toEqual([1, 2, 3]);
    expect(figures.map((f) => markers(f.curves))).toEqual([2, 4, 6]); // training and validation, one dot per epoch so far
    expect(figures[2].curves).toContain(">epoch 3</text>");
    const [grid] = embeddedImages(figures[2].weights!);
    // 4 units of 4×4 in a 2×2 mosaic with 1 px of padding.
    expect([grid.width, grid.height]).toEqual([11, 11]);
    expect(history.epochs).toHaveLength(3);
  });

  it("draws into an element (anything with innerHTML), with a Conv2d first layer's filters, in fitAsync too", async () => {
    const x = randn([8, 1, 6, 6]), y = randint(0, 2, [8]);
    const model = new nn.Sequential(new nn.Conv2d(1, 3, 3), new nn.Flatten(), new nn.Linear(48, 2));
    const container = { innerHTML: "" };
    await fitAsync(model, { train: new DataLoader(new TensorDataset(x, y), { batchSize: 4 }), optimizer: new optim.SGD(model.parameters(), { lr: 0.01 }), loss: nn.functional.crossEntropy, epochs: 2, plot: { to: container, metric: "error" } });
    const svgs = container.innerHTML.match(/<svg /g) ?? [];
    expect(svgs).toHaveLength(2);
    const [filters] = embeddedImages(container.innerHTML);
    expect([filters.width, filters.height]).toEqual([2 * 3 + 3, 2 * 3 + 3]); // 3 filters of 3×3, two per row
    expect(container.innerHTML).toContain(">error</text>");
  });

  it("memory stays flat while it draws every epoch", () => {
    const { loader } = data(32, 16);
    const model = new nn.Sequential(new nn.Linear(16, 4), new nn.Linear(4, 3));
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    const run = () => fit(model, { train: loader, optimizer: opt, loss: nn.functional.crossEntropy, epochs: 3, plot: { to: () => {} } });
    run();
    const before = memoryStats().liveTensors;
    run();
    expect(memoryStats().liveTensors).toBe(before);
  });

  it("bad plot options are errors before training starts", () => {
    const { loader } = data(16, 5);
    const model = new nn.Sequential(new nn.Linear(5, 3));
    const weight = model.parameters()[0].data();
    const go = (plot: unknown) => () => fit(model, { train: loader, optimizer: new optim.SGD(model.parameters(), { lr: 1 }), loss: nn.functional.crossEntropy, epochs: 1, plot: plot as never });
    expect(go({ to: () => {}, colour: 1 })).toThrow(/fit: plot: unknown option "colour"/);
    expect(go({})).toThrow(/fit: plot.to is required/);
    expect(go({ to: "div" })).toThrow(/fit: plot: to must be an element \(with innerHTML\) or a function/);
    expect(go({ to: () => {}, weights: true })).toThrow(/fit: plot.weights: the first Linear layer's 5 inputs are not a square image; pass plot.imageShape/);
    expect(go({ to: () => {}, imageShape: [2, 2] })).toThrow(/fit: plot.imageShape \[2, 2\] is not the first layer's 5 inputs/);
    expect(model.parameters()[0].data()).toEqual(weight); // no step was taken
    // Not images and not asked for: curves only.
    const figures: EpochFigures[] = [];
    go({ to: (f: EpochFigures) => figures.push(f) })();
    expect(figures[0].weights).toBeNull();
  });
});

describe("plotFiles (simdgrad/node)", () => {
  it("writes each epoch's figures as PNG and SVG, {epoch} in a path keeping them all", async () => {
    const dir = mkdtempSync(join(tmpdir(), "simdgrad-plot-fit-"));
    const { loader } = data(32, 9);
    const model = new nn.Sequential(new nn.Linear(9, 4), new nn.Linear(4, 3));
    const to = await plotFiles({ curves: join(dir, "curves.svg"), weights: join(dir, "w1-{epoch}.png") }, { scale: 1 });
    fit(model, { train: loader, optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }), loss: nn.functional.crossEntropy, epochs: 2, plot: { to } });
    expect(markers(readFileSync(join(dir, "curves.svg"), "utf8"))).toBe(2); // the last epoch's, training only
    for (const epoch of [1, 2]) expect(decodePng(readFileSync(join(dir, `w1-${epoch}.png`))).width).toBeGreaterThan(10);
    expect(existsSync(join(dir, "w1-3.png"))).toBe(false);
    await expect(plotFiles({})).rejects.toThrow(/plotFiles: give a path for curves, weights or both/);
    await expect(plotFiles({ curves: "c.gif" })).rejects.toThrow(/plotFiles: "c.gif" must end in .svg or .png/);
    await expect(plotFiles({ curve: "c.png" } as never)).rejects.toThrow(/plotFiles: unknown option "curve"/);
  });
});

import { describe, it, expect } from "vitest";
import { tensor, randn, zeros, ones, batchNorm, layerNorm, groupNorm, gradcheck, manualSeed, tidy, noGrad, nn } from "../src/index.js";

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-4): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(tol * (1 + Math.abs(want[i])));
}

/** Per-channel mean and biased variance of x viewed as [N, C, L], in float64. */
function channelStats(x: ArrayLike<number>, N: number, C: number, L: number): { mean: number[]; variance: number[] } {
  const mean: number[] = [], variance: number[] = [];
  for (let c = 0; c < C; c++) {
    const vals: number[] = [];
    for (let n = 0; n < N; n++) for (let l = 0; l < L; l++) vals.push(x[(n * C + c) * L + l]);
    const m = vals.reduce((a, b) => a + b, 0) / vals.length;
    mean.push(m);
    variance.push(vals.reduce((a, b) => a + (b - m) ** 2, 0) / vals.length);
  }
  return { mean, variance };
}

/** y = (x − mean[c])/sqrt(var[c] + eps)·w[c] + b[c] over [N, C, L]. */
function normalizeChannels(x: ArrayLike<number>, N: number, C: number, L: number, mean: number[], variance: number[], w?: ArrayLike<number>, b?: ArrayLike<number>, eps = 1e-5): number[] {
  const y: number[] = [];
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let l = 0; l < L; l++) {
    y.push(((x[(n * C + c) * L + l] - mean[c]) / Math.sqrt(variance[c] + eps)) * (w ? w[c] : 1) + (b ? b[c] : 0));
  }
  return y;
}

describe("batchNorm", () => {
  it("normalises with the batch statistics in training and updates the running ones (unbiased variance)", () => {
    manualSeed(1);
    for (const shape of [[6, 3], [4, 3, 5], [2, 3, 4, 3]]) {
      tidy(() => {
        const [N, C] = shape, L = shape.slice(2).reduce((a, b) => a * b, 1), n = N * L;
        const x = randn(shape, { mean: 2, std: 3 }), w = randn([C]), b = randn([C]);
        const rm = randn([C]), rv = randn([C]).abs();
        const rm0 = Array.from(rm.data()), rv0 = Array.from(rv.data());
        const y = batchNorm(x, rm, rv, w, b, { training: true, momentum: 0.1 });
        const { mean, variance } = channelStats(x.data(), N, C, L);
        expectClose(y.data(), normalizeChannels(x.data(), N, C, L, mean, variance, w.data(), b.data()));
        expectClose(rm.data(), rm0.map((v, c) => 0.9 * v + 0.1 * mean[c]));
        expectClose(rv.data(), rv0.map((v, c) => 0.9 * v + 0.1 * variance[c] * n / (n - 1)));
      });
    }
  });

  it("uses the running statistics in eval and leaves them unchanged", () => {
    const x = randn([3, 2, 4]), rm = tensor([0.5, -1]), rv = tensor([2, 0.25]);
    const y = batchNorm(x, rm, rv, null, tensor([1, 2]), { training: false });
    expectClose(y.data(), normalizeChannels(x.data(), 3, 2, 4, [0.5, -1], [2, 0.25], undefined, [1, 2]));
    expect(Array.from(rm.data())).toEqual([0.5, -1]);
    expect(Array.from(rv.data())).toEqual([2, 0.25]);
  });

  it("passes gradcheck in training (through the batch statistics) with and without affine, and in eval", () => {
    manualSeed(2);
    const x = randn([3, 2, 5], { requiresGrad: true }), w = randn([2], { requiresGrad: true }), b = randn([2], { requiresGrad: true });
    const train = (x: any, w?: any, b?: any) => batchNorm(x, zeros([x.shape[1]]), ones([x.shape[1]]), w, b, { training: true });
    expect(gradcheck((x, w, b) => train(x, w, b), [x, w, b]).mismatch).toBeNull();
    expect(gradcheck((x) => train(x), [x]).mismatch).toBeNull();
    const x4 = randn([2, 3, 3, 2], { requiresGrad: true });
    expect(gradcheck((x) => train(x), [x4]).mismatch).toBeNull();
    expect(gradcheck((x) => train(x, null, null), [randn([5, 4], { requiresGrad: true })]).mismatch).toBeNull();
    const evalBn = (x: any, w: any, b: any) => batchNorm(x, tensor([0.3, -0.2]), tensor([1.5, 0.7]), w, b, { training: false });
    expect(gradcheck(evalBn, [x, w, b]).mismatch).toBeNull();
  });

  it("rejects one value per channel in training, mismatched statistics and low rank", () => {
    const rm = zeros([3]), rv = ones([3]);
    expect(() => batchNorm(randn([1, 3]), rm, rv, null, null, { training: true })).toThrow(/expected more than 1 value per channel when training, got input size \[1, 3\]/);
    expect(() => batchNorm(randn([1, 3, 1, 1]), rm, rv, null, null, { training: true })).toThrow(/more than 1 value per channel/);
    expect(Array.from(rm.data())).toEqual([0, 0, 0]);
    expect(batchNorm(randn([1, 3]), rm, rv, null, null, { training: false }).shape).toEqual([1, 3]);
    expect(() => batchNorm(randn([4, 2]), rm, rv, null, null, { training: true })).toThrow(/runningMean must be float32 \[2\], got float32 \[3\]/);
    expect(() => batchNorm(randn([4]), null, null, null, null, { training: true })).toThrow(/rank 2 or more/);
    expect(() => batchNorm(randn([4, 3]), null, null)).toThrow(/required in evaluation mode/);
  });
});

describe("layerNorm and groupNorm", () => {
  it("layerNorm normalises over the trailing dims and passes gradcheck", () => {
    manualSeed(3);
    const x = randn([2, 3, 4], { requiresGrad: true }), w = randn([3, 4], { requiresGrad: true }), b = randn([3, 4], { requiresGrad: true });
    const y = layerNorm(x, [3, 4], w, b);
    // Each sample is one "channel" over 12 elements, then the elementwise affine.
    const { mean, variance } = channelStats(x.data(), 1, 2, 12);
    const plain = normalizeChannels(x.data(), 1, 2, 12, mean, variance);
    const wv = w.data(), bv = b.data();
    expectClose(y.data(), plain.map((v, i) => v * wv[i % 12] + bv[i % 12]));
    expect(gradcheck((x, w, b) => layerNorm(x, [3, 4], w, b), [x, w, b]).mismatch).toBeNull();
    expect(gradcheck((x) => layerNorm(x, 4), [x]).mismatch).toBeNull();
    expect(() => layerNorm(x, [4, 3])).toThrow(/input \[2, 3, 4\] does not end with normalizedShape \[4, 3\]/);
    expect(() => layerNorm(x, 4, randn([3]))).toThrow(/weight must be float32 \[4\]/);
  });

  it("rows of single-element channels (layerNorm, groupNorm of [N, C]) match the closed form in float64: vector body, tails, several sum blocks", () => {
    // Per row of D: x̂ = (x − m)·rs, ĝ = g·w, dx = rs·(ĝ − mean ĝ − x̂·mean(ĝ·x̂)), dw += g·x̂, db += g;
    // the affine of row r starts at channel (r % G)·D.
    function reference(x: Float32Array, g: Float32Array, w: Float32Array, b: Float32Array, D: number, G: number) {
      const rows = x.length / D, y: number[] = [], dx: number[] = [], dw = new Array<number>(w.length).fill(0), db = new Array<number>(w.length).fill(0);
      for (let r = 0; r < rows; r++) {
        const xs = Array.from(x.subarray(r * D, (r + 1) * D)), gs = g.subarray(r * D, (r + 1) * D), a = (r % G) * D;
        const m = xs.reduce((s, v) => s + v, 0) / D, rs = 1 / Math.sqrt(xs.reduce((s, v) => s + (v - m) ** 2, 0) / D + 1e-5);
        const xh = xs.map((v) => (v - m) * rs), gh = xh.map((_, i) => gs[i] * w[a + i]);
        const meanG = gh.reduce((s, v) => s + v, 0) / D, meanGX = gh.reduce((s, v, i) => s + v * xh[i], 0) / D;
        xh.forEach((v, i) => {
          y.push(v * w[a + i] + b[a + i]);
          dx.push(rs * (gh[i] - meanG - v * meanGX));
          dw[a + i] += gs[i] * v;
          db[a + i] += gs[i];
        });
      }
      return { y, dx, dw, db };
    }
    manualSeed(5);
    for (const [rows, D, G] of [[5, 1, 1], [4, 3, 1], [3, 64, 1], [3, 130, 1], [6, 7, 1], [6, 2, 3], [4, 5, 2]]) {
      tidy(() => {
        const shape = G === 1 ? [rows, D] : [rows / G, G * D];
        const x = randn(shape, { mean: 1, std: 2, requiresGrad: true }), g = randn(shape);
        const w = randn([G * D], { requiresGrad: true }), b = randn([G * D], { requiresGrad: true });
        const y = G === 1 ? layerNorm(x, D, w, b) : groupNorm(x, G, w, b);
        y.mul(g).sum().backward();
        const want = reference(x.data(), g.data(), w.data(), b.data(), D, G);
        const label = `rows ${rows}, D ${D}, groups ${G}`;
        expectClose(y.data(), want.y, 1e-5);
        for (const [got, ref] of [[x.grad!, want.dx], [w.grad!, want.dw], [b.grad!, want.db]] as const) {
          const v = got.data();
          expect(v.length, label).toBe(ref.length);
          v.forEach((e, i) => expect(Math.abs(e - ref[i]), `${label}, element ${i}`).toBeLessThan(2e-4 * (1 + Math.abs(ref[i]))));
        }
      });
    }
    // Only some gradients requested, no affine: the kernel's optional outputs.
    const x = randn([3, 9], { requiresGrad: true });
    expect(gradcheck((x) => layerNorm(x, 9), [x]).mismatch).toBeNull();
    const w = randn([9], { requiresGrad: true });
    expect(gradcheck((w) => layerNorm(x.detach(), 9, w), [w]).mismatch).toBeNull();
  });

  it("groupNorm normalises groups of channels per sample with a per-channel affine, and passes gradcheck", () => {
    manualSeed(4);
    const x = randn([2, 6, 3, 2], { requiresGrad: true }), w = randn([6], { requiresGrad: true }), b = randn([6], { requiresGrad: true });
    const y = groupNorm(x, 3, w, b);
    // Each (sample, group) is 2 channels x 6 positions = 12 contiguous values.
    const { mean, variance } = channelStats(x.data(), 1, 6, 12);
    const plain = normalizeChannels(x.data(), 1, 6, 12, mean, variance);
    const wv = w.data(), bv = b.data();
    expectClose(y.data(), plain.map((v, i) => v * wv[Math.floor(i / 6) % 6] + bv[Math.floor(i / 6) % 6]));
    expect(gradcheck((x, w, b) => groupNorm(x, 3, w, b), [x, w, b]).mismatch).toBeNull();
    expect(gradcheck((x) => groupNorm(x, 2), [randn([3, 4, 5], { requiresGrad: true })]).mismatch).toBeNull();
    expect(() => groupNorm(x, 4)).toThrow(/the 6 channels of input \[2, 6, 3, 2\] must be divisible by numGroups \(4\)/);
  });
});

describe("nn normalisation layers", () => {
  it("BatchNorm2d tracks running statistics (momentum 0.1) in training and uses them in eval", () => {
    manualSeed(5);
    const bn = new nn.BatchNorm2d(3);
    const xs = [randn([4, 3, 2, 2], { mean: 1, std: 2 }), randn([4, 3, 2, 2], { mean: -1, std: 0.5 })];
    let rm = [0, 0, 0], rv = [1, 1, 1];
    for (const x of xs) {
      const y = bn.forward(x);
      const { mean, variance } = channelStats(x.data(), 4, 3, 4);
      expectClose(y.data(), normalizeChannels(x.data(), 4, 3, 4, mean, variance));
      rm = rm.map((v, c) => 0.9 * v + 0.1 * mean[c]);
      rv = rv.map((v, c) => 0.9 * v + (0.1 * variance[c] * 16) / 15);
    }
    expectClose(bn.running_mean!.data(), rm);
    expectClose(bn.running_var!.data(), rv);
    expect(bn.num_batches_tracked!.item()).toBe(2);
    bn.eval();
    const x = randn([1, 3, 2, 2]); // batch size 1 is fine in eval
    expectClose(bn.forward(x).data(), normalizeChannels(x.data(), 1, 3, 4, rm, rv));
    expect(bn.num_batches_tracked!.item()).toBe(2);
  });

  it("momentum null is the cumulative average; trackRunningStats false always uses batch statistics", () => {
    const bn = new nn.BatchNorm1d(2, { momentum: null, affine: false });
    const a = tensor([[1, 2], [3, 6]]), b = tensor([[5, 0], [7, 2]]);
    noGrad(() => { bn.forward(a); bn.forward(b); });
    expectClose(bn.running_mean!.data(), [(2 + 6) / 2, (4 + 1) / 2]);
    expectClose(bn.running_var!.data(), [(2 + 2) / 2, (8 + 2) / 2]);
    const free = new nn.BatchNorm1d(2, { trackRunningStats: false }).eval();
    expect(Object.keys(free.stateDict())).toEqual(["weight", "bias"]);
    expectClose(free.forward(a).data(), [-1, -1, 1, 1], 1e-3);
  });

  it("BatchNorm state dict keys and repr match PyTorch", () => {
    const model = new nn.Sequential(new nn.Conv2d(1, 4, 3), new nn.BatchNorm2d(4));
    expect(Object.keys(model.stateDict())).toEqual(["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"]);
    expect(model.stateDict()["1.num_batches_tracked"].dtype).toBe("int32");
    expect(model.stateDict()["1.num_batches_tracked"].shape).toEqual([]);
    expect(model.parameters().length).toBe(4);
    expect(String(new nn.BatchNorm2d(16))).toBe("BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
    expect(String(new nn.BatchNorm1d(8, { momentum: null, affine: false }))).toBe("BatchNorm1d(8, eps=1e-05, momentum=None, affine=False, track_running_stats=True)");
    expect(String(new nn.LayerNorm(6))).toBe("LayerNorm((6,), eps=1e-05, elementwise_affine=True)");
    expect(String(new nn.LayerNorm([3, 4], { eps: 1e-6, elementwiseAffine: false }))).toBe("LayerNorm((3, 4), eps=1e-06, elementwise_affine=False)");
    expect(String(new nn.GroupNorm(2, 6))).toBe("GroupNorm(2, 6, eps=1e-05, affine=True)");
  });

  it("reject bad input clearly", () => {
    const bn = new nn.BatchNorm1d(3);
    expect(() => bn.forward(randn([1, 3]))).toThrow(/expected more than 1 value per channel when training/);
    expect(bn.num_batches_tracked!.item()).toBe(0);
    expect(() => bn.forward(randn([2, 4]))).toThrow(/BatchNorm1d: expected 3 channels \(dim 1\), got input \[2, 4\]/);
    expect(() => bn.forward(randn([2, 3, 2, 2]))).toThrow(/BatchNorm1d: expected a 2-D \[N, C\] or 3-D \[N, C, L\] input/);
    expect(() => new nn.BatchNorm2d(3).forward(randn([2, 3, 4]))).toThrow(/BatchNorm2d: expected a 4-D \[N, C, H, W\] input, got \[2, 3, 4\]/);
    expect(() => new nn.GroupNorm(4, 6)).toThrow(/num_channels \(6\) must be divisible by num_groups \(4\)/);
    expect(() => new nn.GroupNorm(2, 6).forward(randn([2, 4, 3]))).toThrow(/expected an input \[N, 6, \.\.\.\]/);
  });

  it("LayerNorm and GroupNorm layers start as plain normalisation and learn their affine", () => {
    const ln = new nn.LayerNorm(4), gn = new nn.GroupNorm(2, 4);
    const x = randn([3, 4, 2]);
    const y = gn.forward(x);
    expect(y.shape).toEqual([3, 4, 2]);
    y.sum().backward();
    expect(gn.weight!.grad!.shape).toEqual([4]);
    expectClose(ln.forward(randn([2, 4])).sum([1]).data(), [0, 0], 1e-4);
  });
});

describe("ResidualBlock", () => {
  it("adds the skip (with a 1x1 projection when shape changes), has torchvision's keys and trains end to end", () => {
    manualSeed(6);
    const same = new nn.ResidualBlock(3, 3);
    expect(same.downsample).toBeNull();
    const block = new nn.ResidualBlock(2, 4, { stride: 2 });
    const keys = Object.keys(block.stateDict());
    for (const k of ["conv1.weight", "bn1.running_mean", "conv2.weight", "bn2.num_batches_tracked", "downsample.0.weight", "downsample.1.running_var"]) {
      expect(keys).toContain(k);
    }
    expect(keys).not.toContain("conv1.bias");
    const x = randn([2, 2, 5, 5], { requiresGrad: true });
    const y = block.forward(x);
    expect(y.shape).toEqual([2, 4, 3, 3]);
    expect(Math.min(...y.data())).toBeGreaterThanOrEqual(0);
    y.sum().backward();
    for (const p of block.parameters()) expect(p.grad).not.toBeNull();
    expect(gradcheck((x) => block.forward(x), [x], { eps: 1e-3 }).mismatch).toBeNull();
    // Identity skip: with conv2's output zeroed (bn2 shift 0) the block is relu(x) of its input.
    noGrad(() => same.bn2.weight!.zero_()); // a parameter: in-place only outside autograd, as in PyTorch
    const z = randn([1, 3, 4, 4]);
    expectClose(same.forward(z).data(), z.relu().data(), 1e-6);
  });
});

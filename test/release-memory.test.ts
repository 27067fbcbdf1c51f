// Memory after a spike: freed blocks serve later tensors of other sizes (the allocator merges its
// cached blocks before it would grow), emptyCache() returns cached blocks and, when nothing is
// live, hands the wasm pages back by replacing the memory. Runs in its own process (vitest forks).
import { describe, it, expect } from "vitest";
import { zeros, full, randn, memoryStats, emptyCache, matmul, tidy, nn, optim, manualSeed, dispose } from "../src/index.js";

const MB = 1 << 20;

describe("releasing wasm memory", () => {
  it("memory freed after a spike is reused by tensors of other sizes, so the footprint stays bounded", () => {
    const big = zeros([50 * MB / 4]); // 50 MB
    const peak = memoryStats().wasmMemoryBytes;
    big.dispose();
    // Shapes the spike never had (other size classes), several live at once, below the peak in total.
    for (let round = 0; round < 20; round++) {
      const parts = [3, 7, 11, 13].map((mb) => zeros([Math.round(((mb + round * 0.1) * MB) / 4)]));
      dispose(parts);
    }
    // And a loop whose batch size changes every step.
    for (let step = 0; step < 200; step++) tidy(() => matmul(randn([1 + (step * 37) % 500, 64]), randn([64, 64])).sum().item());
    expect(memoryStats().wasmMemoryBytes).toBe(peak);
  });

  it("emptyCache with live tensors drops the cached blocks (bytesReserved) and keeps every tensor intact", () => {
    emptyCache(); // nothing is live: a fresh memory, so the layout below is known
    const kept = full([1000], 3);
    const big = zeros([40 * MB / 4]); // above kept, at the top
    tidy(() => { matmul(randn([300, 300]), randn([300, 300])); }); // the GEMM workspace is cached

    big.dispose();
    expect(memoryStats().bytesReserved).toBeGreaterThan(40 * MB);
    const stats = emptyCache();
    expect(stats.bytesReserved).toBeLessThan(1 * MB);
    expect(stats.bytesInUse).toBe(memoryStats().bytesInUse);
    expect(stats.liveTensors).toBeGreaterThan(0);
    expect(Array.from(kept.data().slice(0, 3))).toEqual([3, 3, 3]);
    kept.dispose();
  });

  it("emptyCache with nothing live replaces the memory by a fresh 2 MiB one; training works afterwards", () => {
    expect(memoryStats().liveTensors).toBe(0);
    const before = memoryStats().wasmMemoryBytes;
    expect(before).toBeGreaterThan(40 * MB);
    const stats = emptyCache();
    expect(stats).toEqual({ bytesInUse: 0, bytesReserved: 0, wasmMemoryBytes: 2 * MB, liveTensors: 0 });

    manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(8, 16), new nn.ReLU(), new nn.Linear(16, 1));
    const opt = new optim.Adam(model.parameters(), { lr: 0.05 });
    const x = randn([64, 8]);
    const y = tidy(() => x.sum(1, true));
    const losses: number[] = [];
    for (let i = 0; i < 100; i++) {
      losses.push(tidy(() => {
        opt.zeroGrad();
        const loss = nn.functional.mseLoss(model.forward(x), y);
        loss.backward();
        opt.step();
        return loss.item();
      }));
    }
    expect(losses[99]).toBeLessThan(losses[0] / 10);
    // Live parameters and optimizer state: the memory stays (nothing moves under a live tensor).
    expect(emptyCache().wasmMemoryBytes).toBe(memoryStats().wasmMemoryBytes);
    expect(memoryStats().bytesInUse).toBeGreaterThan(0);
  });
});

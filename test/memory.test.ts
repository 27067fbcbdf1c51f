import { describe, it, expect } from "vitest";
import { Tensor, tensor, zeros, randn, tidy, keep, noGrad, memoryStats, matmul, relu, logSoftmax, gather, mean, manualSeed } from "../src/index.js";
import { heap } from "../src/backend/memory.js";
import { backend } from "../src/backend/wasm.js";

describe("allocator", () => {
  it("hands out 16-byte aligned blocks and reuses a freed block of the same size class", () => {
    const a = zeros([3, 5]);
    expect(a.ptr % 16).toBe(0);
    const ptr = a.ptr;
    a.dispose();
    const b = zeros([15]);
    expect(b.ptr).toBe(ptr);
    b.dispose();
  });

  it("grows the wasm memory on demand and keeps existing data readable through fresh views", () => {
    const small = tensor([1.5, -2, 3.25]);
    const before = backend().memory.buffer.byteLength;
    const big = zeros([before / 4 + 1024]); // more than the whole current memory
    expect(backend().memory.buffer.byteLength).toBeGreaterThan(before);
    expect(Array.from(small.data())).toEqual([1.5, -2, 3.25]);
    expect(big.liveData()[big.size - 1]).toBe(0);
    big.dispose();
    small.dispose();
  });

  it("throws a clear out-of-memory error naming the requested size", () => {
    const before = memoryStats();
    // the label (op, shape, dtype) is built only for this error
    expect(() => zeros([1 << 30, 2])).toThrow(/out of memory allocating 8589934592 bytes for full \[1073741824, 2\] float32 /);
    expect(memoryStats().bytesInUse).toBe(before.bytesInUse);
  });

  it("counts bytes in use and live tensors", () => {
    const before = memoryStats();
    const t = zeros([256]);
    const mid = memoryStats();
    expect(mid.bytesInUse - before.bytesInUse).toBe(1024);
    expect(mid.liveTensors - before.liveTensors).toBe(1);
    t.dispose();
    expect(memoryStats()).toMatchObject({ bytesInUse: before.bytesInUse, liveTensors: before.liveTensors });
  });
});

describe("tensor lifetime", () => {
  it("refuses to use a disposed tensor", () => {
    const t = tensor([[1, 2], [3, 4]]);
    t.dispose();
    t.dispose(); // idempotent
    expect(() => t.data()).toThrow(/tensor \[2, 2\] float32 was disposed/);
    expect(() => t.add(1)).toThrow(/disposed/);
  });

  it("tidy frees everything created inside except what it returns, in nested scopes", () => {
    const before = memoryStats();
    const kept = tidy(() => {
      const a = tensor([1, 2, 3]);
      const inner = tidy(() => {
        const b = a.mul(2);
        return { b, other: [b.add(1)] };
      });
      const c = inner.b.add(inner.other[0]);
      return c;
    });
    expect(Array.from(kept.data())).toEqual([5, 9, 13]);
    expect(memoryStats().liveTensors).toBe(before.liveTensors + 1);
    kept.dispose();
    expect(memoryStats()).toMatchObject({ bytesInUse: before.bytesInUse, liveTensors: before.liveTensors });
  });

  it("tidy frees what a throwing function created, and rethrows", () => {
    const before = memoryStats();
    const outside = tensor([1, 2]);
    expect(() =>
      tidy(() => {
        outside.mul(3);
        tensor([[1, 2, 3]]).matmul(tensor([[1, 2]]));
      }),
    ).toThrow(/matmul/);
    expect(memoryStats().liveTensors).toBe(before.liveTensors + 1);
    expect(Array.from(outside.data())).toEqual([1, 2]);
    outside.dispose();
  });

  it("tidy refuses an async function without freeing what it created", () => {
    let inner!: Tensor;
    expect(() =>
      tidy(() => {
        inner = tensor([4, 5]);
        return Promise.resolve(inner) as unknown as Tensor;
      }),
    ).toThrow(/tidy: the function returned a Promise/);
    expect(Array.from(inner.data())).toEqual([4, 5]);
    inner.dispose();
  });

  it("keep() lets a tensor outlive its scope", () => {
    let k!: Tensor;
    tidy(() => {
      k = keep(tensor([7]));
      tensor([8]);
    });
    expect(k.item()).toBe(7);
    k.dispose();
  });

  it("reshape shares storage: the data lives until every view is disposed", () => {
    const before = memoryStats();
    const a = tensor([1, 2, 3, 4]);
    const b = a.reshape(2, 2);
    a.dispose();
    expect(b.toArray()).toEqual([[1, 2], [3, 4]]);
    b.dispose();
    expect(memoryStats().bytesInUse).toBe(before.bytesInUse);
  });

  it("frees saved-for-backward tensors once backward has used them", () => {
    tidy(() => randn([2, 2]).matmul(randn([2, 2]))); // the GEMM workspace is allocated once, on first use
    const before = memoryStats();
    const w = randn([4, 3], { requiresGrad: true });
    tidy(() => w.matmul(randn([3, 2])).relu().sum().backward());
    expect(w.grad).not.toBeNull();
    w.grad!.dispose();
    w.dispose();
    expect(memoryStats()).toMatchObject({ bytesInUse: before.bytesInUse, liveTensors: before.liveTensors });
  });

  it("frees a recorded graph that is never differentiated when its tensors are disposed", () => {
    const w = randn([8, 8], { requiresGrad: true });
    const before = memoryStats();
    tidy(() => {
      w.matmul(w).tanh().sum();
    });
    expect(memoryStats()).toMatchObject({ bytesInUse: before.bytesInUse, liveTensors: before.liveTensors });
    w.dispose();
  });

  it("the FinalizationRegistry frees tensors that were dropped without dispose", async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, "run with --expose-gc (vitest.config.ts sets it)").toBeTypeOf("function");
    const settle = async () => {
      for (let i = 0; i < 5; i++) {
        gc!();
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await settle(); // earlier garbage first, so only this test's tensors are counted
    const before = memoryStats();
    (() => {
      for (let i = 0; i < 50; i++) zeros([1000]);
    })();
    expect(memoryStats().liveTensors).toBe(before.liveTensors + 50);
    await settle();
    expect(memoryStats()).toMatchObject({ bytesInUse: before.bytesInUse, liveTensors: before.liveTensors });
  });
});

describe("training loop memory", () => {
  it("2,000 forward/backward steps of an MLP built from core ops leave memory flat after every step", () => {
    manualSeed(3);
    const params = [randn([20, 32], { std: 0.2 }), zeros([32]), randn([32, 5], { std: 0.2 }), zeros([5])].map((p) => p.setRequiresGrad(true));
    const x = randn([16, 20]);
    const y = tensor(Int32Array.from({ length: 16 }, (_, i) => i % 5), [16, 1]);
    const step = () =>
      tidy(() => {
        const [w1, b1, w2, b2] = params;
        const h = relu(matmul(x, w1).add(b1));
        const logp = logSoftmax(matmul(h, w2).add(b2), 1);
        const loss = mean(gather(logp, 1, y)).neg();
        loss.backward();
        noGrad(() => {
          for (const p of params) {
            backend().kernels.axpy_f32(-0.1, p.grad!.ptr, p.ptr, p.size);
            p.grad!.dispose();
            p.grad = null;
          }
        });
        return loss.item();
      });
    const first = step();
    step();
    const baseline = memoryStats();
    let last = first;
    for (let i = 0; i < 2000; i++) {
      last = step();
      const now = memoryStats();
      if (now.bytesInUse !== baseline.bytesInUse || now.liveTensors !== baseline.liveTensors || now.bytesReserved !== baseline.bytesReserved) {
        throw new Error(`step ${i}: memory moved from ${JSON.stringify(baseline)} to ${JSON.stringify(now)}`);
      }
    }
    expect(last).toBeLessThan(first * 0.1); // it really trained
    expect(heap().bytesReserved).toBe(baseline.bytesReserved);
  });
});

import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { backend } from "../src/backend/wasm.js";
import type { KernelExports } from "../src/backend/kernels.js";
import { bindKernels, Unary } from "../src/backend/kernels.js";

// A sum of K products rounds differently when fused: compare with an error scaled to 1 + |value|.
// Runs only with SIMDGRAD_RELAXED=1 (vitest.config.ts adds Node's relaxed-SIMD flag): the two
// builds of one source must agree within float rounding.
function load(file: string): { k: KernelExports; mem: WebAssembly.Memory } {
  const mem = new WebAssembly.Memory({ initial: 512 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), { env: { memory: mem } });
  return { k: bindKernels(inst.exports), mem };
}

describe("relaxed-SIMD build", () => {
  it("is the build the library picked", () => {
    expect(backend().build).toBe("relaxed-simd");
  });

  it("matches the plain SIMD build on GEMM and elementwise kernels", () => {
    const plain = load("build/simdgrad.wasm"), relaxed = load("build/simdgrad-relaxed.wasm");
    const M = 67, N = 45, K = 301;
    const base = 1 << 20, A = base, B = A + M * K * 4, C = B + K * N * 4, ws = C + M * N * 4 + 64;
    const a = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i * 0.37));
    const b = Float32Array.from({ length: K * N }, (_, i) => Math.cos(i * 0.11));
    const results = [plain, relaxed].map(({ k, mem }) => {
      new Float32Array(mem.buffer, A, a.length).set(a);
      new Float32Array(mem.buffer, B, b.length).set(b);
      k.gemm_f32(0, 0, M, N, K, 1, A, K, B, N, 0, C, N, 0, 0, 0, ws);
      const gemmOut = new Float32Array(mem.buffer, C, M * N).slice();
      k.unary_f32(Unary.gelu, A, C, M * K, 0, 0);
      return { gemmOut, gelu: new Float32Array(mem.buffer, C, M * K).slice() };
    });
    for (const key of ["gemmOut", "gelu"] as const) {
      const [p, r] = [results[0][key], results[1][key]];
      let worst = 0;
      for (let i = 0; i < p.length; i++) worst = Math.max(worst, Math.abs(p[i] - r[i]) / (1 + Math.abs(p[i])));
      expect(worst, key).toBeLessThan(1e-4);
    }
  });
});

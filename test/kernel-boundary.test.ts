import { describe, it, expect } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bindKernels, kernelBuild, kernelFingerprint, BiasMode, Unary } from "../src/backend/kernels.js";
// @ts-expect-error: a build script without type declarations
import { fingerprint, readBoundary, renderBoundary } from "../scripts/kernel-boundary.mjs";
// @ts-expect-error: the op tables are build-time modules without type declarations
import unaryRows from "../assembly/ops/unary.mjs";
// @ts-expect-error: (as above)
import binaryRows from "../assembly/ops/binary.mjs";
import * as elementwise from "../src/ops/elementwise.js";
import { nn } from "../src/index.js";
import { Binary } from "../src/backend/kernels.js";

// The generated boundary (src/backend/generated/kernels.ts) against the compiled module and the
// sources it is generated from.
describe("kernel boundary", () => {
  const exported = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync("build/simdgrad.wasm")))
    .filter((e) => e.kind === "function").map((e) => e.name);

  it("declares exactly the functions the compiled module exports, and fingerprints them as the build did", () => {
    const declared = (readBoundary("assembly/index.ts") as { functions: { name: string }[] }).functions.map((f) => f.name);
    expect(declared.sort()).toEqual([...exported].sort());
    expect(kernelBuild.count).toBe(exported.length);
    expect(kernelFingerprint(exported)).toBe(kernelBuild.fingerprint);
    expect(fingerprint(exported)).toBe(kernelBuild.fingerprint);
    // Order-independent, and every name counts.
    expect(kernelFingerprint([...exported].reverse())).toBe(kernelBuild.fingerprint);
    expect(kernelFingerprint([...exported.slice(1), exported[0] + "2"])).not.toBe(kernelBuild.fingerprint);
  });

  it("binds the compiled module's exports and refuses a module with other kernels, naming both fingerprints", () => {
    const kernels = Object.fromEntries(exported.map((n) => [n, () => 0]));
    expect(bindKernels(kernels)).toBe(kernels);
    const partial = Object.fromEntries(exported.filter((n) => n !== "gemm_f32" && n !== "heap_base").map((n) => [n, () => 0]));
    const found = kernelFingerprint(Object.keys(partial)).toString(16);
    const expected = `the wasm module exports ${exported.length - 2} functions (fingerprint ${found}), not this library's ${exported.length} kernels (fingerprint ${kernelBuild.fingerprint.toString(16)}); it was built from other sources than this library`;
    expect(() => bindKernels(partial)).toThrow(expected);
    // A non-function export of a kernel's name is not that kernel.
    expect(() => bindKernels({ ...partial, gemm_f32: new WebAssembly.Memory({ initial: 1 }), heap_base: () => 0 })).toThrow(`exports ${exported.length - 1} functions`);
  });

  it("carries the enums of assembly/ with their values", () => {
    const source = readFileSync("assembly/generated/elementwise-ops.ts", "utf8");
    expect(source).toMatch(/^\/\/ Generated .* Do not edit/);
    expect(source).toMatch(/Relu = 0,\s+LeakyRelu = 1,/);
    expect(Unary.relu).toBe(0);
    expect(Unary.leakyRelu).toBe(1);
    expect(BiasMode).toEqual({ none: 0, perColumn: 1, perRow: 2 });
  });

  it("generates signatures and enums from source, and rejects types that cannot cross into JavaScript", () => {
    const dir = mkdtempSync(join(tmpdir(), "boundary-"));
    writeFileSync(join(dir, "index.ts"), 'export { k_f32 } from "./k";\nexport * from "./e";\n');
    writeFileSync(join(dir, "k.ts"), "// scales x\nexport function k_f32(x: usize, n: i32, s: f32, flag: bool): f64 { return 0; }\nexport function hidden(): void {}\n");
    writeFileSync(join(dir, "e.ts"), "export const enum Mode { First = 3, Second }\nexport function v(a: v128): void {}\n");
    expect(() => readBoundary(join(dir, "index.ts"))).toThrow(/v\(a\) has type v128/);
    writeFileSync(join(dir, "e.ts"), "export const enum Mode { First = 3, Second }\n");
    const text: string = renderBoundary(readBoundary(join(dir, "index.ts")));
    expect(text).toMatch(/^\/\/ Generated .* Do not edit/);
    expect(text).toContain("  // scales x\n  k_f32(x: number, n: number, s: number, flag: boolean): number;");
    expect(text).not.toContain("hidden");
    expect(text).toContain("export const Mode = {\n  first: 3,\n  second: 4,\n} as const;");
  });

  it("turns every row of the elementwise tables into an op code, a functional form and, for activations, an nn.functional export", () => {
    const rows = unaryRows as { name: string; custom?: boolean; activation?: boolean }[];
    expect(Object.keys(Unary)).toEqual(rows.map((r) => r.name));
    expect(Object.keys(Binary)).toEqual((binaryRows as { name: string }[]).map((r) => r.name));
    const forms = elementwise as unknown as Record<string, unknown>;
    for (const r of rows.filter((r) => !r.custom)) expect(typeof forms[r.name], r.name).toBe("function");
    const functional = nn.functional as unknown as Record<string, unknown>;
    for (const r of rows.filter((r) => r.activation)) expect(functional[r.name], r.name).toBe(forms[r.name]);
  });
});

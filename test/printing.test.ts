// Tensor.toString and util.inspect print like PyTorch's repr: the cases of
// test/fixtures/printing.json were printed by PyTorch (scripts/fixtures/printing.py).
import { afterEach, describe, expect, it } from "vitest";
import { inspect } from "node:util";
import { readFileSync } from "node:fs";
import { Tensor, tensor, randn, setPrintOptions, getPrintOptions, mul, type PrintOptions } from "../src/index.js";

interface Case {
  shape: number[];
  dtype: "float32" | "int32";
  values: (number | "nan" | "inf" | "-inf")[];
  requiresGrad: boolean;
  options: Record<string, unknown>;
  repr: string;
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/printing.json", import.meta.url), "utf8")) as { cases: Case[] };
const decode = (v: Case["values"][number]) => (v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v);
const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

afterEach(() => setPrintOptions({ profile: "default" }));

describe("printing tensors as PyTorch does", () => {
  it.each(fixture.cases.map((c) => [c.repr.split("\n")[0].slice(0, 60), c] as const))("%s", (_, c) => {
    if (Object.keys(c.options).length) setPrintOptions(Object.fromEntries(Object.entries(c.options).map(([k, v]) => [camel(k), v])) as Partial<PrintOptions>);
    const t = tensor(c.values.map(decode), c.shape, { dtype: c.dtype });
    if (c.requiresGrad) t.setRequiresGrad();
    expect(t.toString()).toBe(c.repr);
    expect(inspect(t)).toBe(c.repr);
    expect(`${t}`).toBe(c.repr);
  });

  it("names the backward of a result (grad_fn), as PyTorch does", () => {
    const x = tensor([1, 2]).setRequiresGrad();
    expect(mul(x, 2).toString()).toBe("tensor([2., 4.], grad_fn=<MulBackward0>)");
    expect(x.detach().toString()).toBe("tensor([1., 2.])");
  });

  it("a disposed tensor prints its size instead of failing", () => {
    const t = randn(2, 3);
    t.dispose();
    expect(t.toString()).toBe("tensor(<disposed>, size=(2, 3))");
  });

  it("setPrintOptions: profiles, unknown options and wrong values are errors naming them", () => {
    setPrintOptions({ precision: 2, linewidth: 100 });
    expect(getPrintOptions()).toMatchObject({ precision: 2, linewidth: 100, threshold: 1000, sciMode: null });
    setPrintOptions({ sciMode: true });
    expect(getPrintOptions()).toMatchObject({ precision: 2, sciMode: true });
    setPrintOptions({ precision: 3 }); // as in PyTorch, sciMode goes back to automatic unless given
    expect(getPrintOptions().sciMode).toBeNull();
    setPrintOptions({ profile: "full" });
    expect(getPrintOptions()).toEqual({ precision: 4, threshold: Infinity, edgeitems: 3, linewidth: 80, sciMode: null });
    expect(() => setPrintOptions({ precison: 2 } as never)).toThrow(/setPrintOptions: unknown option "precison"/);
    expect(() => setPrintOptions({ edgeitems: 0 })).toThrow(/setPrintOptions: edgeitems must be a positive integer, got 0/);
    expect(() => setPrintOptions({ profile: "long" as never })).toThrow(/setPrintOptions: profile must be/);
  });

  it("reads only the printed edges of a large tensor", () => {
    const big = Tensor.empty([1000, 1000]).fill_(0.5);
    const text = big.toString();
    expect(text.split("\n")).toHaveLength(7);
    expect(text.startsWith("tensor([[0.5000, 0.5000, 0.5000,  ..., 0.5000, 0.5000, 0.5000],")).toBe(true);
  });
});

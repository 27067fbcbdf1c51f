import { describe, it, expect, expectTypeOf } from "vitest";
import { nn, tensor, type Tensor } from "../src/index.js";

// The public types follow the data: typed-array accessors by dtype, and no `any` out of modules.
describe("types", () => {
  it("float32Data / int32Data return the dtype's typed array and refuse the other dtype", () => {
    const f = tensor([1.5, 2.5]);
    const i = tensor(Int32Array.of(3, 4), [2]);
    const fv = f.float32Data(), iv = i.int32Data();
    expectTypeOf(fv).toEqualTypeOf<Float32Array>();
    expectTypeOf(iv).toEqualTypeOf<Int32Array>();
    expect(fv).toBeInstanceOf(Float32Array);
    expect(Array.from(fv)).toEqual([1.5, 2.5]);
    expect(Array.from(iv)).toEqual([3, 4]);
    expect(() => i.float32Data()).toThrow(/float32Data: the tensor is int32; use int32Data\(\), or \.float\(\) first/);
    expect(() => f.int32Data()).toThrow(/int32Data: the tensor is float32; use float32Data\(\), or \.int\(\) first/);
    // A copy, like data(): writing to it leaves the tensor alone.
    fv[0] = 9;
    expect(f.float32Data()[0]).toBe(1.5);
  });

  it("Module.forward's parameters are unknown, not any; a layer's forward keeps its own types", () => {
    const layer = new nn.Linear(2, 3);
    expectTypeOf(layer.forward).parameters.toEqualTypeOf<[Tensor]>();
    expectTypeOf<Parameters<nn.Module["forward"]>>().toEqualTypeOf<unknown[]>();
    expectTypeOf<ReturnType<nn.Module["forward"]>>().toEqualTypeOf<Tensor>();
    expect(layer.forward(tensor([[1, 2]])).shape).toEqual([1, 3]);
  });
});

import { describe, it, expect, expectTypeOf } from "vitest";
import {
  nn, tensor, zeros, ones, full, empty, zerosLike, fullLike, eye, arange, linspace, rand, randn, randint, argmax, argsort, relu, add, where,
  reshape, cat, maskedFill, tril, toDType, type Tensor, type DType,
} from "../src/index.js";

// The public types follow the data: the typed array follows the dtype (Tensor<"float32"> or
// Tensor<"int32">, Tensor = Tensor<DType> when it is not known), and no `any` comes out of modules.
// The `@ts-expect-error` lines are checked by `tsc -p tsconfig.json` (npm run typecheck).
describe("types", () => {
  it("data() is a Float32Array for float32 tensors, an Int32Array for int32 ones, and the union when the dtype is unknown", () => {
    const f = tensor([1.5, 2.5]);
    const i = tensor(Int32Array.of(3, 4), [2]);
    expectTypeOf(f).toEqualTypeOf<Tensor<"float32">>();
    expectTypeOf(i).toEqualTypeOf<Tensor<"int32">>();
    expectTypeOf(f.data()).toEqualTypeOf<Float32Array>();
    expectTypeOf(i.data()).toEqualTypeOf<Int32Array>();
    expectTypeOf(f.liveData()).toEqualTypeOf<Float32Array>();
    expectTypeOf(f.dtype).toEqualTypeOf<"float32">();
    const unknown: Tensor = Math.random() < 2 ? f : i;
    expectTypeOf(unknown.data()).toEqualTypeOf<Float32Array | Int32Array>();
    expect(f.data()).toBeInstanceOf(Float32Array);
    expect(i.data()).toBeInstanceOf(Int32Array);
    // A typed tensor is still a Tensor; an unknown one is not a float32 one.
    const asAny: Tensor = i;
    // @ts-expect-error an int32 tensor is not a float32 tensor
    const wrong: Tensor<"float32"> = i;
    // @ts-expect-error an int32 tensor's data is no Float32Array
    const wrongData: Float32Array = i.data();
    void [asAny, wrong, wrongData];
  });

  it("creation functions return the dtype their data or options ask for", () => {
    expectTypeOf(tensor([[1, 2]], { dtype: "int32" })).toEqualTypeOf<Tensor<"int32">>();
    expectTypeOf(tensor([1, 2], [2], { dtype: "int32" })).toEqualTypeOf<Tensor<"int32">>();
    expectTypeOf(tensor(Int32Array.of(1), { dtype: "float32" })).toEqualTypeOf<Tensor<"float32">>();
    expectTypeOf(tensor(Float32Array.of(1))).toEqualTypeOf<Tensor<"float32">>();
    expectTypeOf(tensor([1], { requiresGrad: true })).toEqualTypeOf<Tensor<"float32">>();
    const dtype = "int32" as DType;
    expectTypeOf(tensor([1], { dtype })).toEqualTypeOf<Tensor<DType>>();
    // Data whose type says it may be either array gives either dtype.
    expectTypeOf(tensor(Math.random() < 2 ? Int32Array.of(1) : Float32Array.of(1))).toEqualTypeOf<Tensor<DType>>();
    expectTypeOf(zeros(2, 3)).toEqualTypeOf<Tensor<"float32">>();
    expectTypeOf(zeros([2, 3], { dtype: "int32" })).toEqualTypeOf<Tensor<"int32">>();
    expectTypeOf(zeros(2, 3, { dtype: "int32" })).toEqualTypeOf<Tensor<"int32">>();
    expectTypeOf(ones(2, { dtype: "int32" })).toEqualTypeOf<Tensor<"int32">>();
    expectTypeOf(empty([2])).toEqualTypeOf<Tensor<"float32">>();
    expectTypeOf(full([2], 7, { dtype: "int32" })).toEqualTypeOf<Tensor<"int32">>();
    expectTypeOf(eye(2)).toEqualTypeOf<Tensor<"float32">>();
    expectTypeOf(arange(0, 4, 1, { dtype: "int32" })).toEqualTypeOf<Tensor<"int32">>();
    expectTypeOf(linspace(0, 1, 3)).toEqualTypeOf<Tensor<"float32">>();
    expectTypeOf(rand(2)).toEqualTypeOf<Tensor<"float32">>();
    expectTypeOf(randn([2])).toEqualTypeOf<Tensor<"float32">>();
    expectTypeOf(randint(0, 5, [3])).toEqualTypeOf<Tensor<"int32">>();
    expectTypeOf(randint(0, 5, [3], { dtype: "float32" })).toEqualTypeOf<Tensor<"float32">>();
    const labels = randint(0, 5, [3]);
    expectTypeOf(zerosLike(labels)).toEqualTypeOf<Tensor<"int32">>();
    expectTypeOf(fullLike(labels, 1, { dtype: "float32" })).toEqualTypeOf<Tensor<"float32">>();
    // The values agree with the types.
    expect(zeros(2, 3, { dtype: "int32" }).data()).toBeInstanceOf(Int32Array);
    expect(arange(0, 4, 1, { dtype: "int32" }).data()).toEqual(Int32Array.of(0, 1, 2, 3));
    const r = randint(0, 5, [50], { dtype: "float32" });
    expect(r.dtype).toBe("float32");
    expect([...r.data()].every((v) => Number.isInteger(v) && v >= 0 && v < 5)).toBe(true);
    expect(zerosLike(labels).data()).toBeInstanceOf(Int32Array);
  });

  it("randint reads its options like the other factories: unknown names and requiresGrad on int32 are errors", () => {
    expect(() => randint(0, 5, [2], { dtyp: "float32" } as never)).toThrow('randint: unknown option "dtyp" (known: dtype, requiresGrad, generator)');
    expect(() => randint(0, 5, [2], { requiresGrad: true })).toThrow(/requiresGrad: only float32 tensors can require gradients, got int32/);
    expect(randint(0, 5, [2], { dtype: "float32", requiresGrad: true }).requiresGrad).toBe(true);
  });

  it("ops keep, fix or produce the dtype in their types", () => {
    const x = randn([2, 3]);
    const labels = tensor([[0, 1, 2]], { dtype: "int32" });
    expectTypeOf(x.argmax(1)).toEqualTypeOf<Tensor<"int32">>();
    expectTypeOf(argmax(x, 1)).toEqualTypeOf<Tensor<"int32">>();
    expectTypeOf(argsort(x)).toEqualTypeOf<Tensor<"int32">>();
    expectTypeOf(x.max(1).indices).toEqualTypeOf<Tensor<"int32">>();
    expectTypeOf(x.sort().values).toEqualTypeOf<Tensor<"float32">>();
    expectTypeOf(x.int()).toEqualTypeOf<Tensor<"int32">>();
    expectTypeOf(labels.float()).toEqualTypeOf<Tensor<"float32">>();
    expectTypeOf(toDType(x, "int32")).toEqualTypeOf<Tensor<"int32">>();
    // Arithmetic, activations and reductions are float32 ops.
    expectTypeOf(relu(x)).toEqualTypeOf<Tensor<"float32">>();
    expectTypeOf(add(x, 1)).toEqualTypeOf<Tensor<"float32">>();
    expectTypeOf(x.sum()).toEqualTypeOf<Tensor<"float32">>();
    expectTypeOf(x.matmul(x.T)).toEqualTypeOf<Tensor<"float32">>();
    // Shape ops keep the dtype.
    expectTypeOf(labels.reshape(3)).toEqualTypeOf<Tensor<"int32">>();
    expectTypeOf(reshape(labels, [3])).toEqualTypeOf<Tensor<"int32">>();
    expectTypeOf(labels.T).toEqualTypeOf<Tensor<"int32">>();
    expectTypeOf(labels.chunk(3, 1)).toEqualTypeOf<Tensor<"int32">[]>();
    expectTypeOf(cat([labels, labels])).toEqualTypeOf<Tensor<"int32">>();
    expectTypeOf(labels.clone()).toEqualTypeOf<Tensor<"int32">>();
    expectTypeOf(labels.detach()).toEqualTypeOf<Tensor<"int32">>();
    expectTypeOf(where(x.gt(0), 1, 0)).toEqualTypeOf<Tensor<"float32">>();
    expect(labels.reshape(3).data()).toEqual(Int32Array.of(0, 1, 2));
    expect(x.argmax(1).data()).toBeInstanceOf(Int32Array);
  });

  it("where, maskedFill and tril keep int32 operands int32 (they wrote int bits into a float32 tensor)", () => {
    const a = tensor([[1, 2], [3, 4]], { dtype: "int32" });
    const low = tril(a);
    expectTypeOf(low).toEqualTypeOf<Tensor<"int32">>();
    expect(low.dtype).toBe("int32");
    expect(Array.from(low.data())).toEqual([1, 0, 3, 4]);
    const picked = where(tensor([1, 0]), tensor([1, 2], { dtype: "int32" }), tensor([5, 6], { dtype: "int32" }));
    expect(picked.dtype).toBe("int32");
    expect(Array.from(picked.data())).toEqual([1, 6]);
    // A fraction or a float32 operand promotes to float32, as in PyTorch.
    const promoted = where(tensor([1, 0]), tensor([1, 2], { dtype: "int32" }), 0.5);
    expect(promoted.dtype).toBe("float32");
    expect(Array.from(promoted.data())).toEqual([1, 0.5]);
    expect(Array.from(where(tensor([0, 1]), tensor([1, 2], { dtype: "int32" }), tensor([0.25, 0.75])).data())).toEqual([0.25, 2]);
    // maskedFill writes the value in x's dtype (truncated toward zero into int32, as in PyTorch).
    const filled = maskedFill(a, tensor([[1, 0], [0, 1]]), 7.9);
    expectTypeOf(filled).toEqualTypeOf<Tensor<"int32">>();
    expect(filled.dtype).toBe("int32");
    expect(Array.from(filled.data())).toEqual([7, 2, 3, 7]);
    expect(Array.from(maskedFill(a, tensor([0, 1]), tensor(-2.5)).data())).toEqual([1, -2, 3, -2]);
    expect(() => maskedFill(a, tensor([0, 1]), 2 ** 40)).toThrow(/maskedFill: value 1099511627776 cannot be converted to int32 without overflow/);
  });

  it("float32Data / int32Data return the dtype's typed array for a tensor of unknown dtype and refuse the other dtype", () => {
    const f: Tensor = tensor([1.5, 2.5]);
    const i: Tensor = tensor(Int32Array.of(3, 4), [2]);
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
    // @ts-expect-error a layer's forward takes a Tensor, not a string
    expect(() => layer.forward("x")).toThrow();
    class Custom extends nn.Module {
      override forward(x: Tensor, scale: number): Tensor {
        return x.mul(scale);
      }
    }
    const custom = new Custom();
    // @ts-expect-error the subclass's own parameters are checked, not any
    void (() => custom.forward(tensor([1]), "2"));
    expect(Array.from(custom.forward(tensor([1, 2]), 2).data())).toEqual([2, 4]);
    expect(layer.forward(tensor([[1, 2]])).shape).toEqual([1, 3]);
  });
});

// Option objects of the autograd, training and Node helpers: a name they do not know is an error
// that names it (and the known ones), never dropped; fit's required options are named when missing.
import { describe, expect, it } from "vitest";
import * as sg from "../src/index.js";
import { loadMnist, progressBar } from "../src/node.js";

describe("unknown option names are errors", () => {
  const bogus = { bogus: 1 } as never;
  const square = (a: sg.Tensor) => a.mul(a);

  it("backward and grad", () => {
    const x = sg.randn([3], { requiresGrad: true });
    sg.tidy(() => expect(() => x.mul(x).sum().backward(undefined, bogus)).toThrow(/^backward: unknown option "bogus" \(known: "retainGraph", "createGraph"\)/));
    expect(x.grad).toBeNull();
    sg.tidy(() => expect(() => sg.grad(x.mul(x).sum(), x, bogus)).toThrow(/^grad: unknown option "bogus"/));
    // the known ones still work
    sg.tidy(() => expect(Array.from(sg.grad(x.mul(x).sum(), x, { createGraph: false })[0]!.float32Data())).toEqual(Array.from(x.float32Data()).map((v) => Math.fround(2 * v))));
    x.dispose();
  });

  it("vjp, jvp, hvp, jacobian and hessian", () => {
    const x = sg.randn([3]), v = sg.onesLike(x);
    expect(() => sg.vjp((a) => square(a).sum(), x, undefined, bogus)).toThrow(/^vjp: unknown option "bogus"/);
    expect(() => sg.jvp(square, x, v, bogus)).toThrow(/^jvp: unknown option "bogus"/);
    expect(() => sg.hvp((a) => square(a).sum(), x, v, bogus)).toThrow(/^hvp: unknown option "bogus"/);
    expect(() => sg.jacobian(square, x, bogus)).toThrow(/^jacobian: unknown option "bogus"/);
    expect(() => sg.hessian((a) => square(a).sum(), x, bogus)).toThrow(/^hessian: unknown option "bogus"/);
    sg.dispose([x, v]);
  });

  it("gradcheck and gradgradcheck", () => {
    const x = sg.randn([2], { requiresGrad: true });
    expect(() => sg.gradcheck((a) => square(a).sum(), [x], bogus)).toThrow(/^gradcheck: unknown option "bogus"/);
    expect(() => sg.gradgradcheck((a) => square(a).sum(), [x], bogus)).toThrow(/^gradgradcheck: unknown option "bogus"/);
    expect(sg.gradcheck((a) => square(a).sum(), [x], { seed: 3 }).ok).toBe(true);
    x.dispose();
  });

  it("fit and fitAsync (and earlyStopping's), with train, optimizer and loss required", async () => {
    const model = new sg.nn.Linear(3, 2);
    // (fit disposes each batch it takes: a fresh one per run)
    const train = () => [[sg.randn([4, 3]), sg.randint(0, 2, [4])]] as [sg.Tensor, sg.Tensor][];
    const options = { train: train(), optimizer: new sg.optim.SGD(model.parameters(), { lr: 0.1 }), loss: sg.nn.functional.crossEntropy, epochs: 1 };
    const before = Array.from(model.weight.float32Data());
    expect(() => sg.fit(model, { ...options, verbose: true } as never)).toThrow(/^fit: unknown option "verbose"/);
    await expect(sg.fitAsync(model, { ...options, verbose: true } as never)).rejects.toThrow(/^fitAsync: unknown option "verbose"/);
    expect(() => sg.fit(model, { ...options, earlyStopping: { patience: 2, mode: "max" } } as never)).toThrow(/^fit: earlyStopping: unknown option "mode"/);
    expect(() => sg.fit(model, { ...options, train: undefined } as never)).toThrow(/^fit: the option train is required/);
    // nothing trained
    expect(Array.from(model.weight.float32Data())).toEqual(before);
    expect(sg.fit(model, options).epochs.length).toBe(1);
    expect((await sg.fitAsync(model, { ...options, train: train(), yieldEvery: 1 })).epochs.length).toBe(1);
    model.dispose();
  });

  it("progressBar and loadMnist", () => {
    expect(() => progressBar(bogus)).toThrow(/^progressBar: unknown option "bogus" \(known: "stream", "summary"\)/);
    expect(() => loadMnist("test", { normalise: true } as never)).toThrow(/^loadMnist: unknown option "normalise" \(known: "dir", "normalize"\)/);
  });
});

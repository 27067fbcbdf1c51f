import { describe, it, expect } from "vitest";
import { nn, tensor, randn, zeros, type Tensor } from "../src/index.js";

class Block extends nn.Module {
  layer1 = new nn.Linear(4, 3);
  act = new nn.ReLU();
  drop = new nn.Dropout(0.5);
  layer2 = new nn.Linear(3, 2, { bias: false });
  forward(x: Tensor): Tensor {
    return this.layer2.forward(this.drop.forward(this.act.forward(this.layer1.forward(x))));
  }
}

class Net extends nn.Module {
  features = new nn.Sequential(new nn.Linear(6, 4), new nn.ReLU());
  block = new Block();
  forward(x: Tensor): Tensor {
    return this.block.forward(this.features.forward(x));
  }
}

describe("Module behaviour of the layers", () => {
  it("names Sequential parameters by index and nested ones by attribute, in PyTorch's order", () => {
    const mlp = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
    expect(mlp.namedParameters().map(([k]) => k)).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]);
    expect(new Net().namedParameters().map(([k, p]) => `${k} [${p.shape}]`)).toEqual([
      "features.0.weight [4,6]", "features.0.bias [4]", "block.layer1.weight [3,4]", "block.layer1.bias [3]", "block.layer2.weight [2,3]",
    ]);
    expect(new Net().numParameters()).toBe(6 * 4 + 4 + 4 * 3 + 3 + 3 * 2);
  });

  it("propagates train/eval to every descendant, which switches Dropout off", () => {
    const net = new Net();
    expect(net.modules().every((m) => m.training)).toBe(true);
    net.eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    const x = randn([5, 6]);
    expect(Array.from(net.forward(x).liveData())).toEqual(Array.from(net.forward(x).liveData()));
    net.train();
    expect(net.block.drop.training).toBe(true);
  });

  it("prints nested modules like PyTorch", () => {
    expect(new Net().toString()).toBe(
      "Net(\n" +
        "  (features): Sequential(\n" +
        "    (0): Linear(in_features=6, out_features=4, bias=True)\n" +
        "    (1): ReLU()\n" +
        "  )\n" +
        "  (block): Block(\n" +
        "    (layer1): Linear(in_features=4, out_features=3, bias=True)\n" +
        "    (act): ReLU()\n" +
        "    (drop): Dropout(p=0.5, inplace=False)\n" +
        "    (layer2): Linear(in_features=3, out_features=2, bias=False)\n" +
        "  )\n" +
        ")",
    );
  });

  it("round-trips a state dict between two models", () => {
    const a = new Net(), b = new Net();
    b.loadStateDict(a.stateDict());
    const x = randn([3, 6]);
    a.eval();
    b.eval();
    expect(Array.from(b.forward(x).liveData())).toEqual(Array.from(a.forward(x).liveData()));
  });

  it("loadStateDict lists missing and unexpected keys and shape mismatches, and changes nothing", () => {
    const mlp = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
    const before = mlp.parameters().map((p) => Array.from(p.liveData()));
    const state: Record<string, Tensor> = {
      "0.weight": zeros([4, 3]),
      "0.bias": zeros([5]),
      "2.weight": zeros([2, 4]),
      "1.weight": zeros([1]),
    };
    let message = "";
    try {
      mlp.loadStateDict(state);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/size mismatch for 0\.bias: checkpoint \[5\] vs model \[4\]/);
    expect(message).toMatch(/missing keys: 2\.bias/);
    expect(message).toMatch(/unexpected keys: 1\.weight/);
    expect(mlp.parameters().map((p) => Array.from(p.liveData()))).toEqual(before);

    const loose = mlp.loadStateDict({ "0.weight": zeros([4, 3]), extra: zeros([1]) }, { strict: false });
    expect(loose).toEqual({ missingKeys: ["0.bias", "2.weight", "2.bias"], unexpectedKeys: ["extra"] });
    expect(Array.from(mlp[0].stateDict().weight.liveData())).toEqual(new Array(12).fill(0));
  });

  it("zeroGrad drops the gradients of every layer", () => {
    const mlp = new nn.Sequential(new nn.Linear(3, 4), new nn.PReLU(), new nn.Linear(4, 1));
    mlp.forward(tensor([[1, 2, 3]])).sum().backward();
    expect(mlp.parameters().every((p) => p.grad !== null)).toBe(true);
    mlp.zeroGrad();
    expect(mlp.parameters().every((p) => p.grad === null)).toBe(true);
  });
});

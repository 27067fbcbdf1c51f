// Conformance for model.json: the case's nn.Sequential built from attrs.layers, parameters loaded
// by state-dict key, cross-entropy, backward, then one SGD step (p − lr·grad) compared to after_step.
import { nn, optim, tidy, type Tensor } from "../../../src/index.js";
import { compareTensor, fromJson, type JsonTensor } from "../load.js";

function buildLayer(spec: any): nn.Module {
  switch (spec.type) {
    case "linear": return new nn.Linear(spec.in_features, spec.out_features, { bias: spec.bias ?? true });
    case "relu": return new nn.ReLU();
    case "flatten": return new nn.Flatten(spec.start_dim ?? 1, spec.end_dim ?? -1);
    case "conv2d":
      return new nn.Conv2d(spec.in_channels, spec.out_channels, spec.kernel_size, {
        stride: spec.stride, padding: spec.padding, dilation: spec.dilation, groups: spec.groups, bias: spec.bias ?? true,
      });
    case "max_pool2d":
      return new nn.MaxPool2d(spec.kernel_size, { stride: spec.stride, padding: spec.padding });
    default: throw new Error(`unknown layer type "${spec.type}"`);
  }
}

export function runCase(c: any): string | null {
  const model = new nn.Sequential(...c.attrs.layers.map(buildLayer));
  try {
    return tidy(() => {
      const byName = new Map<string, JsonTensor>(c.inputs.map((t: JsonTensor) => [t.name, t]));
      const x = fromJson(byName.get("x")!);
      const target = fromJson(byName.get("target")!);
      const paramInputs: JsonTensor[] = c.inputs.filter((t: JsonTensor) => t.name !== "x" && t.name !== "target");
      model.loadStateDict(Object.fromEntries(paramInputs.map((t) => [t.name, fromJson(t)])));
      const params = new Map(model.namedParameters());

      const logits = model.forward(x);
      if (c.attrs.loss !== "cross_entropy") return `unsupported loss "${c.attrs.loss}"`;
      const loss = nn.functional.crossEntropy(logits, target, { reduction: c.attrs.reduction });
      const problems: string[] = [];
      const outs: Record<string, Tensor> = { logits, loss };
      c.outputs.forEach((ref: JsonTensor) => {
        const p = compareTensor(outs[ref.name], ref);
        if (p) problems.push(`${ref.name}: ${p}`);
      });
      loss.backward(fromJson(c.upstream[c.outputs.findIndex((o: JsonTensor) => o.name === "loss")]));
      c.grads.forEach((ref: JsonTensor | null, j: number) => {
        if (!ref) return;
        const p = compareTensor(params.get(c.inputs[j].name)?.grad, ref);
        if (p) problems.push(`grad of ${c.inputs[j].name}: ${p}`);
      });

      const { name, lr } = c.attrs.optimizer;
      if (name !== "sgd") return `unsupported optimizer "${name}"`;
      new optim.SGD(model.parameters(), { lr }).step();
      c.after_step.forEach((ref: JsonTensor) => {
        const p = compareTensor(params.get(ref.name), ref);
        if (p) problems.push(`${ref.name} after the SGD step: ${p}`);
      });
      return problems.length ? problems.join("; ") : null;
    });
  } finally {
    model.dispose();
  }
}

// Conformance for optim.json: build the optimizer from the case's attrs over parameters made from
// its inputs, then for each recorded step set the given gradients, step(), compare the parameters.
import { optim, type Tensor } from "../../../src/index.js";
import { compareTensor, fromJson, type JsonTensor } from "../load.js";

const constructors: Record<string, new (params: Tensor[], options: any) => optim.Optimizer<any>> = {
  sgd: optim.SGD,
  adam: optim.Adam,
  adamw: optim.AdamW,
  rmsprop: optim.RMSprop,
  adagrad: optim.Adagrad,
  adadelta: optim.Adadelta,
};

// PyTorch keyword names to simdgrad's option names (weight_decay → weightDecay, ...).
const camelCase = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

interface OptimCase {
  id: string;
  op: string;
  attrs: Record<string, unknown>;
  inputs: JsonTensor[];
  steps: { grads: JsonTensor[]; params: JsonTensor[] }[];
}

export function runCase(c: OptimCase): string | null {
  const Ctor = constructors[c.op];
  if (!Ctor) return `optimizer "${c.op}" is not supported`;
  const params = c.inputs.map((t) => fromJson(t, { requiresGrad: true }));
  const options = Object.fromEntries(Object.entries(c.attrs).map(([k, v]) => [camelCase(k), v]));
  const opt = new Ctor(params, options);
  try {
    for (const [s, step] of c.steps.entries()) {
      params.forEach((p, k) => {
        p.grad?.dispose();
        p.grad = fromJson(step.grads[k]);
      });
      opt.step();
      for (const [k, ref] of step.params.entries()) {
        const problem = compareTensor(params[k], ref);
        if (problem) return `step ${s + 1}, parameter ${k} (${ref.name}): ${problem}`;
      }
    }
    return null;
  } finally {
    opt.dispose();
    for (const p of params) {
      p.grad?.dispose();
      p.dispose();
    }
  }
}

// Conformance for higher_order.json: value, gradient and Hessian-vector product of a scalar
// expression (FORMAT.md), through grad() and hvp() — a backward that records its own graph and a
// second backward along the directions.
import { grad, hvp, tidy, type Tensor } from "../../../src/index.js";
import { compareTensor, fromJson, type JsonTensor } from "../load.js";
import { programOf, type ExpressionCase } from "../expression.js";

interface HvpCase extends ExpressionCase {
  directions: (JsonTensor | null)[];
  value: JsonTensor;
  grads: (JsonTensor | null)[];
  hvp: (JsonTensor | null)[];
}

export function runCase(c: HvpCase): string | null {
  return tidy(() => {
    const { fn, differentiable } = programOf(c);
    const xs = differentiable.map((t) => fromJson(t, { requiresGrad: true }));
    const index = (t: JsonTensor) => c.inputs.indexOf(t);
    const problems: string[] = [];
    const f = fn(...xs);
    const valueProblem = compareTensor(f, c.value);
    if (valueProblem) problems.push(`value: ${valueProblem}`);
    const gs = grad(f, xs);
    differentiable.forEach((t, j) => {
      const p = compareTensor(gs[j], c.grads[index(t)]!);
      if (p) problems.push(`grad of ${t.name}: ${p}`);
    });
    const vs = differentiable.map((t) => fromJson(c.directions[index(t)]!));
    const [, hv] = hvp(fn, xs, vs) as [Tensor, Tensor[]];
    differentiable.forEach((t, j) => {
      const p = compareTensor(hv[j], c.hvp[index(t)]!);
      if (p) problems.push(`hvp of ${t.name}: ${p}`);
    });
    return problems.length ? problems.join("; ") : null;
  });
}

// Conformance for jvp.json: value and forward-mode Jacobian-vector product J·t of a vector-valued
// expression (FORMAT.md), through jvp().
import { jvp, tidy, type Tensor } from "../../../src/index.js";
import { compareTensor, fromJson, type JsonTensor } from "../load.js";
import { programOf, type ExpressionCase } from "../expression.js";

interface JvpCase extends ExpressionCase {
  tangents: (JsonTensor | null)[];
  output: JsonTensor;
  jvp: JsonTensor;
}

export function runCase(c: JvpCase): string | null {
  return tidy(() => {
    const { fn, differentiable } = programOf(c);
    const xs = differentiable.map((t) => fromJson(t, { requiresGrad: true }));
    const ts = differentiable.map((t) => fromJson(c.tangents[c.inputs.indexOf(t)]!));
    const [out, jt] = jvp(fn, xs, ts) as [Tensor, Tensor];
    const problems = [["output", compareTensor(out, c.output)], ["jvp", compareTensor(jt, c.jvp)]].filter(([, p]) => p);
    return problems.length ? problems.map(([what, p]) => `${what}: ${p}`).join("; ") : null;
  });
}

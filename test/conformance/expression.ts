// The expression programs of higher_order.json and jvp.json (FORMAT.md, "Expression grammar"):
// each step calls an op through the op-case families' own handlers, with its positional tensor
// arguments given the input names those handlers read. A JSON number is a 0-d constant.
import * as sg from "../../src/index.js";
import type { Tensor } from "../../src/index.js";
import { fromJson, type JsonTensor } from "./load.js";
import type { OpFn } from "./run.js";
import { ops as unary } from "./families/unary.js";
import { ops as binary } from "./families/binary.js";
import { ops as reduction } from "./families/reduction.js";
import { ops as matmul } from "./families/matmul.js";
import { ops as shape } from "./families/shape.js";
import { ops as softmax } from "./families/softmax.js";
import { ops as loss } from "./families/loss.js";
import { ops as conv } from "./families/conv.js";
import { ops as norm } from "./families/norm.js";

// logsumexp (indexing.json semantics) composed from differentiable ops: m + log Σ exp(x − m), with
// the max m taken as a constant (it cancels out of the value and of every derivative).
const logsumexp: OpFn = ({ x }, a) => {
  const m = sg.noGrad(() => sg.max(x.detach(), null).values);
  const dims: number[] = a.dim === null ? x.shape.map((_, i) => i) : Array.isArray(a.dim) ? a.dim : [a.dim];
  const lse = sg.add(sg.log(sg.sum(sg.exp(sg.sub(x, m)), dims, true)), m);
  return a.keepdim ? lse : sg.reshape(lse, x.shape.filter((_, i) => !dims.map((d) => (d < 0 ? d + x.ndim : d)).includes(i)));
};

const handlers: Record<string, OpFn> = { ...unary, ...binary, ...reduction, ...matmul, ...shape, ...softmax, ...loss, ...conv, ...norm, logsumexp };

/** Positional argument names per op (the grammar table); every other op takes x. */
const positional: Record<string, string[]> = {
  add: ["a", "b"], sub: ["a", "b"], mul: ["a", "b"], div: ["a", "b"], pow: ["a", "b"], matmul: ["a", "b"],
  linear: ["x", "weight", "bias"], conv2d: ["x", "weight", "bias"], layer_norm: ["x", "weight", "bias"],
  mse_loss: ["input", "target"], cross_entropy: ["input", "target"],
};

export interface Step {
  op: string;
  args: (string | number)[];
  attrs: any;
}

export function callOp(op: string, args: Tensor[], attrs: any): Tensor {
  const fn = handlers[op];
  if (!fn) throw new Error(`expression op "${op}" has no handler`);
  const names = positional[op] ?? ["x"];
  if (args.length > names.length) throw new Error(`expression op "${op}" got ${args.length} arguments, takes at most ${names.length}`);
  const named: Record<string, Tensor> = {};
  args.forEach((t, i) => (named[names[i]] = t));
  const out = fn(named, attrs, args);
  if (Array.isArray(out)) throw new Error(`expression op "${op}" returned ${out.length} outputs, expected one`);
  return out;
}

/** Runs the program on named tensors: each step's result is "%k"; the last step is f. */
export function evaluate(steps: Step[], env: Record<string, Tensor>): Tensor {
  const vals: Tensor[] = [];
  const arg = (a: string | number): Tensor => {
    if (typeof a === "number") return sg.tensor(a);
    if (a.startsWith("%")) return vals[Number(a.slice(1))];
    const t = env[a];
    if (!t) throw new Error(`expression refers to unknown input "${a}"`);
    return t;
  };
  for (const s of steps) vals.push(callOp(s.op, s.args.map(arg), s.attrs));
  return vals[vals.length - 1];
}

export interface ExpressionCase {
  id: string;
  ops: Step[];
  inputs: JsonTensor[];
}

/**
 * The case's function of its differentiable inputs (in case order), the other inputs held as
 * constants; `names` are the differentiable inputs' names, `constants` the tensors to free.
 */
export function programOf(c: ExpressionCase): { fn: (...xs: Tensor[]) => Tensor; differentiable: JsonTensor[]; constants: Tensor[] } {
  const differentiable = c.inputs.filter((t) => t.requires_grad);
  const constantInputs = c.inputs.filter((t) => !t.requires_grad);
  const constants = constantInputs.map((t) => fromJson(t));
  const fn = (...xs: Tensor[]) => {
    const env: Record<string, Tensor> = {};
    constantInputs.forEach((t, j) => (env[t.name] = constants[j]));
    differentiable.forEach((t, j) => (env[t.name] = xs[j]));
    return evaluate(c.ops, env);
  };
  return { fn, differentiable, constants };
}

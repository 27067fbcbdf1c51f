// torch.autograd.functional for simdgrad: vjp, jvp, hvp, jacobian and hessian of a function of
// tensors, built on grad() (reverse mode) and createGraph (gradients of gradients).
//
// Cost model. Reverse mode (grad, vjp) costs one backward pass per output direction: a whole
// gradient of a scalar loss in one pass, a Jacobian in one pass per output element. Forward mode
// (jvp) costs one pass per input direction, so a Jacobian with few inputs and many outputs (tall)
// is cheaper forward and one with many inputs and few outputs (wide) cheaper in reverse. jvp here
// is the double-vjp construction: u ↦ Jᵀu is recorded once (createGraph), and J·t = ∂⟨Jᵀu, t⟩/∂u
// is one backward pass through that graph per tangent t.
import { Tensor, tidy, shapeToString } from "./tensor.js";
import { enableGrad, grad } from "./autograd.js";
import { zeros } from "./ops/creation.js";
import { add, mul } from "./ops/binary.js";
import { sum } from "./ops/reduce.js";
import { reshape, stack } from "./ops/shape.js";
import { checkOptionNames } from "./ops/checks.js";

/** A function of tensors to one tensor or several, as vjp, jvp, jacobian and hessian differentiate it. */
export type TensorFn = (...inputs: Tensor[]) => Tensor | Tensor[];

/** The options of vjp, jvp and hvp (torch.autograd.functional's `create_graph`). */
export interface FunctionalOptions {
  /**
   * Keep the results connected to the autograd graph, so they can be differentiated again (and
   * inputs that require grad stay linked to their own graph). Default false: plain tensors.
   */
  createGraph?: boolean;
}

/** vjp's, jvp's and hvp's one option (any other name is an error). */
function createGraphOption(op: string, options: FunctionalOptions): boolean {
  checkOptionNames(op, options, ["createGraph"]);
  return options.createGraph ?? false;
}

const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/**
 * The inputs as fn sees them: tensors that require grad, cut from the caller's graph unless
 * createGraph keeps an input that requires grad linked to it (through a recorded view).
 */
function prepare(op: string, inputs: Tensor[], createGraph: boolean): Tensor[] {
  return inputs.map((x, j) => {
    if (!(x instanceof Tensor)) throw new Error(`${op}: input ${j} must be a Tensor, got ${typeof x}`);
    if (x.isDisposed) throw new Error(`${op}: input ${j} ${shapeToString(x.shape)} was disposed and can no longer be used`);
    if (x.dtype !== "float32") throw new Error(`${op}: input ${j} must be float32 to be differentiated, got ${x.dtype}`);
    return createGraph && x.requiresGrad ? reshape(x, [...x.shape]) : x.detach().setRequiresGrad(true);
  });
}

/** fn's outputs as a list (recorded even inside noGrad), and whether fn returned a single Tensor. */
function call(op: string, fn: TensorFn, xs: Tensor[]): { outs: Tensor[]; single: boolean } {
  const raw = enableGrad(() => fn(...xs));
  const outs = asList(raw);
  outs.forEach((o, k) => {
    if (!(o instanceof Tensor)) throw new Error(`${op}: the function must return a Tensor or an array of Tensors; output ${k} is ${typeof o}`);
    if (o.dtype !== "float32") throw new Error(`${op}: output ${k} must be float32, got ${o.dtype}`);
  });
  return { outs, single: !Array.isArray(raw) };
}

function scalarOutput(op: string, fn: TensorFn, xs: Tensor[]): Tensor {
  const { outs } = call(op, fn, xs);
  if (outs.length !== 1 || outs[0].size !== 1) {
    throw new Error(`${op}: the function must return a single scalar, got ${outs.map((o) => shapeToString(o.shape)).join(", ")}`);
  }
  return outs[0];
}

function checkMatching(op: string, what: string, vs: (Tensor | null)[], like: Tensor[]): void {
  if (vs.length !== like.length) throw new Error(`${op}: got ${vs.length} ${what}s for ${like.length} tensors`);
  vs.forEach((v, j) => {
    if (v && (v.shape.length !== like[j].shape.length || v.shape.some((d, i) => d !== like[j].shape[i]))) {
      throw new Error(`${op}: ${what} ${j} has shape ${shapeToString(v.shape)}, expected ${shapeToString(like[j].shape)}`);
    }
  });
}

/** A gradient grad() left null (the function does not depend on that input): zeros. */
const orZeros = (g: Tensor | null, like: Tensor) => g ?? zeros(like.shape);

/** Cut from the graph unless createGraph (a plain tensor the caller owns). */
const finish = (t: Tensor, createGraph: boolean) => (createGraph ? t : t.detach());

/** Returns fn's output(s) in the form fn returned them (a Tensor or an array). */
function shaped(fnResult: Tensor[], single: boolean): Tensor | Tensor[] {
  return single ? fnResult[0] : fnResult;
}

/**
 * torch.autograd.functional.vjp: fn's outputs and vᵀ·J for each input (v: one cotangent per
 * output; may be left out for a scalar output). Returns [outputs, vjp], each shaped like what was
 * passed (a Tensor or an array).
 */
export function vjp(fn: TensorFn, inputs: Tensor | Tensor[], v?: Tensor | (Tensor | null)[] | null, options: FunctionalOptions = {}): [Tensor | Tensor[], Tensor | Tensor[]] {
  const createGraph = createGraphOption("vjp", options);
  return tidy(() => {
    const xs = prepare("vjp", asList(inputs), createGraph);
    const { outs, single } = call("vjp", fn, xs);
    const vs = v === undefined || v === null ? outs.map(() => null) : asList(v);
    checkMatching("vjp", "cotangent", vs, outs);
    const gs = grad(outs, xs, { gradOutputs: vs, createGraph, allowUnused: true });
    const result = gs.map((g, j) => finish(orZeros(g, xs[j]), createGraph));
    return [shaped(outs.map((o) => finish(o, createGraph)), single), shaped(result, !Array.isArray(inputs))];
  });
}

/**
 * torch.autograd.functional.jvp: fn's outputs and J·t, the derivative of each output along the
 * tangents (one per input, shaped like it; null = no motion along that input). Double-vjp
 * construction (see the cost model above). Returns [outputs, jvp] shaped like fn's result.
 */
export function jvp(fn: TensorFn, inputs: Tensor | Tensor[], tangents: Tensor | (Tensor | null)[], options: FunctionalOptions = {}): [Tensor | Tensor[], Tensor | Tensor[]] {
  const createGraph = createGraphOption("jvp", options);
  return tidy(() => {
    const xs = prepare("jvp", asList(inputs), createGraph);
    const ts = asList(tangents);
    checkMatching("jvp", "tangent", ts, xs);
    const { outs, single } = call("jvp", fn, xs);
    const jt = linearizeForward(outs, xs, createGraph)(ts);
    return [shaped(outs.map((o) => finish(o, createGraph)), single), shaped(jt.map((t) => finish(t, createGraph)), single)];
  });
}

/**
 * t ↦ J·t for the recorded outputs: records u ↦ Jᵀu once (u are dummy cotangents: the vjp is
 * linear in u, so their value does not matter), then each call is one backward pass in u.
 */
function linearizeForward(outs: Tensor[], xs: Tensor[], createGraph: boolean): (ts: (Tensor | null)[]) => Tensor[] {
  const us = outs.map((o) => zeros(o.shape).setRequiresGrad(true));
  const vjps = grad(outs, xs, { gradOutputs: us, createGraph: true, allowUnused: true });
  return (ts) => {
    const pairs = vjps.flatMap((g, j) => (g && ts[j] && g.requiresGrad ? [[g, ts[j]!] as const] : []));
    if (pairs.length === 0) return outs.map((o) => zeros(o.shape));
    const jt = grad(pairs.map(([g]) => g), us, { gradOutputs: pairs.map(([, t]) => t), createGraph, retainGraph: true, allowUnused: true });
    return jt.map((t, k) => orZeros(t, outs[k]));
  };
}

/**
 * torch.autograd.functional.hvp for a scalar fn: its value and H·v, the Hessian (over all inputs
 * jointly, cross terms included) times the directions v (one per input). Computed as the gradient
 * of ⟨∇f, v⟩ (reverse over reverse), which equals H·v for the symmetric Hessian of a twice
 * differentiable f.
 */
export function hvp(fn: TensorFn, inputs: Tensor | Tensor[], v: Tensor | (Tensor | null)[], options: FunctionalOptions = {}): [Tensor, Tensor | Tensor[]] {
  const createGraph = createGraphOption("hvp", options);
  return tidy(() => {
    const xs = prepare("hvp", asList(inputs), createGraph);
    const vs = asList(v);
    checkMatching("hvp", "direction", vs, xs);
    const f = scalarOutput("hvp", fn, xs);
    const gs = grad(f, xs, { createGraph: true, allowUnused: true });
    const terms = gs.flatMap((g, j) => (g && vs[j] && g.requiresGrad ? [sum(mul(g, vs[j]!))] : []));
    const hv = terms.length === 0 ? xs.map(() => null) : grad(terms.reduce((a, b) => add(a, b)), xs, { createGraph, allowUnused: true });
    const result = hv.map((h, j) => finish(orZeros(h, xs[j]), createGraph));
    return [finish(f, createGraph), shaped(result, !Array.isArray(inputs))];
  });
}

/** The options of jacobian and hessian. */
export interface JacobianOptions extends FunctionalOptions {
  /**
   * "reverse" (default): one backward pass per output element; "forward": one forward-mode
   * product per input element (cheaper when the inputs are fewer than the outputs).
   */
  strategy?: "reverse" | "forward";
}

/**
 * torch.autograd.functional.jacobian: J[k][j] of shape [...outputs[k].shape, ...inputs[j].shape].
 * A single Tensor when fn returns a Tensor and inputs is a Tensor; otherwise nested arrays
 * (outputs × inputs), with a single level when only one side is a list.
 */
export function jacobian(fn: TensorFn, inputs: Tensor | Tensor[], options: JacobianOptions = {}): Tensor | Tensor[] | Tensor[][] {
  checkOptionNames("jacobian", options, ["createGraph", "strategy"]);
  const { createGraph = false, strategy = "reverse" } = options;
  if (strategy !== "reverse" && strategy !== "forward") throw new Error(`jacobian: strategy must be "reverse" or "forward", got ${JSON.stringify(strategy)}`);
  return tidy(() => {
    const xs = prepare("jacobian", asList(inputs), createGraph);
    const { outs, single: singleOut } = call("jacobian", fn, xs);
    const blocks = strategy === "reverse" ? reverseJacobian(outs, xs, createGraph) : forwardJacobian(outs, xs, createGraph);
    const done = blocks.map((row) => row.map((b) => finish(b, createGraph)));
    const singleIn = !Array.isArray(inputs);
    if (singleOut && singleIn) return done[0][0];
    if (singleOut) return done[0];
    if (singleIn) return done.map((row) => row[0]);
    return done;
  });
}

/** A one-hot cotangent/tangent: 1 at flat index i of `like`'s shape. */
function oneHot(like: Tensor, i: number): Tensor {
  const e = zeros(like.shape);
  e.liveData()[i] = 1;
  return e;
}

function reverseJacobian(outs: Tensor[], xs: Tensor[], createGraph: boolean): Tensor[][] {
  return outs.map((o) => {
    const rows = Array.from({ length: o.size }, (_, i) =>
      grad(o, xs, { gradOutputs: oneHot(o, i), retainGraph: true, createGraph, allowUnused: true }).map((g, j) => orZeros(g, xs[j])),
    );
    return xs.map((x, j) => reshape(stack(rows.map((r) => r[j])), [...o.shape, ...x.shape]));
  });
}

function forwardJacobian(outs: Tensor[], xs: Tensor[], createGraph: boolean): Tensor[][] {
  const forward = linearizeForward(outs, xs, createGraph);
  // columns[j][i][k]: J·e_i for element i of input j, output k
  const columns = xs.map((x, j) =>
    Array.from({ length: x.size }, (_, i) => forward(xs.map((other, jj) => (jj === j ? oneHot(x, i) : null)))),
  );
  return outs.map((o, k) =>
    xs.map((x, j) => {
      const cols = columns[j].map((c) => reshape(c[k], [o.size]));
      return reshape(stack(cols, 1), [...o.shape, ...x.shape]);
    }),
  );
}

/**
 * torch.autograd.functional.hessian of a scalar fn: H[i][j] of shape [...inputs[i].shape,
 * ...inputs[j].shape] (a single Tensor when inputs is a Tensor): the Jacobian of the gradient.
 */
export function hessian(fn: TensorFn, inputs: Tensor | Tensor[], options: JacobianOptions = {}): Tensor | Tensor[][] {
  checkOptionNames("hessian", options, ["createGraph", "strategy"]);
  const single = !Array.isArray(inputs);
  const gradient = (...xs: Tensor[]) =>
    grad(scalarOutput("hessian", fn, xs), xs, { createGraph: true, allowUnused: true }).map((g, j) => orZeros(g, xs[j]));
  const h = jacobian(gradient, asList(inputs), options) as Tensor[][];
  return single ? h[0][0] : h;
}

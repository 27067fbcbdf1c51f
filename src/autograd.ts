// Define-by-run autograd. Each differentiable op calls record() with its inputs, outputs, the
// tensors its backward needs, and a backward closure written right under its forward. Nodes are
// refcounted by the tensors they produced and by downstream nodes, so a graph nobody can reach
// any more frees its saved tensors at once (not when the GC gets to it).
import { Tensor, sameShape, shapeToString, tidy, track } from "./tensor.js";
import { backend } from "./backend/wasm.js";
import { checkOptionNames } from "./ops/checks.js";

export type BackwardFn = (grads: (Tensor | null)[], saved: Tensor[]) => (Tensor | null)[];

/** Where a saved tensor came from: input i or output k of its op, or neither (a constant). */
type SavedSource = { input: number } | { output: number } | null;

export class Node {
  private refs = 0;
  private saved: Tensor[] | null;
  /** The storage version of each saved tensor when it was saved (Tensor.version). */
  private readonly savedVersions: number[];

  constructor(
    readonly name: string,
    readonly inputs: readonly Tensor[],
    saved: Tensor[],
    private readonly sources: readonly SavedSource[],
    readonly backwardFn: BackwardFn,
    /** The backward written in differentiable ops, run when a gradient graph is built (createGraph). */
    readonly graphBackwardFn: BackwardFn | null,
    readonly numOutputs: number,
  ) {
    this.saved = saved;
    this.savedVersions = saved.map((t) => t.version);
    for (const t of inputs) t.gradFn?.retain();
  }

  get hasBeenFreed(): boolean {
    return this.saved === null;
  }

  retain(): void {
    this.refs++;
  }

  release(): void {
    if (--this.refs > 0) return;
    this.freeSaved();
    for (const t of this.inputs) t.gradFn?.release();
  }

  private checkSaved(): Tensor[] {
    if (!this.saved) {
      throw new Error(
        `backward: trying to backward through ${this.name} a second time; its saved tensors were freed ` +
          "after the first backward (pass { retainGraph: true } to the first call)",
      );
    }
    this.saved.forEach((t, i) => {
      if (t.version === this.savedVersions[i]) return;
      throw new Error(
        `backward of ${this.name}: one of the variables needed for gradient computation has been modified by an inplace operation ` +
          `(${t.lastInPlaceOp}): the ${t.dtype} ${shapeToString(t.shape)} tensor saved by ${this.name} is at version ${t.version}; ` +
          `expected version ${this.savedVersions[i]} instead`,
      );
    });
    return this.saved;
  }

  runBackward(grads: (Tensor | null)[]): (Tensor | null)[] {
    return this.backwardFn(grads, this.checkSaved());
  }

  /**
   * The backward recorded as a graph of its own (createGraph), so it can be differentiated again.
   * Saved inputs and outputs come back connected to the graph (an input as the tensor itself, an
   * output as a view whose gradFn is this node), like PyTorch's SavedVariable; other saved
   * tensors are constants.
   */
  runGraphBackward(grads: (Tensor | null)[]): (Tensor | null)[] {
    const saved = this.checkSaved();
    if (!this.graphBackwardFn) {
      throw new Error(
        `backward with createGraph: ${this.name} has no double backward yet (its backward is a fused kernel), ` +
          "so its gradient cannot be differentiated again",
      );
    }
    const connected = saved.map((s, j) => {
      const src = this.sources[j];
      if (src && "input" in src) {
        const t = this.inputs[src.input];
        if (!t.isDisposed) return t;
        const view = s.aliasAs(s.shape);
        // A disposed leaf can no longer receive a gradient; a disposed intermediate still links up.
        if (t.gradFn) view.setGradFn(t.gradFn, t.outputIndex);
        return view;
      }
      const view = s.aliasAs(s.shape);
      if (src) view.setGradFn(this, src.output);
      return view;
    });
    return this.graphBackwardFn(grads, connected);
  }

  freeSaved(): void {
    if (!this.saved) return;
    for (const t of this.saved) t.dispose();
    this.saved = null;
  }
}

let gradEnabled = true;

/** Whether operations are being recorded for backward (torch.is_grad_enabled): false inside noGrad. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording operations for autograd (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Whether an op on these inputs must be recorded. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  return gradEnabled && inputs.some((t) => t?.requiresGrad);
}

let anomalyDetection = false;

/**
 * Anomaly detection (torch.autograd.set_detect_anomaly): when on, every op recorded for autograd
 * checks its outputs, and backward checks every gradient it computes, for NaN and ±Infinity, and
 * throws naming the op. It reads every value back, so it is for debugging, not for speed.
 */
export function setDetectAnomaly(on: boolean): void {
  anomalyDetection = on;
}

/** Whether anomaly detection is on (torch.is_anomaly_enabled). */
export function isAnomalyEnabled(): boolean {
  return anomalyDetection;
}

function checkFinite(what: string, t: Tensor): void {
  if (t.dtype !== "float32") return;
  const v = t.liveData();
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) {
      throw new Error(`${what} produced ${v[i]} at element ${i} of a ${shapeToString(t.shape)} tensor (anomaly detection is on)`);
    }
  }
}

/**
 * Records an op for backward. `saved` tensors are kept alive (as aliases of their storage) until
 * backward has used them, even if the caller disposes the originals; the closures must read them
 * from their `saved` argument. `backward` (the fast path, run under noGrad) and `graphBackward`
 * (written in differentiable ops, run when backward builds a graph: createGraph) each return one
 * gradient (or null) per input; an op whose backward is already made of differentiable ops passes
 * the same function twice. Without `graphBackward`, createGraph through the op is an error.
 */
export function record(name: string, inputs: Tensor[], outputs: Tensor[], saved: Tensor[], backward: BackwardFn, graphBackward?: BackwardFn): void {
  if (!needsGrad(...inputs)) return;
  if (anomalyDetection) for (const o of outputs) checkFinite(name, o);
  const sources = saved.map((t): SavedSource => {
    const i = inputs.indexOf(t);
    if (i >= 0) return { input: i };
    const k = outputs.indexOf(t);
    return k >= 0 ? { output: k } : null;
  });
  const aliases = saved.map((t) => t.aliasAs(t.shape).untrack());
  const node = new Node(name, inputs, aliases, sources, backward, graphBackward ?? null, outputs.length);
  outputs.forEach((o, k) => o.setGradFn(node, k));
}

/** The options of Tensor.backward (torch's `retain_graph`, `create_graph`). */
export interface BackwardOptions {
  /** Keep the saved tensors so the graph can be differentiated again (default: createGraph). */
  retainGraph?: boolean;
  /**
   * Record the backward itself as a graph (each op's differentiable backward), so the gradients
   * it produces require grad and can be differentiated again: Hessian-vector products, gradient
   * penalties. Without it the fused backward kernels run, recording nothing.
   */
  createGraph?: boolean;
}

/** Runs fn with recording on or off (noGrad, and the engine's createGraph passes). */
function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = enabled;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Runs fn with recording on, even inside noGrad (torch.enable_grad). */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

/**
 * existing + g, consuming g. Gradients the engine holds are owned by it alone, so without a graph
 * it adds in place; with one (or into a gradient that is itself part of a graph) the sum is a new
 * recorded tensor.
 */
function accumulate(existing: Tensor, g: Tensor, createGraph: boolean): Tensor {
  if (!createGraph && !existing.requiresGrad) {
    backend().kernels.axpy_f32(1, g.ptr, existing.ptr, existing.size);
    g.dispose();
    return existing;
  }
  const total = withGradMode(createGraph, () => existing.add(g)).untrack();
  existing.dispose();
  g.dispose();
  return total;
}

/** Every node reachable from the roots, each before the nodes that produced its inputs. */
function topoOrder(roots: Node[]): Node[] {
  const order: Node[] = [];
  const visited = new Set<Node>();
  for (const root of roots) {
    if (visited.has(root)) continue;
    visited.add(root);
    const stack: [Node, number][] = [[root, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [node, i] = top;
      if (i < node.inputs.length) {
        top[1]++;
        const next = node.inputs[i].gradFn;
        if (next && !visited.has(next)) {
          visited.add(next);
          stack.push([next, 0]);
        }
      } else {
        stack.pop();
        order.push(node);
      }
    }
  }
  return order.reverse();
}

function checkRoot(op: string, root: Tensor, gradient: Tensor | null | undefined): void {
  if (root.isDisposed) throw new Error(`${op}: tensor ${shapeToString(root.shape)} was disposed and can no longer be used`);
  if (!root.requiresGrad) {
    throw new Error(`${op}: tensor ${shapeToString(root.shape)} does not require grad and has no grad_fn`);
  }
  if (!gradient && root.size !== 1) {
    throw new Error(
      `${op}: a gradient can be created implicitly only for scalar outputs; got shape ${shapeToString(root.shape)} — pass the output's gradient`,
    );
  }
  if (gradient) checkSeedGradient(op, root, gradient);
}

// PyTorch: the gradient passed to backward must have the output's exact shape (no silent reshape).
function checkSeedGradient(op: string, root: Tensor, gradient: Tensor): void {
  if (!(gradient instanceof Tensor)) throw new Error(`${op}: gradient must be a Tensor, got ${typeof gradient}`);
  if (gradient.isDisposed) throw new Error(`${op}: the gradient ${shapeToString(gradient.shape)} was disposed and can no longer be used`);
  if (!sameShape(gradient.shape, root.shape)) {
    throw new Error(`${op}: mismatch in shape: gradient has a shape of ${shapeToString(gradient.shape)} and the output has a shape of ${shapeToString(root.shape)}`);
  }
}

/**
 * The engine's own copy of the output gradient (ones for a scalar), linked to its graph when
 * building one. An integer gradient is cast to float32, as PyTorch does (never reinterpreted).
 */
function seed(root: Tensor, gradient: Tensor | null | undefined, createGraph: boolean): Tensor {
  return tidy(() => {
    if (!gradient) return Tensor.empty(root.shape).fill_(1);
    return createGraph ? withGradMode(true, () => gradient.float()) : gradient.detach().float();
  }).untrack();
}

/**
 * One backward pass from the roots (seeded with their gradients, which it consumes). With
 * `capture` null it accumulates into the .grad of every leaf that requires grad (backward());
 * otherwise it returns the gradient of each captured tensor and touches no .grad (grad()), running
 * only the part of the graph that leads to them.
 */
function execute(roots: Tensor[], seeds: Tensor[], retainGraph: boolean, createGraph: boolean, capture: readonly Tensor[] | null): (Tensor | null)[] {
  const buffers = new Map<Node, (Tensor | null)[]>();
  const leafGrads = new Map<Tensor, Tensor>();
  const outputGrads = new Map<Node, (Tensor | null)[]>();
  const capturedLeaves = new Set(capture?.filter((t) => !t.gradFn));
  const capturedNodes = new Set(capture?.flatMap((t) => (t.gradFn ? [t.gradFn] : [])));
  const disposeAll = () => {
    for (const bufs of [...buffers.values(), ...outputGrads.values()]) for (const g of bufs) g?.dispose();
    for (const g of leafGrads.values()) g.dispose();
  };

  const toLeaf = (leaf: Tensor, g: Tensor) => {
    if (!capture) return accumulateLeaf(leaf, g, createGraph);
    if (!capturedLeaves.has(leaf)) return g.dispose();
    const existing = leafGrads.get(leaf);
    leafGrads.set(leaf, existing ? accumulate(existing, g, createGraph) : g);
  };
  const toNode = (t: Tensor, g: Tensor) => {
    const node = t.gradFn!;
    let buf = buffers.get(node);
    if (!buf) buffers.set(node, (buf = new Array(node.numOutputs).fill(null)));
    const existing = buf[t.outputIndex];
    buf[t.outputIndex] = existing ? accumulate(existing, g, createGraph) : g;
  };
  const copy = (g: Tensor) => withGradMode(createGraph, () => g.clone()).untrack();

  roots.forEach((root, k) => (root.gradFn ? toNode(root, seeds[k]) : toLeaf(root, seeds[k])));
  const order = topoOrder(roots.flatMap((r) => (r.gradFn ? [r.gradFn] : [])));

  // With captured tensors, a node's backward runs only if one of its inputs leads to one of them.
  let mustRun: Set<Node> | null = null;
  if (capture) {
    mustRun = new Set();
    const leadsToCapture = new Set<Node>();
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i];
      if (node.inputs.some((t) => (t.gradFn ? leadsToCapture.has(t.gradFn) : capturedLeaves.has(t)))) mustRun.add(node);
      if (mustRun.has(node) || capturedNodes.has(node)) leadsToCapture.add(node);
    }
  }

  try {
    for (const node of order) {
      const grads = buffers.get(node);
      if (!grads) continue;
      buffers.delete(node);
      if (capturedNodes.has(node)) outputGrads.set(node, grads.map((g) => g && copy(g)));
      if (mustRun && !mustRun.has(node)) {
        for (const g of grads) g?.dispose();
        continue;
      }
      let inputGrads: (Tensor | null)[];
      try {
        inputGrads = tidy(() => {
          const computed = createGraph
            ? withGradMode(true, () => node.runGraphBackward(grads))
            : withGradMode(false, () => node.runBackward(grads));
          if (anomalyDetection) computed.forEach((g, i) => g && checkFinite(`backward of ${node.name} (gradient of input ${i})`, g));
          return computed;
        });
      } catch (e) {
        for (const g of grads) g?.dispose();
        throw e;
      }
      const owned = new Set<Tensor>();
      inputGrads = inputGrads.map((g) => {
        if (!g) return null;
        // The same tensor returned twice (x + x), or an input handed back by a graph backward.
        if (owned.has(g) || node.inputs.includes(g)) return copy(g);
        g.untrack();
        owned.add(g);
        return g;
      });
      for (const g of grads) if (g && !owned.has(g)) g.dispose();
      if (!retainGraph) node.freeSaved();

      node.inputs.forEach((input, i) => {
        const g = inputGrads[i];
        if (!g) return;
        if (!input.requiresGrad) return g.dispose();
        if (g.size !== input.size) {
          inputGrads.slice(i).forEach((r) => r?.dispose());
          throw new Error(`backward: ${node.name} produced a gradient of shape ${shapeToString(g.shape)} for input ${shapeToString(input.shape)}`);
        }
        const gs = sameShape(g.shape, input.shape) ? g : reshapeOwned(g, input.shape, createGraph);
        if (input.gradFn) toNode(input, gs);
        else toLeaf(input, gs);
      });
    }
  } catch (e) {
    disposeAll();
    throw e;
  }
  for (const bufs of buffers.values()) for (const g of bufs) g?.dispose();
  if (!capture) return [];
  // A tensor listed twice gets its gradient twice (a copy the second time).
  const handedOut = new Set<Tensor>();
  const results = capture.map((t) => {
    const g = t.gradFn ? outputGrads.get(t.gradFn)?.[t.outputIndex] ?? null : leafGrads.get(t) ?? null;
    if (!g) return null;
    if (handedOut.has(g)) return copy(g);
    handedOut.add(g);
    return g;
  });
  for (const bufs of outputGrads.values()) for (const g of bufs) if (g && !handedOut.has(g)) g.dispose();
  return results;
}

/** Tensor.backward: gradients of root into the .grad of every leaf that requires grad. */
export function runBackward(root: Tensor, gradient: Tensor | undefined, options: BackwardOptions = {}): void {
  checkOptionNames("backward", options, ["retainGraph", "createGraph"]);
  checkRoot("backward", root, gradient);
  const createGraph = options.createGraph ?? false;
  execute([root], [seed(root, gradient, createGraph)], options.retainGraph ?? createGraph, createGraph, null);
}

/**
 * The options of grad (torch.autograd.grad's `grad_outputs`, `allow_unused`, `retain_graph`, `create_graph`).
 */
export interface GradOptions extends BackwardOptions {
  /** The gradient of each output (the "vector" of the vector–Jacobian product); null or absent for a scalar output means 1. */
  gradOutputs?: Tensor | (Tensor | null)[] | null;
  /** Return null for an input the outputs do not depend on, instead of throwing. */
  allowUnused?: boolean;
}

/**
 * torch.autograd.grad: the gradients of the outputs (weighted by gradOutputs, summed over the
 * outputs) with respect to each input, returned in input order, without touching any .grad.
 * Inputs may be leaves or intermediate tensors. With createGraph the results are themselves
 * differentiable (they require grad when they depend on something that does).
 */
export function grad(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  const outs = outputs instanceof Tensor ? [outputs] : [...outputs];
  const ins = inputs instanceof Tensor ? [inputs] : [...inputs];
  checkOptionNames("grad", options, ["gradOutputs", "createGraph", "retainGraph", "allowUnused"]);
  const { gradOutputs = null, createGraph = false, retainGraph = createGraph, allowUnused = false } = options;
  const upstream = gradOutputs === null ? outs.map(() => null) : gradOutputs instanceof Tensor ? [gradOutputs] : gradOutputs;
  if (outs.length === 0) throw new Error("grad: expected at least one output");
  if (upstream.length !== outs.length) throw new Error(`grad: got ${upstream.length} gradOutputs for ${outs.length} outputs`);
  outs.forEach((o, k) => checkRoot(`grad (output ${k})`, o, upstream[k]));
  ins.forEach((x, j) => {
    if (x.isDisposed) throw new Error(`grad: input ${j} ${shapeToString(x.shape)} was disposed and can no longer be used`);
    if (!x.requiresGrad) throw new Error(`grad: input ${j} ${shapeToString(x.shape)} does not require grad`);
  });
  const seeds = outs.map((o, k) => seed(o, upstream[k], createGraph));
  const results = execute(outs, seeds, retainGraph, createGraph, ins);
  const unused = results.findIndex((r) => !r);
  if (unused >= 0 && !allowUnused) {
    for (const r of results) r?.dispose();
    throw new Error(
      `grad: input ${unused} ${shapeToString(ins[unused].shape)} was not used to compute the outputs; pass { allowUnused: true } to get null for it`,
    );
  }
  return results.map((r) => r && track(r));
}

/** t with another shape, consuming t (a recorded reshape when building a graph). */
function reshapeOwned(t: Tensor, shape: readonly number[], createGraph: boolean): Tensor {
  const r = createGraph ? withGradMode(true, () => t.reshape([...shape])).untrack() : t.aliasAs(shape).untrack();
  t.dispose();
  return r;
}

function accumulateLeaf(leaf: Tensor, g: Tensor, createGraph: boolean): void {
  leaf.grad = leaf.grad && !leaf.grad.isDisposed ? accumulate(leaf.grad, g, createGraph) : g;
}

// Define-by-run autograd. Each differentiable op calls record() with its inputs, outputs, the
// tensors its backward needs, and a backward closure written right under its forward. Nodes are
// refcounted by the tensors they produced and by downstream nodes, so a graph nobody can reach
// any more frees its saved tensors at once (not when the GC gets to it).
import { Tensor, shapeToString, tidy } from "./tensor.js";
import { backend } from "./backend/wasm.js";

export type BackwardFn = (grads: (Tensor | null)[], saved: Tensor[]) => (Tensor | null)[];

export class Node {
  private refs = 0;
  private saved: Tensor[] | null;

  constructor(
    readonly name: string,
    readonly inputs: readonly Tensor[],
    saved: Tensor[],
    readonly backwardFn: BackwardFn,
    readonly numOutputs: number,
  ) {
    this.saved = saved;
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

  runBackward(grads: (Tensor | null)[]): (Tensor | null)[] {
    if (!this.saved) {
      throw new Error(
        `backward: trying to backward through ${this.name} a second time; its saved tensors were freed ` +
          "after the first backward (pass { retainGraph: true } to the first call)",
      );
    }
    return this.backwardFn(grads, this.saved);
  }

  freeSaved(): void {
    if (!this.saved) return;
    for (const t of this.saved) t.dispose();
    this.saved = null;
  }
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording operations for autograd (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Whether an op on these inputs must be recorded. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  return gradEnabled && inputs.some((t) => t?.requiresGrad);
}

/**
 * Records an op for backward. `saved` tensors are kept alive (as aliases of their storage) until
 * backward has used them, even if the caller disposes the originals; the closure must read them
 * from its `saved` argument. The closure returns one gradient (or null) per input.
 */
let anomalyDetection = false;

/**
 * Anomaly detection (torch.autograd.set_detect_anomaly): when on, every op recorded for autograd
 * checks its outputs, and backward checks every gradient it computes, for NaN and ±Infinity, and
 * throws naming the op. It reads every value back, so it is for debugging, not for speed.
 */
export function setDetectAnomaly(on: boolean): void {
  anomalyDetection = on;
}

export function isAnomalyEnabled(): boolean {
  return anomalyDetection;
}

function checkFinite(what: string, t: Tensor): void {
  if (t.dtype !== "float32") return;
  const v = t.view();
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) {
      throw new Error(`${what} produced ${v[i]} at element ${i} of a ${shapeToString(t.shape)} tensor (anomaly detection is on)`);
    }
  }
}

export function record(name: string, inputs: Tensor[], outputs: Tensor[], saved: Tensor[], backward: BackwardFn): void {
  if (!needsGrad(...inputs)) return;
  if (anomalyDetection) for (const o of outputs) checkFinite(name, o);
  const aliases = saved.map((t) => t.aliasAs(t.shape).untrack());
  const node = new Node(name, inputs, aliases, backward, outputs.length);
  outputs.forEach((o, k) => o.setGradFn(node, k));
}

// Gradients the engine holds are owned by it alone, so adding into them in place is safe.
function accumulateInto(target: Tensor, g: Tensor): void {
  backend().kernels.axpy_f32(1, g.ptr, target.ptr, target.size);
  g.dispose();
}

function topoOrder(root: Node): Node[] {
  const order: Node[] = [];
  const visited = new Set<Node>();
  const stack: [Node, number][] = [[root, 0]];
  visited.add(root);
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
  return order.reverse();
}

export function runBackward(root: Tensor, gradient: Tensor | undefined, retainGraph: boolean): void {
  if (root.isDisposed) throw new Error(`backward: tensor ${shapeToString(root.shape)} was disposed and can no longer be used`);
  if (!root.requiresGrad) {
    throw new Error(`backward: tensor ${shapeToString(root.shape)} does not require grad and has no grad_fn`);
  }
  if (!gradient && root.size !== 1) {
    throw new Error(
      `backward: a gradient can be created implicitly only for scalar outputs; got shape ${shapeToString(root.shape)} — pass backward(gradient)`,
    );
  }
  if (gradient) checkSeedGradient(root, gradient);
  // An integer gradient is cast to float32, as PyTorch does (never reinterpreted as float bits).
  const rootGrad = tidy(() => (gradient ? gradient.detach().float() : Tensor.empty(root.shape).fill_(1))).untrack();

  if (!root.gradFn) {
    accumulateLeaf(root, rootGrad);
    return;
  }
  const buffers = new Map<Node, (Tensor | null)[]>();
  const rootBuf: (Tensor | null)[] = new Array(root.gradFn.numOutputs).fill(null);
  rootBuf[root.outputIndex] = rootGrad;
  buffers.set(root.gradFn, rootBuf);

  for (const node of topoOrder(root.gradFn)) {
    const grads = buffers.get(node);
    if (!grads) continue;
    buffers.delete(node);
    let inputGrads: (Tensor | null)[];
    try {
      inputGrads = noGrad(() =>
        tidy(() => {
          const computed = node.runBackward(grads);
          if (anomalyDetection) computed.forEach((g, i) => g && checkFinite(`backward of ${node.name} (gradient of input ${i})`, g));
          return computed;
        }),
      );
    } catch (e) {
      for (const g of grads) g?.dispose();
      for (const bufs of buffers.values()) for (const g of bufs) g?.dispose();
      throw e;
    }
    const owned = new Set<Tensor>();
    inputGrads = inputGrads.map((g) => {
      if (!g) return null;
      g.untrack();
      if (owned.has(g)) return g.clone().untrack(); // the same tensor returned twice (x + x)
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
        throw new Error(`backward: ${node.name} produced a gradient of shape ${shapeToString(g.shape)} for input ${shapeToString(input.shape)}`);
      }
      const gs = g.shape.length === input.shape.length && g.shape.every((d, k) => d === input.shape[k]) ? g : reshapeOwned(g, input.shape);
      if (input.gradFn) {
        let buf = buffers.get(input.gradFn);
        if (!buf) buffers.set(input.gradFn, (buf = new Array(input.gradFn.numOutputs).fill(null)));
        const existing = buf[input.outputIndex];
        if (existing) accumulateInto(existing, gs);
        else buf[input.outputIndex] = gs;
      } else {
        accumulateLeaf(input, gs);
      }
    });
  }
}

// PyTorch: the gradient passed to backward must have the output's exact shape (no silent reshape).
function checkSeedGradient(root: Tensor, gradient: Tensor): void {
  if (!(gradient instanceof Tensor)) throw new Error(`backward: gradient must be a Tensor, got ${typeof gradient}`);
  if (gradient.isDisposed) throw new Error(`backward: the gradient ${shapeToString(gradient.shape)} was disposed and can no longer be used`);
  if (gradient.shape.length !== root.shape.length || gradient.shape.some((d, i) => d !== root.shape[i])) {
    throw new Error(`backward: mismatch in shape: gradient has a shape of ${shapeToString(gradient.shape)} and the output has a shape of ${shapeToString(root.shape)}`);
  }
}

function reshapeOwned(t: Tensor, shape: readonly number[]): Tensor {
  const r = t.aliasAs(shape).untrack();
  t.dispose();
  return r;
}

function accumulateLeaf(leaf: Tensor, g: Tensor): void {
  if (leaf.grad && !leaf.grad.isDisposed) accumulateInto(leaf.grad, g);
  else leaf.grad = g;
}

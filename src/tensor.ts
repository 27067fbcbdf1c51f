// Tensor: a shape and dtype over a refcounted block of wasm memory, plus its autograd links.
// Storage is shared by views that need no copy (reshape, flatten, detach, saved-for-backward
// aliases) and freed when the last holder lets go.
import { allocElements, copyElements, f32View, i32View, releaseElements } from "./backend/memory.js";
import type { Node, BackwardOptions } from "./autograd.js";
import { backend } from "./backend/wasm.js";
import { AUTO_FREED_HINT, noteCreated, stepClock } from "./autofree.js";
import { numel, shapeToString, type Shape } from "./dims.js";
export { numel, sameShape, shapeToString, type Shape } from "./dims.js";
// For the method shortcuts only (the marked block at the end of the class): the modules Tensor's
// methods delegate to, which build on Tensor in turn. This is the one import loop of src/
// (scripts/import-graph.mjs checks that these namespaces are used nowhere else).
import * as autograd from "./autograd.js";
import * as binary from "./ops/binary.js";
import * as broadcast from "./ops/broadcast.js";
import * as elementwise from "./ops/elementwise.js";
import * as reduce from "./ops/reduce.js";
import * as shapeOps from "./ops/shape.js";
import * as matmulOps from "./ops/matmul.js";
import * as inplace from "./ops/inplace.js";
import * as indexing from "./ops/indexing.js";
import * as format from "./ops/format.js";

/** The element types a tensor can hold (PyTorch's `torch.float32` and `torch.int32`). */
export type DType = "float32" | "int32";

/** The typed array that holds a tensor's data: `Float32Array` for float32, `Int32Array` for int32 (both for `DType`). */
export type ArrayFor<D extends DType> = D extends "int32" ? Int32Array : D extends "float32" ? Float32Array : never;

/** A float32 tensor: what float-valued ops (arithmetic, activations, reductions, layers) return. */
export type FloatTensor = Tensor<"float32">;
/** An int32 tensor: indices and labels (argmax, randint, sort's indices, `.int()`). */
export type IntTensor = Tensor<"int32">;

const inspectSymbol: unique symbol = Symbol.for("nodejs.util.inspect.custom");
/** Nested JS arrays of numbers (or one number, a 0-d tensor), as `tensor()` takes and `toArray()` returns. */
export type NestedArray = number | NestedArray[];

export class Storage {
  refs = 1;
  /** Bumped by every in-place write through the public API; backward checks saved tensors' versions. */
  version = 0;
  /** The in-place op that last bumped the version, for backward's error. */
  lastInPlaceOp = "";
  constructor(readonly ptr: number, readonly elements: number) {}
  release(): void {
    if (--this.refs === 0) releaseElements(this.ptr, this.elements);
  }
}

// What a tensor holds that must be let go exactly once: by dispose(), or by the GC safety net.
interface Holdings {
  storage: Storage;
  node: Node | null;
}

let liveTensors = 0;
export function liveTensorCount(): number {
  return liveTensors;
}

function letGo(h: Holdings): void {
  liveTensors--;
  h.storage.release();
  h.node?.release();
}

const finalizer =
  typeof FinalizationRegistry === "undefined" ? null : new FinalizationRegistry<Holdings>(letGo);

// tidy() scopes: every tensor created while a scope is open is recorded in the innermost one.
const scopes: Set<Tensor>[] = [];

/**
 * A dense n-dimensional array of float32 or int32 values in WebAssembly memory, with autograd (torch.Tensor).
 * `D` is its dtype in the types: float ops return `Tensor<"float32">`, so `data()` is a `Float32Array`
 * without a cast; plain `Tensor` means either dtype. Tensors are made by the creation functions (`tensor`,
 * `zeros`, `randn`, ...), never with `new`; free them with `dispose()` or `tidy()`.
 */
export class Tensor<D extends DType = DType> {
  /** The size of each dimension (torch's `.shape`), frozen; `[]` for a 0-d tensor. */
  readonly shape: Shape;
  /** The element type: `"float32"` or `"int32"` (torch's `.dtype`). */
  readonly dtype: D;
  /** The number of elements: the product of the shape (torch's `numel()`). */
  readonly size: number;
  /**
   * Whether operations on this tensor are recorded for backward (torch's `requires_grad`); set with
   * `setRequiresGrad()` or the `requiresGrad` creation option.
   */
  requiresGrad = false;
  /**
   * The gradient `backward()` accumulated into this leaf (torch's `.grad`): float32, this tensor's shape, or
   * null before the first backward. `optimizer.zeroGrad()` resets it.
   */
  grad: Tensor | null = null;
  /** The autograd node that produced this tensor (null for leaves). */
  gradFn: Node | null = null;
  /** Which output of gradFn this tensor is. */
  outputIndex = 0;
  /** Set by nn: a learnable parameter or a persistent buffer (running statistics) of a Module. */
  role: "parameter" | "buffer" | null = null;
  /** stepClock.now when the data was last used (autofree.ts frees loop temporaries left unused). */
  lastUse = stepClock.now;
  private holdings: Holdings | null;
  private scope: Set<Tensor> | null = null;
  // Owned by something explicit (a Module, an optimizer, autograd, keep(), the caller of tidy()):
  // never freed automatically.
  private owned = false;
  private freedAutomatically_ = false;

  /** Wraps storage the caller already retained for this tensor. Use the factories. @internal */
  constructor(storage: Storage, shape: Shape, dtype: D) {
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.size = numel(shape);
    this.holdings = { storage, node: null };
    liveTensors++;
    finalizer?.register(this, this.holdings, this);
    const scope = scopes[scopes.length - 1];
    if (scope) {
      scope.add(this);
      this.scope = scope;
    } else {
      noteCreated(this);
    }
  }

  /** A new uninitialised tensor. */
  static empty<D extends DType = "float32">(shape: Shape, dtype: D = "float32" as D, what = "tensor"): Tensor<D> {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new Error(`${what}: invalid shape ${shapeToString(shape)}`);
    }
    const elements = numel(shape);
    const storage = new Storage(allocElements(elements, () => `${what} ${shapeToString(shape)} ${dtype}`), elements);
    return new Tensor(storage, shape, dtype);
  }

  /** The number of dimensions (torch's `ndim` / `dim()`). */
  get ndim(): number {
    return this.shape.length;
  }

  /**
   * True once `dispose()` (or `tidy()`) freed the data; any use after that throws an error naming the tensor.
   */
  get isDisposed(): boolean {
    return this.holdings === null;
  }

  /** Held by something explicit (a Module, an optimizer, keep()): never freed automatically. @internal */
  get isOwned(): boolean {
    return this.owned;
  }

  /**
   * The refcounted block of wasm memory the data lives in (shared by views); throws if disposed.
   * @internal
   */
  get storage(): Storage {
    if (!this.holdings) {
      const what = `simdgrad: tensor ${shapeToString(this.shape)} ${this.dtype}`;
      throw new Error(this.freedAutomatically_ ? `${what} can no longer be used: ${AUTO_FREED_HINT}` : `${what} was disposed and can no longer be used`);
    }
    this.lastUse = stepClock.now;
    return this.holdings.storage;
  }

  /** Byte offset of the data in wasm memory. */
  get ptr(): number {
    return this.storage.ptr;
  }

  /** PyTorch's `_version`: how many in-place writes this tensor's storage has had (shared by its views). */
  get version(): number {
    return this.storage.version;
  }

  /**
   * The name of the in-place op that last wrote the storage, for backward's error about modified
   * saved tensors.
   * @internal
   */
  get lastInPlaceOp(): string {
    return this.storage.lastInPlaceOp;
  }

  /** An in-place op wrote this tensor's storage. @internal */
  markModified(op: string): void {
    const s = this.storage;
    s.version++;
    s.lastInPlaceOp = op;
  }

  /**
   * True for tensors not produced by a recorded op (torch's `is_leaf`): the inputs and parameters whose
   * `.grad` backward fills.
   */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** Attach the node this tensor is an output of (autograd.record). @internal */
  setGradFn(node: Node, outputIndex: number): void {
    void this.storage; // throws if disposed
    this.holdings!.node = node;
    node.retain();
    this.gradFn = node;
    this.outputIndex = outputIndex;
    this.requiresGrad = true;
  }

  /**
   * The data in place, as a typed array over the wasm memory (no copy: writes change the tensor).
   * Valid until the next allocation (memory growth detaches it); `data()` is the safe copy.
   */
  liveData(): ArrayFor<D> {
    return (this.dtype === "float32" ? f32View(this.ptr, this.size) : i32View(this.ptr, this.size)) as ArrayFor<D>;
  }

  /** A copy of the data. */
  data(): ArrayFor<D> {
    return this.liveData().slice() as ArrayFor<D>;
  }

  /** `data()` of a float32 tensor, typed as a Float32Array (no cast under `strict`); an int32 tensor is an error. */
  float32Data(): Float32Array {
    if (this.dtype !== "float32") throw new Error(`float32Data: the tensor is ${this.dtype}; use int32Data(), or .float() first`);
    return this.data() as Float32Array;
  }

  /** `data()` of an int32 tensor, typed as an Int32Array; a float32 tensor is an error. */
  int32Data(): Int32Array {
    if (this.dtype !== "int32") throw new Error(`int32Data: the tensor is ${this.dtype}; use float32Data(), or .int() first`);
    return this.data() as Int32Array;
  }

  /** `data()` under TensorFlow.js's name: a copy of the data as the dtype's typed array. */
  dataSync(): ArrayFor<D> {
    return this.data();
  }

  /** The data as nested JS arrays (a number for a 0-d tensor). */
  toArray(): NestedArray {
    const flat = this.liveData();
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.shape.length) return flat[offset];
      const stride = numel(this.shape.slice(dim + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < this.shape[dim]; i++) out.push(build(dim + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /**
   * The value of a one-element tensor as a number (torch's `item()`); other sizes are an error naming the
   * shape.
   */
  item(): number {
    if (this.size !== 1) throw new Error(`item: only one-element tensors can be converted to a number, got shape ${shapeToString(this.shape)}`);
    return this.liveData()[0];
  }

  /** Frees the storage (once no view or saved-for-backward alias shares it). Idempotent. */
  dispose(): void {
    const h = this.holdings;
    if (!h) return;
    this.holdings = null;
    finalizer?.unregister(this);
    this.scope?.delete(this);
    this.scope = null;
    letGo(h);
  }

  /** The caller holds this tensor for later (a state dict, a loaded file): never freed automatically. @internal */
  markOwned(): this {
    this.owned = true;
    return this;
  }

  /** Frees a loop temporary nothing used for a whole step. (autofree.ts) @internal */
  freeAutomatically(): void {
    this.dispose();
    this.freedAutomatically_ = true;
  }

  /** A new handle on the same storage with another shape (no copy, no autograd link). @internal */
  aliasAs(shape: Shape): Tensor<D> {
    const storage = this.storage;
    if (numel(shape) !== this.size) throw new Error(`alias: cannot view ${shapeToString(this.shape)} as ${shapeToString(shape)}`);
    storage.refs++;
    return new Tensor(storage, shape, this.dtype);
  }

  /** Stop tracking this tensor in its tidy scope (it outlives the scope); it is now owned. @internal */
  untrack(): this {
    this.scope?.delete(this);
    this.scope = null;
    this.owned = true;
    return this;
  }

  /** Move to the given scope (tidy hands returned tensors to the enclosing scope). @internal */
  adoptInto(scope: Set<Tensor> | null): void {
    this.scope?.delete(this);
    this.scope = scope;
    this.owned = false;
    if (scope) scope.add(this);
    else noteCreated(this); // out of every tidy scope: like a tensor made outside them
  }

  /**
   * Turns gradient tracking on or off for a leaf (torch's `requires_grad_()`); only float32 tensors can
   * require gradients, and a non-leaf cannot be turned off (use `detach()`). Returns this tensor.
   */
  setRequiresGrad(flag = true): this {
    if (flag && this.dtype !== "float32") throw new Error(`requiresGrad: only float32 tensors can require gradients, got ${this.dtype}`);
    if (!this.isLeaf && !flag) throw new Error("requiresGrad: cannot turn off gradients of a non-leaf tensor; use detach()");
    this.requiresGrad = flag;
    return this;
  }

  /** Same data, cut from the graph. Shares storage. */
  detach(): Tensor<D> {
    return this.aliasAs(this.shape);
  }

  /** Sets every element, with no autograd and no version bump (fresh tensors). @internal */
  writeFill(value: number): this {
    const k = backend().kernels;
    if (this.dtype === "float32") k.fill_f32(this.ptr, this.size, value);
    else k.fill_i32(this.ptr, this.size, value);
    return this;
  }

  /** Copies src's data (same number of elements and dtype) with no autograd and no version bump. @internal */
  writeFrom(src: Tensor): this {
    if (src.size !== this.size) throw new Error(`copy: cannot copy ${shapeToString(src.shape)} into ${shapeToString(this.shape)}`);
    if (src.dtype !== this.dtype) throw new Error(`copy: dtype mismatch, ${src.dtype} into ${this.dtype}`);
    copyElements(this.ptr, src.ptr, this.size);
    return this;
  }

  /** This tensor becomes the output that `from` is of from's node. (in-place ops) @internal */
  adoptGradFn(from: Tensor): void {
    const h = this.holdings!;
    const old = h.node;
    h.node = null;
    if (from.gradFn) this.setGradFn(from.gradFn, from.outputIndex);
    else {
      this.gradFn = null;
      this.requiresGrad = false;
    }
    old?.release();
  }

  // ==== Method shortcuts ====================================================================
  // PyTorch's tensor methods, each one line delegating to its op in ops/ (or to the autograd
  // engine). From here to "End of method shortcuts" is the only place Tensor calls into the
  // modules above it: the one import loop (tensor <-> ops, autograd) the layers allow.

  // ---- autograd (autograd.ts) ----
  /**
   * Computes gradients of this tensor with respect to every leaf that requires them, adding them
   * into each leaf's .grad. `createGraph` records the backward so those gradients can be
   * differentiated again (see grad()).
   */
  backward(gradient?: Tensor, options: BackwardOptions = {}): void { autograd.runBackward(this, gradient, options); }

  // ---- in place (ops/inplace.ts): each write bumps the version; recorded when autograd is on ----
  /** Sets every element to value in place (torch's `fill_`); returns this tensor. */
  fill_(value: number): this { return inplace.fill_(this, value); }
  /** Sets every element to 0 in place (torch's `zero_`). */
  zero_(): this { return inplace.fill_(this, 0); }
  /** Copies src (broadcast to this shape; converted to this dtype) into this tensor. */
  copy_(src: Tensor): this { return inplace.copy_(this, src); }
  /** Adds other (a tensor broadcast to this shape, or a number) in place (torch's `add_`). */
  add_(other: Tensor | number): this { return inplace.add_(this, other); }
  /** Subtracts other (broadcast to this shape, or a number) in place (torch's `sub_`). */
  sub_(other: Tensor | number): this { return inplace.sub_(this, other); }
  /** Multiplies by other (broadcast to this shape, or a number) in place (torch's `mul_`). */
  mul_(other: Tensor | number): this { return inplace.mul_(this, other); }
  /** Divides by other (broadcast to this shape, or a number) in place (torch's `div_`). */
  div_(other: Tensor | number): this { return inplace.div_(this, other); }
  /** Clamps every element to [min, max] in place (torch's `clamp_`); null leaves that side open. */
  clamp_(min: number | null, max: number | null = null): this { return inplace.clamp_(this, min, max); }
  /** Writes value where mask (broadcast to this shape) is non-zero. */
  maskedFill_(mask: Tensor, value: number | Tensor): this { return inplace.maskedFill_(this, mask, value); }

  /**
   * A copy with its own storage, still in the graph (torch's `clone()`: the gradient flows back unchanged).
   */
  clone(): Tensor<D> { return shapeOps.clone(this); }

  // ---- printing (ops/format.ts) ----
  /**
   * PyTorch's repr: `tensor([[1.0000, 2.5000], ...], requires_grad=True)`, one notation and width
   * for all values, summarised past 1000 elements (see setPrintOptions); int32 tensors say their dtype.
   */
  toString(): string {
    if (this.isDisposed) return `tensor(<disposed>, size=(${this.shape.join(", ")}))`;
    const suffixes: string[] = this.dtype === "float32" ? [] : [`dtype=${this.dtype}`];
    if (this.gradFn) suffixes.push(`grad_fn=<${format.backwardName(this.gradFn.name)}>`);
    else if (this.requiresGrad) suffixes.push("requires_grad=True");
    return format.formatTensor(this.liveData(), this.shape, this.dtype === "float32", suffixes);
  }
  /** Node's console.log and util.inspect print the values too. */
  [inspectSymbol](): string { return this.toString(); }

  // ---- arithmetic (see ops/binary.ts, ops/elementwise.ts) ----
  /** this + other, broadcasting (see `add`). */
  add(other: Tensor | number): Tensor<"float32"> { return binary.add(this, other); }
  /** this − other, broadcasting (see `sub`). */
  sub(other: Tensor | number): Tensor<"float32"> { return binary.sub(this, other); }
  /** this · other element-wise, broadcasting (see `mul`). */
  mul(other: Tensor | number): Tensor<"float32"> { return binary.mul(this, other); }
  /** this / other element-wise, broadcasting (see `div`). */
  div(other: Tensor | number): Tensor<"float32"> { return binary.div(this, other); }
  /** this ** other element-wise, broadcasting (see `pow`). */
  pow(other: Tensor | number): Tensor<"float32"> { return binary.pow(this, other); }
  /** The element-wise larger of this and other (see `maximum`). */
  maximum(other: Tensor | number): Tensor<"float32"> { return binary.maximum(this, other); }
  /** The element-wise smaller of this and other (see `minimum`). */
  minimum(other: Tensor | number): Tensor<"float32"> { return binary.minimum(this, other); }
  /** 1 where this == other, else 0, as float32 (see `eq`; not differentiable). */
  eq(other: Tensor | number): Tensor<"float32"> { return binary.eq(this, other); }
  /** 1 where this > other, else 0, as float32 (see `gt`). */
  gt(other: Tensor | number): Tensor<"float32"> { return binary.gt(this, other); }
  /** 1 where this < other, else 0, as float32 (see `lt`). */
  lt(other: Tensor | number): Tensor<"float32"> { return binary.lt(this, other); }
  /** −this (see `neg`). */
  neg(): Tensor<"float32"> { return elementwise.neg(this); }
  /** |this| (see `abs`). */
  abs(): Tensor<"float32"> { return elementwise.abs(this); }
  /** e^this (see `exp`). */
  exp(): Tensor<"float32"> { return elementwise.exp(this); }
  /** The natural logarithm (see `log`). */
  log(): Tensor<"float32"> { return elementwise.log(this); }
  /** The square root (see `sqrt`). */
  sqrt(): Tensor<"float32"> { return elementwise.sqrt(this); }
  /** this² (see `square`). */
  square(): Tensor<"float32"> { return elementwise.square(this); }
  /** sin(this) (see `sin`). */
  sin(): Tensor<"float32"> { return elementwise.sin(this); }
  /** cos(this) (see `cos`). */
  cos(): Tensor<"float32"> { return elementwise.cos(this); }
  /** max(this, 0) (see `relu`). */
  relu(): Tensor<"float32"> { return elementwise.relu(this); }
  /** 1 / (1 + e^−this) (see `sigmoid`). */
  sigmoid(): Tensor<"float32"> { return elementwise.sigmoid(this); }
  /** tanh(this) (see `tanh`). */
  tanh(): Tensor<"float32"> { return elementwise.tanh(this); }
  /** Each element clamped to [min, max]; null leaves that side open (see `clamp`). */
  clamp(min: number | null, max: number | null = null): Tensor<"float32"> { return elementwise.clamp(this, min, max); }
  /** This tensor with value written where mask is non-zero, in this tensor's dtype (see `maskedFill`). */
  maskedFill(mask: Tensor, value: number | Tensor): Tensor<D> { return binary.maskedFill(this, mask, value); }

  // ---- reductions (ops/reduce.ts) ----
  /**
   * The sum over dim (all elements when omitted), keeping reduced dims as size 1 with keepdim (see `sum`).
   */
  sum(dim?: number | number[] | null, keepdim = false): Tensor<"float32"> { return reduce.sum(this, dim, keepdim); }
  /** The mean over dim (all elements when omitted) (see `mean`). */
  mean(dim?: number | number[] | null, keepdim = false): Tensor<"float32"> { return reduce.mean(this, dim, keepdim); }
  /** Like PyTorch: max() is the largest value; max(dim) gives { values, indices }. */
  max(): Tensor<"float32">;
  max(dim: number, keepdim?: boolean): reduce.MaxResult;
  max(dim?: number, keepdim = false): Tensor<"float32"> | reduce.MaxResult { return dim === undefined ? valuesOnly(reduce.max(this)) : reduce.max(this, dim, keepdim); }
  /** Like PyTorch: min() is the smallest value; min(dim) gives { values, indices }. */
  min(): Tensor<"float32">;
  min(dim: number, keepdim?: boolean): reduce.MaxResult;
  min(dim?: number, keepdim = false): Tensor<"float32"> | reduce.MaxResult { return dim === undefined ? valuesOnly(reduce.min(this)) : reduce.min(this, dim, keepdim); }
  /** The variance over dim, with Bessel's correction unless `correction: 0` (see `var`). */
  var(dim?: number | number[] | null, options: reduce.VarianceOptions = {}): Tensor<"float32"> { return reduce.variance(this, dim, options); }
  /** The standard deviation over dim (see `std`). */
  std(dim?: number | number[] | null, options: reduce.VarianceOptions = {}): Tensor<"float32"> { return reduce.std(this, dim, options); }
  /** log Σ exp over dim, computed stably (see `logsumexp`). */
  logsumexp(dim: number | number[], keepdim = false): Tensor<"float32"> { return reduce.logsumexp(this, dim, keepdim); }
  /** The running sum along dim (see `cumsum`). */
  cumsum(dim: number): Tensor<"float32"> { return reduce.cumsum(this, dim); }
  /** The int32 index of the largest value (flat when dim is omitted) (see `argmax`). */
  argmax(dim?: number | null, keepdim = false): Tensor<"int32"> { return reduce.argmax(this, dim, keepdim); }
  /** The int32 index of the smallest value (flat when dim is omitted) (see `argmin`). */
  argmin(dim?: number | null, keepdim = false): Tensor<"int32"> { return reduce.argmin(this, dim, keepdim); }
  /** Softmax along dim (see `softmax`). */
  softmax(dim: number): Tensor<"float32"> { return reduce.softmax(this, dim); }
  /** log(softmax) along dim, computed stably (see `logSoftmax`). */
  logSoftmax(dim: number): Tensor<"float32"> { return reduce.logSoftmax(this, dim); }

  // ---- shape (ops/shape.ts) ----
  /**
   * The same data under another shape, as sizes or one array; one size may be -1 (torch's `reshape`; shares
   * storage).
   */
  reshape(...shape: number[] | [number[]]): Tensor<D> { return shapeOps.reshape(this, flatArgs(shape)); }
  /** PyTorch's view: the same storage under another shape (one size may be -1). */
  view(...shape: number[] | [number[]]): Tensor<D> { return shapeOps.view(this, flatArgs(shape)); }
  /** Dims startDim..endDim merged into one (torch's `flatten`; shares storage). */
  flatten(startDim = 0, endDim = -1): Tensor<D> { return shapeOps.flatten(this, startDim, endDim); }
  /** dim0 and dim1 swapped (torch's `transpose`; a copy). */
  transpose(dim0 = 0, dim1 = 1): Tensor<D> { return shapeOps.transpose(this, dim0, dim1); }
  /** The transpose of the first two dims (torch's `.T` on a matrix). */
  get T(): Tensor<D> { return shapeOps.transpose(this, 0, 1); }
  /** The dims reordered: output dim i is input dim dims[i] (torch's `permute`). */
  permute(...dims: number[] | [number[]]): Tensor<D> { return shapeOps.permute(this, flatArgs(dims)); }
  /** length elements of dim from start (torch's `narrow`). */
  narrow(dim: number, start: number, length: number): Tensor<D> { return shapeOps.narrow(this, dim, start, length); }
  /**
   * Elements start, start+step, ... before end along dim (Python's `x[..., start:end:step]`); negative
   * start/end count from the end.
   */
  slice(dim: number, start: number, end?: number, step = 1): Tensor<D> { return shapeOps.slice(this, dim, start, end, step); }
  /** Drops size-1 dims (only dim, when given) (torch's `squeeze`). */
  squeeze(dim?: number): Tensor<D> { return shapeOps.squeeze(this, dim); }
  /** Inserts a size-1 dim at dim (torch's `unsqueeze`). */
  unsqueeze(dim: number): Tensor<D> { return shapeOps.unsqueeze(this, dim); }
  /** Broadcasts to a larger shape (size-1 dims stretch, -1 keeps a size) (torch's `expand`; a copy here). */
  expand(...shape: number[] | [number[]]): Tensor<D> { return broadcast.expand(this, flatArgs(shape)); }
  /** Reverses the order along each of dims (torch's `flip`). */
  flip(...dims: number[] | [number[]]): Tensor<D> { return shapeOps.flip(this, flatArgs(dims)); }
  /** Shifts elements along dims cyclically; with no dims, over the flattened tensor (torch's `roll`). */
  roll(shifts: number | number[], dims?: number | number[] | null): Tensor<D> { return shapeOps.roll(this, shifts, dims); }
  /** Splits into `chunks` nearly equal pieces along dim (torch's `chunk`). */
  chunk(chunks: number, dim = 0): Tensor<D>[] { return shapeOps.chunk(this, chunks, dim); }
  /**
   * Splits along dim into pieces of size `sizes` (one number: equal pieces, the last smaller; an array: those
   * sizes) (torch's `split`).
   */
  split(sizes: number | number[], dim = 0): Tensor<D>[] { return shapeOps.split(this, sizes, dim); }
  /** The lower triangle of the last two dims, zeros above diagonal (torch's `tril`). */
  tril(diagonal = 0): Tensor<D> { return shapeOps.tril(this, diagonal); }
  /** The upper triangle of the last two dims, zeros below diagonal (torch's `triu`). */
  triu(diagonal = 0): Tensor<D> { return shapeOps.triu(this, diagonal); }
  /** The diagonal of dims dim1 and dim2 at offset, as the last dim (torch's `diagonal`). */
  diagonal(offset = 0, dim1 = 0, dim2 = 1): Tensor<D> { return shapeOps.diagonal(this, offset, dim1, dim2); }
  /** Tiles the tensor repeats[d] times along each dim (torch's `Tensor.repeat`). */
  repeat(...repeats: number[] | [number[]]): Tensor<D> { return shapeOps.repeat(this, flatArgs(repeats)); }
  /** A float32 copy (torch's `.float()`). */
  float(): Tensor<"float32"> { return shapeOps.toDType(this, "float32"); }
  /** An int32 copy, truncating toward zero (torch's `.int()`). */
  int(): Tensor<"int32"> { return shapeOps.toDType(this, "int32"); }

  // ---- indexing along a dim (ops/indexing.ts) ----
  /** Values picked along dim by an int32 index of the same rank (see `gather`). */
  gather(dim: number, index: Tensor): Tensor<"float32"> { return indexing.gather(this, dim, index); }
  /** A copy with src added at the positions index gives along dim (see `scatterAdd`). */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor<"float32"> { return indexing.scatterAdd(this, dim, index, src); }
  /** The slices index[0], index[1], ... along dim (see `indexSelect`). */
  indexSelect(dim: number, index: Tensor): Tensor<"float32"> { return indexing.indexSelect(this, dim, index); }
  /** A copy with slice i of src added to slice index[i] along dim (see `indexAdd`). */
  indexAdd(dim: number, index: Tensor, src: Tensor): Tensor<"float32"> { return indexing.indexAdd(this, dim, index, src); }
  /** The values sorted along dim and their int32 original positions (see `sort`). */
  sort(dim = -1, descending = false): indexing.SortResult { return indexing.sort(this, dim, descending); }
  /** The int32 positions that sort along dim (see `argsort`). */
  argsort(dim = -1, descending = false): Tensor<"int32"> { return indexing.argsort(this, dim, descending); }
  /** The k largest (or smallest) values along dim and their int32 positions (see `topk`). */
  topk(k: number, dim = -1, largest = true, sorted = true): indexing.SortResult { return indexing.topk(this, k, dim, largest, sorted); }

  // ---- linear algebra (ops/matmul.ts) ----
  /** The matrix product with other, with batch broadcasting (see `matmul`). */
  matmul(other: Tensor): Tensor<"float32"> { return matmulOps.matmul(this, other); }
}

/** The values of a whole-tensor max/min; its flat index is not wanted. */
function valuesOnly({ values, indices }: reduce.MaxResult): Tensor<"float32"> {
  indices.dispose();
  return values;
}

function flatArgs(args: number[] | [number[]]): number[] {
  return Array.isArray(args[0]) ? (args[0] as number[]) : (args as number[]);
}
// ==== End of method shortcuts =============================================================

export type TensorContainer = Tensor | null | undefined | number | string | boolean | TensorContainer[] | { [k: string]: TensorContainer };

// A plain object, or a null-prototype dict (state dicts from files).
function isPlainDict(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function collectTensors(value: unknown, into: Set<Tensor>, seen = new Set<unknown>()): void {
  if (value instanceof Tensor) {
    into.add(value);
  } else if (value && typeof value === "object" && !seen.has(value) && (Array.isArray(value) || isPlainDict(value))) {
    seen.add(value);
    for (const v of Object.values(value)) collectTensors(v, into, seen);
  }
}

/**
 * Runs fn and disposes every tensor created inside it except those it returns (in a Tensor,
 * an array or a plain object), which move to the enclosing scope. Like TensorFlow.js's tidy.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    // Like a normal exit, minus the result: what the failed function created is freed.
    scopes.pop();
    for (const t of [...scope]) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) {
    // The async work would run after its tensors were freed: refuse before freeing anything.
    const scopeTensors = [...scope];
    const parent = scopes[scopes.length - 1] ?? null;
    for (const t of scopeTensors) t.adoptInto(parent);
    throw new Error("tidy: the function returned a Promise; tidy() is synchronous — await outside it, or dispose() tensors yourself");
  }
  const kept = new Set<Tensor>();
  collectTensors(result, kept);
  const parent = scopes[scopes.length - 1] ?? null;
  for (const t of [...scope]) {
    if (kept.has(t)) t.adoptInto(parent);
    else t.dispose();
  }
  return result;
}

/** Hands a tensor nobody tracked (the autograd engine's) to the innermost tidy scope, like a new one. @internal */
export function track<T extends Tensor>(t: T): T {
  t.adoptInto(scopes[scopes.length - 1] ?? null);
  return t;
}

/**
 * Keeps a tensor alive after the tidy() scope it was made in ends, and past the step of a loop it
 * was made in (see autofree.ts): it is then yours to dispose().
 */
export function keep<T extends Tensor>(t: T): T {
  return t.untrack();
}

/** Whether a tidy() scope is open. */
export function inTidy(): boolean {
  return scopes.length > 0;
}

/** Marks every tensor found in the argument as held by the caller (never freed automatically). */
export function markAllOwned(value: unknown): void {
  const all = new Set<Tensor>();
  collectTensors(value, all);
  for (const t of all) t.markOwned();
}

/** Disposes every tensor found in the argument (a tensor, array or plain object of them). */
export function dispose(value: unknown): void {
  const all = new Set<Tensor>();
  collectTensors(value, all);
  for (const t of all) t.dispose();
}

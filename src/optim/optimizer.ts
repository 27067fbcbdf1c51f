// Optimizer base, PyTorch's torch.optim.Optimizer camelCased: parameter groups with their own
// options (a mutable `lr` that schedulers write), per-parameter state allocated lazily on the first
// step, zeroGrad, and state dicts shaped like PyTorch's ({state: {index: {...}}, param_groups}).
// A step is one fused wasm kernel call per parameter group (assembly/optim.ts): the group's parameters
// that have a gradient are listed, with their state buffers, in a table of rows in wasm memory that
// the kernel walks.
import { allocElements, i32View, releaseElements } from "../backend/memory.js";
import { StepRow } from "../backend/kernels.js";
import { parallelFor } from "../backend/parallel.js";
import { Tensor, shapeToString } from "../tensor.js";
import { checkTensorEntry, describeValue } from "../ops/checks.js";
import { rootBoundary } from "../autofree.js";
import { readArgs, kinds, type Kind } from "../ops/args.js";

/** The options every optimizer has. */
export interface OptimizerOptions {
  /** The learning rate. */
  lr: number;
}

/** A parameter group: its tensors and its options (defaults filled in). */
export type ParamGroup<O extends OptimizerOptions = OptimizerOptions> = O & {
  /** The group's parameters. */
  params: Tensor[];
  /** The lr a scheduler started from (set by the first scheduler attached, like PyTorch's initial_lr). */
  initialLr?: number;
};

/** What the constructor accepts per group: the tensors and any options that differ from the defaults. */
export type ParamGroupSpec<O extends OptimizerOptions = OptimizerOptions> = {
  /** The group's parameters. */
  params: Tensor[];
} & Partial<O>;

/** Per-parameter state: the step count and the named buffers (PyTorch's names: exp_avg, ...). */
export interface ParamState {
  /** The number of steps this parameter has been updated. */
  step: number;
  /** The state tensors by PyTorch's names (exp_avg, exp_avg_sq, momentum_buffer, ...). */
  buffers: Record<string, Tensor>;
}

/** An optimizer's saved state, in PyTorch's layout. */
export interface OptimizerStateDict {
  /** By parameter index (over all groups, in order): `step` and copies of the state buffers. */
  state: Record<number, Record<string, Tensor | number>>;
  /** Group options with PyTorch's snake_case keys; `params` lists the parameter indices. */
  param_groups: Record<string, unknown>[];
}


/** The fused update kernels, one per rule. */
export type StepKernel = "sgd_step_multi_f32" | "adam_step_multi_f32" | "rmsprop_step_multi_f32" | "adagrad_step_multi_f32" | "adadelta_step_multi_f32";
// Work per element of an update (a division and a square root, several streams), for the thread split.
const UPDATE_COST = 8;
// A row of the step table (StepRow, from assembly/optim.ts): param, grad, three state pointers
// (0 = unused), element count, step count, and 1 when the first state buffer is new this step.
const ROW = StepRow.columns;

/** A group's step table: wasm memory for `rows` rows, allocated once and reused every step. */
interface StepTable {
  ptr: number;
  rows: number;
}

const snakeCase = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camelCase = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * torch.optim.Optimizer: updates parameters from their `.grad`. Parameters come as one array or as groups
 * with their own options; `step()` applies the rule, `zeroGrad()` clears the gradients,
 * `stateDict()`/`loadStateDict()` save and resume (PyTorch's layout). Each group's update is one fused kernel
 * call.
 */
export abstract class Optimizer<O extends OptimizerOptions = OptimizerOptions> {
  /**
   * The parameter groups (torch's `param_groups`): each has `params` and its options; change `lr` here (or
   * with a scheduler) between steps.
   */
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state (the step count and buffers such as exp_avg), created at the first step. */
  protected readonly state = new Map<Tensor, ParamState>();
  private readonly tables = new Map<ParamGroup<O>, StepTable>();
  /** Scratch for step(): the state pointers of the row being written (resolveState). */
  private readonly statePtrs = [0, 0, 0];

  /** The options of a group that does not set its own: the optimizer's defaults overridden by the constructor's options. */
  readonly defaults: O;

  /**
   * `args` follow the parameters in a subclass's constructor: PyTorch's positional order (`order`,
   * any prefix of it), then optionally an options object holding any option (checkOptions checks
   * the values). The other options are keyword-only, as PyTorch's `maximize`.
   */
  constructor(params: Tensor[] | ParamGroupSpec<O>[], defaults: O, args: readonly unknown[], order: readonly (keyof O & string)[], required: readonly string[] = []) {
    const byName = (keys: readonly string[]): Record<string, Kind> => Object.fromEntries(keys.map((k) => [k, kinds.any]));
    const keywords = Object.keys(defaults).filter((k) => !(order as readonly string[]).includes(k));
    const options = readArgs<Partial<O>>(this.name, args, byName(order), byName(keywords), required);
    this.defaults = { ...defaults, ...options };
    const list = [...params];
    if (list.length === 0) throw new Error(`${this.name}: got an empty parameter list`);
    const specs = list.every((p) => p instanceof Tensor) ? [{ params: list as Tensor[] }] : list;
    for (const spec of specs) {
      if (spec instanceof Tensor) throw new Error(`${this.name}: pass either tensors or parameter groups, not a mix`);
      this.addParamGroup(spec as ParamGroupSpec<O>);
    }
  }

  /** For error messages; subclasses override it (a getter, so it works during construction and survives minification). */
  protected get name(): string {
    return "Optimizer";
  }

  /** Validates one group's options (ranges of lr, betas, ...); throws with the optimizer's name. */
  protected abstract checkOptions(options: O): void;

  /** The names (PyTorch's) of a group's state buffers in its kernel's row order; null where the options need none. */
  protected abstract stateBuffers(group: ParamGroup<O>): readonly (string | null)[];

  /** The value new state buffers start from. */
  protected initialStateValue(_group: ParamGroup<O>): number {
    return 0;
  }

  /**
   * The group's update kernel (assembly/optim.ts) and its hyperparameter arguments, which come after
   * the step table and its row count (and before the range of elements to update).
   */
  protected abstract updateKernel(group: ParamGroup<O>): [kernel: StepKernel, hyperparameters: number[]];

  /**
   * Adds a parameter group (torch's `add_param_group`): its tensors, with any options that differ from the
   * defaults; a tensor already in a group is an error.
   */
  addParamGroup(spec: ParamGroupSpec<O>): void {
    const params = [...spec.params];
    this.checkKnown(spec, this.defaults);
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new Error(`${this.name}: parameters must be Tensors, got ${p}`);
      if (p.dtype !== "float32") throw new Error(`${this.name}: can only optimize float32 tensors, got ${p.dtype} ${shapeToString(p.shape)}`);
      if (!p.isLeaf) throw new Error(`${this.name}: can't optimize a non-leaf tensor ${shapeToString(p.shape)}`);
      if (seen.has(p)) throw new Error(`${this.name}: a parameter ${shapeToString(p.shape)} appears more than once (within or across groups)`);
      seen.add(p);
    }
    const group = { ...this.defaults, ...spec, params } as ParamGroup<O>;
    this.checkOptions(group);
    this.paramGroups.push(group);
  }

  private checkKnown(options: object, defaults: O): void {
    for (const key of Object.keys(options)) {
      // Own keys only: "constructor" or "toString" are not options because every object has them.
      if (key !== "params" && key !== "initialLr" && !Object.hasOwn(defaults, key)) {
        throw new Error(`${this.name}: unknown option "${key}" (options are ${Object.keys(defaults).join(", ")})`);
      }
    }
  }

  /** Drops the gradients (disposing them), or with setToNone = false zeroes them in place. */
  zeroGrad(setToNone = true): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (!p.grad) continue;
        if (setToNone) {
          p.grad.dispose();
          p.grad = null;
        } else {
          p.grad.zero_();
        }
      }
    }
  }

  /** One update of every parameter that has a gradient (parameters whose grad is null are skipped). */
  step(): void {
    // Checked up front so that a bad gradient leaves every parameter and its state untouched.
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const grad = p.grad;
        if (grad && (grad.size !== p.size || grad.dtype !== "float32")) {
          throw new Error(`${this.name}: gradient ${shapeToString(grad.shape)} ${grad.dtype} does not match parameter ${shapeToString(p.shape)} float32`);
        }
      }
    }
    for (const group of this.paramGroups) {
      const table = this.stepTable(group);
      const names = this.stateBuffers(group);
      let rows = i32View(table.ptr, table.rows * ROW);
      let count = 0, elements = 0;
      for (const p of group.params) {
        const grad = p.grad;
        if (!grad) continue;
        let state = this.state.get(p);
        if (!state) this.state.set(p, (state = { step: 0, buffers: {} }));
        state.step++;
        const created = this.resolveState(p, state, names, group);
        // Creating a buffer may have grown the wasm memory, which detaches the view.
        if (created) rows = i32View(table.ptr, table.rows * ROW);
        const at = count++ * ROW;
        rows[at + StepRow.param] = p.ptr;
        rows[at + StepRow.grad] = grad.ptr;
        rows.set(this.statePtrs, at + StepRow.state);
        rows[at + StepRow.numel] = p.size;
        rows[at + StepRow.step] = state.step;
        rows[at + StepRow.fresh] = created & 1;
        elements += p.size;
      }
      if (count > 0) this.update(table.ptr, count, elements, group);
    }
    rootBoundary(this); // a loop boundary: frees the temporaries of loops written without tidy (autofree.ts)
  }

  /** Runs the group's update kernel over its `elements` elements, split over the worker threads if any. */
  private update(table: number, count: number, elements: number, group: ParamGroup<O>): void {
    const [kernel, hyperparameters] = this.updateKernel(group);
    const args = [table, count, ...hyperparameters, 0, elements];
    const lo = args.length - 2;
    parallelFor(kernel, args, { extent: elements, grain: 16, count: lo + 1, perUnit: { [lo]: 1 } }, elements * UPDATE_COST);
  }

  /**
   * Puts the pointers of p's state buffers (0 where a name is null) in statePtrs, creating the missing
   * buffers (untracked: tidy() never frees them). Returns a bit mask of the buffers it created.
   */
  private resolveState(p: Tensor, state: ParamState, names: readonly (string | null)[], group: ParamGroup<O>): number {
    let created = 0;
    for (let i = 0; i < 3; i++) {
      const name = names[i];
      let buffer = name ? state.buffers[name] : undefined;
      if (name && !buffer) {
        buffer = state.buffers[name] = Tensor.empty(p.shape, "float32", `${this.name} ${name}`).fill_(this.initialStateValue(group)).untrack();
        created |= 1 << i;
      }
      this.statePtrs[i] = buffer ? buffer.ptr : 0;
    }
    return created;
  }

  /** The group's step table, allocated on its first step and regrown only if its parameter list grew. */
  private stepTable(group: ParamGroup<O>): StepTable {
    let table = this.tables.get(group);
    if (table && table.rows >= group.params.length) return table;
    if (table) releaseElements(table.ptr, table.rows * ROW);
    const rows = group.params.length;
    table = { ptr: allocElements(rows * ROW, `${this.name} step table`), rows };
    this.tables.set(group, table);
    return table;
  }

  private get allParams(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /** A copy of the optimizer state: PyTorch's layout and key names, tensors cloned. */
  stateDict(): OptimizerStateDict {
    const index = new Map(this.allParams.map((p, i) => [p, i]));
    const state: OptimizerStateDict["state"] = {};
    for (const [p, s] of this.state) {
      const entry: Record<string, Tensor | number> = { step: s.step };
      for (const [name, t] of Object.entries(s.buffers)) entry[name] = t.clone().markOwned(); // a snapshot kept for later
      state[index.get(p)!] = entry;
    }
    const param_groups = this.paramGroups.map((group) => {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(group)) {
        if (key === "params") out.params = group.params.map((p) => index.get(p));
        else out[snakeCase(key)] = Array.isArray(value) ? [...value] : value;
      }
      return out;
    });
    return { state, param_groups };
  }

  /**
   * Replaces options and state with those of a state dict (copies; the dict stays the caller's).
   * Groups must match in number and size, state tensors the shapes of their parameters; on any
   * mismatch nothing is changed.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const groups = sd.param_groups;
    if (groups.length !== this.paramGroups.length) {
      throw new Error(`${this.name}.loadStateDict: the state dict has ${groups.length} parameter groups, the optimizer ${this.paramGroups.length}`);
    }
    groups.forEach((g, i) => {
      const n = (g.params as unknown[] | undefined)?.length;
      if (n !== this.paramGroups[i].params.length) {
        throw new Error(`${this.name}.loadStateDict: parameter group ${i} has ${n} parameters in the state dict, ${this.paramGroups[i].params.length} in the optimizer`);
      }
    });
    const params = this.allParams;
    const op = `${this.name}.loadStateDict`;
    const options = groups.map((g) => {
      // Null prototype: a "__proto__" key from a file is an (unknown) option, not a prototype.
      const o: Record<string, unknown> = Object.create(null);
      for (const [key, value] of Object.entries(g)) if (key !== "params") o[camelCase(key)] = Array.isArray(value) ? [...value] : value;
      this.checkKnown(o, this.defaults);
      this.checkOptions({ ...this.defaults, ...o } as O);
      return o;
    });
    // Validate every entry, then build the new state, then swap: on any error the old state stays.
    const entries = Object.entries(sd.state).map(([key, entry]) => {
      const p = /^\d+$/.test(key) ? params[Number(key)] : undefined;
      if (!p) throw new Error(`${op}: state for parameter ${key}, but the optimizer has ${params.length} parameters`);
      if (!entry || typeof entry !== "object") throw new Error(`${op}: state ${key}: expected an object of state buffers, got ${describeValue(entry)}`);
      const step = entry.step instanceof Tensor ? checkTensorEntry(op, `state ${key}.step`, entry.step).item() : entry.step;
      if (typeof step !== "number" || !Number.isInteger(step) || step < 0) throw new Error(`${op}: state ${key} has no valid step count (got ${describeValue(entry.step)})`);
      const buffers = Object.entries(entry).filter(([name]) => name !== "step");
      for (const [name, value] of buffers) {
        const t = checkTensorEntry(op, `state ${key}.${name}`, value);
        // PyTorch casts floating state to the parameter's dtype; only float32 state exists here.
        if (t.dtype !== "float32") throw new Error(`${op}: state ${key}.${name} is an ${t.dtype} tensor; optimizer state must be floating point`);
        if (shapeToString(t.shape) !== shapeToString(p.shape)) {
          throw new Error(`${op}: state ${key}.${name} has shape ${shapeToString(t.shape)}, its parameter ${shapeToString(p.shape)}`);
        }
      }
      return { p, step, buffers: buffers as [string, Tensor][] };
    });

    const fresh = new Map<Tensor, ParamState>();
    try {
      for (const { p, step, buffers } of entries) {
        const state: ParamState = { step, buffers: {} };
        fresh.set(p, state);
        for (const [name, t] of buffers) state.buffers[name] = Tensor.empty(p.shape, "float32", `${this.name} ${name}`).copy_(t).untrack();
      }
    } catch (e) {
      for (const s of fresh.values()) for (const t of Object.values(s.buffers)) t.dispose(); // out of memory part way
      throw e;
    }
    this.disposeState();
    groups.forEach((_, i) => Object.assign(this.paramGroups[i], options[i]));
    for (const [p, state] of fresh) this.state.set(p, state);
  }

  private disposeState(): void {
    for (const s of this.state.values()) for (const t of Object.values(s.buffers)) t.dispose();
    this.state.clear();
  }

  /** Frees the state buffers (momentum, moment estimates, ...) and step tables. The optimizer can keep stepping. */
  dispose(): void {
    this.disposeState();
    for (const table of this.tables.values()) releaseElements(table.ptr, table.rows * ROW);
    this.tables.clear();
  }
}

/** Throws `<optimizer>: invalid <what>: <value>` unless ok. */
export function checkOption(optimizer: string, ok: boolean, what: string, value: unknown): void {
  if (!ok) throw new Error(`${optimizer}: invalid ${what}: ${Array.isArray(value) ? `[${value.join(", ")}]` : value}`);
}

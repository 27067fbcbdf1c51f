// Automatic freeing of loop temporaries, so that the loops people write from PyTorch habits stay
// flat with no tidy, dispose or keep. JavaScript cannot tell us when a tensor becomes unreachable
// in time (a FinalizationRegistry never runs inside a synchronous loop), so we use the structure
// of the loop instead: its boundaries are the batches of a DataLoader, the steps of an optimizer,
// and user-level noGrad blocks. A tensor created inside a loop is "claimed" at the boundary after
// it was made; a claimed tensor that then goes a whole step without being used (its data read or
// passed to an op) is freed at the next boundary. So everything a step makes stays usable during
// the step and the one after (loss.item() after opt.step(), a recurrent state carried to the next
// batch), and a step's leftovers are gone one step later.
//
// Never freed automatically: tensors made before any loop started, tensors inside or returned by
// tidy() (the explicit style is unchanged), and tensors something owns: Module parameters and
// buffers, gradients, optimizer state, autograd's saved tensors, and anything passed to keep().
// Touching a tensor freed here throws an error that says so and how to keep it.
//
// This module sits below tensor.ts (which reports every new tensor here) and imports nothing at run
// time; the public noGrad and tidy, which mark boundaries and ownership here, are in scopes.ts.
import type { Tensor } from "./tensor.js";

/** Advances at every boundary; a tensor's lastUse is the value at its last use. */
export const stepClock = { now: 0 };

/** Tensors noted so far: orders what was made before or after a boundary. */
let noted = 0;

interface Recent {
  ref: WeakRef<Tensor>;
  seq: number;
}

class LoopScope {
  /** Claimed tensors: freed at a boundary when unused since the previous one. */
  readonly pool = new Set<Tensor>();
  /** What loops that ended inside this scope still tracked: swept from this scope's next boundary on. */
  readonly leftovers = new Set<Tensor>();
  /** Made since the last boundary; weak, so a loop that stops ticking leaves them to the GC. */
  recent: Recent[] = [];
  private compactAt = 1024;
  /** stepClock.now right after this scope's previous boundary. */
  mark = stepClock.now;

  note(t: Tensor): void {
    this.recent.push({ ref: new WeakRef(t), seq: noted++ });
    if (this.recent.length >= this.compactAt) {
      // No boundary for a long time (the loop ended): drop what the GC or dispose() already freed.
      this.recent = this.recent.filter((r) => isCandidate(r.ref.deref()));
      this.compactAt = Math.max(1024, 2 * this.recent.length);
    }
  }

  /** Frees what went a whole step unused, then claims what was made since (from sequence number `since`). */
  boundary(since = 0): void {
    for (const t of this.leftovers) this.pool.add(t);
    this.leftovers.clear();
    for (const t of this.pool) {
      if (!isCandidate(t)) this.pool.delete(t);
      else if (t.lastUse < this.mark) {
        this.pool.delete(t);
        t.freeAutomatically();
      }
    }
    for (const r of this.recent) {
      const t = r.ref.deref();
      if (r.seq >= since && isCandidate(t)) this.pool.add(t);
    }
    this.recent = [];
    this.mark = ++stepClock.now;
  }

  /** Hands everything still tracked to the enclosing scope (this loop ended). */
  handTo(parent: LoopScope): void {
    for (const t of this.pool) if (isCandidate(t)) parent.leftovers.add(t);
    for (const r of this.recent) {
      const t = r.ref.deref();
      if (isCandidate(t)) parent.leftovers.add(t);
    }
    this.pool.clear();
    this.recent = [];
  }
}

function isCandidate(t: Tensor | undefined): t is Tensor {
  return t !== undefined && !t.isDisposed && !t.isOwned;
}

// ---- the root scope: loops without a DataLoader, bounded by optimizer steps or noGrad blocks ----
// A loop may contain several kinds of boundary (an optimizer step and a noGrad metric each
// iteration, or two optimizers in a GAN); counting all of them would shorten a "step". So one
// source drives the root scope: a source that reaches a boundary twice with no boundary of the
// current driver in between takes over (the first loop, or a new loop after the old one ended),
// claiming only what was made since its own previous boundary: what came before is that loop's
// set-up (its data, its model), never freed automatically.
const root = new LoopScope();
let rootArmed = false;
let driver: object | null = null;
let driverBoundaries = 0;
/** Per source: driverBoundaries and the sequence number of the next tensor at its last boundary. */
const lastSeen = new WeakMap<object, { driverBoundaries: number; seq: number }>();

// DataLoader loops, innermost last. While one is running it alone defines the step.
const loops: DataLoaderLoop[] = [];

/** Called for every tensor made outside tidy(). */
export function noteCreated(t: Tensor): void {
  const loop = loops[loops.length - 1];
  if (loop) loop.note(t);
  else if (rootArmed) root.note(t);
}

/** A root boundary: an optimizer step (source: the optimizer) or the end of a user-level noGrad. */
export function rootBoundary(source: object): void {
  if (loops.length > 0 && !abandonLoopsFor(source)) return;
  const seen = lastSeen.get(source);
  if (source === driver) {
    root.boundary();
    driverBoundaries++;
  } else if (seen?.driverBoundaries === driverBoundaries) {
    driver = source;
    root.boundary(seen.seq);
    driverBoundaries++;
  } else if (driver === null) {
    root.recent = []; // no loop yet: nothing made so far will be claimed
  }
  lastSeen.set(source, { driverBoundaries, seq: noted });
  rootArmed = true;
}

/**
 * A loop left without finishing (one batch taken with iterator().next()) would otherwise govern
 * forever. The innermost loop counts as abandoned when one root source reaches two boundaries
 * before the loop's next batch. Returns whether no loop remains.
 */
function abandonLoopsFor(source: object): boolean {
  while (loops.length > 0) {
    const loop = loops[loops.length - 1];
    if (!loop.rootSourcesSinceBatch.has(source)) {
      loop.rootSourcesSinceBatch.add(source);
      return false;
    }
    loop.exit();
  }
  return true;
}

/** One DataLoader iteration (an epoch): the loop body's tensors live one batch past their last use. */
export class DataLoaderLoop extends LoopScope {
  readonly rootSourcesSinceBatch = new Set<object>();

  constructor() {
    super();
    // The previous loop at this level (the last epoch) left its last steps' tensors: this loop
    // sweeps them, so a DataLoader loop run once per epoch stays flat with no root boundary.
    const parent = loops[loops.length - 1] ?? root;
    for (const t of parent.leftovers) this.pool.add(t);
    parent.leftovers.clear();
    loops.push(this);
  }

  /** Before each batch is made. */
  batch(): void {
    if (!loops.includes(this)) loops.push(this); // it had been taken for abandoned
    this.rootSourcesSinceBatch.clear();
    this.boundary();
  }

  /** The loop finished or was left (break): what it still tracks goes to the enclosing scope. */
  exit(): void {
    const at = loops.indexOf(this);
    if (at < 0) return;
    loops.splice(at, 1);
    this.handTo(loops[at - 1] ?? root);
  }
}

export const AUTO_FREED_HINT =
  "it was made inside a training or evaluation loop (a DataLoader batch, or between optimizer steps or noGrad blocks) " +
  "and was freed automatically after a whole step in which it was not used. Call keep(t) on a tensor that must outlive " +
  "its step (and dispose() it when done), or read it (item(), data()) before the next step";

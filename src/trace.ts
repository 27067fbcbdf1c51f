// The one hook through which a forward pass is traced (simdgrad/onnx's exporter): an op reports
// its inputs, its outputs and the settings that determine it, after computing them. Without an
// installed tracer this is a null check. An op built from other ops reports itself after them:
// the tracer keeps the last report of each output, so the inner reports are left unused.
import type { Tensor } from "./tensor.js";

export type TraceAttrs = Readonly<Record<string, unknown>>;

export interface Tracer {
  op(op: string, inputs: readonly (Tensor | null)[], outputs: readonly Tensor[], attrs: TraceAttrs): void;
}

let tracer: Tracer | null = null;

/** Reports an op to the active tracer (if any) and returns its output. */
export function traced<T extends Tensor>(op: string, inputs: readonly (Tensor | null)[], output: T, attrs: TraceAttrs = {}): T {
  tracer?.op(op, inputs, [output], attrs);
  return output;
}

/** The same for an op with several outputs. */
export function tracedMany(op: string, inputs: readonly (Tensor | null)[], outputs: readonly Tensor[], attrs: TraceAttrs = {}): void {
  tracer?.op(op, inputs, outputs, attrs);
}

export const isTracing = (): boolean => tracer !== null;

/** Runs fn with t receiving every op's report (not re-entrant: one trace at a time). */
export function withTracer<T>(t: Tracer, fn: () => T): T {
  if (tracer) throw new Error("trace: a forward pass is already being traced");
  tracer = t;
  try {
    return fn();
  } finally {
    tracer = null;
  }
}

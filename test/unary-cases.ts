// Shared by the gradient checks: seeded random inputs kept away from kinks, and one case per
// gradcheck entry of the unary op table (assembly/ops/unary.mjs).
import * as sg from "../src/index.js";
import type { Generator, Tensor } from "../src/index.js";
// @ts-expect-error: the op table is a build-time module without type declarations
import unaryTable from "../assembly/ops/unary.mjs";

export interface Range { lo?: number; hi?: number; kinks?: number[]; gap?: number }

/** Uniform in [lo, hi), pushed to at least `gap` away from each of `kinks`. */
export function randomInput(gen: Generator, shape: number[], { lo = -2, hi = 2, kinks = [], gap = 0.05 }: Range = {}): Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  const data = Array.from({ length: n }, () => {
    let v = lo + (hi - lo) * gen.uniform();
    for (const k of kinks) if (Math.abs(v - k) < gap) v = v < k ? k - gap : k + gap;
    return v;
  });
  return sg.tensor(data, shape, { requiresGrad: true });
}

interface UnaryRow { name: string; gradcheck?: (Range & { fn?: string; args?: unknown[] })[] }
export const unaryRows = unaryTable as UnaryRow[];

/** [label, the row's public form (nn.functional for activations) with the case's arguments, input range] per case. */
export function unaryCases(): [string, (x: Tensor) => Tensor, Range][] {
  const forms = { ...sg, ...sg.nn.functional } as unknown as Record<string, (x: Tensor, ...args: unknown[]) => Tensor>;
  return unaryRows.flatMap((row) => (row.gradcheck ?? []).map((c): [string, (x: Tensor) => Tensor, Range] => {
    const name = c.fn ?? row.name, args = c.args ?? [];
    return [`${name}(x${args.map((a) => `, ${JSON.stringify(a)}`).join("")})`, (x) => forms[name](x, ...args), c];
  }));
}

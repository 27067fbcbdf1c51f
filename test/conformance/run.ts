// Running one conformance case against a family module: forward, backward with the case's
// upstream gradients, and comparison of outputs and input gradients.
import { Tensor, tidy } from "../../src/index.js";
import { compareTensor, fromJson, type OpCase } from "./load.js";

/** An op handler: inputs by name (and in case order), the case's attrs; outputs in case order. */
export type OpFn = (inputs: Record<string, Tensor>, attrs: any, ordered: Tensor[]) => Tensor | Tensor[];

/** What a family module under families/ exports: `ops` (op cases) or `runCase` (own schema). */
export interface FamilyModule {
  ops?: Record<string, OpFn>;
  /** null = pass, a string = the failure */
  runCase?: (c: any) => string | null;
}

/**
 * Runs an op case: outputs compared, then outputs[k].backward(upstream[k]) for every non-null
 * upstream (accumulating into the inputs' grads), then grads compared. null = pass.
 */
export function runOpCase(c: OpCase, fn: OpFn): string | null {
  const leaves: Tensor[] = [];
  try {
    return tidy(() => {
      const ordered = c.inputs.map((t) => fromJson(t, { requiresGrad: t.requires_grad }));
      leaves.push(...ordered);
      const byName: Record<string, Tensor> = {};
      c.inputs.forEach((t, j) => (byName[t.name] = ordered[j]));

      const outs = [fn(byName, c.attrs, ordered)].flat();
      const problems: string[] = [];
      if (outs.length !== c.outputs.length) {
        return `returned ${outs.length} outputs, expected ${c.outputs.length} (${c.outputs.map((o) => o.name).join(", ")})`;
      }
      c.outputs.forEach((ref, k) => {
        const p = compareTensor(outs[k], ref);
        if (p) problems.push(`output ${k} (${ref.name}): ${p}`);
      });

      const differentiated = c.upstream.flatMap((u, k) => (u ? [k] : []));
      for (const [i, k] of differentiated.entries()) {
        if (!outs[k].requiresGrad) {
          problems.push(`output ${k} (${c.outputs[k].name}) is not connected to the autograd graph`);
          continue;
        }
        // Outputs of one graph share nodes: keep them until the last backward.
        outs[k].backward(fromJson(c.upstream[k]!), { retainGraph: i < differentiated.length - 1 });
      }
      c.grads.forEach((ref, j) => {
        if (!ref) return;
        const p = compareTensor(ordered[j].grad, ref);
        if (p) problems.push(`grad of input ${j} (${c.inputs[j].name}): ${p}`);
      });
      return problems.length ? problems.join("; ") : null;
    });
  } catch (e) {
    return `threw: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    for (const x of leaves) {
      x.grad?.dispose();
      x.grad = null;
      x.dispose();
    }
  }
}

// Reading the PyTorch conformance vectors (see ../shared/conformance/FORMAT.md) into Tensors, and
// comparing results against them with the tolerance of index.json.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Tensor, tensor } from "../../src/index.js";

export interface JsonTensor {
  name: string;
  shape: number[];
  dtype: "float64" | "int64" | "bool";
  /** Numbers; `true`/`false` in bool tensors; the string "-Infinity" in additive attention masks. */
  data: (number | boolean | string)[];
  requires_grad?: boolean;
}

/** A case of an op family (everything but optim and lr_scheduler, which have their own schema). */
export interface OpCase {
  id: string;
  op: string;
  attrs: any;
  inputs: JsonTensor[];
  outputs: JsonTensor[];
  upstream: (JsonTensor | null)[];
  grads: (JsonTensor | null)[];
}

export interface Tolerance {
  rtol: number;
  atol: number;
}

export interface Index {
  tolerance: Tolerance;
  files: Record<string, { family: string; cases: number; ops: Record<string, number> }>;
}

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The vectors: $CONFORMANCE_DIR when set, else the copy the repository carries (refreshed from
 * ../shared/conformance by `npm run conformance:refresh`). */
export const conformanceDir = resolve(repoRoot, process.env.CONFORMANCE_DIR ?? "test/conformance/vectors");

export function loadIndex(): Index {
  return JSON.parse(readFileSync(resolve(conformanceDir, "index.json"), "utf8"));
}

export function loadCases(file: string): any[] {
  return JSON.parse(readFileSync(resolve(conformanceDir, file), "utf8")).cases;
}

/** The tolerance every comparison uses (index.json's, read once). */
export const tolerance: Tolerance = loadIndex().tolerance;

/**
 * A tensor from its JSON form: float64 data becomes float32; int64 becomes int32, and so does bool
 * (0/1: the library's boolean masks are int32).
 */
export function fromJson(t: JsonTensor, options: { requiresGrad?: boolean } = {}): Tensor {
  return tensor(t.data.map(Number), t.shape, { dtype: t.dtype === "float64" ? "float32" : "int32", requiresGrad: options.requiresGrad ?? false });
}

const fmt = (shape: readonly number[]) => `[${shape.join(", ")}]`;

/**
 * null when `got` matches `ref` (shape exactly; int64 data exactly; floats within
 * |got − ref| ≤ atol + rtol·|ref|), else a description of the mismatch.
 */
export function compareTensor(got: Tensor | null | undefined, ref: JsonTensor, tol: Tolerance = tolerance): string | null {
  if (!(got instanceof Tensor)) return `expected a tensor of shape ${fmt(ref.shape)}, got ${got}`;
  if (got.isDisposed) return "the tensor was disposed";
  if (got.shape.length !== ref.shape.length || got.shape.some((d, i) => d !== ref.shape[i])) {
    return `shape ${fmt(got.shape)}, expected ${fmt(ref.shape)}`;
  }
  const exact = ref.dtype !== "float64";
  if (exact && got.dtype !== "int32") return `dtype ${got.dtype}, expected an integer tensor`;
  if (!exact && got.dtype !== "float32") return `dtype ${got.dtype}, expected float32`;
  const data = got.liveData();
  const want = ref.data.map(Number);
  let bad = 0, worst = -1, worstExcess = -Infinity;
  for (let i = 0; i < want.length; i++) {
    const excess = Math.abs(data[i] - want[i]) - (exact ? 0 : tol.atol + tol.rtol * Math.abs(want[i]));
    // NaN never passes (excess is NaN).
    if (!(excess <= 0)) {
      bad++;
      if (!(excess <= worstExcess)) {
        worstExcess = excess;
        worst = i;
      }
    }
  }
  if (bad === 0) return null;
  return `${bad} of ${want.length} elements differ; worst at flat index ${worst}: got ${data[worst]}, expected ${want[worst]}`;
}

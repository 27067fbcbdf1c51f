// einsum: Einstein summation over letter-labelled dims, built from differentiable ops. A letter
// repeated within an operand takes the diagonal; letters that only one operand uses (and the
// output does not) are summed out first; then the operands are contracted left to right, each
// pair lowered to one batched matmul [batch, left, summed] @ [batch, summed, right] by permute
// and reshape (a broadcast product when nothing is summed).
import { Tensor, sameShape, shapeToString, tidy } from "../tensor.js";
import { sum } from "./reduce.js";
import { diagonal, permute, reshape } from "./shape.js";
import { expand } from "./broadcast.js";
import { mul } from "./binary.js";
import { matmul } from "./matmul.js";
import { checkFloat } from "./checks.js";

interface Term {
  t: Tensor<"float32">;
  letters: string[];
}

const LETTER = /^[a-zA-Z]$/;
const LETTERS = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"];

/**
 * The equation with each "..." written out as letters the equation does not use: the broadcast
 * dims, right-aligned across operands like PyTorch. The output gets them where it says "..."
 * (the implicit form puts them first); an output without "..." sums them.
 */
function spellEllipsis(eq: string, ranks: number[]): string {
  if (!eq.includes("...")) return eq;
  const arrow = eq.indexOf("->");
  const parts = (arrow < 0 ? eq : eq.slice(0, arrow)).split(",");
  if (parts.length !== ranks.length) return eq; // parse() names the count mismatch
  const spans = parts.map((p, j) => (p.includes("...") ? ranks[j] - (p.length - 3) : 0));
  const bad = spans.findIndex((n) => n < 0);
  if (bad >= 0) throw new Error(`einsum: "${eq}": operand ${bad} has ${ranks[bad]} dims, fewer than the letters of "${parts[bad]}"`);
  const spare = LETTERS.filter((l) => !eq.includes(l));
  const width = Math.max(0, ...spans);
  if (width > spare.length) throw new Error(`einsum: "${eq}": "..." covers ${width} dims but only ${spare.length} letters are unused`);
  const dims = spare.slice(0, width).join("");
  const lhs = parts.map((p, j) => p.replace("...", dims.slice(width - spans[j]))).join(",");
  if (arrow >= 0) return `${lhs}->${eq.slice(arrow + 2).replace("...", dims)}`;
  const named = [...lhs.replace(/,/g, "")].filter((l) => !dims.includes(l));
  return `${lhs}->${dims}${[...new Set(named)].filter((l) => named.indexOf(l) === named.lastIndexOf(l)).sort().join("")}`;
}

function parse(equation: string, ranks: number[]): { inputs: string[][]; output: string[] } {
  const count = ranks.length;
  const eq = spellEllipsis(equation.replace(/\s+/g, ""), ranks);
  if (eq.includes(".")) throw new Error(`einsum: "${equation}": "." is only allowed as one "..." per operand and output`);
  const arrow = eq.indexOf("->");
  const inputs = (arrow < 0 ? eq : eq.slice(0, arrow)).split(",").map((s) => [...s]);
  if (inputs.length !== count) throw new Error(`einsum: "${equation}" has ${inputs.length} operand subscripts but ${count} operands were given`);
  const all = inputs.flat();
  const bad = [...all, ...(arrow < 0 ? [] : [...eq.slice(arrow + 2)])].find((c) => !LETTER.test(c));
  if (bad !== undefined) throw new Error(`einsum: "${equation}": subscripts must be letters a-z or A-Z, got "${bad}"`);
  if (arrow < 0) {
    // Implicit form: the letters used exactly once, in alphabetical order.
    return { inputs, output: [...new Set(all)].filter((l) => all.indexOf(l) === all.lastIndexOf(l)).sort() };
  }
  const output = [...eq.slice(arrow + 2)];
  for (const l of output) {
    if (output.indexOf(l) !== output.lastIndexOf(l)) throw new Error(`einsum: "${equation}": output letter "${l}" appears more than once`);
    if (!all.includes(l)) throw new Error(`einsum: "${equation}": output letter "${l}" does not appear in any operand`);
  }
  return { inputs, output };
}

/** Einstein summation, e.g. einsum("bij,bjk->bik", a, b) (torch.einsum: explicit or implicit form, "..." for broadcast dims). */
export function einsum(equation: string, ...operands: Tensor[] | [Tensor[]]): Tensor<"float32"> {
  const xs = (Array.isArray(operands[0]) ? operands[0] : operands) as Tensor[];
  if (xs.length === 0) throw new Error("einsum: expected at least one operand");
  checkFloat("einsum", xs[0], ...xs.slice(1));
  const floats = xs as Tensor<"float32">[]; // checked just above
  const { inputs, output } = parse(equation, xs.map((x) => x.ndim));
  const describe = () => `"${equation}" with operands ${xs.map((x) => shapeToString(x.shape)).join(", ")}`;
  xs.forEach((x, j) => {
    if (inputs[j].length !== x.ndim) throw new Error(`einsum: operand ${j} ${shapeToString(x.shape)} has ${x.ndim} dims but subscripts "${inputs[j].join("")}" (${describe()})`);
  });
  // A letter's sizes must agree across operands, or be 1 (broadcast).
  const size = new Map<string, number>();
  inputs.forEach((letters, j) => letters.forEach((l, i) => {
    const s = xs[j].shape[i], prev = size.get(l);
    if (prev !== undefined && prev !== s && prev !== 1 && s !== 1) throw new Error(`einsum: letter "${l}" has sizes ${prev} and ${s} (${describe()})`);
    if (prev === undefined || prev === 1) size.set(l, s);
  }));
  return tidy(() => {
    const terms = floats.map((x, j) => prepare({ t: x, letters: inputs[j] }, new Set([...output, ...inputs.filter((_, k) => k !== j).flat()]), describe));
    let cur = terms[0];
    for (let j = 1; j < terms.length; j++) {
      const needed = new Set([...output, ...terms.slice(j + 1).flatMap((u) => u.letters)]);
      cur = contract(cur, terms[j], needed, size);
    }
    // Output letters of size 1 that were broadcast away still have their dim.
    return arrange(cur, output);
  });
}

/** Diagonals for repeated letters, then a sum over the letters nobody else needs. */
function prepare(term: Term, needed: Set<string>, describe: () => string): Term {
  let { t, letters } = term;
  for (;;) {
    const p = letters.findIndex((l, i) => letters.indexOf(l) !== i);
    if (p < 0) break;
    const first = letters.indexOf(letters[p]);
    if (t.shape[first] !== t.shape[p]) throw new Error(`einsum: letter "${letters[p]}" repeated within an operand has sizes ${t.shape[first]} and ${t.shape[p]} (${describe()})`);
    t = diagonal(t, 0, first, p);
    letters = [...letters.filter((_, i) => i !== first && i !== p), letters[p]];
  }
  const own = letters.flatMap((l, i) => (needed.has(l) ? [] : [i]));
  if (own.length === 0) return { t, letters };
  return { t: sum(t, own), letters: letters.filter((l) => needed.has(l)) };
}

/** term's tensor with its dims in `order` (a permutation of its letters). */
function arrange(term: Term, order: string[]): Tensor<"float32"> {
  const perm = order.map((l) => term.letters.indexOf(l));
  return perm.every((p, i) => p === i) ? term.t : permute(term.t, perm);
}

const product = (letters: string[], size: Map<string, number>) => letters.reduce((n, l) => n * size.get(l)!, 1);

/** a and b contracted over their shared letters that are not needed later. */
function contract(a: Term, b: Term, needed: Set<string>, size: Map<string, number>): Term {
  const shared = a.letters.filter((l) => b.letters.includes(l));
  const batch = shared.filter((l) => needed.has(l));
  const summed = shared.filter((l) => !needed.has(l));
  const left = a.letters.filter((l) => !b.letters.includes(l));
  const right = b.letters.filter((l) => !a.letters.includes(l));
  const [B, L, C, R] = [batch, left, summed, right].map((ls) => product(ls, size));
  // Shared letters of size 1 in one operand are stretched to the other's size.
  const stretched = (term: Term) => {
    const full = term.letters.map((l) => size.get(l)!);
    return sameShape(full, term.t.shape) ? term : { t: expand(term.t, full), letters: term.letters };
  };
  const a3 = reshape(arrange(stretched(a), [...batch, ...left, ...summed]), [B, L, C]);
  const b3 = reshape(arrange(stretched(b), [...batch, ...summed, ...right]), [B, C, R]);
  let out: Tensor<"float32">;
  if (C === 1) out = mul(a3, reshape(b3, [B, 1, R]));
  else if (L === 1 && R === 1) out = sum(mul(a3, reshape(b3, [B, 1, C])), 2, true);
  else out = matmul(a3, b3);
  const letters = [...batch, ...left, ...right];
  return { t: reshape(out, letters.map((l) => size.get(l)!)), letters };
}

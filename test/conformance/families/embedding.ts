// Conformance handlers for embedding.json.
import * as sg from "../../../src/index.js";
import type { OpFn } from "../run.js";

export const ops: Record<string, OpFn> = {
  embedding: ({ indices, weight }, a) => sg.embedding(indices, weight, a.padding_idx ?? null),
};

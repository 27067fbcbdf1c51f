// The kernel boundary: signatures of the functions assembly/ exports and the enums both sides share
// (op codes, loss codes, bias modes, the optimizer's step-table row, ...), generated from assembly/
// by the wasm build into ./generated/kernels.ts, so a kernel change that src/ does not follow fails tsc.
export * from "./generated/kernels.js";

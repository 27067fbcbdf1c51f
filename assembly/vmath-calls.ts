// The vmath functions the elementwise op tables use (assembly/ops/*.mjs), as calls rather than
// inlined: the unary kernels inline each op's formula into its own loop, forward and backward, so
// an inlined exp4 (or tanh4, erf4, ...) was copied into some twenty loops, 2 kB of the plain
// build's deflated wasm, which every page embeds. A call per four elements makes those ops
// 1.2–1.9x slower on large tensors (sigmoid, tanh, gelu, exp, forward and backward, against
// the inlined build on 64K floats); the kernels that dominate a training step (softmax, the
// losses, the recurrent cells) keep the inlined versions from vmath.ts. One call per loop rather
// than per vector would win most of it back.
import * as vm from "./vmath";

export function exp4(x: v128): v128 { return vm.exp4(x); }
export function sigmoid4(x: v128): v128 { return vm.sigmoid4(x); }
export function tanh4(x: v128): v128 { return vm.tanh4(x); }
export function erf4(x: v128): v128 { return vm.erf4(x); }
export function log1p4(x: v128): v128 { return vm.log1p4(x); }
export function log4(x: v128): v128 { return vm.log4(x); }
export function sin4(x: v128): v128 { return vm.sin4(x); }
export function cos4(x: v128): v128 { return vm.cos4(x); }
export function pow4(a: v128, b: v128): v128 { return vm.pow4(a, b); }

// The binary elementwise ops, one row each: scripts/elementwise-ops.mjs generates the Binary op
// codes and the kernel's per-op body (assembly/generated/) from them. forward: f(a, b) over f32x4
// lanes (in scope: a, b, one, assembly/vmath.ts). Their gradients, which depend on broadcasting,
// are in src/ops/binary.ts.
export default [
  { name: "add", forward: "f32x4.add(a, b)" },
  { name: "sub", forward: "f32x4.sub(a, b)" },
  { name: "mul", forward: "f32x4.mul(a, b)" },
  { name: "div", forward: "f32x4.div(a, b)" },
  { name: "pow", forward: "pow4(a, b)" },
  { name: "maximum", forward: "f32x4.max(a, b)" },
  { name: "minimum", forward: "f32x4.min(a, b)" },
  { name: "gt", forward: "v128.and(f32x4.gt(a, b), one)" },
  { name: "lt", forward: "v128.and(f32x4.lt(a, b), one)" },
  { name: "ge", forward: "v128.and(f32x4.ge(a, b), one)" },
  { name: "le", forward: "v128.and(f32x4.le(a, b), one)" },
  { name: "eq", forward: "v128.and(f32x4.eq(a, b), one)" },
  { name: "ne", forward: "v128.and(f32x4.ne(a, b), one)" },
];

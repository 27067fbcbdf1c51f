// Signatures of the functions exported by assembly/ (pointers are byte offsets into linear memory).
export interface KernelExports {
  heap_base(): number;
  fill_f32(p: number, n: number, value: number): void;
  fill_i32(p: number, n: number, value: number): void;
  cast_i32_f32(src: number, dst: number, n: number): void;
  cast_f32_i32(src: number, dst: number, n: number): void;
  copy_strided_32(src: number, dst: number, d0: number, d1: number, d2: number, d3: number,
    ss0: number, ss1: number, ss2: number, ss3: number, ds0: number, ds1: number, ds2: number, ds3: number): void;
  unary_f32(op: number, x: number, y: number, n: number, p0: number, p1: number): void;
  unary_backward_f32(op: number, x: number, y: number, g: number, dx: number, n: number, p0: number, p1: number): void;
  binary_f32(op: number, a: number, b: number, out: number, d0: number, d1: number, d2: number, d3: number,
    as0: number, as1: number, as2: number, as3: number, bs0: number, bs1: number, bs2: number, bs3: number): void;
  where_f32(cond: number, a: number, b: number, out: number, n: number): void;
  axpy_f32(alpha: number, x: number, y: number, n: number): void;
  sum_dim_f32(x: number, y: number, outer: number, r: number, inner: number): void;
  max_dim_f32(x: number, y: number, idx: number, outer: number, r: number, inner: number): void;
  softmax_f32(x: number, y: number, outer: number, r: number, inner: number, log: number): void;
  softmax_backward_f32(y: number, g: number, dx: number, outer: number, r: number, inner: number, log: number): void;
  gather_dim_f32(x: number, idx: number, y: number, outer: number, r: number, inner: number): void;
  scatter_add_dim_f32(g: number, idx: number, dx: number, outer: number, r: number, inner: number): void;
  gemm_f32(transA: number, transB: number, M: number, N: number, K: number, alpha: number,
    A: number, lda: number, B: number, ldb: number, beta: number, C: number, ldc: number,
    bias: number, biasMode: number, act: number, ws: number): void;
  gemm_workspace_bytes(): number;
}

// Op codes shared with assembly/elementwise.ts (Unary, Binary enums).
export const Unary = {
  relu: 0, leakyRelu: 1, elu: 2, gelu: 3, geluTanh: 4, silu: 5, sigmoid: 6, tanh: 7, softplus: 8,
  exp: 9, log: 10, sqrt: 11, abs: 12, neg: 13, square: 14, sin: 15, cos: 16, sign: 17, step: 18,
  affine: 19, powScalar: 20, clamp: 21, reciprocal: 22,
} as const;
export type UnaryOp = keyof typeof Unary;

export const Binary = {
  add: 0, sub: 1, mul: 2, div: 3, pow: 4, maximum: 5, minimum: 6, gt: 7, lt: 8, ge: 9, le: 10, eq: 11, ne: 12,
} as const;
export type BinaryOp = keyof typeof Binary;

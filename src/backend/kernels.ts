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
  // assembly/loss.ts: fused losses (derivative pointers 0 = not needed).
  pointwise_loss_f32(op: number, x: number, t: number, pw: number, rows: number, cols: number, param: number,
    loss: number, dx: number, dt: number): void;
  class_nll_f32(x: number, target: number, weight: number, loss: number, probs: number,
    outer: number, C: number, inner: number, smoothing: number, ignoreIndex: number, logits: number): void;
  class_nll_backward_f32(probs: number, g: number, gStride: number, scale: number, target: number, weight: number, dx: number,
    outer: number, C: number, inner: number, smoothing: number, ignoreIndex: number): void;
  embedding_f32(weight: number, idx: number, out: number, n: number, dim: number): void;
  embedding_backward_f32(g: number, idx: number, dw: number, n: number, dim: number, paddingIdx: number): void;
  gemm_f32(transA: number, transB: number, M: number, N: number, K: number, alpha: number,
    A: number, lda: number, B: number, ldb: number, beta: number, C: number, ldc: number,
    bias: number, biasMode: number, act: number, ws: number): void;
  gemm_workspace_bytes(): number;
  // assembly/conv.ts: im2col / col2im over a chunk of output rows of nb images (columns image-major, rows ld apart).
  im2col_f32(x: number, col: number, nb: number, C: number, H: number, W: number, kh: number, kw: number,
    sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, Wo: number, oh0: number, rows: number, ld: number): void;
  col2im_f32(col: number, x: number, nb: number, C: number, H: number, W: number, kh: number, kw: number,
    sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, Wo: number, oh0: number, rows: number, ld: number): void;
  // assembly/conv.ts: Winograd F(2x2, 3x3) transforms (weights, padded input tiles, output tiles + bias/ReLU).
  winograd_weights_f32(w: number, u: number, Cout: number, Cin: number, adjoint: number): void;
  pad_planes_f32(x: number, xp: number, planes: number, H: number, W: number, Hp: number, Wp: number, top: number, left: number): void;
  winograd_input_f32(xp: number, v: number, nb: number, C: number, Hp: number, Wp: number, tilesH: number, tilesW: number, ld: number): void;
  winograd_output_f32(m: number, y: number, bias: number, relu: number, nb: number, C: number, Ho: number, Wo: number,
    tilesH: number, tilesW: number, ld: number): void;
  // assembly/conv.ts: direct convolution (weights packed 8 channels a block, i32 tap offsets).
  conv_direct_pack_f32(w: number, wp: number, Cout: number, Cin: number, taps: number, adjoint: number): void;
  conv_direct_f32(x: number, wp: number, off: number, K: number, y: number, bias: number, relu: number, nb: number,
    Cout: number, Ho: number, Wo: number, sh: number, sw: number, Wp: number, xImage: number, yImage: number): void;
  conv_direct_wgrad_f32(x: number, g: number, off: number, K: number, dw: number, ldw: number, nb: number, Cout: number,
    Ho: number, Wo: number, sh: number, sw: number, Wp: number, xImage: number, gImage: number): void;
  // assembly/pool.ts: max pooling with argmax, windowed sums from row/column window tables.
  max_pool2d_f32(x: number, y: number, idx: number, planes: number, H: number, W: number, Ho: number, Wo: number,
    kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number): void;
  max_pool2d_backward_f32(g: number, idx: number, dx: number, planes: number, HW: number, L: number): void;
  avg_pool2d_f32(x: number, y: number, planes: number, H: number, W: number, Ho: number, Wo: number, windows: number, scales: number): void;
  avg_pool2d_backward_f32(g: number, dx: number, planes: number, H: number, W: number, Ho: number, Wo: number, windows: number, scales: number): void;
  // assembly/norm.ts: batch norm over [N, C, L], group/layer norm over [N, G, Cg, L] (pointers 0 = absent).
  batch_norm_stats_f32(x: number, mean: number, variance: number, N: number, C: number, L: number,
    runMean: number, runVar: number, momentum: number): void;
  batch_norm_f32(x: number, y: number, N: number, C: number, L: number, mean: number, variance: number,
    weight: number, bias: number, eps: number): void;
  batch_norm_backward_f32(x: number, g: number, dx: number, dweight: number, dbias: number, N: number, C: number, L: number,
    mean: number, variance: number, weight: number, eps: number, training: number): void;
  group_norm_f32(x: number, y: number, mean: number, rstd: number, N: number, G: number, Cg: number, L: number,
    weight: number, bias: number, eps: number): void;
  group_norm_backward_f32(x: number, g: number, mean: number, rstd: number, weight: number, dx: number,
    dweight: number, dbias: number, N: number, G: number, Cg: number, L: number): void;
  // assembly/optim.ts: fused optimizer updates of a parameter group, one row per parameter in the table at
  // `rows` (layout: ROW in src/optim/optimizer.ts), and clipping norms.
  sgd_step_multi_f32(rows: number, count: number, lr: number, momentum: number, dampening: number, weightDecay: number,
    nesterov: boolean, maximize: boolean): void;
  adam_step_multi_f32(rows: number, count: number, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number,
    decoupled: boolean, maximize: boolean): void;
  rmsprop_step_multi_f32(rows: number, count: number, lr: number, alpha: number, eps: number, weightDecay: number,
    momentum: number, maximize: boolean): void;
  adagrad_step_multi_f32(rows: number, count: number, lr: number, lrDecay: number, eps: number, weightDecay: number,
    maximize: boolean): void;
  adadelta_step_multi_f32(rows: number, count: number, lr: number, rho: number, eps: number, weightDecay: number,
    maximize: boolean): void;
  lp_norm_pow_f32(x: number, n: number, p: number): number;
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

// Op codes shared with assembly/loss.ts (PointwiseLoss enum).
export const PointwiseLoss = {
  mse: 0, l1: 1, smoothL1: 2, huber: 3, bce: 4, bceWithLogits: 5, klDiv: 6, klDivLogTarget: 7,
} as const;
export type PointwiseLossOp = keyof typeof PointwiseLoss;

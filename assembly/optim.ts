// Fused optimizer updates: one pass over a parameter, its gradient and its state buffers, with the
// PyTorch 1.13 update rules (torch/optim/*.py, _single_tensor_*). Each exported step kernel updates a
// whole parameter group in one call: it walks a table with one row per parameter (layout below) and
// applies the per-tensor update to each row. A state pointer of 0 means the buffer is not used (no
// momentum, no amsgrad, not centered). Hyperparameters arrive as f64 so the per-step scalars (bias
// corrections, decayed lr) are computed in double precision, like PyTorch's Python floats; the
// element-wise work is f32x4. `maximize` ascends instead (g = −g).
import { loadLane, storeLane } from "./vmath";

// Loads and stores for the vector body (vec = true) and the scalar tail (lane 0 only). Every
// update is written once over v128 and instantiated for both; `vec` is a constant after inlining.
@inline function ld(p: usize, vec: bool): v128 { return vec ? v128.load(p) : loadLane(p); }
@inline function st(p: usize, v: v128, vec: bool): void { if (vec) v128.store(p, v); else storeLane(p, v); }
@inline function madd(a: v128, b: v128, c: v128): v128 { return f32x4.add(f32x4.mul(a, b), c); }

// The columns of a row of the step table (Columns u32), written by src/optim/optimizer.ts. State is the
// first of three state pointers (0 = unused; each optimizer's order is in its kernel's comment); Step is
// the parameter's step count (1 on its first step); Fresh is 1 when the first state buffer was created for
// this step.
export const enum StepRow { Param = 0, Grad = 1, State = 2, Numel = 5, Step = 6, Fresh = 7, Columns = 8 }
@inline function field(row: usize, column: i32): usize { return <usize>load<u32>(row + (<usize>column << 2)); }
@inline function rowAt(rows: usize, r: i32): usize { return rows + <usize>r * StepRow.Columns * 4; }

// ---- One pass over a parameter for every optimizer: the vector body four lanes at a time, then the
// scalar tail, both through the rule's update (`vec` is a constant in each copy once inlined, and
// `rule` is a constant at every call site, so the dispatch folds away). An update sees the row's
// pointers as arguments and its hyperparameters in the module globals below, which the step kernel
// sets (per row for those that depend on the step), so every rule shares this one loop.

const enum Rule { Sgd, Adam, RmsProp, Adagrad, Adadelta }

@inline function updateAt(rule: Rule, o: usize, vec: bool, p: usize, g: usize, s0: usize, s1: usize, s2: usize): void {
  if (rule == Rule.Sgd) sgdAt(o, vec, p, g, s0);
  else if (rule == Rule.Adam) adamAt(o, vec, p, g, s0, s1, s2);
  else if (rule == Rule.RmsProp) rmspropAt(o, vec, p, g, s0, s1, s2);
  else if (rule == Rule.Adagrad) adagradAt(o, vec, p, g, s0);
  else adadeltaAt(o, vec, p, g, s0, s1);
}

@inline function sweep(rule: Rule, row: usize, from: i32, to: i32): void {
  const p = field(row, StepRow.Param), g = field(row, StepRow.Grad);
  const s0 = field(row, StepRow.State), s1 = field(row, StepRow.State + 1), s2 = field(row, StepRow.State + 2);
  const vecEnd = from + ((to - from) & ~3);
  let i = from;
  for (; i < vecEnd; i += 4) updateAt(rule, <usize>i << 2, true, p, g, s0, s1, s2);
  for (; i < to; i++) updateAt(rule, <usize>i << 2, false, p, g, s0, s1, s2);
}

// The part of row r's elements that lies in [lo, lo + n) of the table's elements counted row after
// row (base: the row's first element in that count), as [from, to) within the row; from >= to when
// none. A step kernel updates only that range, so a parameter group can be split over threads;
// vector body and scalar tail compute the same bits, so the split does not change the result.
@inline function rangeStart(base: i32, lo: i32): i32 { return max(lo - base, 0); }
@inline function rangeEnd(row: usize, base: i32, lo: i32, n: i32): i32 { return min(lo + n - base, <i32>field(row, StepRow.Numel)); }

// Splatted hyperparameters shared by the rules: the (decayed) learning rate, L2 weight decay, the
// sign that maximize flips, and eps.
let hLr = f32x4.splat(0), hWd = f32x4.splat(0), hSign = f32x4.splat(1), hEps = f32x4.splat(0);

@inline function setCommon(lr: f64, weightDecay: f64, eps: f64, maximize: bool): void {
  hLr = f32x4.splat(<f32>lr);
  hWd = f32x4.splat(<f32>weightDecay);
  hEps = f32x4.splat(<f32>eps);
  hSign = f32x4.splat(maximize ? -1 : 1);
}

// g·sign + wd·p: the gradient with maximize and L2 weight decay folded in.
@inline function decayedGrad(o: usize, p: usize, g: usize, vec: bool): v128 {
  return madd(hWd, ld(p + o, vec), f32x4.mul(hSign, ld(g + o, vec)));
}

// ---- SGD: buf = first ? d : momentum·buf + (1 − dampening)·d;  d = nesterov ? d + momentum·buf : buf

let sgdMomentum = f32x4.splat(0), sgdDamp = f32x4.splat(0);
let sgdNesterov = false, sgdFirst = false;

@inline function sgdAt(o: usize, vec: bool, p: usize, g: usize, buf: usize): void {
  let d = decayedGrad(o, p, g, vec);
  if (buf != 0) {
    const b = sgdFirst ? d : madd(sgdMomentum, ld(buf + o, vec), f32x4.mul(sgdDamp, d));
    st(buf + o, b, vec);
    d = sgdNesterov ? madd(sgdMomentum, b, d) : b;
  }
  st(p + o, f32x4.sub(ld(p + o, vec), f32x4.mul(hLr, d)), vec);
}

// State: momentum_buffer (0 without momentum); a Fresh buffer is seeded with the gradient.
export function sgd_step_multi_f32(rows: usize, count: i32, lr: f64, momentum: f64, dampening: f64, weightDecay: f64,
  nesterov: bool, maximize: bool, lo: i32, n: i32): void {
  setCommon(lr, weightDecay, 0, maximize);
  sgdMomentum = f32x4.splat(<f32>momentum);
  sgdDamp = f32x4.splat(<f32>(1 - dampening));
  sgdNesterov = nesterov;
  for (let r = 0, base = 0; r < count; base += <i32>field(rowAt(rows, r), StepRow.Numel), r++) {
    const row = rowAt(rows, r);
    sgdFirst = field(row, StepRow.Fresh) != 0;
    sweep(Rule.Sgd, row, rangeStart(base, lo), rangeEnd(row, base, lo, n));
  }
}

// ---- Adam / AdamW (https://arxiv.org/abs/1412.6980, https://arxiv.org/abs/1711.05101)
// m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²;  [amsgrad: vmax = max(vmax, v)]
// p −= lr/(1 − β1ᵗ) · m / (sqrt(v)/sqrt(1 − β2ᵗ) + eps).  AdamW first shrinks p by (1 − lr·wd).

let adamB1 = f32x4.splat(0), adamC1 = f32x4.splat(0), adamB2 = f32x4.splat(0), adamC2 = f32x4.splat(0);
let adamShrink = f32x4.splat(1), adamStepSize = f32x4.splat(0), adamInvBc2 = f32x4.splat(0);

@inline function adamAt(o: usize, vec: bool, p: usize, g: usize, m: usize, v: usize, vmax: usize): void {
  const d = decayedGrad(o, p, g, vec);
  const mt = madd(adamB1, ld(m + o, vec), f32x4.mul(adamC1, d));
  let vt = madd(adamB2, ld(v + o, vec), f32x4.mul(adamC2, f32x4.mul(d, d)));
  st(m + o, mt, vec);
  st(v + o, vt, vec);
  if (vmax != 0) {
    vt = f32x4.max(ld(vmax + o, vec), vt);
    st(vmax + o, vt, vec);
  }
  const denom = madd(f32x4.sqrt(vt), adamInvBc2, hEps);
  const pt = f32x4.mul(ld(p + o, vec), adamShrink);
  st(p + o, f32x4.sub(pt, f32x4.div(f32x4.mul(adamStepSize, mt), denom)), vec);
}

// b^n for an integer n ≥ 0 by repeated squaring: the bias corrections' beta^step to f64 precision
// (about log2(n) roundings), without the 6 kB of tables Math.pow brings into the build.
function powInt(b: f64, n: u32): f64 {
  let r: f64 = 1;
  for (; n; n >>= 1, b *= b) if (n & 1) r *= b;
  return r;
}

// State: exp_avg, exp_avg_sq, max_exp_avg_sq (0 without amsgrad). Bias corrections use each row's Step.
export function adam_step_multi_f32(rows: usize, count: i32, lr: f64, beta1: f64, beta2: f64, eps: f64, weightDecay: f64,
  decoupled: bool, maximize: bool, lo: i32, n: i32): void {
  setCommon(lr, decoupled ? 0 : weightDecay, eps, maximize);
  adamB1 = f32x4.splat(<f32>beta1);
  adamC1 = f32x4.splat(<f32>(1 - beta1));
  adamB2 = f32x4.splat(<f32>beta2);
  adamC2 = f32x4.splat(<f32>(1 - beta2));
  adamShrink = f32x4.splat(decoupled ? <f32>(1 - lr * weightDecay) : 1);
  for (let r = 0, base = 0; r < count; base += <i32>field(rowAt(rows, r), StepRow.Numel), r++) {
    const row = rowAt(rows, r);
    const step = <u32>field(row, StepRow.Step);
    adamStepSize = f32x4.splat(<f32>(lr / (1 - powInt(beta1, step))));
    adamInvBc2 = f32x4.splat(<f32>(1 / Math.sqrt(1 - powInt(beta2, step))));
    sweep(Rule.Adam, row, rangeStart(base, lo), rangeEnd(row, base, lo, n));
  }
}

// ---- RMSprop (Hinton, lecture 6e): v = α·v + (1 − α)·g²;  centered: ga = α·ga + (1 − α)·g, v − ga²
// avg = sqrt(·) + eps;  momentum: buf = μ·buf + g/avg, p −= lr·buf;  else p −= lr·g/avg

let rmsAlpha = f32x4.splat(0), rmsOneMinusAlpha = f32x4.splat(0), rmsMomentum = f32x4.splat(0);

@inline function rmspropAt(o: usize, vec: bool, p: usize, g: usize, v: usize, ga: usize, buf: usize): void {
  const d = decayedGrad(o, p, g, vec);
  const vt = madd(rmsAlpha, ld(v + o, vec), f32x4.mul(rmsOneMinusAlpha, f32x4.mul(d, d)));
  st(v + o, vt, vec);
  let variance = vt;
  if (ga != 0) {
    const gat = madd(rmsAlpha, ld(ga + o, vec), f32x4.mul(rmsOneMinusAlpha, d));
    st(ga + o, gat, vec);
    variance = f32x4.sub(vt, f32x4.mul(gat, gat));
  }
  let delta = f32x4.div(d, f32x4.add(f32x4.sqrt(variance), hEps));
  if (buf != 0) {
    delta = madd(rmsMomentum, ld(buf + o, vec), delta);
    st(buf + o, delta, vec);
  }
  st(p + o, f32x4.sub(ld(p + o, vec), f32x4.mul(hLr, delta)), vec);
}

// State: square_avg, grad_avg (0 unless centered), momentum_buffer (0 without momentum).
export function rmsprop_step_multi_f32(rows: usize, count: i32, lr: f64, alpha: f64, eps: f64, weightDecay: f64,
  momentum: f64, maximize: bool, lo: i32, n: i32): void {
  setCommon(lr, weightDecay, eps, maximize);
  rmsAlpha = f32x4.splat(<f32>alpha);
  rmsOneMinusAlpha = f32x4.splat(<f32>(1 - alpha));
  rmsMomentum = f32x4.splat(<f32>momentum);
  for (let r = 0, base = 0; r < count; base += <i32>field(rowAt(rows, r), StepRow.Numel), r++) {
    const row = rowAt(rows, r);
    sweep(Rule.RmsProp, row, rangeStart(base, lo), rangeEnd(row, base, lo, n));
  }
}

// ---- Adagrad (Duchi et al. 2011): sum += g²;  p −= lr/(1 + (t − 1)·lr_decay) · g / (sqrt(sum) + eps)

@inline function adagradAt(o: usize, vec: bool, p: usize, g: usize, s: usize): void {
  const d = decayedGrad(o, p, g, vec);
  const sum = madd(d, d, ld(s + o, vec));
  st(s + o, sum, vec);
  st(p + o, f32x4.sub(ld(p + o, vec), f32x4.div(f32x4.mul(hLr, d), f32x4.add(f32x4.sqrt(sum), hEps))), vec);
}

// State: sum. The decayed lr uses each row's Step.
export function adagrad_step_multi_f32(rows: usize, count: i32, lr: f64, lrDecay: f64, eps: f64, weightDecay: f64,
  maximize: bool, lo: i32, n: i32): void {
  setCommon(lr, weightDecay, eps, maximize);
  for (let r = 0, base = 0; r < count; base += <i32>field(rowAt(rows, r), StepRow.Numel), r++) {
    const row = rowAt(rows, r);
    hLr = f32x4.splat(<f32>(lr / (1 + (<f64>field(row, StepRow.Step) - 1) * lrDecay)));
    sweep(Rule.Adagrad, row, rangeStart(base, lo), rangeEnd(row, base, lo, n));
  }
}

// ---- Adadelta (https://arxiv.org/abs/1212.5701): v = ρ·v + (1 − ρ)·g²;  δ = sqrt(u + eps)/sqrt(v + eps)·g
// u = ρ·u + (1 − ρ)·δ²;  p −= lr·δ

let adadeltaRho = f32x4.splat(0), adadeltaOneMinusRho = f32x4.splat(0);

@inline function adadeltaAt(o: usize, vec: bool, p: usize, g: usize, v: usize, u: usize): void {
  const d = decayedGrad(o, p, g, vec);
  const vt = madd(adadeltaRho, ld(v + o, vec), f32x4.mul(adadeltaOneMinusRho, f32x4.mul(d, d)));
  st(v + o, vt, vec);
  const ut = ld(u + o, vec);
  const delta = f32x4.mul(f32x4.div(f32x4.sqrt(f32x4.add(ut, hEps)), f32x4.sqrt(f32x4.add(vt, hEps))), d);
  st(u + o, madd(adadeltaRho, ut, f32x4.mul(adadeltaOneMinusRho, f32x4.mul(delta, delta))), vec);
  st(p + o, f32x4.sub(ld(p + o, vec), f32x4.mul(hLr, delta)), vec);
}

// State: square_avg, acc_delta.
export function adadelta_step_multi_f32(rows: usize, count: i32, lr: f64, rho: f64, eps: f64, weightDecay: f64,
  maximize: bool, lo: i32, n: i32): void {
  setCommon(lr, weightDecay, eps, maximize);
  adadeltaRho = f32x4.splat(<f32>rho);
  adadeltaOneMinusRho = f32x4.splat(<f32>(1 - rho));
  for (let r = 0, base = 0; r < count; base += <i32>field(rowAt(rows, r), StepRow.Numel), r++) {
    const row = rowAt(rows, r);
    sweep(Rule.Adadelta, row, rangeStart(base, lo), rangeEnd(row, base, lo, n));
  }
}

// ---- Gradient norms for clipping: Σ|x|^p accumulated in f64 for p = 1 or 2, max|x| for p = ∞.
// Other orders are summed in TypeScript (src/optim/clip.ts): Math.pow would bring 6 kB of tables
// into the build for a rarely used norm.

export function lp_norm_pow_f32(x: usize, n: i32, p: f64): f64 {
  const vecN = n & ~3;
  let i = 0;
  if (p == Infinity) {
    let m = f32x4.splat(0);
    for (; i < vecN; i += 4) m = f32x4.max(m, f32x4.abs(v128.load(x + (<usize>i << 2))));
    let best = <f64>max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
    for (; i < n; i++) best = max(best, <f64>abs(load<f32>(x + (<usize>i << 2))));
    return best;
  }
  let lo = f64x2.splat(0), hi = f64x2.splat(0);
  for (; i < vecN; i += 4) {
    let a = v128.load(x + (<usize>i << 2));
    a = p == 2 ? f32x4.mul(a, a) : f32x4.abs(a);
    lo = f64x2.add(lo, f64x2.promote_low_f32x4(a));
    hi = f64x2.add(hi, f64x2.promote_low_f32x4(v128.shuffle<f32>(a, a, 2, 3, 0, 1)));
  }
  const acc = f64x2.add(lo, hi);
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < n; i++) {
    const a = <f64>load<f32>(x + (<usize>i << 2));
    s += p == 2 ? a * a : abs(a);
  }
  return s;
}

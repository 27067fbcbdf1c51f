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

// g·sign + wd·p: the gradient with maximize and L2 weight decay folded in.
@inline function decayedGrad(o: usize, p: usize, g: usize, sign: v128, wd: v128, vec: bool): v128 {
  return madd(wd, ld(p + o, vec), f32x4.mul(sign, ld(g + o, vec)));
}

// ---- SGD: buf = first ? d : momentum·buf + (1 − dampening)·d;  d = nesterov ? d + momentum·buf : buf

@inline function sgdAt(o: usize, vec: bool, p: usize, g: usize, buf: usize, lr: v128, momentum: v128, damp: v128,
  wd: v128, sign: v128, nesterov: bool, first: bool): void {
  let d = decayedGrad(o, p, g, sign, wd, vec);
  if (buf != 0) {
    const b = first ? d : madd(momentum, ld(buf + o, vec), f32x4.mul(damp, d));
    st(buf + o, b, vec);
    d = nesterov ? madd(momentum, b, d) : b;
  }
  st(p + o, f32x4.sub(ld(p + o, vec), f32x4.mul(lr, d)), vec);
}

@inline function sgdTensor(p: usize, g: usize, buf: usize, n: i32, lr: v128, momentum: v128, damp: v128, wd: v128, sign: v128,
  nesterov: bool, first: bool): void {
  const vecN = n & ~3;
  let i = 0;
  for (; i < vecN; i += 4) sgdAt(<usize>i << 2, true, p, g, buf, lr, momentum, damp, wd, sign, nesterov, first);
  for (; i < n; i++) sgdAt(<usize>i << 2, false, p, g, buf, lr, momentum, damp, wd, sign, nesterov, first);
}

// State: momentum_buffer (0 without momentum); a Fresh buffer is seeded with the gradient.
export function sgd_step_multi_f32(rows: usize, count: i32, lr: f64, momentum: f64, dampening: f64, weightDecay: f64,
  nesterov: bool, maximize: bool): void {
  const vlr = f32x4.splat(<f32>lr), vm = f32x4.splat(<f32>momentum), vd = f32x4.splat(<f32>(1 - dampening));
  const vwd = f32x4.splat(<f32>weightDecay), sign = f32x4.splat(maximize ? -1 : 1);
  for (let r = 0; r < count; r++) {
    const row = rowAt(rows, r);
    sgdTensor(field(row, StepRow.Param), field(row, StepRow.Grad), field(row, StepRow.State), <i32>field(row, StepRow.Numel), vlr, vm, vd, vwd, sign,
      nesterov, field(row, StepRow.Fresh) != 0);
  }
}

// ---- Adam / AdamW (https://arxiv.org/abs/1412.6980, https://arxiv.org/abs/1711.05101)
// m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²;  [amsgrad: vmax = max(vmax, v)]
// p −= lr/(1 − β1ᵗ) · m / (sqrt(v)/sqrt(1 − β2ᵗ) + eps).  AdamW first shrinks p by (1 − lr·wd).

@inline function adamAt(o: usize, vec: bool, p: usize, g: usize, m: usize, v: usize, vmax: usize, b1: v128, c1: v128,
  b2: v128, c2: v128, eps: v128, wd: v128, shrink: v128, stepSize: v128, invBc2: v128, sign: v128): void {
  const d = decayedGrad(o, p, g, sign, wd, vec);
  const mt = madd(b1, ld(m + o, vec), f32x4.mul(c1, d));
  let vt = madd(b2, ld(v + o, vec), f32x4.mul(c2, f32x4.mul(d, d)));
  st(m + o, mt, vec);
  st(v + o, vt, vec);
  if (vmax != 0) {
    vt = f32x4.max(ld(vmax + o, vec), vt);
    st(vmax + o, vt, vec);
  }
  const denom = madd(f32x4.sqrt(vt), invBc2, eps);
  const pt = f32x4.mul(ld(p + o, vec), shrink);
  st(p + o, f32x4.sub(pt, f32x4.div(f32x4.mul(stepSize, mt), denom)), vec);
}

@inline function adamTensor(p: usize, g: usize, m: usize, v: usize, vmax: usize, n: i32, b1: v128, c1: v128, b2: v128, c2: v128,
  eps: v128, wd: v128, shrink: v128, stepSize: v128, invBc2: v128, sign: v128): void {
  const vecN = n & ~3;
  let i = 0;
  for (; i < vecN; i += 4) adamAt(<usize>i << 2, true, p, g, m, v, vmax, b1, c1, b2, c2, eps, wd, shrink, stepSize, invBc2, sign);
  for (; i < n; i++) adamAt(<usize>i << 2, false, p, g, m, v, vmax, b1, c1, b2, c2, eps, wd, shrink, stepSize, invBc2, sign);
}

// State: exp_avg, exp_avg_sq, max_exp_avg_sq (0 without amsgrad). Bias corrections use each row's Step.
export function adam_step_multi_f32(rows: usize, count: i32, lr: f64, beta1: f64, beta2: f64, eps: f64, weightDecay: f64,
  decoupled: bool, maximize: bool): void {
  const b1 = f32x4.splat(<f32>beta1), c1 = f32x4.splat(<f32>(1 - beta1));
  const b2 = f32x4.splat(<f32>beta2), c2 = f32x4.splat(<f32>(1 - beta2));
  const veps = f32x4.splat(<f32>eps), sign = f32x4.splat(maximize ? -1 : 1);
  const wd = f32x4.splat(decoupled ? 0 : <f32>weightDecay);
  const shrink = f32x4.splat(decoupled ? <f32>(1 - lr * weightDecay) : 1);
  for (let r = 0; r < count; r++) {
    const row = rowAt(rows, r);
    const step = <f64>field(row, StepRow.Step);
    const stepSize = f32x4.splat(<f32>(lr / (1 - Math.pow(beta1, step))));
    const invBc2 = f32x4.splat(<f32>(1 / Math.sqrt(1 - Math.pow(beta2, step))));
    adamTensor(field(row, StepRow.Param), field(row, StepRow.Grad), field(row, StepRow.State), field(row, StepRow.State + 1), field(row, StepRow.State + 2),
      <i32>field(row, StepRow.Numel), b1, c1, b2, c2, veps, wd, shrink, stepSize, invBc2, sign);
  }
}

// ---- RMSprop (Hinton, lecture 6e): v = α·v + (1 − α)·g²;  centered: ga = α·ga + (1 − α)·g, v − ga²
// avg = sqrt(·) + eps;  momentum: buf = μ·buf + g/avg, p −= lr·buf;  else p −= lr·g/avg

@inline function rmspropAt(o: usize, vec: bool, p: usize, g: usize, v: usize, ga: usize, buf: usize, a: v128, ca: v128,
  eps: v128, wd: v128, lr: v128, momentum: v128, sign: v128): void {
  const d = decayedGrad(o, p, g, sign, wd, vec);
  const vt = madd(a, ld(v + o, vec), f32x4.mul(ca, f32x4.mul(d, d)));
  st(v + o, vt, vec);
  let variance = vt;
  if (ga != 0) {
    const gat = madd(a, ld(ga + o, vec), f32x4.mul(ca, d));
    st(ga + o, gat, vec);
    variance = f32x4.sub(vt, f32x4.mul(gat, gat));
  }
  let delta = f32x4.div(d, f32x4.add(f32x4.sqrt(variance), eps));
  if (buf != 0) {
    delta = madd(momentum, ld(buf + o, vec), delta);
    st(buf + o, delta, vec);
  }
  st(p + o, f32x4.sub(ld(p + o, vec), f32x4.mul(lr, delta)), vec);
}

@inline function rmspropTensor(p: usize, g: usize, v: usize, gradAvg: usize, buf: usize, n: i32, a: v128, ca: v128, eps: v128,
  wd: v128, lr: v128, momentum: v128, sign: v128): void {
  const vecN = n & ~3;
  let i = 0;
  for (; i < vecN; i += 4) rmspropAt(<usize>i << 2, true, p, g, v, gradAvg, buf, a, ca, eps, wd, lr, momentum, sign);
  for (; i < n; i++) rmspropAt(<usize>i << 2, false, p, g, v, gradAvg, buf, a, ca, eps, wd, lr, momentum, sign);
}

// State: square_avg, grad_avg (0 unless centered), momentum_buffer (0 without momentum).
export function rmsprop_step_multi_f32(rows: usize, count: i32, lr: f64, alpha: f64, eps: f64, weightDecay: f64,
  momentum: f64, maximize: bool): void {
  const a = f32x4.splat(<f32>alpha), ca = f32x4.splat(<f32>(1 - alpha)), veps = f32x4.splat(<f32>eps);
  const wd = f32x4.splat(<f32>weightDecay), vlr = f32x4.splat(<f32>lr), vm = f32x4.splat(<f32>momentum);
  const sign = f32x4.splat(maximize ? -1 : 1);
  for (let r = 0; r < count; r++) {
    const row = rowAt(rows, r);
    rmspropTensor(field(row, StepRow.Param), field(row, StepRow.Grad), field(row, StepRow.State), field(row, StepRow.State + 1), field(row, StepRow.State + 2),
      <i32>field(row, StepRow.Numel), a, ca, veps, wd, vlr, vm, sign);
  }
}

// ---- Adagrad (Duchi et al. 2011): sum += g²;  p −= lr/(1 + (t − 1)·lr_decay) · g / (sqrt(sum) + eps)

@inline function adagradAt(o: usize, vec: bool, p: usize, g: usize, s: usize, clr: v128, eps: v128, wd: v128, sign: v128): void {
  const d = decayedGrad(o, p, g, sign, wd, vec);
  const sum = madd(d, d, ld(s + o, vec));
  st(s + o, sum, vec);
  st(p + o, f32x4.sub(ld(p + o, vec), f32x4.div(f32x4.mul(clr, d), f32x4.add(f32x4.sqrt(sum), eps))), vec);
}

@inline function adagradTensor(p: usize, g: usize, sum: usize, n: i32, clr: v128, eps: v128, wd: v128, sign: v128): void {
  const vecN = n & ~3;
  let i = 0;
  for (; i < vecN; i += 4) adagradAt(<usize>i << 2, true, p, g, sum, clr, eps, wd, sign);
  for (; i < n; i++) adagradAt(<usize>i << 2, false, p, g, sum, clr, eps, wd, sign);
}

// State: sum. The decayed lr uses each row's Step.
export function adagrad_step_multi_f32(rows: usize, count: i32, lr: f64, lrDecay: f64, eps: f64, weightDecay: f64,
  maximize: bool): void {
  const veps = f32x4.splat(<f32>eps), wd = f32x4.splat(<f32>weightDecay), sign = f32x4.splat(maximize ? -1 : 1);
  for (let r = 0; r < count; r++) {
    const row = rowAt(rows, r);
    const clr = f32x4.splat(<f32>(lr / (1 + (<f64>field(row, StepRow.Step) - 1) * lrDecay)));
    adagradTensor(field(row, StepRow.Param), field(row, StepRow.Grad), field(row, StepRow.State), <i32>field(row, StepRow.Numel), clr, veps, wd, sign);
  }
}

// ---- Adadelta (https://arxiv.org/abs/1212.5701): v = ρ·v + (1 − ρ)·g²;  δ = sqrt(u + eps)/sqrt(v + eps)·g
// u = ρ·u + (1 − ρ)·δ²;  p −= lr·δ

@inline function adadeltaAt(o: usize, vec: bool, p: usize, g: usize, v: usize, u: usize, rho: v128, cr: v128,
  eps: v128, wd: v128, lr: v128, sign: v128): void {
  const d = decayedGrad(o, p, g, sign, wd, vec);
  const vt = madd(rho, ld(v + o, vec), f32x4.mul(cr, f32x4.mul(d, d)));
  st(v + o, vt, vec);
  const ut = ld(u + o, vec);
  const delta = f32x4.mul(f32x4.div(f32x4.sqrt(f32x4.add(ut, eps)), f32x4.sqrt(f32x4.add(vt, eps))), d);
  st(u + o, madd(rho, ut, f32x4.mul(cr, f32x4.mul(delta, delta))), vec);
  st(p + o, f32x4.sub(ld(p + o, vec), f32x4.mul(lr, delta)), vec);
}

@inline function adadeltaTensor(p: usize, g: usize, v: usize, u: usize, n: i32, rho: v128, cr: v128, eps: v128, wd: v128,
  lr: v128, sign: v128): void {
  const vecN = n & ~3;
  let i = 0;
  for (; i < vecN; i += 4) adadeltaAt(<usize>i << 2, true, p, g, v, u, rho, cr, eps, wd, lr, sign);
  for (; i < n; i++) adadeltaAt(<usize>i << 2, false, p, g, v, u, rho, cr, eps, wd, lr, sign);
}

// State: square_avg, acc_delta.
export function adadelta_step_multi_f32(rows: usize, count: i32, lr: f64, rho: f64, eps: f64, weightDecay: f64,
  maximize: bool): void {
  const vr = f32x4.splat(<f32>rho), cr = f32x4.splat(<f32>(1 - rho)), veps = f32x4.splat(<f32>eps);
  const wd = f32x4.splat(<f32>weightDecay), vlr = f32x4.splat(<f32>lr), sign = f32x4.splat(maximize ? -1 : 1);
  for (let r = 0; r < count; r++) {
    const row = rowAt(rows, r);
    adadeltaTensor(field(row, StepRow.Param), field(row, StepRow.Grad), field(row, StepRow.State), field(row, StepRow.State + 1), <i32>field(row, StepRow.Numel),
      vr, cr, veps, wd, vlr, sign);
  }
}

// ---- Gradient norms for clipping: Σ|x|^p accumulated in f64 (p = 1, 2 fast paths), or max|x| for p = ∞.

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
  if (p == 2 || p == 1) {
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
  let s: f64 = 0;
  for (; i < n; i++) s += Math.pow(abs(<f64>load<f32>(x + (<usize>i << 2))), p);
  return s;
}

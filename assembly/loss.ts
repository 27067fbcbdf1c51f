// Fused loss kernels. Each forward pass writes the per-element loss and, when the caller passes
// non-zero pointers, the derivatives the backward needs, so a loss costs one pass over its inputs.
import { exp4, loadLane, storeLane, loadPart, storePart } from "./vmath";
// The pointwise losses' logs and exps as calls (assembly/vmath-calls.ts): each loss's body is
// inlined into its own loop, and these losses are a pass over a step's outputs, not its hot path.
import { exp4 as exp4Call, sigmoid4, log4, log1p4 } from "./vmath-calls";
import { sumContiguous, sumExpContiguous } from "./sums";
import { maxContiguous } from "./reduce";

export const enum PointwiseLoss {
  Mse = 0, L1 = 1, SmoothL1 = 2, Huber = 3, Bce = 4, BceWithLogits = 5, KlDiv = 6, KlDivLogTarget = 7,
}

@inline function sign4(d: v128): v128 {
  const zero = f32x4.splat(0), one = f32x4.splat(1);
  return f32x4.sub(v128.and(f32x4.gt(d, zero), one), v128.and(f32x4.lt(d, zero), one));
}

// Loss, ∂loss/∂x and ∂loss/∂t of 4 lanes (the first m < 4 of a row's last, partial vector: one
// copy of each loss's body serves both); w is pos_weight, p is beta/delta.
@inline function pointwiseStep(op: i32, x: v128, t: v128, w: v128, p: v128, loss: usize, dx: usize, dt: usize, m: i32): void {
  const zero = f32x4.splat(0), one = f32x4.splat(1), half = f32x4.splat(0.5);
  let l: v128, gx: v128, gt: v128;
  switch (op) {
    case PointwiseLoss.Mse: {
      const d = f32x4.sub(x, t);
      l = f32x4.mul(d, d);
      gx = f32x4.add(d, d);
      gt = f32x4.neg(gx);
      break;
    }
    case PointwiseLoss.L1: {
      const d = f32x4.sub(x, t);
      l = f32x4.abs(d);
      gx = sign4(d);
      gt = f32x4.neg(gx);
      break;
    }
    case PointwiseLoss.SmoothL1: {
      // beta = 0 never takes the quadratic branch (PyTorch's l1 limit); its NaN lanes are discarded.
      const d = f32x4.sub(x, t), ad = f32x4.abs(d), small = f32x4.lt(ad, p);
      l = v128.bitselect(f32x4.div(f32x4.mul(half, f32x4.mul(d, d)), p), f32x4.sub(ad, f32x4.mul(half, p)), small);
      gx = v128.bitselect(f32x4.div(d, p), sign4(d), small);
      gt = f32x4.neg(gx);
      break;
    }
    case PointwiseLoss.Huber: {
      const d = f32x4.sub(x, t), ad = f32x4.abs(d), small = f32x4.lt(ad, p);
      l = v128.bitselect(f32x4.mul(half, f32x4.mul(d, d)), f32x4.mul(p, f32x4.sub(ad, f32x4.mul(half, p))), small);
      gx = v128.bitselect(d, f32x4.mul(p, sign4(d)), small);
      gt = f32x4.neg(gx);
      break;
    }
    case PointwiseLoss.Bce: {
      // PyTorch clamps the logs at −100 and the derivative's denominator at 1e-12.
      const floor = f32x4.splat(-100);
      const logp = f32x4.max(log4(x), floor), log1mp = f32x4.max(log4(f32x4.sub(one, x)), floor);
      l = f32x4.neg(f32x4.add(f32x4.mul(t, logp), f32x4.mul(f32x4.sub(one, t), log1mp)));
      gx = f32x4.div(f32x4.sub(x, t), f32x4.max(f32x4.mul(x, f32x4.sub(one, x)), f32x4.splat(1e-12)));
      gt = f32x4.sub(log1mp, logp);
      break;
    }
    case PointwiseLoss.BceWithLogits: {
      // (1 − t)·x + (1 + (w − 1)·t)·softplus(−x), softplus(−x) = max(−x, 0) + log(1 + exp(−|x|)): never overflows.
      const sp = f32x4.add(f32x4.max(f32x4.neg(x), zero), log1p4(exp4Call(f32x4.neg(f32x4.abs(x)))));
      const wm1 = f32x4.sub(w, one);
      const lw = f32x4.add(one, f32x4.mul(wm1, t));
      const omt = f32x4.sub(one, t);
      l = f32x4.add(f32x4.mul(omt, x), f32x4.mul(lw, sp));
      gx = f32x4.sub(omt, f32x4.mul(lw, sigmoid4(f32x4.neg(x))));
      gt = f32x4.sub(f32x4.mul(wm1, sp), x);
      break;
    }
    case PointwiseLoss.KlDiv: {
      // t·(log t − x) with 0·log 0 = 0 (xlogy).
      const logt = log4(t);
      l = f32x4.sub(v128.bitselect(zero, f32x4.mul(t, logt), f32x4.eq(t, zero)), f32x4.mul(t, x));
      gx = f32x4.neg(t);
      gt = f32x4.sub(f32x4.add(logt, one), x);
      break;
    }
    default: { // KlDivLogTarget: exp(t)·(t − x)
      const e = exp4Call(t), d = f32x4.sub(t, x);
      l = f32x4.mul(e, d);
      gx = f32x4.neg(e);
      gt = f32x4.mul(e, f32x4.add(d, one));
    }
  }
  storePart(loss, l, m);
  if (dx) storePart(dx, gx, m);
  if (dt) storePart(dt, gt, m);
}

@inline function pointwiseRows(op: i32, x: usize, t: usize, pw: usize, rows: i32, cols: i32, param: f32, loss: usize, dx: usize, dt: usize): void {
  const p = f32x4.splat(param), one = f32x4.splat(1);
  for (let r = 0; r < rows; r++) {
    const row = <usize>(r * cols) << 2;
    for (let j = 0; j < cols; j += 4) {
      const o = row + (<usize>j << 2), m = cols - j;
      const w = pw ? loadPart(pw + (<usize>j << 2), m) : one;
      pointwiseStep(op, loadPart(x + o, m), loadPart(t + o, m), w, p, loss + o, dx ? dx + o : 0, dt ? dt + o : 0, m);
    }
  }
}

// Element-wise losses of input x and target t viewed as [rows, cols]; pw (optional, [cols]) is
// BCE-with-logits' pos_weight. dx and dt (optional) receive ∂loss/∂x and ∂loss/∂t.
export function pointwise_loss_f32(op: i32, x: usize, t: usize, pw: usize, rows: i32, cols: i32, param: f32, loss: usize, dx: usize, dt: usize): void {
  switch (op) {
    case PointwiseLoss.Mse: pointwiseRows(PointwiseLoss.Mse, x, t, pw, rows, cols, param, loss, dx, dt); break;
    case PointwiseLoss.L1: pointwiseRows(PointwiseLoss.L1, x, t, pw, rows, cols, param, loss, dx, dt); break;
    case PointwiseLoss.SmoothL1: pointwiseRows(PointwiseLoss.SmoothL1, x, t, pw, rows, cols, param, loss, dx, dt); break;
    case PointwiseLoss.Huber: pointwiseRows(PointwiseLoss.Huber, x, t, pw, rows, cols, param, loss, dx, dt); break;
    case PointwiseLoss.Bce: pointwiseRows(PointwiseLoss.Bce, x, t, pw, rows, cols, param, loss, dx, dt); break;
    case PointwiseLoss.BceWithLogits: pointwiseRows(PointwiseLoss.BceWithLogits, x, t, pw, rows, cols, param, loss, dx, dt); break;
    case PointwiseLoss.KlDiv: pointwiseRows(PointwiseLoss.KlDiv, x, t, pw, rows, cols, param, loss, dx, dt); break;
    case PointwiseLoss.KlDivLogTarget: pointwiseRows(PointwiseLoss.KlDivLogTarget, x, t, pw, rows, cols, param, loss, dx, dt); break;
  }
}

@inline function rowMax(x: usize, C: i32, step: usize): f32 {
  if (step == 4) return maxContiguous(x, C);
  let m = load<f32>(x);
  for (let c = 1; c < C; c++) m = max(m, load<f32>(x + <usize>c * step));
  return m;
}

// Σ_c exp(x_c − m) over one row of C classes `step` bytes apart, summed blocked / in float64.
@inline function rowSumExp(x: usize, C: i32, step: usize, m: f32): f32 {
  if (step == 4) return <f32>sumExpContiguous(x, C, m, 0);
  let s: f64 = 0;
  for (let c = 0; c < C; c++) s += <f64>Mathf.exp(load<f32>(x + <usize>c * step) - m);
  return <f32>s;
}

// probs_c = exp((x_c − m) − log s) over one row of C classes `step` bytes apart (a contiguous row
// four lanes at a time, its tail one lane at a time).
@inline function rowProbs(x: usize, probs: usize, C: i32, step: usize, m: f32, logS: f32): void {
  let c = 0;
  if (step == 4) {
    const mv = f32x4.splat(m), lv = f32x4.splat(logS);
    for (; c + 4 <= C; c += 4) {
      const q = <usize>c << 2;
      v128.store(probs + q, exp4(f32x4.sub(f32x4.sub(v128.load(x + q), mv), lv)));
    }
  }
  for (; c < C; c++) {
    const q = <usize>c * step;
    storeLane(probs + q, exp4(f32x4.sub(f32x4.sub(loadLane(x + q), f32x4.splat(m)), f32x4.splat(logS))));
  }
}

// Σ_c w_c, the smoothing term's total weight (C when there are no class weights).
// @ts-ignore: decorator
@inline function classWeightSum(weight: usize, C: i32): f32 {
  if (!weight) return <f32>C;
  return <f32>sumContiguous(weight, C);
}

// Negative log-likelihood over classes, for input x [outer, C, inner] and int32 target [outer, inner]:
//   loss[o, i] = Σ_c coef_c · (−logp_c),  coef_c = (1 − ε)·w_t·[c = t] + (ε/C)·w_c
// (w = class weights, all 1 when weight = 0; zero where t = ignoreIndex). logits ≠ 0: x are logits
// and logp = log_softmax(x) (cross-entropy), and probs (if ≠ 0) receives softmax(x) for the backward;
// logits = 0: x already holds log-probabilities (nll_loss). Targets must be in range (checked by the caller).
export function class_nll_f32(x: usize, target: usize, weight: usize, loss: usize, probs: usize,
  outer: i32, C: i32, inner: i32, smoothing: f32, ignoreIndex: i32, logits: i32): void {
  const step = <usize>inner << 2;
  const wsum = classWeightSum(weight, C);
  const share = smoothing / <f32>C;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const j = <usize>(o * inner + i) << 2;
      const t = load<i32>(target + j);
      const base = <usize>(o * C * inner + i) << 2;
      const xr = x + base;
      // −logp_c = (m − x_c) + log s: the max is subtracted before anything is rounded, so large
      // logits lose no precision (forming lse = m + log s first would).
      const m: f32 = logits ? rowMax(xr, C, step) : 0;
      const logS: f32 = logits ? Mathf.log(rowSumExp(xr, C, step, m)) : 0;
      if (probs) rowProbs(xr, probs + base, C, step, m, logS);
      if (t == ignoreIndex) {
        store<f32>(loss + j, 0);
        continue;
      }
      const wt: f32 = weight ? load<f32>(weight + (<usize>t << 2)) : 1;
      let l: f32 = (<f32>1 - smoothing) * wt * ((m - load<f32>(xr + <usize>t * step)) + logS);
      if (smoothing != 0) {
        // Σ_c w_c·((m − x_c) + log s) = log s·Σw + Σ_c w_c·(m − x_c)
        let wx: f64 = 0;
        for (let c = 0; c < C; c++) wx += <f64>((weight ? load<f32>(weight + (<usize>c << 2)) : <f32>1) * (m - load<f32>(xr + <usize>c * step)));
        l += share * (logS * wsum + <f32>wx);
      }
      store<f32>(loss + j, l);
    }
  }
}

// The backward of class_nll_f32: dx[o, c, i] = g[o, i]·scale·(p_c·S − coef_c) with S = Σ_c coef_c
// (p = the saved softmax, or 0 when probs = 0, i.e. nll_loss). gStride is 0 when the upstream is
// one scalar (sum/mean reductions), 1 when it is per element.
export function class_nll_backward_f32(probs: usize, g: usize, gStride: i32, scale: f32, target: usize, weight: usize, dx: usize,
  outer: i32, C: i32, inner: i32, smoothing: f32, ignoreIndex: i32): void {
  const step = <usize>inner << 2;
  const wsum = classWeightSum(weight, C);
  const share = smoothing / <f32>C;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const j = o * inner + i;
      const t = load<i32>(target + (<usize>j << 2));
      const base = <usize>(o * C * inner + i) << 2;
      if (t == ignoreIndex) {
        for (let c = 0; c < C; c++) store<f32>(dx + base + <usize>c * step, 0);
        continue;
      }
      const gs = load<f32>(g + (<usize>(j * gStride) << 2)) * scale;
      const wt: f32 = weight ? load<f32>(weight + (<usize>t << 2)) : 1;
      const hard: f32 = (<f32>1 - smoothing) * wt;
      const S = hard + share * wsum;
      for (let c = 0; c < C; c++) {
        const p = base + <usize>c * step;
        const coef: f32 = (c == t ? hard : <f32>0) + share * (weight ? load<f32>(weight + (<usize>c << 2)) : <f32>1);
        store<f32>(dx + p, gs * ((probs ? load<f32>(probs + p) * S : <f32>0) - coef));
      }
    }
  }
}

// Cross-entropy against class probabilities, for logits x and float targets t, both [outer, C, inner]:
//   loss[o, i] = Σ_c coef_c · (−logp_c),  coef_c = w_c·((1 − ε)·t_c + ε/C),  logp = log_softmax(x)
// (w = class weights, all 1 when weight = 0). The backward recomputes the softmax from x.
export function soft_cross_entropy_f32(x: usize, target: usize, weight: usize, loss: usize,
  outer: i32, C: i32, inner: i32, smoothing: f32): void {
  const step = <usize>inner << 2;
  const share = smoothing / <f32>C;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = <usize>(o * C * inner + i) << 2;
      const xr = x + base, tr = target + base;
      const m = rowMax(xr, C, step);
      const logS = Mathf.log(rowSumExp(xr, C, step, m));
      let l: f64 = 0;
      for (let c = 0; c < C; c++) {
        const w: f32 = weight ? load<f32>(weight + (<usize>c << 2)) : 1;
        const coef = w * ((<f32>1 - smoothing) * load<f32>(tr + <usize>c * step) + share);
        l += <f64>(coef * ((m - load<f32>(xr + <usize>c * step)) + logS));
      }
      store<f32>(loss + (<usize>(o * inner + i) << 2), <f32>l);
    }
  }
}

// The backward of soft_cross_entropy_f32, each output optional (0 = not needed), with
// gs = g[o, i]·scale (gStride 0: one scalar upstream, 1: per element):
//   dx[o, c, i] = gs·(p_c·S − coef_c), S = Σ_c coef_c, p = softmax(x);  dt[o, c, i] = gs·(1 − ε)·w_c·(−logp_c)
export function soft_cross_entropy_backward_f32(x: usize, g: usize, gStride: i32, scale: f32, target: usize, weight: usize,
  dx: usize, dt: usize, outer: i32, C: i32, inner: i32, smoothing: f32): void {
  const step = <usize>inner << 2;
  const share = smoothing / <f32>C;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const j = o * inner + i;
      const base = <usize>(o * C * inner + i) << 2;
      const xr = x + base, tr = target + base;
      const m = rowMax(xr, C, step);
      const logS = Mathf.log(rowSumExp(xr, C, step, m));
      const gs = load<f32>(g + (<usize>(j * gStride) << 2)) * scale;
      let total: f64 = 0;
      if (dx) {
        for (let c = 0; c < C; c++) {
          const w: f32 = weight ? load<f32>(weight + (<usize>c << 2)) : 1;
          total += <f64>(w * ((<f32>1 - smoothing) * load<f32>(tr + <usize>c * step) + share));
        }
      }
      const S = <f32>total;
      for (let c = 0; c < C; c++) {
        const p = <usize>c * step;
        const w: f32 = weight ? load<f32>(weight + (<usize>c << 2)) : 1;
        const negLogp = (m - load<f32>(xr + p)) + logS;
        if (dx) {
          const coef = w * ((<f32>1 - smoothing) * load<f32>(tr + p) + share);
          store<f32>(dx + base + p, gs * (Mathf.exp(-negLogp) * S - coef));
        }
        if (dt) store<f32>(dt + base + p, gs * (<f32>1 - smoothing) * w * negLogp);
      }
    }
  }
}

// Fused recurrent cells: one time step of an Elman RNN (tanh / relu), an LSTM or a GRU for a
// whole batch, forward and backward, from the two pre-activations gi = W_ih x + b_ih and
// gh = W_hh h + b_hh (the GEMMs run outside, gi for every step at once). One call per step does
// every gate's nonlinearity and the state update, instead of a dozen elementwise kernels.
//
// Layouts (row-major, rows of the batch; H hidden units; G gates: 1, 4 (i, f, g, o), 3 (r, z, n)):
//   gi, gh, dgi, dgh   [N, G·H]   PyTorch's gate order, chunks of H
//   h, c, y, dh, dc    [N, H]
//   saved              [N, 4·H]   lstm: activated i, f, g, o; gru: r, z, n and W_hn h + b_hn
// Variable-length batches: row n takes part in step t only if t < lengths[n] (lengths = 0: every
// row). A row that does not keeps its state, outputs zero and passes its gradients through, which
// is PyTorch's packed-sequence semantics for both directions.
import { sigmoid4, tanh4, loadPart as ld, storePart as st } from "./vmath";

export const enum RnnKind { Tanh = 0, Relu = 1, Lstm = 2, Gru = 3 }

// Each step body runs on 4 units at a time, the last of a row on lane < 4 (its H % 4 units), with
// one copy of the body for both (ld, st: vmath's loadPart, storePart).

@inline function gateCount(kind: i32): i32 {
  return kind == RnnKind.Lstm ? 4 : kind == RnnKind.Gru ? 3 : 1;
}

@inline function isActive(lengths: usize, n: i32, t: i32): bool {
  return lengths == 0 || t < load<i32>(lengths + (<usize>n << 2));
}

// Units [o, o + 4·lanes) of one row; o is a byte offset within a chunk of H, hb = H·4 bytes.
@inline function forwardUnits(kind: i32, lane: i32, o: usize, hb: usize, gi: usize, gh: usize,
  hPrev: usize, cPrev: usize, hOut: usize, cOut: usize, y: usize, saved: usize): void {
  let h: v128;
  if (kind == RnnKind.Tanh || kind == RnnKind.Relu) {
    const pre = f32x4.add(ld(gi + o, lane), ld(gh + o, lane));
    h = kind == RnnKind.Tanh ? tanh4(pre) : f32x4.pmax(pre, f32x4.splat(0));
  } else if (kind == RnnKind.Lstm) {
    const i = sigmoid4(f32x4.add(ld(gi + o, lane), ld(gh + o, lane)));
    const f = sigmoid4(f32x4.add(ld(gi + hb + o, lane), ld(gh + hb + o, lane)));
    const g = tanh4(f32x4.add(ld(gi + 2 * hb + o, lane), ld(gh + 2 * hb + o, lane)));
    const og = sigmoid4(f32x4.add(ld(gi + 3 * hb + o, lane), ld(gh + 3 * hb + o, lane)));
    const c = f32x4.add(f32x4.mul(f, ld(cPrev + o, lane)), f32x4.mul(i, g));
    h = f32x4.mul(og, tanh4(c));
    st(cOut + o, c, lane);
    st(saved + o, i, lane);
    st(saved + hb + o, f, lane);
    st(saved + 2 * hb + o, g, lane);
    st(saved + 3 * hb + o, og, lane);
  } else {
    const r = sigmoid4(f32x4.add(ld(gi + o, lane), ld(gh + o, lane)));
    const z = sigmoid4(f32x4.add(ld(gi + hb + o, lane), ld(gh + hb + o, lane)));
    // The reset gate scales W_hn h + b_hn, not h (PyTorch's GRU, after cuDNN's).
    const ghn = ld(gh + 2 * hb + o, lane);
    const n = tanh4(f32x4.add(ld(gi + 2 * hb + o, lane), f32x4.mul(r, ghn)));
    h = f32x4.add(n, f32x4.mul(z, f32x4.sub(ld(hPrev + o, lane), n))); // (1 − z)·n + z·h
    st(saved + o, r, lane);
    st(saved + hb + o, z, lane);
    st(saved + 2 * hb + o, n, lane);
    st(saved + 3 * hb + o, ghn, lane);
  }
  st(hOut + o, h, lane);
  st(y + o, h, lane);
}

@inline function cellForward(kind: i32, gi: usize, gh: usize, hPrev: usize, cPrev: usize, hOut: usize, cOut: usize,
  y: usize, saved: usize, N: i32, H: i32, lengths: usize, t: i32): void {
  const hb = <usize>H << 2, gb = <usize>gateCount(kind) * hb;
  for (let n = 0; n < N; n++) {
    const r = <usize>n;
    const hp = hPrev + r * hb, cp = cPrev + r * hb, ho = hOut + r * hb, co = cOut + r * hb, yo = y + r * hb;
    if (!isActive(lengths, n, t)) {
      memory.copy(ho, hp, hb);
      if (kind == RnnKind.Lstm) memory.copy(co, cp, hb);
      memory.fill(yo, 0, hb);
      continue;
    }
    const gir = gi + r * gb, ghr = gh + r * gb, sr = saved + r * 4 * hb;
    for (let o: usize = 0; o < hb; o += 16) forwardUnits(kind, <i32>min<usize>(4, (hb - o) >> 2), o, hb, gir, ghr, hp, cp, ho, co, yo, sr);
  }
}

/**
 * One forward step: hOut (and cOut) = the cell applied to hPrev (cPrev) and gi + gh; y = hOut for
 * rows in the step, 0 for the others. saved receives what the backward needs (lstm, gru).
 */
export function rnn_cell_f32(kind: i32, gi: usize, gh: usize, hPrev: usize, cPrev: usize, hOut: usize, cOut: usize,
  y: usize, saved: usize, N: i32, H: i32, lengths: usize, t: i32): void {
  switch (kind) {
    case RnnKind.Tanh: cellForward(RnnKind.Tanh, gi, gh, hPrev, cPrev, hOut, cOut, y, saved, N, H, lengths, t); break;
    case RnnKind.Relu: cellForward(RnnKind.Relu, gi, gh, hPrev, cPrev, hOut, cOut, y, saved, N, H, lengths, t); break;
    case RnnKind.Lstm: cellForward(RnnKind.Lstm, gi, gh, hPrev, cPrev, hOut, cOut, y, saved, N, H, lengths, t); break;
    case RnnKind.Gru: cellForward(RnnKind.Gru, gi, gh, hPrev, cPrev, hOut, cOut, y, saved, N, H, lengths, t); break;
  }
}

@inline function backwardUnits(kind: i32, lane: i32, o: usize, hb: usize, saved: usize, hPrev: usize, cPrev: usize,
  hNew: usize, cNew: usize, dy: usize, dh: usize, dc: usize, dgi: usize, dgh: usize): void {
  const zero = f32x4.splat(0), one = f32x4.splat(1);
  // The gradient reaching this step's h: from the next step (dh) and from the output y (dy).
  const gh = dy ? f32x4.add(ld(dh + o, lane), ld(dy + o, lane)) : ld(dh + o, lane);
  if (kind == RnnKind.Tanh) {
    const h = ld(hNew + o, lane);
    st(dgi + o, f32x4.mul(gh, f32x4.sub(one, f32x4.mul(h, h))), lane);
    st(dh + o, zero, lane); // h_prev reaches the output only through W_hh (the GEMM outside)
  } else if (kind == RnnKind.Relu) {
    st(dgi + o, v128.and(gh, f32x4.gt(ld(hNew + o, lane), zero)), lane);
    st(dh + o, zero, lane);
  } else if (kind == RnnKind.Lstm) {
    const i = ld(saved + o, lane), f = ld(saved + hb + o, lane), g = ld(saved + 2 * hb + o, lane), og = ld(saved + 3 * hb + o, lane);
    const tc = tanh4(ld(cNew + o, lane));
    const dct = f32x4.add(ld(dc + o, lane), f32x4.mul(f32x4.mul(gh, og), f32x4.sub(one, f32x4.mul(tc, tc))));
    st(dgi + o, f32x4.mul(f32x4.mul(dct, g), f32x4.mul(i, f32x4.sub(one, i))), lane);
    st(dgi + hb + o, f32x4.mul(f32x4.mul(dct, ld(cPrev + o, lane)), f32x4.mul(f, f32x4.sub(one, f))), lane);
    st(dgi + 2 * hb + o, f32x4.mul(f32x4.mul(dct, i), f32x4.sub(one, f32x4.mul(g, g))), lane);
    st(dgi + 3 * hb + o, f32x4.mul(f32x4.mul(gh, tc), f32x4.mul(og, f32x4.sub(one, og))), lane);
    st(dc + o, f32x4.mul(dct, f), lane);
    st(dh + o, zero, lane);
  } else {
    const r = ld(saved + o, lane), z = ld(saved + hb + o, lane), n = ld(saved + 2 * hb + o, lane), ghn = ld(saved + 3 * hb + o, lane);
    const dn = f32x4.mul(f32x4.mul(gh, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(n, n)));
    const dr = f32x4.mul(f32x4.mul(dn, ghn), f32x4.mul(r, f32x4.sub(one, r)));
    const dz = f32x4.mul(f32x4.mul(gh, f32x4.sub(ld(hPrev + o, lane), n)), f32x4.mul(z, f32x4.sub(one, z)));
    st(dgi + o, dr, lane);
    st(dgi + hb + o, dz, lane);
    st(dgi + 2 * hb + o, dn, lane);
    st(dgh + o, dr, lane);
    st(dgh + hb + o, dz, lane);
    st(dgh + 2 * hb + o, f32x4.mul(dn, r), lane);
    st(dh + o, f32x4.mul(gh, z), lane); // the direct path z·h
  }
}

@inline function cellBackward(kind: i32, saved: usize, hPrev: usize, cPrev: usize, hNew: usize, cNew: usize, dy: usize,
  dh: usize, dc: usize, dgi: usize, dgh: usize, N: i32, H: i32, lengths: usize, t: i32): void {
  const hb = <usize>H << 2, gb = <usize>gateCount(kind) * hb;
  for (let n = 0; n < N; n++) {
    const r = <usize>n;
    const gir = dgi + r * gb, ghr = dgh + r * gb;
    if (!isActive(lengths, n, t)) {
      // The state passed through unchanged: dh and dc stay; the step's pre-activations get nothing.
      memory.fill(gir, 0, gb);
      if (kind == RnnKind.Gru) memory.fill(ghr, 0, gb);
      continue;
    }
    const sr = saved + r * 4 * hb, hp = hPrev + r * hb, cp = cPrev + r * hb, hn = hNew + r * hb, cn = cNew + r * hb;
    const dyr = dy ? dy + r * hb : 0, dhr = dh + r * hb, dcr = dc + r * hb;
    for (let o: usize = 0; o < hb; o += 16) backwardUnits(kind, <i32>min<usize>(4, (hb - o) >> 2), o, hb, sr, hp, cp, hn, cn, dyr, dhr, dcr, gir, ghr);
  }
}

/**
 * One backward step. In: dh (dc) = the gradient of the step's new state from later steps, dy the
 * gradient of its output (0 = none). Out: dgi = the gradient of gi; dgh = that of gh (written for
 * the GRU only, where its n chunk differs; the others have dgh = dgi); dh (dc) overwritten with
 * the gradient of hPrev (cPrev) except the W_hh path, which the caller adds as dgh·W_hh.
 */
export function rnn_cell_backward_f32(kind: i32, saved: usize, hPrev: usize, cPrev: usize, hNew: usize, cNew: usize, dy: usize,
  dh: usize, dc: usize, dgi: usize, dgh: usize, N: i32, H: i32, lengths: usize, t: i32): void {
  switch (kind) {
    case RnnKind.Tanh: cellBackward(RnnKind.Tanh, saved, hPrev, cPrev, hNew, cNew, dy, dh, dc, dgi, dgh, N, H, lengths, t); break;
    case RnnKind.Relu: cellBackward(RnnKind.Relu, saved, hPrev, cPrev, hNew, cNew, dy, dh, dc, dgi, dgh, N, H, lengths, t); break;
    case RnnKind.Lstm: cellBackward(RnnKind.Lstm, saved, hPrev, cPrev, hNew, cNew, dy, dh, dc, dgi, dgh, N, H, lengths, t); break;
    case RnnKind.Gru: cellBackward(RnnKind.Gru, saved, hPrev, cPrev, hNew, cNew, dy, dh, dc, dgi, dgh, N, H, lengths, t); break;
  }
}

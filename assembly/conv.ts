// im2col / col2im for 2-D convolution over NCHW images with zero padding, stride and dilation.
//
// The column matrix of one image covers a chunk of output rows oh0 .. oh0+rows−1 and is laid out
// [C·kh·kw, rows·Wo]: row (c, i, j) holds, for every output position (oh, ow) of the chunk, the
// input pixel (oh·sh − ph + i·dh, ow·sw − pw + j·dw) of channel c, or 0 where that lies in the
// padding. A convolution is then one GEMM per image and group; col2im is the adjoint of im2col
// (it adds every entry back onto the pixel it came from), which gives the input gradient and the
// transposed convolution. nb images are processed per call, their column matrices one after another.

// Output columns [lo, hi) whose input column ow·sw + off lies inside 0 .. W−1 (off = j·dw − pw).
// @ts-ignore: decorator
@inline function validLo(off: i32, s: i32, Wo: i32): i32 {
  return off >= 0 ? 0 : min(Wo, (s - 1 - off) / s);
}
// @ts-ignore: decorator
@inline function validHi(off: i32, s: i32, W: i32, Wo: i32, lo: i32): i32 {
  const last = W - 1 - off;
  return last < 0 ? lo : max(lo, min(Wo, last / s + 1));
}

export function im2col_f32(x: usize, col: usize, nb: i32, C: i32, H: i32, W: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, Wo: i32, oh0: i32, rows: i32): void {
  const rowBytes = <usize>Wo << 2;
  let dst = col;
  for (let p = 0; p < nb * C; p++) {
    const plane = x + ((<usize>p * H * W) << 2);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const off = j * dw - pw;
        const lo = validLo(off, sw, Wo);
        const hi = validHi(off, sw, W, Wo, lo);
        for (let r = 0; r < rows; r++, dst += rowBytes) {
          const ih = (oh0 + r) * sh - ph + i * dh;
          if (ih < 0 || ih >= H || lo == hi) {
            memory.fill(dst, 0, rowBytes);
            continue;
          }
          const src = plane + ((<usize>ih * W) << 2);
          if (lo > 0) memory.fill(dst, 0, <usize>lo << 2);
          if (sw == 1) {
            memory.copy(dst + (<usize>lo << 2), src + (<usize>(lo + off) << 2), <usize>(hi - lo) << 2);
          } else {
            for (let ow = lo; ow < hi; ow++) store<f32>(dst + (<usize>ow << 2), load<f32>(src + (<usize>(ow * sw + off) << 2)));
          }
          if (hi < Wo) memory.fill(dst + (<usize>hi << 2), 0, <usize>(Wo - hi) << 2);
        }
      }
    }
  }
}

// x[pixel] += col[entry] for every entry im2col_f32 would fill from the image (x is not cleared).
export function col2im_f32(col: usize, x: usize, nb: i32, C: i32, H: i32, W: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, Wo: i32, oh0: i32, rows: i32): void {
  const rowBytes = <usize>Wo << 2;
  let src = col;
  for (let p = 0; p < nb * C; p++) {
    const plane = x + ((<usize>p * H * W) << 2);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const off = j * dw - pw;
        const lo = validLo(off, sw, Wo);
        const hi = validHi(off, sw, W, Wo, lo);
        for (let r = 0; r < rows; r++, src += rowBytes) {
          const ih = (oh0 + r) * sh - ph + i * dh;
          if (ih < 0 || ih >= H) continue;
          const dst = plane + ((<usize>ih * W) << 2);
          if (sw == 1) {
            const d = dst + (<usize>(lo + off) << 2);
            const s = src + (<usize>lo << 2);
            const n = hi - lo;
            let k = 0;
            for (; k + 4 <= n; k += 4) {
              const q = <usize>k << 2;
              v128.store(d + q, f32x4.add(v128.load(d + q), v128.load(s + q)));
            }
            for (; k < n; k++) {
              const q = <usize>k << 2;
              store<f32>(d + q, load<f32>(d + q) + load<f32>(s + q));
            }
          } else {
            for (let ow = lo; ow < hi; ow++) {
              const d = dst + (<usize>(ow * sw + off) << 2);
              store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>ow << 2)));
            }
          }
        }
      }
    }
  }
}

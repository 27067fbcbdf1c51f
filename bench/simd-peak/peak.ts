// AssemblyScript: the multiply-add ceiling of wasm SIMD on this machine, with no memory traffic.
// 12 independent f32x4 accumulator chains hide the add (or FMA) latency on both vector pipes.
// Beside it, what a GEMM's register tile can reach: the same loop with the 8 chains a 4x8 tile
// has, and the tile's own instruction mix (2 loads of B, 4 broadcast loads of A and 8
// multiply-adds per k) over panels that stay in L1, with no packing, edges or epilogue.
import { dotGroup } from "../../assembly/qdot";

@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

export const CHAINS = 12;

export function peak(iters: i32, seed: f32): f32 {
  const a = f32x4.splat(seed), b = f32x4.splat(0.999);
  let c0 = f32x4.splat(0), c1 = f32x4.splat(1), c2 = f32x4.splat(2), c3 = f32x4.splat(3);
  let c4 = f32x4.splat(4), c5 = f32x4.splat(5), c6 = f32x4.splat(6), c7 = f32x4.splat(7);
  let c8 = f32x4.splat(8), c9 = f32x4.splat(9), c10 = f32x4.splat(10), c11 = f32x4.splat(11);
  for (let i = 0; i < iters; i++) {
    c0 = madd(a, b, c0); c1 = madd(a, b, c1); c2 = madd(a, b, c2); c3 = madd(a, b, c3);
    c4 = madd(a, b, c4); c5 = madd(a, b, c5); c6 = madd(a, b, c6); c7 = madd(a, b, c7);
    c8 = madd(a, b, c8); c9 = madd(a, b, c9); c10 = madd(a, b, c10); c11 = madd(a, b, c11);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
  return f32x4.extract_lane(f32x4.add(s, f32x4.add(f32x4.add(c8, c9), f32x4.add(c10, c11))), 0);
}

export function peak8(iters: i32, seed: f32): f32 {
  const a = f32x4.splat(seed), b = f32x4.splat(0.999);
  let c0 = f32x4.splat(0), c1 = f32x4.splat(1), c2 = f32x4.splat(2), c3 = f32x4.splat(3);
  let c4 = f32x4.splat(4), c5 = f32x4.splat(5), c6 = f32x4.splat(6), c7 = f32x4.splat(7);
  for (let i = 0; i < iters; i++) {
    c0 = madd(a, b, c0); c1 = madd(a, b, c1); c2 = madd(a, b, c2); c3 = madd(a, b, c3);
    c4 = madd(a, b, c4); c5 = madd(a, b, c5); c6 = madd(a, b, c6); c7 = madd(a, b, c7);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
  return f32x4.extract_lane(s, 0);
}

// `reps` times: a 4x8 tile over kc steps of a packed A panel at a (4 floats per k) and a packed B
// panel at b (8 floats per k), stored to tile. `unfusedRow3`: row 3 multiplies and adds separately
// (the same code in the plain build), which assembly/gemm.ts's tile did while it was faster on Intel.
@inline function tileMix(unfusedRow3: bool, reps: i32, kc: i32, a: usize, b: usize, tile: usize): void {
  for (let r = 0; r < reps; r++) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    let pa = a, pb = b;
    for (let k = 0; k < kc; k++) {
      const b0 = v128.load(pb, 0), b1 = v128.load(pb, 16);
      let av = v128.load32_splat(pa, 0);
      c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
      av = v128.load32_splat(pa, 4);
      c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
      av = v128.load32_splat(pa, 8);
      c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
      av = v128.load32_splat(pa, 12);
      c30 = unfusedRow3 ? f32x4.add(c30, f32x4.mul(av, b0)) : madd(av, b0, c30);
      c31 = unfusedRow3 ? f32x4.add(c31, f32x4.mul(av, b1)) : madd(av, b1, c31);
      pa += 16;
      pb += 32;
    }
    v128.store(tile, c00, 0); v128.store(tile, c01, 16); v128.store(tile, c10, 32); v128.store(tile, c11, 48);
    v128.store(tile, c20, 64); v128.store(tile, c21, 80); v128.store(tile, c30, 96); v128.store(tile, c31, 112);
  }
}

export function tile4x8(reps: i32, kc: i32, a: usize, b: usize, tile: usize): void {
  tileMix(false, reps, kc, a, b, tile);
}

export function tile4x8Row3Unfused(reps: i32, kc: i32, a: usize, b: usize, tile: usize): void {
  tileMix(true, reps, kc, a, b, tile);
}

// The int8 kernel's counterpart (assembly/qgemm.ts): its dot group, a multiply-add of DOT_MACS
// int8 pairs into i32 lanes — plain: i32x4.dot_i16x8_s (8 pairs) and an add; relaxed:
// i16x8.relaxed_dot_i8x16_i7x16_s (16 pairs), widened by a dot with ones, and an add — in 12
// chains, and in the kernel's 4x8 tile (2 panel loads, 4 splat loads, 8 dot groups per step).
export const DOT_MACS: i32 = ASC_FEATURE_RELAXED_SIMD ? 16 : 8;


export function peakDot(iters: i32, seed: i32): i32 {
  const a = i8x16.splat(<i8>seed), b = i8x16.splat(3), ones = i16x8.splat(1);
  let c0 = i32x4.splat(0), c1 = i32x4.splat(1), c2 = i32x4.splat(2), c3 = i32x4.splat(3);
  let c4 = i32x4.splat(4), c5 = i32x4.splat(5), c6 = i32x4.splat(6), c7 = i32x4.splat(7);
  let c8 = i32x4.splat(8), c9 = i32x4.splat(9), c10 = i32x4.splat(10), c11 = i32x4.splat(11);
  for (let i = 0; i < iters; i++) {
    c0 = dotGroup(false, a, b, c0, ones); c1 = dotGroup(false, a, b, c1, ones); c2 = dotGroup(false, a, b, c2, ones); c3 = dotGroup(false, a, b, c3, ones);
    c4 = dotGroup(false, a, b, c4, ones); c5 = dotGroup(false, a, b, c5, ones); c6 = dotGroup(false, a, b, c6, ones); c7 = dotGroup(false, a, b, c7, ones);
    c8 = dotGroup(false, a, b, c8, ones); c9 = dotGroup(false, a, b, c9, ones); c10 = dotGroup(false, a, b, c10, ones); c11 = dotGroup(false, a, b, c11, ones);
  }
  const s = i32x4.add(i32x4.add(i32x4.add(c0, c1), i32x4.add(c2, c3)), i32x4.add(i32x4.add(c4, c5), i32x4.add(c6, c7)));
  return i32x4.extract_lane(i32x4.add(s, i32x4.add(i32x4.add(c8, c9), i32x4.add(c10, c11))), 0);
}

// `reps` times: the int8 kernel's 4x8 tile over `groups` dot groups of packed rows at a (16
// bytes per group) and a packed panel at b (32 bytes), stored to tile.
export function tileDot(reps: i32, groups: i32, a: usize, b: usize, tile: usize): void {
  const ones = i16x8.splat(1);
  for (let r = 0; r < reps; r++) {
    let c00 = i32x4.splat(0), c01 = i32x4.splat(0), c10 = i32x4.splat(0), c11 = i32x4.splat(0);
    let c20 = i32x4.splat(0), c21 = i32x4.splat(0), c30 = i32x4.splat(0), c31 = i32x4.splat(0);
    let pa = a, pb = b;
    for (let g = 0; g < groups; g++) {
      const p0 = v128.load(pb), p1 = v128.load(pb, 16);
      let x = v128.load32_splat(pa);
      c00 = dotGroup(false, x, p0, c00, ones); c01 = dotGroup(false, x, p1, c01, ones);
      x = v128.load32_splat(pa, 4);
      c10 = dotGroup(false, x, p0, c10, ones); c11 = dotGroup(false, x, p1, c11, ones);
      x = v128.load32_splat(pa, 8);
      c20 = dotGroup(false, x, p0, c20, ones); c21 = dotGroup(false, x, p1, c21, ones);
      x = v128.load32_splat(pa, 12);
      c30 = dotGroup(false, x, p0, c30, ones); c31 = dotGroup(false, x, p1, c31, ones);
      pa += 16;
      pb += 32;
    }
    v128.store(tile, c00, 0); v128.store(tile, c01, 16); v128.store(tile, c10, 32); v128.store(tile, c11, 48);
    v128.store(tile, c20, 64); v128.store(tile, c21, 80); v128.store(tile, c30, 96); v128.store(tile, c31, 112);
  }
}

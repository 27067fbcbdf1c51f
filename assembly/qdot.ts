// The int8 kernel's dot group, apart so that bench/simd-peak measures the same instructions
// (assembly/qgemm.ts's tile; not a kernel: assembly/index.ts does not export it).
// One group of KG depths (2 plain, 4 relaxed: qgemm.ts): the row operand's splat x and the
// panel's columns p (four of them). The weights are the signed operand and the 7-bit activations the i7 one (unsigned on x86's
// pmaddubsw; |pair sum| ≤ 2·128·127 < 2^15, so its i16 saturation never triggers). The relaxed
// dot's i16 pairs are widened by a dot with ones held in a register (V8's extadd_pairwise reloads
// its constant from memory at every use).
// @ts-ignore: decorator
@inline export function dotGroup(perRow: bool, x: v128, p: v128, acc: v128, ones: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    const d = perRow ? i16x8.relaxed_dot_i8x16_i7x16_s(x, p) : i16x8.relaxed_dot_i8x16_i7x16_s(p, x);
    return i32x4.add(acc, i32x4.dot_i16x8_s(d, ones));
  }
  return i32x4.add(acc, i32x4.dot_i16x8_s(x, p));
}

// How a conv2d pass runs (see src/ops/conv.ts for the three passes): the plan that picks Winograd,
// the direct kernels or im2col + GEMM for each pass, and the runners of each method on raw pointers,
// over the backend's GEMM, element addresses and thread split.
import { callerWorkspace, gemm, gemmBatched } from "../backend/gemm.js";
import { BiasMode } from "../backend/kernels.js";
import { allocElements, elementAt, elementBytes, i32View, releaseElements } from "../backend/memory.js";
import { chunkUnits, chunksFor, parallelFor, runJob, threadsFor } from "../backend/parallel.js";
import { backend } from "../backend/wasm.js";

/** A conv2d in its own terms: X [N, Cin, H, W] -> Y [N, Cout, Ho, Wo]; ph/pw are the top/left pads. */
export interface Geometry {
  N: number; Cin: number; H: number; W: number; Cout: number; Ho: number; Wo: number;
  kh: number; kw: number; sh: number; sw: number; ph: number; pw: number; dh: number; dw: number; groups: number;
}

/** Raw pointers of the passes to run (0 = skip). dw and dx are accumulated into. */
export interface Passes {
  weight: number;
  x?: number; // X, lowered by im2col for the `y` and `dw` passes
  y?: number; // Y = W ⋆ X (+ bias), overwritten
  bias?: number;
  relu?: boolean; // Y = max(W ⋆ X + bias, 0), in the GEMM's epilogue
  dy?: number; // dW += dy ⋆ X
  dw?: number;
  adj?: number; // dX += col2im(Wᵀ · adj)
  dx?: number;
}

// The column matrices live in one scratch block from the allocator, grown on demand and reused by
// every call. A batch is lowered a chunk of images at a time (or a chunk of output rows, for one
// large image) so the block stays within SCRATCH_FLOATS (16 MiB) unless a single output row is larger.
const SCRATCH_FLOATS = 4 << 20;
let scratch = { ptr: 0, floats: 0 };

function scratchBuffer(floats: number): number {
  if (floats > scratch.floats) {
    if (scratch.ptr) releaseElements(scratch.ptr, scratch.floats);
    scratch = { ptr: 0, floats: 0 }; // nothing held if the allocation below fails
    scratch = { ptr: allocElements(floats, "conv im2col buffer"), floats };
  }
  return scratch.ptr;
}

/** Gives the scratch block back to the allocator (emptyCache); the next convolution takes a new one. */
export function releaseConvScratch(): void {
  if (scratch.ptr) releaseElements(scratch.ptr, scratch.floats);
  scratch = { ptr: 0, floats: 0 };
}

/**
 * im2col (or col2im) of nb images x [nb, Cin, H, W] <-> the column matrix col, with `geometry` the
 * kernels' arguments from kh to ld; split over ranges of channels, each its own rows of col and
 * planes of x.
 */
function columns(scatter: boolean, x: number, col: number, nb: number, Cin: number, H: number, W: number, geometry: readonly number[]): void {
  const [kh, kw] = geometry, ld = geometry[geometry.length - 1];
  const [xArg, colArg] = scatter ? [1, 0] : [0, 1];
  const args = scatter ? [col, x] : [x, col];
  parallelFor(scatter ? "col2im_f32" : "im2col_f32", [...args, nb, Cin, H, W, ...geometry, Cin],
    { extent: Cin, count: 3, perUnit: { [xArg]: elementBytes(H * W), [colArg]: elementBytes(kh * kw * ld) } }, nb * Cin * kh * kw * (ld / nb));
}

/** xp = the planes of x placed in zeroed [Hp, Wp] planes at row top, column left (pad_planes_f32), split over planes. */
function padPlanes(x: number, xp: number, planes: number, H: number, W: number, Hp: number, Wp: number, top: number, left: number): void {
  parallelFor("pad_planes_f32", [x, xp, planes, H, W, Hp, Wp, top, left], { extent: planes, count: 2, perUnit: { 0: elementBytes(H * W), 1: elementBytes(Hp * Wp) } }, planes * Hp * Wp);
}

// When an image's column matrix is small, images are convolved a chunk at a time: one GEMM per
// group with N = images·Ho·Wo instead of a narrow one per image (which packs the weights again
// each time and is too small to split over threads). The chunk's column block stays within
// BATCH_COLUMN_FLOATS (512 KiB, in L2 with the GEMM's packed panels): larger blocks measured
// slower, their rows' long stride thrashing the cache as the GEMM packs them. Images too large
// for two per chunk keep a GEMM each, written straight into Y.
const BATCH_COLUMN_FLOATS = 1 << 17;

export function runPasses(g: Geometry, p: Passes): void {
  const K = g.Cin * g.kh * g.kw, L = g.Ho * g.Wo;
  // (the reordered Y beside the columns must fit the scratch block too)
  const images = Math.min(g.N, Math.floor(BATCH_COLUMN_FLOATS / (K * L)), Math.floor(SCRATCH_FLOATS / ((K + g.Cout) * L)));
  if (images >= 2) runBatched(g, p, images);
  else runPerImage(g, p);
}

/**
 * The passes over `images` images at a time: their column matrix [Cin·kh·kw, images·Ho·Wo] and, after
 * it in the scratch block, Y, dY or the adjoint's input reordered from [images, Cout, Ho·Wo] to
 * [Cout, images·Ho·Wo] (the GEMMs' layout).
 */
function runBatched(g: Geometry, p: Passes, images: number): void {
  const k = backend().kernels;
  const { N, Cin, H, W, Cout, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw, groups } = g;
  const cinG = Cin / groups, coutG = Cout / groups, kG = cinG * kh * kw, K = Cin * kh * kw;
  const L = Ho * Wo, HW = H * W;
  const buf = scratchBuffer(images * (K + Cout) * L);
  const geometry = [kh, kw, sh, sw, ph, pw, dh, dw, Wo, 0, Ho] as const;
  const wOf = (grp: number) => elementAt(p.weight, grp * coutG * kG);

  for (let n0 = 0; n0 < N; n0 += images) {
    const nb = Math.min(images, N - n0), cols = nb * L;
    const col = buf, rows = elementAt(buf, K * cols);
    const colOf = (grp: number) => elementAt(col, grp * kG * cols);
    const rowsOf = (grp: number) => elementAt(rows, grp * coutG * cols);
    // [nb, Cout, L] (at image n0 of t) <-> rows [Cout, nb·L]
    const gather = (t: number) => k.copy_strided_32(elementAt(t, n0 * Cout * L), rows, Cout, nb, 1, L, L, Cout * L, 0, 1, cols, L, 0, 1);
    const scatter = (t: number) => k.copy_strided_32(rows, elementAt(t, n0 * Cout * L), Cout, nb, 1, L, cols, L, 0, 1, L, Cout * L, 0, 1);

    if (p.x && (p.y || p.dw)) columns(false, elementAt(p.x, n0 * Cin * HW), col, nb, Cin, H, W, [...geometry, cols]);
    if (p.y) {
      for (let grp = 0; grp < groups; grp++) {
        gemm(false, false, coutG, cols, kG, 1, wOf(grp), kG, colOf(grp), cols, 0, rowsOf(grp), cols,
          p.bias ? elementAt(p.bias, grp * coutG) : 0, p.bias ? BiasMode.perRow : BiasMode.none, p.relu);
      }
      scatter(p.y);
    }
    if (p.dw) {
      gather(p.dy!);
      for (let grp = 0; grp < groups; grp++) gemm(false, true, coutG, kG, cols, 1, rowsOf(grp), cols, colOf(grp), cols, 1, elementAt(p.dw, grp * coutG * kG), kG);
    }
    if (p.adj) {
      gather(p.adj);
      for (let grp = 0; grp < groups; grp++) gemm(true, false, kG, cols, coutG, 1, wOf(grp), kG, rowsOf(grp), cols, 0, colOf(grp), cols);
      columns(true, elementAt(p.dx!, n0 * Cin * HW), col, nb, Cin, H, W, [...geometry, cols]);
    }
  }
}

/** The passes one image (or, for a very large one, a chunk of output rows) at a time, a GEMM per image and group. */
function runPerImage(g: Geometry, p: Passes): void {
  const { N, Cin, H, W, Cout, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw, groups } = g;
  const cinG = Cin / groups, coutG = Cout / groups, kG = cinG * kh * kw, K = Cin * kh * kw;
  const L = Ho * Wo, HW = H * W;
  const direct = kh === 1 && kw === 1 && sh === 1 && sw === 1 && ph === 0 && pw === 0 && Ho === H && Wo === W;
  const lower = !!p.x && (!!p.y || !!p.dw);
  const rows = direct || K * L <= SCRATCH_FLOATS ? Ho : Math.max(1, Math.floor(SCRATCH_FLOATS / (K * Wo)));
  const col = direct ? 0 : scratchBuffer(K * rows * Wo);
  const wOf = (grp: number) => elementAt(p.weight, grp * coutG * kG);

  for (let n = 0; n < N; n++) {
    for (let r0 = 0; r0 < Ho; r0 += rows) {
      const nr = Math.min(rows, Ho - r0), Lc = nr * Wo;
      const geometry = [kh, kw, sh, sw, ph, pw, dh, dw, Wo, r0, nr, Lc] as const;
      // Column matrix of group grp (direct: the image's channels themselves).
      const colOf = (grp: number, base: number) => direct ? elementAt(base, (n * Cin + grp * cinG) * HW) : elementAt(col, grp * kG * Lc);
      const yOffset = (grp: number) => (n * Cout + grp * coutG) * L + r0 * Wo;
      if (lower) {
        if (!direct) columns(false, elementAt(p.x!, n * Cin * HW), col, 1, Cin, H, W, geometry);
        for (let grp = 0; grp < groups; grp++) {
          const c = colOf(grp, p.x!);
          if (p.y) {
            gemm(false, false, coutG, Lc, kG, 1, wOf(grp), kG, c, Lc, 0, elementAt(p.y, yOffset(grp)), L,
              p.bias ? elementAt(p.bias, grp * coutG) : 0, p.bias ? BiasMode.perRow : BiasMode.none, p.relu);
          }
          if (p.dw) gemm(false, true, coutG, kG, Lc, 1, elementAt(p.dy!, yOffset(grp)), L, c, Lc, 1, elementAt(p.dw, grp * coutG * kG), kG);
        }
      }
      if (p.adj) {
        for (let grp = 0; grp < groups; grp++) {
          gemm(true, false, kG, Lc, coutG, 1, wOf(grp), kG, elementAt(p.adj, yOffset(grp)), L, direct ? 1 : 0, colOf(grp, p.dx!), Lc);
        }
        if (!direct) columns(true, elementAt(p.dx!, n * Cin * HW), col, 1, Cin, H, W, geometry);
      }
    }
  }
}

// Convolutions run direct (assembly/conv.ts, conv_direct_f32): the GEMM's register tile reading
// the input in place, 8 channels x 4 positions a tile, with no im2col and nothing packed but the
// weights. Measured as fast as im2col + GEMM or faster (up to 2x on small layers) for every shape
// but the 1x1 unit-stride one, whose input already is the GEMM's column matrix, and those with
// fewer than DIRECT_MIN_CHANNELS output channels per group, which leave most of a tile empty.
// With a unit column stride, conv_direct_lanes_f32 and conv_direct_lanes_wgrad_f32 (output
// positions in the lanes: tiles of 3 channels x 2 rows x 4 columns, skipping taps that read
// only padding; 2 channels x 4 taps x 4 columns for the weight gradient) run the layers whose
// channels and sizes fill their tiles better than the 8-channel ones.
const DIRECT_MIN_CHANNELS = 3;
// conv_direct_f32's last argument: the running thread's GEMM workspace, for the register tile.
const WORKSPACE_ARG = 16;

/** The convolution a direct kernel runs: x [N, C, H, W] -> y [N, Co, Ho, Wo], its input read from planeH x planeW planes. */
interface DirectPlan {
  C: number; H: number; W: number; Co: number; Ho: number; Wo: number; sh: number; sw: number;
  top: number; left: number; cG: number; coG: number; kG: number;
  padded: boolean; // read from a zero-padded copy of the input (else from x itself)
  planeH: number; planeW: number;
  lanes: number; // the lanes kernels' channels per tile (3, or 2 for the weight gradient), or 0: the 8-channel ones
  tapMajor: boolean; // taps in the order (i, j, c) (conv_direct_lanes_f32), else (c, i, j)
}

/** The fraction of a tiling's slots that hold outputs: n outputs in tiles of t. */
const filled = (n: number, t: number) => n / (t * Math.ceil(n / t));

/**
 * The direct kernels' view of a pass of conv2d g: its lowering, its weight gradient, or its adjoint
 * (the input gradient: the stride-1 convolution of the output gradient with the flipped kernels,
 * channels swapped, padded by d·(k − 1) − p); null where they do not apply.
 */
function directPlan(g: Geometry, pass: "lower" | "weight" | "adjoint"): DirectPlan | null {
  const { kh, kw, sh, sw, dh, dw, groups } = g;
  const adjoint = pass === "adjoint";
  if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && g.ph === 0 && g.pw === 0) return null;
  if (adjoint && (sh !== 1 || sw !== 1 || g.ph > dh * (kh - 1) || g.pw > dw * (kw - 1))) return null;
  const [C, H, W, Co, Ho, Wo] = adjoint ? [g.Cout, g.Ho, g.Wo, g.Cin, g.H, g.W] : [g.Cin, g.H, g.W, g.Cout, g.Ho, g.Wo];
  const coG = Co / groups;
  if (coG < DIRECT_MIN_CHANNELS) return null;
  const [top, left] = adjoint ? [dh * (kh - 1) - g.ph, dw * (kw - 1) - g.pw] : [g.ph, g.pw];
  // Output slots filled by the lanes kernels' tiles against the 8-channel ones' (both weight
  // gradients take taps 4 at a time).
  const block = pass === "weight" ? 2 : 3;
  const lanesFill = filled(coG, block) * filled(Wo, 4) * (pass === "weight" ? 1 : filled(Ho, 2));
  const tileFill = filled(coG, 8) * (pass === "weight" ? 1 : filled(Ho * Wo, 4));
  // (conv_direct_lanes_wgrad_f32 reads whole rows' last 4 output gradients: Wo ≥ 4)
  const lanes = (adjoint || sw === 1) && (pass !== "weight" || Wo >= 4) && lanesFill > tileFill ? block : 0;
  // The part of the padded input the kernels read (conv_direct_lanes_f32: whole 4-column vectors).
  const Hp = (Ho - 1) * sh + (kh - 1) * dh + 1;
  const Wp = lanes && pass !== "weight" ? 4 * Math.ceil(Wo / 4) + (kw - 1) * dw : (Wo - 1) * sw + (kw - 1) * dw + 1;
  const padded = top > 0 || left > 0 || Hp > H || Wp > W; // ("same" may pad the bottom or right only)
  return {
    C, H, W, Co, Ho, Wo, sh: adjoint ? 1 : sh, sw: adjoint ? 1 : sw, top, left, cG: C / groups, coG, kG: (C / groups) * kh * kw,
    padded, planeH: padded ? Hp : H, planeW: padded ? Wp : W, lanes, tapMajor: lanes > 0 && pass !== "weight",
  };
}

/**
 * The direct kernels' batch loop. The scratch block holds `fixed` floats (at `head`: packed weights),
 * the taps' input offsets (`off`), `perImage` floats per image of a chunk (at `chunk`) and the
 * chunk's padded input planes, if padded. Fills the offsets, calls prepare(head), then, for every
 * chunk of images n0 .. n0+nb−1, pass(head, off, x, n0, nb, chunk) with x at the chunk's input
 * planes. False if one image does not fit.
 */
function directChunks(g: Geometry, p: DirectPlan, x: number, fixed: number, perImage: number,
  pass: (head: number, off: number, x: number, n0: number, nb: number, chunk: number) => void, prepare: (head: number) => void): boolean {
  const { kh, kw, dh, dw, N } = g;
  const planeFloats = p.planeH * p.planeW;
  const imageFloats = perImage + (p.padded ? p.C * planeFloats : 0);
  const images = Math.min(N, Math.floor((SCRATCH_FLOATS - fixed - p.kG) / imageFloats));
  if (images < 1) return false;
  const head = scratchBuffer(fixed + p.kG + images * imageFloats);
  const off = elementAt(head, fixed), chunk = elementAt(off, p.kG), xp = elementAt(chunk, images * perImage);
  // tap (c, i, j)'s input offset, at c·kh·kw + i·kw + j, or tap-major at (i·kw + j)·cG + c
  const offsets = i32View(off, p.kG);
  for (let c = 0; c < p.cG; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) offsets[p.tapMajor ? (i * kw + j) * p.cG + c : (c * kh + i) * kw + j] = (c * p.planeH + i * dh) * p.planeW + j * dw;
    }
  }
  prepare(head);
  for (let n0 = 0; n0 < N; n0 += images) {
    const nb = Math.min(images, N - n0);
    let src = elementAt(x, n0 * p.C * p.H * p.W);
    if (p.padded) {
      padPlanes(src, xp, nb * p.C, p.H, p.W, p.planeH, p.planeW, p.top, p.left);
      src = xp;
    }
    pass(head, off, src, n0, nb, chunk);
  }
  return true;
}

/**
 * y = conv(x) (+ bias, then ReLU) by the direct kernel, or, for the adjoint, y = the input gradient
 * of conv g given its output gradient x. False if g does not qualify or does not fit.
 */
function direct(g: Geometry, x: number, weight: number, y: number, adjoint: boolean, bias = 0, relu = false): boolean {
  const p = directPlan(g, adjoint ? "adjoint" : "lower");
  if (!p) return false;
  const { groups, kh, kw, dh, dw } = g;
  const { C, Co, Ho, Wo, cG, coG, kG, planeH, planeW, lanes } = p;
  const block = lanes || 8, wpGroup = block * Math.ceil(coG / block) * kG, L = Ho * Wo;
  const [wOut, wIn] = [g.Cout / groups, g.Cin / groups];
  const k = backend().kernels;
  return directChunks(g, p, x, groups * wpGroup, 0, (wp, off, src, n0, nb) => {
    const xImage = C * planeH * planeW;
    for (let grp = 0; grp < groups; grp++) {
      const [xg, wg, yg, bg] = [elementAt(src, grp * cG * planeH * planeW), elementAt(wp, grp * wpGroup), elementAt(y, (n0 * Co + grp * coG) * L), bias ? elementAt(bias, grp * coG) : 0];
      // ranges of images
      if (lanes) {
        parallelFor("conv_direct_lanes_f32", [
          xg, wg, off, cG, kh, kw, dh, dw, yg, bg, +relu, nb, coG, Ho, Wo, p.sh, planeW, p.top, p.left, p.H, p.W, xImage, Co * L,
        ], { extent: nb, count: 11, perUnit: { 0: elementBytes(xImage), 8: elementBytes(Co * L) } }, nb * coG * L * kG);
      } else {
        parallelFor("conv_direct_f32", [
          xg, wg, off, kG, yg, bg, +relu, nb, coG, Ho, Wo, p.sh, p.sw, planeW, xImage, Co * L, callerWorkspace(),
        ], { extent: nb, count: 7, perUnit: { 0: elementBytes(xImage), 4: elementBytes(Co * L) } }, nb * coG * L * kG, WORKSPACE_ARG);
      }
    }
  }, (wp) => {
    for (let grp = 0; grp < groups; grp++) k.conv_direct_pack_f32(elementAt(weight, grp * wOut * wIn * kh * kw), elementAt(wp, grp * wpGroup), wOut, wIn, kh * kw, +adjoint, block);
  });
}

// The weight gradient is a sum over images. Split into ranges of taps, every chunk reads every
// image's input and output gradient (the layer's whole activations, per chunk); split into groups
// of images, each chunk reads only its images' (which stay in cache across its taps) into its own
// partial gradient, and the partials are added to dW in group order afterwards. The groups depend
// only on the images, never on the threads (WGRAD_GROUPS, or the largest divisor of the images
// below it, so that every group has the same images), so the sums are the same at any thread count.
const WGRAD_GROUPS = 8;

/** Groups of equal size for `images` images: the largest divisor of images up to WGRAD_GROUPS. */
function imageGroups(images: number): number {
  for (let groups = Math.min(WGRAD_GROUPS, images); groups > 1; groups--) if (images % groups === 0) return groups;
  return 1;
}

/** dW += the weight gradient of conv g given its input x and output gradient gy, by the direct kernel; false if g does not qualify or fit. */
function directWeightGrad(g: Geometry, x: number, gy: number, dW: number): boolean {
  const p = directPlan(g, "weight");
  if (!p) return false;
  const { groups } = g;
  const { C, Co, Ho, Wo, cG, coG, kG, planeH, planeW, lanes } = p;
  // the 8-channel kernel reads the output gradient packed ([image][group][block][position][8],
  // `packed` floats an image), the lanes kernel as it lies
  const L = Ho * Wo, gGroup = 8 * Math.ceil(coG / 8) * L, packed = lanes ? 0 : groups * gGroup;
  // the partial gradients, one per group of images (whole vectors each, for axpy's vector body)
  const dwFloats = Co * kG, slot = 4 * Math.ceil(dwFloats / 4);
  const k = backend().kernels;
  return directChunks(g, p, x, WGRAD_GROUPS * slot, packed, (partials, off, src, n0, nb, gp) => {
    if (!lanes) {
      runJob({
        kernel: "pack_rows8_f32", args: [elementAt(gy, n0 * Co * L), gp, coG, L, nb, Co * L, packed],
        dims: [{ extent: nb, chunk: 1, count: 4, perUnit: { 0: elementBytes(Co * L), 1: elementBytes(packed) } }, { extent: groups, chunk: 1, perUnit: { 0: elementBytes(coG * L), 1: elementBytes(gGroup) } }],
      }, nb * Co * L);
    }
    const imageGroupCount = imageGroups(nb), images = nb / imageGroupCount, xImage = C * planeH * planeW, gImage = lanes ? Co * L : packed;
    k.fill_f32(partials, imageGroupCount * slot, 0);
    for (let grp = 0; grp < groups; grp++) {
      const work = nb * coG * L * kG;
      // chunks: the groups of images, and ranges of taps (whole 4-tap tiles) if there are fewer groups than chunks wanted
      const taps = chunkUnits(kG, 4, Math.ceil(chunksFor(work, threadsFor(work)) / imageGroupCount));
      const [xg, gg, dWg] = [elementAt(src, grp * cG * planeH * planeW), lanes ? elementAt(gy, (n0 * Co + grp * coG) * L) : elementAt(gp, grp * gGroup), elementAt(partials, grp * coG * kG)];
      runJob({
        kernel: lanes ? "conv_direct_lanes_wgrad_f32" : "conv_direct_wgrad_f32",
        args: lanes ? [xg, gg, off, kG, dWg, kG, images, coG, Ho, Wo, p.sh, planeW, xImage, gImage]
          : [xg, gg, off, kG, dWg, kG, images, coG, Ho, Wo, p.sh, p.sw, planeW, xImage, gImage],
        dims: [
          { extent: imageGroupCount, chunk: 1, perUnit: { 0: elementBytes(images * xImage), 1: elementBytes(images * gImage), 4: elementBytes(slot) } },
          { extent: kG, chunk: taps, count: 3, perUnit: { 2: elementBytes(1), 4: elementBytes(1) } },
        ],
      }, work);
    }
    for (let i = 0; i < imageGroupCount; i++) k.axpy_f32(1, elementAt(partials, i * slot), dW, dwFloats);
  }, () => {});
}

// Winograd F(2x2, 3x3) (assembly/conv.ts) does a stride-1, undilated, ungrouped 3x3 convolution
// with 16 multiplies per 2x2 output tile and channel pair instead of 36, in 16 GEMMs
// [Cout, Cin] x [Cin, tiles]. Its transforms cost about as much as the im2col they replace, and
// the GEMMs are short (K = Cin), so it pays once there are enough channels: measured about 2x
// faster from 16 -> 16 up (and 8 -> 16), slower for 8 -> 8 or fewer than 8 on either side.
const WINOGRAD_MIN_CHANNELS = 8;
const WINOGRAD_MIN_CHANNEL_PAIRS = 128;
// Images per chunk: their transformed tiles (16·(Cin + Cout) floats per tile) stay within
// WINOGRAD_CHUNK_FLOATS (1 MiB, in L2 for the GEMMs); larger chunks measured slower.
const WINOGRAD_CHUNK_FLOATS = 1 << 18;

/**
 * Runs conv2d g by Winograd when it qualifies and fits the scratch block: y = conv(x) (+ bias, then
 * ReLU), or, for the adjoint, y = its input gradient given the output gradient x (the convolution
 * of x with the flipped kernels, channels swapped, padded by 2 − p). False if it does not qualify.
 */
function winograd(g: Geometry, x: number, weight: number, y: number, adjoint: boolean, bias = 0, relu = false): boolean {
  const { N, kh, kw, sh, sw, dh, dw, groups } = g;
  if (kh !== 3 || kw !== 3 || sh !== 1 || sw !== 1 || dh !== 1 || dw !== 1 || groups !== 1 || g.ph > 2 || g.pw > 2) return false;
  // the convolution to run: x [N, C, H, W] -> y [N, Co, Ho, Wo], padded `top` rows and `left` columns
  const [C, H, W, Co, Ho, Wo] = adjoint ? [g.Cout, g.Ho, g.Wo, g.Cin, g.H, g.W] : [g.Cin, g.H, g.W, g.Cout, g.Ho, g.Wo];
  const [top, left] = adjoint ? [2 - g.ph, 2 - g.pw] : [g.ph, g.pw];
  if (Math.min(C, Co) < WINOGRAD_MIN_CHANNELS || C * Co < WINOGRAD_MIN_CHANNEL_PAIRS) return false;
  const tilesH = Math.ceil(Ho / 2), tilesW = 4 * Math.ceil(Wo / 8); // whole groups of four tiles
  const Hp = 2 * tilesH + 2, Wp = 2 * tilesW + 2;
  const tiles = tilesH * tilesW, uFloats = 16 * C * Co;
  const imageFloats = C * Hp * Wp + 16 * (C + Co) * (tiles + 4);
  const images = Math.min(N, Math.max(1, Math.floor(WINOGRAD_CHUNK_FLOATS / (16 * (C + Co) * tiles))), Math.floor((SCRATCH_FLOATS - uFloats) / imageFloats));
  if (images < 1) return false;

  const k = backend().kernels;
  const u = scratchBuffer(uFloats + images * imageFloats);
  k.winograd_weights_f32(weight, u, g.Cout, g.Cin, +adjoint);
  for (let n0 = 0; n0 < N; n0 += images) {
    const nb = Math.min(images, N - n0), T = nb * tiles;
    const ld = T + 4; // rows of V and M a little off a power of two apart: the GEMMs' packing reads them in columns
    const xp = elementAt(u, uFloats), v = elementAt(xp, nb * C * Hp * Wp), m = elementAt(v, 16 * C * ld);
    padPlanes(elementAt(x, n0 * C * H * W), xp, nb * C, H, W, Hp, Wp, top, left);
    parallelFor("winograd_input_f32", [xp, v, nb, C, Hp, Wp, tilesH, tilesW, ld, C], { extent: C, count: 3, perUnit: { 0: elementBytes(Hp * Wp), 1: elementBytes(ld) } }, 16 * C * ld);
    gemmBatched(16, [Co * C, C * ld, Co * ld], false, false, Co, T, C, 1, u, C, v, ld, 0, m, ld);
    parallelFor("winograd_output_f32", [m, elementAt(y, n0 * Co * Ho * Wo), bias, +relu, nb, Co, Ho, Wo, tilesH, tilesW, ld, Co],
      { extent: Co, count: 5, perUnit: { 0: elementBytes(ld), 1: elementBytes(Ho * Wo), ...(bias ? { 2: elementBytes(1) } : {}) } }, 16 * Co * ld);
  }
  return true;
}

// The three passes, each by the first method that applies.

/** y = conv g of x (+ bias, then ReLU), overwritten. */
export function lower(g: Geometry, x: number, weight: number, y: number, bias = 0, relu = false): void {
  if (!winograd(g, x, weight, y, false, bias, relu) && !direct(g, x, weight, y, false, bias, relu)) runPasses(g, { weight, x, y, bias, relu });
}

/** dx = the input gradient of conv g given its output gradient dy, overwritten. */
export function adjoint(g: Geometry, dy: number, weight: number, dx: number): void {
  if (winograd(g, dy, weight, dx, true) || direct(g, dy, weight, dx, true)) return;
  backend().kernels.fill_f32(dx, g.N * g.Cin * g.H * g.W, 0);
  runPasses(g, { weight, adj: dy, dx });
}

/** dW += the weight gradient of conv g given its input x and output gradient dy. */
export function weightGrad(g: Geometry, x: number, dy: number, weight: number, dW: number): void {
  if (!directWeightGrad(g, x, dy, dW)) runPasses(g, { weight, x, dy, dw: dW });
}

import { ChaCha8Rng } from './chacha8.js';

/**
 * turbovec's deterministic rotation (its `rotation.rs`, format v5 onwards), reproduced bit for bit.
 *
 * Let B be the largest power of two dividing `dim` (at least 8, since `dim` is a multiple of 8).
 * One round is: a global permutation `out[i] = in[perm[i]]`, a ±1 sign flip of every coordinate,
 * then a normalized Walsh-Hadamard transform (butterfly stages len = 1, 2, 4, ..., B/2, each pair
 * `(x[j], x[j+len])` becoming `(a + b, a - b)`, then `× 1/√B`) on each contiguous B-block. There are
 * two rounds. Every operation is one f32 add, subtract or multiply in a fixed order (no FMA), so
 * `Float32Array` stores and `Math.fround` reproduce it exactly.
 *
 * The signs and permutations come from one ChaCha8 stream seeded with turbovec's frozen seed; per
 * round: `dim` sign draws (`next_u32() & 1 == 1` means -1), then a Fisher-Yates shuffle of
 * `0..dim` (`for i in (1..dim).rev(): j = next_u64() % (i + 1); swap(i, j)`).
 *
 * Encoding rotates the row scaled by `1/‖v‖` with the scale applied in the first gather as
 * `(v[perm[i]] * inv) * sign[i]` (turbovec's `apply_scaled_into`); queries are rotated unscaled,
 * which is the same transform with `inv = 1`.
 */

/** turbovec's `ROTATION_SEED`: the `rand_core` 0.6 `seed_from_u64(42)` expansion, frozen. */
export const TURBOVEC_ROTATION_SEED: readonly number[] = Object.freeze([
  164, 143, 161, 123, 88, 50, 61, 10, 234, 184, 161, 204, 105, 1, 20, 184, 43, 140, 200, 117, 24, 180, 247, 84, 141, 68,
  110, 161, 228, 223, 32, 242,
]);

/** Number of rounds (turbovec's `K`). */
export const ROTATION_ROUNDS = 2;

export class TurboQuantRotation {
  readonly dim: number;
  /** Hadamard block size: the largest power of two dividing `dim`. */
  readonly block: number;
  private readonly invSqrtBlock: number;
  private readonly perms: readonly [Int32Array, Int32Array];
  private readonly signs: readonly [Float32Array, Float32Array];

  constructor(dim: number) {
    if (!Number.isSafeInteger(dim) || dim <= 0 || dim % 8 !== 0) {
      throw new RangeError(`rotation dim must be a positive multiple of 8, got ${dim}`);
    }
    this.dim = dim;
    this.block = dim & -dim;
    this.invSqrtBlock = Math.fround(1 / Math.fround(Math.sqrt(this.block)));
    const rng = new ChaCha8Rng(Uint8Array.from(TURBOVEC_ROTATION_SEED));
    const signs: Float32Array[] = [];
    const perms: Int32Array[] = [];
    for (let round = 0; round < ROTATION_ROUNDS; round++) {
      const sign = new Float32Array(dim);
      for (let i = 0; i < dim; i++) sign[i] = (rng.nextU32() & 1) === 1 ? -1 : 1;
      signs.push(sign);
      perms.push(fisherYates(dim, rng));
    }
    this.signs = [signs[0]!, signs[1]!];
    this.perms = [perms[0]!, perms[1]!];
  }

  /**
   * Rotates `src[srcOffset .. srcOffset + dim)` scaled by `inv` into `dst[dstOffset ..)`. `scratch`
   * must hold `dim` floats; `src` is left untouched.
   */
  rotateScaledInto(
    src: Float32Array,
    srcOffset: number,
    inv: number,
    dst: Float32Array,
    dstOffset: number,
    scratch: Float32Array,
  ): void {
    // Round 0 gathers `(src[perm[i]] * inv) * sign[i]`; round 1 gathers `x[perm[i]] * sign[i]`,
    // which equals turbovec's pre-scattered sign pass because a ±1 multiply is exact (and so is
    // `* 1` in the shared gather).
    this.gatherHadamard(src, srcOffset, inv, 0, scratch, 0);
    this.gatherHadamard(scratch, 0, 1, 1, dst, dstOffset);
  }

  /**
   * The inverse (transpose) rotation of `src[srcOffset ..)` into `dst[dstOffset ..)`, used to decode
   * reconstructions back to the original space. Not part of any golden; exact up to f32 rounding.
   */
  inverseInto(src: Float32Array, srcOffset: number, dst: Float32Array, dstOffset: number, scratch: Float32Array): void {
    const dim = this.dim;
    const tmp = new Float32Array(dim);
    tmp.set(src.subarray(srcOffset, srcOffset + dim));
    for (let round = ROTATION_ROUNDS - 1; round >= 0; round--) {
      for (let start = 0; start < dim; start += this.block) walshHadamardBlock(tmp, start, this.block, this.invSqrtBlock);
      const perm = this.perms[round as 0 | 1];
      const sign = this.signs[round as 0 | 1];
      for (let i = 0; i < dim; i++) scratch[perm[i]!] = tmp[i]! * sign[i]!;
      tmp.set(scratch);
    }
    dst.set(tmp, dstOffset);
  }

  /**
   * One round: `dst[i] = (src[perm[i]] * inv) * sign[i]`, then the normalized Walsh-Hadamard
   * transform of every B-block of `dst`. The gather feeds the first butterfly pass directly.
   */
  private gatherHadamard(src: Float32Array, srcOffset: number, inv: number, round: 0 | 1, dst: Float32Array, dstOffset: number): void {
    const perm = this.perms[round];
    const sign = this.signs[round];
    const fround = Math.fround;
    const block = this.block;
    const scale = this.invSqrtBlock;
    const end = dstOffset + this.dim;
    const last = block === 8;
    for (let j = dstOffset, i = 0; j < end; j += 8, i += 8) {
      const x0 = fround(src[srcOffset + perm[i]!]! * inv) * sign[i]!;
      const x1 = fround(src[srcOffset + perm[i + 1]!]! * inv) * sign[i + 1]!;
      const x2 = fround(src[srcOffset + perm[i + 2]!]! * inv) * sign[i + 2]!;
      const x3 = fround(src[srcOffset + perm[i + 3]!]! * inv) * sign[i + 3]!;
      const x4 = fround(src[srcOffset + perm[i + 4]!]! * inv) * sign[i + 4]!;
      const x5 = fround(src[srcOffset + perm[i + 5]!]! * inv) * sign[i + 5]!;
      const x6 = fround(src[srcOffset + perm[i + 6]!]! * inv) * sign[i + 6]!;
      const x7 = fround(src[srcOffset + perm[i + 7]!]! * inv) * sign[i + 7]!;
      butterfly8(x0, x1, x2, x3, x4, x5, x6, x7, dst, j, last ? scale : 1);
    }
    if (!last) {
      for (let start = dstOffset; start < end; start += block) hadamardAbove8(dst, start, block, scale);
    }
  }
}

/** One normalized Walsh-Hadamard block of `x[start .. start + block)`, in place. */
export function walshHadamardBlock(x: Float32Array, start: number, block: number, scale: number): void {
  const last = block === 8;
  for (let j = start; j < start + block; j += 8) {
    butterfly8(x[j]!, x[j + 1]!, x[j + 2]!, x[j + 3]!, x[j + 4]!, x[j + 5]!, x[j + 6]!, x[j + 7]!, x, j, last ? scale : 1);
  }
  if (!last) hadamardAbove8(x, start, block, scale);
}

/**
 * Stages len = 1, 2, 4 of eight values, written to `out[j .. j+8)` times `scale` (1 unless these are
 * the block's last stages; `* 1` is exact). Each value is the same expression tree, with the same
 * f32 roundings, as the sequential radix-2 stages.
 */
function butterfly8(
  x0: number,
  x1: number,
  x2: number,
  x3: number,
  x4: number,
  x5: number,
  x6: number,
  x7: number,
  out: Float32Array,
  j: number,
  scale: number,
): void {
  const fround = Math.fround;
  const s01 = fround(x0 + x1), d01 = fround(x0 - x1), s23 = fround(x2 + x3), d23 = fround(x2 - x3);
  const s45 = fround(x4 + x5), d45 = fround(x4 - x5), s67 = fround(x6 + x7), d67 = fround(x6 - x7);
  const y0 = fround(s01 + s23), y2 = fround(s01 - s23), y1 = fround(d01 + d23), y3 = fround(d01 - d23);
  const y4 = fround(s45 + s67), y6 = fround(s45 - s67), y5 = fround(d45 + d67), y7 = fround(d45 - d67);
  out[j] = fround(y0 + y4) * scale;
  out[j + 1] = fround(y1 + y5) * scale;
  out[j + 2] = fround(y2 + y6) * scale;
  out[j + 3] = fround(y3 + y7) * scale;
  out[j + 4] = fround(y0 - y4) * scale;
  out[j + 5] = fround(y1 - y5) * scale;
  out[j + 6] = fround(y2 - y6) * scale;
  out[j + 7] = fround(y3 - y7) * scale;
}

/**
 * Stages len = 8 .. block/2 of one block: three stages per memory pass while three remain, then
 * two, then one; the `× scale` rides the last stage.
 */
function hadamardAbove8(x: Float32Array, start: number, block: number, scale: number): void {
  const fround = Math.fround;
  const end = start + block;
  let len = 8;
  while (len * 8 <= block) {
    const s = len * 8 === block ? scale : 1;
    for (let i = start; i < end; i += 8 * len) {
      for (let j = i; j < i + len; j++) {
        const a = x[j]!, b = x[j + len]!, c = x[j + 2 * len]!, d = x[j + 3 * len]!;
        const e = x[j + 4 * len]!, f = x[j + 5 * len]!, g = x[j + 6 * len]!, h = x[j + 7 * len]!;
        const apb = fround(a + b), amb = fround(a - b), cpd = fround(c + d), cmd = fround(c - d);
        const epf = fround(e + f), emf = fround(e - f), gph = fround(g + h), gmh = fround(g - h);
        const s0 = fround(apb + cpd), s1 = fround(amb + cmd), s2 = fround(apb - cpd), s3 = fround(amb - cmd);
        const s4 = fround(epf + gph), s5 = fround(emf + gmh), s6 = fround(epf - gph), s7 = fround(emf - gmh);
        x[j] = fround(s0 + s4) * s;
        x[j + len] = fround(s1 + s5) * s;
        x[j + 2 * len] = fround(s2 + s6) * s;
        x[j + 3 * len] = fround(s3 + s7) * s;
        x[j + 4 * len] = fround(s0 - s4) * s;
        x[j + 5 * len] = fround(s1 - s5) * s;
        x[j + 6 * len] = fround(s2 - s6) * s;
        x[j + 7 * len] = fround(s3 - s7) * s;
      }
    }
    len *= 8;
  }
  if (len * 4 <= block) {
    const s = len * 4 === block ? scale : 1;
    for (let i = start; i < end; i += 4 * len) {
      for (let j = i; j < i + len; j++) {
        const a = x[j]!, b = x[j + len]!, c = x[j + 2 * len]!, d = x[j + 3 * len]!;
        const apb = fround(a + b), amb = fround(a - b), cpd = fround(c + d), cmd = fround(c - d);
        x[j] = fround(apb + cpd) * s;
        x[j + len] = fround(amb + cmd) * s;
        x[j + 2 * len] = fround(apb - cpd) * s;
        x[j + 3 * len] = fround(amb - cmd) * s;
      }
    }
    len *= 4;
  }
  if (len < block) {
    for (let i = start; i < end; i += 2 * len) {
      for (let j = i; j < i + len; j++) {
        const a = x[j]!, b = x[j + len]!;
        x[j] = fround(a + b) * scale;
        x[j + len] = fround(a - b) * scale;
      }
    }
  }
}

function fisherYates(dim: number, rng: ChaCha8Rng): Int32Array {
  const perm = new Int32Array(dim);
  for (let i = 0; i < dim; i++) perm[i] = i;
  for (let i = dim - 1; i >= 1; i--) {
    const j = rng.nextU64Mod(i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm;
}

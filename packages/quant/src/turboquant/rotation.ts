import type { Arena, ArenaBlock } from '@quiver/core-math';
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
 * which is the same transform with `inv = 1`. Round 1's gather `x[perm[i]] * sign[i]` equals
 * turbovec's pre-scattered sign pass because a ±1 multiply is exact.
 *
 * This class holds the tables; the forward rotation runs in core-math's transform kernels
 * (`hadamardRotateRows`, `turboQuantEncodeRows`), whose WebAssembly and TypeScript versions are
 * bit-identical.
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
  readonly rounds = ROTATION_ROUNDS;
  /**
   * The permutations and signs in the transform kernels' layout (see `TransformKernels`): per round,
   * `dim` int32 permutation entries then `dim` float32 signs.
   */
  readonly tables: Uint8Array;
  private readonly perms: Int32Array[] = [];
  private readonly signs: Float32Array[] = [];
  private readonly placed = new WeakMap<Arena, ArenaBlock>();

  constructor(dim: number) {
    if (!Number.isSafeInteger(dim) || dim <= 0 || dim % 8 !== 0) {
      throw new RangeError(`rotation dim must be a positive multiple of 8, got ${dim}`);
    }
    this.dim = dim;
    this.block = dim & -dim;
    this.tables = new Uint8Array(ROTATION_ROUNDS * 8 * dim);
    const rng = new ChaCha8Rng(Uint8Array.from(TURBOVEC_ROTATION_SEED));
    for (let round = 0; round < ROTATION_ROUNDS; round++) {
      const perm = new Int32Array(this.tables.buffer, round * 8 * dim, dim);
      const sign = new Float32Array(this.tables.buffer, round * 8 * dim + 4 * dim, dim);
      for (let i = 0; i < dim; i++) sign[i] = (rng.nextU32() & 1) === 1 ? -1 : 1;
      fisherYates(perm, rng);
      this.perms.push(perm);
      this.signs.push(sign);
    }
  }

  /** Pointer to a copy of `tables` in `arena`, made on first use and kept for the arena's lifetime. */
  tablesIn(arena: Arena): number {
    let block = this.placed.get(arena);
    if (block === undefined) {
      block = arena.alloc(this.tables.length);
      arena.u8(block.ptr, this.tables.length).set(this.tables);
      this.placed.set(arena, block);
    }
    return block.ptr;
  }

  /**
   * The inverse (transpose) rotation of `src[srcOffset ..)` into `dst[dstOffset ..)`, used to decode
   * reconstructions back to the original space. Not part of any golden; exact up to f32 rounding.
   * The normalized Walsh-Hadamard transform is its own inverse.
   */
  inverseInto(src: Float32Array, srcOffset: number, dst: Float32Array, dstOffset: number): void {
    const dim = this.dim;
    const current = src.slice(srcOffset, srcOffset + dim);
    const next = new Float32Array(dim);
    const scale = Math.fround(1 / Math.sqrt(this.block));
    for (let round = ROTATION_ROUNDS - 1; round >= 0; round--) {
      for (let len = 1; len < this.block; len *= 2) {
        for (let j = 0; j < dim; j++) {
          if (j & len) continue;
          const a = current[j]!;
          const b = current[j + len]!;
          current[j] = a + b;
          current[j + len] = a - b;
        }
      }
      const perm = this.perms[round]!;
      const sign = this.signs[round]!;
      for (let i = 0; i < dim; i++) next[perm[i]!] = current[i]! * scale * sign[i]!;
      current.set(next);
    }
    dst.set(current, dstOffset);
  }
}

/** Fills `perm` with a Fisher-Yates shuffle of 0..dim drawn as rand 0.8 does. */
function fisherYates(perm: Int32Array, rng: ChaCha8Rng): void {
  const dim = perm.length;
  for (let i = 0; i < dim; i++) perm[i] = i;
  for (let i = dim - 1; i >= 1; i--) {
    const j = rng.nextU64Mod(i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
}

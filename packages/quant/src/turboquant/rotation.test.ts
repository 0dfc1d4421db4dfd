import { describe, expect, it } from 'vitest';
import { Arena, createKernels, wasmAvailable, type Kernels } from '@quiver/core-math';
import { ChaCha8Rng } from './chacha8.js';
import { TURBOVEC_ROTATION_SEED, TurboQuantRotation } from './rotation.js';
import { TurboQuantCodec } from './turboquant-codec.js';

const BACKENDS: Kernels[] = [createKernels(new Arena(), 'js'), ...(wasmAvailable() ? [createKernels(new Arena(), 'wasm')] : [])];

/** `Rotation::new(dim).apply(row)`: the query-side rotation, no scaling. */
function rotateBits(dim: number, input: Float32Array, kernels: Kernels): number[] {
  const out = new TurboQuantCodec({ dim, bitWidth: 2, kernels }).rotate(input);
  return Array.from(new Uint32Array(out.buffer));
}

// Goldens from turbovec 1.0 `tests/rotation_determinism.rs` and `src/rotation.rs` (GOLDEN_DIM128).
const GOLDEN_DIM8 = [1071644673, 3224371200, 1048575995, 1061158910, 1074790400, 1083703296, 3214934014, 1067450369];
const GOLDEN_DIM24 = [
  1081081856, 1088421887, 3204448256, 1076887552, 3221225472, 3224371200, 1061158914, 1084227583, 1052770317, 1063256064,
  1072693248, 1052770303, 3237216256, 3225944064, 1063256063, 3206545409, 3229089792, 3221749760, 1085014015, 1040187401,
  3225944064, 3222798336, 1040187401, 1072693248,
];
const GOLDEN_DIM128 = [186507913, 1033895935, 3175088127, 1027604479, 3162505217];

describe.each(BACKENDS.map((kernels) => [kernels.backend, kernels] as const))('TurboQuantRotation (turbovec golden bytes, %s kernels)', (_, kernels) => {
  it('reproduces the dim=8 golden (one Hadamard block)', () => {
    const input = Float32Array.from({ length: 8 }, (_, i) => i - 3.5);
    expect(rotateBits(8, input, kernels)).toEqual(GOLDEN_DIM8);
  });

  it('reproduces the dim=24 golden (three blocks, global permutation)', () => {
    const input = Float32Array.from({ length: 24 }, (_, i) => ((i * 7) % 11) - 5);
    expect(rotateBits(24, input, kernels)).toEqual(GOLDEN_DIM24);
  });

  it('reproduces the dim=128 golden (fold and first four lanes of e_0)', () => {
    const input = new Float32Array(128);
    input[0] = 1;
    const bits = rotateBits(128, input, kernels);
    let fold = 0;
    for (const b of bits) fold = (((fold << 1) | (fold >>> 31)) ^ b) >>> 0;
    expect([fold, ...bits.slice(0, 4)]).toEqual(GOLDEN_DIM128);
  });

  it('preserves the norm and inverts', () => {
    for (const dim of [8, 200, 768, 1000, 1536, 16384]) {
      const rotation = new TurboQuantRotation(dim);
      const v = Float32Array.from({ length: dim }, (_, i) => Math.sin(i * 1.7 + dim));
      const rotated = new TurboQuantCodec({ dim, bitWidth: 4, kernels }).rotate(v);
      const norm = (a: Float32Array) => Math.sqrt(a.reduce((s, x) => s + x * x, 0));
      expect(Math.abs(norm(rotated) - norm(v)) / norm(v)).toBeLessThan(1e-5);
      const back = new Float32Array(dim);
      rotation.inverseInto(rotated, 0, back, 0);
      for (let i = 0; i < dim; i++) expect(back[i]).toBeCloseTo(v[i]!, 4);
    }
  });
});

describe('ChaCha8 stream', () => {
  it('draws u64 values across the buffer boundary as rand_core does', () => {
    // 63 u32 draws leave one buffered word: the next u64 takes it as its low half and the first
    // word of the next refill as its high half.
    const a = new ChaCha8Rng(Uint8Array.from(TURBOVEC_ROTATION_SEED));
    const words: number[] = [];
    for (let i = 0; i < 66; i++) words.push(a.nextU32());
    const b = new ChaCha8Rng(Uint8Array.from(TURBOVEC_ROTATION_SEED));
    for (let i = 0; i < 63; i++) b.nextU32();
    const m = 1_000_003;
    const expected = Number((BigInt(words[64]!) * 2n ** 32n + BigInt(words[63]!)) % BigInt(m));
    expect(b.nextU64Mod(m)).toBe(expected);
    expect(b.nextU32()).toBe(words[65]);
  });
});

import { describe, expect, it } from 'vitest';
import { fnv1a64, fnv1a64Reference, turbovecCellSeed, turbovecFingerprint, turbovecLcgVectors, TURBOVEC_ENCODE_GOLDEN } from './fingerprint.js';
import { encodeTurbovecV7 } from './codec.js';
import { makeParts, rng } from '../../test/turbovec/helpers.js';

describe('turbovec fingerprint helpers', () => {
  it('computes FNV-1a 64 exactly', () => {
    expect(fnv1a64(new Uint8Array(0))).toBe(0xcbf29ce484222325n);
    expect(fnv1a64(new TextEncoder().encode('a'))).toBe(0xaf63dc4c8601ec8cn);
    expect(fnv1a64(new TextEncoder().encode('foobar'))).toBe(0x85944171f73967e8n);
    const next = rng(5);
    const data = Uint8Array.from({ length: 5000 }, () => next() & 0xff);
    expect(fnv1a64(data)).toBe(fnv1a64Reference(data));
  });

  it('reproduces the fixture inputs (LCG from seed | 1, per-cell seed)', () => {
    expect(turbovecCellSeed(768, 4)).toBe(0x7b00000n ^ (768n << 8n) ^ 4n);
    const v = turbovecLcgVectors(2, 3, 42n);
    let state = 43n;
    for (let i = 0; i < 6; i++) {
      state = (state * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
      expect(v[i]).toBe(Math.fround(Number(state >> 32n) / 2147483648 - 1));
    }
    expect(TURBOVEC_ENCODE_GOLDEN.map(([dim, bits]) => `${dim}/${bits}`)).toEqual(['200/2', '600/3', '768/4', '1000/4', '1024/3', '1536/2', '1536/4', '3072/4']);
  });

  it('hashes the revision-2 snapshot (what 1.0 writes) or the revision-1 container of the goldens', () => {
    const parts = makeParts({ dim: 16, bitWidth: 4, count: 40, calibrated: true });
    expect(turbovecFingerprint(parts, 2).file).toBe(fnv1a64(encodeTurbovecV7(parts)));
    expect(turbovecFingerprint(parts, 1).file).not.toBe(turbovecFingerprint(parts, 2).file);
    expect(turbovecFingerprint(parts).codes).toBe(fnv1a64(parts.packedCodes));
  });
});

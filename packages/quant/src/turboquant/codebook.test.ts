import { describe, expect, it } from 'vitest';
import { TURBOVEC_ENCODE_GOLDEN, fnv1a64F32 } from '@quiver/io-formats';
import { betaRegularized, gamma, lnGamma } from './beta-distribution.js';
import { lloydMaxCodebook } from './codebook.js';

describe('statrs-compatible special functions', () => {
  it('match known values', () => {
    expect(lnGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 14);
    expect(gamma(5)).toBeCloseTo(24, 12);
    expect(betaRegularized(2.5, 0.5, 0.5)).toBeCloseTo(0.07558681842161243795, 15);
    expect(betaRegularized(1, 2.5, 0.5)).toBeCloseTo(0.8232233047033631189, 14);
    expect(betaRegularized(300, 300, 0.5)).toBeCloseTo(0.5, 12);
  });
});

describe('Lloyd-Max codebook (turbovec golden hashes)', () => {
  // turbovec `codebook_determinism.rs` and the boundaries/centroids columns of the encode
  // fingerprint pin the same values; every cell of the 1.0 fingerprint is checked here.
  for (const [dim, bits, golden] of TURBOVEC_ENCODE_GOLDEN) {
    it(`dim=${dim} bits=${bits}`, () => {
      const { centroids, boundaries } = lloydMaxCodebook(bits, dim);
      expect(fnv1a64F32(centroids).toString(16)).toBe(golden.centroids.toString(16));
      expect(fnv1a64F32(boundaries).toString(16)).toBe(golden.boundaries.toString(16));
    });
  }

  it('gives ascending f32 midpoint boundaries for our 1- and 8-bit extension', () => {
    for (const bits of [1, 8]) {
      const { centroids, boundaries } = lloydMaxCodebook(bits, 128);
      expect(centroids.length).toBe(2 ** bits);
      for (let i = 0; i < boundaries.length; i++) {
        expect(boundaries[i]).toBe(Math.fround(centroids[i]! + centroids[i + 1]!) * 0.5);
        expect(centroids[i]!).toBeLessThan(centroids[i + 1]!);
      }
    }
  });
});

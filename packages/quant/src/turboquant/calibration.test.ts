import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@quiver/core-math';
import { selectRank } from './calibration.js';

describe('selectRank (the calibration fit’s order statistics)', () => {
  it('finds the value sorting puts at rank k, and partitions around it, with ties and signed zeros', () => {
    const random = new SeededRandom(3);
    for (const n of [1, 2, 3, 7, 100, 1000]) {
      for (const levels of [1, 3, 50, 0]) {
        // Few distinct values (many ties, ±0 among them), or continuous ones.
        const values = Float32Array.from({ length: n }, () => {
          const g = random.nextGaussian();
          return levels === 0 ? g : (Math.round(g * levels) / levels) * (random.nextFloat() < 0.5 ? 1 : -1);
        });
        const sorted = values.slice().sort();
        for (const k of new Set([0, n >> 2, n >> 1, n - 1])) {
          const a = values.slice();
          selectRank(a, k, 0, n - 1);
          expect(a[k] === sorted[k], `n=${n} levels=${levels} k=${k}`).toBe(true); // +0 and -0 compare equal
          for (let i = 0; i < k; i++) expect(a[i]! <= a[k]!).toBe(true);
          for (let i = k + 1; i < n; i++) expect(a[i]! >= a[k]!).toBe(true);
          expect(a.slice().sort()).toEqual(sorted); // a permutation of the input
        }
      }
    }
  });
});

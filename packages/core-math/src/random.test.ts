import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { SeededRandom } from './random.js';

describe('SeededRandom', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new SeededRandom(123);
    const b = new SeededRandom(123);
    const c = new SeededRandom(124);
    const seqA = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(seqA);
    expect(Array.from({ length: 8 }, () => c.nextUint32())).not.toEqual(seqA);
  });

  it('pins the documented algorithm (xoshiro128** seeded by SplitMix32)', () => {
    // Reference values from an independent Python implementation of the documented algorithm;
    // changing them would change every seeded build and test in the project.
    const rng = new SeededRandom(0);
    expect(Array.from({ length: 4 }, () => rng.nextUint32())).toEqual([3809008728, 1133695204, 53579671, 2891528803]);
  });

  it('draws uniform floats, unbiased integers and standard normals', () => {
    const rng = new SeededRandom(5);
    const n = 20000;
    let sum = 0;
    let sumSq = 0;
    const buckets = new Array<number>(7).fill(0);
    for (let i = 0; i < n; i++) {
      const u = rng.nextFloat();
      expect(u >= 0 && u < 1).toBe(true);
      buckets[rng.nextInt(7)]!++;
      const g = rng.nextGaussian();
      sum += g;
      sumSq += g * g;
    }
    for (const count of buckets) expect(Math.abs(count - n / 7)).toBeLessThan(0.1 * (n / 7));
    expect(Math.abs(sum / n)).toBeLessThan(0.05);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.05);
  });

  it('shuffles into a permutation and validates arguments', () => {
    const rng = new SeededRandom(1);
    const values = rng.shuffle(Array.from({ length: 50 }, (_, i) => i));
    expect([...values].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(() => rng.nextInt(0)).toThrow(InvalidArgumentError);
    expect(() => new SeededRandom(0.5)).toThrow(InvalidArgumentError);
  });
});

import { describe, expect, it } from 'vitest';
import { SeededRandom } from './random.js';
import { TopK, selectTopK } from './top-k.js';
import { InvalidArgumentError } from './errors.js';

describe('TopK', () => {
  it('matches a full sort, ties going to the lower slot', () => {
    const rng = new SeededRandom(7);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + rng.nextInt(500);
      const k = 1 + rng.nextInt(20);
      // Few distinct values so ties are common.
      const scores = Float32Array.from({ length: n }, () => rng.nextInt(10));
      const outScores = new Float32Array(k);
      const outSlots = new Int32Array(k);
      const count = selectTopK(scores, n, k, outScores, outSlots);
      const expected = [...scores.keys()].sort((a, b) => scores[b]! - scores[a]! || a - b).slice(0, k);
      expect(count).toBe(Math.min(n, k));
      expect([...outSlots.subarray(0, count)]).toEqual(expected);
    }
  });

  it('accepts pushes in any slot order', () => {
    const heap = new TopK(2);
    heap.push(1, 9);
    heap.push(1, 3);
    heap.push(1, 5);
    const s = new Float32Array(2);
    const i = new Int32Array(2);
    heap.drainInto(s, i);
    expect([...i]).toEqual([3, 5]);
  });

  it('rejects k <= 0', () => {
    expect(() => new TopK(0)).toThrow(InvalidArgumentError);
    expect(() => new TopK(1.5)).toThrow(InvalidArgumentError);
  });
});

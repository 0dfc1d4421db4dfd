import { SeededRandom, SlotList, type Metric, type SearchResult } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { loadFlatIndex } from './flat-codec.js';
import { FlatIndex } from './flat-index.js';

// Large enough (> 4 row blocks of the bounded scan) that the int8 bounds really prune.
const dim = 32;
const n = 20000;

function expectSameResults(a: SearchResult, b: SearchResult): void {
  expect(a.counts).toEqual(b.counts);
  expect(a.slots).toEqual(b.slots);
  expect(a.scores).toEqual(b.scores);
}

describe('FlatIndex prefilter int8', () => {
  const rng = new SeededRandom(99);
  const data = rng.fillGaussian(new Float32Array(n * dim)) as Float32Array;
  const queries = rng.fillGaussian(new Float32Array(12 * dim)) as Float32Array;

  for (const metric of ['cosine', 'dot', 'l2'] as Metric[]) {
    it(`${metric}: identical results to the plain scan through removals, swapRemove, compact, filters and reload`, () => {
      const plain = new FlatIndex({ dim, metric });
      const pruned = new FlatIndex({ dim, metric, prefilter: 'int8' });
      expect(pruned.bytesPerVector).toBe(dim * 4 + dim + 16);
      for (const index of [plain, pruned]) {
        index.add(data.subarray(0, (n / 2) * dim));
        index.add(data.subarray((n / 2) * dim));
      }
      const check = () => {
        expectSameResults(pruned.search(queries, 10), plain.search(queries, 10));
        expectSameResults(pruned.search(queries.subarray(0, dim), 3), plain.search(queries.subarray(0, dim), 3));
      };
      check();
      for (let slot = 0; slot < n; slot += 7) {
        plain.remove(slot);
        pruned.remove(slot);
      }
      check();
      for (const slot of [1, 500, 15002]) expect(pruned.swapRemove(slot)).toBe(plain.swapRemove(slot));
      check();
      expect(pruned.compact()).toEqual(plain.compact());
      check();
      const filter = new SlotList(Array.from({ length: 9000 }, (_, i) => 2 * i));
      expectSameResults(pruned.search(queries, 5, { filter }), plain.search(queries, 5, { filter }));
      const reloaded = loadFlatIndex(pruned.toBytes(), { prefilter: 'int8' });
      expectSameResults(reloaded.search(queries, 10), plain.search(queries, 10));
      for (const index of [plain, pruned, reloaded]) index.dispose();
    });
  }

  it('rejects an unknown prefilter', () => {
    expect(() => new FlatIndex({ dim, prefilter: 'int4' as never })).toThrow(/prefilter/);
  });
});

import { TurboQuantIndex } from '@quiver/quant';
import { gaussianMixture } from '@quiver/testkit';
import { describe, expect, it } from 'vitest';
import { loadIdMapIndex } from './id-map-codec.js';
import { IdMapIndex } from './id-map-index.js';

const DIM = 64;

/** IdMapIndex over TurboQuantIndex: swap removal, the allowlist through the scan's mask, persistence with turbovec bytes inside. */
describe('IdMapIndex over TurboQuantIndex', () => {
  const data = gaussianMixture({ n: 400, dim: DIM, clusters: 8, seed: 4 });
  const queries = gaussianMixture({ n: 5, dim: DIM, clusters: 8, seed: 4, sampleSeed: 2 });
  const ids = Array.from({ length: 400 }, (_, i) => (BigInt(i) << 32n) | 0xabcn);

  function build(options: ConstructorParameters<typeof TurboQuantIndex>[0] = { dim: DIM, kernels: 'js' }): IdMapIndex<TurboQuantIndex> {
    const index = new IdMapIndex(new TurboQuantIndex(options));
    index.addWithIds(data, ids);
    return index;
  }

  it('uses swapRemove and keeps ids on their vectors', () => {
    const index = build({ dim: DIM, kernels: 'js', originals: 'float32' });
    expect(index.removal).toBe('swap');
    for (let i = 0; i < 400; i += 3) expect(index.remove(ids[i]!)).toBe(true);
    index.checkConsistency();
    expect(index.size).toBe(266);
    for (let i = 1; i < 400; i += 3) {
      expect(Array.from(index.reconstruct(ids[i]!))).toEqual(Array.from(data.subarray(i * DIM, (i + 1) * DIM)));
    }
  });

  it('takes its dimension from a first single-vector add when constructed without one', () => {
    const index = new IdMapIndex(new TurboQuantIndex({ kernels: 'js' }));
    expect(index.dim).toBe(0);
    expect(() => index.addWithIds(data.subarray(0, 3 * DIM), [1, 2, 3])).toThrow(/no dimension yet/);
    index.addWithIds(data.subarray(0, DIM), [1]);
    expect(index.dim).toBe(DIM);
    index.addWithIds(data.subarray(DIM, 3 * DIM), [2, 3]);
    expect(() => index.addWithIds(new Float32Array(DIM + 1), [4])).toThrow(/dimension/);
    expect(index.size).toBe(3);
    index.checkConsistency();
  });

  it('an id allowlist returns exactly min(k, allowed) hits, all allowed', () => {
    const index = build();
    index.remove(ids[5]!);
    const allow = new Set([ids[1]!, ids[5]!, ids[50]!, ids[399]!, 12345n]);
    for (const [k, expected] of [
      [10, 3],
      [2, 2],
    ] as const) {
      const result = index.search(queries, k, { allow });
      for (let q = 0; q < 5; q++) {
        expect(result.counts[q]).toBe(expected);
        for (let j = 0; j < expected; j++) expect(allow.has(result.ids[q * k + j]!)).toBe(true);
      }
    }
  });

  it('round-trips through IDMP with the turbovec bytes inside', () => {
    const index = build();
    for (let i = 0; i < 400; i += 7) index.remove(ids[i]!);
    const loaded = loadIdMapIndex(index.toBytes(), (bytes) => TurboQuantIndex.fromBytes(bytes, { kernels: 'js' }));
    loaded.checkConsistency();
    expect(loaded.ids()).toEqual(index.ids());
    const a = index.search(queries, 10);
    const b = loaded.search(queries, 10);
    expect(b.ids).toEqual(a.ids);
    expect(b.scores).toEqual(a.scores);
  });
});

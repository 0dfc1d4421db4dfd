import { UnsupportedOperationError } from '@quiver/core-math';
import { bruteForceTopK, gaussianMixture, recallAtK } from '@quiver/testkit';
import { describe, expect, it } from 'vitest';
import { DenseFlatIndex, DensePlainHNSW, DensePQHNSW } from './kannolo.js';

const DIM = 32;
const N = 1500;
const data = gaussianMixture({ n: N, dim: DIM, clusters: 12, seed: 8, spread: 0.5 });
const queries = gaussianMixture({ n: 40, dim: DIM, clusters: 12, seed: 8, spread: 0.5, sampleSeed: 3 });
const asResult = (ids: Int32Array, k: number) => ({ k, queryCount: ids.length / k, slots: ids, counts: new Uint32Array(ids.length / k).fill(k) });

describe('kANNolo-style entry points', () => {
  it('DensePlainHNSW: euclidean distances, recall, -1 padding, round trip', () => {
    const index = DensePlainHNSW.buildFromArray(data, DIM, { m: 12, efConstruction: 100, metric: 'euclidean' });
    const { ids, distances } = index.batchSearch(queries, 10, 64);
    expect(recallAtK(asResult(ids, 10), bruteForceTopK(data, queries, DIM, 10, 'l2'))).toBeGreaterThanOrEqual(0.95);
    expect(distances[0]!).toBeGreaterThanOrEqual(0); // squared distances, ascending
    expect(distances[1]!).toBeGreaterThanOrEqual(distances[0]!);
    const loaded = DensePlainHNSW.fromBytes(index.toBytes());
    expect(loaded.search(queries.subarray(0, DIM), 10, 64)).toEqual(index.search(queries.subarray(0, DIM), 10, 64));
    const tiny = DensePlainHNSW.buildFromArray(data.subarray(0, 3 * DIM), DIM, { metric: 'ip' });
    const padded = tiny.search(queries.subarray(0, DIM), 5);
    expect([...padded.ids.subarray(3)]).toEqual([-1, -1]);
    expect(padded.distances[4]).toBe(-Infinity);
    for (const i of [index, loaded, tiny]) i.dispose();
  });

  it('DensePQHNSW reranks PQ candidates to high recall', () => {
    const index = DensePQHNSW.buildFromArray(data, DIM, { m: 12, efConstruction: 100, metric: 'dotproduct', pqSubspaces: 8 });
    expect(index.index.backend).toBe('walker');
    const { ids } = index.batchSearch(queries, 10, 64);
    expect(recallAtK(asResult(ids, 10), bruteForceTopK(data, queries, DIM, 10, 'dot'))).toBeGreaterThanOrEqual(0.9);
    expect(() => index.toBytes()).toThrow(UnsupportedOperationError);
    index.dispose();
  });

  it('DenseFlatIndex is exact', () => {
    const index = DenseFlatIndex.buildFromArray(data, DIM, { metric: 'l2' });
    const { ids } = index.batchSearch(queries, 10);
    expect(recallAtK(asResult(ids, 10), bruteForceTopK(data, queries, DIM, 10, 'l2'))).toBe(1);
    index.dispose();
  });
});

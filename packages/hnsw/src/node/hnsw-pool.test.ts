import { SlotBitset } from '@quiver/core-math';
import { bruteForceTopK, gaussianMixture, recallAtK } from '@quiver/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createInlineExecutor } from '../graph-tasks.js';
import { HnswIndex } from '../hnsw-index.js';
import { HnswPool } from './hnsw-pool.js';

const DIM = 16;
const N = 3000;
const data = gaussianMixture({ n: N, dim: DIM, clusters: 12, seed: 21, spread: 0.5 });
const queries = gaussianMixture({ n: 60, dim: DIM, clusters: 12, seed: 21, spread: 0.5, sampleSeed: 8 });

describe('HnswPool (worker threads over the shared arena)', () => {
  const pool = new HnswPool({ threads: 2 });
  afterAll(() => pool.close());

  it('builds the same graph as the inline executor, with the recall of a serial build', async () => {
    const options = { dim: DIM, metric: 'l2', M: 8, efConstruction: 48 } as const;
    const pooled = await HnswIndex.buildParallel(data, options, pool);
    const inline = await HnswIndex.buildParallel(data, options, createInlineExecutor(1));
    const serial = new HnswIndex(options);
    serial.add(data);
    expect(Buffer.compare(pooled.toBytes(), inline.toBytes())).toBe(0);
    const truth = bruteForceTopK(data, queries, DIM, 10, 'l2');
    const recall = (index: HnswIndex) => recallAtK(index.search(queries, 10, { efSearch: 16 }), truth);
    expect(Math.abs(recall(pooled) - recall(serial))).toBeLessThanOrEqual(0.01);
    for (const index of [pooled, inline, serial]) index.dispose();
  });

  it('searchAsync gives the results of search', async () => {
    const index = new HnswIndex({ dim: DIM, metric: 'dot', M: 8, efConstruction: 48, storage: 'int8', rerankStorage: 'float32' });
    index.add(data);
    const filter = SlotBitset.fromSlots(N, Array.from({ length: N / 4 }, (_, i) => 4 * i));
    for (const options of [{ efSearch: 24 }, { efSearch: 24, rerank: true, filter }]) {
      expect(await pooledSearch(index, options)).toEqual(index.search(queries, 10, options));
    }
    index.dispose();
  });

  async function pooledSearch(index: HnswIndex, options: object) {
    return index.searchAsync(queries, 10, options, pool);
  }
});

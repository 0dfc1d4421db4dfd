import { InvalidArgumentError, SeededRandom, SlotBitset, UnsupportedOperationError } from '@quiver/core-math';
import { bruteForceTopK, gaussianMixture, recallAtK } from '@quiver/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createInlineExecutor } from './graph-tasks.js';
import { HnswIndex } from './hnsw-index.js';
import type { HnswIndexOptions } from './params.js';

const DIM = 24;
const N = 3000;
const data = gaussianMixture({ n: N, dim: DIM, clusters: 16, seed: 15, spread: 0.5 });
const queries = gaussianMixture({ n: 100, dim: DIM, clusters: 16, seed: 15, spread: 0.5, sampleSeed: 5 });

const created: HnswIndex[] = [];
function make(options: Partial<HnswIndexOptions> = {}): HnswIndex {
  const index = new HnswIndex({ dim: DIM, metric: 'l2', M: 8, efConstruction: 64, ...options });
  created.push(index);
  return index;
}
afterEach(() => {
  for (const index of created.splice(0)) index.dispose();
});

describe('HnswIndex.addParallel (batched linking)', () => {
  it('matches the serial build within 0.01 recall, independently of the thread count', async () => {
    const serial = make();
    serial.add(data);
    const one = make();
    await one.addParallel(data, createInlineExecutor(1));
    const three = make();
    await three.addParallel(data, createInlineExecutor(3));
    expect(Buffer.compare(three.toBytes(), one.toBytes())).toBe(0);
    const truth = bruteForceTopK(data, queries, DIM, 10, 'l2');
    for (const efSearch of [10, 32]) {
      const expected = recallAtK(serial.search(queries, 10, { efSearch }), truth);
      expect(Math.abs(recallAtK(one.search(queries, 10, { efSearch }), truth) - expected)).toBeLessThanOrEqual(0.01);
    }
    for (let slot = 0; slot < N; slot += 97) expect(one.neighbors(slot).length).toBeGreaterThan(0);
  });

  it('reports progress, refuses other mutations while it runs, and keeps building serially after', async () => {
    const index = make({ storage: 'int8', metric: 'cosine' });
    const seen: number[] = [];
    const running = index.addParallel(data.subarray(0, 2500 * DIM), createInlineExecutor(2), { onProgress: (done) => seen.push(done) });
    expect(() => index.add(data.subarray(0, DIM))).toThrow(UnsupportedOperationError);
    expect(() => index.remove(0)).toThrow(UnsupportedOperationError);
    expect(() => index.dispose()).toThrow(UnsupportedOperationError);
    expect(await running).toBe(0);
    expect(seen).toEqual([1024, 2048, 2500]);
    expect(index.add(data.subarray(2500 * DIM))).toBe(2500);
    expect(index.search(data.subarray(2700 * DIM, 2701 * DIM), 1).slots[0]).toBe(2700);
  });

  it('rejects an executor of another arena and bad input', async () => {
    const index = make();
    const foreign = { ...createInlineExecutor(1), arena: {} as never };
    await expect(index.addParallel(data, foreign)).rejects.toThrow(InvalidArgumentError);
    await expect(index.addParallel(data.subarray(0, 5), createInlineExecutor(1))).rejects.toThrow();
  });
});

describe('HnswIndex.searchAsync', () => {
  it('equals search, with filters, rerank and thresholds', async () => {
    const index = make({ storage: 'float16', rerankStorage: 'float32', metric: 'cosine' });
    index.add(data);
    index.remove(17);
    const executor = createInlineExecutor(3);
    const random = new SeededRandom(3);
    const filter = new SlotBitset(N);
    for (let slot = 0; slot < N; slot++) if (random.nextFloat() < 0.1) filter.add(slot);
    for (const options of [{}, { efSearch: 40, rerank: 20 }, { filter, efSearch: 16 }, { filter: SlotBitset.fromSlots(N, [1, 2, 3]) }, { minScore: 0.9, earlyExit: 0.1 }]) {
      expect(await index.searchAsync(queries, 10, options, executor)).toEqual(index.search(queries, 10, options));
    }
    expect(await index.searchAsync(queries.subarray(0, DIM), 5, {}, executor)).toEqual(index.search(queries.subarray(0, DIM), 5));
    await expect(index.searchAsync(queries, 0, {}, executor)).rejects.toThrow(InvalidArgumentError);
  });
});

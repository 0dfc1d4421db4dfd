import { type VectorStorage } from '@quiver/core-math';
import { PqStorage, ProductQuantizer } from '@quiver/pq';
import { bruteForceTopK, gaussianMixture, recallAtK } from '@quiver/testkit';
import { describe, expect, it } from 'vitest';
import { HnswIndex } from './hnsw-index.js';

const DIM = 32;
const N = 1200;
const data = gaussianMixture({ n: N, dim: DIM, clusters: 12, seed: 21, spread: 0.5 });
const queries = gaussianMixture({ n: 30, dim: DIM, clusters: 12, seed: 21, spread: 0.5, sampleSeed: 9 });

/** The same codes behind a plain `VectorStorage`: the index cannot see they are PQ, so the TypeScript walker searches them. */
function opaque(codes: PqStorage): VectorStorage {
  return {
    dim: codes.dim,
    metric: codes.metric,
    get size() {
      return codes.size;
    },
    bytesPerVector: codes.bytesPerVector,
    append: (vectors) => codes.append(vectors),
    reconstruct: (slot, out) => codes.reconstruct(slot, out),
    scorer: () => codes.scorer(),
  };
}

describe('PQ codes in the graph kernels', () => {
  it.each([
    ['l2', 8, 'wasm'],
    ['dot', 8, 'wasm'],
    ['cosine', 4, 'wasm'],
    ['l2', 4, 'js'],
    ['cosine', 8, 'js'],
  ] as const)('%s, %i-bit codes, %s kernels: the same results as the TypeScript walker, recall with rerank', (metric, nbits, kernels) => {
    const quantizer = new ProductQuantizer({ dim: DIM, M: 8, nbits, metric, seed: 3, kernels });
    quantizer.train(data);
    const indexes = [0, 1].map(() => {
      const index = new HnswIndex({ dim: DIM, metric, M: 8, efConstruction: 64, kernels });
      index.add(data);
      return index;
    });
    const [kernelIndex, walkerIndex] = indexes as [HnswIndex, HnswIndex];
    const codes = [new PqStorage({ quantizer }), new PqStorage({ quantizer })];
    for (const c of codes) c.append(data);
    kernelIndex.swapStorage(codes[0]!, { keepAsRerank: true });
    walkerIndex.swapStorage(opaque(codes[1]!), { keepAsRerank: true });
    expect([kernelIndex.backend, walkerIndex.backend]).toEqual([kernels, 'walker']);

    // Tombstones, a filter (ACORN below 30%), early exit: every path of the layer search.
    for (const index of indexes) for (let slot = 0; slot < N; slot += 17) index.remove(slot);
    const filter = (slot: number) => slot % 5 === 0;
    for (const options of [{ efSearch: 40 }, { efSearch: 24, earlyExit: 0.1 }, { efSearch: 40, filter }, { efSearch: 48, rerank: true }]) {
      expect(kernelIndex.search(queries, 10, options)).toEqual(walkerIndex.search(queries, 10, options));
    }
    // Scores are the codes' ADC scores, as the storage's own scorer gives them.
    const scorer = codes[0]!.scorer();
    const one = kernelIndex.search(queries.subarray(0, DIM), 5, { efSearch: 32 });
    scorer.setQuery(queries.subarray(0, DIM));
    for (let i = 0; i < 5; i++) expect(one.scores[i]).toBe(scorer.score(one.slots[i]!));
    scorer.release();

    const truth = bruteForceTopK(data, queries, DIM, 10, metric, { removed: { has: (slot: number) => slot % 17 === 0 } });
    expect(recallAtK(kernelIndex.search(queries, 10, { efSearch: 64, rerank: true }), truth)).toBeGreaterThanOrEqual(nbits === 8 ? 0.9 : 0.8); // 4-bit codes of 4 dims are coarse
    for (const index of indexes) index.dispose();
    quantizer.dispose();
  });

  it('adds after the swap (linked by the walker over codes) and keeps searching in the kernels', () => {
    const quantizer = new ProductQuantizer({ dim: DIM, M: 16, nbits: 8, metric: 'l2', seed: 3 });
    quantizer.train(data);
    const index = new HnswIndex({ dim: DIM, metric: 'l2', M: 8, efConstruction: 64 });
    index.add(data.subarray(0, 1000 * DIM));
    const codes = new PqStorage({ quantizer });
    codes.append(data.subarray(0, 1000 * DIM));
    index.swapStorage(codes);
    index.add(data.subarray(1000 * DIM));
    expect(index.size).toBe(N);
    const truth = bruteForceTopK(data, queries, DIM, 10, 'l2');
    expect(recallAtK(index.search(queries, 10, { efSearch: 64 }), truth)).toBeGreaterThanOrEqual(0.75);
    index.dispose();
    quantizer.dispose();
  });
});

import {
  AbortedError,
  CorruptFileError,
  DimensionMismatchError,
  InvalidArgumentError,
  SeededRandom,
  SlotBitset,
  type Arena,
  type Metric,
  type SlotScorer,
  type VectorStorage,
} from '@quiver/core-math';
import { bruteForceTopK, gaussianMixture, recallAtK } from '@quiver/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { loadHnswIndex } from './hnsw-codec.js';
import { HnswIndex } from './hnsw-index.js';
import type { HnswIndexOptions } from './params.js';
import { Float32RowStorage } from './row-storage.js';

const DIM = 24;
const N = 2000;
const QUERIES = 50;
const data = gaussianMixture({ n: N, dim: DIM, clusters: 16, seed: 5, spread: 0.5 });
const queries = gaussianMixture({ n: QUERIES, dim: DIM, clusters: 16, seed: 5, spread: 0.5, sampleSeed: 77 });

/** Byte equality without vitest's slow deep comparison of large typed arrays. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

const created: HnswIndex[] = [];
function make(options: Partial<HnswIndexOptions> = {}): HnswIndex {
  const index = new HnswIndex({ dim: DIM, metric: 'l2', ...options });
  created.push(index);
  return index;
}
afterEach(() => {
  for (const index of created.splice(0)) index.dispose();
});

/** A VectorStorage the kernels cannot read: forces the TypeScript walker. */
function plainStorage(dim: number, metric: Metric, arena: Arena): VectorStorage {
  const inner = new Float32RowStorage(dim, metric, arena);
  return {
    dim,
    metric,
    get size() {
      return inner.size;
    },
    bytesPerVector: dim * 4,
    append: (vectors) => inner.append(vectors),
    reconstruct: (slot, out) => inner.reconstruct(slot, out),
    scorer: (): SlotScorer => inner.scorer(),
  };
}

describe('HnswIndex recall against brute force', () => {
  for (const metric of ['l2', 'dot', 'cosine'] as const) {
    for (const storage of ['float32', 'float16', 'int8'] as const) {
      it(`${metric}, ${storage} storage: recall@10 ≥ 0.95`, () => {
        const index = make({ metric, storage, M: 12, efConstruction: 100 });
        index.add(data);
        const truth = bruteForceTopK(data, queries, DIM, 10, metric);
        const result = index.search(queries, 10, { efSearch: 64 });
        expect(recallAtK(result, truth)).toBeGreaterThanOrEqual(storage === 'int8' ? 0.9 : 0.95);
      });
    }
  }

  it('the TypeScript walker (any VectorStorage) reaches the same recall', () => {
    const index = make({ storage: plainStorage, M: 12, efConstruction: 100 });
    expect(index.backend).toBe('walker');
    index.add(data.subarray(0, 1000 * DIM));
    const truth = bruteForceTopK(data.subarray(0, 1000 * DIM), queries, DIM, 10, 'l2');
    expect(recallAtK(index.search(queries, 10, { efSearch: 64 }), truth)).toBeGreaterThanOrEqual(0.95);
  });

  it('rerank with a float32 copy lifts int8 recall', () => {
    const index = make({ storage: 'int8', rerankStorage: 'float32', M: 12, efConstruction: 100 });
    index.add(data);
    const truth = bruteForceTopK(data, queries, DIM, 10, 'l2');
    const plain = recallAtK(index.search(queries, 10, { efSearch: 64 }), truth);
    const reranked = index.search(queries, 10, { efSearch: 64, rerank: true });
    expect(recallAtK(reranked, truth)).toBeGreaterThanOrEqual(Math.max(plain, 0.97));
    // Reranked scores are exact float32 scores.
    expect(reranked.scores[0]).toBeCloseTo(truth.scores[0]!, 3);
    expect(() => make().search(queries, 10, { rerank: true })).toThrow(InvalidArgumentError);
  });

  it('early exit: a positive relaxation explores more and never lowers recall', () => {
    const index = make({ M: 8, efConstruction: 64 });
    index.add(data);
    const truth = bruteForceTopK(data, queries, DIM, 10, 'l2');
    const base = recallAtK(index.search(queries, 10, { efSearch: 10 }), truth);
    const relaxed = recallAtK(index.search(queries, 10, { efSearch: 10, earlyExit: 0.3 }), truth);
    expect(relaxed).toBeGreaterThan(base);
    expect(() => index.search(queries, 10, { earlyExit: -1 })).toThrow(InvalidArgumentError);
  });
});

describe('HnswIndex removal', () => {
  it('recall@10 holds within 0.02 after removing 30% of the points', () => {
    const index = make({ M: 12, efConstruction: 100 });
    index.add(data);
    const random = new SeededRandom(9);
    const removed = new SlotBitset(N);
    while (removed.count() < 0.3 * N) removed.add(random.nextInt(N));
    const truthBefore = bruteForceTopK(data, queries, DIM, 10, 'l2');
    const before = recallAtK(index.search(queries, 10, { efSearch: 48 }), truthBefore);
    for (let slot = 0; slot < N; slot++) if (removed.has(slot)) expect(index.remove(slot)).toBe(true);
    expect(index.size).toBe(N - removed.count());
    const truth = bruteForceTopK(data, queries, DIM, 10, 'l2', { removed });
    const result = index.search(queries, 10, { efSearch: 48 });
    for (const slot of result.slots) expect(slot >= 0 && removed.has(slot)).toBe(false);
    expect(recallAtK(result, truth)).toBeGreaterThanOrEqual(before - 0.02);
  });

  it('removing every point, the entry point included, leaves an empty index that accepts new points', () => {
    const index = make();
    index.add(data.subarray(0, 50 * DIM));
    for (let slot = 0; slot < 50; slot++) index.remove(slot);
    expect(index.size).toBe(0);
    expect(index.search(queries, 3).counts[0]).toBe(0);
    expect(index.add(data.subarray(50 * DIM, 60 * DIM))).toBe(50);
    expect(index.search(data.subarray(55 * DIM, 56 * DIM), 1).slots[0]).toBe(55);
  });
});

describe('HnswIndex filtered search', () => {
  const randomFilter = (share: number, seed: number) => {
    const random = new SeededRandom(seed);
    const filter = new SlotBitset(N);
    for (let slot = 0; slot < N; slot++) if (random.nextFloat() < share) filter.add(slot);
    return filter;
  };

  it('walks with ACORN-1 when the admitted slots outnumber its estimated cost, keeping recall@10 ≥ 0.9', () => {
    const index = make({ M: 12, efConstruction: 100 });
    index.add(data);
    // ~26% admitted (~520 slots): more than the walk's estimated 48 × efSearch, below 30% of the graph.
    const filter = randomFilter(0.26, 4);
    expect(filter.count()).toBeGreaterThan(480);
    const truth = bruteForceTopK(data, queries, DIM, 10, 'l2', { filter });
    const result = index.search(queries, 10, { filter, efSearch: 10 });
    for (const slot of result.slots) if (slot >= 0) expect(filter.has(slot)).toBe(true);
    expect(recallAtK(result, truth)).toBeGreaterThanOrEqual(0.9);
    // A predicate works the same way as a bitset.
    expect(index.search(queries, 10, { filter: (slot) => filter.has(slot), efSearch: 10 })).toEqual(result);
  });

  it('scans the admitted live slots exactly when that is cheaper, with the graph kernels scores', () => {
    const index = make({ M: 12, efConstruction: 100 });
    index.add(data);
    const filter = randomFilter(0.1, 5);
    for (let slot = 0; slot < N; slot += 7) index.remove(slot);
    const removed = { has: (slot: number) => slot % 7 === 0 };
    const result = index.search(queries, 10, { filter, efSearch: 48 });
    expect(recallAtK(result, bruteForceTopK(data, queries, DIM, 10, 'l2', { filter, removed }))).toBe(1);
    for (const slot of result.slots) expect(slot % 7 !== 0 && filter.has(slot)).toBe(true);
    // The same scores as an unfiltered search gives the same slots.
    const plain = index.search(queries.subarray(0, DIM), 400, { efSearch: 400 });
    for (let i = 0; i < 10; i++) {
      const at = [...plain.slots].indexOf(result.slots[i]!);
      if (at >= 0) expect(plain.scores[at]).toBe(result.scores[i]);
    }
    const tiny = SlotBitset.fromSlots(N, [3, 500, 1500]);
    const few = index.search(queries, 10, { filter: tiny });
    expect([...few.counts]).toEqual(Array(QUERIES).fill(3));
    expect(recallAtK(few, bruteForceTopK(data, queries, DIM, 10, 'l2', { filter: tiny }))).toBe(1);
  });
});

describe('HnswIndex persistence and determinism', () => {
  it('save → load gives identical results and keeps building identically', () => {
    for (const storage of ['float32', 'float16', 'int8'] as const) {
      const index = make({ storage, metric: 'cosine', rerankStorage: storage === 'int8' ? 'float32' : undefined, seed: 7, efConstruction: 64 });
      index.add(data.subarray(0, 1500 * DIM));
      index.remove(10);
      const loaded = loadHnswIndex(index.toBytes());
      created.push(loaded);
      expect(loaded.params).toEqual(index.params);
      expect(loaded.search(queries, 10)).toEqual(index.search(queries, 10));
      index.add(data.subarray(1500 * DIM));
      loaded.add(data.subarray(1500 * DIM));
      expect(loaded.search(queries, 10, { rerank: storage === 'int8' || undefined })).toEqual(index.search(queries, 10, { rerank: storage === 'int8' || undefined }));
      expect(sameBytes(loaded.toBytes(), index.toBytes())).toBe(true);
    }
  });

  it('refuses corrupt graphs even with valid checksums', () => {
    const index = make({ M: 4 });
    index.add(data.subarray(0, 100 * DIM));
    const bytes = index.toBytes();
    expect(() => loadHnswIndex(bytes.subarray(0, bytes.length - 1))).toThrow(CorruptFileError);
    const flipped = bytes.slice();
    flipped[200]! ^= 1;
    expect(() => loadHnswIndex(flipped)).toThrow(CorruptFileError);
  });

  it('the same seed and insertion order give the same graph; another seed another', () => {
    const a = make({ seed: 3 });
    const b = make({ seed: 3 });
    const c = make({ seed: 4 });
    a.add(data.subarray(0, 500 * DIM));
    b.add(data.subarray(0, 200 * DIM));
    b.add(data.subarray(200 * DIM, 500 * DIM));
    c.add(data.subarray(0, 500 * DIM));
    expect(sameBytes(b.toBytes(), a.toBytes())).toBe(true);
    expect(c.graphLayout().levels).not.toEqual(a.graphLayout().levels);
    expect(a.neighbors(0).length).toBeGreaterThan(0);
  });
});

describe('HnswIndex validation and long builds', () => {
  it('rejects bad options and arguments', () => {
    expect(() => new HnswIndex({ dim: 0 })).toThrow(InvalidArgumentError);
    expect(() => new HnswIndex({ dim: 4, M: 1 })).toThrow(InvalidArgumentError);
    expect(() => new HnswIndex({ dim: 4, efConstruction: 0 })).toThrow(InvalidArgumentError);
    expect(() => new HnswIndex({ dim: 4, metric: 'hamming' })).toThrow(InvalidArgumentError);
    expect(() => new HnswIndex({ dim: 4, storage: 'int4' as 'int8' })).toThrow(InvalidArgumentError);
    const index = make();
    index.add(data.subarray(0, 10 * DIM));
    expect(() => index.search(queries, 10, { efSearch: 0 })).toThrow(InvalidArgumentError);
    expect(() => index.search(queries.subarray(0, 5), 1)).toThrow(DimensionMismatchError);
    expect(() => index.neighbors(3, 40)).toThrow(InvalidArgumentError);
    expect(() => index.search(queries, 10, { filter: 5 as unknown as SlotBitset })).toThrow(InvalidArgumentError);
  });

  it('reports progress and stops on abort, keeping the rows linked so far', () => {
    const index = make({ efConstruction: 16 });
    const seen: number[] = [];
    index.add(data, { onProgress: (done, total) => seen.push(done / total) });
    expect(seen.at(-1)).toBe(1);
    expect(seen.length).toBe(2);
    const controller = new AbortController();
    const other = make({ efConstruction: 16 });
    expect(() =>
      other.add(data, {
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
    ).toThrow(AbortedError);
    expect(other.size).toBe(1024);
    expect(other.search(data.subarray(5 * DIM, 6 * DIM), 1).slots[0]).toBe(5);
  });
});

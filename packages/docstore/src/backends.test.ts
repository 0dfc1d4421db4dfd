import { InvalidArgumentError } from '@quiver/core-math';
import { gaussianMixture } from '@quiver/testkit';
import { describe, expect, it } from 'vitest';
import { DocumentStore } from './document-store.js';
import type { BackendSpec, StoreMetric } from './types.js';

const N = 1500;
const DIM = 36; // not a multiple of 8: TurboQuant pads
const K = 10;
const data = gaussianMixture({ n: N, dim: DIM, clusters: 12, seed: 5 });
const queries = gaussianMixture({ n: 20, dim: DIM, clusters: 12, seed: 5, sampleSeed: 9 });
const documents = Array.from({ length: N }, (_, i) => ({ id: `d${i}`, metadata: { shard: i % 4 } }));

function build(backend: BackendSpec, metric: StoreMetric): DocumentStore {
  const store = new DocumentStore({ backend, metric });
  store.upsert(documents, data);
  // Churn: replace some vectors (HNSW tombstones them) and delete others.
  store.upsert(documents.slice(0, 100), data.subarray(100 * DIM, 200 * DIM));
  store.delete(documents.slice(1400).map((d) => d.id));
  return store;
}

function recall(store: DocumentStore, exact: DocumentStore, options = {}): number {
  let found = 0;
  let total = 0;
  const approx = store.searchBatch(queries, K, options);
  const truth = exact.searchBatch(queries, K, options);
  truth.forEach((hits, q) => {
    const expected = new Set(hits.map((h) => h.document.id));
    total += expected.size;
    found += approx[q]!.filter((h) => expected.has(h.document.id)).length;
  });
  return found / total;
}

const APPROXIMATE: BackendSpec[] = [
  { kind: 'turboquant' },
  { kind: 'turboquant', bitWidth: 2 },
  { kind: 'hnsw', m: 12, efConstruction: 80, efSearch: 48 },
];

describe('approximate backends against the exact one', () => {
  for (const metric of ['cosine', 'dot', 'l2'] as StoreMetric[]) {
    const exact = build({ kind: 'exact' }, metric);
    for (const backend of APPROXIMATE) {
      it(`${JSON.stringify(backend)} under ${metric}: recall@${K} >= 0.95, filtered too, exact scores`, () => {
        const store = build(backend, metric);
        expect(store.size).toBe(exact.size);
        expect(recall(store, exact)).toBeGreaterThanOrEqual(0.95);
        const filter = { field: 'shard', op: 'eq', value: 2 } as const;
        expect(recall(store, exact, { filter })).toBeGreaterThanOrEqual(0.95);
        for (const hits of store.searchBatch(queries, K, { filter })) {
          expect(hits).toHaveLength(K);
          for (const hit of hits) expect(hit.document.metadata.shard).toBe(2);
        }
        // Reranked / float32-scored hits carry exact scores: equal to the exact backend's for the same document.
        const exactScores = new Map(exact.search(queries.subarray(0, DIM), 50).map((h) => [h.document.id, h.score]));
        for (const hit of store.search(queries.subarray(0, DIM), K)) {
          if (exactScores.has(hit.document.id)) expect(hit.score).toBeCloseTo(exactScores.get(hit.document.id)!, 3);
        }
        // vectorOf returns the stored vector (the originals for TurboQuant with rerank, float32 rows for HNSW).
        expect(Array.from(store.vectorOf('d500')!).map((v) => v.toFixed(4))).toEqual(Array.from(exact.vectorOf('d500')!).map((v) => v.toFixed(4)));
        store.dispose();
      });
    }
  }

  it('TurboQuant without rerank searches codes only and reconstructs approximately', () => {
    const exact = build({ kind: 'exact' }, 'dot');
    const store = build({ kind: 'turboquant', rerank: false }, 'dot');
    expect(recall(store, exact)).toBeGreaterThanOrEqual(0.7);
    const approx = store.vectorOf('d3')!;
    expect(approx).toHaveLength(DIM);
    const truth = exact.vectorOf('d3')!;
    const error = truth.reduce((sum, v, i) => sum + (v - approx[i]!) ** 2, 0) / truth.reduce((sum, v) => sum + v * v, 0);
    expect(error).toBeLessThan(0.05);
    expect(error).toBeGreaterThan(0);
    store.dispose();
    exact.dispose();
  });

  it('resolves and validates backend specs', () => {
    expect(new DocumentStore({ backend: { kind: 'turboquant' } }).backend).toEqual({ kind: 'turboquant', bitWidth: 4, rerank: true });
    expect(new DocumentStore({ backend: { kind: 'hnsw' } }).backend).toEqual({ kind: 'hnsw', m: 16, efConstruction: 200, efSearch: 64 });
    const bad: unknown[] = [{ kind: 'turboquant', bitWidth: 1 }, { kind: 'turboquant', rerank: 'yes' }, { kind: 'hnsw', m: 1 }, { kind: 'hnsw', efSearch: 0.5 }, null];
    for (const backend of bad) expect(() => new DocumentStore({ backend: backend as BackendSpec })).toThrow(InvalidArgumentError);
  });
});

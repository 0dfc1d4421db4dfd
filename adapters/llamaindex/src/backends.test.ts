import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from '@quiver/core-math';
import type { BackendSpec } from '@quiver/docstore';
import { VectorStoreQueryMode, type MetadataFilters } from '@llamaindex/core/vector-store';
import { describe, expect, it } from 'vitest';
import { parityCorpus, randomVector, unusedEmbedModel } from '../test/support.js';
import { QuiverVectorStore } from './quiver-vector-store.js';

const DIM = 32;
const corpus = parityCorpus(400, DIM, 17);
const random = new SeededRandom(23);
const queryEmbeddings = Array.from({ length: 20 }, () => randomVector(random, DIM));
const filters: MetadataFilters = { filters: [{ key: 'tags', operator: 'contains', value: 'husky' }] };

describe.each<[string, BackendSpec]>([
  ['turboquant 4-bit', { kind: 'turboquant', bitWidth: 4 }],
  ['hnsw', { kind: 'hnsw', efSearch: 64 }],
])('%s backend', (_, backend) => {
  it('finds what the exact backend finds, honours filters, runs MMR and persists its backend', async () => {
    const exact = new QuiverVectorStore({ embedModel: unusedEmbedModel });
    const store = new QuiverVectorStore({ embedModel: unusedEmbedModel, backend });
    await exact.add(corpus);
    await store.add(corpus);
    expect(store.client().backend.kind).toBe(backend.kind);

    let found = 0;
    for (const queryEmbedding of queryEmbeddings) {
      const query = { queryEmbedding, similarityTopK: 10, mode: VectorStoreQueryMode.DEFAULT };
      const truth = new Set((await exact.query(query)).ids);
      const result = await store.query(query);
      expect(result.ids).toHaveLength(10);
      found += result.ids.filter((id) => truth.has(id)).length;

      const filtered = await store.query({ ...query, filters });
      const admitted = new Set(exact.client().matchingIds({ field: 'tags', op: 'contains', value: 'husky' }));
      expect(filtered.ids.length).toBeGreaterThan(0);
      for (const id of filtered.ids) expect(admitted.has(id)).toBe(true);
    }
    expect(found / (10 * queryEmbeddings.length)).toBeGreaterThanOrEqual(0.9);

    const mmr = await store.query({ queryEmbedding: queryEmbeddings[0]!, similarityTopK: 5, mode: VectorStoreQueryMode.MMR });
    expect(new Set(mmr.ids).size).toBe(5);

    const dir = mkdtempSync(join(tmpdir(), 'quiver-llamaindex-backend-'));
    try {
      await store.persist(dir);
      const loaded = await QuiverVectorStore.fromPersistPath(dir, { embedModel: unusedEmbedModel });
      expect(loaded.client().backend.kind).toBe(backend.kind);
      const query = { queryEmbedding: queryEmbeddings[1]!, similarityTopK: 5, mode: VectorStoreQueryMode.DEFAULT };
      expect((await loaded.query(query)).ids).toEqual((await store.query(query)).ids);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

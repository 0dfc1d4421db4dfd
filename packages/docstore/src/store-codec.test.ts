import { CorruptFileError, InvalidArgumentError, SeededRandom } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { DocumentStore } from './document-store.js';
import type { BackendSpec, DocumentStoreOptions, StoreMetric } from './types.js';

const DIM = 20; // not a multiple of 8: TurboQuant pads

function randomRows(n: number, dim: number, seed: number): Float32Array {
  const random = new SeededRandom(seed);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i++) out[i] = random.nextFloat() * 2 - 1;
  return out;
}

/** A store with some history: inserts, replacements, deletes (holes in rows and slots). */
function populated(options: DocumentStoreOptions): DocumentStore {
  const store = new DocumentStore(options);
  const docs = Array.from({ length: 200 }, (_, i) => ({
    id: `doc-${i}-é😀`,
    text: i % 7 === 0 ? '' : `text ${i} ✓ ${'x'.repeat(i % 13)}`,
    metadata: { group: i % 5, tags: [`t${i % 3}`], nested: { deep: [i, null, 'é'] } },
  }));
  store.upsert(docs, randomRows(200, DIM, 1));
  store.upsert(docs.slice(50, 80).map((d) => ({ ...d, text: `${d.text} (v2)` })), randomRows(30, DIM, 2));
  store.delete(docs.filter((_, i) => i % 9 === 4).map((d) => d.id));
  return store;
}

/** Everything observable about a store's content. */
function snapshot(store: DocumentStore) {
  const ids = store.ids().sort();
  const query = randomRows(3, DIM, 9);
  return {
    size: store.size,
    dim: store.dim,
    metric: store.metric,
    backend: store.backend,
    documents: store.get(ids),
    vectors: ids.map((id) => Array.from(store.vectorOf(id)!)),
    search: store.searchBatch(query, 8).map((hits) => hits.map((h) => [h.document.id, h.score])),
    filtered: store.search(query.subarray(0, DIM), 5, { filter: { field: 'group', op: 'eq', value: 3 } }).map((h) => h.document.id),
  };
}

const BACKENDS: BackendSpec[] = [
  { kind: 'exact' },
  { kind: 'turboquant', bitWidth: 4 },
  { kind: 'turboquant', bitWidth: 2, rerank: false },
  { kind: 'hnsw', m: 8, efConstruction: 40, efSearch: 32 },
];

describe('DocumentStore.toParts / fromParts', () => {
  for (const backend of BACKENDS) {
    for (const metric of ['cosine', 'l2'] as StoreMetric[]) {
      it(`round-trips the ${JSON.stringify(backend)} backend under ${metric}`, () => {
        const store = populated({ metric, backend });
        const parts = store.toParts();
        const loaded = DocumentStore.fromParts(parts);
        expect(snapshot(loaded)).toEqual(snapshot(store));
        // The loaded store keeps working: upsert, delete, search, save again.
        loaded.upsert([{ id: 'new', text: 'n' }], randomRows(1, DIM, 3));
        expect(loaded.delete(['doc-0-é😀'])).toBe(1);
        expect(loaded.search(randomRows(1, DIM, 3), 1)[0]!.document.id).toBe('new');
        expect(snapshot(DocumentStore.fromParts(loaded.toParts()))).toEqual(snapshot(loaded));
        store.dispose();
        loaded.dispose();
      });
    }
  }

  it('round-trips empty stores, with and without a dimension', () => {
    for (const options of [{}, { dim: 5 }, { dim: 5, backend: { kind: 'hnsw' } as const }]) {
      const loaded = DocumentStore.fromParts(new DocumentStore(options).toParts());
      expect(loaded.size).toBe(0);
      expect(loaded.dim).toBe(options.dim);
      expect(loaded.backend.kind).toBe(options.backend?.kind ?? 'exact');
    }
    const cleared = populated({});
    cleared.clear();
    expect(DocumentStore.fromParts(cleared.toParts()).size).toBe(0);
  });

  it('refuses parts that do not belong together', () => {
    const a = populated({});
    const b = populated({});
    b.upsert([{ id: 'extra' }], randomRows(1, DIM, 5));
    const pa = a.toParts();
    const pb = b.toParts();
    expect(() => DocumentStore.fromParts({ index: pb.index, documents: pa.documents })).toThrow(CorruptFileError);
    expect(() => DocumentStore.fromParts({ index: pa.index, documents: pb.documents })).toThrow(CorruptFileError);
    // Same length, other content: a replaced vector changes the index bytes but not their size.
    const c = populated({});
    c.upsert([{ id: 'doc-1-é😀', text: c.get(['doc-1-é😀'])[0]!.text, metadata: c.get(['doc-1-é😀'])[0]!.metadata }], randomRows(1, DIM, 77));
    const pc = c.toParts();
    expect(pc.index.byteLength).toBe(pa.index.byteLength);
    expect(() => DocumentStore.fromParts({ index: pc.index, documents: pa.documents })).toThrow(/belong together/);
    // Same ids, other vectors: the index's own trailing CRC is identical here (see index-fingerprint.ts).
    const twin = (seed: number) => {
      const s = new DocumentStore({ metric: 'dot' });
      s.upsert([{ id: 'x' }, { id: 'y' }], randomRows(2, DIM, seed));
      return s.toParts();
    };
    const [t1, t2] = [twin(1), twin(2)];
    expect(t2.index.subarray(-4)).toEqual(t1.index.subarray(-4));
    expect(() => DocumentStore.fromParts({ index: t2.index, documents: t1.documents })).toThrow(/belong together/);
    expect(() => DocumentStore.fromParts({ index: pa.index } as never)).toThrow(InvalidArgumentError);
  });

  it('refuses every truncation and a flipped byte anywhere in either part', () => {
    const store = populated({ backend: { kind: 'turboquant' } });
    const parts = store.toParts();
    for (const which of ['index', 'documents'] as const) {
      const bytes = parts[which];
      const step = Math.max(1, Math.floor(bytes.length / 97));
      for (let cut = 0; cut < bytes.length; cut += step) {
        expect(() => DocumentStore.fromParts({ ...parts, [which]: bytes.subarray(0, cut) })).toThrow(CorruptFileError);
      }
      for (let at = 0; at < bytes.length; at += step) {
        const flipped = bytes.slice();
        flipped[at]! ^= 0x20;
        expect(() => DocumentStore.fromParts({ ...parts, [which]: flipped })).toThrow(CorruptFileError);
      }
    }
  });
});

import { concatBytes } from '@quiver/io-formats';
import { CorruptFileError, InvalidArgumentError, SeededRandom } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { DocumentStore } from './document-store.js';
import { decodeDocuments, encodeDocuments, type DocumentsPart } from './documents-codec.js';
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

/** A side-car's bytes in one buffer. */
function documentsBytes(part: DocumentsPart): Uint8Array {
  return concatBytes(encodeDocuments(part));
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

  it('saves a loaded store again byte for byte, whether or not its metadata was read', () => {
    // Saved once after a load, so rows are already dense (a load renumbers a store with holes).
    const parts = DocumentStore.fromParts(populated({ metric: 'dot' }).toParts()).toParts();
    const untouched = DocumentStore.fromParts(parts);
    expect(untouched.toParts().documents).toEqual(parts.documents);
    const read = DocumentStore.fromParts(parts);
    read.search(randomRows(1, DIM, 3), 5, { filter: { field: 'group', op: 'eq', value: 2 } });
    expect(read.get(read.ids()).every((doc) => Object.isFrozen(doc!.metadata) && Object.isFrozen(doc!.metadata['nested']))).toBe(true);
    expect(read.toParts().documents).toEqual(parts.documents);
  });

  it('loads metadata lazily: an entry that is not a JSON object is a CorruptFileError when read', () => {
    const store = new DocumentStore({ metric: 'dot' });
    store.upsert([{ id: 'a', metadata: { n: 1 } }, { id: 'b', metadata: { n: 2 } }, { id: 'c' }], randomRows(3, DIM, 4));
    const parts = store.toParts();
    const docs = decodeDocuments(parts.documents);
    for (const bad of ['{"n": 2', '[2]', 'null']) {
      const documents = documentsBytes({ ...docs, metadataJson: [docs.metadataJson[0]!, bad, docs.metadataJson[2]!] });
      const loaded = DocumentStore.fromParts({ index: parts.index, documents });
      expect(loaded.get(['a', 'c']).map((doc) => doc!.metadata)).toEqual([{ n: 1 }, {}]);
      expect(() => loaded.get(['b'])).toThrow(CorruptFileError);
      expect(() => loaded.search(randomRows(1, DIM, 5), 3, { filter: { field: 'n', op: 'gt', value: 0 } })).toThrow(CorruptFileError);
    }
  });

  it('refuses a side-car listing an index id twice or a document id twice', () => {
    const store = new DocumentStore({ metric: 'dot' });
    store.upsert([{ id: 'a' }, { id: 'b' }, { id: 'c' }], randomRows(3, DIM, 6));
    const docs = decodeDocuments(store.toParts().documents);
    const reencoded = (changes: Partial<DocumentsPart>): Uint8Array => documentsBytes({ ...docs, ...changes });
    expect(decodeDocuments(reencoded({ rows: new Uint32Array([2, 0, 1]) })).rows).toEqual(new Uint32Array([2, 0, 1]));
    for (const rows of [[0, 1, 1], [2, 0, 2]]) {
      expect(() => decodeDocuments(reencoded({ rows: new Uint32Array(rows) }))).toThrow(/share index id/);
    }
    expect(() => decodeDocuments(reencoded({ ids: ['a', 'b', 'a'] }))).toThrow(/duplicate document id/);
  });
});

import { DimensionMismatchError, DuplicateIdError, InvalidArgumentError, SeededRandom, UnsupportedOperationError } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { DocumentStore } from './document-store.js';
import type { DocumentInput, StoreMetric } from './types.js';

function randomRows(n: number, dim: number, seed: number): Float32Array {
  const random = new SeededRandom(seed);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i++) out[i] = random.nextFloat() * 2 - 1;
  return out;
}

function docs(n: number, prefix = 'doc', from = 0): DocumentInput[] {
  return Array.from({ length: n }, (_, i) => ({ id: `${prefix}${from + i}`, text: `text ${from + i}`, metadata: { n: from + i, even: (from + i) % 2 === 0 } }));
}

/** Scores of the contract: cosine similarity, inner product, negated squared distance. */
function score(metric: StoreMetric, q: Float32Array, x: Float32Array): number {
  let dot = 0;
  let qq = 0;
  let xx = 0;
  let l2 = 0;
  for (let i = 0; i < q.length; i++) {
    dot += q[i]! * x[i]!;
    qq += q[i]! * q[i]!;
    xx += x[i]! * x[i]!;
    l2 += (q[i]! - x[i]!) ** 2;
  }
  return metric === 'dot' ? dot : metric === 'cosine' ? dot / Math.sqrt(qq * xx) : -l2;
}

/** Brute force over a map id -> vector, restricted to `admit`. */
function bruteForce(metric: StoreMetric, vectors: Map<string, Float32Array>, q: Float32Array, k: number, admit: (id: string) => boolean = () => true) {
  return [...vectors]
    .filter(([id]) => admit(id))
    .map(([id, v]) => ({ id, score: score(metric, q, v) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}

const DIM = 16;

describe('DocumentStore (exact backend)', () => {
  for (const metric of ['cosine', 'dot', 'l2'] as const) {
    it(`matches brute force under ${metric}, through upserts and deletes`, () => {
      const store = new DocumentStore({ metric });
      const truth = new Map<string, Float32Array>();
      const add = (batch: DocumentInput[], rows: Float32Array) => {
        store.upsert(batch, rows);
        batch.forEach((d, i) => truth.set(d.id, rows.slice(i * DIM, (i + 1) * DIM)));
      };
      add(docs(300), randomRows(300, DIM, 1));
      add(docs(50, 'doc', 280), randomRows(50, DIM, 2)); // 20 replaced, 30 new
      const deleted = Array.from({ length: 60 }, (_, i) => `doc${i * 5}`);
      expect(store.delete([...deleted, 'missing'])).toBe(60);
      for (const id of deleted) truth.delete(id);
      expect(store.size).toBe(truth.size);
      const queries = randomRows(5, DIM, 3);
      for (let q = 0; q < 5; q++) {
        const query = queries.subarray(q * DIM, (q + 1) * DIM);
        const hits = store.search(query, 10);
        const expected = bruteForce(metric, truth, query, 10);
        expect(hits.map((h) => h.document.id)).toEqual(expected.map((e) => e.id));
        hits.forEach((h, i) => expect(h.score).toBeCloseTo(expected[i]!.score, 4));
      }
      const batch = store.searchBatch(queries, 7);
      expect(batch).toHaveLength(5);
      batch.forEach((hits, q) => expect(hits.map((h) => h.document.id)).toEqual(store.search(queries.subarray(q * DIM, (q + 1) * DIM), 7).map((h) => h.document.id)));
      store.dispose();
    });
  }

  it('upsert replaces text, metadata and vector; get / has / vectorOf / ids follow', () => {
    const store = new DocumentStore({ metric: 'dot' });
    store.upsert([{ id: 'a', text: 'one', metadata: { v: 1 } }, { id: 'b' }], [
      [1, 0, 0],
      [0, 1, 0],
    ]);
    expect(store.dim).toBe(3);
    store.upsert([{ id: 'a', text: 'two', metadata: { v: 2 } }], [[0, 0, 5]]);
    expect(store.size).toBe(2);
    expect(store.get(['a', 'b', 'zz'])).toEqual([{ id: 'a', text: 'two', metadata: { v: 2 } }, { id: 'b', text: '', metadata: {} }, undefined]);
    expect(Array.from(store.vectorOf('a')!)).toEqual([0, 0, 5]);
    expect(store.vectorOf('zz')).toBeUndefined();
    expect(store.has('a')).toBe(true);
    expect(store.ids().sort()).toEqual(['a', 'b']);
    expect(store.search([0, 0, 1], 5).map((h) => [h.document.id, h.score])).toEqual([
      ['a', 5],
      ['b', 0],
    ]);
    // The old metadata is gone from the inverted index.
    expect(store.matchingIds({ field: 'v', op: 'eq', value: 1 })).toEqual([]);
    expect(store.matchingIds({ field: 'v', op: 'eq', value: 2 })).toEqual(['a']);
    store.upsert([{ id: 'a', metadata: { v: 3 } }], [[1, 1, 1]]);
    expect(store.matchingIds({ field: 'v', op: 'eq', value: 2 })).toEqual([]);
    expect(store.matchingIds({ field: 'v', op: 'eq', value: 3 })).toEqual(['a']);
    store.dispose();
  });

  it('stores private frozen metadata (a JSON copy)', () => {
    const store = new DocumentStore();
    const metadata = { tags: ['x'], nested: { a: 1 }, dropped: undefined, when: new Date(0) };
    store.upsert([{ id: 'a', metadata }], [[1, 2]]);
    metadata.tags.push('y');
    const stored = store.get(['a'])[0]!.metadata;
    expect(stored).toEqual({ tags: ['x'], nested: { a: 1 }, when: '1970-01-01T00:00:00.000Z' });
    expect(Object.isFrozen(stored) && Object.isFrozen(stored.tags)).toBe(true);
    expect(() => store.upsert([{ id: 'b', metadata: { f: () => 1 } }], [[1, 2]])).toThrow(InvalidArgumentError);
    expect(() => store.upsert([{ id: 'b', metadata: { x: NaN } }], [[1, 2]])).toThrow(InvalidArgumentError);
    expect(() => store.upsert([{ id: 'b', metadata: [] as never }], [[1, 2]])).toThrow(InvalidArgumentError);
    store.dispose();
  });

  it('returns exactly min(k, admitted) hits under a filter, all admitted, matching brute force', () => {
    const store = new DocumentStore({ metric: 'l2' });
    const rows = randomRows(500, DIM, 7);
    const batch = docs(500).map((d, i) => ({ ...d, metadata: { group: i % 10, tag: i % 3 === 0 ? ['a'] : ['b'] } }));
    store.upsert(batch, rows);
    const truth = new Map(batch.map((d, i) => [d.id, rows.slice(i * DIM, (i + 1) * DIM)]));
    const query = randomRows(1, DIM, 8);
    const groupOf = (id: string) => Number(id.slice(3)) % 10;
    for (const [k, expected] of [
      [10, 10],
      [80, 50],
    ] as const) {
      const hits = store.search(query, k, { filter: { field: 'group', op: 'eq', value: 4 } });
      expect(hits).toHaveLength(expected);
      expect(hits.map((h) => h.document.id)).toEqual(bruteForce('l2', truth, query, k, (id) => groupOf(id) === 4).map((e) => e.id));
    }
    // ids (LlamaIndex docIds) intersect the filter; a predicate runs over documents.
    const ids = ['doc4', 'doc14', 'doc5', 'nope'];
    expect(new Set(store.search(query, 10, { ids, filter: { field: 'group', op: 'eq', value: 4 } }).map((h) => h.document.id))).toEqual(new Set(['doc4', 'doc14']));
    let calls = 0;
    const hits = store.search(query, 3, {
      filter: (doc) => {
        calls++;
        return doc.text.endsWith('7');
      },
    });
    expect(calls).toBe(500);
    expect(hits.map((h) => h.document.id)).toEqual(bruteForce('l2', truth, query, 3, (id) => id.endsWith('7')).map((e) => e.id));
    expect(store.search(query, 3, { filter: { field: 'group', op: 'eq', value: 99 } })).toEqual([]);
    store.dispose();
  });

  it('drops hits below minScore and attaches vectors on request', () => {
    const store = new DocumentStore({ metric: 'dot' });
    store.upsert(docs(3), [
      [1, 0],
      [0.5, 0],
      [-1, 0],
    ]);
    const hits = store.search([1, 0], 3, { minScore: 0, includeVectors: true });
    expect(hits.map((h) => h.score)).toEqual([1, 0.5]);
    expect(Array.from(hits[1]!.vector!)).toEqual([0.5, 0]);
    store.dispose();
  });

  it('deleteWhere removes what the filter admits', () => {
    const store = new DocumentStore();
    store.upsert(
      docs(6).map((d, i) => ({ ...d, metadata: { ref_doc_id: `r${i % 2}` } })),
      randomRows(6, 4, 1),
    );
    expect(store.deleteWhere({ field: 'ref_doc_id', op: 'eq', value: 'r1' })).toBe(3);
    expect(store.ids().sort()).toEqual(['doc0', 'doc2', 'doc4']);
    expect(store.search(randomRows(1, 4, 2), 10)).toHaveLength(3);
    store.dispose();
  });

  it('clear empties the store and forgets a dimension the data fixed', () => {
    const store = new DocumentStore();
    store.upsert(docs(2), randomRows(2, 4, 1));
    store.clear();
    expect(store.size).toBe(0);
    expect(store.dim).toBeUndefined();
    expect(store.search([1, 2, 3], 2)).toEqual([]);
    store.upsert(docs(2), randomRows(2, 3, 1));
    expect(store.search([1, 2, 3], 5)).toHaveLength(2);
    const fixed = new DocumentStore({ dim: 4 });
    expect(() => fixed.upsert(docs(1), [[1, 2, 3]])).toThrow(DimensionMismatchError);
    fixed.dispose();
    store.dispose();
  });

  it('validates everything before changing anything', () => {
    const store = new DocumentStore({ dim: 3 });
    store.upsert(docs(2), randomRows(2, 3, 1));
    const before = store.search([1, 1, 1], 5);
    const bad: [unknown, unknown, new (...args: never[]) => Error][] = [
      [[], new Float32Array(0), InvalidArgumentError],
      [docs(2), randomRows(1, 3, 1), InvalidArgumentError],
      [docs(2), new Float32Array(7), DimensionMismatchError],
      [docs(1), [[1, 2]], DimensionMismatchError],
      [docs(2), [[1, 2, 3]], InvalidArgumentError],
      [docs(1), [[1, NaN, 3]], InvalidArgumentError],
      [docs(1), [[1, Infinity, 3]], InvalidArgumentError],
      [docs(1), [[0, 0, 0]], InvalidArgumentError],
      [[{ id: '' }], [[1, 2, 3]], InvalidArgumentError],
      [[{ id: 7 }], [[1, 2, 3]], InvalidArgumentError],
      [[{ id: 'x', text: 5 }], [[1, 2, 3]], InvalidArgumentError],
      [[{ id: 'doc0' }, { id: 'doc0' }], randomRows(2, 3, 5), DuplicateIdError],
      // A bad second document must not let the first (a replacement) through.
      [[{ id: 'doc0', text: 'changed' }, { id: 'y', metadata: { s: Symbol('s') } }], randomRows(2, 3, 6), InvalidArgumentError],
    ];
    for (const [documents, vectors, error] of bad) {
      expect(() => store.upsert(documents as never, vectors as never)).toThrow(error);
    }
    expect(store.size).toBe(2);
    expect(store.get(['doc0'])[0]!.text).toBe('text 0');
    expect(store.search([1, 1, 1], 5)).toEqual(before);
    expect(() => store.search([1, 1], 2)).toThrow(DimensionMismatchError);
    expect(() => store.search([1, NaN, 1], 2)).toThrow(InvalidArgumentError);
    expect(() => store.search([1, 1, 1], 0)).toThrow(InvalidArgumentError);
    expect(() => store.search([1, 1, 1], 1.5)).toThrow(InvalidArgumentError);
    expect(() => store.search([1, 1, 1], 2, { minScore: NaN })).toThrow(InvalidArgumentError);
    expect(() => store.search([1, 1, 1], 2, { filter: { field: 'n', op: 'nope' as never } })).toThrow(InvalidArgumentError);
    expect(() => store.searchBatch(new Float32Array(4), 2)).toThrow(DimensionMismatchError);
    expect(() => store.delete('doc0' as never)).toThrow(InvalidArgumentError); // a bare string is a mistake, not an id list
    expect(() => store.delete([5 as never])).toThrow(InvalidArgumentError);
    expect(() => new DocumentStore({ metric: 'euclid' as never })).toThrow(InvalidArgumentError);
    expect(() => new DocumentStore({ backend: { kind: 'ivf' } as never })).toThrow(InvalidArgumentError);
    expect(() => new DocumentStore({ dim: 0 })).toThrow(InvalidArgumentError);
    store.dispose();
    expect(() => store.size).not.toThrow();
    expect(() => store.search([1, 1, 1], 1)).toThrow(UnsupportedOperationError);
  });
});

describe('a repeated filter', () => {
  it('sees every mutation (its compiled allowlist is kept only until the next one)', () => {
    const dim = 8;
    const store = new DocumentStore({ metric: 'dot' });
    const vectors = randomRows(60, dim, 5);
    store.upsert(docs(60), vectors);
    const filter = { field: 'even', op: 'eq', value: true } as const;
    const q = randomRows(1, dim, 6);
    const ids = () => store.search(q, 100, { filter }).map((hit) => hit.document.id).sort();
    const evenIds = (list: string[]) => list.filter((id) => Number(id.slice(3)) % 2 === 0).sort();
    let expected = evenIds(store.ids());
    expect(ids()).toEqual(expected);
    expect(ids()).toEqual(expected); // served from the kept allowlist

    store.delete(['doc0', 'doc2']);
    expected = evenIds(store.ids());
    expect(ids()).toEqual(expected);

    store.upsert([{ id: 'doc4', metadata: { even: false } }, { id: 'new', metadata: { even: true } }], randomRows(2, dim, 7));
    expect(ids()).toEqual([...expected.filter((id) => id !== 'doc4'), 'new'].sort());

    store.deleteWhere({ field: 'even', op: 'eq', value: true });
    expect(ids()).toEqual([]);

    store.clear();
    store.upsert(docs(3), randomRows(3, dim, 8));
    expect(ids()).toEqual(['doc0', 'doc2']);
    store.dispose();
  });
});

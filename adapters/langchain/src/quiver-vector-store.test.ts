import { MemoryVectorStore } from '@langchain/classic/vectorstores/memory';
import { ScoreThresholdRetriever } from '@langchain/classic/retrievers/score_threshold';
import { Document, type DocumentInterface } from '@langchain/core/documents';
import { Embeddings } from '@langchain/core/embeddings';
import { SyntheticEmbeddings } from '@langchain/core/utils/testing';
import { SeededRandom } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { QuiverVectorStore } from './quiver-vector-store.js';
import type { QuiverSimilarity } from './similarity.js';

/**
 * The cases of LangChain.js's MemoryVectorStore test file
 * (libs/langchain-classic/src/vectorstores/tests/memory.test.ts), run against QuiverVectorStore,
 * with MemoryVectorStore run on the same documents in the same test wherever results can be
 * compared.
 */

const FOUR_GREETINGS = [
  { pageContent: 'hello', metadata: { a: 1 } },
  { pageContent: 'hi', metadata: { a: 1 } },
  { pageContent: 'bye', metadata: { a: 1 } },
  { pageContent: "what's this", metadata: { a: 1 } },
];

const namespaceAtMostTwo = (doc: DocumentInterface): boolean => doc.metadata['namespace'] <= 2;

function contents(docs: readonly DocumentInterface[]): unknown[] {
  return docs.map((doc) => ({ pageContent: doc.pageContent, metadata: doc.metadata }));
}

/** Embeds by table lookup, so tests can place vectors exactly. */
class TableEmbeddings extends Embeddings {
  constructor(private readonly table: ReadonlyMap<string, number[]>) {
    super({});
  }
  async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map((text) => this.lookup(text));
  }
  async embedQuery(text: string): Promise<number[]> {
    return this.lookup(text);
  }
  private lookup(text: string): number[] {
    const vector = this.table.get(text);
    if (!vector) throw new TypeError(`no vector for ${text}`);
    return vector;
  }
}

describe('official MemoryVectorStore cases, translated', () => {
  it('with external ids: similaritySearch returns the matching document', async () => {
    const embeddings = new SyntheticEmbeddings({ vectorSize: 1536 });
    const store = new QuiverVectorStore(embeddings);
    const memory = new MemoryVectorStore(embeddings);
    const ids = await store.addDocuments(FOUR_GREETINGS);
    await memory.addDocuments(FOUR_GREETINGS);

    const results = await store.similaritySearch('hello', 1);
    expect(results).toEqual([new Document({ metadata: { a: 1 }, pageContent: 'hello', id: ids[0] })]);
    expect(contents(results)).toEqual(contents(await memory.similaritySearch('hello', 1)));
  });

  it('stores and retrieves document ids through a filtered retriever', async () => {
    const embeddings = new SyntheticEmbeddings({ vectorSize: 1536 });
    const docs = [1, 2, 3, 4].map((n) => ({ pageContent: 'hello', metadata: { namespace: n }, id: String(n) }));
    const retriever = new QuiverVectorStore(embeddings).asRetriever({ k: 2, filter: namespaceAtMostTwo });
    const memoryRetriever = new MemoryVectorStore(embeddings).asRetriever({ k: 2, filter: namespaceAtMostTwo });
    expect(await retriever.addDocuments(docs)).toEqual(['1', '2', '3', '4']);
    await memoryRetriever.addDocuments(docs);

    const results = await retriever.invoke('hello');
    expect(results).toEqual([
      new Document({ metadata: { namespace: 1 }, pageContent: 'hello', id: '1' }),
      new Document({ metadata: { namespace: 2 }, pageContent: 'hello', id: '2' }),
    ]);
    expect(results).toEqual(await memoryRetriever.invoke('hello'));
  });

  it('as retriever can filter metadata (documents without ids)', async () => {
    const embeddings = new SyntheticEmbeddings({ vectorSize: 1536 });
    const docs = [1, 2, 3, 4].map((n) => ({ pageContent: 'hello', metadata: { namespace: n } }));
    const retriever = new QuiverVectorStore(embeddings).asRetriever({ k: 2, filter: namespaceAtMostTwo });
    const memoryRetriever = new MemoryVectorStore(embeddings).asRetriever({ k: 2, filter: namespaceAtMostTwo });
    const ids = await retriever.addDocuments(docs);
    await memoryRetriever.addDocuments(docs);

    const results = await retriever.invoke('hello');
    expect(contents(results)).toEqual([
      { metadata: { namespace: 1 }, pageContent: 'hello' },
      { metadata: { namespace: 2 }, pageContent: 'hello' },
    ]);
    expect(results.map((doc) => doc.id)).toEqual(ids?.slice(0, 2));
    expect(contents(results)).toEqual(contents(await memoryRetriever.invoke('hello')));
  });

  // Upstream passes a similarity function and counts its calls; ours takes a named similarity,
  // so the translation checks each one against MemoryVectorStore given the matching function.
  it.each<[QuiverSimilarity, (a: number[], b: number[]) => number]>([
    ['cosine', cosine],
    ['dot', dot],
    ['euclidean', (a, b) => -Math.sqrt(squaredDistance(a, b))],
  ])('with similarity %s: same documents and scores as MemoryVectorStore', async (similarity, fn) => {
    const embeddings = new SyntheticEmbeddings({ vectorSize: 1536 });
    const store = await QuiverVectorStore.fromDocuments(FOUR_GREETINGS, embeddings, { similarity });
    const memory = await MemoryVectorStore.fromDocuments(FOUR_GREETINGS, embeddings, { similarity: fn });
    const results = await store.similaritySearchWithScore('hello', 3);
    const expected = await memory.similaritySearchWithScore('hello', 3);
    expect(results).toHaveLength(3);
    expectSameHits(results, expected);
  });

  it('with max marginal relevance: k documents, the same as MemoryVectorStore picks', async () => {
    const embeddings = new SyntheticEmbeddings({ vectorSize: 1536 });
    const store = await QuiverVectorStore.fromDocuments(FOUR_GREETINGS, embeddings);
    const memory = await MemoryVectorStore.fromDocuments(FOUR_GREETINGS, embeddings);
    const results = await store.maxMarginalRelevanceSearch('hello', { k: 3 });
    expect(results).toHaveLength(3);
    expect(contents(results)).toEqual(contents(await memory.maxMarginalRelevanceSearch('hello', { k: 3 })));
  });

  it('sorts results in descending order of similarity, whatever the insertion order', async () => {
    // Upstream scores A, B, C against D with a contrived function (0.23351, 0.062168, 0.169842);
    // here unit vectors at those cosines to D's vector give the same similarities.
    const at = (cos: number): number[] => [cos, Math.sqrt(1 - cos * cos)];
    const table = new Map([
      ['Document A', at(0.23351)],
      ['Document B', at(0.062168)],
      ['Document C', at(0.169842)],
      ['Document D', [1, 0]],
    ]);
    for (const ordering of permutations(['Document A', 'Document B', 'Document C'])) {
      const store = new QuiverVectorStore(new TableEmbeddings(table));
      for (const text of ordering) await store.addDocuments([{ pageContent: text, metadata: { a: 1 } }]);
      const results = await store.similaritySearchWithScore('Document D', 3);
      expect(results.map(([doc]) => doc.pageContent)).toEqual(['Document A', 'Document C', 'Document B']);
      const scores = results.map(([, score]) => score);
      expect(scores[0]).toBeGreaterThan(scores[1]!);
      expect(scores[1]).toBeGreaterThan(scores[2]!);
      expect(scores[0]).toBeCloseTo(0.23351, 6);
    }
  });
});

describe('parity with MemoryVectorStore on a seeded corpus', () => {
  const dim = 12;
  const random = new SeededRandom(7);
  const colours = ['red', 'green', 'blue'];
  const docs = Array.from({ length: 120 }, (_, i) => ({
    pageContent: `doc ${i}`,
    metadata: { colour: colours[i % 3]!, year: 2000 + (i % 5), draft: i % 4 === 0, tags: [`t${i % 2}`] },
    id: `d${i}`,
  }));
  const vectors = docs.map(() => Array.from({ length: dim }, () => random.nextGaussian()));
  const queries = Array.from({ length: 5 }, () => Array.from({ length: dim }, () => random.nextGaussian()));
  const unusedEmbeddings = new SyntheticEmbeddings({ vectorSize: dim });

  async function pair(similarity: QuiverSimilarity, fn: (a: number[], b: number[]) => number) {
    const store = new QuiverVectorStore(unusedEmbeddings, { similarity });
    const memory = new MemoryVectorStore(unusedEmbeddings, { similarity: fn });
    await store.addVectors(vectors, docs);
    await memory.addVectors(vectors, docs);
    return { store, memory };
  }

  it.each<[QuiverSimilarity, (a: number[], b: number[]) => number]>([
    ['cosine', cosine],
    ['dot', dot],
    ['euclidean', (a, b) => -Math.sqrt(squaredDistance(a, b))],
  ])('%s: same hits, order and scores, unfiltered and filtered both ways', async (similarity, fn) => {
    const { store, memory } = await pair(similarity, fn);
    const isBlue2001 = (doc: DocumentInterface) => doc.metadata['colour'] === 'blue' && doc.metadata['year'] === 2001;
    for (const query of queries) {
      expectSameHits(await store.similaritySearchVectorWithScore(query, 10), await memory.similaritySearchVectorWithScore(query, 10));
      const expected = await memory.similaritySearchVectorWithScore(query, 10, isBlue2001);
      expect(expected.length).toBeGreaterThan(0);
      expectSameHits(await store.similaritySearchVectorWithScore(query, 10, isBlue2001), expected);
      expectSameHits(await store.similaritySearchVectorWithScore(query, 10, { colour: 'blue', year: 2001 }), expected);
    }
  });

  it('boolean and null equalities, and filters admitting nothing, match the function form', async () => {
    const { store, memory } = await pair('cosine', cosine);
    const query = queries[0]!;
    const drafts = (doc: DocumentInterface) => doc.metadata['draft'] === true && doc.metadata['colour'] === 'red';
    expectSameHits(await store.similaritySearchVectorWithScore(query, 50, { draft: true, colour: 'red' }), await memory.similaritySearchVectorWithScore(query, 50, drafts));
    expect(await store.similaritySearchVectorWithScore(query, 5, { colour: 'purple' })).toEqual([]);
    expect(await store.similaritySearchVectorWithScore(query, 5, { colour: null })).toEqual([]);
    expect(await store.similaritySearchVectorWithScore(query, 5, () => false)).toEqual([]);
    // An empty object filters nothing, as no filter.
    expectSameHits(await store.similaritySearchVectorWithScore(query, 5, {}), await memory.similaritySearchVectorWithScore(query, 5));
  });

  it('k beyond the admitted documents returns them all, as MemoryVectorStore does', async () => {
    const { store, memory } = await pair('cosine', cosine);
    const hits = await store.similaritySearchVectorWithScore(queries[1]!, 500, { colour: 'green' });
    expect(hits).toHaveLength(40);
    expectSameHits(hits, await memory.similaritySearchVectorWithScore(queries[1]!, 500, (doc) => doc.metadata['colour'] === 'green'));
  });

  it('MMR with filter, fetchK and lambda picks what MemoryVectorStore picks', async () => {
    const table = new Map(docs.map((doc, i) => [doc.pageContent, vectors[i]!]));
    table.set('query', queries[2]!);
    const embeddings = new TableEmbeddings(table);
    const store = await QuiverVectorStore.fromDocuments(docs, embeddings);
    const memory = await MemoryVectorStore.fromDocuments(docs, embeddings);
    for (const options of [{ k: 4 }, { k: 5, fetchK: 30, lambda: 0.2 }, { k: 3, fetchK: 10, lambda: 0.9, filter: (doc: DocumentInterface) => doc.metadata['year'] === 2003 }]) {
      const ours = await store.maxMarginalRelevanceSearch('query', options);
      expect(ours.map((doc) => doc.id)).toEqual((await memory.maxMarginalRelevanceSearch('query', options)).map((doc) => doc.id));
    }
    const mmr = store.asRetriever({ k: 3, searchType: 'mmr', searchKwargs: { fetchK: 12, lambda: 0.3 }, filter: { colour: 'red' } });
    const memoryMmr = memory.asRetriever({ k: 3, searchType: 'mmr', searchKwargs: { fetchK: 12, lambda: 0.3 }, filter: (doc) => doc.metadata['colour'] === 'red' });
    expect((await mmr.invoke('query')).map((doc) => doc.id)).toEqual((await memoryMmr.invoke('query')).map((doc) => doc.id));
  });

  it.each<[QuiverSimilarity, number, (a: number[], b: number[]) => number]>([
    ['cosine', 0.3, cosine],
    ['dot', 4, dot],
    ['euclidean', -4.2, (a, b) => -Math.sqrt(squaredDistance(a, b))],
  ])('ScoreThresholdRetriever (%s, min score %s) keeps the same documents', async (similarity, minSimilarityScore, fn) => {
    const table = new Map(docs.map((doc, i) => [doc.pageContent, vectors[i]!]));
    table.set('query', queries[3]!);
    const embeddings = new TableEmbeddings(table);
    const store = await QuiverVectorStore.fromDocuments(docs, embeddings, { similarity });
    const memory = await MemoryVectorStore.fromDocuments(docs, embeddings, { similarity: fn });
    const options = { minSimilarityScore, maxK: 60, kIncrement: 5 };
    const ours = await ScoreThresholdRetriever.fromVectorStore(store, options).invoke('query');
    const theirs = await ScoreThresholdRetriever.fromVectorStore(memory, options).invoke('query');
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.length).toBeLessThan(60);
    expect(ours.map((doc) => doc.id)).toEqual(theirs.map((doc) => doc.id));
  });
});

describe('ids, upserts and deletes', () => {
  const embeddings = new SyntheticEmbeddings({ vectorSize: 8 });

  it('generates unique ids when absent, takes options.ids over Document ids', async () => {
    const store = new QuiverVectorStore(embeddings);
    expect(await store.similaritySearch('nothing stored yet', 2)).toEqual([]);
    const generated = await store.addDocuments([{ pageContent: 'alpha', metadata: {} }, { pageContent: 'beta', metadata: {}, id: 'b' }]);
    expect(generated[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(generated[1]).toBe('b');
    const given = await store.addDocuments([{ pageContent: 'gamma', metadata: {}, id: 'ignored' }], { ids: ['g'] });
    expect(given).toEqual(['g']);
    expect(store.documentStore.has('ignored')).toBe(false);
    expect(store.size).toBe(3);
    expect(await store.addDocuments([])).toEqual([]);
  });

  it('upserts by id: the new text, metadata and vector replace the old', async () => {
    const store = new QuiverVectorStore(embeddings);
    await store.addDocuments([{ pageContent: 'old text', metadata: { v: 1 } }, { pageContent: 'other', metadata: { v: 1 } }], { ids: ['x', 'y'] });
    await store.addDocuments([{ pageContent: 'brand new', metadata: { v: 2 } }], { ids: ['x'] });
    expect(store.size).toBe(2);
    const [[top, score]] = (await store.similaritySearchWithScore('brand new', 1)) as [[DocumentInterface, number]];
    expect(top).toEqual(new Document({ pageContent: 'brand new', metadata: { v: 2 }, id: 'x' }));
    expect(score).toBeCloseTo(1, 5);
    expect(await store.similaritySearch('old text', 5, { v: 1 })).toEqual([new Document({ pageContent: 'other', metadata: { v: 1 }, id: 'y' })]);
  });

  it('deletes by ids and by filter; unknown ids are ignored', async () => {
    const store = new QuiverVectorStore(embeddings);
    await store.addDocuments(['a', 'b', 'c', 'd'].map((t, i) => ({ pageContent: t, metadata: { even: i % 2 === 0, group: i % 2 } })), { ids: ['a', 'b', 'c', 'd'] });
    await store.delete({ ids: ['a', 'nope'] });
    expect(store.documentStore.ids().sort()).toEqual(['b', 'c', 'd']);
    await store.delete({ filter: { group: 1 } });
    expect(store.documentStore.ids()).toEqual(['c']);
    await store.delete({ filter: (doc) => doc.pageContent === 'c' });
    expect(store.size).toBe(0);
    expect(await store.similaritySearch('a', 3)).toEqual([]);
  });

  it('returned metadata is a deep copy: editing it leaves the store alone', async () => {
    const store = new QuiverVectorStore(embeddings);
    await store.addDocuments([{ pageContent: 'alpha', metadata: { colour: 'red', tags: ['a'] } }]);
    const [doc] = await store.similaritySearch('alpha', 1);
    doc!.metadata['colour'] = 'blue';
    (doc!.metadata['tags'] as string[]).push('b');
    expect(await store.similaritySearch('alpha', 1, { colour: 'red' })).toMatchObject([{ metadata: { colour: 'red', tags: ['a'] } }]);
  });

  it('fromTexts takes one metadata object per text or one for all', async () => {
    const perText = await QuiverVectorStore.fromTexts(['one', 'two'], [{ n: 1 }, { n: 2 }], embeddings, { similarity: 'dot' });
    expect(perText.similarity).toBe('dot');
    expect(await perText.similaritySearch('two', 1, { n: 2 })).toMatchObject([{ pageContent: 'two', metadata: { n: 2 } }]);
    const shared = await QuiverVectorStore.fromTexts(['one', 'two'], { source: 's' }, embeddings);
    expect((await shared.similaritySearch('one', 2, { source: 's' })).map((doc) => doc.pageContent).sort()).toEqual(['one', 'two']);
  });

  it('fromExistingIndex wraps a given document store', async () => {
    const first = await QuiverVectorStore.fromTexts(['one', 'two'], {}, embeddings, { similarity: 'euclidean' });
    const second = await QuiverVectorStore.fromExistingIndex(embeddings, { documentStore: first.documentStore });
    expect(second.similarity).toBe('euclidean');
    expect(second.size).toBe(2);
    expect(await QuiverVectorStore.fromExistingIndex(embeddings).then((s) => s.size)).toBe(0);
  });

  it('dispose frees the store; later calls fail with a typed error', async () => {
    const store = await QuiverVectorStore.fromTexts(['one'], {}, embeddings);
    store.dispose();
    await expect(store.similaritySearch('one', 1)).rejects.toThrow(expect.objectContaining({ code: 'UNSUPPORTED_OPERATION' }));
  });
});

describe('backends', () => {
  const random = new SeededRandom(11);
  const dim = 32;
  const docs = Array.from({ length: 300 }, (_, i) => ({ pageContent: `doc ${i}`, metadata: { group: i % 4 }, id: `d${i}` }));
  const vectors = docs.map(() => Array.from({ length: dim }, () => random.nextGaussian()));
  const embeddings = new SyntheticEmbeddings({ vectorSize: dim });

  it.each([
    { kind: 'turboquant', bitWidth: 4 },
    { kind: 'turboquant', bitWidth: 2, rerank: false },
    { kind: 'hnsw', efSearch: 64 },
  ] as const)('$kind backend: each stored vector finds itself first, filters hold, scores are cosine', async (backend) => {
    const store = new QuiverVectorStore(embeddings, { backend });
    await store.addVectors(vectors, docs);
    expect(store.documentStore.backend.kind).toBe(backend.kind);
    let selfFirst = 0;
    for (let i = 0; i < 40; i++) {
      const hits = await store.similaritySearchVectorWithScore(vectors[i]!, 3, { group: i % 4 });
      expect(hits.every(([doc]) => doc.metadata['group'] === i % 4)).toBe(true);
      if (hits[0]?.[0].id === `d${i}`) selfFirst++;
      for (const [, score] of hits) expect(score).toBeLessThanOrEqual(1 + 1e-5);
    }
    expect(selfFirst).toBeGreaterThanOrEqual(backend.kind === 'turboquant' && !('rerank' in backend) ? 40 : 36);
  });
});

describe('bad input', () => {
  const embeddings = new SyntheticEmbeddings({ vectorSize: 4 });
  const invalid = expect.objectContaining({ code: 'INVALID_ARGUMENT' });

  it('rejects mismatched batches, ragged or non-finite vectors and wrong dimensions', async () => {
    const store = new QuiverVectorStore(embeddings);
    const doc = { pageContent: 'x', metadata: {} };
    await expect(store.addVectors([[1, 2, 3, 4]], [doc, doc])).rejects.toThrow(invalid);
    await expect(store.addVectors([[1, 2, 3, 4], [1, 2]], [doc, { ...doc, id: 'other' }])).rejects.toThrow(expect.objectContaining({ code: 'DIMENSION_MISMATCH' }));
    await expect(store.addVectors([[1, Number.NaN, 3, 4]], [doc])).rejects.toThrow(invalid);
    await expect(store.addVectors([[1, 2, 3, 4]], [doc], { ids: ['a', 'b'] })).rejects.toThrow(invalid);
    await expect(store.addVectors([[1, 2, 3, 4]], [{ pageContent: 7 as unknown as string, metadata: {} }])).rejects.toThrow(invalid);
    await expect(store.addVectors([[1, 2, 3, 4], [4, 3, 2, 1]], [doc, doc], { ids: ['same', 'same'] })).rejects.toThrow(expect.objectContaining({ code: 'DUPLICATE_ID' }));
    expect(store.size).toBe(0);
    await store.addVectors([[1, 2, 3, 4]], [doc]);
    await expect(store.addVectors([[1, 2, 3]], [doc])).rejects.toThrow(expect.objectContaining({ code: 'DIMENSION_MISMATCH' }));
    await expect(store.similaritySearchVectorWithScore([1, 2, 3], 1)).rejects.toThrow(expect.objectContaining({ code: 'DIMENSION_MISMATCH' }));
    await expect(store.similaritySearchVectorWithScore([1, 2, 3, Infinity], 1)).rejects.toThrow(invalid);
  });

  it('rejects bad k, filters, options and delete params', async () => {
    const store = await QuiverVectorStore.fromTexts(['a', 'b'], {}, embeddings);
    await expect(store.similaritySearch('a', 0)).rejects.toThrow(invalid);
    await expect(store.similaritySearch('a', 1.5)).rejects.toThrow(invalid);
    await expect(store.similaritySearch('a', 1, { nested: { x: 1 } } as never)).rejects.toThrow(invalid);
    await expect(store.similaritySearch('a', 1, { list: ['x'] } as never)).rejects.toThrow(invalid);
    await expect(store.maxMarginalRelevanceSearch('a', { k: 2, fetchK: 0 })).rejects.toThrow(invalid);
    await expect(store.delete()).rejects.toThrow(invalid);
    await expect(store.delete({ ids: [1 as unknown as string] })).rejects.toThrow(invalid);
    expect(() => new QuiverVectorStore(embeddings, { similarity: 'manhattan' as never })).toThrow(invalid);
    expect(() => new QuiverVectorStore(embeddings, { documentStore: store.documentStore, similarity: 'dot' })).toThrow(invalid);
    await expect(QuiverVectorStore.fromTexts(['a', 'b'], [{}], embeddings)).rejects.toThrow(invalid);
  });
});

/** Same documents in the same order; ids too where MemoryVectorStore has them; scores to float32 precision. */
function expectSameHits(ours: readonly [DocumentInterface, number][], theirs: readonly [DocumentInterface, number][]): void {
  expect(ours.map(([doc]) => [doc.pageContent, doc.metadata])).toEqual(theirs.map(([doc]) => [doc.pageContent, doc.metadata]));
  theirs.forEach(([doc, score], i) => {
    const [ourDoc, ourScore] = ours[i]!;
    if (doc.id !== undefined) expect(ourDoc.id).toBe(doc.id);
    expect(Math.abs(ourScore - score)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(score)));
  });
}

function cosine(a: number[], b: number[]): number {
  return dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
}

function dot(a: number[], b: number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

function squaredDistance(a: number[], b: number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return sum;
}

function* permutations<T>(items: readonly T[]): Generator<T[]> {
  if (items.length <= 1) {
    yield [...items];
    return;
  }
  for (let i = 0; i < items.length; i++) {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) yield [items[i]!, ...rest];
  }
}

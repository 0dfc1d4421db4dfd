import { SeededRandom } from '@quiver/core-math';
import { getTopKMMREmbeddings, similarity } from '@llamaindex/core/embeddings';
import { Document, NodeRelationship, TextNode, type BaseNode, type Metadata } from '@llamaindex/core/schema';
import { VectorStoreQueryMode, type MetadataFilter, type MetadataFilters } from '@llamaindex/core/vector-store';
import { SimpleVectorStore } from 'llamaindex';
import { beforeEach, describe, expect, it } from 'vitest';
import { parityCorpus, randomVector, unusedEmbedModel } from '../test/support.js';
import { QuiverVectorStore } from './quiver-vector-store.js';

const invalid = expect.objectContaining({ code: 'INVALID_ARGUMENT' });

function quiver(options: ConstructorParameters<typeof QuiverVectorStore>[0] = {}): QuiverVectorStore {
  return new QuiverVectorStore({ embedModel: unusedEmbedModel, ...options });
}

function simple(): SimpleVectorStore {
  return new SimpleVectorStore({ embedModel: unusedEmbedModel });
}

function defaultQuery(queryEmbedding: number[], similarityTopK: number, extra: { filters?: MetadataFilters; docIds?: string[] } = {}) {
  return { queryEmbedding, similarityTopK, mode: VectorStoreQueryMode.DEFAULT, ...extra };
}

// ---------------------------------------------------------------------------------------------
// LlamaIndex.TS's own SimpleVectorStore tests (packages/llamaindex/tests/vector-stores/
// SimpleVectorStore.test.ts), translated: the same nodes and filter cases, run on Quiver's store
// and on SimpleVectorStore side by side. The official test seeds SimpleVectorStore's metadataDict
// by hand because its nodes have no source node (SimpleVectorStore only records metadata of nodes
// with one); Quiver records every node's metadata, so its store needs no seeding.
// ---------------------------------------------------------------------------------------------
describe('official SimpleVectorStore cases, on QuiverVectorStore', () => {
  let nodes: BaseNode[];
  beforeEach(() => {
    const dogs = [
      { name: 'Anakin', dogId: '1', private: 'true', weight: 1.2, type: ['husky', 'puppy'], text: 'The dog is brown' },
      { name: 'Luke', dogId: '2', private: 'false', weight: 2.3, type: ['puppy'], text: 'The dog is yellow' },
      { name: 'Leia', dogId: '3', private: 'false', weight: 3.4, type: ['husky'], text: 'The dog is red' },
    ];
    nodes = dogs.map(({ text, ...metadata }, i) => new TextNode({ id_: String(i + 1), embedding: [0.1, 0.2], text, metadata }));
  });

  function seededSimpleStore(): SimpleVectorStore {
    const metadataDict = Object.fromEntries(nodes.map((node) => [node.id_, node.metadata as Metadata]));
    return new SimpleVectorStore({ embedModel: unusedEmbedModel, data: { embeddingDict: {}, textIdToRefDocId: {}, metadataDict } });
  }

  it('adds nodes and returns their ids', async () => {
    expect(await quiver().add(nodes)).toEqual(['1', '2', '3']);
    expect(await seededSimpleStore().add(nodes)).toEqual(['1', '2', '3']);
  });

  const cases: { title: string; filters?: MetadataFilters; expected: number }[] = [
    { title: 'No filter', expected: 3 },
    { title: 'Filter with non-exist key', filters: { filters: [{ key: 'non-exist-key', value: 'cat', operator: '==' }] }, expected: 0 },
    { title: 'Filter EQ', filters: { filters: [{ key: 'private', value: 'false', operator: '==' }] }, expected: 2 },
    { title: 'Filter NE', filters: { filters: [{ key: 'private', value: 'false', operator: '!=' }] }, expected: 1 },
    { title: 'Filter GT', filters: { filters: [{ key: 'weight', value: 2.3, operator: '>' }] }, expected: 1 },
    { title: 'Filter GTE', filters: { filters: [{ key: 'weight', value: 2.3, operator: '>=' }] }, expected: 2 },
    { title: 'Filter LT', filters: { filters: [{ key: 'weight', value: 2.3, operator: '<' }] }, expected: 1 },
    { title: 'Filter LTE', filters: { filters: [{ key: 'weight', value: 2.3, operator: '<=' }] }, expected: 2 },
    { title: 'Filter IN', filters: { filters: [{ key: 'dogId', value: ['1', '3'], operator: 'in' }] }, expected: 2 },
    { title: 'Filter NIN', filters: { filters: [{ key: 'name', value: ['Anakin', 'Leia'], operator: 'nin' }] }, expected: 1 },
    { title: 'Filter ANY', filters: { filters: [{ key: 'type', value: ['husky', 'puppy'], operator: 'any' }] }, expected: 3 },
    { title: 'Filter ALL', filters: { filters: [{ key: 'type', value: ['husky', 'puppy'], operator: 'all' }] }, expected: 1 },
    { title: 'Filter CONTAINS', filters: { filters: [{ key: 'type', value: 'puppy', operator: 'contains' }] }, expected: 2 },
    { title: 'Filter TEXT_MATCH', filters: { filters: [{ key: 'name', value: 'Luk', operator: 'text_match' }] }, expected: 1 },
    { title: 'Filter IS_EMPTY', filters: { filters: [{ key: 'not-exist-key', operator: 'is_empty' }] }, expected: 3 },
    {
      title: 'Filter OR',
      filters: { filters: [{ key: 'private', value: 'false', operator: '==' }, { key: 'dogId', value: ['1', '3'], operator: 'in' }], condition: 'or' },
      expected: 3,
    },
    {
      title: 'Filter AND',
      filters: { filters: [{ key: 'private', value: 'false', operator: '==' }, { key: 'dogId', value: '10', operator: '==' }], condition: 'and' },
      expected: 0,
    },
  ];

  for (const tc of cases) {
    it(`[${tc.title}] returns ${tc.expected} nodes, the ones SimpleVectorStore returns`, async () => {
      const store = quiver();
      await store.add(nodes);
      const reference = seededSimpleStore();
      await reference.add(nodes);
      const query = defaultQuery([0.1, 0.2], 3, tc.filters ? { filters: tc.filters } : {});
      const result = await store.query(query);
      const expected = await reference.query(query);
      expect(result.ids).toHaveLength(tc.expected);
      // All three embeddings are equal, so the order among ties is unspecified: compare sets.
      expect([...result.ids].sort()).toEqual([...expected.ids].sort());
      for (const s of result.similarities) expect(s).toBeCloseTo(1, 6);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Parity with SimpleVectorStore on the same nodes: every operator over values that probe its
// edges (0, '', numeric strings, null, booleans, empty and mixed arrays, missing keys), AND / OR,
// ids, order and similarities.
// ---------------------------------------------------------------------------------------------
describe('parity with SimpleVectorStore', () => {
  const DIM = 12;
  const N = 88;
  const corpus = parityCorpus(N, DIM);
  const queryEmbedding = randomVector(new SeededRandom(99), DIM);

  async function both(): Promise<[QuiverVectorStore, SimpleVectorStore]> {
    const ours = quiver();
    const theirs = simple();
    await ours.add(corpus);
    await theirs.add(corpus);
    return [ours, theirs];
  }

  const conditions: MetadataFilter[] = [];
  const values = {
    '==': ['Luke', 0, 10, '10', '', 1, 'doc-a'],
    '!=': ['Luke', 0, 10, '10', ''],
    '>': [0, 2, '10', 'abc', -5, 'L'],
    '<': [0, 2, '10', 'abc', -5, 'L'],
    '>=': [0, 2.5, '10', 'abc', ''],
    '<=': [0, 2.5, '10', 'abc', ''],
    in: [['Luke', 'Leia'], [0, 10], ['', 'abc'], [1], []],
    nin: [['Luke', 'Leia'], [0, 10], ['', 'abc'], [1], []],
    any: [['husky'], [0], ['puppy', 'a'], [], [2]],
    all: [['husky', 'puppy'], [], [1, 2], [0, 'a']],
    contains: ['husky', 0, 1, 'a', 'puppy'],
  } as const;
  for (const [operator, list] of Object.entries(values)) {
    for (const value of list) {
      for (const key of ['num', 'str', 'tags', 'missing', 'ref_doc_id']) conditions.push({ key, operator, value } as MetadataFilter);
    }
  }
  // text_match only where SimpleVectorStore does not throw (strings, arrays, missing keys).
  for (const value of ['uk', 'L', '', 'husky', 'doc-']) {
    for (const key of ['str', 'tags', 'missing', 'ref_doc_id']) conditions.push({ key, operator: 'text_match', value });
  }
  for (const key of ['num', 'str', 'tags', 'missing', 'rank']) conditions.push({ key, operator: 'is_empty' });

  it(`matches ids, order and similarities for ${conditions.length} single conditions`, async () => {
    const [ours, theirs] = await both();
    for (const condition of conditions) {
      const query = defaultQuery(queryEmbedding, N, { filters: { filters: [condition] } });
      const expected = await theirs.query(query);
      const result = await ours.query(query);
      expect(result.ids, JSON.stringify(condition)).toEqual(expected.ids);
      result.similarities.forEach((s, i) => expect(s).toBeCloseTo(expected.similarities[i]!, 5));
    }
  });

  it('matches AND / OR combinations and top-k cuts', async () => {
    const [ours, theirs] = await both();
    const random = new SeededRandom(5);
    for (let round = 0; round < 60; round++) {
      const picked = Array.from({ length: 1 + random.nextInt(3) }, () => conditions[random.nextInt(conditions.length)]!);
      const filters: MetadataFilters = { filters: picked, condition: random.nextInt(2) === 0 ? 'and' : 'or' };
      const query = defaultQuery(queryEmbedding, 1 + random.nextInt(12), { filters });
      expect((await ours.query(query)).ids, JSON.stringify(filters)).toEqual((await theirs.query(query)).ids);
    }
  });

  it('keeps the empty AND (everything) and empty OR (nothing) of SimpleVectorStore', async () => {
    const [ours, theirs] = await both();
    for (const condition of ['and', 'or'] as const) {
      const query = defaultQuery(queryEmbedding, 5, { filters: { filters: [], condition } });
      expect((await ours.query(query)).ids).toEqual((await theirs.query(query)).ids);
    }
  });

  it('restricts to docIds (node ids) as SimpleVectorStore does, with and without filters', async () => {
    const [ours, theirs] = await both();
    const docIds = ['node-3', 'node-10', 'node-11', 'node-40', 'node-77', 'not-stored'];
    const filters: MetadataFilters = { filters: [{ key: 'rank', operator: '<', value: 50 }] };
    for (const extra of [{ docIds }, { docIds, filters }, { docIds: [] }]) {
      const query = defaultQuery(queryEmbedding, 10, extra);
      expect((await ours.query(query)).ids).toEqual((await theirs.query(query)).ids);
    }
  });

  it('returns whole nodes: text, metadata and source relationship', async () => {
    const [ours] = await both();
    const result = await ours.query(defaultQuery(queryEmbedding, 3));
    expect(result.nodes).toHaveLength(3);
    result.nodes!.forEach((node, i) => {
      const original = corpus.find((n) => n.id_ === result.ids[i])!;
      expect(node.id_).toBe(original.id_);
      expect((node as TextNode).text).toBe(original.text);
      expect(node.metadata).toEqual(original.metadata);
      expect(node.sourceNode?.nodeId).toBe(original.sourceNode?.nodeId);
    });
  });

  it('upserts by node id like SimpleVectorStore: the later node replaces the earlier one', async () => {
    const [ours, theirs] = await both();
    const replacement = new TextNode({
      id_: 'node-5',
      text: 'replaced',
      metadata: { str: 'replaced' },
      embedding: queryEmbedding,
      relationships: { [NodeRelationship.SOURCE]: new Document({ id_: 'doc-z', text: 'z' }).asRelatedNodeInfo() },
    });
    await ours.add([replacement]);
    await theirs.add([replacement]);
    expect(ours.size).toBe(N);
    const query = defaultQuery(queryEmbedding, 4, { filters: { filters: [{ key: 'str', operator: '==', value: 'replaced' }] } });
    expect((await ours.query(query)).ids).toEqual(['node-5']);
    expect((await theirs.query(query)).ids).toEqual(['node-5']);
    const top = await ours.query(defaultQuery(queryEmbedding, 1));
    expect(top.similarities[0]).toBeCloseTo(1, 5);
    expect((top.nodes![0] as TextNode).text).toBe('replaced');
  });

  it('delete(refDocId) removes the nodes of that source document, as SimpleVectorStore does', async () => {
    const [ours, theirs] = await both();
    await ours.delete('doc-b');
    await theirs.delete('doc-b');
    await ours.delete('no-such-doc');
    const query = defaultQuery(queryEmbedding, N);
    const result = await ours.query(query);
    expect(result.ids).toEqual((await theirs.query(query)).ids);
    expect(ours.size).toBe(corpus.filter((n) => n.sourceNode?.nodeId !== 'doc-b').length);
    expect(ours.client().matchingIds({ field: 'ref_doc_id', op: 'eq', value: 'doc-b' })).toEqual([]);
  });

  it('delete("None") leaves nodes without a source document alone, as SimpleVectorStore does', async () => {
    const store = quiver();
    await store.add([new TextNode({ id_: 'lone', text: 'no source', embedding: [1, 0] })]);
    await store.delete('None');
    expect(store.size).toBe(1);
  });

  it('MMR: the ids and scores of SimpleVectorStore (default threshold 0.5)', async () => {
    const [ours, theirs] = await both();
    for (const extra of [{}, { filters: { filters: [{ key: 'rank', operator: '>=', value: 30 }] } as MetadataFilters }]) {
      const query = { ...defaultQuery(queryEmbedding, 6, extra), mode: VectorStoreQueryMode.MMR };
      const result = await ours.query(query);
      const expected = await theirs.query(query);
      expect(result.ids).toEqual(expected.ids);
      result.similarities.forEach((s, i) => expect(s).toBeCloseTo(expected.similarities[i]!, 5));
    }
  });

  it("MMR honours mmrThreshold as LlamaIndex's getTopKMMREmbeddings defines it", async () => {
    // SimpleVectorStore passes mmrThreshold into getTopKMMREmbeddings' similarity-cutoff slot, so
    // it always runs at 0.5; the reference here is getTopKMMREmbeddings with the threshold.
    const [ours] = await both();
    for (const mmrThreshold of [0.2, 0.8]) {
      const result = await ours.query({ ...defaultQuery(queryEmbedding, 5), mode: VectorStoreQueryMode.MMR, mmrThreshold });
      const embeddings = corpus.map((n) => n.getEmbedding());
      const [scores, ids] = getTopKMMREmbeddings(queryEmbedding, embeddings, null, 5, corpus.map((n) => n.id_), null, mmrThreshold);
      expect(result.ids).toEqual(ids);
      result.similarities.forEach((s, i) => expect(s).toBeCloseTo(scores[i]!, 5));
    }
  });
});

describe('similarity options', () => {
  const DIM = 6;
  const corpus = parityCorpus(30, DIM, 3);
  const queryEmbedding = randomVector(new SeededRandom(4), DIM);

  it.each([
    ['cosine', 'cosine'],
    ['dot', 'dot_product'],
    ['euclidean', 'euclidean'],
  ] as const)("%s: ranks and scores as LlamaIndex's similarity(%s)", async (option, mode) => {
    const store = quiver({ similarity: option });
    await store.add(corpus);
    expect(store.similarity).toBe(option);
    const expected = corpus
      .map((node) => ({ id: node.id_, score: similarity(queryEmbedding, node.getEmbedding(), mode as never) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 8);
    const result = await store.query(defaultQuery(queryEmbedding, 8));
    expect(result.ids).toEqual(expected.map((e) => e.id));
    result.similarities.forEach((s, i) => expect(s).toBeCloseTo(expected[i]!.score, 4));

    const mmr = await store.query({ ...defaultQuery(queryEmbedding, 4), mode: VectorStoreQueryMode.MMR });
    const similarityFn = (a: number[], b: number[]) => similarity(a, b, mode as never);
    const [scores, ids] = getTopKMMREmbeddings(queryEmbedding, corpus.map((n) => n.getEmbedding()), similarityFn, 4, corpus.map((n) => n.id_));
    expect(mmr.ids).toEqual(ids);
    mmr.similarities.forEach((s, i) => expect(s).toBeCloseTo(scores[i]!, 4));
  });
});

describe('input validation', () => {
  const node = (id: string, embedding?: number[]) => new TextNode({ id_: id, text: id, ...(embedding && { embedding }) });

  it('add: an empty batch is a no-op; nodes without embeddings, bad dims, NaN and duplicates throw typed errors and change nothing', async () => {
    const store = quiver();
    expect(await store.add([])).toEqual([]);
    await store.add([node('a', [1, 0])]);
    await expect(store.add([node('b', [0, 1]), node('c')])).rejects.toThrow(invalid);
    await expect(store.add([node('b', [0, 1, 2])])).rejects.toThrow(expect.objectContaining({ code: 'DIMENSION_MISMATCH' }));
    await expect(store.add([node('b', [0, Number.NaN])])).rejects.toThrow(invalid);
    await expect(store.add([node('b', [0, 1]), node('b', [1, 1])])).rejects.toThrow(expect.objectContaining({ code: 'DUPLICATE_ID' }));
    await expect(store.add('nope' as never)).rejects.toThrow(invalid);
    expect(store.client().ids()).toEqual(['a']);
  });

  it('query: bad k, missing or wrong-sized embeddings, bad docIds, filters and thresholds', async () => {
    const store = quiver();
    await store.add([node('a', [1, 0]), node('b', [0, 1])]);
    const ok = defaultQuery([1, 0], 1);
    await expect(store.query({ ...ok, similarityTopK: 0 })).rejects.toThrow(invalid);
    await expect(store.query({ ...ok, similarityTopK: 1.5 })).rejects.toThrow(invalid);
    await expect(store.query({ ...ok, queryEmbedding: undefined })).rejects.toThrow(invalid);
    await expect(store.query({ ...ok, queryEmbedding: [1, 0, 0] })).rejects.toThrow(expect.objectContaining({ code: 'DIMENSION_MISMATCH' }));
    await expect(store.query({ ...ok, queryEmbedding: [Number.POSITIVE_INFINITY, 0] })).rejects.toThrow(invalid);
    await expect(store.query({ ...ok, docIds: [1] as never })).rejects.toThrow(invalid);
    await expect(store.query({ ...ok, filters: { filters: [{ key: 'k', operator: '>', value: [1] }] } })).rejects.toThrow(invalid);
    await expect(store.query({ ...ok, mode: VectorStoreQueryMode.MMR, mmrThreshold: 2 })).rejects.toThrow(invalid);
    await expect(store.delete(7 as never)).rejects.toThrow(invalid);
  });

  it('query modes other than default and mmr throw UnsupportedOperationError', async () => {
    const store = quiver();
    await store.add([node('a', [1, 0])]);
    const unsupported = [
      VectorStoreQueryMode.SPARSE,
      VectorStoreQueryMode.HYBRID,
      VectorStoreQueryMode.SEMANTIC_HYBRID,
      VectorStoreQueryMode.SVM,
      VectorStoreQueryMode.LINEAR_REGRESSION,
      VectorStoreQueryMode.LOGISTIC_REGRESSION,
    ];
    for (const mode of unsupported) {
      await expect(store.query({ ...defaultQuery([1, 0], 1), mode })).rejects.toThrow(expect.objectContaining({ code: 'UNSUPPORTED_OPERATION' }));
    }
  });

  it('an empty store answers with no results; options are checked', async () => {
    expect(await quiver().query(defaultQuery([1, 2, 3], 4))).toEqual({ ids: [], similarities: [], nodes: [] });
    expect(() => quiver({ similarity: 'manhattan' as never })).toThrow(invalid);
  });

  it('storesText is set, so VectorStoreIndex reads nodes from the store', () => {
    const store = quiver();
    expect(store.storesText).toBe(true);
    expect(store.isEmbeddingQuery).toBe(true);
  });
});

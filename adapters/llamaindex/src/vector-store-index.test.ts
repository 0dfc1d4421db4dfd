import { Document, SentenceSplitter, Settings, SimpleVectorStore, VectorStoreIndex, storageContextFromDefaults, type NodeWithScore } from 'llamaindex';
import { TextNode, type BaseNode } from '@llamaindex/core/schema';
import { VectorStoreQueryMode, type BaseVectorStore, type MetadataFilters } from '@llamaindex/core/vector-store';
import { beforeAll, describe, expect, it } from 'vitest';
import { HashingEmbedding } from './testing/index.js';
import { QuiverVectorStore } from './quiver-vector-store.js';

/**
 * LlamaIndex.TS's quick start (Documents -> VectorStoreIndex.fromDocuments -> asRetriever ->
 * retrieve) with only the vector store's constructor changed, run beside the same code on
 * SimpleVectorStore. The embedding is a local hashed bag of words, so nothing leaves the machine.
 */
const PARAGRAPHS: Record<string, string[]> = {
  bees: [
    'Honey bees dance to tell their sisters where flowers are. The angle of the waggle run points to the nectar, its length tells the distance.',
    'A colony of bees keeps its brood near thirty five degrees. Workers shiver their flight muscles to warm the hive in winter.',
  ],
  volcanoes: [
    'Shield volcanoes grow from runny basalt lava that flows far before it cools, which is why Hawaii has such gentle slopes.',
    'Explosive volcanoes trap gas in sticky magma. When the pressure breaks the rock, ash clouds can rise higher than airliners fly.',
  ],
  bread: [
    'Sourdough bread rises because wild yeast and lactic bacteria ferment the flour. The bacteria give the loaf its sour taste.',
    'Bakers fold the dough instead of kneading it hard; gluten strands align and trap the gas that makes the bread open and light.',
  ],
  tides: [
    'Tides follow the moon: its pull raises a bulge of ocean water on the near side of the earth and another on the far side.',
    'Spring tides come when sun and moon line up, neap tides when they pull at right angles and the tidal range is smallest.',
  ],
};

function documents(): Document[] {
  return Object.entries(PARAGRAPHS).map(
    ([topic, paragraphs]) => new Document({ id_: `doc-${topic}`, text: paragraphs.join('\n\n'), metadata: { topic, words: paragraphs.join(' ').split(' ').length } }),
  );
}

beforeAll(() => {
  Settings.embedModel = new HashingEmbedding({ dim: 128 });
});

async function quickStart(vectorStore: BaseVectorStore, docs = documents()) {
  const storageContext = await storageContextFromDefaults({ vectorStore });
  const index = await VectorStoreIndex.fromDocuments(docs, { storageContext });
  return { index, storageContext };
}

/** Node ids are random UUIDs per ingestion, so two indexes are compared by text and score. */
function summary(results: NodeWithScore[]) {
  return results.map(({ node, score }) => ({ text: (node as TextNode).text, score: Number(score?.toFixed(5)) }));
}

describe('VectorStoreIndex quick start with QuiverVectorStore in place of SimpleVectorStore', () => {
  const questions = ['How do bees tell where the flowers are?', 'Why does sourdough taste sour?', 'What makes spring tides?', 'ash clouds from magma'];

  it('retrieves the same nodes with the same scores', async () => {
    const ours = await quickStart(new QuiverVectorStore());
    const theirs = await quickStart(new SimpleVectorStore());
    for (const query of questions) {
      const expected = await theirs.index.asRetriever({ similarityTopK: 3 }).retrieve({ query });
      const results = await ours.index.asRetriever({ similarityTopK: 3 }).retrieve({ query });
      expect(results).toHaveLength(3);
      expect(summary(results)).toEqual(summary(expected));
    }
  });

  it('returns proper nodes: text, document metadata and the source document', async () => {
    const { index } = await quickStart(new QuiverVectorStore());
    const [best] = await index.asRetriever({ similarityTopK: 1 }).retrieve({ query: 'Why does sourdough taste sour?' });
    expect(best!.node).toBeInstanceOf(TextNode);
    expect((best!.node as TextNode).text).toContain('sour');
    expect(best!.node.metadata['topic']).toBe('bread');
    expect(best!.node.sourceNode?.nodeId).toBe('doc-bread');
  });

  it('applies retriever filters and MMR mode as SimpleVectorStore does', async () => {
    const ours = await quickStart(new QuiverVectorStore());
    const theirs = await quickStart(new SimpleVectorStore());
    const filters: MetadataFilters = { filters: [{ key: 'topic', operator: 'in', value: ['bees', 'tides'] }] };
    for (const options of [{ similarityTopK: 4, filters }, { similarityTopK: 3, mode: VectorStoreQueryMode.MMR }]) {
      for (const query of questions) {
        const expected = await theirs.index.asRetriever(options).retrieve({ query });
        const results = await ours.index.asRetriever(options).retrieve({ query });
        expect(summary(results)).toEqual(summary(expected));
      }
    }
  });

  it('insert and deleteRefDoc go through the store (deletion by ref doc id)', async () => {
    // Small chunks, so each document becomes several nodes sharing its ref doc id. (llamaindex
    // 0.12 bundles a Settings copy per entry point, so Settings.nodeParser cannot reach
    // fromDocuments; the nodes are split here and indexed with VectorStoreIndex.init.)
    const nodes = await new SentenceSplitter({ chunkSize: 40, chunkOverlap: 0 }).getNodesFromDocuments(documents());
    const store = new QuiverVectorStore();
    const storageContext = await storageContextFromDefaults({ vectorStore: store });
    const index = await VectorStoreIndex.init({ nodes, storageContext });
    const before = store.size;
    await index.insert(new Document({ id_: 'doc-owls', text: 'Owls turn their heads far round because their eyes cannot move in the sockets.', metadata: { topic: 'owls' } }));
    expect(store.size).toBeGreaterThan(before);
    const [owl] = await index.asRetriever({ similarityTopK: 1 }).retrieve({ query: 'why do owls turn their heads' });
    expect(owl!.node.sourceNode?.nodeId).toBe('doc-owls');

    const breadNodes = store.client().matchingIds({ field: 'ref_doc_id', op: 'eq', value: 'doc-bread' }).length;
    expect(breadNodes).toBeGreaterThan(1);
    // deleteFromDocStore false: the doc store never saw these documents (init took nodes), and
    // SimpleDocumentStore throws a TypeError deleting from an empty collection.
    await index.deleteRefDoc('doc-bread', false);
    expect(store.client().matchingIds({ field: 'ref_doc_id', op: 'eq', value: 'doc-bread' })).toEqual([]);
    expect(store.size).toBe(before + 1 - breadNodes);
    const results = await index.asRetriever({ similarityTopK: 20 }).retrieve({ query: 'sourdough bread' });
    expect(results.some((r) => r.node.metadata['topic'] === 'bread')).toBe(false);
  });

  it('re-ingesting a changed document replaces its nodes (the upserts doc store strategy)', async () => {
    const store = new QuiverVectorStore();
    const reference = new SimpleVectorStore();
    const ours = await quickStart(store);
    const theirs = await quickStart(reference);
    const changed = [new Document({ id_: 'doc-bees', text: 'Bumblebees buzz-pollinate tomatoes.', metadata: { topic: 'bees' } })];
    await VectorStoreIndex.fromDocuments(changed, { storageContext: ours.storageContext });
    await VectorStoreIndex.fromDocuments(changed, { storageContext: theirs.storageContext });
    expect(store.client().matchingIds({ field: 'ref_doc_id', op: 'eq', value: 'doc-bees' })).toHaveLength(1);
    expect(store.size).toBe(Object.keys(reference.toDict().embeddingDict).length);
  });

  it('fromVectorStore works, since the store keeps the text (SimpleVectorStore cannot)', async () => {
    const store = new QuiverVectorStore();
    const { index } = await quickStart(store);
    const reopened = await VectorStoreIndex.fromVectorStore(store);
    for (const query of questions) {
      const expected = await index.asRetriever({ similarityTopK: 2 }).retrieve({ query });
      expect(summary(await reopened.asRetriever({ similarityTopK: 2 }).retrieve({ query }))).toEqual(summary(expected));
    }
    await expect(VectorStoreIndex.fromVectorStore(new SimpleVectorStore())).rejects.toThrow(/does not store text/);
  });

  it('embeds with the store embedModel when one is given', async () => {
    const store = new QuiverVectorStore({ embedModel: new HashingEmbedding({ dim: 16 }) });
    await quickStart(store);
    expect(store.client().dim).toBe(16);
    const nodes: BaseNode[] = (await store.query({ queryEmbedding: new HashingEmbedding({ dim: 16 }).embed('bees'), similarityTopK: 1, mode: VectorStoreQueryMode.DEFAULT })).nodes!;
    expect(nodes).toHaveLength(1);
  });
});

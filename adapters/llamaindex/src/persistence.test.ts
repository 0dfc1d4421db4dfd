import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from '@quiver/core-math';
import { Document, VectorStoreIndex, Settings, storageContextFromDefaults } from 'llamaindex';
import { VectorStoreQueryMode, type MetadataFilters } from '@llamaindex/core/vector-store';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parityCorpus, randomVector, unusedEmbedModel } from '../test/support.js';
import { STORE_FOLDER } from './node/store-folder.js';
import { QuiverVectorStore } from './quiver-vector-store.js';
import { HashingEmbedding } from './testing/index.js';

const folders: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-llamaindex-'));
  folders.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const DIM = 8;
const corpus = parityCorpus(40, DIM, 21);
const queryEmbedding = randomVector(new SeededRandom(8), DIM);
const filters: MetadataFilters = { filters: [{ key: 'tags', operator: 'any', value: ['husky', 'puppy'] }, { key: 'num', operator: '>=', value: 1 }], condition: 'or' };
const queries = [
  { queryEmbedding, similarityTopK: 5, mode: VectorStoreQueryMode.DEFAULT },
  { queryEmbedding, similarityTopK: 5, mode: VectorStoreQueryMode.DEFAULT, filters },
  { queryEmbedding, similarityTopK: 4, mode: VectorStoreQueryMode.MMR },
];

describe('persist and load', () => {
  it('round-trips ids, similarities, nodes and filters, and keeps the similarity', async () => {
    const dir = tempDir();
    const store = new QuiverVectorStore({ embedModel: unusedEmbedModel, similarity: 'euclidean' });
    await store.add(corpus);
    await store.persist(join(dir, 'store'));
    const loaded = await QuiverVectorStore.fromPersistPath(join(dir, 'store'), { embedModel: unusedEmbedModel });
    expect(loaded.similarity).toBe('euclidean');
    expect(loaded.size).toBe(corpus.length);
    for (const query of queries) expect(await loaded.query(query)).toEqual(await store.query(query));
    // Deletion by ref doc id still goes through the reloaded field index.
    await loaded.delete('doc-a');
    expect(loaded.client().matchingIds({ field: 'ref_doc_id', op: 'eq', value: 'doc-a' })).toEqual([]);
  });

  it('fromPersistDir uses a quiver_vector_store folder and starts empty when there is none', async () => {
    const dir = tempDir();
    const store = await QuiverVectorStore.fromPersistDir(dir, { embedModel: unusedEmbedModel });
    expect(store.size).toBe(0);
    expect(store.persistPath).toBe(join(dir, STORE_FOLDER));
    await store.add(corpus.slice(0, 10));
    // Auto-persist, as SimpleVectorStore does once it has a persist path.
    expect(readdirSync(dir)).toEqual([STORE_FOLDER]);
    const reopened = await QuiverVectorStore.fromPersistDir(dir, { embedModel: unusedEmbedModel });
    expect(reopened.size).toBe(10);
    await reopened.delete('doc-b');
    const again = await QuiverVectorStore.fromPersistDir(dir, { embedModel: unusedEmbedModel });
    expect(again.size).toBe(reopened.size);
  });

  it('autoPersist: false saves only on persist()', async () => {
    const dir = tempDir();
    const store = await QuiverVectorStore.fromPersistDir(dir, { embedModel: unusedEmbedModel, autoPersist: false });
    await store.add(corpus.slice(0, 5));
    expect((await QuiverVectorStore.fromPersistDir(dir, { embedModel: unusedEmbedModel })).size).toBe(0);
    await store.persist();
    expect((await QuiverVectorStore.fromPersistDir(dir, { embedModel: unusedEmbedModel })).size).toBe(5);
  });

  it('queues concurrent saves: the last state wins', async () => {
    const dir = tempDir();
    const store = await QuiverVectorStore.fromPersistDir(dir, { embedModel: unusedEmbedModel });
    await Promise.all(corpus.map((node) => store.add([node])));
    const reopened = await QuiverVectorStore.fromPersistDir(dir, { embedModel: unusedEmbedModel });
    expect(reopened.size).toBe(corpus.length);
  });

  it('rejects a similarity or backend that differs from the saved store', async () => {
    const dir = tempDir();
    const store = new QuiverVectorStore({ embedModel: unusedEmbedModel, similarity: 'dot' });
    await store.add(corpus);
    await store.persist(join(dir, 'store'));
    await expect(QuiverVectorStore.fromPersistPath(join(dir, 'store'), { embedModel: unusedEmbedModel, similarity: 'cosine' })).rejects.toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    await expect(QuiverVectorStore.fromPersistPath(join(dir, 'store'), { embedModel: unusedEmbedModel, backend: { kind: 'hnsw' } })).rejects.toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    await expect(QuiverVectorStore.fromPersistPath('', { embedModel: unusedEmbedModel })).rejects.toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('a damaged save fails to load with CorruptFileError', async () => {
    const dir = tempDir();
    const path = join(dir, 'store');
    const store = new QuiverVectorStore({ embedModel: unusedEmbedModel });
    await store.add(corpus);
    await store.persist(path);
    for (const file of readdirSync(path)) {
      const bytes = readFileSync(join(path, file));
      if (bytes.length < 64) continue;
      bytes[bytes.length >> 1] ^= 0xff;
      writeFileSync(join(path, file), bytes);
    }
    await expect(QuiverVectorStore.fromPersistPath(path, { embedModel: unusedEmbedModel })).rejects.toThrow(expect.objectContaining({ code: 'CORRUPT_FILE' }));
  });
});

describe('persisted StorageContext', () => {
  beforeAll(() => {
    Settings.embedModel = new HashingEmbedding({ dim: 64 });
  });

  it('a persisted index reopens in a new StorageContext with the same answers', async () => {
    const persistDir = tempDir();
    const docs = ['Owls hunt at night.', 'Bees make honey from nectar.', 'Tides follow the moon.'].map((text, i) => new Document({ id_: `d${i}`, text }));
    const storageContext = await storageContextFromDefaults({ persistDir, vectorStore: await QuiverVectorStore.fromPersistDir(persistDir) });
    const index = await VectorStoreIndex.fromDocuments(docs, { storageContext });
    const expected = await index.asRetriever({ similarityTopK: 2 }).retrieve({ query: 'honey bees' });

    // A new process: reopen the folder LlamaIndex's own stores and Quiver's share.
    const vectorStore = await QuiverVectorStore.fromPersistDir(persistDir);
    const reopened = await VectorStoreIndex.init({ storageContext: await storageContextFromDefaults({ persistDir, vectorStore }) });
    const results = await reopened.asRetriever({ similarityTopK: 2 }).retrieve({ query: 'honey bees' });
    expect(results.map((r) => [r.node.id_, r.score])).toEqual(expected.map((r) => [r.node.id_, r.score]));
    expect(readdirSync(persistDir).sort()).toEqual(['doc_store.json', 'index_store.json', STORE_FOLDER]);
  });
});

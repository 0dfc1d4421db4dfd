import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HashedEmbeddings } from './testing/hashed-embeddings.js';
import { QuiverVectorStore } from './quiver-vector-store.js';

const embeddings = new HashedEmbeddings(64);
const texts = [
  'the lighthouse keeper climbs the stairs at dusk',
  'a recipe for sourdough bread with a long cold proof',
  'bees dance to tell the hive where the flowers are',
  'the night train crosses the mountains before dawn',
  'sourdough starters need flour water and patience',
];

describe('save / load', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'quiver-langchain-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('round-trips documents, ids, similarity and scores; upserts and deletes work after load', async () => {
    const store = await QuiverVectorStore.fromTexts(texts, texts.map((_, i) => ({ n: i, kind: i % 2 ? 'odd' : 'even' })), embeddings, { similarity: 'dot' });
    await store.save(directory);
    expect((await readdir(directory)).length).toBeGreaterThan(0);

    const loaded = await QuiverVectorStore.load(directory, embeddings);
    expect(loaded).toBeInstanceOf(QuiverVectorStore);
    expect(loaded.similarity).toBe('dot');
    expect(loaded.size).toBe(texts.length);
    for (const query of ['sourdough flour', 'train at night', 'hive']) {
      expect(await loaded.similaritySearchWithScore(query, 3)).toEqual(await store.similaritySearchWithScore(query, 3));
      expect(await loaded.similaritySearch(query, 2, { kind: 'odd' })).toEqual(await store.similaritySearch(query, 2, { kind: 'odd' }));
    }

    const [firstId] = await loaded.addDocuments([{ pageContent: 'honey from the hive', metadata: { n: 2, kind: 'even' } }]);
    const [beesDoc] = await store.similaritySearch('bees dance hive flowers', 1);
    await loaded.addDocuments([{ pageContent: 'wasps build paper nests', metadata: { n: 2, kind: 'even' } }], { ids: [beesDoc!.id!] });
    await loaded.delete({ ids: [firstId!] });
    expect(loaded.size).toBe(texts.length);
    expect((await loaded.similaritySearch('wasps paper nests', 1))[0]).toMatchObject({ id: beesDoc!.id, pageContent: 'wasps build paper nests' });

    // Saving again over the same folder replaces the state; the original store is untouched.
    await loaded.save(directory);
    const reloaded = await QuiverVectorStore.load(directory, embeddings);
    expect((await reloaded.similaritySearch('wasps paper nests', 1))[0]?.pageContent).toBe('wasps build paper nests');
    expect((await store.similaritySearch('bees dance hive flowers', 1))[0]?.pageContent).toBe(texts[2]);
  });

  it('keeps a TurboQuant backend and cosine scores across a round trip', async () => {
    const store = await QuiverVectorStore.fromTexts(texts, {}, embeddings, { backend: { kind: 'turboquant', bitWidth: 4 } });
    await store.save(directory);
    const loaded = await QuiverVectorStore.load(directory, embeddings);
    expect(loaded.documentStore.backend.kind).toBe('turboquant');
    expect(await loaded.similaritySearchWithScore(texts[1]!, 2)).toEqual(await store.similaritySearchWithScore(texts[1]!, 2));
  });

  it('a save that died before its manifest (files of a newer generation left behind) leaves the saved state', async () => {
    const store = await QuiverVectorStore.fromTexts(texts, {}, embeddings);
    await store.save(directory);
    await writeFile(join(directory, 'index-999.qvi'), 'half-written index');
    await writeFile(join(directory, 'documents-999.qvd'), 'half-written documents');
    const loaded = await QuiverVectorStore.load(directory, embeddings);
    expect(await loaded.similaritySearchWithScore(texts[3]!, 2)).toEqual(await store.similaritySearchWithScore(texts[3]!, 2));
  });

  it('fails with a typed error on a missing or corrupt folder', async () => {
    await expect(QuiverVectorStore.load(join(directory, 'absent'), embeddings)).rejects.toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const store = await QuiverVectorStore.fromTexts(texts, {}, embeddings);
    await store.save(directory);
    for (const name of await readdir(directory)) if (name.endsWith('.qvd')) await writeFile(join(directory, name), 'not a document side-car');
    await expect(QuiverVectorStore.load(directory, embeddings)).rejects.toThrow(expect.objectContaining({ code: 'CORRUPT_FILE' }));
    await expect(store.save('')).rejects.toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

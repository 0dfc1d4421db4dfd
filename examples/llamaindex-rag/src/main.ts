import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Document, Settings, SimpleVectorStore, VectorStoreIndex, storageContextFromDefaults, type NodeWithScore } from 'llamaindex';
import { MetadataMode } from '@llamaindex/core/schema';
import { VectorStoreQueryMode, type BaseVectorStore } from '@llamaindex/core/vector-store';
import { QuiverVectorStore } from '@quiver/llamaindex';
import { HashingEmbedding } from '@quiver/llamaindex/testing';

const DATA_DIR = fileURLToPath(new URL('../data/', import.meta.url));

/** One Document per paragraph of data/<topic>.txt, with its topic as metadata. */
async function loadCorpus(): Promise<Document[]> {
  const files = (await readdir(DATA_DIR)).filter((file) => file.endsWith('.txt')).sort();
  const documents: Document[] = [];
  for (const file of files) {
    const topic = basename(file, '.txt');
    const paragraphs = (await readFile(join(DATA_DIR, file), 'utf8')).split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean);
    paragraphs.forEach((text, i) => documents.push(new Document({ id_: `${topic}-${i + 1}`, text, metadata: { topic, file } })));
  }
  return documents;
}

async function buildIndex(documents: Document[], vectorStore: BaseVectorStore): Promise<VectorStoreIndex> {
  const storageContext = await storageContextFromDefaults({ vectorStore });
  return VectorStoreIndex.fromDocuments(documents, { storageContext });
}

function show(results: NodeWithScore[]): void {
  for (const { node, score } of results) {
    const text = node.getContent(MetadataMode.NONE).replace(/\s+/g, ' ');
    console.log(`  ${score?.toFixed(3)}  [${node.metadata['topic']}] ${text.slice(0, 90)}${text.length > 90 ? '...' : ''}`);
  }
}

/**
 * Retrieval with LlamaIndex.TS over the paragraphs in data/, with Quiver's vector store where
 * SimpleVectorStore would be. No LLM is called: the example shows what a RAG pipeline would hand
 * to one. The embedding is a local hashed bag of words (swap in a real model for real use).
 */
async function main(): Promise<void> {
  Settings.embedModel = new HashingEmbedding({ dim: 512 });
  const documents = await loadCorpus();

  // 1. Index. With LlamaIndex's default store this line reads `new SimpleVectorStore()`.
  const vectorStore = new QuiverVectorStore();
  const index = await buildIndex(documents, vectorStore);
  console.log(`Indexed ${vectorStore.size} paragraphs from ${new Set(documents.map((d) => d.metadata['topic'])).size} files in data/.\n`);

  // 2. Retrieve, as a query engine would before calling its LLM.
  const retriever = index.asRetriever({ similarityTopK: 3 });
  const questions = ['Why does sourdough bread taste sour?', 'What causes spring tides?', 'How do bees tell each other where flowers are?', 'What is retrieval augmented generation?'];
  for (const query of questions) {
    console.log(`Q: ${query}`);
    show(await retriever.retrieve({ query }));
  }

  // 3. The same retrieval on SimpleVectorStore: the answers are the same.
  const reference = await buildIndex(await loadCorpus(), new SimpleVectorStore());
  let same = true;
  for (const query of questions) {
    const ours = await retriever.retrieve({ query });
    const theirs = await reference.asRetriever({ similarityTopK: 3 }).retrieve({ query });
    // Node ids are fresh UUIDs per ingestion, so nodes are compared by their text.
    same &&= ours.every((r, i) => r.node.getContent(MetadataMode.NONE) === theirs[i]?.node.getContent(MetadataMode.NONE));
  }
  console.log(`\nSame top 3 as SimpleVectorStore for every question: ${same ? 'yes' : 'NO'}\n`);

  // 4. Metadata filters (every LlamaIndex operator works) and MMR for diverse results.
  const query = 'bacteria that make heat';
  console.log(`Q: ${query}  (filter: topic in [bees, compost])`);
  show(await index.asRetriever({ similarityTopK: 3, filters: { filters: [{ key: 'topic', operator: 'in', value: ['bees', 'compost'] }] } }).retrieve({ query }));
  console.log(`Q: ${query}  (MMR: relevant but not redundant)`);
  show(await index.asRetriever({ similarityTopK: 3, mode: VectorStoreQueryMode.MMR }).retrieve({ query }));

  // 5. Persist beside LlamaIndex's own stores, then reopen as a new process would.
  const persistDir = await mkdtemp(join(tmpdir(), 'quiver-llamaindex-rag-'));
  try {
    const persisted = await QuiverVectorStore.fromPersistDir(persistDir);
    await buildIndexIn(persistDir, persisted, documents);
    const reopened = await VectorStoreIndex.init({
      storageContext: await storageContextFromDefaults({ persistDir, vectorStore: await QuiverVectorStore.fromPersistDir(persistDir) }),
    });
    console.log(`\nPersisted to ${persistDir}: ${(await readdir(persistDir)).sort().join(', ')}`);
    console.log('Reopened; Q: What causes spring tides?');
    show(await reopened.asRetriever({ similarityTopK: 2 }).retrieve({ query: 'What causes spring tides?' }));
  } finally {
    await rm(persistDir, { recursive: true, force: true });
  }
}

async function buildIndexIn(persistDir: string, vectorStore: QuiverVectorStore, documents: Document[]): Promise<void> {
  const storageContext = await storageContextFromDefaults({ persistDir, vectorStore });
  await VectorStoreIndex.fromDocuments(documents, { storageContext });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

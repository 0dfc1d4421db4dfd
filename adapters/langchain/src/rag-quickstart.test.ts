import { MemoryVectorStore } from '@langchain/classic/vectorstores/memory';
import { Document } from '@langchain/core/documents';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { describe, expect, it } from 'vitest';
import { HashedEmbeddings } from './testing/hashed-embeddings.js';
import { QuiverVectorStore } from './quiver-vector-store.js';

/**
 * LangChain.js's retrieval quick start (create documents, `fromDocuments`, `asRetriever({ k })`,
 * `retriever.invoke`) and the RAG tutorial's indexing / retrieval steps (`new Store(embeddings)`,
 * `addDocuments`, `similaritySearch`, an MMR retriever), written once and run with each store:
 * only the constructor differs. A deterministic hashed bag-of-words embedding stands in for
 * OpenAIEmbeddings (no network).
 */
const embeddings = new HashedEmbeddings(256);

const quickStartDocs = [
  new Document({ pageContent: 'LangChain.js is a framework for building LLM applications', metadata: { source: 'docs' } }),
  new Document({ pageContent: 'It provides tools for prompts, chains, agents, and memory', metadata: { source: 'docs' } }),
  new Document({ pageContent: 'Vector stores keep embeddings and find the nearest ones to a query', metadata: { source: 'guide' } }),
  new Document({ pageContent: 'Retrievers return documents relevant to a question', metadata: { source: 'guide' } }),
];

const tutorialSplits = [
  'Task decomposition breaks a complicated task into smaller and simpler steps.',
  'Chain of thought prompting asks the model to think step by step before answering.',
  'Tree of thoughts explores several reasoning paths at each step and searches over them.',
  'Self reflection lets an agent refine past actions by learning from its mistakes.',
  'Short term memory is in-context learning inside the prompt window.',
  'Long term memory keeps information over long periods with an external vector store.',
  'Tool use lets the agent call external APIs for information missing from its weights.',
  'Maximum inner product search finds the stored vectors most similar to a query vector.',
].map((pageContent, i) => new Document({ pageContent, metadata: { source: 'agent-post', section: i < 4 ? 'planning' : 'memory-tools' } }));

type MakeStore = (embeddings: EmbeddingsInterface) => MemoryVectorStore | QuiverVectorStore;
const stores: [string, MakeStore][] = [
  ['MemoryVectorStore', (e) => new MemoryVectorStore(e)],
  ['QuiverVectorStore', (e) => new QuiverVectorStore(e)],
];
type FromDocuments = (docs: Document[], embeddings: EmbeddingsInterface) => Promise<MemoryVectorStore | QuiverVectorStore>;
const factories: [string, FromDocuments][] = [
  ['MemoryVectorStore', (d, e) => MemoryVectorStore.fromDocuments(d, e)],
  ['QuiverVectorStore', (d, e) => QuiverVectorStore.fromDocuments(d, e)],
];

/** The retrieval quick start, verbatim but for the store class and the embeddings. */
async function quickStart(fromDocuments: FromDocuments): Promise<Document[]> {
  const vectorStore = await fromDocuments(quickStartDocs, embeddings);
  const retriever = vectorStore.asRetriever({ k: 2 });
  return retriever.invoke('What is LangChain?');
}

/** The RAG tutorial's index-then-retrieve steps. */
async function ragTutorial(makeStore: MakeStore) {
  const vectorStore = makeStore(embeddings);
  await vectorStore.addDocuments(tutorialSplits);
  const question = 'What is task decomposition?';
  const retrievedDocs = await vectorStore.similaritySearch(question);
  const mmrRetriever = vectorStore.asRetriever({ searchType: 'mmr', k: 2, searchKwargs: { fetchK: 5 } });
  const batch = await mmrRetriever.batch(['How do agents use memory?', 'What does tool use give an agent?']);
  const context = retrievedDocs.map((doc) => doc.pageContent).join('\n\n');
  return { retrievedDocs, batch, context };
}

const strip = (docs: readonly Document[]) => docs.map(({ pageContent, metadata }) => ({ pageContent, metadata }));

describe('LangChain quick-start code with only the store swapped', () => {
  it('retrieval quick start: the same two documents, LangChain first', async () => {
    const [memory, quiver] = await Promise.all(factories.map(([, fromDocuments]) => quickStart(fromDocuments)));
    expect(quiver).toHaveLength(2);
    expect(quiver[0]!.pageContent).toContain('LangChain.js is a framework');
    expect(strip(quiver)).toEqual(strip(memory!));
  });

  it('RAG tutorial: similaritySearch (default k = 4) and an MMR retriever batch agree', async () => {
    const [memory, quiver] = await Promise.all(stores.map(([, makeStore]) => ragTutorial(makeStore)));
    expect(quiver.retrievedDocs).toHaveLength(4);
    expect(quiver.retrievedDocs[0]!.pageContent).toMatch(/^Task decomposition/);
    expect(strip(quiver.retrievedDocs)).toEqual(strip(memory!.retrievedDocs));
    expect(quiver.batch.map(strip)).toEqual(memory!.batch.map(strip));
    expect(quiver.context).toBe(memory!.context);
  });
});

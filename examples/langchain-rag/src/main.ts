import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Document } from '@langchain/core/documents';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { QuiverVectorStore } from '@quiver/langchain';
import { HashedEmbeddings } from '@quiver/langchain/testing';

interface Paragraph {
  readonly id: string;
  readonly topic: string;
  readonly text: string;
}

/** Retrieval with LangChain.js over data/corpus.json, with Quiver's store where MemoryVectorStore would be. */
async function main(): Promise<void> {
  const corpusUrl = new URL('../data/corpus.json', import.meta.url);
  const corpus = JSON.parse(await readFile(corpusUrl, 'utf8')) as Paragraph[];
  const docs = corpus.map((p) => new Document({ pageContent: p.text, metadata: { topic: p.topic, source: `corpus.json#${p.id}` }, id: p.id }));

  // 1. Index. With LangChain's in-memory store this line reads `new MemoryVectorStore(embeddings)`.
  const embeddings = new HashedEmbeddings();
  const vectorStore = new QuiverVectorStore(embeddings);
  await vectorStore.addDocuments(docs);
  console.log(`Indexed ${vectorStore.size} paragraphs (${new Set(corpus.map((p) => p.topic)).size} topics).\n`);

  // 2. Retrieve: a retriever, as a RAG chain would use it.
  const retriever = vectorStore.asRetriever({ k: 3 });
  for (const question of ['Why does sourdough bread taste sour?', 'How do tides work?', 'What is retrieval augmented generation?']) {
    const found = await retriever.invoke(question);
    console.log(`Q: ${question}`);
    for (const doc of found) console.log(`   - [${doc.id}] ${preview(doc.pageContent)}`);
  }

  // Scores (cosine similarity) and a metadata filter, answered from Quiver's inverted index.
  console.log('\nScored search restricted to { topic: "gardening" }: "what do bees need from flowers"');
  for (const [doc, score] of await vectorStore.similaritySearchWithScore('what do bees need from flowers', 3, { topic: 'gardening' })) {
    console.log(`   ${score.toFixed(3)}  [${doc.id}] ${preview(doc.pageContent)}`);
  }

  // Maximal marginal relevance: relevant but not redundant.
  const mmr = vectorStore.asRetriever({ searchType: 'mmr', k: 3, searchKwargs: { fetchK: 10, lambda: 0.5 } });
  console.log('\nMMR retriever: "What does the Moon do?"');
  for (const doc of await mmr.invoke('What does the Moon do?')) console.log(`   - [${doc.id}] ${preview(doc.pageContent)}`);

  // 3. Generate: the retrieved context goes into the prompt a chat model would answer.
  const question = 'How does a night train save time?';
  const context = (await retriever.invoke(question)).map((doc) => doc.pageContent).join('\n\n');
  const prompt = ChatPromptTemplate.fromMessages([
    ['system', 'Answer the question using only this context:\n\n{context}'],
    ['human', '{question}'],
  ]);
  const messages = await prompt.formatMessages({ context, question });
  console.log(`\nPrompt for a chat model (pipe it to ChatOpenAI or any other):\n${messages.map((m) => `[${m.getType()}] ${m.content as string}`).join('\n')}`);

  // Persistence: save, load, keep upserting by id.
  const directory = await mkdtemp(join(tmpdir(), 'quiver-langchain-rag-'));
  try {
    await vectorStore.save(directory);
    const loaded = await QuiverVectorStore.load(directory, embeddings);
    await loaded.addDocuments([new Document({ pageContent: 'Sleeper trains now also carry bicycles in a dedicated wagon.', metadata: { topic: 'railways', source: 'update' }, id: 'rail-01' })]);
    const [top] = await loaded.similaritySearch('night train bicycles', 1);
    console.log(`\nSaved to and loaded from ${directory}: ${loaded.size} paragraphs; after an upsert of rail-01 the top hit for "night train bicycles" is [${top?.id}] ${preview(top?.pageContent ?? '')}`);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

function preview(text: string): string {
  return text.length > 90 ? `${text.slice(0, 87)}...` : text;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

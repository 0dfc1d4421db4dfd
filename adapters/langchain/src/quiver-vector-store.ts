import type { Document, DocumentInterface } from '@langchain/core/documents';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { maximalMarginalRelevance } from '@langchain/core/utils/math';
import { SaveableVectorStore, type MaxMarginalRelevanceSearchOptions } from '@langchain/core/vectorstores';
import { InvalidArgumentError, invariant } from '@quiver/core-math';
import { DocumentStore, frameworkScore, metricOfSimilarity, similarityOfMetric, type BackendSpec, type DocumentHit, type DocumentInput } from '@quiver/docstore';
import { compileFilter, toDocument, type QuiverFilter } from './filters.js';
import type { QuiverSimilarity } from './similarity.js';
import { toQuery, toRowMajor } from './vectors.js';

/** Names this package in argument errors. */
const CALLER = '@quiver/langchain';

const PACKAGE = '[@quiver/langchain]';
/** MemoryVectorStore's MMR candidate count when `fetchK` is not given. */
const DEFAULT_FETCH_K = 20;

export interface QuiverVectorStoreArgs {
  /** How vectors are compared and scored (see `QuiverSimilarity`); default `'cosine'`. */
  readonly similarity?: QuiverSimilarity;
  /** The index under the documents: `{ kind: 'exact' }` (default), `'turboquant'` or `'hnsw'`. */
  readonly backend?: BackendSpec;
  /** Wrap an existing document store (e.g. one loaded by `@quiver/docstore/node`); its metric and backend win. */
  readonly documentStore?: DocumentStore;
}

/** `addVectors` / `addDocuments` options: one id per document; else each Document's `id`, else a new UUID. */
export interface QuiverAddOptions {
  readonly ids?: readonly string[];
}

/** `delete` takes ids, a filter (every matching document goes), or both. */
export interface QuiverDeleteParams {
  readonly ids?: readonly string[];
  readonly filter?: QuiverFilter;
}

/**
 * LangChain.js vector store over Quiver's document store: a drop-in for MemoryVectorStore (same
 * filters, same scores, same ordering) with upserts and deletes by id, exact / TurboQuant / HNSW
 * backends, and crash-safe folder persistence. Documents without an id get a UUID, which is
 * returned and set on the Documents that searches return.
 */
export class QuiverVectorStore extends SaveableVectorStore {
  declare FilterType: QuiverFilter;

  /** The document store holding ids, texts, metadata and vectors. */
  readonly documentStore: DocumentStore;

  constructor(embeddings: EmbeddingsInterface, args: QuiverVectorStoreArgs = {}) {
    const { documentStore, ...config } = args;
    super(embeddings, config);
    if (documentStore !== undefined) {
      if (!(documentStore instanceof DocumentStore)) throw new InvalidArgumentError('documentStore', `${PACKAGE} expected a DocumentStore from @quiver/docstore`);
      if (config.similarity !== undefined && metricOfSimilarity(config.similarity, CALLER) !== documentStore.metric) {
        throw new InvalidArgumentError('similarity', `${PACKAGE} '${config.similarity}' differs from the document store's metric '${documentStore.metric}'`);
      }
      if (config.backend !== undefined && config.backend.kind !== documentStore.backend.kind) {
        throw new InvalidArgumentError('backend', `${PACKAGE} '${config.backend.kind}' differs from the document store's backend '${documentStore.backend.kind}'`);
      }
      this.documentStore = documentStore;
    } else {
      this.documentStore = new DocumentStore({
        metric: metricOfSimilarity(config.similarity ?? 'cosine', CALLER),
        ...(config.backend === undefined ? {} : { backend: config.backend }),
      });
    }
  }

  _vectorstoreType(): string {
    return 'quiver';
  }

  get similarity(): QuiverSimilarity {
    return similarityOfMetric(this.documentStore.metric);
  }

  /** Live documents. */
  get size(): number {
    return this.documentStore.size;
  }

  /** Frees the index memory (it lives in a WebAssembly arena, outside the garbage-collected heap). */
  dispose(): void {
    this.documentStore.dispose();
  }

  /** Inserts or replaces documents by id; returns the ids in input order. */
  async addVectors(vectors: number[][], documents: DocumentInterface[], options?: QuiverAddOptions): Promise<string[]> {
    if (!Array.isArray(documents)) throw new InvalidArgumentError('documents', `${PACKAGE} expected an array of Documents`);
    if (!Array.isArray(vectors) || vectors.length !== documents.length) {
      throw new InvalidArgumentError('vectors', `${PACKAGE} expected one vector per document (${documents.length}), got ${Array.isArray(vectors) ? vectors.length : typeof vectors}`);
    }
    const ids = idsFor(documents, options?.ids);
    if (documents.length === 0) return ids;
    const inputs = documents.map((document, i): DocumentInput => documentInput(document, ids[i]!, i));
    this.documentStore.upsert(inputs, toRowMajor(vectors, this.documentStore.dim));
    return ids;
  }

  /** Embeds the documents' `pageContent`, then `addVectors`. */
  async addDocuments(documents: DocumentInterface[], options?: QuiverAddOptions): Promise<string[]> {
    if (!Array.isArray(documents)) throw new InvalidArgumentError('documents', `${PACKAGE} expected an array of Documents`);
    if (documents.length === 0) return idsFor(documents, options?.ids);
    const texts = documents.map((document, i) => textOf(document, i));
    return this.addVectors(await this.embeddings.embedDocuments(texts), documents, options);
  }

  /** Removes documents by id and/or by filter; ids that are not stored are ignored. */
  override async delete(params?: QuiverDeleteParams): Promise<void> {
    const { ids, filter } = params ?? {};
    if (ids === undefined && filter === undefined) throw new InvalidArgumentError('params', `${PACKAGE} delete needs { ids } or { filter }`);
    if (ids !== undefined) {
      if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) throw new InvalidArgumentError('ids', `${PACKAGE} expected an array of string ids`);
      this.documentStore.delete(ids);
    }
    const compiled = compileFilter(filter);
    if (compiled !== undefined) this.documentStore.delete(this.documentStore.matchingIds(compiled));
  }

  /** The best `k` documents for a query vector with their scores (see `QuiverSimilarity`), best first. */
  async similaritySearchVectorWithScore(query: number[], k: number, filter?: QuiverFilter): Promise<[Document, number][]> {
    const hits = this.search(query, k, filter, false);
    const metric = this.documentStore.metric;
    return hits.map((hit) => [toDocument(hit.document, true), frameworkScore(metric, hit.score)]);
  }

  /**
   * Fetches `fetchK` candidates (default 20) with their stored vectors and picks `k` of them by
   * maximal marginal relevance, exactly as MemoryVectorStore does (cosine MMR, `lambda` 0.5).
   */
  override async maxMarginalRelevanceSearch(query: string, options: MaxMarginalRelevanceSearchOptions<QuiverFilter>): Promise<Document[]> {
    const k = positiveInteger(options?.k, 'k');
    const fetchK = options.fetchK === undefined ? DEFAULT_FETCH_K : positiveInteger(options.fetchK, 'fetchK');
    const queryEmbedding = await this.embeddings.embedQuery(query);
    const candidates = this.search(queryEmbedding, fetchK, options.filter, true);
    const embeddings = candidates.map((hit) => {
      invariant(hit.vector !== undefined, 'the document store returned a hit without the vector it was asked for');
      return Array.from(hit.vector);
    });
    return maximalMarginalRelevance(queryEmbedding, embeddings, options.lambda, k).map((index) => toDocument(candidates[index]!.document, true));
  }

  /** Writes the store into `directory` (crash-safe: a reader sees the old or the new state). Node only. */
  async save(directory: string): Promise<void> {
    const { saveDocumentStore } = await import('@quiver/docstore/node');
    await saveDocumentStore(this.documentStore, directoryArgument(directory));
  }

  /** Loads a store written by `save`; similarity and backend come from the files. Node only. */
  static override async load(directory: string, embeddings: EmbeddingsInterface): Promise<QuiverVectorStore> {
    const { loadDocumentStore } = await import('@quiver/docstore/node');
    return new QuiverVectorStore(embeddings, { documentStore: await loadDocumentStore(directoryArgument(directory)) });
  }

  static override async fromTexts(texts: string[], metadatas: object[] | object, embeddings: EmbeddingsInterface, args?: QuiverVectorStoreArgs): Promise<QuiverVectorStore> {
    if (!Array.isArray(texts)) throw new InvalidArgumentError('texts', `${PACKAGE} expected an array of strings`);
    if (Array.isArray(metadatas) && metadatas.length !== texts.length) {
      throw new InvalidArgumentError('metadatas', `${PACKAGE} expected one metadata object per text (${texts.length}), got ${metadatas.length}`);
    }
    const documents = texts.map((pageContent, i) => ({
      pageContent,
      metadata: (Array.isArray(metadatas) ? metadatas[i] : metadatas) as Record<string, unknown>,
    }));
    return this.fromDocuments(documents, embeddings, args);
  }

  static override async fromDocuments(documents: DocumentInterface[], embeddings: EmbeddingsInterface, args?: QuiverVectorStoreArgs): Promise<QuiverVectorStore> {
    const store = new this(embeddings, args);
    await store.addDocuments(documents);
    return store;
  }

  /** A store over `args.documentStore` when given, else an empty one (as MemoryVectorStore's). */
  static async fromExistingIndex(embeddings: EmbeddingsInterface, args?: QuiverVectorStoreArgs): Promise<QuiverVectorStore> {
    return new this(embeddings, args);
  }

  private search(query: readonly number[], k: number, filter: QuiverFilter | undefined, includeVectors: boolean): DocumentHit[] {
    positiveInteger(k, 'k');
    const vector = toQuery(query, this.documentStore.dim);
    const compiled = compileFilter(filter);
    return this.documentStore.search(vector, k, { ...(compiled === undefined ? {} : { filter: compiled }), includeVectors });
  }
}

function idsFor(documents: readonly DocumentInterface[], given: readonly string[] | undefined): string[] {
  if (given !== undefined) {
    if (!Array.isArray(given) || given.length !== documents.length) {
      throw new InvalidArgumentError('ids', `${PACKAGE} expected one id per document (${documents.length}), got ${Array.isArray(given) ? given.length : typeof given}`);
    }
    return given.map((id, i) => checkedId(id, `ids[${i}]`));
  }
  return documents.map((document, i) => (document?.id === undefined || document.id === null ? crypto.randomUUID() : checkedId(document.id, `documents[${i}].id`)));
}

function checkedId(id: unknown, argument: string): string {
  if (typeof id !== 'string' || id.length === 0) throw new InvalidArgumentError(argument, `${PACKAGE} ids must be non-empty strings, got ${JSON.stringify(id)}`);
  return id;
}

function textOf(document: DocumentInterface, index: number): string {
  if (typeof document !== 'object' || document === null || typeof document.pageContent !== 'string') {
    throw new InvalidArgumentError(`documents[${index}].pageContent`, `${PACKAGE} expected a string`);
  }
  return document.pageContent;
}

function documentInput(document: DocumentInterface, id: string, index: number): DocumentInput {
  const metadata: unknown = document.metadata ?? {};
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new InvalidArgumentError(`documents[${index}].metadata`, `${PACKAGE} expected a plain object`);
  }
  return { id, text: textOf(document, index), metadata: metadata as Record<string, unknown> };
}

function positiveInteger(value: unknown, argument: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(argument, `${PACKAGE} expected a positive integer, got ${String(value)}`);
  }
  return value;
}

function directoryArgument(directory: unknown): string {
  if (typeof directory !== 'string' || directory.length === 0) throw new InvalidArgumentError('directory', `${PACKAGE} expected a directory path`);
  return directory;
}

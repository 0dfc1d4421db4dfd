import { InvalidArgumentError, UnsupportedOperationError } from '@quiver/core-math';
import { DocumentStore, frameworkScore, metricOfSimilarity, similarityOfMetric, type BackendSpec, type DocumentSearchOptions, type DocumentInput } from '@quiver/docstore';
import type { BaseNode } from '@llamaindex/core/schema';
import {
  BaseVectorStore,
  VectorStoreQueryMode,
  type VectorStoreBaseParams,
  type VectorStoreQuery,
  type VectorStoreQueryResult,
} from '@llamaindex/core/vector-store';
import { planMetadataFilters } from './metadata-filters.js';
import { DEFAULT_MMR_THRESHOLD, selectMaximalMarginalRelevance } from './mmr.js';
import { documentToNode, nodeToDocumentInput, REF_DOC_ID_FIELD } from './node-records.js';
import { vectorSimilarity, type QuiverSimilarity } from './similarity.js';

/** Names this package in argument errors. */
const CALLER = '@quiver/llamaindex';

export interface QuiverVectorStoreOptions extends VectorStoreBaseParams {
  /** How vectors compare; see `QuiverSimilarity`. Default `cosine`, SimpleVectorStore's. */
  readonly similarity?: QuiverSimilarity;
  /** The index under the store: exact float32 (default), TurboQuant or HNSW. */
  readonly backend?: BackendSpec;
  /** Fixed up front, else by the first nodes added. */
  readonly dim?: number;
  /**
   * Wrap an existing document store instead of creating one (its metric and backend win; a
   * `similarity` or `backend` given too must agree).
   */
  readonly documentStore?: DocumentStore;
}

export interface QuiverPersistOptions extends Omit<QuiverVectorStoreOptions, 'documentStore'> {
  /**
   * Save after every `add` and `delete`, as SimpleVectorStore does once it has a persist path
   * (which keeps it in step with the doc and index stores of a persisted StorageContext).
   * Default true. Saves are atomic and run one at a time.
   */
  readonly autoPersist?: boolean;
}

const EMPTY_RESULT: VectorStoreQueryResult = Object.freeze({ ids: [], similarities: [], nodes: [] }) as VectorStoreQueryResult;

/** Node-only persistence, loaded on first use so the main entry stays browser-safe. */
const persistence = () => import('./node/store-folder.js');

/**
 * A LlamaIndex.TS vector store over Quiver's `DocumentStore`: a drop-in for SimpleVectorStore
 * (same filters, scores and query modes) that keeps the nodes' text, so `VectorStoreIndex` needs
 * no doc store for it and `VectorStoreIndex.fromVectorStore` works.
 */
export class QuiverVectorStore extends BaseVectorStore<DocumentStore> {
  /** Nodes come back from `query` whole: VectorStoreIndex skips its doc store for text nodes. */
  storesText = true;
  /** Queries are by embedding (LlamaIndex 0.12 does not read the flag; set for stores that do). */
  override isEmbeddingQuery = true;
  readonly similarity: QuiverSimilarity;
  /** Where `add` / `delete` save to when auto-persisting; set by `fromPersistPath` / `fromPersistDir`. */
  persistPath: string | undefined;
  private readonly store: DocumentStore;
  private autoPersist = false;
  /** The save in progress (saves are queued, never concurrent). */
  private saving: Promise<void> = Promise.resolve();

  constructor(options: QuiverVectorStoreOptions = {}) {
    super(options);
    const metric = options.similarity === undefined ? undefined : metricOfSimilarity(options.similarity, CALLER);
    if (options.documentStore !== undefined) {
      this.store = options.documentStore;
      if (metric !== undefined && metric !== this.store.metric) {
        throw new InvalidArgumentError('similarity', `[@quiver/llamaindex] ${options.similarity} differs from the store's metric ${this.store.metric}`);
      }
      if (options.backend !== undefined && options.backend.kind !== this.store.backend.kind) {
        throw new InvalidArgumentError('backend', `[@quiver/llamaindex] ${options.backend.kind} differs from the store's backend ${this.store.backend.kind}`);
      }
    } else {
      this.store = new DocumentStore({ metric: metric ?? 'cosine', ...(options.backend && { backend: options.backend }), ...(options.dim !== undefined && { dim: options.dim }) });
    }
    this.similarity = similarityOfMetric(this.store.metric);
  }

  /**
   * Opens the store saved in `persistDir` (the StorageContext's folder, default `./storage`), in
   * its `quiver_vector_store` subfolder, or starts an empty one there, as
   * `SimpleVectorStore.fromPersistDir` does with `vector_store.json`.
   */
  static async fromPersistDir(persistDir?: string, options: QuiverPersistOptions = {}): Promise<QuiverVectorStore> {
    const { storePathIn } = await persistence();
    return QuiverVectorStore.fromPersistPath(storePathIn(persistDir), options);
  }

  /** Opens the store saved at `persistPath` (the store's own folder), or starts an empty one there. */
  static async fromPersistPath(persistPath: string, options: QuiverPersistOptions = {}): Promise<QuiverVectorStore> {
    if (typeof persistPath !== 'string' || persistPath.length === 0) {
      throw new InvalidArgumentError('persistPath', '[@quiver/llamaindex] expected a non-empty path');
    }
    const { loadStoreIfPresent } = await persistence();
    const { autoPersist = true, ...storeOptions } = options;
    const documentStore = await loadStoreIfPresent(persistPath);
    const store = new QuiverVectorStore({ ...storeOptions, ...(documentStore && { documentStore }) });
    store.persistPath = persistPath;
    store.autoPersist = autoPersist;
    return store;
  }

  /** The document store underneath (ids, texts, metadata, vectors). */
  client(): DocumentStore {
    return this.store;
  }

  /** Live nodes. */
  get size(): number {
    return this.store.size;
  }

  /**
   * Inserts the nodes, replacing any stored node with the same id. Every node needs an embedding
   * (VectorStoreIndex embeds them before calling this). Validates the whole batch first
   * (embeddings, dimensions, ids unique within the batch) and changes nothing when it throws.
   */
  async add(nodes: BaseNode[]): Promise<string[]> {
    if (!Array.isArray(nodes)) throw new InvalidArgumentError('nodes', '[@quiver/llamaindex] expected an array of nodes');
    if (nodes.length === 0) return [];
    const documents: DocumentInput[] = [];
    const embeddings: (readonly number[])[] = [];
    nodes.forEach((node, i) => {
      documents.push(nodeToDocumentInput(node, `nodes[${i}]`));
      const embedding = node.embedding;
      if (!Array.isArray(embedding)) {
        throw new InvalidArgumentError(`nodes[${i}].embedding`, `[@quiver/llamaindex] node ${node.id_} has no embedding; embed nodes before adding them`);
      }
      embeddings.push(embedding);
    });
    this.store.upsert(documents, embeddings);
    await this.persistIfAuto();
    return nodes.map((node) => node.id_);
  }

  /** Removes every node whose source document is `refDocId`, through the store's field index. */
  async delete(refDocId: string): Promise<void> {
    if (typeof refDocId !== 'string') throw new InvalidArgumentError('refDocId', `[@quiver/llamaindex] expected a string, got ${JSON.stringify(refDocId)}`);
    const removed = this.store.deleteWhere({ field: REF_DOC_ID_FIELD, op: 'eq', value: refDocId });
    if (removed > 0) await this.persistIfAuto();
  }

  /**
   * The `similarityTopK` nodes nearest `queryEmbedding` among those admitted by `docIds` (node ids)
   * and `filters`, best first, with SimpleVectorStore's similarities. Modes: DEFAULT and MMR
   * (`mmrThreshold` weighs relevance against diversity, default 0.5, as LlamaIndex's
   * `getTopKMMREmbeddings` defines it); other modes throw `UnsupportedOperationError`.
   */
  async query(query: VectorStoreQuery): Promise<VectorStoreQueryResult> {
    if (typeof query !== 'object' || query === null) throw new InvalidArgumentError('query', '[@quiver/llamaindex] expected a VectorStoreQuery');
    const mode = query.mode ?? VectorStoreQueryMode.DEFAULT;
    if (mode !== VectorStoreQueryMode.DEFAULT && mode !== VectorStoreQueryMode.MMR) {
      throw new UnsupportedOperationError('QuiverVectorStore', `query mode "${String(mode)}"`, 'supported modes are "default" and "mmr"');
    }
    const k = query.similarityTopK;
    if (!Number.isSafeInteger(k) || k < 1) throw new InvalidArgumentError('similarityTopK', `[@quiver/llamaindex] expected a positive integer, got ${String(k)}`);
    const embedding = query.queryEmbedding;
    if (!Array.isArray(embedding) || embedding.length === 0) {
      throw new InvalidArgumentError('queryEmbedding', '[@quiver/llamaindex] expected a non-empty array of numbers');
    }
    const threshold = mode === VectorStoreQueryMode.MMR ? mmrThresholdOf(query.mmrThreshold) : 0;
    const plan = planMetadataFilters(query.filters);
    const docIds = query.docIds;
    if (docIds !== undefined && (!Array.isArray(docIds) || !docIds.every((id) => typeof id === 'string'))) {
      throw new InvalidArgumentError('docIds', '[@quiver/llamaindex] expected an array of node ids');
    }
    if (plan.kind === 'none' || docIds?.length === 0 || this.store.size === 0) return EMPTY_RESULT;
    const options: DocumentSearchOptions = {
      ...(plan.kind === 'expression' && { filter: plan.expression }),
      ...(docIds !== undefined && { ids: docIds }),
    };
    return mode === VectorStoreQueryMode.MMR ? this.queryMmr(embedding, k, threshold, options) : this.queryDefault(embedding, k, options);
  }

  private queryDefault(embedding: readonly number[], k: number, options: DocumentSearchOptions): VectorStoreQueryResult {
    const hits = this.store.search(embedding, k, options);
    const metric = this.store.metric;
    return {
      ids: hits.map((hit) => hit.document.id),
      similarities: hits.map((hit) => frameworkScore(metric, hit.score)),
      nodes: hits.map((hit) => documentToNode(hit.document)),
    };
  }

  /** MMR over every admitted node, as SimpleVectorStore does, with the stored vectors. */
  private queryMmr(embedding: readonly number[], k: number, threshold: number, options: DocumentSearchOptions): VectorStoreQueryResult {
    const metric = this.store.metric;
    const hits = this.store.search(embedding, this.store.size, { ...options, includeVectors: true });
    const candidates = hits.map((hit) => {
      if (hit.vector === undefined) throw new UnsupportedOperationError(`QuiverVectorStore(${this.store.backend.kind})`, 'MMR', 'the backend returned no stored vectors');
      return { similarity: frameworkScore(metric, hit.score), vector: hit.vector };
    });
    const picks = selectMaximalMarginalRelevance(candidates, k, threshold, (a, b) => vectorSimilarity(metric, a, b));
    return {
      ids: picks.map((pick) => hits[pick.index]!.document.id),
      similarities: picks.map((pick) => pick.score),
      nodes: picks.map((pick) => documentToNode(hits[pick.index]!.document)),
    };
  }

  /**
   * Saves the store atomically into the folder `persistPath` (default: the path it was loaded
   * from, else `./storage/quiver_vector_store`). A save interrupted at any point leaves the old or
   * the new state loadable.
   */
  async persist(persistPath?: string): Promise<void> {
    const target = persistPath ?? this.persistPath;
    const save = this.saving.then(async () => {
      const { saveStore, storePathIn } = await persistence();
      await saveStore(this.store, target ?? storePathIn(undefined));
    });
    // The queue continues after a failed save; the caller of that save gets the error.
    this.saving = save.catch(() => undefined);
    return save;
  }

  private async persistIfAuto(): Promise<void> {
    if (this.autoPersist && this.persistPath !== undefined) await this.persist(this.persistPath);
  }
}

function mmrThresholdOf(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MMR_THRESHOLD;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new InvalidArgumentError('mmrThreshold', `[@quiver/llamaindex] expected a number in [0, 1], got ${String(value)}`);
  }
  // LlamaIndex reads `mmrThreshold || 0.5`: a threshold of 0 means the default.
  return value || DEFAULT_MMR_THRESHOLD;
}

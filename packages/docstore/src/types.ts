/** Public types of `@quiver/docstore` (the contract in /work/team/DOCSTORE-API.md). */

// ---- backends -----------------------------------------------------------------------------

export type BackendSpec =
  /** FlatIndex (float32, exact search): the default. */
  | { readonly kind: 'exact' }
  /**
   * TurboQuantIndex: `bitWidth` bits per coordinate (default 4); `rerank` (default true) keeps the
   * float32 originals and rescores a shortlist exactly.
   */
  | { readonly kind: 'turboquant'; readonly bitWidth?: 2 | 3 | 4; readonly rerank?: boolean }
  /** HnswIndex over float32 rows (defaults: m 16, efConstruction 200, efSearch 64). */
  | { readonly kind: 'hnsw'; readonly m?: number; readonly efConstruction?: number; readonly efSearch?: number };

/** A backend spec with every default filled in. */
export type ResolvedBackendSpec =
  | { readonly kind: 'exact' }
  | { readonly kind: 'turboquant'; readonly bitWidth: 2 | 3 | 4; readonly rerank: boolean }
  | { readonly kind: 'hnsw'; readonly m: number; readonly efConstruction: number; readonly efSearch: number };

export type StoreMetric = 'cosine' | 'dot' | 'l2';

export interface DocumentStoreOptions {
  /** Default `cosine`. */
  readonly metric?: StoreMetric;
  /** Default `{ kind: 'exact' }`. */
  readonly backend?: BackendSpec;
  /** Else fixed by the first upsert. */
  readonly dim?: number;
}

// ---- documents ----------------------------------------------------------------------------

/** JSON-serializable metadata (nested objects/arrays allowed; persisted as JSON). */
export type Metadata = Readonly<Record<string, unknown>>;

/** A stored document. Its `metadata` is frozen: the store indexes it. */
export interface DocumentRecord {
  readonly id: string;
  readonly text: string;
  readonly metadata: Metadata;
}

export interface DocumentInput {
  readonly id: string;
  /** Default `''`. */
  readonly text?: string;
  /** Default `{}`. */
  readonly metadata?: Metadata;
}

// ---- filters ------------------------------------------------------------------------------

/**
 * Operators with the semantics of LlamaIndex.TS's SimpleVectorStore (see filter-eval.ts for the
 * exact rules, including its quirks). Fields are top-level metadata keys.
 */
export type FieldOperator =
  | 'eq'
  | 'ne'
  | 'gt'
  | 'gte'
  | 'lt'
  | 'lte'
  | 'in'
  | 'nin'
  | 'contains'
  | 'any'
  | 'all'
  | 'text_match'
  | 'text_match_insensitive'
  | 'is_empty';

export interface FieldCondition {
  readonly field: string;
  readonly op: FieldOperator;
  readonly value?: unknown;
}

export interface FilterGroup {
  readonly condition: 'and' | 'or';
  readonly filters: readonly FilterExpression[];
}

export type FilterExpression = FieldCondition | FilterGroup;

/** A predicate over whole documents (LangChain's function filter). Runs once per live document. */
export type DocumentPredicate = (doc: DocumentRecord) => boolean;

export interface DocumentSearchOptions {
  readonly filter?: FilterExpression | DocumentPredicate;
  /** Only these document ids (LlamaIndex `docIds`); intersected with `filter`. */
  readonly ids?: Iterable<string>;
  /** Drop hits scoring below this. */
  readonly minScore?: number;
  /** Attach each hit's stored vector (for MMR). */
  readonly includeVectors?: boolean;
}

/** score: higher is better. cosine: cosine similarity; dot: inner product; l2: NEGATED squared distance. */
export interface DocumentHit {
  readonly document: DocumentRecord;
  readonly score: number;
  readonly vector?: Float32Array;
}

/** The two persisted parts of a store (see `DocumentStore.toParts`). */
export interface DocumentStoreParts {
  readonly index: Uint8Array;
  readonly documents: Uint8Array;
}

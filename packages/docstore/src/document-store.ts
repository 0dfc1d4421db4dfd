import {
  DimensionMismatchError,
  DuplicateIdError,
  InvalidArgumentError,
  UnsupportedOperationError,
  checkDim,
  checkFinite,
  checkK,
  toFloat32Matrix,
  type SlotBitset,
} from '@quiver/core-math';
import type { IdSearchResult } from '@quiver/idmap';
import { resolveBackend, resolveMetric } from './backends.js';
import { DocumentTable } from './document-table.js';
import { compileFilter } from './filter-eval.js';
import { filterKey } from './filter-key.js';
import { copyMetadata } from './metadata.js';
import { countRows, forEachRow, intersectRows, type RowBits } from './row-bits.js';
import { decodeStoreParts, encodeStoreParts, type StoreState } from './store-codec.js';
import { StoreIndex } from './store-index.js';
import type {
  BackendSpec,
  DocumentHit,
  DocumentInput,
  DocumentPredicate,
  DocumentRecord,
  DocumentSearchOptions,
  DocumentStoreOptions,
  DocumentStoreParts,
  FilterExpression,
  Metadata,
  ResolvedBackendSpec,
  StoreMetric,
} from './types.js';

/** A filter compiled to slots: valid while the store's epoch is unchanged. */
interface CompiledFilter {
  readonly key: string | undefined;
  readonly epoch: number;
  readonly admitted: number;
  readonly slots: SlotBitset | undefined;
}

/** Reads a store's state (the node saver encodes it in chunks); not part of the public API. */
export const readState: unique symbol = Symbol('DocumentStore.readState');

/**
 * Documents (string id, text, JSON metadata) with one vector each, over a Quiver index: FlatIndex
 * (exact, the default), TurboQuantIndex or HnswIndex, wrapped in an IdMapIndex whose u64 ids are the
 * documents' rows. Upsert and delete by id, metadata filters compiled to slot allowlists before
 * scoring, scores higher-is-better (cosine similarity, inner product, negated squared l2).
 *
 * The index memory lives outside the JavaScript heap: call `dispose()` when done.
 */
export class DocumentStore {
  readonly metric: StoreMetric;
  /** The backend, defaults filled in. */
  readonly backend: BackendSpec;
  private readonly spec: ResolvedBackendSpec;
  private readonly configuredDim: number | undefined;
  private dimension: number | undefined;
  private index: StoreIndex | undefined;
  private table = new DocumentTable();
  private disposed = false;
  /** Bumped by every mutation; a cached filter allowlist is valid for one epoch. */
  private epoch = 0;
  private lastFilter: CompiledFilter | undefined;

  constructor(options: DocumentStoreOptions = {}) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object');
    this.metric = resolveMetric(options.metric);
    this.spec = resolveBackend(options.backend);
    this.backend = Object.freeze({ ...this.spec });
    this.configuredDim = options.dim === undefined ? undefined : checkDim(options.dim);
    this.dimension = this.configuredDim;
  }

  /** The vector dimension: the configured one, else fixed by the first upsert. */
  get dim(): number | undefined {
    return this.dimension;
  }

  /** Live documents. */
  get size(): number {
    return this.table.size;
  }

  /**
   * Inserts or replaces (by id) `documents`, vector i being row i of `vectors` (row-major
   * n × dim, or one array per document). Validates everything before changing anything.
   */
  upsert(documents: readonly DocumentInput[], vectors: Float32Array | readonly (readonly number[])[]): void {
    this.checkUsable('upsert');
    const batch = this.checkDocuments(documents);
    const matrix = this.checkVectors(vectors, batch.ids.length);
    const index = this.ensureIndex();
    this.epoch++;
    const rows = new Float64Array(batch.ids.length);
    for (let i = 0; i < batch.ids.length; i++) {
      const existing = this.table.rowOf(batch.ids[i]!);
      if (existing >= 0) {
        index.remove(existing);
        this.table.replace(existing, batch.texts[i]!, batch.metadata[i]!);
        rows[i] = existing;
      } else {
        rows[i] = this.table.insert(batch.ids[i]!, batch.texts[i]!, batch.metadata[i]!);
      }
    }
    index.add(matrix, rows);
  }

  /** Removes the ids that exist; returns how many did. O(1) each. */
  delete(ids: Iterable<string>): number {
    this.checkUsable('delete');
    const list = checkIdList(ids, 'ids');
    let removed = 0;
    for (const id of list) {
      const row = this.table.rowOf(id);
      if (row < 0) continue;
      this.removeRow(row);
      removed++;
    }
    return removed;
  }

  /** Removes every document the filter admits; eq / in / contains / any / all use the inverted index. */
  deleteWhere(filter: FilterExpression): number {
    this.checkUsable('deleteWhere');
    const rows = this.table.filterRows(compileFilter(filter));
    let removed = 0;
    forEachRow(rows, (row) => {
      this.removeRow(row);
      removed++;
    });
    return removed;
  }

  get(ids: readonly string[]): (DocumentRecord | undefined)[] {
    this.checkUsable('get');
    if (!Array.isArray(ids)) throw new InvalidArgumentError('ids', 'must be an array of strings');
    return checkIdList(ids, 'ids').map((id) => {
      const row = this.table.rowOf(id);
      return row < 0 ? undefined : this.table.record(row);
    });
  }

  has(id: string): boolean {
    this.checkUsable('has');
    return this.table.rowOf(checkId(id, 'id')) >= 0;
  }

  /** The stored vector (unit length under cosine); undefined when absent. */
  vectorOf(id: string): Float32Array | undefined {
    this.checkUsable('vectorOf');
    const row = this.table.rowOf(checkId(id, 'id'));
    return row < 0 ? undefined : this.index!.vectorOf(row);
  }

  /** Every live id, in no promised order. */
  ids(): string[] {
    this.checkUsable('ids');
    const out: string[] = [];
    this.table.forEachLive((row) => out.push(this.table.idAt(row)!));
    return out;
  }

  /** Ids of the documents a filter admits. */
  matchingIds(filter: FilterExpression | DocumentPredicate): string[] {
    this.checkUsable('matchingIds');
    const rows = this.filterRows(filter, undefined);
    const out: string[] = [];
    forEachRow(rows, (row) => out.push(this.table.idAt(row)!));
    return out;
  }

  /** Removes every document. A dimension fixed by an upsert (not by the options) is forgotten. */
  clear(): void {
    this.checkUsable('clear');
    this.index?.dispose();
    this.index = undefined;
    this.table.clear();
    this.epoch++;
    this.dimension = this.configuredDim;
  }

  /** One query; hits best first, at most k (exactly min(k, admitted) on the exact backend). */
  search(query: Float32Array | readonly number[], k: number, options: DocumentSearchOptions = {}): DocumentHit[] {
    this.checkUsable('search');
    const vector = this.checkQuery(query);
    return this.searchMany(vector, 1, k, options)[0]!;
  }

  /** n queries (row-major n × dim); one hit list per query. */
  searchBatch(queries: Float32Array, k: number, options: DocumentSearchOptions = {}): DocumentHit[][] {
    this.checkUsable('searchBatch');
    if (!(queries instanceof Float32Array) || queries.length === 0) throw new InvalidArgumentError('queries', 'must be a non-empty Float32Array of n × dim values');
    if (this.dimension !== undefined && queries.length % this.dimension !== 0) {
      throw new DimensionMismatchError(this.dimension, queries.length, 'queries (length is not a multiple of the dimension)');
    }
    checkFinite(queries, 'queries', this.dimension ?? 0);
    const n = this.dimension === undefined ? 1 : queries.length / this.dimension;
    return this.searchMany(queries, n, k, options);
  }

  /** Frees the index memory. Idempotent; later calls other than `dispose` throw. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.index?.dispose();
    this.index = undefined;
    this.table.clear();
  }

  /**
   * The two persisted parts (browser-safe): the index in Quiver's format (`IDMP` wrapping the
   * backend's own format) and the versioned document side-car (`DOCS`), which records the index
   * bytes' length and checksum so a loader can tell they belong together.
   */
  toParts(): DocumentStoreParts {
    return encodeStoreParts(this[readState]());
  }

  /** Rebuilds a store from `toParts()`; any defect or mismatch is a `CorruptFileError`. */
  static fromParts(parts: DocumentStoreParts): DocumentStore {
    const state = decodeStoreParts(parts);
    const store = new DocumentStore({ metric: state.metric, backend: state.backend, ...(state.dim !== undefined ? { dim: state.dim } : {}) });
    store.index = state.index;
    store.table = state.table;
    return store;
  }

  [readState](): StoreState {
    this.checkUsable('toParts');
    return { metric: this.metric, backend: this.spec, dim: this.dimension, index: this.index, table: this.table };
  }

  private searchMany(queries: Float32Array, queryCount: number, k: number, options: DocumentSearchOptions): DocumentHit[][] {
    checkK(k);
    const { minScore, includeVectors } = checkSearchOptions(options);
    const empty = (): DocumentHit[][] => Array.from({ length: queryCount }, () => []);
    const index = this.index;
    if (!index || this.table.size === 0) return empty();
    let filter: SlotBitset | undefined;
    let admitted = this.table.size;
    if (options.filter !== undefined || options.ids !== undefined) {
      const compiled = this.compiledFilter(index, options.filter, options.ids);
      admitted = compiled.admitted;
      if (admitted === 0) return empty();
      filter = compiled.slots;
    }
    // k beyond the admitted count only inflates the result arrays.
    const result = index.search(queries, Math.min(k, admitted), filter, minScore);
    return this.hitsOf(result, includeVectors);
  }

  private hitsOf(result: IdSearchResult, includeVectors: boolean): DocumentHit[][] {
    const rowsOf = new Uint32Array(result.ids.buffer, result.ids.byteOffset, result.ids.length * 2);
    const out: DocumentHit[][] = [];
    for (let q = 0; q < result.queryCount; q++) {
      const hits: DocumentHit[] = [];
      for (let j = 0; j < result.counts[q]!; j++) {
        const at = q * result.k + j;
        const row = rowsOf[at * 2]!;
        const document = this.table.record(row);
        const score = result.scores[at]!;
        hits.push(includeVectors ? { document, score, vector: this.index!.vectorOf(row) } : { document, score });
      }
      out.push(hits);
    }
    return out;
  }

  /**
   * The slot allowlist of a filter. A retriever usually sends the same filter with every query,
   * so the last filter expression's allowlist is kept until the next mutation.
   */
  private compiledFilter(index: StoreIndex, filter: FilterExpression | DocumentPredicate | undefined, ids: Iterable<string> | undefined): CompiledFilter {
    const key = ids === undefined && filter !== undefined && typeof filter !== 'function' ? filterKey(filter) : undefined;
    const cached = this.lastFilter;
    if (key !== undefined && cached && cached.key === key && cached.epoch === this.epoch) return cached;
    const rows = this.filterRows(filter, ids);
    const admitted = countRows(rows);
    const compiled = { key, epoch: this.epoch, admitted, slots: admitted === 0 ? undefined : index.slotsOf(rows, admitted) };
    if (key !== undefined) this.lastFilter = compiled;
    return compiled;
  }

  /** Rows admitted by a filter and an id list (either may be absent). */
  private filterRows(filter: FilterExpression | DocumentPredicate | undefined, ids: Iterable<string> | undefined): RowBits {
    let candidates: RowBits | undefined;
    if (ids !== undefined) candidates = this.table.rowsOfIds(checkIdList(ids, 'options.ids'));
    if (filter === undefined) return candidates ?? this.table.liveRows();
    if (typeof filter === 'function') return this.table.predicateRows(filter, candidates);
    const rows = this.table.filterRows(compileFilter(filter));
    if (candidates) intersectRows(rows, candidates);
    return rows;
  }

  private removeRow(row: number): void {
    this.epoch++;
    this.index!.remove(row);
    this.table.delete(row);
  }

  private ensureIndex(): StoreIndex {
    this.index ??= new StoreIndex(this.spec, this.metric, this.dimension!);
    return this.index;
  }

  private checkDocuments(documents: readonly DocumentInput[]): { ids: string[]; texts: string[]; metadata: Metadata[] } {
    if (!Array.isArray(documents)) throw new InvalidArgumentError('documents', 'must be an array of { id, text?, metadata? }');
    if (documents.length === 0) throw new InvalidArgumentError('documents', 'must not be empty');
    const ids: string[] = [];
    const texts: string[] = [];
    const metadata: Metadata[] = [];
    const seen = new Set<string>();
    documents.forEach((doc: DocumentInput, i) => {
      if (doc === null || typeof doc !== 'object') throw new InvalidArgumentError(`documents[${i}]`, 'must be an object { id, text?, metadata? }');
      const id = checkId(doc.id, `documents[${i}].id`);
      if (seen.has(id)) throw new DuplicateIdError(id);
      seen.add(id);
      const text = doc.text ?? '';
      if (typeof text !== 'string') throw new InvalidArgumentError(`documents[${i}].text`, 'must be a string');
      ids.push(id);
      texts.push(text);
      metadata.push(copyMetadata(doc.metadata, `documents[${i}].metadata`));
    });
    return { ids, texts, metadata };
  }

  /** Validates the vectors of n documents and fixes the dimension if unknown; returns n × dim floats. */
  private checkVectors(vectors: Float32Array | readonly (readonly number[])[], n: number): Float32Array {
    let matrix: Float32Array;
    let dim = this.dimension;
    if (vectors instanceof Float32Array) {
      if (dim === undefined) {
        if (vectors.length === 0 || vectors.length % n !== 0) {
          throw new InvalidArgumentError('vectors', `${vectors.length} values do not split into ${n} vectors`);
        }
        dim = vectors.length / n;
      } else if (vectors.length !== n * dim) {
        if (vectors.length % dim === 0) throw new InvalidArgumentError('vectors', `holds ${vectors.length / dim} vectors for ${n} documents`);
        throw new DimensionMismatchError(dim, vectors.length / n, 'vectors');
      }
      matrix = vectors;
    } else {
      if (!Array.isArray(vectors)) throw new InvalidArgumentError('vectors', 'must be a Float32Array or an array of number arrays');
      if (vectors.length !== n) throw new InvalidArgumentError('vectors', `holds ${vectors.length} vectors for ${n} documents`);
      matrix = toFloat32Matrix(vectors, dim);
      dim ??= matrix.length / n;
    }
    checkDim(dim, 'vector dimension');
    checkFinite(matrix, 'vectors', dim);
    if (this.metric === 'cosine') {
      for (let r = 0; r < n; r++) {
        let norm = 0;
        for (let j = r * dim; j < (r + 1) * dim; j++) norm += matrix[j]! * matrix[j]!;
        if (norm === 0) throw new InvalidArgumentError('vectors', `row ${r} is a zero vector, which has no cosine similarity`);
      }
    }
    this.dimension = dim;
    return matrix;
  }

  private checkQuery(query: Float32Array | readonly number[]): Float32Array {
    let vector: Float32Array;
    if (query instanceof Float32Array) vector = query;
    else if (Array.isArray(query)) {
      if (!query.every((v) => typeof v === 'number')) throw new InvalidArgumentError('query', 'must hold numbers');
      vector = Float32Array.from(query);
    } else throw new InvalidArgumentError('query', 'must be a Float32Array or an array of numbers');
    if (vector.length === 0) throw new InvalidArgumentError('query', 'must not be empty');
    if (this.dimension !== undefined && vector.length !== this.dimension) throw new DimensionMismatchError(this.dimension, vector.length, 'query');
    checkFinite(vector, 'query');
    return vector;
  }

  private checkUsable(operation: string): void {
    if (this.disposed) throw new UnsupportedOperationError('DocumentStore', operation, 'the store was disposed');
  }
}

function checkId(id: unknown, argument: string): string {
  if (typeof id !== 'string' || id.length === 0) throw new InvalidArgumentError(argument, `must be a non-empty string, got ${typeof id === 'string' ? "''" : String(id)}`);
  return id;
}

function checkIdList(ids: Iterable<string>, argument: string): string[] {
  if (ids === null || typeof ids !== 'object' || typeof (ids as Iterable<string>)[Symbol.iterator] !== 'function') {
    throw new InvalidArgumentError(argument, 'must be an iterable of string ids');
  }
  const list: string[] = [];
  let i = 0;
  for (const id of ids) list.push(checkId(id, `${argument}[${i++}]`));
  return list;
}

function checkSearchOptions(options: DocumentSearchOptions): { minScore: number | undefined; includeVectors: boolean } {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object');
  const { minScore, includeVectors, filter } = options;
  if (minScore !== undefined && (typeof minScore !== 'number' || Number.isNaN(minScore))) {
    throw new InvalidArgumentError('options.minScore', `must be a number, got ${String(minScore)}`);
  }
  if (includeVectors !== undefined && typeof includeVectors !== 'boolean') throw new InvalidArgumentError('options.includeVectors', 'must be a boolean');
  if (filter !== undefined && typeof filter !== 'function' && (filter === null || typeof filter !== 'object')) {
    throw new InvalidArgumentError('options.filter', 'must be a filter expression or a predicate (doc) => boolean');
  }
  return { minScore, includeVectors: includeVectors ?? false };
}

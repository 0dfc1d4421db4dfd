import {
  CorruptFileError,
  DimensionMismatchError,
  InvalidArgumentError,
  SlotList,
  checkDim,
  checkFinite,
  normalizeRows,
  toFloat32Matrix,
  type KernelChoice,
} from '@quiver/core-math';
import type { NpzReadOptions, NpzWriteOptions } from '@quiver/io-formats';
import { FlatIndex } from './flat-index.js';
import { decodeStoreArchive, encodeStoreArchive } from './numpy-vector-store-npz.js';

export interface NumpyVectorStoreOptions {
  /** Vector width (numpy-vector-store's `dimensions`). */
  readonly dimensions: number;
  /** Store unit-length vectors (default true); zero vectors are then rejected. */
  readonly normalize?: boolean;
  readonly kernels?: KernelChoice;
}

/** One result: the row index, the metric value in numpy-vector-store's units, and the row's metadata. */
export interface VectorHit<M> {
  readonly index: number;
  readonly value: number;
  readonly metadata: M;
}

export interface SimilaritySearchOptions {
  /** Most hits to return (default 10). */
  readonly topK?: number;
  /** Only hits with `value >= minValue`. */
  readonly minValue?: number;
  /** Only these row indexes are searched (a row listed twice is searched once). */
  readonly withinRows?: ArrayLike<number>;
}

export interface EuclideanSearchOptions {
  readonly topK?: number;
  /** Only hits with distance `value <= maxValue`. */
  readonly maxValue?: number;
  readonly withinRows?: ArrayLike<number>;
}

/** A batch of rows: `number[][]` or a row-major Float32Array of `n × dimensions` values. */
export type StoreVectors = Float32Array | readonly ArrayLike<number>[];

type View = 'stored' | 'unit' | 'l2';

/**
 * numpy-vector-store's `VectorStore` (tvanreenen/numpy-vector-store, 0.5) on Quiver's exact
 * search: rows with an opaque metadata payload each, `cosineSearch` / `dotSearch` /
 * `euclideanSearch`, argument checks in the library's order, hits ordered by value then by
 * ascending row index. Values keep the library's units: cosine and dot are higher-is-better
 * similarities, euclidean is a plain (not squared) distance where lower is better — Quiver's
 * score for it would be `-value²`. See the README for the details and the few deviations.
 */
export class NumpyVectorStore<M = unknown> {
  readonly dimensions: number;
  readonly normalize: boolean;
  private readonly kernels: KernelChoice;
  private rows: M[] = [];
  /** FlatIndexes over the rows: `stored` (as stored, dot), lazily `unit` (normalized copy of a raw store) and `l2`. */
  private views = new Map<View, FlatIndex>();
  /** Zero rows of a raw store, where cosine is undefined. */
  private zeroRows: number[] = [];

  constructor(options: NumpyVectorStoreOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object with dimensions');
    this.dimensions = checkDim(options.dimensions, 'dimensions');
    this.normalize = options.normalize ?? true;
    if (typeof this.normalize !== 'boolean') throw new InvalidArgumentError('normalize', `must be a boolean, got ${String(options.normalize)}`);
    this.kernels = options.kernels ?? 'auto';
  }

  /** Opens an archive written by `toNpz()`; `dimensions` and `normalize` come from the archive. */
  static fromNpz<M = unknown>(bytes: Uint8Array, options: { readonly kernels?: KernelChoice } & NpzReadOptions = {}): NumpyVectorStore<M> {
    const archive = decodeStoreArchive(bytes, options);
    const store = new NumpyVectorStore<M>({ dimensions: archive.dimensions, normalize: archive.normalize, kernels: options.kernels });
    if (archive.rows === 0) return store;
    try {
      store.addRows(archive.vectors.slice(), archive.metadata as M[], 'Loaded vectors');
    } catch (cause) {
      store.dispose();
      if (cause instanceof InvalidArgumentError) throw new CorruptFileError('header', cause.message, { cause });
      throw cause;
    }
    return store;
  }

  /** Number of rows (`len(store)`). */
  get size(): number {
    return this.rows.length;
  }

  /** The metadata payloads, by row; payloads are kept by reference, as in the library. */
  get metadata(): readonly M[] {
    return this.rows;
  }

  /** Appends rows with one metadata payload each, in order; their indexes continue from `size`. */
  add(vectors: StoreVectors, metadata: readonly M[]): void {
    if (!(vectors instanceof Float32Array) && !Array.isArray(vectors)) {
      throw new InvalidArgumentError('vectors', 'must be a 2D array (number[][]) or a row-major Float32Array');
    }
    if (!(vectors instanceof Float32Array) && vectors.some((row) => typeof row === 'number')) {
      throw new InvalidArgumentError('vectors', 'must be a 2D array, got a 1D one');
    }
    const width = vectors instanceof Float32Array ? this.dimensions : (vectors[0]?.length ?? this.dimensions);
    if (width !== this.dimensions) throw new DimensionMismatchError(this.dimensions, width, 'vectors');
    const matrix = toFloat32Matrix(vectors, this.dimensions, 'vectors');
    if (matrix.length === 0) throw new InvalidArgumentError('vectors', 'must not be empty');
    if (matrix.length % this.dimensions !== 0) throw new DimensionMismatchError(this.dimensions, matrix.length, 'vectors (length is not a multiple of dimensions)');
    if (!Array.isArray(metadata)) throw new InvalidArgumentError('metadata', 'must be a 1D array with one payload per vector');
    const count = matrix.length / this.dimensions;
    if (metadata.length !== count) {
      throw new InvalidArgumentError('metadata', `number of vectors (${count}) must match number of metadata items (${metadata.length})`);
    }
    this.addRows(matrix === vectors ? matrix.slice() : matrix, metadata, 'vectors');
  }

  /** The stored vector (normalized when `normalize`) and metadata of a row, or undefined when out of range. */
  get(index: number): { vector: Float32Array; metadata: M } | undefined {
    if (!Number.isInteger(index)) throw new InvalidArgumentError('index', `must be an integer, got ${index}`);
    if (index < 0 || index >= this.rows.length) return undefined;
    return { vector: this.view('stored').reconstruct(index), metadata: this.rows[index]! };
  }

  /** Removes every row (and frees their memory). */
  clear(): void {
    this.dispose();
  }

  /** Rows by cosine similarity, highest first. */
  cosineSearch(query: ArrayLike<number>, options: SimilaritySearchOptions = {}): VectorHit<M>[] {
    return this.search('cosine', query, options.topK, options.minValue, undefined, options.withinRows);
  }

  /** Rows by dot product, highest first (of unit vectors when `normalize`, so then equal to cosine). */
  dotSearch(query: ArrayLike<number>, options: SimilaritySearchOptions = {}): VectorHit<M>[] {
    return this.search('dot', query, options.topK, options.minValue, undefined, options.withinRows);
  }

  /** Rows by Euclidean distance, lowest first (between unit vectors when `normalize`). */
  euclideanSearch(query: ArrayLike<number>, options: EuclideanSearchOptions = {}): VectorHit<M>[] {
    return this.search('euclidean', query, options.topK, undefined, options.maxValue, options.withinRows);
  }

  /** The store as an `.npz` archive (see numpy-vector-store-npz.ts); metadata must be JSON-serializable. */
  toNpz(options: NpzWriteOptions = {}): Uint8Array {
    const n = this.rows.length;
    const vectors = n === 0 ? new Float32Array(0) : this.view('stored').rowsView().slice(0, n * this.dimensions);
    return encodeStoreArchive({ dimensions: this.dimensions, normalize: this.normalize, vectors, rows: n, metadata: this.rows }, options);
  }

  /** Frees the rows' arena memory; the store is empty (and usable) afterwards. */
  dispose(): void {
    for (const view of this.views.values()) view.dispose();
    this.views.clear();
    this.rows = [];
    this.zeroRows = [];
  }

  private newView(metric: 'dot' | 'l2'): FlatIndex {
    return new FlatIndex({ dim: this.dimensions, metric, kernels: this.kernels });
  }

  /** A view of the rows, created on first use (derived views start as a copy of `stored`). */
  private view(name: View): FlatIndex {
    let view = this.views.get(name);
    if (view) return view;
    if (name === 'stored') {
      view = this.newView('dot');
      this.views.set(name, view);
      return view;
    }
    const stored = this.view('stored');
    view = this.newView(name === 'l2' ? 'l2' : 'dot');
    if (this.rows.length > 0) view.add(this.derivedRows(name, stored.rowsView().slice(0, this.rows.length * this.dimensions)));
    this.views.set(name, view);
    return view;
  }

  /** The rows a derived view holds: the stored rows, normalized for `unit` (zero rows stay zero). */
  private derivedRows(name: View, stored: Float32Array): Float32Array {
    if (name === 'unit') normalizeRows(stored, this.dimensions, 'keep');
    return stored;
  }

  /** Checks finiteness and zero norms (with the library's messages), then appends to every view. */
  private addRows(rows: Float32Array, metadata: readonly M[], what: string): void {
    const dim = this.dimensions;
    try {
      checkFinite(rows, 'vectors', dim);
    } catch (cause) {
      throw new InvalidArgumentError('vectors', `${what} contain non-finite values (${(cause as Error).message})`, { cause });
    }
    const first = this.rows.length;
    const norms = this.normalize ? undefined : new Float64Array(rows.length / dim);
    if (this.normalize) {
      try {
        normalizeRows(rows, dim, 'throw', 'vectors');
      } catch (cause) {
        throw new InvalidArgumentError('vectors', `${what} contain zero-norm vectors (${(cause as Error).message})`, { cause });
      }
    } else {
      for (let r = 0; r < norms!.length; r++) {
        let sum = 0;
        for (let j = r * dim; j < (r + 1) * dim; j++) sum += rows[j]! * rows[j]!;
        norms![r] = sum;
      }
    }
    this.view('stored');
    for (const [name, view] of this.views) view.add(name === 'stored' ? rows : this.derivedRows(name, rows.slice()));
    if (norms) norms.forEach((squared, r) => squared === 0 && this.zeroRows.push(first + r));
    for (const payload of metadata) this.rows.push(payload);
  }

  private search(
    metric: 'cosine' | 'dot' | 'euclidean',
    queryInput: ArrayLike<number>,
    topKInput: number | undefined,
    minValue: number | undefined,
    maxValue: number | undefined,
    withinRows: ArrayLike<number> | undefined,
  ): VectorHit<M>[] {
    const query = this.checkQuery(queryInput);
    checkThreshold(minValue, 'minValue');
    checkThreshold(maxValue, 'maxValue');
    const topK = topKInput ?? 10;
    if (!Number.isSafeInteger(topK) || topK <= 0) throw new InvalidArgumentError('topK', `must be an integer greater than 0, got ${String(topKInput)}`);
    if (this.rows.length === 0) return [];
    const selection = withinRows === undefined ? undefined : this.checkWithinRows(withinRows);
    if (selection && selection.size === 0) return [];

    const unitQuery = metric === 'cosine' || this.normalize;
    if (unitQuery) normalizeQuery(query);
    if (metric === 'cosine' && !this.normalize && this.zeroRows.some((row) => !selection || selection.has(row))) {
      throw new InvalidArgumentError('vectors', 'cannot cosine search zero-norm stored vectors; exclude them with withinRows');
    }
    const viewName: View = metric === 'euclidean' ? 'l2' : metric === 'cosine' && !this.normalize ? 'unit' : 'stored';
    const view = this.view(viewName);
    const k = Math.min(topK, selection ? selection.size : this.rows.length);
    const result = view.search(query, k, selection ? { filter: selection } : {});
    const hits: VectorHit<M>[] = [];
    for (let i = 0; i < result.counts[0]!; i++) {
      const index = result.slots[i]!;
      const score = result.scores[i]!;
      const value = metric === 'euclidean' ? Math.sqrt(Math.max(0, -score)) : score;
      // Thresholds cut a prefix of the ranking, so applying them to the top k equals filtering first.
      if ((minValue !== undefined && value < minValue) || (maxValue !== undefined && value > maxValue)) break;
      hits.push({ index, value, metadata: this.rows[index]! });
    }
    return hits;
  }

  private checkQuery(query: ArrayLike<number>): Float32Array {
    if (query === null || typeof query !== 'object' || typeof query.length !== 'number') {
      throw new InvalidArgumentError('query', 'must be a 1D vector');
    }
    if (Array.isArray(query) && query.some((v) => typeof v !== 'number')) throw new InvalidArgumentError('query', 'must be a 1D vector of numbers');
    if (query.length !== this.dimensions) throw new DimensionMismatchError(this.dimensions, query.length, 'query');
    const vector = Float32Array.from(query);
    try {
      checkFinite(vector, 'query');
    } catch (cause) {
      throw new InvalidArgumentError('query', 'must contain only finite values (after conversion to float32)', { cause });
    }
    return vector;
  }

  private checkWithinRows(withinRows: ArrayLike<number>): SlotList {
    if (withinRows === null || typeof withinRows !== 'object' || typeof withinRows.length !== 'number') {
      throw new InvalidArgumentError('withinRows', 'must be a 1D sequence of row indexes');
    }
    const rows = Array.from(withinRows);
    for (const row of rows) {
      if (typeof row !== 'number' || !Number.isInteger(row)) throw new InvalidArgumentError('withinRows', `must contain integer row indexes, got ${String(row)}`);
      if (row < 0 || row >= this.rows.length) throw new InvalidArgumentError('withinRows', `row index ${row} is outside the store (size ${this.rows.length})`);
    }
    return new SlotList(rows);
  }
}

function checkThreshold(value: number | undefined, name: string): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
    throw new InvalidArgumentError(name, `must be finite, got ${String(value)}`);
  }
}

/** Unit length in float64, rounded to float32 (the library's `_normalize_query`). */
function normalizeQuery(query: Float32Array): void {
  let sum = 0;
  for (let i = 0; i < query.length; i++) sum += query[i]! * query[i]!;
  if (sum === 0) throw new InvalidArgumentError('query', 'cannot search with a zero-norm query vector');
  const norm = Math.sqrt(sum);
  for (let i = 0; i < query.length; i++) query[i] = query[i]! / norm;
}

import {
  InvalidArgumentError,
  checkBatch,
  checkK,
  exactScan,
  getKernels,
  parseMetric,
  type KernelChoice,
  type Metric,
  type SearchResult,
} from '@quiver/core-math';
import { ProductQuantizer, PqStorage } from '@quiver/pq';
import { loadHnswIndex } from './hnsw-codec.js';
import { HnswIndex } from './hnsw-index.js';
import { Float32RowStorage } from './row-storage.js';

/**
 * Entry points shaped like kANNolo's Python classes (`DensePlainHNSW`, `DensePQHNSW`,
 * `DenseFlatIndex`), for people coming from it: `buildFromArray(data, dim, options)`,
 * `search(query, k, efSearch)`, `batchSearch(queries, k, efSearch)`, and results as kANNolo gives
 * them: `distances` (the inner product for `dotproduct`, the squared distance for `euclidean`) and
 * `ids`, padded with id −1 when fewer than k are found. The Node entry adds `buildFromFile` (.npy),
 * `save` and `load`.
 */

/** kANNolo's metric names (and Quiver's): `dotproduct` / `ip` / `dot`, `euclidean` / `l2`. */
export type KannoloMetric = 'dotproduct' | 'ip' | 'dot' | 'euclidean' | 'l2';

export interface KannoloBuildOptions {
  /** Links per node (kANNolo's `m`, default 32; level 0 keeps 2m). */
  readonly m?: number;
  readonly efConstruction?: number;
  /** Default `dotproduct`, as in kANNolo. */
  readonly metric?: KannoloMetric;
  readonly seed?: number;
  readonly kernels?: KernelChoice;
}

export interface KannoloResults {
  /** Query-major, k per query: the inner product, or the squared Euclidean distance. */
  readonly distances: Float32Array;
  /** Query-major, k per query; −1 where fewer than k were found. */
  readonly ids: Int32Array;
}

function kannoloMetric(name: KannoloMetric | undefined): Metric {
  const metric = parseMetric(name ?? 'dotproduct');
  if (metric === 'cosine') throw new InvalidArgumentError('metric', "kANNolo's metrics are dotproduct and euclidean");
  return metric;
}

/** Quiver scores (higher is better) to kANNolo distances; padding stays −1 / ±Infinity. */
function toKannolo(result: SearchResult, metric: Metric): KannoloResults {
  const distances = new Float32Array(result.scores.length);
  for (let i = 0; i < distances.length; i++) {
    const score = result.scores[i]!;
    distances[i] = result.slots[i]! < 0 ? (metric === 'l2' ? Infinity : -Infinity) : metric === 'l2' ? -score : score;
  }
  return { distances, ids: result.slots.slice() };
}

function checkEf(efSearch: number): number {
  if (!Number.isSafeInteger(efSearch) || efSearch < 1) throw new InvalidArgumentError('efSearch', `must be a positive integer, got ${efSearch}`);
  return efSearch;
}

/** HNSW over plain float32 vectors (kANNolo's `DensePlainHNSW`). */
export class DensePlainHNSW {
  readonly index: HnswIndex;

  protected constructor(index: HnswIndex) {
    this.index = index;
  }

  /** Builds over `data` (n × dim, row-major). */
  static buildFromArray(data: Float32Array, dim: number, options: KannoloBuildOptions = {}): DensePlainHNSW {
    return new DensePlainHNSW(buildPlain(data, dim, options));
  }

  /** Loads what `toBytes()` wrote. */
  static fromBytes(bytes: Uint8Array): DensePlainHNSW {
    return new DensePlainHNSW(loadHnswIndex(bytes));
  }

  get dim(): number {
    return this.index.dim;
  }

  search(query: Float32Array, k: number, efSearch = 100, earlyExitThreshold?: number): KannoloResults {
    if (query.length !== this.index.dim) checkBatch(query, this.index.dim, 'query');
    return this.batchSearch(query, k, efSearch, earlyExitThreshold);
  }

  batchSearch(queries: Float32Array, k: number, efSearch = 100, earlyExitThreshold?: number): KannoloResults {
    checkK(k);
    const result = this.index.search(queries, k, {
      efSearch: checkEf(efSearch),
      ...(earlyExitThreshold !== undefined ? { earlyExit: earlyExitThreshold } : {}),
    });
    return toKannolo(result, this.index.metric);
  }

  toBytes(): Uint8Array {
    return this.index.toBytes();
  }

  dispose(): void {
    this.index.dispose();
  }
}

function buildPlain(data: Float32Array, dim: number, options: KannoloBuildOptions): HnswIndex {
  const index = new HnswIndex({
    dim,
    metric: kannoloMetric(options.metric),
    M: options.m ?? 32,
    efConstruction: options.efConstruction ?? 200,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.kernels ? { kernels: options.kernels } : {}),
  });
  try {
    index.add(data);
  } catch (error) {
    index.dispose();
    throw error;
  }
  return index;
}

export interface DensePQHNSWOptions extends KannoloBuildOptions {
  /** PQ subspaces (default dim / 8, or the largest divisor of dim below it). */
  readonly pqSubspaces?: number;
  /** Bits per code: 8 (default) or 4. */
  readonly nbits?: 8 | 4;
  /** Keep the float32 vectors to rerank candidates (default true). */
  readonly rerank?: boolean;
}

/**
 * HNSW searched over product-quantized codes (kANNolo's `DensePQHNSW`): the graph is built on the
 * exact vectors, then the storage is swapped for PQ codes (`@quiver/pq`); searches score codes and,
 * by default, rerank the `efSearch` candidates with the float32 vectors kept aside.
 */
export class DensePQHNSW extends DensePlainHNSW {
  readonly quantizer: ProductQuantizer;

  protected constructor(index: HnswIndex, quantizer: ProductQuantizer) {
    super(index);
    this.quantizer = quantizer;
  }

  static override buildFromArray(data: Float32Array, dim: number, options: DensePQHNSWOptions = {}): DensePQHNSW {
    const index = buildPlain(data, dim, options);
    const quantizer = new ProductQuantizer({
      dim,
      M: options.pqSubspaces ?? defaultSubspaces(dim),
      nbits: options.nbits ?? 8,
      metric: index.metric,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.kernels ? { kernels: options.kernels } : {}),
    });
    try {
      quantizer.train(data);
      const codes = new PqStorage({ quantizer, initialCapacity: index.slotCount });
      codes.append(data);
      index.swapStorage(codes, { keepAsRerank: options.rerank ?? true });
    } catch (error) {
      index.dispose();
      quantizer.dispose();
      throw error;
    }
    return new DensePQHNSW(index, quantizer);
  }

  override batchSearch(queries: Float32Array, k: number, efSearch = 100, earlyExitThreshold?: number): KannoloResults {
    checkK(k);
    const result = this.index.search(queries, k, {
      efSearch: checkEf(efSearch),
      ...(this.index.rerankStorage ? { rerank: Math.max(k, efSearch) } : {}),
      ...(earlyExitThreshold !== undefined ? { earlyExit: earlyExitThreshold } : {}),
    });
    return toKannolo(result, this.index.metric);
  }

  /** Bytes per vector of the PQ code. */
  get codeBytesPerVector(): number {
    return this.quantizer.codeSize;
  }

  /** Resident bytes per vector: code, graph (links and search scratch) and an in-memory rerank copy (a file takes none). */
  get bytesPerVector(): number {
    return this.index.byteLength / Math.max(1, this.index.slotCount);
  }

  /** Loads what `toBytes()` wrote (graph, PQ codes, codebooks, and the float32 rerank copy if kept). */
  static override fromBytes(bytes: Uint8Array): DensePQHNSW {
    const index = loadHnswIndex(bytes);
    if (!(index.storage instanceof PqStorage)) {
      index.dispose();
      throw new InvalidArgumentError('bytes', 'hold an HNSW index over plain vectors: load it with DensePlainHNSW');
    }
    return new DensePQHNSW(index, index.storage.quantizer);
  }

  /** Quiver's `HNSW` format with PQ storage; a rerank storage read from a file is left out. */
  override toBytes(): Uint8Array {
    return this.index.toBytes();
  }

  override dispose(): void {
    super.dispose();
    this.quantizer.dispose();
  }
}

function defaultSubspaces(dim: number): number {
  for (let m = Math.max(1, Math.floor(dim / 8)); m > 1; m--) if (dim % m === 0) return m;
  return 1;
}

/** Exact search over float32 vectors (kANNolo's `DenseFlatIndex`); `efSearch` is accepted and ignored. */
export class DenseFlatIndex {
  readonly dim: number;
  readonly metric: Metric;
  private readonly rows: Float32RowStorage;
  private readonly kernels;

  protected constructor(dim: number, metric: Metric, kernels: KernelChoice | undefined) {
    this.dim = dim;
    this.metric = metric;
    this.kernels = getKernels(kernels ?? 'auto');
    this.rows = new Float32RowStorage(dim, metric, this.kernels.arena);
  }

  static buildFromArray(data: Float32Array, dim: number, options: Pick<KannoloBuildOptions, 'metric' | 'kernels'> = {}): DenseFlatIndex {
    const index = new DenseFlatIndex(dim, kannoloMetric(options.metric), options.kernels);
    index.rows.append(data);
    return index;
  }

  get size(): number {
    return this.rows.size;
  }

  search(query: Float32Array, k: number, efSearch = 100): KannoloResults {
    return this.batchSearch(query, k, efSearch);
  }

  batchSearch(queries: Float32Array, k: number, _efSearch = 100): KannoloResults {
    checkK(k);
    checkBatch(queries, this.dim, 'queries');
    const { ptr } = this.rows.graphRows();
    const result = exactScan(this.kernels, { ptr, count: this.rows.size, dim: this.dim }, this.metric, queries, k);
    return toKannolo(result, this.metric);
  }

  /** The stored rows (a copy), for saving. */
  rowsCopy(): Float32Array {
    const bytes = this.rows.rowBytes();
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  }

  dispose(): void {
    this.rows.dispose();
  }
}

import type { SlotFilter } from './filters.js';
import type { Metric } from './metric.js';

/**
 * The narrow interfaces every Quiver index implements and every wrapper (idmap, adapters) consumes.
 *
 * Conventions:
 * - Indexes see dense internal slots `0..slotCount-1`; external ids live only in `@quiver/idmap`.
 * - Batches are row-major `Float32Array`s of `n × dim` values.
 * - Scores are higher-is-better (see `Metric`).
 */

/** Options of a batched search. */
export interface SearchOptions {
  /** Only slots for which `filter.has(slot)` is true are returned. */
  readonly filter?: SlotFilter;
  /** Only results with `score >= minScore` are returned. */
  readonly minScore?: number;
  /** Only results with `score <= maxScore` are returned. */
  readonly maxScore?: number;
}

/**
 * Query-major results of a batched search: query `q`'s hits are `slots[q*k .. q*k+counts[q])`,
 * best first, ties broken by the lower slot. Unused positions hold slot -1 and score -Infinity.
 */
export interface SearchResult {
  readonly k: number;
  readonly queryCount: number;
  readonly slots: Int32Array;
  readonly scores: Float32Array;
  readonly counts: Uint32Array;
}

/** What an index supports; calling anything else throws `UnsupportedOperationError`. */
export interface IndexCapabilities {
  /** `remove(slot)` tombstones a slot. */
  readonly remove: boolean;
  /** `swapRemove(slot)` moves the last slot into the hole in O(1). */
  readonly swapRemove: boolean;
  /** `compact()` drops tombstones and returns the old-to-new slot map. */
  readonly compact: boolean;
  /** `SearchOptions.filter`. */
  readonly filter: boolean;
  /** `SearchOptions.minScore` / `maxScore`. */
  readonly threshold: boolean;
  /** Results are exact (every slot is scored). */
  readonly exact: boolean;
  /** `toBytes()` and a loader. */
  readonly serialize: boolean;
}

/** Read side of an index: what a loaded snapshot can do. */
export interface VectorIndexReader {
  /** A short kind tag, e.g. `flat`, `hnsw`. */
  readonly kind: string;
  readonly dim: number;
  readonly metric: Metric;
  /** Live (not removed) vectors. */
  readonly size: number;
  /** Slots ever handed out and not compacted away (live plus tombstoned). */
  readonly slotCount: number;
  readonly capabilities: IndexCapabilities;
  /** Searches `queries` (`n × dim`, n = queries.length / dim) for the best `k` slots of each. */
  search(queries: Float32Array, k: number, options?: SearchOptions): SearchResult;
  /** Copies the stored vector of a slot (normalized under cosine). */
  reconstruct(slot: number, out?: Float32Array): Float32Array;
}

export interface VectorIndex extends VectorIndexReader {
  /** Appends `vectors.length / dim` rows and returns the first new slot. */
  add(vectors: Float32Array): number;
  /** Tombstones a slot; returns whether it was live. */
  remove?(slot: number): boolean;
  /**
   * Removes a slot by moving the last slot into it, in O(1). Returns the former slot of the moved
   * vector (now living at `slot`), or -1 when `slot` was the last one.
   */
  swapRemove?(slot: number): number;
  /** Drops tombstones; returns `map[oldSlot] = newSlot` (or -1 for removed slots). */
  compact?(): Int32Array;
  isRemoved?(slot: number): boolean;
  /** Serializes the index to Quiver's own format. */
  toBytes?(): Uint8Array;
}

/** Scores one query against stored slots; obtained from a `VectorStorage`. */
export interface SlotScorer {
  setQuery(query: Float32Array): void;
  score(slot: number): number;
  /** Score between two stored slots (used by graph builds). */
  scoreBetween(a: number, b: number): number;
  /**
   * Scores `count` slots at once: `out[i] = score(slots[i])`. Storages backed by SIMD kernels
   * implement it so a graph hop costs one kernel call instead of one per neighbour.
   */
  scoreMany?(slots: Int32Array, count: number, out: Float32Array): void;
}

/** Where an index keeps its vectors: float32, float16, int8, PQ codes... */
export interface VectorStorage {
  readonly dim: number;
  readonly metric: Metric;
  readonly size: number;
  /** Appends `vectors.length / dim` rows and returns the first new slot. */
  append(vectors: Float32Array): number;
  reconstruct(slot: number, out?: Float32Array): Float32Array;
  scorer(): SlotScorer;
  /** Bytes used per stored vector. */
  readonly bytesPerVector: number;
}

/** Encodes float vectors into compact codes and back. */
export interface Quantizer {
  readonly dim: number;
  /** Bytes per encoded vector. */
  readonly codeSize: number;
  readonly isTrained: boolean;
  train(sample: Float32Array): void;
  encode(vectors: Float32Array, out?: Uint8Array): Uint8Array;
  decode(codes: Uint8Array, out?: Float32Array): Float32Array;
}

/** Progress reporting and cancellation for long builds. */
export interface LongTaskOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

import type { SlotFilter } from '@quiver/core-math';

/** The build parameters every graph of the hnsw suite shares (the M = 16, efConstruction = 200). */
export interface HnswParameters {
  readonly M: number;
  readonly efConstruction: number;
  readonly seed: number;
}

export const HNSW_PARAMETERS: HnswParameters = { M: 16, efConstruction: 200, seed: 42 };

/**
 * One built HNSW graph as the suite drives it, whatever library is behind it. Search results are
 * row ids (slots), `k` per query, -1 padded, written into a caller's array.
 */
export interface GraphUnderTest {
  readonly system: string;
  /** Quiver's rows get ratios against the baselines of their section. */
  readonly quiver: boolean;
  /** Hands over the query set before timing (hnswlib-node needs `number[]` rows). */
  loadQueries(queries: Float32Array): void;
  setEfSearch(efSearch: number): void;
  /**
   * Searches loaded query `query` alone, one call; writes its ids at `out[query*k ..]`. With a
   * filter, only slots it holds may be returned (each library gets it in its own best form).
   */
  searchOne(query: number, k: number, out: Int32Array, filter?: SlotFilter): void;
  /** Searches every loaded query in one call on one thread, when the library has a batch search. */
  searchBatch?(k: number, out: Int32Array): void;
  /** Bytes of the index as the library itself reports them, when it does. */
  indexBytes?(): number;
  /** How `indexBytes` is measured, for the report. */
  readonly indexBytesHow?: string;
  /** Deletes a row (tombstone); it is never returned again. */
  remove(slot: number): void;
  dispose(): void;
}

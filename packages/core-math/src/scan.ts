import type { ArenaBlock } from './arena.js';
import { emptySearchResult } from './search-result.js';
import { boundedExactScan, boundedScanScratchBytes, type Int8Sketch } from './bounded-scan.js';
import type { SearchResult } from './contracts.js';
import type { SlotBitset } from './filters.js';
import type { Kernels } from './kernels/types.js';
import type { Metric } from './metric.js';
import { plainExactScan, plainScanScratchBytes } from './plain-scan.js';
import { TopK } from './top-k.js';

/** Float32 rows living in an arena: `count` rows of `dim` values starting at byte `ptr`. */
export interface DenseRows {
  readonly ptr: number;
  readonly count: number;
  readonly dim: number;
}

export interface ExactScanOptions {
  /** Slots that may be returned; others are skipped (filters and tombstones, merged by the caller). */
  readonly allowed?: SlotBitset;
  /** How many slots `allowed` admits, if known; a small count switches to scoring only those. */
  readonly allowedCount?: number;
  readonly minScore?: number;
  readonly maxScore?: number;
  /** Scan only slots in [slotBegin, slotEnd) (used to split a scan across workers). */
  readonly slotBegin?: number;
  readonly slotEnd?: number;
  /**
   * Working memory in the arena of at least `exactScanScratchBytes(dim, queries)` bytes. Without
   * it the scan allocates its own; threads attached to another thread's arena must pass one.
   */
  readonly scratch?: ArenaBlock;
  /**
   * The rows' int8 sketch (`sketchRowsInt8`): when given, bounds computed from it prune the scan.
   * Results are identical either way.
   */
  readonly sketch?: Int8Sketch;
}

/**
 * Exact top-k of `queries` (row-major, already normalized for cosine) against `rows`.
 * Scores follow Quiver's convention: dot / cosine give the inner product, l2 gives −‖q − x‖².
 * Query `q`'s hits are best first, ties going to the lower slot.
 */
export function exactScan(
  kernels: Kernels,
  rows: DenseRows,
  metric: Metric,
  queries: Float32Array,
  k: number,
  options: ExactScanOptions = {},
): SearchResult {
  return options.sketch
    ? boundedExactScan(kernels, rows, options.sketch, metric, queries, k, options)
    : plainExactScan(kernels, rows, metric, queries, k, options);
}

/** Bytes of arena scratch an `exactScan` of `queryCount` queries needs (with or without a sketch). */
export function exactScanScratchBytes(dim: number, queryCount: number): number {
  return Math.max(plainScanScratchBytes(dim, queryCount), boundedScanScratchBytes(dim, queryCount));
}


/**
 * Merges per-part results of the same queries (e.g. from workers that each scanned a slot range)
 * into one result, keeping the best k with the usual tie order.
 */
export function mergeSearchResults(parts: readonly SearchResult[], k: number): SearchResult {
  const queryCount = parts[0]?.queryCount ?? 0;
  const result = emptySearchResult(queryCount, k);
  const { slots, scores, counts } = result;
  const heap = new TopK(k);
  for (let q = 0; q < queryCount; q++) {
    for (const part of parts) {
      const base = q * part.k;
      for (let i = 0; i < part.counts[q]!; i++) heap.push(part.scores[base + i]!, part.slots[base + i]!);
    }
    counts[q] = heap.drainInto(scores, slots, q * k);
  }
  return result;
}

/** Concatenates results of consecutive query ranges (e.g. from workers that each took some queries). */
export function concatSearchResults(parts: readonly SearchResult[], k: number): SearchResult {
  const queryCount = parts.reduce((sum, part) => sum + part.queryCount, 0);
  const result = emptySearchResult(queryCount, k);
  let q = 0;
  for (const part of parts) {
    result.slots.set(part.slots, q * k);
    result.scores.set(part.scores, q * k);
    result.counts.set(part.counts, q);
    q += part.queryCount;
  }
  return result;
}

/**
 * Runs exact scans somewhere else: the Node worker pool (`@quiver/core-math/node`) implements it
 * over threads that share the arena's memory. Indexes accept one to parallelize batched search
 * while their main entry stays free of Node imports.
 */
export interface ScanExecutor {
  readonly threads: number;
  exactScan(rows: DenseRows, metric: Metric, queries: Float32Array, k: number, options?: ExactScanOptions): Promise<SearchResult>;
}

import type { SearchResult } from './contracts.js';

/** A result for `queryCount` queries with no hits yet: slots -1, scores -Infinity, counts 0. */
export function emptySearchResult(queryCount: number, k: number): SearchResult {
  return {
    k,
    queryCount,
    slots: new Int32Array(queryCount * k).fill(-1),
    scores: new Float32Array(queryCount * k).fill(-Infinity),
    counts: new Uint32Array(queryCount),
  };
}

import {
  InvalidArgumentError,
  TopK,
  checkBatch,
  checkDim,
  checkK,
  emptySearchResult,
  parseMetric,
  type Metric,
  type SearchResult,
} from '@quiver/core-math';

/**
 * Rescores a code search's shortlist with the original float vectors and keeps the best `k` of
 * each query: the usual second stage after binary or scalar codes. `vectors` holds the originals
 * row-major (`slotCount × dim`, slot = row); scores are exact in float64 then rounded to float32,
 * higher is better (dot; cosine = dot of the normalized vectors; l2 = negated squared distance).
 * Ties go to the lower slot; padding is slot -1 / score -Infinity.
 */
export function rerankCandidates(
  queries: Float32Array,
  candidates: SearchResult,
  vectors: Float32Array,
  dim: number,
  k: number,
  metric: Metric | string = 'dot',
): SearchResult {
  checkDim(dim);
  checkK(k);
  const kind = parseMetric(metric);
  const m = checkBatch(queries, dim, 'queries');
  if (candidates === null || typeof candidates !== 'object' || !(candidates.slots instanceof Int32Array)) {
    throw new InvalidArgumentError('candidates', 'must be a SearchResult');
  }
  if (candidates.queryCount !== m) throw new InvalidArgumentError('candidates', `has ${candidates.queryCount} queries, expected ${m}`);
  const rows = checkBatch(vectors, dim, 'vectors');
  const result = emptySearchResult(m, k);
  const heap = new TopK(k);
  for (let q = 0; q < m; q++) {
    const qBase = q * dim;
    for (let i = 0; i < candidates.counts[q]!; i++) {
      const slot = candidates.slots[q * candidates.k + i]!;
      if (slot < 0 || slot >= rows) throw new InvalidArgumentError('candidates', `slot ${slot} is outside the ${rows} vectors`);
      heap.push(Math.fround(exactScore(kind, queries, qBase, vectors, slot * dim, dim)), slot);
    }
    result.counts[q] = heap.drainInto(result.scores, result.slots, q * k);
  }
  return result;
}

function exactScore(metric: Metric, a: Float32Array, aBase: number, b: Float32Array, bBase: number, dim: number): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  let l2 = 0;
  for (let j = 0; j < dim; j++) {
    const x = a[aBase + j]!;
    const y = b[bBase + j]!;
    dot += x * y;
    aa += x * x;
    bb += y * y;
    l2 += (x - y) * (x - y);
  }
  if (metric === 'dot') return dot;
  if (metric === 'cosine') return aa > 0 && bb > 0 ? dot / Math.sqrt(aa * bb) : 0;
  return -l2;
}

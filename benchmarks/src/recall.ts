import type { Metric } from '@quiver/core-math';

/**
 * Recall measured independently of Quiver's kernels: scores are recomputed here in float64.
 *
 * Tie-aware recall@k: a returned id counts as a hit when its exact score is at least the exact
 * score of the k-th true neighbour (minus a relative tolerance for float32 rounding), so ids that
 * swap places at equal distance are not counted as misses. SIFT values are integers, so its ties
 * are common and exact.
 */
export const TIE_TOLERANCE = 1e-5;

export interface Neighbours {
  /** Row-major ids, `stride` per query, best first; -1 pads missing hits. */
  readonly ids: ArrayLike<number>;
  readonly stride: number;
}

export interface RecallInput {
  readonly metric: Metric;
  /** Row-major base vectors, already normalized for cosine. */
  readonly base: Float32Array;
  /** Row-major queries, already normalized for cosine. */
  readonly queries: Float32Array;
  readonly dim: number;
  readonly truth: Neighbours;
  readonly found: Neighbours;
  readonly k: number;
}

/** Higher-is-better exact score in float64: the inner product, or −‖q − x‖² for l2. */
export function exactScore(metric: Metric, base: Float32Array, queries: Float32Array, dim: number, query: number, row: number): number {
  const q = query * dim;
  const x = row * dim;
  let sum = 0;
  if (metric === 'l2') {
    for (let j = 0; j < dim; j++) {
      const t = queries[q + j]! - base[x + j]!;
      sum += t * t;
    }
    return -sum;
  }
  for (let j = 0; j < dim; j++) sum += queries[q + j]! * base[x + j]!;
  return sum;
}

export interface RecallResult {
  /** Mean tie-aware recall@k over the queries. */
  readonly tieAware: number;
  /** Mean plain set-overlap recall@k (ids must match exactly). */
  readonly strict: number;
  /** Queries whose tie-aware recall is below 1. */
  readonly imperfectQueries: number;
}

export function recallAtK(input: RecallInput): RecallResult {
  const { metric, base, queries, dim, truth, found, k } = input;
  const queryCount = queries.length / dim;
  let tieAwareSum = 0;
  let strictSum = 0;
  let imperfect = 0;
  for (let q = 0; q < queryCount; q++) {
    const trueIds = new Set<number>();
    let kth = Infinity;
    for (let i = 0; i < k; i++) {
      const id = truth.ids[q * truth.stride + i]!;
      trueIds.add(id);
      kth = Math.min(kth, exactScore(metric, base, queries, dim, q, id));
    }
    const threshold = kth - TIE_TOLERANCE * Math.max(1, Math.abs(kth));
    const seen = new Set<number>();
    let hits = 0;
    let strictHits = 0;
    for (let i = 0; i < k; i++) {
      const id = found.ids[q * found.stride + i]!;
      if (id < 0 || seen.has(id)) continue;
      seen.add(id);
      if (trueIds.has(id)) strictHits++;
      if (exactScore(metric, base, queries, dim, q, id) >= threshold) hits++;
    }
    tieAwareSum += hits / k;
    strictSum += strictHits / k;
    if (hits < k) imperfect++;
  }
  return { tieAware: tieAwareSum / queryCount, strict: strictSum / queryCount, imperfectQueries: imperfect };
}

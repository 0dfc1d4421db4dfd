import { InvalidArgumentError, type Metric, type SearchResult, type SlotFilter } from '@quiver/core-math';

/** Ground truth computed in float64: the same layout as `SearchResult`, with float64 scores. */
export interface BruteForceResult {
  readonly k: number;
  readonly queryCount: number;
  readonly slots: Int32Array;
  readonly scores: Float64Array;
  readonly counts: Uint32Array;
}

export interface BruteForceOptions {
  /** Only these slots may be returned. */
  readonly filter?: SlotFilter;
  /** Slots that were removed from the index under test (never returned). */
  readonly removed?: SlotFilter;
  readonly minScore?: number;
  readonly maxScore?: number;
}

/**
 * The exact score of query `q` against row `x` in float64, in Quiver's convention (higher is
 * better): dot product, cosine similarity, or negated squared Euclidean distance.
 */
export function exactScore(metric: Metric, queries: ArrayLike<number>, q: number, data: ArrayLike<number>, x: number, dim: number): number {
  let dot = 0;
  let qq = 0;
  let xx = 0;
  let l2 = 0;
  for (let j = 0; j < dim; j++) {
    const a = queries[q * dim + j]!;
    const b = data[x * dim + j]!;
    dot += a * b;
    qq += a * a;
    xx += b * b;
    l2 += (a - b) * (a - b);
  }
  if (metric === 'l2') return -l2;
  if (metric === 'cosine') return dot / Math.sqrt(qq * xx);
  return dot;
}

/**
 * A bound on how far a float32 kernel's score may drift from the float64 score: a few float32
 * ulps per term of the sum, scaled by the sum of absolute terms (and the normalization error
 * under cosine).
 */
export function scoreTolerance(metric: Metric, queries: ArrayLike<number>, q: number, data: ArrayLike<number>, x: number, dim: number): number {
  let absTerms = 0;
  let qq = 0;
  let xx = 0;
  for (let j = 0; j < dim; j++) {
    const a = queries[q * dim + j]!;
    const b = data[x * dim + j]!;
    absTerms += metric === 'l2' ? (a - b) * (a - b) : Math.abs(a * b);
    qq += a * a;
    xx += b * b;
  }
  if (metric === 'cosine') absTerms /= Math.sqrt(qq * xx) || 1;
  return 8 * 2 ** -24 * (dim + 4) * absTerms + 1e-12;
}

/** Exact top-k by scoring every row in float64; ties go to the lower slot. */
export function bruteForceTopK(
  data: Float32Array,
  queries: Float32Array,
  dim: number,
  k: number,
  metric: Metric,
  options: BruteForceOptions = {},
): BruteForceResult {
  if (data.length % dim !== 0 || queries.length % dim !== 0) throw new InvalidArgumentError('dim', 'data and queries must be n × dim');
  const n = data.length / dim;
  const queryCount = queries.length / dim;
  const slots = new Int32Array(queryCount * k).fill(-1);
  const scores = new Float64Array(queryCount * k).fill(-Infinity);
  const counts = new Uint32Array(queryCount);
  const minScore = options.minScore ?? -Infinity;
  const maxScore = options.maxScore ?? Infinity;
  for (let q = 0; q < queryCount; q++) {
    const candidates: { slot: number; score: number }[] = [];
    for (let x = 0; x < n; x++) {
      if (options.filter && !options.filter.has(x)) continue;
      if (options.removed?.has(x)) continue;
      const score = exactScore(metric, queries, q, data, x, dim);
      if (score < minScore || score > maxScore) continue;
      candidates.push({ slot: x, score });
    }
    candidates.sort((a, b) => b.score - a.score || a.slot - b.slot);
    const count = Math.min(k, candidates.length);
    for (let i = 0; i < count; i++) {
      slots[q * k + i] = candidates[i]!.slot;
      scores[q * k + i] = candidates[i]!.score;
    }
    counts[q] = count;
  }
  return { k, queryCount, slots, scores, counts };
}

type Neighbors = Pick<SearchResult, 'k' | 'queryCount' | 'slots' | 'counts'>;

/**
 * Mean over queries of |found ∩ truth| / |truth| over the first `k` results of each (a query
 * whose truth is empty scores 1). Set-based, so exact ties at the k-th place may cost recall;
 * use `compareWithBruteForce` for a tie-aware exactness check.
 */
export function recallAtK(found: Neighbors, truth: Neighbors, k = found.k): number {
  if (found.queryCount !== truth.queryCount) throw new InvalidArgumentError('truth', 'must have as many queries as found');
  if (found.queryCount === 0) return 1;
  let total = 0;
  for (let q = 0; q < found.queryCount; q++) {
    const expected = new Set<number>();
    for (let i = 0; i < Math.min(k, truth.counts[q]!); i++) expected.add(truth.slots[q * truth.k + i]!);
    if (expected.size === 0) {
      total += 1;
      continue;
    }
    let hits = 0;
    for (let i = 0; i < Math.min(k, found.counts[q]!); i++) if (expected.has(found.slots[q * found.k + i]!)) hits++;
    total += hits / expected.size;
  }
  return total / found.queryCount;
}

/**
 * Checks an exact search result against float64 brute force, tie-aware: same counts, padding
 * with -1 / -Infinity, distinct admitted slots, scores best first with ties to the lower slot,
 * each score within float32 tolerance of its exact value, and every returned slot at least as
 * good as the k-th true neighbour (within tolerance). Returns the problems found (empty = pass).
 */
export function compareWithBruteForce(
  found: SearchResult,
  data: Float32Array,
  queries: Float32Array,
  dim: number,
  metric: Metric,
  options: BruteForceOptions = {},
): string[] {
  const { k } = found;
  const truth = bruteForceTopK(data, queries, dim, k, metric, options);
  const problems: string[] = [];
  const n = data.length / dim;
  const report = (q: number, message: string): void => {
    if (problems.length < 20) problems.push(`query ${q}: ${message}`);
  };
  if (found.queryCount !== truth.queryCount) return [`expected ${truth.queryCount} queries, got ${found.queryCount}`];
  for (let q = 0; q < truth.queryCount; q++) {
    const count = found.counts[q]!;
    const base = q * k;
    if (count !== truth.counts[q]) report(q, `expected ${truth.counts[q]} results, got ${count}`);
    for (let i = count; i < k; i++) {
      if (found.slots[base + i] !== -1 || found.scores[base + i] !== -Infinity) report(q, `position ${i} is not padding`);
    }
    const seen = new Set<number>();
    const kth = truth.counts[q]! > 0 ? truth.scores[base + truth.counts[q]! - 1]! : -Infinity;
    const kthSlot = truth.counts[q]! > 0 ? truth.slots[base + truth.counts[q]! - 1]! : 0;
    const kthTolerance = truth.counts[q]! > 0 ? scoreTolerance(metric, queries, q, data, kthSlot, dim) : 0;
    for (let i = 0; i < count; i++) {
      const slot = found.slots[base + i]!;
      const score = found.scores[base + i]!;
      if (!Number.isInteger(slot) || slot < 0 || slot >= n) {
        report(q, `slot ${slot} out of range`);
        continue;
      }
      if (seen.has(slot)) report(q, `slot ${slot} returned twice`);
      seen.add(slot);
      if (options.filter && !options.filter.has(slot)) report(q, `slot ${slot} is not admitted by the filter`);
      if (options.removed?.has(slot)) report(q, `slot ${slot} was removed`);
      if (i > 0) {
        const prevScore = found.scores[base + i - 1]!;
        if (prevScore < score || (prevScore === score && found.slots[base + i - 1]! > slot)) {
          report(q, `positions ${i - 1}, ${i} are out of order`);
        }
      }
      const exact = exactScore(metric, queries, q, data, slot, dim);
      const tolerance = scoreTolerance(metric, queries, q, data, slot, dim);
      if (Math.abs(score - exact) > tolerance) report(q, `slot ${slot} scored ${score}, exact ${exact}`);
      if (exact < kth - tolerance - kthTolerance) report(q, `slot ${slot} (exact ${exact}) is worse than the k-th true neighbour (${kth})`);
    }
  }
  return problems;
}

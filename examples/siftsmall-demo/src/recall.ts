/** Squared Euclidean distance of query `q` to base row `row`, in float64. */
function squaredDistance(base: Float32Array, queries: Float32Array, dim: number, q: number, row: number): number {
  let sum = 0;
  for (let j = 0; j < dim; j++) {
    const t = queries[q * dim + j]! - base[row * dim + j]!;
    sum += t * t;
  }
  return sum;
}

/**
 * Mean recall@k against the ground truth, tie-aware: a returned id counts when it is no farther
 * than the k-th true neighbour. SIFT values are integers, so equal distances are common and the
 * shipped ground truth orders ties arbitrarily.
 */
export function tieAwareRecallL2(
  base: Float32Array,
  queries: Float32Array,
  dim: number,
  truth: Int32Array,
  truthStride: number,
  found: Int32Array,
  k: number,
): { recall: number; perfectQueries: number } {
  const queryCount = queries.length / dim;
  let total = 0;
  let perfect = 0;
  for (let q = 0; q < queryCount; q++) {
    let kth = 0;
    for (let i = 0; i < k; i++) kth = Math.max(kth, squaredDistance(base, queries, dim, q, truth[q * truthStride + i]!));
    const seen = new Set<number>();
    for (let i = 0; i < k; i++) {
      const id = found[q * k + i]!;
      if (id >= 0 && squaredDistance(base, queries, dim, q, id) <= kth) seen.add(id);
    }
    total += seen.size / k;
    if (seen.size === k) perfect++;
  }
  return { recall: total / queryCount, perfectQueries: perfect };
}

/** Mean overlap of two id lists per query (`k` ids each, row-major). */
export function overlapRecall(truth: Int32Array, found: Int32Array, k: number): number {
  const queryCount = truth.length / k;
  let total = 0;
  for (let q = 0; q < queryCount; q++) {
    const expected = new Set(truth.subarray(q * k, (q + 1) * k));
    let hits = 0;
    for (let i = 0; i < k; i++) if (expected.has(found[q * k + i]!)) hits++;
    total += hits / k;
  }
  return total / queryCount;
}

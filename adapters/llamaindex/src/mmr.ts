/** A candidate of maximal marginal relevance: its similarity to the query and its stored vector. */
export interface MmrCandidate {
  readonly similarity: number;
  readonly vector: Float32Array;
}

export interface MmrPick {
  /** Index into the candidate list. */
  readonly index: number;
  /** The MMR score the pick won with, the figure LlamaIndex reports as its similarity. */
  readonly score: number;
}

/** LlamaIndex's default trade-off between relevance and diversity (`mmrThreshold || 0.5`). */
export const DEFAULT_MMR_THRESHOLD = 0.5;

/**
 * Greedy MMR selection with the rules of LlamaIndex's `getTopKMMREmbeddings`, so results and
 * scores match SimpleVectorStore's MMR mode:
 * - the first pick is the most similar candidate, scored `threshold * similarity`;
 * - every later pick maximises `threshold * similarity - (1 - threshold) * overlap`, where
 *   `overlap` is the similarity to the MOST RECENT pick only (not the maximum over all picks);
 * - ties go to the earlier candidate (strict `>`).
 * Costs k passes over the candidates, one vector similarity per remaining candidate and pass.
 */
export function selectMaximalMarginalRelevance(
  candidates: readonly MmrCandidate[],
  k: number,
  threshold: number,
  overlap: (a: Float32Array, b: Float32Array) => number,
): MmrPick[] {
  const picks: MmrPick[] = [];
  const remaining = new Set<number>(candidates.keys());
  let best = -1;
  let bestScore = Number.NEGATIVE_INFINITY;
  candidates.forEach((candidate, index) => {
    const score = candidate.similarity * threshold;
    if (score > bestScore) {
      best = index;
      bestScore = score;
    }
  });
  while (picks.length < Math.min(k, candidates.length) && best >= 0) {
    picks.push({ index: best, score: bestScore });
    remaining.delete(best);
    const recent = candidates[best]!.vector;
    best = -1;
    bestScore = Number.NEGATIVE_INFINITY;
    for (const index of remaining) {
      const candidate = candidates[index]!;
      const score = threshold * candidate.similarity - (1 - threshold) * overlap(candidate.vector, recent);
      if (score > bestScore) {
        best = index;
        bestScore = score;
      }
    }
  }
  return picks;
}

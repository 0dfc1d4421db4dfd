import { InvalidArgumentError } from '@quiver/core-math';
import type { StoreMetric } from '@quiver/docstore';

/**
 * How `QuiverVectorStore` compares vectors. Every score is higher-is-better, as
 * MemoryVectorStore's are (it sorts by descending similarity), so `ScoreThresholdRetriever`'s
 * `score >= minSimilarityScore` test works unchanged:
 * - `cosine` (default): cosine similarity in [-1, 1], MemoryVectorStore's default score;
 * - `dot`: the inner product of the raw vectors (MemoryVectorStore with `similarity: innerProduct`);
 * - `euclidean`: the NEGATED Euclidean distance, in (-inf, 0] (MemoryVectorStore with
 *   `similarity: (a, b) => -euclidean(a, b)`); a threshold of `-0.5` keeps hits within distance 0.5.
 */
export type QuiverSimilarity = 'cosine' | 'dot' | 'euclidean';

const STORE_METRICS: Readonly<Record<QuiverSimilarity, StoreMetric>> = { cosine: 'cosine', dot: 'dot', euclidean: 'l2' };

export function storeMetricOf(similarity: unknown): StoreMetric {
  if (typeof similarity !== 'string' || !Object.hasOwn(STORE_METRICS, similarity)) {
    throw new InvalidArgumentError('similarity', `[@quiver/langchain] expected 'cosine', 'dot' or 'euclidean', got ${JSON.stringify(similarity)}`);
  }
  return STORE_METRICS[similarity as QuiverSimilarity];
}

export function similarityOf(metric: StoreMetric): QuiverSimilarity {
  return metric === 'l2' ? 'euclidean' : metric;
}

/** The store reports l2 as the negated SQUARED distance; LangChain users get the negated distance. */
export function toLangChainScore(metric: StoreMetric, storeScore: number): number {
  return metric === 'l2' ? -Math.sqrt(Math.max(0, -storeScore)) : storeScore;
}

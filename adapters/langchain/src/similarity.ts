import type { SimilarityName } from '@quiver/docstore';

/**
 * How `QuiverVectorStore` compares vectors. Every score is higher-is-better, as
 * MemoryVectorStore's are (it sorts by descending similarity), so `ScoreThresholdRetriever`'s
 * `score >= minSimilarityScore` test works unchanged:
 * - `cosine` (default): cosine similarity in [-1, 1], MemoryVectorStore's default score;
 * - `dot`: the inner product of the raw vectors (MemoryVectorStore with `similarity: innerProduct`);
 * - `euclidean`: the NEGATED Euclidean distance, in (-inf, 0] (MemoryVectorStore with
 *   `similarity: (a, b) => -euclidean(a, b)`); a threshold of `-0.5` keeps hits within distance 0.5.
 */
export type QuiverSimilarity = SimilarityName;

import type { SimilarityName, StoreMetric } from '@quiver/docstore';

/**
 * How `QuiverVectorStore` compares vectors. Similarities are reported as LlamaIndex's own
 * `similarity(a, b, mode)` computes them (SimpleVectorStore uses its cosine mode), higher is better:
 * - `cosine` (default): cosine similarity in [-1, 1], exactly SimpleVectorStore's scores;
 * - `dot`: the inner product of the raw vectors (`SimilarityType.DOT_PRODUCT`);
 * - `euclidean`: the NEGATED Euclidean distance, in (-inf, 0] (`SimilarityType.EUCLIDEAN`).
 */
export type QuiverSimilarity = SimilarityName;

/**
 * The similarity of two stored vectors, as LlamaIndex's `similarity()` defines it for the metric
 * (MMR's redundancy term). Cosine divides by the norms rather than trusting stored unit length, so
 * it also holds for vectors a quantized backend reconstructs.
 */
export function vectorSimilarity(metric: StoreMetric, a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  let distance = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    dot += x * y;
    normA += x * x;
    normB += y * y;
    distance += (x - y) * (x - y);
  }
  if (metric === 'dot') return dot;
  if (metric === 'l2') return -Math.sqrt(distance);
  return dot / Math.sqrt(normA * normB);
}

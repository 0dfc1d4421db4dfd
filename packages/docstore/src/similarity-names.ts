import { InvalidArgumentError } from '@quiver/core-math';
import type { StoreMetric } from './types.js';

/**
 * The similarity names the framework adapters take: `cosine`, `dot`, and `euclidean` for the
 * store's `l2`. Frameworks report Euclidean results as the NEGATED distance (higher is better),
 * where the store scores l2 by the negated squared distance.
 */
export type SimilarityName = 'cosine' | 'dot' | 'euclidean';

const STORE_METRICS: Readonly<Record<SimilarityName, StoreMetric>> = { cosine: 'cosine', dot: 'dot', euclidean: 'l2' };

/** The store metric of a similarity name; anything else is an `InvalidArgumentError` naming `caller`. */
export function metricOfSimilarity(similarity: unknown, caller: string): StoreMetric {
  if (typeof similarity !== 'string' || !Object.hasOwn(STORE_METRICS, similarity)) {
    throw new InvalidArgumentError('similarity', `[${caller}] expected 'cosine', 'dot' or 'euclidean', got ${JSON.stringify(similarity)}`);
  }
  return STORE_METRICS[similarity as SimilarityName];
}

export function similarityOfMetric(metric: StoreMetric): SimilarityName {
  return metric === 'l2' ? 'euclidean' : metric;
}

/** A store score as the frameworks report it: unchanged, except l2 as the negated distance. */
export function frameworkScore(metric: StoreMetric, storeScore: number): number {
  return metric === 'l2' ? -Math.sqrt(Math.max(0, -storeScore)) : storeScore;
}

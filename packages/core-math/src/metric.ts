import { InvalidArgumentError } from './errors.js';

/**
 * Similarity metrics. Quiver reports scores where **higher is better** everywhere:
 * - `dot`: the inner product `q · x`;
 * - `cosine`: the inner product of unit vectors (vectors are normalized when added, queries when searched);
 * - `l2`: the **negated squared** Euclidean distance `-‖q − x‖²`, so the nearest row has the highest score.
 */
export type Metric = 'dot' | 'cosine' | 'l2';

export const METRICS: readonly Metric[] = ['dot', 'cosine', 'l2'];

const ALIASES: Record<string, Metric> = {
  dot: 'dot',
  ip: 'dot',
  inner_product: 'dot',
  dotproduct: 'dot',
  cosine: 'cosine',
  cos: 'cosine',
  l2: 'l2',
  l2sq: 'l2',
  euclidean: 'l2',
};

/** Accepts the canonical names and common aliases (`ip`, `dotproduct`, `euclidean`, `l2sq`, `cos`). */
export function parseMetric(name: string): Metric {
  const metric = ALIASES[String(name).toLowerCase()];
  if (!metric) throw new InvalidArgumentError('metric', `unknown metric '${name}' (expected dot, cosine or l2)`);
  return metric;
}

/** Converts a score back to a squared Euclidean distance (l2 only). */
export function l2ScoreToSquaredDistance(score: number): number {
  return -score;
}

/** The numeric code of a metric in Quiver's file formats. */
export function metricCode(metric: Metric): number {
  return metric === 'dot' ? 1 : metric === 'cosine' ? 2 : 3;
}

export function metricFromCode(code: number): Metric | undefined {
  return code === 1 ? 'dot' : code === 2 ? 'cosine' : code === 3 ? 'l2' : undefined;
}

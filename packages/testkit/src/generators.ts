import { InvalidArgumentError, SeededRandom, checkDim } from '@quiver/core-math';

export interface GaussianMixtureOptions {
  /** Number of vectors. */
  readonly n: number;
  readonly dim: number;
  /** Number of cluster centers (default 8). */
  readonly clusters?: number;
  /** Seeds the centers, and the points unless `sampleSeed` is given (default 1). */
  readonly seed?: number;
  /**
   * Seeds the points separately from the centers, so data and queries drawn with the same `seed`
   * and different `sampleSeed`s come from the same clusters.
   */
  readonly sampleSeed?: number;
  /** Standard deviation of points around their center; centers are N(0, 1) per coordinate (default 0.25). */
  readonly spread?: number;
}

/**
 * `n × dim` float32 vectors (row-major) from a mixture of isotropic Gaussians: the usual shape of
 * embedding data, where clusters make near-ties and recall problems show up. Deterministic for a
 * given seed on every platform (SeededRandom: xoshiro128**).
 */
export function gaussianMixture(options: GaussianMixtureOptions): Float32Array {
  const { n, dim, clusters = 8, seed = 1, spread = 0.25 } = options;
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('n', `must be a non-negative integer, got ${n}`);
  checkDim(dim);
  if (!Number.isSafeInteger(clusters) || clusters < 1) throw new InvalidArgumentError('clusters', `must be a positive integer, got ${clusters}`);
  const centerRandom = new SeededRandom(seed);
  const centers = centerRandom.fillGaussian(new Float64Array(clusters * dim));
  const pointRandom = options.sampleSeed === undefined ? centerRandom : new SeededRandom(options.sampleSeed);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = pointRandom.nextInt(clusters) * dim;
    for (let j = 0; j < dim; j++) out[i * dim + j] = centers[c + j]! + spread * pointRandom.nextGaussian();
  }
  return out;
}

/** `n × dim` standard normal float32 vectors. */
export function randomVectors(n: number, dim: number, seed = 1): Float32Array {
  return new SeededRandom(seed).fillGaussian(new Float32Array(n * checkDim(dim))) as Float32Array;
}

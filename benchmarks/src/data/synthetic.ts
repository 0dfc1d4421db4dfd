import { SeededRandom } from '@quiver/core-math';

export interface SyntheticOptions {
  readonly n: number;
  readonly queries: number;
  readonly dim: number;
  readonly clusters: number;
  /** Standard deviation of points around their cluster centre (centres are standard normal). */
  readonly spread: number;
  readonly seed: number;
}

export interface Workload {
  readonly dim: number;
  /** Row-major base vectors. */
  readonly base: Float32Array;
  /** Row-major query vectors. */
  readonly queries: Float32Array;
}

/**
 * A seeded Gaussian mixture: centres drawn from N(0, I), each point picks a centre uniformly and
 * adds N(0, spread² I). Queries come from the same mixture as the base, from their own stream.
 * Clustered data gives realistic score distributions and near-ties, unlike i.i.d. noise where
 * every point is about equally far from every query.
 */
export function syntheticWorkload(options: SyntheticOptions): Workload {
  const { dim, clusters, seed } = options;
  const centres = new Float32Array(clusters * dim);
  new SeededRandom(seed).fillGaussian(centres);
  return {
    dim,
    base: mixturePoints(centres, options, options.n, new SeededRandom(seed + 1)),
    queries: mixturePoints(centres, options, options.queries, new SeededRandom(seed + 2)),
  };
}

function mixturePoints(centres: Float32Array, options: SyntheticOptions, count: number, random: SeededRandom): Float32Array {
  const { dim, clusters, spread } = options;
  const out = new Float32Array(count * dim);
  for (let row = 0; row < count; row++) {
    const centre = random.nextInt(clusters) * dim;
    const offset = row * dim;
    for (let j = 0; j < dim; j++) out[offset + j] = centres[centre + j]! + spread * random.nextGaussian();
  }
  return out;
}

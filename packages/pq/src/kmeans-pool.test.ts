import { SeededRandom } from '@quiver/core-math';
import { WorkerPool } from '@quiver/core-math/node';
import { afterAll, describe, expect, it } from 'vitest';
import { IvfIndex } from './ivf-index.js';
import { kmeans, kmeansAsync } from './kmeans.js';

// The pool's worker script comes from core-math's dist/ (build it with `pnpm build`).
describe('kmeansAsync on the worker pool', () => {
  const pool = new WorkerPool({ threads: 2, inlineBelow: 0 });
  afterAll(() => pool.close());

  it('gives exactly the centroids and inertia of the single-threaded run', async () => {
    // dim 32 assigns through a distance tile locally, dim 8 (a PQ subspace) through pqAssign.
    for (const [dim, k] of [[32, 64], [8, 256]] as const) {
      const data = new SeededRandom(21).fillGaussian(new Float32Array(2000 * dim)) as Float32Array;
      const options = { k, iterations: 3, seed: 3 };
      const local = kmeans(data, dim, options);
      const pooled = await kmeansAsync(data, dim, { ...options, executor: pool });
      expect(pooled.centroids).toEqual(local.centroids);
      expect(pooled.inertia).toBe(local.inertia);
      expect(pooled.iterations).toBe(local.iterations);
    }
  });
});

describe('IvfIndex.trainAsync on the worker pool', () => {
  const pool = new WorkerPool({ threads: 2, inlineBelow: 0 });
  afterAll(() => pool.close());

  it('learns the same coarse centroids as train()', async () => {
    const dim = 64;
    const data = new SeededRandom(5).fillGaussian(new Float32Array(2000 * dim)) as Float32Array;
    const local = new IvfIndex({ dim, metric: 'l2', nlist: 40, iterations: 3 });
    const pooled = new IvfIndex({ dim, metric: 'l2', nlist: 40, iterations: 3 });
    try {
      local.train(data);
      await pooled.trainAsync(data, { executor: pool });
      expect(pooled.centroids()).toEqual(local.centroids());
    } finally {
      local.dispose();
      pooled.dispose();
    }
  });
});

import type { KernelChoice } from '@quiver/core-math';
import { WorkerPool } from '@quiver/core-math/node';

const pools = new Map<string, WorkerPool>();

/**
 * One worker pool per thread count and kernel choice for the whole run, started at first use.
 * Reusing it keeps thread start-up out of the figures, and its workers load the same built files
 * as the main thread (a pool started minutes later would pick up a rebuild made in between).
 */
export function workerPool(threads: number, kernels: KernelChoice): WorkerPool {
  const key = `${threads}:${kernels}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = new WorkerPool({ threads, kernels });
    pools.set(key, pool);
  }
  return pool;
}

export async function closeWorkerPools(): Promise<void> {
  const open = [...pools.values()];
  pools.clear();
  await Promise.all(open.map((pool) => pool.close()));
}

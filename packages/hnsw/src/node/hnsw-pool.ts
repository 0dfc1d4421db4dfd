import type { Arena, KernelChoice } from '@quiver/core-math';
import { ArenaThreads, builtWorkerUrl } from '@quiver/core-math/node';
import type { GraphSearchReply, GraphTask, HnswExecutor } from '../graph-tasks.js';

export interface HnswPoolOptions {
  /** Worker threads (default: the machine's available parallelism). */
  readonly threads?: number;
  /** Kernel backend of the workers (default `auto`). */
  readonly kernels?: KernelChoice;
}

/**
 * Worker threads that run HnswIndex's graph tasks over the shared arena (`defaultArena()`), so
 * every thread walks the same links and rows in place: `index.addParallel(vectors, pool)` and
 * `index.searchAsync(queries, k, options, pool)`. Close it when done.
 */
export class HnswPool implements HnswExecutor {
  readonly threads: number;
  readonly arena: Arena;
  private readonly pool: ArenaThreads<GraphTask, GraphSearchReply | undefined>;

  constructor(options: HnswPoolOptions = {}) {
    this.pool = new ArenaThreads({ name: 'HnswPool', operation: 'run' }, builtWorkerUrl(import.meta.url, 'hnsw-pool-worker'), options);
    this.threads = this.pool.threads;
    this.arena = this.pool.arena;
  }

  run(thread: number, task: GraphTask): Promise<GraphSearchReply | undefined> {
    return this.pool.run(thread, task);
  }

  /** Stops the threads; pending tasks are rejected. */
  close(): Promise<void> {
    return this.pool.close();
  }
}

import { GRAPH_CONTEXT, GRAPH_CONTEXT_BYTES, getKernels, InvalidArgumentError, type Arena, type GraphKernels, type KernelChoice } from '@quiver/core-math';

/**
 * The work an `HnswIndex` hands to other threads: each task is one thread's share of a kernel call
 * over a context (`GraphScratch`) the index prepared in the shared arena. Tasks only read the
 * graph, except `commit`, whose shares write disjoint link lists.
 */
export type GraphTask = GraphSearchTask | GraphPlanTask | GraphCommitTask;

/** Searches each query (row-major, `dim` values each) with `graphSearch`; replies `ef` pairs per query. */
export interface GraphSearchTask {
  readonly op: 'search';
  readonly ctx: number;
  readonly dim: number;
  readonly ef: number;
  readonly lambda: number;
  /** Allowed-slot bitset pointer, 0 = all. */
  readonly allowed: number;
  readonly acorn: boolean;
  readonly queries: Float32Array;
}

/** `graphPlanInserts` over entries first, first + step, ... of a batch table. */
export interface GraphPlanTask {
  readonly op: 'plan';
  readonly ctx: number;
  readonly batch: number;
  readonly count: number;
  readonly first: number;
  readonly step: number;
  readonly efConstruction: number;
}

/** `graphCommitInserts`: thread `worker`'s share of a planned batch. */
export interface GraphCommitTask {
  readonly op: 'commit';
  readonly ctx: number;
  readonly batch: number;
  readonly count: number;
  readonly worker: number;
  readonly threads: number;
}

/** Reply of a search task: per query the number found, then `ef` (id, score) slots per query, best first. */
export interface GraphSearchReply {
  readonly counts: Uint32Array;
  readonly ids: Int32Array;
  readonly scores: Float32Array;
}

/**
 * Runs graph tasks on `threads` threads that share the index's arena (`@quiver/hnsw/node`'s
 * `HnswPool`, or `createInlineExecutor` on the calling thread). `run(t, task)` runs on thread t;
 * tasks sent to one thread run in order.
 */
export interface HnswExecutor {
  readonly threads: number;
  /** The arena the threads work in: an index must live in it to use the executor. */
  readonly arena: Arena;
  run(thread: number, task: GraphTask): Promise<GraphSearchReply | undefined>;
}

/** Runs one task with `kernels` (over the arena the task's pointers refer to). */
export function runGraphTask(kernels: GraphKernels & { readonly arena: Arena }, task: GraphTask): GraphSearchReply | undefined {
  if (task.op === 'plan') {
    kernels.graphPlanInserts(task.ctx, task.batch, task.count, task.first, task.step, task.efConstruction);
    return undefined;
  }
  if (task.op === 'commit') {
    kernels.graphCommitInserts(task.ctx, task.batch, task.count, task.worker, task.threads);
    return undefined;
  }
  const { arena } = kernels;
  const { ctx, dim, ef, queries } = task;
  const context = arena.i32(ctx, GRAPH_CONTEXT_BYTES / 4);
  const queryPtr = context[GRAPH_CONTEXT.query]!;
  const resultPtr = context[GRAPH_CONTEXT.result]!;
  const queryCount = queries.length / dim;
  const counts = new Uint32Array(queryCount);
  const ids = new Int32Array(queryCount * ef);
  const scores = new Float32Array(queryCount * ef);
  for (let q = 0; q < queryCount; q++) {
    arena.f32(queryPtr, dim).set(queries.subarray(q * dim, (q + 1) * dim));
    const found = kernels.graphSearch(ctx, ef, task.lambda, task.allowed, task.acorn);
    const pairsF = arena.f32(resultPtr, 2 * found);
    const pairsI = arena.i32(resultPtr, 2 * found);
    for (let i = 0; i < found; i++) {
      scores[q * ef + i] = pairsF[2 * i]!;
      ids[q * ef + i] = pairsI[2 * i + 1]!;
    }
    counts[q] = found;
  }
  return { counts, ids, scores };
}

/**
 * An executor that runs every task on the calling thread (in browsers without workers, and in
 * tests): `threads` > 1 splits the work the way a pool of that size would, with the same result.
 */
export function createInlineExecutor(threads = 1, kernels: KernelChoice = 'auto'): HnswExecutor {
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw new InvalidArgumentError('threads', `must be an integer in [1, 256], got ${threads}`);
  const chosen = getKernels(kernels);
  return {
    threads,
    arena: chosen.arena,
    run: async (_thread, task) => runGraphTask(chosen, task),
  };
}

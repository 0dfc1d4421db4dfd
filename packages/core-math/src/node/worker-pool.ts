import type { SearchResult } from '../contracts.js';
import type { KernelChoice } from '../kernels/select.js';
import type { Metric } from '../metric.js';
import {
  concatSearchResults,
  exactScan,
  exactScanScratchBytes,
  mergeSearchResults,
  type DenseRows,
  type ExactScanOptions,
  type ScanExecutor,
} from '../scan.js';
import { ArenaThreads, builtWorkerUrl } from './arena-threads.js';
import type { ScanTask } from './pool-protocol.js';

export interface WorkerPoolOptions {
  /** Worker threads (default: the machine's available parallelism). */
  threads?: number;
  /** Kernel backend the workers use (default `auto`). */
  kernels?: KernelChoice;
  /** Scans smaller than this many multiply-adds run on the calling thread (default 2^20). */
  inlineBelow?: number;
}

/**
 * Worker threads that run exact scans over the shared arena (`defaultArena()`), so every thread
 * reads the same rows in place. A batch is split by queries when there are at least as many
 * queries as threads, otherwise by slot ranges whose results are merged.
 *
 * Rows passed to `exactScan` must live in `defaultArena()` and must not be freed or moved (by an
 * `add` that grows the index, say) until the returned promise settles.
 */
export class WorkerPool implements ScanExecutor {
  readonly threads: number;
  private readonly pool: ArenaThreads<ScanTask, SearchResult>;
  private readonly inlineBelow: number;

  constructor(options: WorkerPoolOptions = {}) {
    this.pool = new ArenaThreads({ name: 'WorkerPool', operation: 'exactScan' }, builtWorkerUrl(import.meta.url, 'pool-worker'), options);
    this.threads = this.pool.threads;
    this.inlineBelow = options.inlineBelow ?? 1 << 20;
  }

  async exactScan(rows: DenseRows, metric: Metric, queries: Float32Array, k: number, options: ExactScanOptions = {}): Promise<SearchResult> {
    this.pool.checkUsable();
    const queryCount = queries.length / rows.dim;
    const begin = options.slotBegin ?? 0;
    const end = Math.min(options.slotEnd ?? rows.count, rows.count);
    const work = queryCount * Math.max(0, end - begin) * rows.dim;
    if (work < this.inlineBelow) return exactScan(this.pool.kernels, rows, metric, queries, k, options);

    const parts: Promise<SearchResult>[] = [];
    if (queryCount >= this.threads) {
      // Each worker takes a contiguous share of the queries and scans every row.
      for (let t = 0; t < this.threads; t++) {
        const q0 = Math.floor((t * queryCount) / this.threads);
        const q1 = Math.floor(((t + 1) * queryCount) / this.threads);
        parts.push(this.dispatch(t, rows, metric, queries.subarray(q0 * rows.dim, q1 * rows.dim), k, options, begin, end));
      }
      return concatSearchResults(await Promise.all(parts), k);
    }
    // Few queries: each worker scans a slot range for all of them; keep the best k overall.
    for (let t = 0; t < this.threads; t++) {
      const s0 = begin + Math.floor((t * (end - begin)) / this.threads);
      const s1 = begin + Math.floor(((t + 1) * (end - begin)) / this.threads);
      parts.push(this.dispatch(t, rows, metric, queries, k, options, s0, s1));
    }
    return mergeSearchResults(await Promise.all(parts), k);
  }

  /** Stops the threads; pending scans are rejected. */
  close(): Promise<void> {
    return this.pool.close();
  }

  private async dispatch(
    thread: number,
    rows: DenseRows,
    metric: Metric,
    queries: Float32Array,
    k: number,
    options: ExactScanOptions,
    slotBegin: number,
    slotEnd: number,
  ): Promise<SearchResult> {
    const scratch = this.pool.arena.alloc(exactScanScratchBytes(rows.dim, queries.length / rows.dim));
    const task: ScanTask = {
      rows: { ptr: rows.ptr, count: rows.count, dim: rows.dim },
      metric,
      queries: Float32Array.from(queries),
      k,
      ...(options.allowed ? { allowedWords: options.allowed.words, allowedSize: options.allowed.size } : {}),
      ...(options.allowedCount !== undefined ? { allowedCount: options.allowedCount } : {}),
      ...(options.minScore !== undefined ? { minScore: options.minScore } : {}),
      ...(options.maxScore !== undefined ? { maxScore: options.maxScore } : {}),
      slotBegin,
      slotEnd,
      scratchPtr: scratch.ptr,
      scratchBytes: scratch.byteLength,
      ...(options.sketch ? { sketch: options.sketch } : {}),
    };
    try {
      return await this.pool.run(thread, task, [task.queries.buffer as ArrayBuffer]);
    } finally {
      this.pool.arena.free(scratch);
    }
  }
}

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Arena } from '../arena.js';
import type { SearchResult } from '../contracts.js';
import { InvalidArgumentError, UnsupportedOperationError, VectorSearchError, type ErrorCode } from '../errors.js';
import { defaultArena, getKernels, type KernelChoice } from '../kernels/select.js';
import type { Kernels } from '../kernels/types.js';
import type { Metric } from '../metric.js';
import {
  exactScan,
  exactScanScratchBytes,
  mergeSearchResults,
  type DenseRows,
  type ExactScanOptions,
  type ScanExecutor,
} from '../scan.js';
import type { PoolWorkerData, ScanReply, ScanTask } from './pool-protocol.js';

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
  private readonly arena: Arena;
  private readonly kernels: Kernels;
  private readonly workers: Worker[];
  private readonly pending = new Map<number, { resolve: (r: SearchResult) => void; reject: (e: unknown) => void; worker: Worker }>();
  private readonly busy = new Map<Worker, number>();
  private readonly inlineBelow: number;
  private nextId = 1;
  private closed = false;
  private failure: unknown;

  constructor(options: WorkerPoolOptions = {}) {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
      throw new InvalidArgumentError('threads', `must be an integer in [1, 256], got ${threads}`);
    }
    this.threads = threads;
    this.arena = defaultArena();
    if (!this.arena.shared || !this.arena.memory) {
      throw new UnsupportedOperationError('WorkerPool', 'a non-shared arena', 'worker threads need SharedArrayBuffer');
    }
    this.kernels = getKernels(options.kernels);
    this.inlineBelow = options.inlineBelow ?? 1 << 20;
    const workerData: PoolWorkerData = { memory: this.arena.memory, backend: this.kernels.backend };
    this.workers = Array.from({ length: threads }, () => this.startWorker(workerData));
  }

  async exactScan(rows: DenseRows, metric: Metric, queries: Float32Array, k: number, options: ExactScanOptions = {}): Promise<SearchResult> {
    if (this.closed) throw new UnsupportedOperationError('WorkerPool', 'exactScan after close()');
    if (this.failure) throw new VectorSearchError('INTERNAL', 'a worker thread failed', { cause: this.failure });
    const queryCount = queries.length / rows.dim;
    const begin = options.slotBegin ?? 0;
    const end = Math.min(options.slotEnd ?? rows.count, rows.count);
    const work = queryCount * Math.max(0, end - begin) * rows.dim;
    if (work < this.inlineBelow) return exactScan(this.kernels, rows, metric, queries, k, options);

    const parts: Promise<SearchResult>[] = [];
    if (queryCount >= this.threads) {
      // Each worker takes a contiguous share of the queries and scans every row.
      for (let t = 0; t < this.threads; t++) {
        const q0 = Math.floor((t * queryCount) / this.threads);
        const q1 = Math.floor(((t + 1) * queryCount) / this.threads);
        parts.push(this.dispatch(t, rows, metric, queries.subarray(q0 * rows.dim, q1 * rows.dim), k, options, begin, end));
      }
      return concatQueryParts(await Promise.all(parts), k);
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
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((worker) => worker.terminate()));
    this.rejectAll(new UnsupportedOperationError('WorkerPool', 'exactScan after close()'));
  }

  private startWorker(workerData: PoolWorkerData): Worker {
    const worker = new Worker(workerScriptUrl(), { workerData });
    worker.unref();
    worker.on('message', (reply: ScanReply) => this.settle(worker, reply));
    worker.on('error', (error) => {
      this.failure = error;
      this.rejectAll(new VectorSearchError('INTERNAL', 'a worker thread failed', { cause: error }));
    });
    return worker;
  }

  private dispatch(
    index: number,
    rows: DenseRows,
    metric: Metric,
    queries: Float32Array,
    k: number,
    options: ExactScanOptions,
    slotBegin: number,
    slotEnd: number,
  ): Promise<SearchResult> {
    const worker = this.workers[index]!;
    const scratchBytes = exactScanScratchBytes(rows.dim, queries.length / rows.dim);
    const scratch = this.arena.alloc(scratchBytes);
    const id = this.nextId++;
    const task: ScanTask = {
      id,
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
    return new Promise<SearchResult>((resolve, reject) => {
      const release = () => {
        this.arena.free(scratch);
        const left = (this.busy.get(worker) ?? 1) - 1;
        this.busy.set(worker, left);
        if (left === 0) worker.unref();
      };
      this.pending.set(id, {
        resolve: (result) => {
          release();
          resolve(result);
        },
        reject: (error) => {
          release();
          reject(error);
        },
        worker,
      });
      this.busy.set(worker, (this.busy.get(worker) ?? 0) + 1);
      worker.ref(); // keep the process alive while a task is out
      worker.postMessage(task, [task.queries.buffer as ArrayBuffer]);
    });
  }

  private settle(worker: Worker, reply: ScanReply): void {
    const entry = this.pending.get(reply.id);
    if (!entry || entry.worker !== worker) return;
    this.pending.delete(reply.id);
    if (reply.ok) entry.resolve(reply.result);
    else entry.reject(new VectorSearchError((reply.code as ErrorCode | undefined) ?? 'INTERNAL', reply.message));
  }

  private rejectAll(error: unknown): void {
    for (const [id, entry] of this.pending) {
      this.pending.delete(id);
      entry.reject(error);
    }
  }
}

/** Concatenates results of consecutive query ranges. */
function concatQueryParts(parts: readonly SearchResult[], k: number): SearchResult {
  const queryCount = parts.reduce((sum, part) => sum + part.queryCount, 0);
  const slots = new Int32Array(queryCount * k);
  const scores = new Float32Array(queryCount * k);
  const counts = new Uint32Array(queryCount);
  let q = 0;
  for (const part of parts) {
    slots.set(part.slots, q * k);
    scores.set(part.scores, q * k);
    counts.set(part.counts, q);
    q += part.queryCount;
  }
  return { k, queryCount, slots, scores, counts };
}

/**
 * The compiled worker script. From the built package it sits beside this module; when this module
 * runs from its TypeScript source (tests), worker threads still need JavaScript, so use the build.
 */
function workerScriptUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/node/pool-worker.js', here) : new URL('./pool-worker.js', here);
}

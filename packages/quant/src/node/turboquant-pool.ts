import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  defaultArena,
  getKernels,
  InvalidArgumentError,
  LUT_BLOCK,
  UnsupportedOperationError,
  VectorSearchError,
  type Arena,
  type ErrorCode,
  type KernelChoice,
  type Kernels,
  type SearchResult,
} from '@quiver/core-math';
import {
  lutSearch,
  lutSearchScratchBytes,
  type LutQueryTables,
  type LutScanData,
  type LutSearchExecutor,
  type LutSearchOptions,
} from '../turboquant/index/lut-search.js';
import type { LutReply, LutTask, LutWorkerData } from './lut-pool-protocol.js';

export interface TurboQuantPoolOptions {
  /** Worker threads (default: the machine's available parallelism). */
  readonly threads?: number;
  /** Kernel backend of the workers (default `auto`). */
  readonly kernels?: KernelChoice;
  /** Batches of fewer queries than this run on the calling thread (default 2). */
  readonly inlineBelow?: number;
}

type TaskOptions = Omit<LutSearchOptions, 'scratch'>;

/**
 * Worker threads that run TurboQuantIndex's lookup-table scans over the shared arena
 * (`defaultArena()`), so every thread reads the same codes in place: pass it as
 * `index.searchAsync(queries, k, { executor: pool })`. A batch is split by queries when it has at
 * least as many as threads, else by block ranges whose shortlists are merged.
 */
export class TurboQuantPool implements LutSearchExecutor {
  readonly threads: number;
  private readonly arena: Arena;
  private readonly kernels: Kernels;
  private readonly workers: Worker[];
  private readonly pending = new Map<number, { resolve: (r: SearchResult) => void; reject: (e: unknown) => void; worker: Worker }>();
  private readonly inlineBelow: number;
  private nextId = 1;
  private closed = false;
  private failure: unknown;

  constructor(options: TurboQuantPoolOptions = {}) {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw new InvalidArgumentError('threads', `must be an integer in [1, 256], got ${threads}`);
    this.threads = threads;
    this.arena = defaultArena();
    if (!this.arena.shared || !this.arena.memory) {
      throw new UnsupportedOperationError('TurboQuantPool', 'a non-shared arena', 'worker threads need SharedArrayBuffer');
    }
    this.kernels = getKernels(options.kernels);
    this.inlineBelow = options.inlineBelow ?? 2;
    const workerData: LutWorkerData = { memory: this.arena.memory, backend: this.kernels.backend };
    this.workers = Array.from({ length: threads }, () => this.startWorker(workerData));
  }

  async lutSearch(data: LutScanData, tables: LutQueryTables, k: number, options: TaskOptions): Promise<SearchResult> {
    if (this.closed) throw new UnsupportedOperationError('TurboQuantPool', 'lutSearch after close()');
    if (this.failure) throw new VectorSearchError('INTERNAL', 'a worker thread failed', { cause: this.failure });
    const { queryCount } = tables;
    if (queryCount < this.inlineBelow || this.threads === 1) return lutSearch(this.kernels, data, tables, k, options);
    if (queryCount >= this.threads) {
      const parts: Promise<SearchResult>[] = [];
      for (let t = 0; t < this.threads; t++) {
        const q0 = Math.floor((t * queryCount) / this.threads);
        const q1 = Math.floor(((t + 1) * queryCount) / this.threads);
        parts.push(this.dispatch(t, data, sliceTables(tables, data.positions, q0, q1), k, options));
      }
      return concatQueryParts(await Promise.all(parts));
    }
    // Few queries: each worker scans a block range; their shortlists merge into the final shortlist.
    const blocks = Math.ceil(data.count / LUT_BLOCK);
    const parts: Promise<SearchResult>[] = [];
    for (let t = 0; t < this.threads; t++) {
      const blockBegin = Math.floor((t * blocks) / this.threads);
      const blockEnd = Math.floor(((t + 1) * blocks) / this.threads);
      parts.push(this.dispatch(t, data, tables, k, { ...options, blockBegin, blockEnd }));
    }
    return mergeParts(await Promise.all(parts), options.correct ? k : options.shortlist);
  }

  /** Stops the threads; pending searches are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((worker) => worker.terminate()));
    for (const [id, entry] of this.pending) {
      this.pending.delete(id);
      entry.reject(new UnsupportedOperationError('TurboQuantPool', 'lutSearch after close()'));
    }
  }

  private startWorker(workerData: LutWorkerData): Worker {
    const worker = new Worker(workerScriptUrl(), { workerData, execArgv: builtExecArgv() });
    worker.unref();
    worker.on('message', (reply: LutReply) => {
      const entry = this.pending.get(reply.id);
      if (!entry || entry.worker !== worker) return;
      this.pending.delete(reply.id);
      if (reply.ok) entry.resolve(reply.result);
      else entry.reject(new VectorSearchError((reply.code as ErrorCode | undefined) ?? 'INTERNAL', reply.message));
    });
    worker.on('error', (error) => {
      this.failure = error;
      for (const [id, entry] of this.pending) {
        this.pending.delete(id);
        entry.reject(new VectorSearchError('INTERNAL', 'a worker thread failed', { cause: error }));
      }
    });
    return worker;
  }

  private dispatch(index: number, data: LutScanData, tables: LutQueryTables, k: number, options: TaskOptions): Promise<SearchResult> {
    const worker = this.workers[index]!;
    const blocks = Math.ceil(data.count / LUT_BLOCK);
    const scratch = this.arena.alloc(lutSearchScratchBytes(data.positions, tables.queryCount, blocks, options.shortlist));
    const id = this.nextId++;
    const task: LutTask = { id, data, tables, k, options, scratchPtr: scratch.ptr, scratchBytes: scratch.byteLength };
    return new Promise<SearchResult>((resolve, reject) => {
      const settle = () => {
        this.arena.free(scratch);
        if (this.pending.size === 0) worker.unref();
      };
      this.pending.set(id, {
        resolve: (r) => {
          settle();
          resolve(r);
        },
        reject: (e) => {
          settle();
          reject(e);
        },
        worker,
      });
      worker.ref(); // keep the process alive while a task is out
      worker.postMessage(task);
    });
  }
}

/** Queries [q0, q1) of a batch of tables (copies, so they can be posted). */
function sliceTables(tables: LutQueryTables, positions: number, q0: number, q1: number): LutQueryTables {
  const lut = positions * 16;
  const stride = tables.params.length / tables.queryCount;
  return {
    queryCount: q1 - q0,
    u8: tables.u8.slice(q0 * lut, q1 * lut),
    params: tables.params.slice(q0 * stride, q1 * stride),
    f32: tables.f32.slice(q0 * lut, q1 * lut),
    constants: tables.constants.slice(q0, q1),
  };
}

function concatQueryParts(parts: readonly SearchResult[]): SearchResult {
  const k = parts[0]!.k;
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

/** Best `keep` per query over block-range parts (scores higher first, ties to the lower slot). */
function mergeParts(parts: readonly SearchResult[], keep: number): SearchResult {
  const queryCount = parts[0]!.queryCount;
  const slots = new Int32Array(queryCount * keep).fill(-1);
  const scores = new Float32Array(queryCount * keep).fill(-Infinity);
  const counts = new Uint32Array(queryCount);
  for (let q = 0; q < queryCount; q++) {
    const pairs: [number, number][] = [];
    for (const part of parts) {
      for (let i = 0; i < part.counts[q]!; i++) pairs.push([part.scores[q * part.k + i]!, part.slots[q * part.k + i]!]);
    }
    pairs.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    const n = Math.min(keep, pairs.length);
    for (let i = 0; i < n; i++) {
      scores[q * keep + i] = pairs[i]![0];
      slots[q * keep + i] = pairs[i]![1];
    }
    counts[q] = n;
  }
  return { k: keep, queryCount, slots, scores, counts };
}

/**
 * The parent's Node flags without `--conditions=@quiver/source`: the worker is compiled JavaScript
 * and must resolve workspace packages to their builds (test runners set that condition for sources).
 */
function builtExecArgv(): string[] {
  const args: string[] = [];
  const parent = process.execArgv;
  for (let i = 0; i < parent.length; i++) {
    const arg = parent[i]!;
    if (arg.startsWith('--conditions=') || arg.startsWith('-C=')) continue;
    if (arg === '--conditions' || arg === '-C') {
      i++;
      continue;
    }
    args.push(arg);
  }
  return args;
}

/** The compiled worker script: beside this module when built; tests running the sources use the build. */
function workerScriptUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/node/lut-pool-worker.js', here) : new URL('./lut-pool-worker.js', here);
}

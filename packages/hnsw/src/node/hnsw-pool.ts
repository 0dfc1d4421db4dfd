import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  defaultArena,
  getKernels,
  InvalidArgumentError,
  UnsupportedOperationError,
  VectorSearchError,
  type Arena,
  type ErrorCode,
  type KernelChoice,
} from '@quiver/core-math';
import type { GraphSearchReply, GraphTask, HnswExecutor } from '../graph-tasks.js';
import type { HnswTaskReply, HnswWorkerData } from './hnsw-pool-protocol.js';

export interface HnswPoolOptions {
  /** Worker threads (default: the machine's available parallelism). */
  readonly threads?: number;
  /** Kernel backend of the workers (default `auto`). */
  readonly kernels?: KernelChoice;
}

interface Pending {
  readonly resolve: (reply: GraphSearchReply | undefined) => void;
  readonly reject: (error: unknown) => void;
  readonly worker: Worker;
}

/**
 * Worker threads that run HnswIndex's graph tasks over the shared arena (`defaultArena()`), so
 * every thread walks the same links and rows in place: `index.addParallel(vectors, pool)` and
 * `index.searchAsync(queries, k, options, pool)`. Close it when done.
 */
export class HnswPool implements HnswExecutor {
  readonly threads: number;
  readonly arena: Arena;
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private failure: unknown;

  constructor(options: HnswPoolOptions = {}) {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw new InvalidArgumentError('threads', `must be an integer in [1, 256], got ${threads}`);
    this.threads = threads;
    this.arena = defaultArena();
    if (!this.arena.shared || !this.arena.memory) {
      throw new UnsupportedOperationError('HnswPool', 'a non-shared arena', 'worker threads need SharedArrayBuffer');
    }
    const workerData: HnswWorkerData = { memory: this.arena.memory, backend: getKernels(options.kernels).backend };
    this.workers = Array.from({ length: threads }, () => this.startWorker(workerData));
  }

  run(thread: number, task: GraphTask): Promise<GraphSearchReply | undefined> {
    if (this.closed) return Promise.reject(new UnsupportedOperationError('HnswPool', 'run after close()'));
    if (this.failure) return Promise.reject(new VectorSearchError('INTERNAL', 'a worker thread failed', { cause: this.failure }));
    if (!Number.isInteger(thread) || thread < 0 || thread >= this.threads) {
      return Promise.reject(new InvalidArgumentError('thread', `must be an integer in [0, ${this.threads}), got ${thread}`));
    }
    const worker = this.workers[thread]!;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const settle = () => {
        if (![...this.pending.values()].some((entry) => entry.worker === worker)) worker.unref();
      };
      this.pending.set(id, {
        resolve: (reply) => {
          settle();
          resolve(reply);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
        worker,
      });
      worker.ref(); // keep the process alive while a task is out
      worker.postMessage({ id, task });
    });
  }

  /** Stops the threads; pending tasks are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((worker) => worker.terminate()));
    this.rejectAll(new UnsupportedOperationError('HnswPool', 'run after close()'));
  }

  private startWorker(workerData: HnswWorkerData): Worker {
    const worker = new Worker(workerScriptUrl(), { workerData, execArgv: builtExecArgv() });
    worker.unref();
    worker.on('message', (message: HnswTaskReply) => {
      const entry = this.pending.get(message.id);
      if (!entry || entry.worker !== worker) return;
      this.pending.delete(message.id);
      if (message.ok) entry.resolve(message.reply);
      else entry.reject(new VectorSearchError((message.code as ErrorCode | undefined) ?? 'INTERNAL', message.message));
    });
    worker.on('error', (error) => {
      this.failure = error;
      this.rejectAll(new VectorSearchError('INTERNAL', 'a worker thread failed', { cause: error }));
    });
    return worker;
  }

  private rejectAll(error: unknown): void {
    for (const [id, entry] of this.pending) {
      this.pending.delete(id);
      entry.reject(error);
    }
  }
}

/**
 * The parent's Node flags without `--conditions`: the worker is compiled JavaScript and must
 * resolve workspace packages to their builds (test runners set a condition for sources).
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
  return here.endsWith('.ts') ? new URL('../../dist/node/hnsw-pool-worker.js', here) : new URL('./hnsw-pool-worker.js', here);
}

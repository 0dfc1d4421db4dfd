import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Arena } from '../arena.js';
import { InvalidArgumentError, UnsupportedOperationError, VectorSearchError, type ErrorCode } from '../errors.js';
import { defaultArena, getKernels, type KernelChoice } from '../kernels/select.js';
import type { KernelBackend, Kernels } from '../kernels/types.js';

/** What every arena thread is started with: the shared memory and the kernel backend. */
export interface ArenaWorkerData {
  readonly memory: WebAssembly.Memory;
  readonly backend: KernelBackend;
}

/** A task as posted to a thread, and the thread's answer. */
export interface ArenaTaskMessage<Task> {
  readonly id: number;
  readonly task: Task;
}

export type ArenaTaskReply<Reply> =
  | { readonly id: number; readonly ok: true; readonly reply: Reply }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly code?: string };

export interface ArenaThreadsOptions {
  /** Worker threads (default: the machine's available parallelism). */
  readonly threads?: number | undefined;
  /** Kernel backend of the threads and of `kernels` (default `auto`). */
  readonly kernels?: KernelChoice | undefined;
}

interface Pending<Reply> {
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: unknown) => void;
  readonly worker: Worker;
}

/**
 * Worker threads attached to the shared arena (`defaultArena()`), each running a compiled script
 * that answers tasks with `serveArenaTasks` (`./arena-worker.js`). The plumbing every pool shares:
 * thread validation, task ids, replies turned back into typed errors, keeping the process alive
 * only while a task is out, failure and close. The pools (exact scans, lookup-table scans, graph
 * tasks) decide how a batch is split.
 */
export class ArenaThreads<Task, Reply> {
  readonly threads: number;
  readonly arena: Arena;
  /** The kernels of the calling thread, of the same backend as the threads'. */
  readonly kernels: Kernels;
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending<Reply>>();
  private readonly busy = new Map<Worker, number>();
  private nextId = 1;
  private closed = false;
  private failure: unknown;

  /**
   * @param owner the pool's name and the operation its callers run, for errors after `close()`
   * @param script the compiled worker script (see `builtWorkerUrl`)
   */
  constructor(
    private readonly owner: { readonly name: string; readonly operation: string },
    script: URL,
    options: ArenaThreadsOptions = {},
  ) {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
      throw new InvalidArgumentError('threads', `must be an integer in [1, 256], got ${threads}`);
    }
    this.threads = threads;
    this.arena = defaultArena();
    if (!this.arena.shared || !this.arena.memory) {
      throw new UnsupportedOperationError(owner.name, 'a non-shared arena', 'worker threads need SharedArrayBuffer');
    }
    this.kernels = getKernels(options.kernels);
    const workerData: ArenaWorkerData = { memory: this.arena.memory, backend: this.kernels.backend };
    this.workers = Array.from({ length: threads }, () => this.startWorker(script, workerData));
  }

  /** Throws when the threads were closed or one of them failed. */
  checkUsable(): void {
    if (this.closed) throw new UnsupportedOperationError(this.owner.name, `${this.owner.operation} after close()`);
    if (this.failure) throw new VectorSearchError('INTERNAL', 'a worker thread failed', { cause: this.failure });
  }

  /** Runs `task` on thread `thread`; `transfer` lists buffers moved (not copied) to it. */
  run(thread: number, task: Task, transfer: readonly ArrayBuffer[] = []): Promise<Reply> {
    try {
      this.checkUsable();
    } catch (error) {
      return Promise.reject(error);
    }
    if (!Number.isInteger(thread) || thread < 0 || thread >= this.threads) {
      return Promise.reject(new InvalidArgumentError('thread', `must be an integer in [0, ${this.threads}), got ${thread}`));
    }
    const worker = this.workers[thread]!;
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      const release = () => {
        const left = (this.busy.get(worker) ?? 1) - 1;
        this.busy.set(worker, left);
        if (left === 0) worker.unref();
      };
      this.pending.set(id, {
        resolve: (reply) => {
          release();
          resolve(reply);
        },
        reject: (error) => {
          release();
          reject(error);
        },
        worker,
      });
      this.busy.set(worker, (this.busy.get(worker) ?? 0) + 1);
      worker.ref(); // keep the process alive while a task is out
      const message: ArenaTaskMessage<Task> = { id, task };
      worker.postMessage(message, transfer as ArrayBuffer[]);
    });
  }

  /** Stops the threads; pending tasks are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((worker) => worker.terminate()));
    this.rejectAll(new UnsupportedOperationError(this.owner.name, `${this.owner.operation} after close()`));
  }

  private startWorker(script: URL, workerData: ArenaWorkerData): Worker {
    const worker = new Worker(script, { workerData, execArgv: builtExecArgv() });
    worker.unref();
    worker.on('message', (message: ArenaTaskReply<Reply>) => {
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
 * A package's compiled worker script `dist/node/<name>.js`: beside the calling module when it runs
 * built, and from the package's build when it runs from its TypeScript source (tests), since
 * worker threads need JavaScript. `moduleUrl` is the caller's `import.meta.url`, in `src/node/`.
 */
export function builtWorkerUrl(moduleUrl: string, name: string): URL {
  return moduleUrl.endsWith('.ts') ? new URL(`../../dist/node/${name}.js`, moduleUrl) : new URL(`./${name}.js`, moduleUrl);
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

import { parentPort, workerData } from 'node:worker_threads';
import { Arena } from '../arena.js';
import { isVectorSearchError } from '../errors.js';
import { createKernels } from '../kernels/select.js';
import type { Kernels } from '../kernels/types.js';
import type { ArenaTaskMessage, ArenaTaskReply, ArenaWorkerData } from './arena-threads.js';

/** A task's answer and the buffers to move (not copy) back to the main thread. */
export interface ArenaTaskResult<Reply> {
  readonly reply: Reply;
  readonly transfer?: readonly ArrayBuffer[];
}

/**
 * The body of an `ArenaThreads` thread: attaches to the main thread's shared arena, creates
 * kernels over it, and answers every task with `handle`; a thrown error goes back with its code.
 */
export function serveArenaTasks<Task, Reply>(handle: (kernels: Kernels, task: Task) => ArenaTaskResult<Reply>): void {
  const { memory, backend } = workerData as ArenaWorkerData;
  const kernels = createKernels(Arena.attach(memory), backend);
  parentPort!.on('message', ({ id, task }: ArenaTaskMessage<Task>) => {
    let message: ArenaTaskReply<Reply>;
    let transfer: readonly ArrayBuffer[] = [];
    try {
      const result = handle(kernels, task);
      message = { id, ok: true, reply: result.reply };
      transfer = result.transfer ?? [];
    } catch (error) {
      message = {
        id,
        ok: false,
        message: error instanceof Error ? error.message : String(error),
        ...(isVectorSearchError(error) ? { code: error.code } : {}),
      };
    }
    parentPort!.postMessage(message, transfer as ArrayBuffer[]);
  });
}

/** The buffers of a search result, to move back to the main thread. */
export function searchResultBuffers(result: { slots: Int32Array; scores: Float32Array; counts: Uint32Array }): ArrayBuffer[] {
  return [result.slots.buffer, result.scores.buffer, result.counts.buffer] as ArrayBuffer[];
}

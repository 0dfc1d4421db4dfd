/**
 * The body of an `HnswPool` thread: it attaches to the main thread's shared arena and runs graph
 * tasks (searches, batch planning and commits) over the graph and rows there, never copying them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Arena, createKernels, isVectorSearchError } from '@quiver/core-math';
import { runGraphTask } from '../graph-tasks.js';
import type { HnswTaskMessage, HnswTaskReply, HnswWorkerData } from './hnsw-pool-protocol.js';

const { memory, backend } = workerData as HnswWorkerData;
const kernels = createKernels(Arena.attach(memory), backend);

parentPort!.on('message', ({ id, task }: HnswTaskMessage) => {
  let message: HnswTaskReply;
  try {
    message = { id, ok: true, reply: runGraphTask(kernels, task) };
  } catch (error) {
    message = {
      id,
      ok: false,
      message: error instanceof Error ? error.message : String(error),
      ...(isVectorSearchError(error) ? { code: error.code } : {}),
    };
  }
  const reply = message.ok ? message.reply : undefined;
  parentPort!.postMessage(message, reply ? ([reply.counts.buffer, reply.ids.buffer, reply.scores.buffer] as ArrayBuffer[]) : []);
});

/**
 * The body of a `TurboQuantPool` thread: it attaches to the main thread's shared arena and runs
 * lookup-table searches over the codes there, so they are never copied between threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Arena, createKernels, isVectorSearchError, type SearchResult } from '@quiver/core-math';
import { lutSearch } from '../turboquant/index/lut-search.js';
import type { LutReply, LutTask, LutWorkerData } from './lut-pool-protocol.js';

const { memory, backend } = workerData as LutWorkerData;
const kernels = createKernels(Arena.attach(memory), backend);

parentPort!.on('message', (task: LutTask) => {
  let reply: LutReply;
  try {
    const scratch = { ptr: task.scratchPtr, byteLength: task.scratchBytes };
    reply = { id: task.id, ok: true, result: lutSearch(kernels, task.data, task.tables, task.k, { ...task.options, scratch }) };
  } catch (error) {
    reply = {
      id: task.id,
      ok: false,
      message: error instanceof Error ? error.message : String(error),
      ...(isVectorSearchError(error) ? { code: error.code } : {}),
    };
  }
  const { result } = reply as { result?: SearchResult };
  parentPort!.postMessage(reply, result ? ([result.slots.buffer, result.scores.buffer, result.counts.buffer] as ArrayBuffer[]) : []);
});

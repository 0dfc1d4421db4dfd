/**
 * The body of a `WorkerPool` thread: it attaches to the main thread's shared arena and runs exact
 * scans there, so the rows are never copied between threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Arena } from '../arena.js';
import { isVectorSearchError } from '../errors.js';
import { SlotBitset } from '../filters.js';
import { createKernels } from '../kernels/select.js';
import { exactScan } from '../scan.js';
import type { SearchResult } from '../contracts.js';
import type { PoolWorkerData, ScanReply, ScanTask } from './pool-protocol.js';

const { memory, backend } = workerData as PoolWorkerData;
const kernels = createKernels(Arena.attach(memory), backend);

parentPort!.on('message', (task: ScanTask) => {
  let reply: ScanReply;
  try {
    const allowed =
      task.allowedWords && task.allowedSize !== undefined ? new SlotBitset(task.allowedSize, task.allowedWords) : undefined;
    const result = exactScan(kernels, task.rows, task.metric, task.queries, task.k, {
      ...(allowed ? { allowed } : {}),
      ...(task.allowedCount !== undefined ? { allowedCount: task.allowedCount } : {}),
      ...(task.minScore !== undefined ? { minScore: task.minScore } : {}),
      ...(task.maxScore !== undefined ? { maxScore: task.maxScore } : {}),
      slotBegin: task.slotBegin,
      slotEnd: task.slotEnd,
      scratch: { ptr: task.scratchPtr, byteLength: task.scratchBytes },
      ...(task.sketch ? { sketch: task.sketch } : {}),
    });
    reply = { id: task.id, ok: true, result };
  } catch (error) {
    reply = {
      id: task.id,
      ok: false,
      message: error instanceof Error ? error.message : String(error),
      ...(isVectorSearchError(error) ? { code: error.code } : {}),
    };
  }
  const { result } = reply as { result?: SearchResult };
  parentPort!.postMessage(reply, result ? [result.slots.buffer, result.scores.buffer, result.counts.buffer] as ArrayBuffer[] : []);
});

/**
 * The body of a `WorkerPool` thread: it runs exact scans over the main thread's shared arena, so
 * the rows are never copied between threads.
 */
import type { SearchResult } from '../contracts.js';
import { SlotBitset } from '../filters.js';
import { exactScan } from '../scan.js';
import { searchResultBuffers, serveArenaTasks } from './arena-worker.js';
import type { ScanTask } from './pool-protocol.js';

serveArenaTasks<ScanTask, SearchResult>((kernels, task) => {
  const allowed = task.allowedWords && task.allowedSize !== undefined ? new SlotBitset(task.allowedSize, task.allowedWords) : undefined;
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
  return { reply: result, transfer: searchResultBuffers(result) };
});

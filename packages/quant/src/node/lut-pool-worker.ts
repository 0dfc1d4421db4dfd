/**
 * The body of a `TurboQuantPool` thread: it runs lookup-table searches over the codes in the main
 * thread's shared arena, so they are never copied between threads.
 */
import type { SearchResult } from '@quiver/core-math';
import { searchResultBuffers, serveArenaTasks } from '@quiver/core-math/node';
import { lutSearch } from '../turboquant/index/lut-search.js';
import type { LutTask } from './lut-pool-protocol.js';

serveArenaTasks<LutTask, SearchResult>((kernels, task) => {
  const scratch = { ptr: task.scratchPtr, byteLength: task.scratchBytes };
  const result = lutSearch(kernels, task.data, task.tables, task.k, { ...task.options, scratch });
  return { reply: result, transfer: searchResultBuffers(result) };
});

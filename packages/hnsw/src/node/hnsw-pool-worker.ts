/**
 * The body of an `HnswPool` thread: it runs graph tasks (searches, batch planning and commits) over
 * the graph and rows in the main thread's shared arena, never copying them.
 */
import { serveArenaTasks } from '@quiver/core-math/node';
import { runGraphTask, type GraphSearchReply, type GraphTask } from '../graph-tasks.js';

serveArenaTasks<GraphTask, GraphSearchReply | undefined>((kernels, task) => {
  const reply = runGraphTask(kernels, task);
  return { reply, transfer: reply ? ([reply.counts.buffer, reply.ids.buffer, reply.scores.buffer] as ArrayBuffer[]) : [] };
});

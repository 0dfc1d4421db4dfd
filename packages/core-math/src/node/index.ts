export { WorkerPool } from './worker-pool.js';
export type { WorkerPoolOptions } from './worker-pool.js';
export { ArenaThreads, builtWorkerUrl } from './arena-threads.js';
export type { ArenaThreadsOptions, ArenaWorkerData, ArenaTaskMessage, ArenaTaskReply } from './arena-threads.js';
export { serveArenaTasks, searchResultBuffers } from './arena-worker.js';
export type { ArenaTaskResult } from './arena-worker.js';

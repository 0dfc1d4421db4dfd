import type { KernelBackend } from '@quiver/core-math';
import type { GraphSearchReply, GraphTask } from '../graph-tasks.js';

/** What an `HnswPool` thread is started with. */
export interface HnswWorkerData {
  readonly memory: WebAssembly.Memory;
  readonly backend: KernelBackend;
}

export interface HnswTaskMessage {
  readonly id: number;
  readonly task: GraphTask;
}

export type HnswTaskReply =
  | { readonly id: number; readonly ok: true; readonly reply: GraphSearchReply | undefined }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly code?: string };

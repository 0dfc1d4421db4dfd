import type { SearchResult } from '../contracts.js';
import type { KernelBackend } from '../kernels/types.js';
import type { Metric } from '../metric.js';
import type { Int8Sketch } from '../bounded-scan.js';
import type { DenseRows } from '../scan.js';

/** What a pool worker is started with. */
export interface PoolWorkerData {
  readonly memory: WebAssembly.Memory;
  readonly backend: KernelBackend;
}

/** One exact-scan task; `scratchPtr` is a block the main thread allocated for this task. */
export interface ScanTask {
  readonly id: number;
  readonly rows: DenseRows;
  readonly metric: Metric;
  readonly queries: Float32Array;
  readonly k: number;
  readonly allowedWords?: Uint32Array;
  readonly allowedSize?: number;
  readonly allowedCount?: number;
  readonly minScore?: number;
  readonly maxScore?: number;
  readonly slotBegin: number;
  readonly slotEnd: number;
  readonly scratchPtr: number;
  readonly scratchBytes: number;
  readonly sketch?: Int8Sketch;
}

export type ScanReply =
  | { readonly id: number; readonly ok: true; readonly result: SearchResult }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly code?: string };

import type { Int8Sketch } from '../bounded-scan.js';
import type { Metric } from '../metric.js';
import type { DenseRows } from '../scan.js';

/** One exact-scan task; `scratchPtr` is a block the main thread allocated for this task. */
export interface ScanTask {
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

import type { SearchResult } from '@quiver/core-math';
import type { LutQueryTables, LutScanData, LutSearchOptions } from '../turboquant/index/lut-search.js';

/** What a lookup-table pool worker is started with. */
export interface LutWorkerData {
  readonly memory: WebAssembly.Memory;
  readonly backend: 'wasm' | 'js';
}

/** One search task: prepared tables of some queries over codes in the shared arena. */
export interface LutTask {
  readonly id: number;
  readonly data: LutScanData;
  readonly tables: LutQueryTables;
  readonly k: number;
  readonly options: Omit<LutSearchOptions, 'scratch'>;
  readonly scratchPtr: number;
  readonly scratchBytes: number;
}

export type LutReply =
  | { readonly id: number; readonly ok: true; readonly result: SearchResult }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly code?: string };

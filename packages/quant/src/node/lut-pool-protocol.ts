import type { LutQueryTables, LutScanData, LutSearchOptions } from '../turboquant/index/lut-search.js';

/** One search task: prepared tables of some queries over codes in the shared arena. */
export interface LutTask {
  readonly data: LutScanData;
  readonly tables: LutQueryTables;
  readonly k: number;
  readonly options: Omit<LutSearchOptions, 'scratch'>;
  readonly scratchPtr: number;
  readonly scratchBytes: number;
}

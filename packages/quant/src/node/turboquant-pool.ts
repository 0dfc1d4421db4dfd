import { concatSearchResults, LUT_BLOCK, mergeSearchResults, type KernelChoice, type SearchResult } from '@quiver/core-math';
import { ArenaThreads, builtWorkerUrl } from '@quiver/core-math/node';
import {
  lutSearch,
  lutSearchScratchBytes,
  type LutQueryTables,
  type LutScanData,
  type LutSearchExecutor,
  type LutSearchOptions,
} from '../turboquant/index/lut-search.js';
import type { LutTask } from './lut-pool-protocol.js';

export interface TurboQuantPoolOptions {
  /** Worker threads (default: the machine's available parallelism). */
  readonly threads?: number;
  /** Kernel backend of the workers (default `auto`). */
  readonly kernels?: KernelChoice;
  /** Batches of fewer queries than this run on the calling thread (default 2). */
  readonly inlineBelow?: number;
}

type TaskOptions = Omit<LutSearchOptions, 'scratch'>;

/**
 * Worker threads that run TurboQuantIndex's lookup-table scans over the shared arena
 * (`defaultArena()`), so every thread reads the same codes in place: pass it as
 * `index.searchAsync(queries, k, { executor: pool })`. A batch is split by queries when it has at
 * least as many as threads, else by block ranges whose shortlists are merged.
 */
export class TurboQuantPool implements LutSearchExecutor {
  readonly threads: number;
  private readonly pool: ArenaThreads<LutTask, SearchResult>;
  private readonly inlineBelow: number;

  constructor(options: TurboQuantPoolOptions = {}) {
    this.pool = new ArenaThreads({ name: 'TurboQuantPool', operation: 'lutSearch' }, builtWorkerUrl(import.meta.url, 'lut-pool-worker'), options);
    this.threads = this.pool.threads;
    this.inlineBelow = options.inlineBelow ?? 2;
  }

  async lutSearch(data: LutScanData, tables: LutQueryTables, k: number, options: TaskOptions): Promise<SearchResult> {
    this.pool.checkUsable();
    const { queryCount } = tables;
    if (queryCount < this.inlineBelow || this.threads === 1) return lutSearch(this.pool.kernels, data, tables, k, options);
    if (queryCount >= this.threads) {
      const parts: Promise<SearchResult>[] = [];
      for (let t = 0; t < this.threads; t++) {
        const q0 = Math.floor((t * queryCount) / this.threads);
        const q1 = Math.floor(((t + 1) * queryCount) / this.threads);
        parts.push(this.dispatch(t, data, sliceTables(tables, data.positions, q0, q1), k, sliceScanOrder(options, q0, q1)));
      }
      const results = await Promise.all(parts);
      return concatSearchResults(results, results[0]!.k);
    }
    // Few queries: each worker scans a block range; their shortlists merge into the final shortlist.
    const blocks = Math.ceil(data.count / LUT_BLOCK);
    const parts: Promise<SearchResult>[] = [];
    for (let t = 0; t < this.threads; t++) {
      const blockBegin = Math.floor((t * blocks) / this.threads);
      const blockEnd = Math.floor(((t + 1) * blocks) / this.threads);
      parts.push(this.dispatch(t, data, tables, k, { ...options, blockBegin, blockEnd }));
    }
    return mergeSearchResults(await Promise.all(parts), options.correct ? k : options.shortlist);
  }

  /** Stops the threads; pending searches are rejected. */
  close(): Promise<void> {
    return this.pool.close();
  }

  private async dispatch(thread: number, data: LutScanData, tables: LutQueryTables, k: number, options: TaskOptions): Promise<SearchResult> {
    const blocks = Math.ceil(data.count / LUT_BLOCK);
    const scratch = this.pool.arena.alloc(lutSearchScratchBytes(data.positions, tables.queryCount, blocks, options.shortlist));
    try {
      return await this.pool.run(thread, { data, tables, k, options, scratchPtr: scratch.ptr, scratchBytes: scratch.byteLength });
    } finally {
      this.pool.arena.free(scratch);
    }
  }
}

/** The scan-order hints of queries [q0, q1), renumbered from 0 like their sliced tables. */
function sliceScanOrder(options: TaskOptions, q0: number, q1: number): TaskOptions {
  const { queryOrder, firstBlocks } = options;
  if (!queryOrder && !firstBlocks) return options;
  return {
    ...options,
    ...(queryOrder && { queryOrder: Int32Array.from(queryOrder.filter((q) => q >= q0 && q < q1), (q) => q - q0) }),
    ...(firstBlocks && { firstBlocks: firstBlocks.slice(2 * q0, 2 * q1) }),
  };
}

/** Queries [q0, q1) of a batch of tables (copies, so they can be posted). */
function sliceTables(tables: LutQueryTables, positions: number, q0: number, q1: number): LutQueryTables {
  const lut = positions * 16;
  const stride = tables.params.length / tables.queryCount;
  return {
    queryCount: q1 - q0,
    u8: tables.u8.slice(q0 * lut, q1 * lut),
    params: tables.params.slice(q0 * stride, q1 * stride),
    f32: tables.f32.slice(q0 * lut, q1 * lut),
    constants: tables.constants.slice(q0, q1),
  };
}

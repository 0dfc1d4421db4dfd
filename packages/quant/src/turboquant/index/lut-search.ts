import { emptySearchResult, lutParamStride, LUT_BLOCK, TopK, type ArenaBlock, type Kernels, type SearchResult } from '@quiver/core-math';

/** Codes in the lookup-table scan layout, living in the kernels' arena (see `BlockedCodes`). */
export interface LutScanData {
  readonly codesPtr: number;
  readonly scalesPtr: number;
  /** 0 when there are no per-vector offsets. */
  readonly offsetsPtr: number;
  readonly count: number;
  /** Table positions (the tables are positions × 16 entries; the coordinates in the 3-bit layout). */
  readonly positions: number;
  /** Codes in core-math's 3-bit layout (`lutScanBlocks3`), else in nibbles (`lutScanBlocks`). */
  readonly threeBit: boolean;
  /**
   * When rows are stored in another order than their slots (see `RowOrder`): the slot of each row,
   * and the row of each slot. Results, tie-breaks and masks are then in slots; absent = identity.
   */
  readonly slotOfRow?: Int32Array | undefined;
  readonly rowOfSlot?: Int32Array | undefined;
}

/** The prepared tables of a batch of queries (see `buildQueryTables`), query-major. */
export interface LutQueryTables {
  readonly queryCount: number;
  /** queryCount × positions × 16 u8 entries. */
  readonly u8: Uint8Array;
  /** queryCount × lutParamStride(positions) float32 parameters. */
  readonly params: Float32Array;
  /** queryCount × positions × 16 float32 entries (the exact correction). */
  readonly f32: Float32Array;
  /** Added to every final score of a query (−‖q‖² under l2, else 0). */
  readonly constants: Float32Array;
}

export interface LutSearchOptions {
  /** Candidates kept per query from the u8 scan (≥ k). */
  readonly shortlist: number;
  /** The early exit compares against the k-th (`k`) or the shortlist-th (`shortlist`) best approximate score. */
  readonly exitBar: 'k' | 'shortlist';
  /** Rescore the shortlist with the float tables and keep the best k (else return the shortlist with approximate scores). */
  readonly correct: boolean;
  /** One u32 word per block: bit = lane admitted (filters); covers every block scanned. */
  readonly maskWords?: Uint32Array | undefined;
  readonly minScore?: number | undefined;
  readonly maxScore?: number | undefined;
  /**
   * Scan order hints (results do not depend on them beyond the early exit's own tolerance): queries
   * are scanned 8 at a time in `queryOrder`, and each such pass first scans the blocks
   * [firstBlocks[2q], firstBlocks[2q + 1]) of its queries (where their nearest vectors are
   * expected), so the early-exit bars rise before the rest of the blocks.
   */
  readonly queryOrder?: Int32Array | undefined;
  readonly firstBlocks?: Int32Array | undefined;
  /** Scan only blocks [blockBegin, blockEnd) (worker splits). */
  readonly blockBegin?: number | undefined;
  readonly blockEnd?: number | undefined;
  /** Arena scratch of at least `lutSearchScratchBytes(...)` bytes (threads attached to another arena must pass one). */
  readonly scratch?: ArenaBlock | undefined;
}

/**
 * Runs lookup-table searches elsewhere: the Node worker pool (`TurboQuantPool` in
 * `@quiver/quant/node`) implements it over threads that share the arena's memory.
 */
export interface LutSearchExecutor {
  readonly threads: number;
  lutSearch(data: LutScanData, tables: LutQueryTables, k: number, options: Omit<LutSearchOptions, 'scratch'>): Promise<SearchResult>;
}

/** Queries per kernel call: their u8 tables (24 KiB each at d = 1536, 4 bits) stay in L2 while a block is scored. */
const QUERY_BLOCK = 8;
/** Blocks per kernel call after the first; the early-exit bars are refreshed between calls. */
const BLOCK_CHUNK = 16;

function align64(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

/** Bytes of arena scratch a `lutSearch` needs. */
export function lutSearchScratchBytes(positions: number, queryCount: number, blockCount: number, shortlist: number): number {
  const m = Math.min(QUERY_BLOCK, queryCount);
  const tile = m * BLOCK_CHUNK * LUT_BLOCK * 4;
  return (
    align64(m * positions * 16) + // u8 tables
    align64(m * lutParamStride(positions) * 4) + // params
    align64(m * 4) * 2 + // exit bars, selection bars
    tile * 2 + // scores, selected indices
    align64(Math.ceil(blockCount) * 4) + // mask words
    align64(positions * 16 * 4) + // one float table
    align64(shortlist * 4) * 2 // shortlist slots, rescored values
  );
}

/**
 * Top-k search of prepared queries over blocked codes: the u8 lookup-table scan (with early exit
 * against each query's current bar) keeps a shortlist of the best approximate scores, then the
 * float tables rescore it exactly (the TurboQuant estimator) unless `correct` is off.
 * Results are query-major; scores include the per-query constant.
 */
export function lutSearch(kernels: Kernels, data: LutScanData, tables: LutQueryTables, k: number, options: LutSearchOptions): SearchResult {
  const { queryCount } = tables;
  const keep = options.correct ? k : options.shortlist;
  const result = emptySearchResult(queryCount, keep);
  const blockCount = Math.ceil(data.count / LUT_BLOCK);
  const begin = options.blockBegin ?? 0;
  const end = Math.min(options.blockEnd ?? blockCount, blockCount);
  if (queryCount === 0 || end <= begin) return result;
  const { arena } = kernels;
  const { positions } = data;
  const stride = lutParamStride(positions);
  const lutBytes = positions * 16;
  const m0 = Math.min(QUERY_BLOCK, queryCount);
  const scratch = options.scratch ?? arena.alloc(lutSearchScratchBytes(positions, queryCount, blockCount, options.shortlist));
  let at = scratch.ptr;
  const take = (bytes: number): number => {
    const ptr = at;
    at += align64(bytes);
    return ptr;
  };
  const lutsPtr = take(m0 * lutBytes);
  const paramsPtr = take(m0 * stride * 4);
  const exitBarsPtr = take(m0 * 4);
  const selectBarsPtr = take(m0 * 4);
  const tilePtr = take(m0 * BLOCK_CHUNK * LUT_BLOCK * 4);
  const selectedPtr = take(m0 * BLOCK_CHUNK * LUT_BLOCK * 4);
  const maskPtr = options.maskWords ? take(blockCount * 4) : 0;
  const floatTablePtr = take(lutBytes * 4);
  const slotsPtr = take(options.shortlist * 4);
  const valuesPtr = take(options.shortlist * 4);
  if (options.maskWords) arena.u32(maskPtr, blockCount).set(options.maskWords.subarray(0, blockCount));
  const shortHeaps = Array.from({ length: m0 }, () => new TopK(options.shortlist));
  const barHeaps = options.exitBar === 'k' && k < options.shortlist ? Array.from({ length: m0 }, () => new TopK(k)) : shortHeaps;
  const firstChunk = Math.max(1, Math.ceil(options.shortlist / LUT_BLOCK));
  try {
    const slotOfRow = data.slotOfRow;
    const order = options.queryOrder;
    const pass = new Int32Array(m0);
    for (let q0 = 0; q0 < queryCount; q0 += m0) {
      const m = Math.min(m0, queryCount - q0);
      for (let a = 0; a < m; a++) {
        const q = (pass[a] = order ? order[q0 + a]! : q0 + a);
        arena.u8(lutsPtr + a * lutBytes, lutBytes).set(tables.u8.subarray(q * lutBytes, (q + 1) * lutBytes));
        arena.f32(paramsPtr + a * stride * 4, stride).set(tables.params.subarray(q * stride, (q + 1) * stride));
      }
      arena.f32(exitBarsPtr, m).fill(-Infinity);
      arena.f32(selectBarsPtr, m).fill(-Infinity);
      let first = true;
      for (const [rangeBegin, rangeEnd] of passRanges(begin, end, pass.subarray(0, m), options.firstBlocks)) {
        for (let b0 = rangeBegin, n = 0; b0 < rangeEnd; b0 += n) {
          n = Math.min(first ? firstChunk : BLOCK_CHUNK, rangeEnd - b0);
          first = false;
          scanBlocks(kernels, data, lutsPtr, m, paramsPtr, b0, b0 + n, maskPtr, exitBarsPtr, tilePtr);
          const width = n * LUT_BLOCK;
          const selected = kernels.selectAboveF32(tilePtr, m, width, selectBarsPtr, false, selectedPtr, m * width);
          if (selected === 0) continue;
          const tile = arena.f32(tilePtr, m * width);
          const indices = arena.u32(selectedPtr, selected);
          for (let e = 0; e < selected; e++) {
            const index = indices[e]!;
            const a = Math.floor(index / width);
            const score = tile[index]!;
            const row = b0 * LUT_BLOCK + (index - a * width);
            const slot = slotOfRow ? slotOfRow[row]! : row;
            shortHeaps[a]!.push(score, slot);
            if (barHeaps !== shortHeaps) barHeaps[a]!.push(score, slot);
          }
          const exitBars = arena.f32(exitBarsPtr, m);
          const selectBars = arena.f32(selectBarsPtr, m);
          for (let a = 0; a < m; a++) {
            exitBars[a] = barHeaps[a]!.threshold;
            selectBars[a] = shortHeaps[a]!.threshold;
          }
        }
      }
      for (let a = 0; a < m; a++) {
        const q = pass[a]!;
        if (barHeaps !== shortHeaps) barHeaps[a]!.clear();
        if (options.correct) correctShortlist(kernels, data, tables, q, shortHeaps[a]!, k, options, floatTablePtr, slotsPtr, valuesPtr, result);
        else result.counts[q] = drainWithConstant(shortHeaps[a]!, tables.constants[q]!, result, q * keep);
      }
    }
  } finally {
    if (!options.scratch) arena.free(scratch);
  }
  return result;
}

/** `lutScanBlocks` (or `lutScanBlocks3`, by the codes' layout) of blocks [b0, b1) of `data` against m queries. */
export function scanBlocks(kernels: Kernels, data: LutScanData, luts: number, m: number, params: number, b0: number, b1: number, mask: number, bars: number, out: number): void {
  const { codesPtr, positions, scalesPtr, offsetsPtr, count } = data;
  if (data.threeBit) kernels.lutScanBlocks3(luts, m, params, codesPtr, b0, b1, positions, scalesPtr, offsetsPtr, count, mask, bars, out);
  else kernels.lutScanBlocks(luts, m, params, codesPtr, b0, b1, positions, scalesPtr, offsetsPtr, count, mask, bars, out);
}

/**
 * The block ranges of one pass inside [begin, end): first the merged `firstBlocks` ranges of its
 * queries, then the rest in address order; every block exactly once.
 */
function passRanges(begin: number, end: number, queries: Int32Array, firstBlocks: Int32Array | undefined): [number, number][] {
  if (!firstBlocks) return [[begin, end]];
  const first: [number, number][] = [];
  for (const q of queries) {
    const b = Math.max(begin, firstBlocks[2 * q]!);
    const e = Math.min(end, firstBlocks[2 * q + 1]!);
    if (b < e) first.push([b, e]);
  }
  first.sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const [b, e] of first) {
    const top = merged[merged.length - 1];
    if (top && b <= top[1]) top[1] = Math.max(top[1], e);
    else merged.push([b, e]);
  }
  const rest: [number, number][] = [];
  let at = begin;
  for (const [b, e] of merged) {
    if (at < b) rest.push([at, b]);
    at = e;
  }
  if (at < end) rest.push([at, end]);
  return [...merged, ...rest];
}

/** Rescores one query's shortlist with its float table and keeps the best k within the score bounds. */
function correctShortlist(
  kernels: Kernels,
  data: LutScanData,
  tables: LutQueryTables,
  q: number,
  shortlist: TopK,
  k: number,
  options: LutSearchOptions,
  floatTablePtr: number,
  slotsPtr: number,
  valuesPtr: number,
  result: SearchResult,
): void {
  const { arena } = kernels;
  const lutValues = data.positions * 16;
  const n = shortlist.size;
  const slots = new Int32Array(n);
  shortlist.drainInto(new Float32Array(n), slots);
  arena.f32(floatTablePtr, lutValues).set(tables.f32.subarray(q * lutValues, (q + 1) * lutValues));
  const rowOfSlot = data.rowOfSlot;
  arena.i32(slotsPtr, n).set(rowOfSlot ? slots.map((slot) => rowOfSlot[slot]!) : slots);
  const { codesPtr, positions, scalesPtr, offsetsPtr } = data;
  if (data.threeBit) kernels.lutScoreVectors3(floatTablePtr, positions, codesPtr, scalesPtr, offsetsPtr, slotsPtr, n, valuesPtr);
  else kernels.lutScoreVectors(floatTablePtr, positions, codesPtr, scalesPtr, offsetsPtr, slotsPtr, n, valuesPtr);
  const values = arena.f32(valuesPtr, n);
  const constant = tables.constants[q]!;
  const minScore = options.minScore ?? -Infinity;
  const maxScore = options.maxScore ?? Infinity;
  const top = new TopK(k);
  for (let i = 0; i < n; i++) {
    const score = Math.fround(values[i]! + constant);
    if (score < minScore || score > maxScore) continue;
    top.push(score, slots[i]!);
  }
  result.counts[q] = top.drainInto(result.scores, result.slots, q * k);
}

function drainWithConstant(heap: TopK, constant: number, result: SearchResult, offset: number): number {
  const n = heap.drainInto(result.scores, result.slots, offset);
  if (constant !== 0) for (let i = 0; i < n; i++) result.scores[offset + i] = Math.fround(result.scores[offset + i]! + constant);
  return n;
}

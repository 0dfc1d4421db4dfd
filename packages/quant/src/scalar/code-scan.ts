import {
  InvalidArgumentError,
  TopK,
  checkFilter,
  checkK,
  checkResultSize,
  emptySearchResult,
  type Kernels,
  type SearchResult,
  type SlotFilter,
} from '@quiver/core-math';

/**
 * A batched integer kernel of core-math: `out[a * n + i] = f(query_a, row_i)` as int32 / uint32,
 * for `m` queries and `n` rows of `width` bytes, all pointers into the kernels' arena.
 */
export type BatchCodeKernel = (queries: number, m: number, rows: number, n: number, width: number, out: number) => void;

/** Rows copied into the arena per kernel call, and queries scored per call. */
const ROW_CHUNK = 2048;
const QUERY_BLOCK = 16;

/**
 * Scores `m` query codes against `n` code rows (both `width` bytes per row) with an integer kernel,
 * copying them into arena scratch chunk by chunk, and hands every tile to `onTile(q0, qCount,
 * row0, rowCount, tile)`, where `tile[a * rowCount + i]` is the kernel value of query `q0 + a` and
 * row `row0 + i`. The tile is a view into the arena, valid only during the call.
 */
export function scanCodeRows(
  kernels: Kernels,
  kernel: BatchCodeKernel,
  queryCodes: Uint8Array,
  rows: Uint8Array,
  width: number,
  onTile: (q0: number, qCount: number, row0: number, rowCount: number, tile: Int32Array) => void,
): void {
  const m = queryCodes.length / width;
  const n = rows.length / width;
  if (m === 0 || n === 0) return;
  const arena = kernels.arena;
  const queryBlock = Math.min(QUERY_BLOCK, m);
  const rowChunk = Math.min(ROW_CHUNK, n);
  const queryBytes = align64(queryBlock * width);
  const rowBytes = align64(rowChunk * width);
  const scratch = arena.alloc(queryBytes + rowBytes + queryBlock * rowChunk * 4);
  try {
    const queriesPtr = scratch.ptr;
    const rowsPtr = scratch.ptr + queryBytes;
    const tilePtr = rowsPtr + rowBytes;
    for (let row0 = 0; row0 < n; row0 += rowChunk) {
      const rowCount = Math.min(rowChunk, n - row0);
      // Views are taken after every allocation is done, so they stay attached while used.
      arena.u8(rowsPtr, rowCount * width).set(rows.subarray(row0 * width, (row0 + rowCount) * width));
      for (let q0 = 0; q0 < m; q0 += queryBlock) {
        const qCount = Math.min(queryBlock, m - q0);
        arena.u8(queriesPtr, qCount * width).set(queryCodes.subarray(q0 * width, (q0 + qCount) * width));
        kernel(queriesPtr, qCount, rowsPtr, rowCount, width, tilePtr);
        onTile(q0, qCount, row0, rowCount, arena.i32(tilePtr, qCount * rowCount));
      }
    }
  } finally {
    arena.free(scratch);
  }
}

/**
 * Top-k search over code rows. Each logical query owns `rowsPerQuery` (1 or 2) consecutive query
 * code rows; `score(q, first, second)` turns its kernel values against one row (second is 0 when
 * `rowsPerQuery` is 1) into a higher-is-better score. Slots rejected by `filter` are skipped. Ties
 * go to the lower slot.
 */
export function searchCodeRows(
  kernels: Kernels,
  kernel: BatchCodeKernel,
  queryCodes: Uint8Array,
  rows: Uint8Array,
  width: number,
  k: number,
  score: (q: number, first: number, second: number) => number,
  filter?: SlotFilter,
  rowsPerQuery: 1 | 2 = 1,
): SearchResult {
  checkK(k);
  const m = queryCodes.length / width / rowsPerQuery;
  checkResultSize(m, k);
  checkFilter(filter);
  const result = emptySearchResult(m, k);
  const heaps = Array.from({ length: m }, () => new TopK(k));
  // QUERY_BLOCK is even, so the rows of one query never straddle two blocks.
  scanCodeRows(kernels, kernel, queryCodes, rows, width, (q0, qCount, row0, rowCount, tile) => {
    for (let a = 0; a < qCount; a += rowsPerQuery) {
      const q = (q0 + a) / rowsPerQuery;
      const heap = heaps[q]!;
      const first = a * rowCount;
      const second = (a + 1) * rowCount;
      for (let i = 0; i < rowCount; i++) {
        const slot = row0 + i;
        if (filter !== undefined && !filter.has(slot)) continue;
        const s = score(q, tile[first + i]!, rowsPerQuery === 2 ? tile[second + i]! : 0);
        if (s >= heap.threshold) heap.push(s, slot);
      }
    }
  });
  for (let q = 0; q < m; q++) result.counts[q] = heaps[q]!.drainInto(result.scores, result.slots, q * k);
  return result;
}

/** Checks a block of codes: a Uint8Array whose length is a multiple of `width`; returns the row count. */
export function checkCodes(codes: unknown, width: number, argument = 'codes'): number {
  if (!(codes instanceof Uint8Array)) throw new InvalidArgumentError(argument, `must be a Uint8Array of n × ${width} bytes`);
  if (codes.length % width !== 0) throw new InvalidArgumentError(argument, `length ${codes.length} is not a multiple of the code size ${width}`);
  return codes.length / width;
}

function align64(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

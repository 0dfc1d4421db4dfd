import type { SearchResult } from './contracts.js';
import { emptySearchResult } from './search-result.js';
import type { Kernels } from './kernels/types.js';
import type { Metric } from './metric.js';
import type { DenseRows, ExactScanOptions } from './scan.js';
import { TopK } from './top-k.js';

/** Query rows per kernel call and row-chunk length: the score tile is QUERY_BLOCK × ROW_BLOCK floats. */
const QUERY_BLOCK = 64;
const ROW_BLOCK = 2048;
/** Bytes of arena scratch `plainExactScan` needs for `queryCount` queries. */
export function plainScanScratchBytes(dim: number, queryCount: number): number {
  const queryBlock = Math.max(1, Math.min(QUERY_BLOCK, queryCount));
  const tileBytes = queryBlock * ROW_BLOCK * 4;
  // queries, score tile, per-query thresholds, selected tile indices
  return align64(queryBlock * dim * 4) + tileBytes + align64(queryBlock * 4) + tileBytes;
}

function align64(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

/** Rows in the first tile of a scan: enough to fill a top-k heap, a multiple of the kernels' 16 lanes. */
export function firstTileRows(k: number, rowBlock: number): number {
  return Math.min(rowBlock, Math.ceil(k / 16) * 16);
}

const f32Bits = new Float32Array(1);
const u32Bits = new Uint32Array(f32Bits.buffer);

/** The largest float32 strictly below `x` (x not NaN; −Infinity for x = −Infinity). */
export function float32Below(x: number): number {
  const f = Math.fround(x);
  if (f < x || f === -Infinity) return f;
  if (f === 0) return -(2 ** -149);
  f32Bits[0] = f;
  u32Bits[0] = f > 0 ? u32Bits[0]! - 1 : u32Bits[0]! + 1;
  return f32Bits[0]!;
}

/**
 * Below this fraction of admitted slots, score only the admitted ones (gathered rows). A single
 * query streams rows either way, so gathering pays up to a large fraction; a batch loses the
 * register tiling of the batch kernels, so it gathers only for selective filters.
 */
const SPARSE_FILTER_FRACTION = 1 / 4;
const SPARSE_FILTER_FRACTION_BATCH = 1 / 16;

/** Exact top-k by scoring every admitted row with the float32 kernels. */
export function plainExactScan(
  kernels: Kernels,
  rows: DenseRows,
  metric: Metric,
  queries: Float32Array,
  k: number,
  options: ExactScanOptions = {},
): SearchResult {
  const { dim } = rows;
  const queryCount = queries.length / dim;
  const result = emptySearchResult(queryCount, k);
  const { slots, scores, counts } = result;
  const begin = options.slotBegin ?? 0;
  const end = Math.min(options.slotEnd ?? rows.count, rows.count);
  if (end > begin && queryCount > 0) {
    const useSparse =
      options.allowed !== undefined &&
      options.allowedCount !== undefined &&
      options.allowedCount < (end - begin) * (queryCount === 1 ? SPARSE_FILTER_FRACTION : SPARSE_FILTER_FRACTION_BATCH);
    const scan = useSparse ? scanAllowedSlots : scanBlocks;
    scan(kernels, rows, metric, queries, queryCount, k, begin, end, options, scores, slots, counts);
  }
  return result;
}

type ScanImpl = (
  kernels: Kernels,
  rows: DenseRows,
  metric: Metric,
  queries: Float32Array,
  queryCount: number,
  k: number,
  begin: number,
  end: number,
  options: ExactScanOptions,
  outScores: Float32Array,
  outSlots: Int32Array,
  outCounts: Uint32Array,
) => void;

/**
 * Scores every slot in tiles of QUERY_BLOCK queries × ROW_BLOCK rows. After each tile the
 * selection kernel picks the entries above their query's current bar (the k-th best score once
 * the heap is full, and never below minScore), so JavaScript only touches the few that may enter.
 */
const scanBlocks: ScanImpl = (kernels, rows, metric, queries, queryCount, k, begin, end, options, outScores, outSlots, outCounts) => {
  const { arena } = kernels;
  const { dim } = rows;
  const rowBytes = dim * 4;
  const l2 = metric === 'l2';
  const minScore = options.minScore ?? -Infinity;
  const maxScore = options.maxScore ?? Infinity;
  // A float32 score s passes minScore exactly when s > minBar; NaN (no bar) admits everything,
  // which keeps −Infinity scores while a heap is not full, as the heap itself would.
  const minBar = minScore === -Infinity ? NaN : float32Below(minScore);
  const allowedWords = options.allowed?.words;
  const queryBlock = Math.min(QUERY_BLOCK, queryCount);
  const rowBlock = Math.min(ROW_BLOCK, end - begin);
  const tileBytes = queryBlock * rowBlock * 4;
  const scratch = options.scratch ?? arena.alloc(plainScanScratchBytes(dim, queryCount));
  const queryPtr = scratch.ptr;
  const tilePtr = queryPtr + align64(queryBlock * rowBytes);
  const barsPtr = tilePtr + tileBytes;
  const selectedPtr = barsPtr + align64(queryBlock * 4);
  const heaps = Array.from({ length: queryBlock }, () => new TopK(k));
  try {
    for (let q0 = 0; q0 < queryCount; q0 += queryBlock) {
      const m = Math.min(queryBlock, queryCount - q0);
      arena.f32(queryPtr, m * dim).set(queries.subarray(q0 * dim, (q0 + m) * dim));
      arena.f32(barsPtr, m).fill(minBar);
      for (let r0 = begin, n = 0; r0 < end; r0 += n) {
        // A short first tile fills the heaps, so the first full tile already has bars.
        n = Math.min(r0 === begin ? firstTileRows(k, rowBlock) : rowBlock, end - r0);
        const rowsPtr = rows.ptr + r0 * rowBytes;
        if (m === 1) {
          if (l2) kernels.l2sqF32(queryPtr, rowsPtr, n, dim, tilePtr);
          else kernels.dotF32(queryPtr, rowsPtr, n, dim, tilePtr);
        } else if (l2) kernels.l2sqF32Batch(queryPtr, m, rowsPtr, n, dim, tilePtr);
        else kernels.dotF32Batch(queryPtr, m, rowsPtr, n, dim, tilePtr);
        const selected = kernels.selectAboveF32(tilePtr, m, n, barsPtr, l2, selectedPtr, m * n);
        if (selected === 0) continue;
        const tile = arena.f32(tilePtr, m * n);
        const indices = arena.u32(selectedPtr, selected);
        let a = -1;
        let rowStart = -n;
        let heap = heaps[0]!;
        for (let e = 0; e < selected; e++) {
          const index = indices[e]!;
          while (index >= rowStart + n) {
            a++;
            rowStart += n;
            heap = heaps[a]!;
          }
          const raw = tile[index]!;
          const score = l2 ? -raw : raw;
          // Slots arrive in increasing order, so an equal score never displaces a kept one.
          if (score <= heap.threshold && heap.size === k) continue;
          if (score < minScore || score > maxScore) continue;
          const slot = r0 + index - rowStart;
          if (allowedWords && (allowedWords[slot >>> 5]! & (1 << (slot & 31))) === 0) continue;
          heap.push(score, slot);
        }
        const bars = arena.f32(barsPtr, m);
        for (let b = 0; b < m; b++) {
          const full = heaps[b]!;
          // Heap scores are float32 values, so the bar is exact.
          if (full.size === k) bars[b] = minBar > full.threshold ? minBar : full.threshold;
        }
      }
      for (let a = 0; a < m; a++) {
        outCounts[q0 + a] = heaps[a]!.drainInto(outScores, outSlots, (q0 + a) * k);
      }
    }
  } finally {
    if (!options.scratch) arena.free(scratch);
  }
};

/** Admitted rows scored per gather call: ids and scores fit the scratch of `plainScanScratchBytes`. */
const GATHER_BLOCK = ROW_BLOCK;

/**
 * Scores only the admitted slots, GATHER_BLOCK at a time with one gather kernel call each (the
 * same sums as the full scan's, so a row scores alike on both paths): for selective filters.
 */
const scanAllowedSlots: ScanImpl = (kernels, rows, metric, queries, queryCount, k, begin, end, options, outScores, outSlots, outCounts) => {
  const { arena } = kernels;
  const { dim } = rows;
  const rowBytes = dim * 4;
  const l2 = metric === 'l2';
  const minScore = options.minScore ?? -Infinity;
  const maxScore = options.maxScore ?? Infinity;
  const admitted = admittedSlots(options.allowed!.words, begin, end);
  const block = Math.min(GATHER_BLOCK, Math.max(1, admitted.length));
  const scratch = options.scratch ?? arena.alloc(align64(rowBytes) + block * 8);
  const queryPtr = scratch.ptr;
  const idsPtr = queryPtr + align64(rowBytes);
  const outPtr = idsPtr + block * 4;
  const heap = new TopK(k);
  try {
    for (let q = 0; q < queryCount; q++) {
      arena.f32(queryPtr, dim).set(queries.subarray(q * dim, (q + 1) * dim));
      for (let b0 = 0; b0 < admitted.length; b0 += block) {
        const n = Math.min(block, admitted.length - b0);
        arena.u32(idsPtr, n).set(admitted.subarray(b0, b0 + n));
        if (l2) kernels.l2sqF32Gather(queryPtr, rows.ptr, idsPtr, n, dim, outPtr);
        else kernels.dotF32Gather(queryPtr, rows.ptr, idsPtr, n, dim, outPtr);
        const raw = arena.f32(outPtr, n);
        for (let i = 0; i < n; i++) {
          const score = l2 ? -raw[i]! : raw[i]!;
          // Slots arrive in increasing order, so an equal score never displaces a kept one.
          if (score <= heap.threshold && heap.size === k) continue;
          if (score < minScore || score > maxScore) continue;
          heap.push(score, admitted[b0 + i]!);
        }
      }
      outCounts[q] = heap.drainInto(outScores, outSlots, q * k);
    }
  } finally {
    if (!options.scratch) arena.free(scratch);
  }
};

/** The set bits of `words` in [begin, end), in increasing order. */
function admittedSlots(words: Uint32Array, begin: number, end: number): Uint32Array {
  let count = 0;
  const slots = new Uint32Array(Math.max(0, end - begin));
  for (let w = begin >>> 5; w <= (end - 1) >>> 5; w++) {
    let bits = words[w]! >>> 0;
    while (bits !== 0) {
      const bit = 31 - Math.clz32(bits & -bits);
      bits &= bits - 1;
      const slot = w * 32 + bit;
      if (slot >= begin && slot < end) slots[count++] = slot;
    }
  }
  return slots.subarray(0, count);
}


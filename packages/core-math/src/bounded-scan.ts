import type { ArenaBlock } from './arena.js';
import { emptySearchResult } from './search-result.js';
import type { SearchResult } from './contracts.js';
import { SKETCH_ROUND_UP, sketchVectorInt8, type VectorSketchInt8 } from './kernels/js-kernels.js';
import type { Kernels } from './kernels/types.js';
import type { Metric } from './metric.js';
import { firstTileRows, float32Below, plainExactScan } from './plain-scan.js';
import type { DenseRows, ExactScanOptions } from './scan.js';
import { TopK } from './top-k.js';

/**
 * Exact search, accelerated by an int8 sketch with proven error bounds.
 *
 * Every row x keeps, besides its float32 values, int8 codes c_x with a scale s_x (x ≈ s_x·c_x), the
 * norm of its residual ‖e_x‖ = ‖x − s_x·c_x‖ and its norm ‖x‖. A query q is sketched the same way.
 * Then, exactly (Cauchy-Schwarz on both residuals):
 *
 *   |q·x − s_q·s_x·(c_q·c_x)| ≤ s_q‖c_q‖·‖e_x‖ + ‖e_q‖·‖x‖
 *
 * A first pass computes the integer dot products (4x less memory than float32, twice the SIMD
 * multiply-adds per instruction) and a score interval per row. Every row whose upper bound reaches
 * the k-th best lower bound is a candidate; a second pass scores the candidates with the float32
 * kernel. The `selectSketchBounds` kernel evaluates a float32 upper bound, inflated so that its own
 * rounding can never drop a row, and hands JavaScript only the rows that reach the bar; those get
 * the float64 interval and the exact tests. The result is *identical* to `exactScan` (same float32 scores, same ties), because the
 * bounds also cover float32 rounding; only the work differs. When the bounds are too loose to prune
 * (near-duplicate data), it falls back to the plain scan.
 */

/** Float32 values kept per row in the sketch's stats block (written by the `sketchI8` kernel). */
export const INT8_SKETCH_STATS = 4;
const STAT_SCALE = 0;
const STAT_RESIDUAL = 1;
const STAT_NORM = 2;
const STAT_NORM_SQ = 3;

/** The int8 sketch of `count` rows: codes (count × dim int8) and stats (count × 4 float32). */
export interface Int8Sketch {
  readonly codesPtr: number;
  readonly statsPtr: number;
  readonly count: number;
  readonly dim: number;
}

const UNIT_ROUNDOFF = 2 ** -24;
/** Bytes of float32 rows copied per `sketchI8` call when the rows live outside the arena. */
const SKETCH_CHUNK_BYTES = 256 * 1024;

/**
 * Writes the sketch of `count` rows (`values`, row-major float32) into the codes and stats blocks,
 * starting at row `firstRow`, with the `sketchI8` kernel. Rows already in the arena (a view of its
 * memory) are read in place; others are copied through a small scratch block.
 */
export function sketchRowsInt8(kernels: Kernels, values: Float32Array, dim: number, sketch: Int8Sketch, firstRow: number): void {
  const { arena } = kernels;
  const count = values.length / dim;
  const codesAt = (row: number) => sketch.codesPtr + (firstRow + row) * dim;
  const statsAt = (row: number) => sketch.statsPtr + (firstRow + row) * INT8_SKETCH_STATS * 4;
  if (values.buffer === arena.buffer) {
    kernels.sketchI8(values.byteOffset, count, dim, codesAt(0), statsAt(0));
    return;
  }
  const chunkRows = Math.max(1, Math.min(count, Math.floor(SKETCH_CHUNK_BYTES / (dim * 4))));
  const scratch = arena.alloc(chunkRows * dim * 4);
  try {
    for (let r0 = 0; r0 < count; r0 += chunkRows) {
      const rowsHere = Math.min(chunkRows, count - r0);
      arena.f32(scratch.ptr, rowsHere * dim).set(values.subarray(r0 * dim, (r0 + rowsHere) * dim));
      kernels.sketchI8(scratch.ptr, rowsHere, dim, codesAt(r0), statsAt(r0));
    }
  } finally {
    arena.free(scratch);
  }
}

/** Queries per int8 tile: 64 streams the codes from memory a quarter as often as 16 (measured 10-17% faster). */
const QUERY_BLOCK = 64;
const ROW_BLOCK = 4096;
/**
 * Past this share of candidates the bounds do not pay; finish with a plain scan. A candidate costs
 * about 2.5 batched float32 row scores (one kernel call each), the int8 pass about 0.75 per row, so
 * the break-even is near 10%; stop well before it.
 */
const FALLBACK_CANDIDATE_FRACTION = 0.05;
/** Float32 parameters per query of the `selectSketchBounds` kernel. */
const BOUND_PARAMS = 5;
/**
 * Relative inflation of the kernel's float32 bound. Its evaluation (a conversion, four products,
 * four sums) errs by at most ~10 units of roundoff of the magnitudes involved, all covered by
 * ε·(‖q‖‖x‖ + radius [+ ‖x‖² + ‖q‖² for l2]); ε = 1e-5 is ~170 units.
 */
const BOUND_SLACK = 1e-5;
/** Absolute term of the inflation: covers float32 underflow of tiny products. */
const BOUND_TINY = 1e-30;

/** Bytes of arena scratch `boundedExactScan` needs for `queryCount` queries. */
export function boundedScanScratchBytes(dim: number, queryCount: number): number {
  return scratchLayout(dim, Math.max(1, Math.min(QUERY_BLOCK, queryCount))).bytes;
}

/** Offsets in the scratch block: query codes, dot tile, one float32 output, bound parameters, bars, selection. */
function scratchLayout(dim: number, m: number) {
  const align64 = (bytes: number) => Math.ceil(bytes / 64) * 64;
  const tile = align64(m * dim);
  // The second pass reuses the tile for the float32 query, so it holds at least that.
  const exactOut = tile + Math.max(m * ROW_BLOCK * 4, align64(dim * 4));
  const params = exactOut + 64;
  const bars = params + align64(m * BOUND_PARAMS * 4);
  const selected = bars + align64(m * 4);
  return { tile, exactOut, params, bars, selected, bytes: selected + m * ROW_BLOCK * 4 };
}

/** @internal Sketches one query: its int8 codes into `codes`, its bound terms into `out` (exported for tests). */
export function sketchQuery(values: ArrayLike<number>, offset: number, dim: number, codes: Int8Array, codeOffset: number, out: QuerySketch): void {
  sketchVectorInt8(values, offset, dim, codes, codeOffset, queryScratch);
  out.scale = queryScratch.scale;
  out.codeTerm = queryScratch.scale * Math.sqrt(queryScratch.codeNormSq) * SKETCH_ROUND_UP;
  out.residual = Math.sqrt(queryScratch.residualSq) * SKETCH_ROUND_UP;
  out.norm = Math.sqrt(queryScratch.normSq);
  out.normSq = queryScratch.normSq;
}

const queryScratch: VectorSketchInt8 = { scale: 0, residualSq: 0, normSq: 0, codeNormSq: 0 };

/** @internal The per-query terms of the bounds (exported for tests). */
export interface QuerySketch {
  scale: number;
  /** s_q·‖c_q‖: multiplies a row's residual norm in the bound. */
  codeTerm: number;
  /** ‖e_q‖ rounded up: multiplies a row's norm in the bound. */
  residual: number;
  norm: number;
  normSq: number;
}

/**
 * The kernel parameters of one query: with them `selectSketchBounds` computes, per row,
 *   p0·(s_x·d) + p1·‖e_x‖ + p2·‖x‖ + p3·‖x‖² + p4,
 * the float64 upper bound of `boundedExactScan` (approx + radius) inflated by BOUND_SLACK of the
 * magnitudes involved, so the float32 evaluation and the float32 rounding of the parameters stay
 * on the safe side.
 */
export function writeBoundParams(s: QuerySketch, l2: boolean, floatSlack: number, out: Float32Array, at: number): void {
  const e = BOUND_SLACK;
  // dot: approx = s_q·s_x·d; radius = codeTerm·‖e_x‖ + (‖e_q‖ + floatSlack·‖q‖)·‖x‖.
  let p0 = s.scale;
  let p1 = s.codeTerm * (1 + 2 * e);
  let p2 = (s.residual + floatSlack * s.norm) * (1 + 2 * e) + e * s.norm;
  let p3 = 0;
  let p4 = BOUND_TINY;
  if (l2) {
    // approx = 2·s_q·s_x·d − ‖x‖² − ‖q‖²; radius = 2(codeTerm·‖e_x‖ + ‖e_q‖·‖x‖) + floatSlack·(‖q‖ + ‖x‖)² + 2u·‖x‖²,
    // with ‖x‖_stored² ≤ (1 + e)·‖x‖² (the stored norm is rounded up by about 2^-20).
    p0 = 2 * s.scale;
    p1 = 2 * p1;
    p2 = 2 * p2;
    p3 = -1 + 2 * UNIT_ROUNDOFF + floatSlack * (1 + e) + e;
    p4 = -s.normSq * (1 - floatSlack - e) + BOUND_TINY;
  }
  out[at] = p0;
  out[at + 1] = p1;
  out[at + 2] = p2;
  out[at + 3] = p3;
  out[at + 4] = p4;
}

/** Counters a caller may pass to see how well the bounds pruned. */
export interface BoundedScanStats {
  /** Rows scored exactly in the second pass, summed over queries. */
  candidates: number;
  /** Queries that fell back to the plain scan. */
  fallbacks: number;
}

/**
 * Exact top-k of `queries` against `rows`, pruned by the rows' int8 sketch. Same contract and same
 * results as `plainExactScan`.
 */
export function boundedExactScan(
  kernels: Kernels,
  rows: DenseRows,
  sketch: Int8Sketch,
  metric: Metric,
  queries: Float32Array,
  k: number,
  options: ExactScanOptions = {},
  stats?: BoundedScanStats,
): SearchResult {
  const { arena } = kernels;
  const { dim } = rows;
  const queryCount = queries.length / dim;
  const begin = options.slotBegin ?? 0;
  const end = Math.min(options.slotEnd ?? rows.count, rows.count);
  // Selective filters are already cheap on the plain path, which scores admitted slots only.
  if (end - begin < 4 * ROW_BLOCK || (options.allowedCount !== undefined && options.allowedCount < (end - begin) / 32)) {
    if (stats) stats.fallbacks += queryCount;
    return plainExactScan(kernels, rows, metric, queries, k, options);
  }
  const result = emptySearchResult(queryCount, k);
  const { slots, scores, counts } = result;
  const l2 = metric === 'l2';
  const minScore = options.minScore ?? -Infinity;
  const maxScore = options.maxScore ?? Infinity;
  const allowedWords = options.allowed?.words;
  const m0 = Math.min(QUERY_BLOCK, queryCount);
  const layout = scratchLayout(dim, m0);
  const scratch: ArenaBlock = options.scratch ?? arena.alloc(layout.bytes);
  const queryCodesPtr = scratch.ptr;
  const tilePtr = scratch.ptr + layout.tile;
  const exactOutPtr = scratch.ptr + layout.exactOut;
  const paramsPtr = scratch.ptr + layout.params;
  const barsPtr = scratch.ptr + layout.bars;
  const selectedPtr = scratch.ptr + layout.selected;
  const rowBytes = dim * 4;
  // Bound on the float32 kernel's own rounding, relative to ‖q‖·‖x‖ (or (‖q‖+‖x‖)² for l2).
  const floatSlack = (2 * dim + 8) * UNIT_ROUNDOFF;
  const sketches: QuerySketch[] = Array.from({ length: m0 }, () => ({ scale: 0, codeTerm: 0, residual: 0, norm: 0, normSq: 0 }));
  const lowerHeaps = Array.from({ length: m0 }, () => new TopK(k));
  const candidates: number[][] = Array.from({ length: m0 }, () => []);
  const exact = new TopK(k);
  try {
    for (let q0 = 0; q0 < queryCount; q0 += m0) {
      const m = Math.min(m0, queryCount - q0);
      const queryCodes = arena.i8(queryCodesPtr, m * dim);
      const params = arena.f32(paramsPtr, m * BOUND_PARAMS);
      for (let a = 0; a < m; a++) {
        const s = sketches[a]!;
        sketchQuery(queries, (q0 + a) * dim, dim, queryCodes, a * dim, s);
        writeBoundParams(s, l2, floatSlack, params, a * BOUND_PARAMS);
        lowerHeaps[a]!.clear();
        candidates[a]!.length = 0;
      }
      arena.f32(barsPtr, m).fill(float32Below(minScore));
      let candidateTotal = 0;
      let gaveUp = false;
      for (let r0 = begin, n = 0; r0 < end && !gaveUp; r0 += n) {
        // A short first tile fills the lower-bound heaps, so the first full tile already has bars.
        n = Math.min(r0 === begin ? firstTileRows(k, ROW_BLOCK) : ROW_BLOCK, end - r0);
        const statsPtr = sketch.statsPtr + r0 * INT8_SKETCH_STATS * 4;
        kernels.dotI8Batch(queryCodesPtr, m, sketch.codesPtr + r0 * dim, n, dim, tilePtr);
        const selected = kernels.selectSketchBounds(tilePtr, m, n, paramsPtr, statsPtr, barsPtr, selectedPtr, m * n);
        const tile = arena.i32(tilePtr, m * n);
        const stats = arena.f32(statsPtr, n * INT8_SKETCH_STATS);
        const indices = arena.u32(selectedPtr, selected);
        let a = -1;
        let rowStart = -n;
        let s = sketches[0]!;
        let heap = lowerHeaps[0]!;
        let list = candidates[0]!;
        for (let e = 0; e < selected; e++) {
          const index = indices[e]!;
          while (index >= rowStart + n) {
            a++;
            rowStart += n;
            s = sketches[a]!;
            heap = lowerHeaps[a]!;
            list = candidates[a]!;
          }
          // The float64 interval of the row, as the kernel's inflated float32 bound let it through.
          const i = index - rowStart;
          const st = i * INT8_SKETCH_STATS;
          const rowNorm = stats[st + STAT_NORM]!;
          const approxDot = s.scale * stats[st + STAT_SCALE]! * tile[index]!;
          let radius = s.codeTerm * stats[st + STAT_RESIDUAL]! + s.residual * rowNorm;
          let approx: number;
          if (l2) {
            const rowNormSq = stats[st + STAT_NORM_SQ]!;
            approx = 2 * approxDot - rowNormSq - s.normSq;
            const reach = s.norm + rowNorm;
            radius = 2 * radius + floatSlack * reach * reach + 2 * UNIT_ROUNDOFF * rowNormSq;
          } else {
            approx = approxDot;
            radius += floatSlack * s.norm * rowNorm;
          }
          const upper = approx + radius;
          if (upper < heap.threshold || upper < minScore) continue;
          const lower = approx - radius;
          if (lower > maxScore) continue;
          const slot = r0 + i;
          if (allowedWords && (allowedWords[slot >>> 5]! & (1 << (slot & 31))) === 0) continue;
          list.push(slot);
          // Only a row sure to pass the thresholds may raise the bar for the others.
          if (lower >= minScore && upper <= maxScore) heap.push(lower, slot);
        }
        const bars = arena.f32(barsPtr, m);
        for (let b = 0; b < m; b++) {
          const bar = Math.max(lowerHeaps[b]!.threshold, minScore);
          // Rounded down: the float32 bar must never exceed the float64 one.
          bars[b] = float32Below(bar);
        }
        candidateTotal = 0;
        for (let b = 0; b < m; b++) candidateTotal += candidates[b]!.length;
        if (candidateTotal > FALLBACK_CANDIDATE_FRACTION * (end - begin) * m) gaveUp = true;
      }
      if (gaveUp) {
        const plain = plainExactScan(kernels, rows, metric, queries.subarray(q0 * dim, (q0 + m) * dim), k, options);
        slots.set(plain.slots, q0 * k);
        scores.set(plain.scores, q0 * k);
        counts.set(plain.counts, q0);
        if (stats) stats.fallbacks += m;
        continue;
      }
      // Second pass: exact float32 scores of the rows whose interval reaches the k-th lower bound.
      const queryPtr = tilePtr; // the tile is free now; reuse it for the float query
      for (let a = 0; a < m; a++) {
        const q = q0 + a;
        arena.f32(queryPtr, dim).set(queries.subarray(q * dim, (q + 1) * dim));
        const bar = lowerHeaps[a]!.threshold;
        if (stats) stats.candidates += candidates[a]!.length;
        const exactOut = arena.f32(exactOutPtr, 1); // nothing allocates in this loop, so the view stays valid
        for (const slot of candidates[a]!) {
          const rowPtr = rows.ptr + slot * rowBytes;
          if (l2) kernels.l2sqF32(queryPtr, rowPtr, 1, dim, exactOutPtr);
          else kernels.dotF32(queryPtr, rowPtr, 1, dim, exactOutPtr);
          const raw = exactOut[0]!;
          const score = l2 ? -raw : raw;
          if (score < bar || score < minScore || score > maxScore) continue;
          exact.push(score, slot);
        }
        counts[q] = exact.drainInto(scores, slots, q * k);
      }
    }
  } finally {
    if (!options.scratch) arena.free(scratch);
  }
  return result;
}

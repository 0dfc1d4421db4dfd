import type { ArenaBlock } from './arena.js';
import type { SearchResult } from './contracts.js';
import type { Kernels } from './kernels/types.js';
import type { Metric } from './metric.js';
import { plainExactScan } from './plain-scan.js';
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
 * kernel. The result is *identical* to `exactScan` (same float32 scores, same ties), because the
 * bounds also cover float32 rounding; only the work differs. When the bounds are too loose to prune
 * (near-duplicate data), it falls back to the plain scan.
 */

/** Float32 values kept per row in the sketch's stats block. */
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
/** Stored norms are rounded up by this factor so they stay upper bounds after float32 rounding. */
const ROUND_UP = 1 + 2 ** -20;

/**
 * Writes the sketch of `count` rows (`values`, row-major float32) into the codes and stats blocks,
 * starting at row `firstRow`.
 */
export function sketchRowsInt8(kernels: Kernels, values: Float32Array, dim: number, sketch: Int8Sketch, firstRow: number): void {
  const count = values.length / dim;
  const codes = kernels.arena.i8(sketch.codesPtr + firstRow * dim, count * dim);
  const stats = kernels.arena.f32(sketch.statsPtr + firstRow * INT8_SKETCH_STATS * 4, count * INT8_SKETCH_STATS);
  const out = { scale: 0, residual: 0, norm: 0, normSq: 0, codeNorm: 0 };
  for (let r = 0; r < count; r++) {
    sketchOne(values, r * dim, dim, codes, r * dim, out);
    const base = r * INT8_SKETCH_STATS;
    stats[base + STAT_SCALE] = out.scale;
    stats[base + STAT_RESIDUAL] = out.residual * ROUND_UP;
    stats[base + STAT_NORM] = out.norm * ROUND_UP;
    stats[base + STAT_NORM_SQ] = out.normSq;
  }
}

interface SketchOut {
  scale: number;
  residual: number;
  norm: number;
  normSq: number;
  codeNorm: number;
}

/** Symmetric int8 codes of one vector, with the residual measured against the float32 scale. */
function sketchOne(values: ArrayLike<number>, offset: number, dim: number, codes: Int8Array, codeOffset: number, out: SketchOut): void {
  let maxAbs = 0;
  for (let j = 0; j < dim; j++) maxAbs = Math.max(maxAbs, Math.abs(values[offset + j]!));
  const scale = Math.fround(maxAbs / 127);
  let residualSq = 0;
  let normSq = 0;
  let codeNormSq = 0;
  for (let j = 0; j < dim; j++) {
    const v = values[offset + j]!;
    const code = scale === 0 ? 0 : Math.max(-127, Math.min(127, Math.round(v / scale)));
    codes[codeOffset + j] = code;
    const e = v - scale * code;
    residualSq += e * e;
    normSq += v * v;
    codeNormSq += code * code;
  }
  out.scale = scale;
  out.residual = Math.sqrt(residualSq);
  out.norm = Math.sqrt(normSq);
  out.normSq = normSq;
  out.codeNorm = Math.sqrt(codeNormSq);
}

const QUERY_BLOCK = 16;
const ROW_BLOCK = 4096;
/** Past this share of candidates the bounds do not pay; finish with a plain scan. */
const FALLBACK_CANDIDATE_FRACTION = 0.1;

/** Bytes of arena scratch `boundedExactScan` needs for `queryCount` queries. */
export function boundedScanScratchBytes(dim: number, queryCount: number): number {
  const m = Math.max(1, Math.min(QUERY_BLOCK, queryCount));
  return Math.ceil((m * dim) / 64) * 64 + m * ROW_BLOCK * 4 + 64;
}

interface QuerySketch {
  scale: number;
  /** s_q·‖c_q‖: multiplies a row's residual norm in the bound. */
  codeTerm: number;
  /** ‖e_q‖ rounded up: multiplies a row's norm in the bound. */
  residual: number;
  norm: number;
  normSq: number;
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
  const slots = new Int32Array(queryCount * k).fill(-1);
  const scores = new Float32Array(queryCount * k).fill(-Infinity);
  const counts = new Uint32Array(queryCount);
  const l2 = metric === 'l2';
  const minScore = options.minScore ?? -Infinity;
  const maxScore = options.maxScore ?? Infinity;
  const allowedWords = options.allowed?.words;
  const m0 = Math.min(QUERY_BLOCK, queryCount);
  const scratch: ArenaBlock = options.scratch ?? arena.alloc(boundedScanScratchBytes(dim, queryCount));
  const queryCodesPtr = scratch.ptr;
  const tilePtr = scratch.ptr + Math.ceil((m0 * dim) / 64) * 64;
  const exactOutPtr = tilePtr + m0 * ROW_BLOCK * 4;
  const rowBytes = dim * 4;
  // Bound on the float32 kernel's own rounding, relative to ‖q‖·‖x‖ (or (‖q‖+‖x‖)² for l2).
  const floatSlack = (2 * dim + 8) * UNIT_ROUNDOFF;
  const sketches: QuerySketch[] = Array.from({ length: m0 }, () => ({ scale: 0, codeTerm: 0, residual: 0, norm: 0, normSq: 0 }));
  const lowerHeaps = Array.from({ length: m0 }, () => new TopK(k));
  const candidates: number[][] = Array.from({ length: m0 }, () => []);
  const exact = new TopK(k);
  const one = { scale: 0, residual: 0, norm: 0, normSq: 0, codeNorm: 0 };
  try {
    for (let q0 = 0; q0 < queryCount; q0 += m0) {
      const m = Math.min(m0, queryCount - q0);
      const queryCodes = arena.i8(queryCodesPtr, m * dim);
      for (let a = 0; a < m; a++) {
        sketchOne(queries, (q0 + a) * dim, dim, queryCodes, a * dim, one);
        const s = sketches[a]!;
        s.scale = one.scale;
        s.codeTerm = one.scale * one.codeNorm * ROUND_UP;
        s.residual = one.residual * ROUND_UP;
        s.norm = one.norm;
        s.normSq = one.normSq;
        lowerHeaps[a]!.clear();
        candidates[a]!.length = 0;
      }
      let candidateTotal = 0;
      let gaveUp = false;
      for (let r0 = begin; r0 < end && !gaveUp; r0 += ROW_BLOCK) {
        const n = Math.min(ROW_BLOCK, end - r0);
        kernels.dotI8Batch(queryCodesPtr, m, sketch.codesPtr + r0 * dim, n, dim, tilePtr);
        const tile = arena.i32(tilePtr, m * n);
        const stats = arena.f32(sketch.statsPtr + r0 * INT8_SKETCH_STATS * 4, n * INT8_SKETCH_STATS);
        for (let a = 0; a < m; a++) {
          const s = sketches[a]!;
          const heap = lowerHeaps[a]!;
          const list = candidates[a]!;
          let threshold = heap.threshold;
          const base = a * n;
          for (let i = 0; i < n; i++) {
            const st = i * INT8_SKETCH_STATS;
            const rowNorm = stats[st + STAT_NORM]!;
            const approxDot = s.scale * stats[st + STAT_SCALE]! * tile[base + i]!;
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
            if (upper < threshold || upper < minScore) continue;
            const lower = approx - radius;
            if (lower > maxScore) continue;
            const slot = r0 + i;
            if (allowedWords && (allowedWords[slot >>> 5]! & (1 << (slot & 31))) === 0) continue;
            list.push(slot);
            // Only a row sure to pass the thresholds may raise the bar for the others.
            if (lower >= minScore && upper <= maxScore && heap.push(lower, slot)) threshold = heap.threshold;
          }
          candidateTotal += list.length;
        }
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
        for (const slot of candidates[a]!) {
          const rowPtr = rows.ptr + slot * rowBytes;
          if (l2) kernels.l2sqF32(queryPtr, rowPtr, 1, dim, exactOutPtr);
          else kernels.dotF32(queryPtr, rowPtr, 1, dim, exactOutPtr);
          const raw = arena.f32(exactOutPtr, 1)[0]!;
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
  return { k, queryCount, slots, scores, counts };
}

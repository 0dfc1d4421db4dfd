import type { Arena } from '../arena.js';
import type { GraphKernels } from './graph-kernels.js';
import type { LutKernels } from './lut-kernels.js';
import type { PqKernels } from './pq-kernels.js';
import type { TransformKernels } from './transform-kernels.js';

export type KernelBackend = 'wasm' | 'js';

/**
 * Distance kernels over an `Arena`. Every pointer is a byte offset into `arena`'s memory; float32
 * pointers are 4-byte aligned, int32 ones 4-byte aligned. Rows are row-major and contiguous.
 *
 * Results are **bit-identical across backends**: float sums follow one canonical order.
 * For a pair (q, x) of dimension d, with d4 = d - d % 4:
 *   lanes a[l] (l = 0..3) start at 0 and, for j = 0, 4, 8, ... < d4, a[l] += f32(q[j+l] * x[j+l]);
 *   s = (a[0] + a[2]) + (a[1] + a[3]);
 *   then for j = d4 .. d-1, s += f32(q[j] * x[j]).
 * Every operation rounds to float32. For squared L2 the term is f32(t * t) with t = f32(q[j] - x[j]).
 * Integer kernels are exact.
 */
export interface Kernels extends CoreKernels, LutKernels, PqKernels, GraphKernels, TransformKernels {
  readonly backend: KernelBackend;
  readonly arena: Arena;
}

/**
 * The dense distance, selection, sketch and float16 kernels. Further families (lookup-table scans,
 * product quantization, graph search) each live in their own `*-kernels.ts` file with their
 * TypeScript implementation, and in their own `assembly/*.ts` file; `Kernels` joins them all.
 */
export interface CoreKernels {
  /** out[i] = q · row_i for i < n (float32 out). */
  dotF32(q: number, rows: number, n: number, dim: number, out: number): void;
  /** out[i] = ‖q − row_i‖² (float32 out). */
  l2sqF32(q: number, rows: number, n: number, dim: number, out: number): void;
  /** out[a * n + i] = q_a · row_i for a < m, i < n: query-major, tiled for cache reuse. */
  dotF32Batch(queries: number, m: number, rows: number, n: number, dim: number, out: number): void;
  /** out[i] = q · rows[ids[i]] for i < n, `ids` being u32 row numbers; scores equal `dotF32`'s. */
  dotF32Gather(q: number, rows: number, ids: number, n: number, dim: number, out: number): void;
  /** out[i] = ‖q − rows[ids[i]]‖²; scores equal `l2sqF32`'s. */
  l2sqF32Gather(q: number, rows: number, ids: number, n: number, dim: number, out: number): void;
  /** out[a * n + i] = ‖q_a − row_i‖². */
  l2sqF32Batch(queries: number, m: number, rows: number, n: number, dim: number, out: number): void;

  /** out[i] = Σ q[j] * row_i[j] over int8 values (int32 out). */
  dotI8(q: number, rows: number, n: number, dim: number, out: number): void;
  dotI8Batch(queries: number, m: number, rows: number, n: number, dim: number, out: number): void;
  /** Same over uint8 values (int32 out; exact while dim ≤ 33,025). */
  dotU8(q: number, rows: number, n: number, dim: number, out: number): void;
  dotU8Batch(queries: number, m: number, rows: number, n: number, dim: number, out: number): void;

  /** out[i] = popcount(q XOR code_i) over `bytes` bytes per code (uint32 out). */
  hamming(q: number, codes: number, n: number, bytes: number, out: number): void;
  hammingBatch(queries: number, m: number, codes: number, n: number, bytes: number, out: number): void;

  /**
   * Threshold compaction of a query-major m × n float32 tile: writes the flat indices a * n + i
   * (uint32, increasing) of the entries whose value v (or −v when `negate`) is not ≤ thresholds[a]
   * (float32 per query), i.e. strictly above it, or NaN. A NaN threshold admits the query's whole
   * row. Writes at most `capacity` indices and returns how many entries qualified (more than
   * `capacity` means the output was cut short).
   */
  selectAboveF32(values: number, m: number, n: number, thresholds: number, negate: boolean, out: number, capacity: number): number;
  /** The same over an int32 tile (hamming distances, integer dots) with int32 thresholds: v (or −v) > thresholds[a]. */
  selectAboveI32(values: number, m: number, n: number, thresholds: number, negate: boolean, out: number, capacity: number): number;
  /**
   * The int8-sketch prefilter, fused (see bounded-scan.ts): for an m × n int32 tile of code dot
   * products d, query parameters p (5 float32 per query at `params`) and row stats s, r, x, y
   * (4 float32 per row at `stats`), the float32 value
   *   u = (((p0 · (s · f32(d)) + p1 · r) + p2 · x) + p3 · y) + p4,
   * rounded to float32 after every operation in that order. Emits a * n + i unless u < thresholds[a]
   * (so NaN is emitted), with the output convention of `selectAboveF32`.
   */
  selectSketchBounds(
    dots: number,
    m: number,
    n: number,
    params: number,
    stats: number,
    thresholds: number,
    out: number,
    capacity: number,
  ): number;

  /**
   * The int8 sketch of n rows of float32 values (see bounded-scan.ts): per row, int8 codes
   * (n × dim at `codes`) and four float32 stats (at `stats` + 16 per row): the scale, the residual
   * norm ‖x − scale·c‖ and the norm ‖x‖ (both upper bounds), and ‖x‖² (NaN if it overflows float32,
   * so that the bounds admit the row). Values must be finite. The canonical computation
   * is `sketchVectorInt8` in js-kernels.ts.
   */
  sketchI8(values: number, n: number, dim: number, codes: number, stats: number): void;

  /** IEEE binary16 → binary32, exact. */
  f16ToF32(src: number, dst: number, count: number): void;
  /** binary32 → binary16, round to nearest even; overflow gives ±Infinity, NaN stays NaN. */
  f32ToF16(src: number, dst: number, count: number): void;
}

import type { Arena } from '../arena.js';

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
export interface Kernels {
  readonly backend: KernelBackend;
  readonly arena: Arena;

  /** out[i] = q · row_i for i < n (float32 out). */
  dotF32(q: number, rows: number, n: number, dim: number, out: number): void;
  /** out[i] = ‖q − row_i‖² (float32 out). */
  l2sqF32(q: number, rows: number, n: number, dim: number, out: number): void;
  /** out[a * n + i] = q_a · row_i for a < m, i < n: query-major, tiled for cache reuse. */
  dotF32Batch(queries: number, m: number, rows: number, n: number, dim: number, out: number): void;
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

  /** IEEE binary16 → binary32, exact. */
  f16ToF32(src: number, dst: number, count: number): void;
  /** binary32 → binary16, round to nearest even; overflow gives ±Infinity, NaN stays NaN. */
  f32ToF16(src: number, dst: number, count: number): void;
}

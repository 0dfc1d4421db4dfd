import { describe, expect, it } from 'vitest';
import { Arena } from './arena.js';
import {
  INT8_SKETCH_STATS,
  boundedExactScan,
  sketchQuery,
  sketchRowsInt8,
  writeBoundParams,
  type BoundedScanStats,
  type Int8Sketch,
  type QuerySketch,
} from './bounded-scan.js';
import { createJsKernels } from './kernels/js-kernels.js';
import type { Kernels } from './kernels/types.js';
import { createWasmKernels } from './kernels/wasm-kernels.js';
import { float32Below, plainExactScan } from './plain-scan.js';
import { SeededRandom } from './random.js';

const arena = new Arena({ initialBytes: 16 << 20 });
const backends: Kernels[] = [createJsKernels(arena), createWasmKernels(arena)];

/** The same kernels, except that the fused bound kernel lets every row through to the float64 tests. */
function withoutBoundKernel(kernels: Kernels): Kernels {
  return {
    ...kernels,
    selectSketchBounds(_dots, m, n, _params, _stats, _thresholds, out, capacity) {
      const indices = arena.u32(out, Math.min(capacity, m * n));
      for (let i = 0; i < indices.length; i++) indices[i] = i;
      return m * n;
    },
  };
}

describe('the float32 bound kernel in boundedExactScan', () => {
  const dim = 40;
  const n = 17000;
  const rng = new SeededRandom(8);

  // Rows at very different scales: the float32 bound must stay rigorous at all of them.
  it.each([1e-18, 1e-3, 1, 1e4, 1e15])('drops no row the float64 bounds keep, values scaled by %d', (scale) => {
    const values = rng.fillGaussian(new Float32Array(n * dim)) as Float32Array;
    // A few clusters of near-duplicates, where the bounds are tight against the bar.
    for (let r = 0; r < n; r += 97) for (let j = 0; j < dim; j++) values[r * dim + j] = values[j]! + 1e-3 * rng.nextGaussian();
    for (let i = 0; i < values.length; i++) values[i] = Math.fround(values[i]! * scale);
    const queries = new Float32Array(12 * dim);
    for (let i = 0; i < queries.length; i++) queries[i] = Math.fround(values[(i % dim) + dim * 5 * (1 + Math.floor(i / dim))]! + 0.3 * scale * rng.nextGaussian());
    const rowsBlock = arena.alloc(values.byteLength);
    arena.f32(rowsBlock.ptr, values.length).set(values);
    const codes = arena.alloc(n * dim);
    const statsBlock = arena.alloc(n * INT8_SKETCH_STATS * 4);
    const sketch: Int8Sketch = { codesPtr: codes.ptr, statsPtr: statsBlock.ptr, count: n, dim };
    sketchRowsInt8(backends[0]!, values, dim, sketch, 0);
    const rows = { ptr: rowsBlock.ptr, count: n, dim };
    for (const kernels of backends) {
      for (const metric of ['dot', 'l2'] as const) {
        const fused: BoundedScanStats = { candidates: 0, fallbacks: 0 };
        const everyRow: BoundedScanStats = { candidates: 0, fallbacks: 0 };
        const actual = boundedExactScan(kernels, rows, sketch, metric, queries, 10, {}, fused);
        boundedExactScan(withoutBoundKernel(kernels), rows, sketch, metric, queries, 10, {}, everyRow);
        // Same candidates as when the float64 tests see every row: the kernel only skipped rows they reject.
        expect(fused).toEqual(everyRow);
        expect(fused.fallbacks).toBe(0);
        const expected = plainExactScan(kernels, rows, metric, queries, 10);
        expect(actual.slots).toEqual(expected.slots);
        expect(actual.scores).toEqual(expected.scores);
      }
    }
    arena.free(statsBlock);
    arena.free(codes);
    arena.free(rowsBlock);
  });
});

describe('selectSketchBounds with the parameters of boundedExactScan', () => {
  const rng = new SeededRandom(31);

  /** The float64 upper bound of boundedExactScan for one (query, row) pair. */
  function upper64(s: QuerySketch, stats: Float32Array, dot: number, l2: boolean, dim: number): number {
    const floatSlack = (2 * dim + 8) * 2 ** -24;
    const [scale, residual, norm, normSq] = stats as unknown as [number, number, number, number];
    const approxDot = s.scale * scale * dot;
    const radius = s.codeTerm * residual + s.residual * norm;
    if (!l2) return approxDot + radius + floatSlack * s.norm * norm;
    const reach = s.norm + norm;
    return 2 * approxDot - normSq - s.normSq + 2 * radius + floatSlack * reach * reach + 2 * 2 ** -24 * normSq;
  }

  // The bar at the float64 bound itself (rounded down as the scan does): the float32 bound must reach it.
  it.each([8, 33, 384])('reaches a bar placed at the float64 bound of every row, dim %i', (dim) => {
    const n = 600;
    for (const kernels of backends) {
      for (const l2 of [false, true]) {
        for (const scale of [1e-15, 1, 1e12]) {
          const values = new Float32Array(n * dim);
          const offset = rng.nextGaussian();
          // Large common offset, small spread: l2 bounds cancel heavily, the hard case for float32.
          for (let i = 0; i < values.length; i++) values[i] = Math.fround(scale * (offset + 1e-2 * rng.nextGaussian()));
          const codes = arena.alloc(n * dim + dim);
          const stats = arena.alloc(n * INT8_SKETCH_STATS * 4);
          sketchRowsInt8(kernels, values, dim, { codesPtr: codes.ptr, statsPtr: stats.ptr, count: n, dim }, 0);
          const query = values.slice(0, dim).map((v) => Math.fround(v * (1 + 1e-3 * rng.nextGaussian())));
          const s: QuerySketch = { scale: 0, codeTerm: 0, residual: 0, norm: 0, normSq: 0 };
          const queryCodes = codes.ptr + n * dim;
          sketchQuery(query, 0, dim, arena.i8(queryCodes, dim), 0, s);
          const params = arena.alloc(64);
          writeBoundParams(s, l2, (2 * dim + 8) * 2 ** -24, arena.f32(params.ptr, 5), 0);
          const dots = arena.alloc(n * 4);
          kernels.dotI8(queryCodes, codes.ptr, n, dim, dots.ptr);
          const bar = arena.alloc(64);
          const out = arena.alloc(64);
          const missed: number[] = [];
          for (let i = 0; i < n; i++) {
            const rowStats = arena.f32(stats.ptr + i * 16, 4).slice();
            arena.f32(bar.ptr, 1)[0] = float32Below(upper64(s, rowStats, arena.i32(dots.ptr, n)[i]!, l2, dim));
            if (kernels.selectSketchBounds(dots.ptr + i * 4, 1, 1, params.ptr, stats.ptr + i * 16, bar.ptr, out.ptr, 1) !== 1) missed.push(i);
          }
          expect(missed).toEqual([]);
          for (const block of [out, bar, dots, params, stats, codes]) arena.free(block);
        }
      }
    }
  });
});

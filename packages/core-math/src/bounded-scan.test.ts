import { describe, expect, it } from 'vitest';
import { Arena } from './arena.js';
import { INT8_SKETCH_STATS, boundedExactScan, sketchRowsInt8, type BoundedScanStats, type Int8Sketch } from './bounded-scan.js';
import { SlotBitset } from './filters.js';
import { createJsKernels } from './kernels/js-kernels.js';
import { SeededRandom } from './random.js';
import { exactScan, type ExactScanOptions } from './scan.js';

const arena = new Arena();
const kernels = createJsKernels(arena);

function store(values: Float32Array, dim: number) {
  const count = values.length / dim;
  const rowsBlock = arena.alloc(values.byteLength);
  arena.f32(rowsBlock.ptr, values.length).set(values);
  const codes = arena.alloc(count * dim);
  const stats = arena.alloc(count * INT8_SKETCH_STATS * 4);
  const sketch: Int8Sketch = { codesPtr: codes.ptr, statsPtr: stats.ptr, count, dim };
  sketchRowsInt8(kernels, values, dim, sketch, 0);
  return { rows: { ptr: rowsBlock.ptr, count, dim }, sketch };
}

function expectSame(values: Float32Array, dim: number, queries: Float32Array, k: number, options: ExactScanOptions = {}) {
  const { rows, sketch } = store(values, dim);
  const stats: BoundedScanStats = { candidates: 0, fallbacks: 0 };
  for (const metric of ['dot', 'l2'] as const) {
    const expected = exactScan(kernels, rows, metric, queries, k, options);
    const actual = boundedExactScan(kernels, rows, sketch, metric, queries, k, options, stats);
    expect(actual.counts).toEqual(expected.counts);
    expect(actual.slots).toEqual(expected.slots);
    expect(actual.scores).toEqual(expected.scores);
  }
  return stats;
}

describe('sketchRowsInt8', () => {
  it('writes the same sketch from rows in the arena (in place) and from rows elsewhere (copied in chunks)', () => {
    const dim = 24;
    const count = 7000; // more than one copy chunk
    const values = new SeededRandom(4).fillGaussian(new Float32Array(count * dim)) as Float32Array;
    const inArena = arena.alloc(values.byteLength);
    const view = arena.f32(inArena.ptr, values.length);
    view.set(values);
    const sketches = [0, 1].map(() => {
      const codes = arena.alloc((count + 3) * dim);
      const stats = arena.alloc((count + 3) * INT8_SKETCH_STATS * 4);
      return { codesPtr: codes.ptr, statsPtr: stats.ptr, count: count + 3, dim };
    });
    sketchRowsInt8(kernels, values, dim, sketches[0]!, 3);
    sketchRowsInt8(kernels, arena.f32(inArena.ptr, values.length), dim, sketches[1]!, 3);
    const [a, b] = sketches.map((sk) => ({
      codes: arena.i8(sk.codesPtr + 3 * dim, count * dim).slice(),
      stats: arena.u32(sk.statsPtr + 3 * INT8_SKETCH_STATS * 4, count * INT8_SKETCH_STATS).slice(),
    }));
    expect(a!.codes).toEqual(b!.codes);
    expect(a!.stats).toEqual(b!.stats);
    expect(a!.codes.some((c) => c !== 0)).toBe(true);
  });
});

describe('boundedExactScan', () => {
  const dim = 24;
  const n = 20000;
  const rng = new SeededRandom(21);

  it('returns exactly what the plain scan returns on Gaussian data', () => {
    const values = rng.fillGaussian(new Float32Array(n * dim)) as Float32Array;
    const queries = rng.fillGaussian(new Float32Array(20 * dim)) as Float32Array;
    const stats = expectSame(values, dim, queries, 10);
    // The bounds did the pruning: few rows were scored exactly and no query fell back.
    expect(stats.fallbacks).toBe(0);
    expect(stats.candidates).toBeLessThan(0.05 * n * 2 * 20);
    expectSame(values, dim, queries.subarray(0, dim), 1);
  });

  it('stays exact with integer data full of ties, duplicates and mixed magnitudes', () => {
    const values = new Float32Array(n * dim);
    for (let i = 0; i < values.length; i++) values[i] = rng.nextInt(4);
    for (let r = 0; r < 200; r++) values.copyWithin(r * 50 * dim, 7 * dim, 8 * dim); // duplicates of row 7
    for (let j = 0; j < dim; j++) values[123 * dim + j] = 1e6 * (j + 1); // one huge row
    const queries = new Float32Array(8 * dim);
    for (let i = 0; i < queries.length; i++) queries[i] = rng.nextInt(5) - 1;
    queries.copyWithin(0, 7 * dim, 8 * dim);
    expectSame(values, dim, queries, 15);
  });

  it('honours filters and thresholds like the plain scan', () => {
    const values = rng.fillGaussian(new Float32Array(n * dim)) as Float32Array;
    const queries = rng.fillGaussian(new Float32Array(5 * dim)) as Float32Array;
    const allowed = SlotBitset.fromSlots(n, Array.from({ length: n / 3 }, (_, i) => 3 * i + 1));
    expectSame(values, dim, queries, 10, { allowed, allowedCount: n / 3 });
    expectSame(values, dim, queries, 10, { minScore: 5, maxScore: 12 });
    expectSame(values, dim, queries, 10, { slotBegin: 333, slotEnd: 19001 });
  });
});

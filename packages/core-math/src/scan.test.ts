import { describe, expect, it } from 'vitest';
import { SlotBitset } from './filters.js';
import { createJsKernels } from './kernels/js-kernels.js';
import { Arena } from './arena.js';
import { SeededRandom } from './random.js';
import { exactScan, mergeSearchResults } from './scan.js';

function bruteForce(data: Float32Array, dim: number, q: Float32Array, metric: 'dot' | 'l2', k: number, allowed?: (s: number) => boolean) {
  const n = data.length / dim;
  const scored: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    if (allowed && !allowed(i)) continue;
    let s = 0;
    for (let j = 0; j < dim; j++) {
      const a = q[j]!;
      const b = data[i * dim + j]!;
      s += metric === 'dot' ? a * b : -(a - b) * (a - b);
    }
    scored.push([s, i]);
  }
  scored.sort((x, y) => y[0] - x[0] || x[1] - y[1]);
  return scored.slice(0, k).map(([, slot]) => slot);
}

describe('exactScan', () => {
  const arena = new Arena();
  const kernels = createJsKernels(arena);
  const dim = 13;
  const n = 5000; // more than one row block
  const rng = new SeededRandom(11);
  const data = rng.fillGaussian(new Float32Array(n * dim)) as Float32Array;
  const block = arena.alloc(data.byteLength);
  arena.f32(block.ptr, data.length).set(data);
  const rows = { ptr: block.ptr, count: n, dim };
  const queries = rng.fillGaussian(new Float32Array(40 * dim)) as Float32Array;

  it('finds the brute-force top-k for dot and l2, in single and batched tiles', () => {
    for (const metric of ['dot', 'l2'] as const) {
      for (const count of [1, 40]) {
        const qs = queries.subarray(0, count * dim);
        const result = exactScan(kernels, rows, metric, qs, 7);
        for (let q = 0; q < count; q++) {
          const expected = bruteForce(data, dim, qs.subarray(q * dim, (q + 1) * dim), metric, 7);
          expect([...result.slots.subarray(q * 7, q * 7 + 7)]).toEqual(expected);
          expect(result.counts[q]).toBe(7);
        }
      }
    }
  });

  it('applies filters (dense and sparse paths), thresholds and slot ranges', () => {
    const q = queries.subarray(0, dim);
    const dense = SlotBitset.fromSlots(n, Array.from({ length: n / 2 }, (_, i) => 2 * i));
    const r1 = exactScan(kernels, rows, 'dot', q, 5, { allowed: dense, allowedCount: n / 2 });
    expect([...r1.slots.subarray(0, 5)]).toEqual(bruteForce(data, dim, q, 'dot', 5, (s) => s % 2 === 0));
    const sparse = SlotBitset.fromSlots(n, [4, 400, 4000]);
    const r2 = exactScan(kernels, rows, 'l2', q, 5, { allowed: sparse, allowedCount: 3 });
    expect(r2.counts[0]).toBe(3);
    expect([...r2.slots.subarray(0, 3)]).toEqual(bruteForce(data, dim, q, 'l2', 3, (s) => [4, 400, 4000].includes(s)));
    expect([...r2.slots.subarray(3)]).toEqual([-1, -1]);
    expect([...r2.scores.subarray(3)]).toEqual([-Infinity, -Infinity]);
    const r3 = exactScan(kernels, rows, 'dot', q, 5, { minScore: 1e9 });
    expect(r3.counts[0]).toBe(0);
    const r4 = exactScan(kernels, rows, 'dot', q, 5, { slotBegin: 100, slotEnd: 200 });
    expect([...r4.slots.subarray(0, 5)].every((s) => s >= 100 && s < 200)).toBe(true);
  });

  it('merges partial results into the global top-k', () => {
    const q = queries.subarray(0, 3 * dim);
    const whole = exactScan(kernels, rows, 'dot', q, 9);
    const parts = [0, 1700, 3400].map((begin, i, all) =>
      exactScan(kernels, rows, 'dot', q, 9, { slotBegin: begin, slotEnd: all[i + 1] ?? n }),
    );
    const merged = mergeSearchResults(parts, 9);
    expect(merged.slots).toEqual(whole.slots);
    expect(merged.scores).toEqual(whole.scores);
  });
});

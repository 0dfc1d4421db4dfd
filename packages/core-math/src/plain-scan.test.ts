import { describe, expect, it } from 'vitest';
import { Arena } from './arena.js';
import type { SearchResult } from './contracts.js';
import { SlotBitset } from './filters.js';
import { createJsKernels } from './kernels/js-kernels.js';
import type { Kernels } from './kernels/types.js';
import { createWasmKernels } from './kernels/wasm-kernels.js';
import { float32Below, plainExactScan, plainScanScratchBytes } from './plain-scan.js';
import { SeededRandom } from './random.js';
import type { ExactScanOptions } from './scan.js';
import { TopK } from './top-k.js';

const arena = new Arena({ initialBytes: 8 << 20 });
const backends: Kernels[] = [createJsKernels(arena), createWasmKernels(arena)];

/** Top-k by offering every admitted slot's kernel score to a heap, slot by slot. */
function reference(kernels: Kernels, rowsPtr: number, n: number, dim: number, l2: boolean, queries: Float32Array, k: number, options: ExactScanOptions): SearchResult {
  const queryCount = queries.length / dim;
  const slots = new Int32Array(queryCount * k).fill(-1);
  const scores = new Float32Array(queryCount * k).fill(-Infinity);
  const counts = new Uint32Array(queryCount);
  const q = arena.alloc(dim * 4);
  const out = arena.alloc(n * 4);
  const heap = new TopK(k);
  for (let a = 0; a < queryCount; a++) {
    arena.f32(q.ptr, dim).set(queries.subarray(a * dim, (a + 1) * dim));
    (l2 ? kernels.l2sqF32 : kernels.dotF32)(q.ptr, rowsPtr, n, dim, out.ptr);
    const raw = arena.f32(out.ptr, n);
    for (let slot = options.slotBegin ?? 0; slot < (options.slotEnd ?? n); slot++) {
      const score = l2 ? -raw[slot]! : raw[slot]!;
      if (score < (options.minScore ?? -Infinity) || score > (options.maxScore ?? Infinity)) continue;
      if (options.allowed && !options.allowed.has(slot)) continue;
      heap.push(score, slot);
    }
    counts[a] = heap.drainInto(scores, slots, a * k);
  }
  arena.free(out);
  arena.free(q);
  return { k, queryCount, slots, scores, counts };
}

describe('plainExactScan with the selection kernel', () => {
  const dim = 6;
  const n = 5000; // three row blocks, the last one partial
  const rng = new SeededRandom(3);
  // Small integers: scores tie everywhere, so the tie order and the strict bar are exercised.
  const values = new Float32Array(n * dim);
  for (let i = 0; i < values.length; i++) values[i] = rng.nextInt(3) - 1;
  for (let j = 0; j < dim; j++) values[77 * dim + j] = 3e19; // squared distance overflows to Infinity
  const block = arena.alloc(values.byteLength);
  arena.f32(block.ptr, values.length).set(values);
  const rows = { ptr: block.ptr, count: n, dim };
  // 70 queries: a full query block of 64 and a partial one.
  const queries = new Float32Array(70 * dim);
  for (let i = 0; i < queries.length; i++) queries[i] = rng.nextInt(5) - 2;

  const allowed = SlotBitset.fromSlots(n, Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 !== 1));
  function sparseFilter(oneIn: number): ExactScanOptions {
    const bitset = SlotBitset.fromSlots(n, Array.from({ length: n }, (_, i) => i).filter((i) => (i * 7919) % Math.round(oneIn * 2) < 2));
    return { allowed: bitset, allowedCount: bitset.count() };
  }
  const cases: [string, ExactScanOptions][] = [
    ['no options', {}],
    ['minScore on a tie', { minScore: 2 }],
    ['minScore between floats', { minScore: 1.5 }],
    ['maxScore', { maxScore: 1 }],
    ['both', { minScore: -3, maxScore: 2 }],
    ['a filter', { allowed, allowedCount: allowed.count() }],
    ['a filter admitting 1 in 7 (gathered for one query)', sparseFilter(7)],
    ['a filter admitting 1 in 40 (gathered for every batch)', sparseFilter(40)],
    ['a slot range', { slotBegin: 1999, slotEnd: 4097 }],
    ['minScore nothing reaches', { minScore: 1e30 }],
  ];

  it.each(cases)('matches a slot-by-slot heap on tie-heavy data: %s', (_name, options) => {
    for (const kernels of backends) {
      for (const l2 of [false, true]) {
        for (const [count, k] of [[70, 5], [1, 12], [3, 300]] as const) {
          const qs = queries.subarray(0, count * dim);
          const actual = plainExactScan(kernels, rows, l2 ? 'l2' : 'dot', qs, k, options);
          const expected = reference(kernels, rows.ptr, n, dim, l2, qs, k, options);
          expect(actual.counts).toEqual(expected.counts);
          expect(actual.slots).toEqual(expected.slots);
          expect(actual.scores).toEqual(expected.scores);
        }
      }
    }
  });

  it('gathers admitted rows within the scratch it declares', () => {
    const scratch = arena.alloc(plainScanScratchBytes(dim, 1));
    const guard = arena.alloc(64);
    arena.u8(guard.ptr, 64).fill(0xab);
    // 2,000 admitted rows (40%), with allowedCount understated to take the gather path: one full gather block.
    const options = { ...sparseFilter(2.5), scratch, allowedCount: 1000 };
    const result = plainExactScan(backends[1]!, rows, 'dot', queries.subarray(0, dim), 4, options);
    expect(result.counts[0]).toBe(4);
    expect(arena.u8(guard.ptr, 64).every((b) => b === 0xab)).toBe(true);
    arena.free(guard);
    arena.free(scratch);
  });

  it('keeps −Infinity scores while fewer than k rows were found', () => {
    const q = new Float32Array(dim).fill(5e18); // row 77 overflows, row 4000 stays finite
    for (const kernels of backends) {
      const result = plainExactScan(kernels, rows, 'l2', q, 2, { allowed: SlotBitset.fromSlots(n, [77, 4000]) });
      expect(result.counts[0]).toBe(2);
      expect([...result.slots]).toEqual([4000, 77]);
      expect(result.scores[1]).toBe(-Infinity);
    }
  });

  it('runs in the scratch it declares', () => {
    const scratch = arena.alloc(plainScanScratchBytes(dim, 70));
    const guard = arena.alloc(64);
    arena.u8(guard.ptr, 64).fill(0xab);
    const result = plainExactScan(backends[1]!, rows, 'dot', queries, 4, { scratch });
    expect(result.counts.every((c) => c === 4)).toBe(true);
    expect(arena.u8(guard.ptr, 64).every((b) => b === 0xab)).toBe(true);
  });

  it('float32Below gives the largest float32 strictly below its argument', () => {
    for (const x of [1, 1.5, -1, 0, -0, 1e-46, -1e-46, 3.4e38, 1e39, Infinity, 0.1, -0.1]) {
      const below = float32Below(x);
      expect(below).toBe(Math.fround(below));
      expect(below < x).toBe(true);
      // The next float32 up is at or above x.
      const bits = new Float32Array([below]);
      const u = new Uint32Array(bits.buffer);
      u[0] = below >= 0 || Object.is(below, -0) ? u[0]! + 1 : u[0]! - 1;
      expect(bits[0]! >= x).toBe(true);
    }
    expect(float32Below(-Infinity)).toBe(-Infinity);
  });
});

import { Arena, SeededRandom, TopK, createJsKernels, createWasmKernels, type Kernels } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { ArenaCodeRows, scanCodeRows, type CodeComparison } from './code-rows.js';

const arena = new Arena({ initialBytes: 8 << 20 });
const backends: Kernels[] = [createJsKernels(arena), createWasmKernels(arena)];

/** Keys of every pair from the one-query kernels, offered slot by slot to a heap. */
function reference(kernels: Kernels, rows: ArenaCodeRows, comparison: CodeComparison, queryCodes: Uint8Array, m: number, k: number, removed: Uint8Array) {
  const n = rows.count;
  const keys = new Float64Array(m * k).fill(-Infinity);
  const slots = new Int32Array(m * k).fill(-1);
  const counts = new Uint32Array(m);
  const q = arena.alloc(rows.rowBytes);
  const out = arena.alloc(n * 4);
  const heap = new TopK(k);
  for (let a = 0; a < m; a++) {
    arena.u8(q.ptr, rows.rowBytes).set(queryCodes.subarray(a * rows.rowBytes, (a + 1) * rows.rowBytes));
    if (comparison === 'hamming') kernels.hamming(q.ptr, rows.ptr, n, rows.rowBytes, out.ptr);
    else kernels.dotI8(q.ptr, rows.ptr, n, rows.rowBytes, out.ptr);
    const raw = arena.i32(out.ptr, n);
    for (let slot = 0; slot < n; slot++) if (!removed[slot]) heap.push(comparison === 'hamming' ? -raw[slot]! : raw[slot]!, slot);
    counts[a] = heap.drainInto(keys, slots, a * k);
  }
  arena.free(out);
  arena.free(q);
  return { keys, slots, counts };
}

describe('scanCodeRows', () => {
  const rng = new SeededRandom(4);
  const rowBytes = 5; // short codes: keys tie constantly
  const n = 9000; // three row blocks, the last partial
  const codes = new Uint8Array(n * rowBytes);
  for (let i = 0; i < codes.length; i++) codes[i] = rng.nextInt(3) === 0 ? 0x80 : rng.nextInt(4);
  const m = 40; // a full query block and a partial one
  const queryCodes = new Uint8Array(m * rowBytes);
  for (let i = 0; i < queryCodes.length; i++) queryCodes[i] = rng.nextInt(256);
  const removed = new Uint8Array(n);
  for (let i = 0; i < n; i += 3) removed[i] = 1;

  it.each(['hamming', 'dotI8'] as const)('matches a slot-by-slot heap with ties and removed slots (%s)', (comparison) => {
    for (const kernels of backends) {
      const rows = new ArenaCodeRows(kernels, rowBytes);
      rows.append(codes);
      // k >= 64: hamming top-k is selected by counting, below with heaps.
      for (const k of [1, 10, 63, 64, 700]) {
        const actual = scanCodeRows(kernels, rows, comparison, queryCodes, m, k, removed);
        const expected = reference(kernels, rows, comparison, queryCodes, m, k, removed);
        expect(actual.counts).toEqual(expected.counts);
        expect(actual.slots).toEqual(expected.slots);
        expect(actual.keys).toEqual(expected.keys);
      }
      // Fewer live rows than k: every live row comes back.
      const mostlyRemoved = new Uint8Array(n).fill(1);
      mostlyRemoved[17] = mostlyRemoved[8999] = 0;
      const few = scanCodeRows(kernels, rows, comparison, queryCodes, 2, 5, mostlyRemoved);
      expect([...few.counts]).toEqual([2, 2]);
      rows.dispose();
    }
  });
});

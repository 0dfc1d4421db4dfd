import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { wasmAvailable, type KernelChoice } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { FlatIndex } from './flat-index.js';

// <repo>/../shared/datasets, resolved from packages/flat/src.
const datasetDir = fileURLToPath(new URL('../../../../shared/datasets/siftsmall/', import.meta.url));
const available = existsSync(`${datasetDir}siftsmall_base.fvecs`);
if (!available && process.env.CI) throw new Error(`siftsmall dataset missing at ${datasetDir} (required in CI)`);

/** A minimal .fvecs/.ivecs reader: each row is an int32 width followed by that many 4-byte values. */
function readVecs(name: string): { values: DataView; rows: number; width: number } {
  const bytes = readFileSync(`${datasetDir}${name}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getInt32(0, true);
  const rows = bytes.byteLength / (4 * (width + 1));
  expect(Number.isInteger(rows)).toBe(true);
  return { values: view, rows, width };
}
function rowsOf(name: string, read: (view: DataView, at: number) => number): { data: number[][]; width: number } {
  const { values, rows, width } = readVecs(name);
  const data: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const base = r * 4 * (width + 1);
    expect(values.getInt32(base, true)).toBe(width);
    data.push(Array.from({ length: width }, (_, j) => read(values, base + 4 * (j + 1))));
  }
  return { data, width };
}

const backends: KernelChoice[] = wasmAvailable() ? ['js', 'wasm'] : ['js'];

describe.skipIf(!available)('siftsmall exact search', () => {
  it.each(backends)('returns the shipped ground truth for all 100 queries (%s kernels)', (kernels) => {
    const base = rowsOf('siftsmall_base.fvecs', (v, at) => v.getFloat32(at, true));
    const queries = rowsOf('siftsmall_query.fvecs', (v, at) => v.getFloat32(at, true));
    const truth = rowsOf('siftsmall_groundtruth.ivecs', (v, at) => v.getInt32(at, true));
    const dim = base.width;
    const k = truth.width;
    const index = new FlatIndex({ dim, metric: 'l2', kernels });
    try {
      index.add(Float32Array.from(base.data.flat()));
      const result = index.search(Float32Array.from(queries.data.flat()), k);
      const squaredDistance = (q: number, slot: number): number =>
        base.data[slot]!.reduce((sum, x, j) => sum + (x - queries.data[q]![j]!) ** 2, 0);
      let identicalSlots = 0;
      const problems: string[] = [];
      for (let q = 0; q < queries.data.length; q++) {
        if (result.counts[q] !== k) problems.push(`query ${q}: ${result.counts[q]} results`);
        for (let i = 0; i < k; i++) {
          const found = result.slots[q * k + i]!;
          const expected = truth.data[q]![i]!;
          const distance = squaredDistance(q, found);
          if (-result.scores[q * k + i]! !== distance) problems.push(`query ${q} rank ${i}: score ${result.scores[q * k + i]}, exact ${-distance}`);
          if (found === expected) {
            identicalSlots++;
          } else if (distance !== squaredDistance(q, expected)) {
            // Integer data: float32 distances are exact, so only equal-distance ties may swap.
            problems.push(`query ${q} rank ${i}: slot ${found} at ${distance}, ground truth ${expected} at ${squaredDistance(q, expected)}`);
          }
        }
      }
      expect(problems).toEqual([]);
      expect(identicalSlots).toBeGreaterThan(0.99 * queries.data.length * k);
    } finally {
      index.dispose();
    }
  });
});

import { afterAll, describe, expect, it } from 'vitest';
import { SlotBitset } from '../filters.js';
import { defaultArena, getKernels } from '../kernels/select.js';
import { SeededRandom } from '../random.js';
import { exactScan, type DenseRows } from '../scan.js';
import { INT8_SKETCH_STATS, sketchRowsInt8 } from '../bounded-scan.js';
import { ArenaThreads, builtWorkerUrl } from './arena-threads.js';
import type { ScanTask } from './pool-protocol.js';
import { WorkerPool } from './worker-pool.js';
import { InvalidArgumentError, UnsupportedOperationError } from '../errors.js';

function storeRows(n: number, dim: number, seed: number): DenseRows {
  const arena = defaultArena();
  const block = arena.alloc(n * dim * 4);
  new SeededRandom(seed).fillGaussian(arena.f32(block.ptr, n * dim));
  return { ptr: block.ptr, count: n, dim };
}

describe('WorkerPool', () => {
  const pool = new WorkerPool({ threads: 2, inlineBelow: 0 });
  afterAll(() => pool.close());
  const dim = 24;
  const rows = storeRows(3000, dim, 1);
  const kernels = getKernels();

  it('gives the same results as a scan on the calling thread, split by queries or by slots', async () => {
    for (const queryCount of [1, 2, 7, 40]) {
      const queries = new SeededRandom(queryCount).fillGaussian(new Float32Array(queryCount * dim)) as Float32Array;
      for (const metric of ['dot', 'l2'] as const) {
        const expected = exactScan(kernels, rows, metric, queries, 10);
        const actual = await pool.exactScan(rows, metric, queries, 10);
        expect(actual.counts).toEqual(expected.counts);
        expect(actual.slots).toEqual(expected.slots);
        expect(actual.scores).toEqual(expected.scores);
      }
    }
  });

  it('honours filters, thresholds and slot ranges', async () => {
    const queries = new SeededRandom(9).fillGaussian(new Float32Array(3 * dim)) as Float32Array;
    const allowed = SlotBitset.fromSlots(rows.count, [5, 17, 2999, 1500, 42]);
    const options = { allowed, allowedCount: 5, minScore: -1e9, slotBegin: 10, slotEnd: 2000 };
    const expected = exactScan(kernels, rows, 'dot', queries, 4, options);
    const actual = await pool.exactScan(rows, 'dot', queries, 4, options);
    expect([...actual.counts]).toEqual([3, 3, 3]);
    expect(actual.slots).toEqual(expected.slots);
  });

  it('runs sketch-pruned scans with the same results', async () => {
    const arena = defaultArena();
    const n = 20000;
    const values = new SeededRandom(4).fillGaussian(new Float32Array(n * dim)) as Float32Array;
    const rowsBlock = arena.alloc(values.byteLength);
    arena.f32(rowsBlock.ptr, values.length).set(values);
    const codes = arena.alloc(n * dim);
    const stats = arena.alloc(n * INT8_SKETCH_STATS * 4);
    const sketch = { codesPtr: codes.ptr, statsPtr: stats.ptr, count: n, dim };
    sketchRowsInt8(kernels, values, dim, sketch, 0);
    const big = { ptr: rowsBlock.ptr, count: n, dim };
    const queries = new SeededRandom(5).fillGaussian(new Float32Array(6 * dim)) as Float32Array;
    for (const count of [1, 6]) {
      const qs = queries.subarray(0, count * dim);
      const expected = exactScan(kernels, big, 'l2', qs, 10);
      const actual = await pool.exactScan(big, 'l2', qs, 10, { sketch });
      expect(actual.slots).toEqual(expected.slots);
      expect(actual.scores).toEqual(expected.scores);
    }
  });

  it('validates its options and refuses work after close', async () => {
    expect(() => new WorkerPool({ threads: 0 })).toThrow(InvalidArgumentError);
    const closing = new WorkerPool({ threads: 1 });
    await closing.close();
    await expect(closing.exactScan(rows, 'dot', new Float32Array(dim), 1)).rejects.toThrow(UnsupportedOperationError);
  });

  it('shares its plumbing through ArenaThreads: thread checks, typed errors from workers, close', async () => {
    const threads = new ArenaThreads<ScanTask, unknown>({ name: 'TestThreads', operation: 'run' }, builtWorkerUrl(import.meta.url, 'pool-worker'), { threads: 1 });
    const task: ScanTask = { rows, metric: 'dot', queries: new Float32Array(dim), k: 0, slotBegin: 0, slotEnd: rows.count, scratchPtr: 0, scratchBytes: 0 };
    await expect(threads.run(1, task)).rejects.toThrow(InvalidArgumentError);
    // k = 0 is refused inside the worker; the error comes back with its code.
    await expect(threads.run(0, task)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await threads.close();
    await expect(threads.run(0, task)).rejects.toThrow(UnsupportedOperationError);
  });
});

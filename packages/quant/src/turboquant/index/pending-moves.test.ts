import { SeededRandom, wasmAvailable, type KernelChoice } from '@quiver/core-math';
import { gaussianMixture } from '@quiver/testkit';
import { describe, expect, it } from 'vitest';
import { PendingMoves } from './pending-moves.js';
import { TurboQuantIndex } from './turboquant-index.js';

const backends: KernelChoice[] = wasmAvailable() ? ['js', 'wasm'] : ['js'];

describe('PendingMoves', () => {
  it('resolves chains of removals to the row holding each vector', () => {
    const moves = new PendingMoves();
    // 10 slots: remove 5 (9 moves in), then 9's new home 5 again (8 moves in), then 7 (the last).
    moves.remove(5, 9);
    expect(moves.rowOf(5)).toBe(9);
    moves.remove(5, 8);
    expect(moves.rowOf(5)).toBe(8);
    moves.remove(7, 7);
    moves.remove(2, 6);
    expect(moves.rowOf(2)).toBe(6);
    // The last slot's own vector is pending (in row 8): that row is what moves on.
    moves.remove(0, 5);
    expect(moves.rowOf(0)).toBe(8);
    expect(moves.size).toBe(2);
    expect([...moves.take()]).toEqual([8, 0, 6, 2]);
    expect(moves.size).toBe(0);
    expect(moves.rowOf(0)).toBe(0);
  });
});

describe('TurboQuantIndex deferred swapRemove', () => {
  for (const kernels of backends) {
    it(`random interleavings of add / swapRemove / search / reconstruct / toBytes match an eager rebuild (${kernels} kernels)`, () => {
      const dim = 32;
      const total = 400;
      const vectors = gaussianMixture({ n: total, dim, clusters: 6, seed: 21 });
      const queries = gaussianMixture({ n: 5, dim, clusters: 6, seed: 21, sampleSeed: 77 });
      for (const [metric, originals] of [['dot', 'float32'], ['l2', 'none']] as const) {
        const rnd = new SeededRandom(metric === 'dot' ? 3 : 4);
        const index = new TurboQuantIndex({ dim, metric, originals, kernels });
        const model: number[] = []; // vector ids by slot
        let next = 0;
        const eager = () => {
          const rebuilt = new TurboQuantIndex({ dim, metric, originals, kernels });
          const rows = new Float32Array(model.length * dim);
          model.forEach((v, slot) => rows.set(vectors.subarray(v * dim, (v + 1) * dim), slot * dim));
          rebuilt.add(rows);
          return rebuilt;
        };
        for (let step = 0; step < 120; step++) {
          const action = rnd.nextInt(10);
          if ((action < 3 || model.length < 8) && next < total) {
            const n = 1 + rnd.nextInt(20);
            const batch = Math.min(n, total - next);
            expect(index.add(vectors.subarray(next * dim, (next + batch) * dim))).toBe(model.length);
            for (let i = 0; i < batch; i++) model.push(next++);
          } else if (action < 7 && model.length > 1) {
            // A run of removals, often at the end and onto slots that just received a vector.
            for (let r = 1 + rnd.nextInt(12); r > 0 && model.length > 1; r--) {
              const last = model.length - 1;
              const slot = rnd.nextInt(4) === 0 ? last : rnd.nextInt(model.length);
              expect(index.swapRemove(slot)).toBe(slot === last ? -1 : last);
              model[slot] = model[last]!;
              model.pop();
            }
            expect(index.size).toBe(model.length);
            // Reading through the pending moves.
            const slot = rnd.nextInt(model.length);
            const v = model[slot]!;
            if (originals === 'float32') expect([...index.reconstruct(slot)]).toEqual([...vectors.subarray(v * dim, (v + 1) * dim)]);
            else {
              const rebuilt = eager();
              expect(index.reconstruct(slot)).toEqual(rebuilt.reconstruct(slot));
              rebuilt.dispose();
            }
          } else {
            const rebuilt = eager();
            if (action === 7) expect(index.toBytes()).toEqual(rebuilt.toBytes());
            else if (action === 8) expect(index.search(queries, 6, { earlyExit: false })).toEqual(rebuilt.search(queries, 6, { earlyExit: false }));
            else {
              index.prepare();
              expect(index.search(queries, 6)).toEqual(rebuilt.search(queries, 6));
            }
            rebuilt.dispose();
          }
        }
        const rebuilt = eager();
        expect(index.packedCodes()).toEqual(rebuilt.packedCodes());
        expect(index.search(queries, 9)).toEqual(rebuilt.search(queries, 9));
        rebuilt.dispose();
        index.dispose();
      }
    });
  }
});

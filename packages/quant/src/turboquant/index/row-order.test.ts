import { SeededRandom, SlotBitset, wasmAvailable, type KernelChoice } from '@quiver/core-math';
import { gaussianMixture } from '@quiver/testkit';
import { describe, expect, it } from 'vitest';
import { RowOrder } from './row-order.js';
import { TurboQuantIndex } from './turboquant-index.js';

const backends: KernelChoice[] = wasmAvailable() ? ['js', 'wasm'] : ['js'];

describe('RowOrder', () => {
  it('keeps the slot and row maps inverse through appends, removals and permutations', () => {
    const order = new RowOrder(Int32Array.from([2, 0, 3, 1]));
    order.append(4, 4);
    expect(order.remove(0, 4)).toBe(1); // slot 4 (row 4) becomes slot 0; row 4 moves into row 1
    expect(order.rowOfSlot[0]).toBe(1);
    order.permute(Int32Array.from([3, 2, 1, 0]));
    for (let row = 0; row < 4; row++) expect(order.rowOfSlot[order.slotOfRow[row]!]).toBe(row);
    expect(order.remove(3, 3)).toBe(order.rowOfSlot[3]);
  });
});

describe('TurboQuantIndex rows grouped by prepare()', () => {
  for (const kernels of backends) {
    it(`gives the results, files and vectors of the ungrouped index, through removals and adds (${kernels} kernels)`, () => {
      const dim = 32;
      const vectors = gaussianMixture({ n: 900, dim, clusters: 8, seed: 31 });
      const queries = gaussianMixture({ n: 9, dim, clusters: 8, seed: 31, sampleSeed: 5 });
      for (const [metric, originals] of [['l2', 'float32'], ['cosine', 'none']] as const) {
        const model = Array.from({ length: 700 }, (_, v) => v);
        const index = new TurboQuantIndex({ dim, metric, originals, kernels });
        index.add(vectors.subarray(0, 700 * dim));
        const eager = () => {
          const rebuilt = new TurboQuantIndex({ dim, metric, originals, kernels });
          const rows = new Float32Array(model.length * dim);
          model.forEach((v, slot) => rows.set(vectors.subarray(v * dim, (v + 1) * dim), slot * dim));
          rebuilt.add(rows);
          return rebuilt;
        };
        const compare = () => {
          const rebuilt = eager();
          expect(index.toBytes()).toEqual(rebuilt.toBytes());
          expect(index.search(queries, 8, { earlyExit: false })).toEqual(rebuilt.search(queries, 8, { earlyExit: false }));
          expect(index.search(queries, 8)).toEqual(rebuilt.search(queries, 8));
          const odd = new SlotBitset(model.length);
          for (let slot = 1; slot < model.length; slot += 2) odd.add(slot);
          expect(index.search(queries, 8, { filter: odd })).toEqual(rebuilt.search(queries, 8, { filter: odd }));
          if (originals !== 'none') expect(index.search(queries, 8, { rerank: true })).toEqual(rebuilt.search(queries, 8, { rerank: true }));
          for (const slot of [0, 7, model.length - 1]) expect(index.reconstruct(slot)).toEqual(rebuilt.reconstruct(slot));
          rebuilt.dispose();
        };
        index.prepare();
        compare();
        const rnd = new SeededRandom(8);
        for (let round = 0; round < 3; round++) {
          for (let r = 0; r < 40; r++) {
            const last = model.length - 1;
            const slot = r % 5 === 0 ? last : rnd.nextInt(model.length);
            expect(index.swapRemove(slot)).toBe(slot === last ? -1 : last);
            model[slot] = model[last]!;
            model.pop();
          }
          const first = 700 + round * 60;
          expect(index.add(vectors.subarray(first * dim, (first + 60) * dim))).toBe(model.length);
          for (let v = first; v < first + 60; v++) model.push(v);
          for (let r = 0; r < 10; r++) {
            const slot = rnd.nextInt(model.length);
            model[slot] = model[model.length - 1]!;
            model.pop();
            index.swapRemove(slot);
          }
          compare();
          if (round === 1) index.prepare();
        }
        index.dispose();
      }
    });
  }
});

import { InvalidArgumentError, SeededRandom, SlotBitset, SlotList, UnsupportedOperationError, wasmAvailable, type KernelChoice } from '@quiver/core-math';
import { bruteForceTopK, gaussianMixture, recallAtK } from '@quiver/testkit';
import { describe, expect, it } from 'vitest';
import { TurboQuantCodec } from '../turboquant-codec.js';
import { TurboQuantIndex } from './turboquant-index.js';

const backends: KernelChoice[] = wasmAvailable() ? ['js', 'wasm'] : ['js'];

function data(n: number, dim: number, seed = 1) {
  return {
    vectors: gaussianMixture({ n, dim, clusters: 8, seed }),
    queries: gaussianMixture({ n: 12, dim, clusters: 8, seed, sampleSeed: seed + 99 }),
  };
}

describe('TurboQuantIndex', () => {
  it('stores exactly the codec codes and scales (byte-identical to turbovec) and scores with its estimator', () => {
    const dim = 64;
    const { vectors, queries } = data(300, dim);
    for (const bitWidth of [2, 3, 4] as const) {
      const codec = new TurboQuantCodec({ dim, bitWidth });
      const expected = codec.encode(vectors);
      const index = new TurboQuantIndex({ dim, bitWidth });
      index.add(vectors.subarray(0, 100 * dim));
      index.add(vectors.subarray(100 * dim));
      const { codes, scales } = index.packedCodes();
      expect(codes).toEqual(expected.codes);
      expect(scales).toEqual(expected.scales);
      // Without early exit the float correction ranks the shortlist by the estimator itself.
      const query = queries.subarray(0, dim);
      const prepared = codec.prepareQueryWithBias(query);
      const estimates = Array.from({ length: 300 }, (_, row) => codec.score(expected.codes, expected.scales, row, prepared));
      const result = index.search(query, 5, { earlyExit: false });
      const best = [...estimates.keys()].sort((a, b) => estimates[b]! - estimates[a]! || a - b).slice(0, 5);
      expect([...result.slots]).toEqual(best);
      for (let i = 0; i < 5; i++) expect(result.scores[i]).toBeCloseTo(estimates[result.slots[i]!]!, 4);
      index.dispose();
    }
  });

  for (const kernels of backends) {
    it(`reaches good recall at 4 bits and near-exact recall with rerank (${kernels} kernels)`, () => {
      const dim = 128;
      const { vectors, queries } = data(2000, dim, 3);
      const truth = bruteForceTopK(vectors, queries, dim, 10, 'cosine');
      const index = new TurboQuantIndex({ dim, metric: 'cosine', originals: 'float16', kernels });
      index.add(vectors);
      expect(recallAtK(index.search(queries, 10), truth)).toBeGreaterThan(0.5); // tight clusters: near-ties that 4-bit codes cannot separate
      expect(recallAtK(index.search(queries, 10, { rerank: true }), truth)).toBeGreaterThanOrEqual(0.99);
      index.dispose();
    });
  }

  it('gives the same results on both backends, early exit included', () => {
    if (backends.length < 2) return;
    const dim = 256;
    const { vectors, queries } = data(3000, dim, 5);
    const [js, wasm] = backends.map((kernels) => {
      const index = new TurboQuantIndex({ dim, metric: 'l2', kernels });
      index.add(vectors);
      return index;
    });
    expect(wasm!.search(queries, 20)).toEqual(js!.search(queries, 20));
    const filter = SlotBitset.fromSlots(3000, [1, 5, 700, 2999]);
    expect(wasm!.search(queries, 3, { filter })).toEqual(js!.search(queries, 3, { filter }));
  });

  it('early exit keeps recall against the full estimator ranking', () => {
    const dim = 384;
    const { vectors, queries } = data(4000, dim, 8);
    const index = new TurboQuantIndex({ dim, metric: 'cosine' });
    index.add(vectors);
    const full = index.search(queries, 10, { earlyExit: false });
    const pruned = index.search(queries, 10);
    const truth = { k: 10, queryCount: full.queryCount, slots: full.slots, scores: full.scores, counts: full.counts };
    expect(recallAtK(pruned, truth)).toBeGreaterThanOrEqual(0.98);
  });

  it('returns exactly min(k, admitted) results under a filter', () => {
    const dim = 32;
    const { vectors, queries } = data(500, dim);
    const index = new TurboQuantIndex({ dim });
    index.add(vectors);
    const random = new SeededRandom(4);
    const admitted = [...Array(500).keys()].filter(() => random.nextFloat() < 0.02);
    const result = index.search(queries, 20, { mask: new SlotList(admitted) });
    for (let q = 0; q < 12; q++) {
      expect(result.counts[q]).toBe(Math.min(20, admitted.length));
      for (const slot of result.slots.subarray(q * 20, q * 20 + result.counts[q]!)) expect(admitted).toContain(slot);
    }
    const many = index.search(queries, 7, { filter: { has: (slot) => slot % 3 === 0 } });
    expect([...many.counts]).toEqual(Array(12).fill(7));
  });

  it('swapRemove moves the last vector in O(1) and reports its former slot', () => {
    const dim = 16;
    const { vectors } = data(70, dim);
    const index = new TurboQuantIndex({ dim, originals: 'float32' });
    index.add(vectors);
    const before = index.packedCodes();
    expect(index.swapRemove(3)).toBe(69);
    expect(index.size).toBe(69);
    const after = index.packedCodes();
    const bytes = index.quantizer!.bytesPerRow;
    expect(after.codes.subarray(3 * bytes, 4 * bytes)).toEqual(before.codes.subarray(69 * bytes, 70 * bytes));
    expect(after.scales[3]).toBe(before.scales[69]);
    expect([...index.reconstruct(3)]).toEqual([...vectors.subarray(69 * dim, 70 * dim)]);
    expect(index.swapRemove(68)).toBe(-1);
    expect(() => index.swapRemove(68)).toThrow(InvalidArgumentError);
  });

  it('round-trips through turbovec v7 bytes', () => {
    const dim = 48;
    const { vectors, queries } = data(100, dim);
    const index = new TurboQuantIndex({ dim, bitWidth: 3 });
    index.add(vectors);
    index.calibrate(vectors.subarray(0, 50 * dim));
    const loaded = TurboQuantIndex.fromBytes(index.toBytes());
    expect(loaded.packedCodes()).toEqual(index.packedCodes());
    expect(loaded.calibration?.shift).toEqual(index.calibration?.shift);
    expect(loaded.search(queries, 5)).toEqual(index.search(queries, 5));
  });

  it('fixes the dimension on the first add and validates input', () => {
    const index = new TurboQuantIndex();
    expect(index.dim).toBe(0);
    expect(index.add([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]])).toBe(0);
    expect(index.dim).toBe(10);
    expect(() => new TurboQuantIndex({ bitWidth: 8 as never })).toThrow(InvalidArgumentError);
    expect(() => index.search(new Float32Array(10), 1, { rerank: true })).toThrow(UnsupportedOperationError);
    const scored: number[] = [];
    const result = index.search(new Float32Array(10).fill(1), 1, {
      rerank: { score: (_q, slots, out) => slots.forEach((s, i) => { scored.push(s); out[i] = 42; }) },
    });
    expect(scored).toEqual([0]);
    expect(result.scores[0]).toBe(42);
    expect(index.search(new Float32Array(10).fill(1), 1, { rerank: { score: (_q, _s, out) => out.fill(1) }, minScore: 2 }).counts[0]).toBe(0);
    expect(() => index.toBytes()).toThrow(UnsupportedOperationError); // 10 is not a multiple of 8
  });

  it('keeps memory at the code bytes plus a 4-byte scale per vector', () => {
    const dim = 1536;
    const index = new TurboQuantIndex({ dim, bitWidth: 4 });
    expect(index.bytesPerVector).toBe((dim * 4) / 8 + 4);
    const empty = new TurboQuantIndex({ dim, bitWidth: 4 });
    index.add(new SeededRandom(1).fillGaussian(new Float32Array(64 * dim)) as Float32Array);
    // Beyond the constant an empty index holds (its staging rows), exactly codes and scales.
    expect(index.bytesHeld - empty.bytesHeld).toBe(64 * ((dim * 4) / 8 + 4));
    expect(empty.bytesHeld).toBeLessThanOrEqual(16 * 1024);
    empty.dispose();
    index.dispose();
  });

  for (const kernels of backends) {
    it(`single adds and swapRemoves give the codes and results of a bulk build of the same rows (${kernels} kernels)`, () => {
      const dim = 40; // padded to 40: not a power of two
      const { vectors, queries } = data(160, dim, 7);
      const rnd = new SeededRandom(11);
      for (const [bitWidth, metric] of [[4, 'dot'], [3, 'l2'], [2, 'cosine'], [1, 'dot']] as const) {
        const index = new TurboQuantIndex({ dim, bitWidth, metric, originals: 'float16', kernels });
        const model: number[] = []; // vector ids by slot, as swapRemove must leave them
        for (let v = 0; v < 160; v++) {
          expect(index.add(vectors.subarray(v * dim, (v + 1) * dim))).toBe(model.length);
          model.push(v);
          if (v % 3 === 2) {
            const slot = v % 9 === 8 ? model.length - 1 : rnd.nextInt(model.length);
            const last = model.length - 1;
            expect(index.swapRemove(slot)).toBe(slot === last ? -1 : last);
            model[slot] = model[last]!;
            model.pop();
          }
        }
        const rows = new Float32Array(model.length * dim);
        model.forEach((v, slot) => rows.set(vectors.subarray(v * dim, (v + 1) * dim), slot * dim));
        const bulk = new TurboQuantIndex({ dim, bitWidth, metric, originals: 'float16', kernels });
        bulk.add(rows);
        expect(index.size).toBe(model.length);
        expect(index.packedCodes()).toEqual(bulk.packedCodes());
        if (bitWidth !== 1) expect(index.toBytes()).toEqual(bulk.toBytes()); // 1-bit has no turbovec file
        expect(index.search(queries, 7)).toEqual(bulk.search(queries, 7));
        expect(index.search(queries, 7, { rerank: true })).toEqual(bulk.search(queries, 7, { rerank: true }));
        expect(index.reconstruct(model.length - 1)).toEqual(bulk.reconstruct(model.length - 1));
        index.dispose();
        bulk.dispose();
      }
    });
  }
});

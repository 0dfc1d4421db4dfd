import { describe, expect, it } from 'vitest';
import { SeededRandom, type Metric } from '@quiver/core-math';
import type { TurboQuantBitWidth } from '../turboquant-codec.js';
import { TurboQuantStorage } from './turboquant-storage.js';

function gaussianRows(n: number, dim: number, seed: number): Float32Array {
  const random = new SeededRandom(seed);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i++) out[i] = random.nextGaussian();
  return out;
}

function row(data: Float32Array, i: number, dim: number): Float32Array {
  return data.subarray(i * dim, (i + 1) * dim);
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j]! * b[j]!;
  return s;
}

function unit(v: Float32Array): Float32Array {
  const norm = Math.sqrt(dot(v, v));
  return v.map((x) => x / norm);
}

describe('TurboQuantStorage scoring', () => {
  // 20 is not a multiple of 8 (padded codes); 8 bits takes the unpack-then-sum path.
  const cases: [number, TurboQuantBitWidth][] = [[64, 4], [64, 3], [64, 2], [64, 1], [20, 4], [32, 8]];

  it.each(cases)('dot: score equals codec.score, scoreMany equals score (dim %i, %i bits)', (dim, bitWidth) => {
    const data = gaussianRows(150, dim, 1);
    const storage = new TurboQuantStorage({ dim, bitWidth });
    expect(storage.append(data.subarray(0, 100 * dim))).toBe(0);
    expect(storage.append(data.subarray(100 * dim))).toBe(100); // growth keeps earlier rows
    expect(storage.size).toBe(150);
    const { codes, scales } = storage.packedCodes();
    const query = gaussianRows(1, dim, 2);
    const prepared = storage.codec.prepareQueryWithBias(query);
    const scorer = storage.scorer();
    scorer.setQuery(query);
    const slots = Int32Array.from({ length: 150 }, (_, i) => (i * 37) % 150);
    const out = new Float32Array(150);
    scorer.scoreMany(slots, 150, out);
    for (let i = 0; i < 150; i++) {
      expect(scorer.score(i)).toBe(storage.codec.score(codes, scales, i, prepared));
      expect(out[i]).toBe(Math.fround(scorer.score(slots[i]!)));
    }
  });

  it('cosine scores the normalized query against normalized rows', () => {
    const dim = 48;
    const data = gaussianRows(40, dim, 3);
    const storage = new TurboQuantStorage({ dim, metric: 'cosine' });
    const dotStorage = new TurboQuantStorage({ dim, metric: 'dot' });
    storage.append(data);
    const units = new Float32Array(data.length);
    for (let i = 0; i < 40; i++) units.set(unit(row(data, i, dim)), i * dim);
    dotStorage.append(units);
    const query = gaussianRows(1, dim, 4);
    const cosine = storage.scorer();
    const plain = dotStorage.scorer();
    cosine.setQuery(query.map((x) => 3 * x)); // the query's length does not matter
    plain.setQuery(unit(query));
    for (let i = 0; i < 40; i++) {
      expect(cosine.score(i)).toBeCloseTo(plain.score(i), 5);
      expect(cosine.score(i)).toBeCloseTo(dot(unit(row(data, i, dim)), unit(query)), 0);
    }
  });

  it('l2 is the negated squared distance estimated with the reconstruction norm', () => {
    const dim = 64;
    const data = gaussianRows(50, dim, 5);
    const storage = new TurboQuantStorage({ dim, metric: 'l2' });
    storage.append(data);
    const { codes, scales } = storage.packedCodes();
    const query = gaussianRows(1, dim, 6);
    const prepared = storage.codec.prepareQueryWithBias(query);
    const scorer = storage.scorer();
    scorer.setQuery(query);
    for (let i = 0; i < 50; i++) {
      const x = storage.reconstruct(i);
      const expected = 2 * storage.codec.score(codes, scales, i, prepared) - dot(query, query) - dot(x, x);
      expect(scorer.score(i)).toBeCloseTo(expected, 3);
      // The estimate is near the true negated squared distance (|q - v|² ≈ 128 here).
      const diff = row(data, i, dim).map((v, j) => v - query[j]!);
      expect(Math.abs(scorer.score(i) + dot(diff, diff))).toBeLessThan(0.15 * dot(diff, diff));
    }
  });

  it.each<Metric>(['dot', 'cosine', 'l2'])('scoreBetween matches the reconstructions (%s)', (metric) => {
    const dim = 32;
    const storage = new TurboQuantStorage({ dim, metric });
    storage.append(gaussianRows(10, dim, 7));
    const scorer = storage.scorer();
    for (const [a, b] of [[0, 1], [3, 3], [9, 2]] as const) {
      const x = storage.reconstruct(a);
      const y = storage.reconstruct(b);
      const expected = metric === 'l2' ? -dot(x.map((v, j) => v - y[j]!), x.map((v, j) => v - y[j]!)) : dot(x, y);
      expect(scorer.scoreBetween(a, b)).toBeCloseTo(expected, 3);
    }
  });

  it('reconstruct is close to the input (4 bits: relative error well under 15%)', () => {
    const dim = 64;
    const data = gaussianRows(20, dim, 8);
    const storage = new TurboQuantStorage({ dim });
    storage.append(data);
    const out = new Float32Array(dim);
    for (let i = 0; i < 20; i++) {
      const x = row(data, i, dim);
      expect(storage.reconstruct(i, out)).toBe(out);
      const diff = out.map((v, j) => v - x[j]!);
      expect(Math.sqrt(dot(diff, diff) / dot(x, x))).toBeLessThan(0.15);
    }
    expect(storage.bytesPerVector).toBe(32 + 4);
    expect(new TurboQuantStorage({ dim, metric: 'l2', bitWidth: 2 }).bytesPerVector).toBe(16 + 8);
  });
});

describe('TurboQuantStorage validation', () => {
  it('rejects bad options', () => {
    expect(() => new TurboQuantStorage({ dim: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new TurboQuantStorage({ dim: 8, bitWidth: 5 as TurboQuantBitWidth })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new TurboQuantStorage({ dim: 8, metric: 'manhattan' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new TurboQuantStorage({ dim: 8, initialCapacity: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('rejects dimension mismatches, non-finite values and zero vectors under cosine, storing nothing', () => {
    const storage = new TurboQuantStorage({ dim: 16 });
    expect(() => storage.append(new Float32Array(17))).toThrow(expect.objectContaining({ code: 'DIMENSION_MISMATCH' }));
    expect(() => storage.append(new Float32Array(0))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    for (const bad of [Number.NaN, Infinity]) {
      const rows = gaussianRows(2, 16, 9);
      rows[20] = bad;
      expect(() => storage.append(rows)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(storage.size).toBe(0);
    expect(() => new TurboQuantStorage({ dim: 16, metric: 'cosine' }).append(new Float32Array(16))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('rejects bad queries, slots and outputs', () => {
    const storage = new TurboQuantStorage({ dim: 16 });
    storage.append(gaussianRows(4, 16, 10));
    const scorer = storage.scorer();
    expect(() => scorer.score(0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'query' }));
    expect(() => scorer.setQuery(new Float32Array(15))).toThrow(expect.objectContaining({ code: 'DIMENSION_MISMATCH' }));
    expect(() => scorer.setQuery(new Float32Array(32))).toThrow(expect.objectContaining({ code: 'DIMENSION_MISMATCH' }));
    expect(() => scorer.setQuery(new Float32Array(16).fill(Number.NaN))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    scorer.setQuery(gaussianRows(1, 16, 11));
    for (const slot of [-1, 4, 1.5]) {
      expect(() => scorer.score(slot)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'slot' }));
      expect(() => storage.reconstruct(slot)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'slot' }));
    }
    expect(() => scorer.scoreMany(Int32Array.of(0, 7), 2, new Float32Array(2))).toThrow(expect.objectContaining({ argument: 'slot' }));
    expect(() => scorer.scoreMany(Int32Array.of(0), 2, new Float32Array(2))).toThrow(expect.objectContaining({ argument: 'count' }));
    expect(() => storage.reconstruct(0, new Float32Array(8))).toThrow(expect.objectContaining({ code: 'DIMENSION_MISMATCH' }));
  });

  it('a scorer created before an append sees the new rows', () => {
    const storage = new TurboQuantStorage({ dim: 16 });
    storage.append(gaussianRows(1, 16, 12));
    const scorer = storage.scorer();
    storage.append(gaussianRows(200, 16, 13));
    scorer.setQuery(gaussianRows(1, 16, 14));
    expect(Number.isFinite(scorer.score(200))).toBe(true);
  });
});

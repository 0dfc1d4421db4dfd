import { InvalidArgumentError, NotTrainedError, SeededRandom, DimensionMismatchError } from '@quiver/core-math';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_RERANK, NumpyAnnIndex, type AnnHit, type NumpyAnnIndexOptions } from './numpy-ann-index.js';

/** Seeded Gaussian mixture: `clusters` centres ~ N(0, 1), points = centre + N(0, spread²). */
function gaussianMixture(seed: number, n: number, dim: number, clusters: number, spread = 0.6): Float32Array {
  const rng = new SeededRandom(seed);
  const centres = rng.fillGaussian(new Float32Array(clusters * dim));
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = rng.nextInt(clusters);
    for (let j = 0; j < dim; j++) out[i * dim + j] = centres[c * dim + j]! + spread * rng.nextGaussian();
  }
  return out;
}

function recallAt(truth: AnnHit[][], found: AnnHit[][], k: number): number {
  let hits = 0;
  for (let q = 0; q < truth.length; q++) {
    const expected = new Set(truth[q]!.slice(0, k).map(([id]) => id));
    for (const [id] of found[q]!.slice(0, k)) if (expected.has(id)) hits++;
  }
  return hits / (truth.length * k);
}

const created: NumpyAnnIndex[] = [];
function make(options: ConstructorParameters<typeof NumpyAnnIndex>[0] = {}): NumpyAnnIndex {
  const index = new NumpyAnnIndex({ kernels: 'js', ...options });
  created.push(index);
  return index;
}
afterEach(() => {
  for (const index of created.splice(0)) index.dispose();
});

describe('NumpyAnnIndex (float)', () => {
  it('returns [id, score] lists of cosine scores, best first, ties to the lower id', () => {
    const index = make();
    index.index([
      [1, 0],
      [0, 1],
      [1, 0],
      [3, 4],
    ]);
    const [hits] = index.search([[2, 0]], 3);
    expect(hits!.map(([id]) => id)).toEqual([0, 2, 3]);
    expect(hits![0]![1]).toBeCloseTo(1, 6);
    expect(hits![2]![1]).toBeCloseTo(0.6, 6);
    expect(index.count()).toBe(4);
  });

  it('append continues ids; delete hides ids forever and ignores ids past the end', () => {
    const index = make();
    index.index([
      [1, 0],
      [0.9, 0.1],
    ]);
    index.append([
      [0.8, 0.2],
      [0, 1],
    ]);
    expect(index.offset).toBe(4);
    index.delete([0, 2, 99]);
    index.delete([0]);
    expect(index.count()).toBe(2);
    expect(index.isDeleted(0)).toBe(true);
    const [hits] = index.search([[1, 0]], 10);
    expect(hits!.map(([id]) => id)).toEqual([1, 3]);
    index.append([[1, 0]]);
    expect(index.search([[1, 0]], 1)[0]![0]![0]).toBe(4);
  });

  it('index() replaces previous content', () => {
    const index = make();
    index.index([[1, 0]]);
    index.delete([0]);
    index.index([
      [0, 1],
      [1, 0],
    ]);
    expect(index.count()).toBe(2);
    expect(index.search([[1, 0]], 1)[0]![0]![0]).toBe(1);
  });

  it('normalize: false keeps raw dot products', () => {
    const index = make({ normalize: false });
    index.index([
      [1, 0],
      [3, 0],
    ]);
    const [hits] = index.search([[2, 0]], 2);
    expect(hits).toEqual([
      [1, 6],
      [0, 2],
    ]);
  });

  it('rejects bad input with typed errors', () => {
    const index = make();
    expect(() => index.search([[1, 0]], 1)).toThrow(NotTrainedError);
    expect(() => index.append([[1, 0]])).toThrow(NotTrainedError);
    expect(() => index.index([])).toThrow(InvalidArgumentError);
    expect(() => index.index([[0, 0]])).toThrow(InvalidArgumentError);
    expect(() => index.index([[Number.NaN, 1]])).toThrow(InvalidArgumentError);
    expect(() => index.index(new Float32Array(4))).toThrow(InvalidArgumentError);
    index.index([[1, 0]]);
    expect(() => index.index([[1, 0, 0]])).toThrow(DimensionMismatchError);
    expect(() => index.search([[1, 0, 0]], 1)).toThrow(DimensionMismatchError);
    expect(() => index.search([[1, 0]], 0)).toThrow(InvalidArgumentError);
    expect(() => index.search([[1, 0]], 1.5)).toThrow(InvalidArgumentError);
    expect(() => index.search([[1, Infinity]], 1)).toThrow(InvalidArgumentError);
    expect(() => index.delete([-1])).toThrow(InvalidArgumentError);
    expect(() => index.delete([0.5])).toThrow(InvalidArgumentError);
    expect(() => make({ quantize: 9 })).toThrow(InvalidArgumentError);
    expect(() => make({ quantize: 0 })).toThrow(InvalidArgumentError);
    expect(() => make({ quantize: true as unknown as number })).toThrow(InvalidArgumentError);
    expect(() => make({ dim: 0 })).toThrow(InvalidArgumentError);
  });

  it('accepts a flat Float32Array when dim is given', () => {
    const index = make({ dim: 2 });
    index.index(new Float32Array([1, 0, 0, 1]));
    expect(index.search(new Float32Array([0, 1]), 1)[0]![0]![0]).toBe(1);
  });
});

describe('NumpyAnnIndex (quantized)', () => {
  const dim = 128;
  const data = gaussianMixture(7, 5000, dim, 32);
  const queries = gaussianMixture(8, 100, dim, 32);

  const floatIndex = new NumpyAnnIndex({ kernels: 'js', dim });
  floatIndex.index(data);
  const truth = floatIndex.search(queries, 10);
  floatIndex.dispose();

  // Floors sit below the measured values (0.977, 0.796, 0.103 and, for 1-bit 10@100, 0.407),
  // so they catch regressions, not noise. Random ids would score 10/5000 = 0.002.
  it.each([
    [8, 10, 0.95],
    [4, 10, 0.7],
    [1, 10, 0.07],
    [1, 100, 0.3],
  ])('%i-bit search finds the float top-10 among its top %i at a rate above %f', (bits, depth, floor) => {
    const index = make({ dim, quantize: bits });
    index.index(data);
    const found = index.search(queries, depth);
    let hits = 0;
    for (let q = 0; q < truth.length; q++) {
      const returned = new Set(found[q]!.map(([id]) => id));
      for (const [id] of truth[q]!) if (returned.has(id)) hits++;
    }
    const rate = hits / (truth.length * 10);
    expect(rate).toBeGreaterThanOrEqual(floor);
    if (depth === 10) expect(recallAt(truth, found, 10)).toBe(rate);
  });

  it('1-bit scores are 1 - hamming / bits, as txtai computes them', () => {
    const index = make({ quantize: 1 });
    index.index([
      [1, 1, 1, 1, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 1, 1, 1, -1],
      [-1, -1, -1, -1, 1, 1, 1, 1, 1],
      [2, 2, 2, 2, 2, 2, 2, 2, 2],
    ]);
    const [hits] = index.search([[1, 1, 1, 1, 1, 1, 1, 1, 1]], 4);
    // 9 dims -> 2 bytes -> 16 bits, padding bits agree; the tie between ids 0 and 3 goes to 0.
    expect(hits).toEqual([
      [0, 1],
      [3, 1],
      [1, 1 - 1 / 16],
      [2, 1 - 4 / 16],
    ]);
  });

  it('multi-bit scores approximate the float dot product', () => {
    const index = make({ dim, quantize: 8 });
    index.index(data);
    const found = index.search(queries.subarray(0, dim), 3)[0]!;
    const exact = truth[0]!.slice(0, 3);
    expect(found[0]![1]).toBeCloseTo(exact[0]![1], 2);
  });

  it.each([1, 2, 5, 8])('a deleted row never comes back under %i-bit quantization', (bits) => {
    const index = make({ dim, quantize: bits });
    index.index(data.subarray(0, 200 * dim));
    // Delete every row a query would return first, then ask for everything.
    const first = index.search(data.subarray(0, dim), 5)[0]!.map(([id]) => id);
    index.delete(first);
    const all = index.search(data.subarray(0, dim), 200)[0]!;
    expect(all).toHaveLength(195);
    for (const id of first) expect(all.some(([hit]) => hit === id)).toBe(false);
    expect(index.count()).toBe(195);
  });

  it('append after index uses the fitted grid (values outside it are clamped)', () => {
    const index = make({ quantize: 4, normalize: false });
    index.index([
      [0, 0],
      [1, 1],
    ]);
    index.append([[5, 5]]);
    const [hits] = index.search([[1, 1]], 3);
    // [5, 5] clamps to the top of the grid, [1, 1]: an exact tie, which goes to the lower id.
    expect(hits!.map(([id]) => id)).toEqual([1, 2, 0]);
    expect(hits![0]![1]).toBeCloseTo(2, 5);
    expect(hits![1]![1]).toBeCloseTo(2, 5);
  });
});

describe('NumpyAnnIndex extensions: center and rerank', () => {
  const dim = 128;
  const mixture = gaussianMixture(7, 5000, dim, 32);
  const mixtureQueries = gaussianMixture(8, 100, dim, 32);
  // SIFT-like: every value non-negative, so every raw sign bit is 1 and plain 1-bit codes say nothing.
  const positive = mixture.map(Math.abs);
  const positiveQueries = mixtureQueries.map(Math.abs);

  function truthOf(data: Float32Array, queries: Float32Array): AnnHit[][] {
    const float = make({ dim });
    float.index(data);
    return float.search(queries, 10);
  }
  const truth = { mixture: truthOf(mixture, mixtureQueries), positive: truthOf(positive, positiveQueries) };
  const sets = { mixture: [mixture, mixtureQueries], positive: [positive, positiveQueries] } as const;

  // Bounds sit outside the measured values (in brackets) so they catch regressions, not noise.
  // 1-bit codes of 128 dimensions are coarse: they need a deep rerank (the 100k × 384 benchmark
  // needs less, see benchmarks/results/quantized.md).
  it.each([
    ['positive', { quantize: 1 }, 0, 0.01], // [0.002]: the reason center exists
    ['positive', { quantize: 1, center: true }, 0.08, 1], // [0.105]
    ['positive', { quantize: 1, rerank: 20 }, 0, 0.1], // [0.051]: rerank cannot fix uninformative codes
    ['positive', { quantize: 1, center: true, rerank: 20 }, 0.45, 1], // [0.512]
    ['positive', { quantize: 1, center: true, rerank: 50 }, 0.65, 1], // [0.726]
    ['mixture', { quantize: 1, center: true, rerank: 50 }, 0.7, 1], // [0.759]
    ['mixture', { quantize: 4, rerank: 4 }, 0.98, 1], // [0.998]
    ['mixture', { quantize: 8, rerank: 4 }, 0.99, 1], // [1]
    ['positive', { quantize: 4, rerank: 4 }, 0.93, 1], // [0.959]
  ] as const)('recall@10 on %s data with %o is in [%f, %f]', (set, options, floor, ceiling) => {
    const [data, queries] = sets[set];
    const index = make({ dim, ...options });
    index.index(data);
    const rate = recallAt(truth[set], index.search(queries, 10), 10);
    expect(rate).toBeGreaterThanOrEqual(floor);
    expect(rate).toBeLessThanOrEqual(ceiling);
  });

  it('rerank returns exact float scores, best first, ties to the lower id', () => {
    const index = make({ dim, quantize: 2, rerank: 1000 });
    index.index(mixture.subarray(0, 500 * dim));
    index.append(mixture.subarray(0, dim)); // id 500 duplicates id 0
    const float = make({ dim });
    const rows = new Float32Array(501 * dim);
    rows.set(mixture.subarray(0, 500 * dim));
    rows.set(mixture.subarray(0, dim), 500 * dim);
    float.index(rows);
    const query = mixture.subarray(0, dim);
    const found = index.search(query, 5)[0]!;
    const expected = float.search(query, 5)[0]!;
    expect(found.map(([id]) => id)).toEqual(expected.map(([id]) => id));
    expect(found.slice(0, 2).map(([id]) => id)).toEqual([0, 500]);
    expect(found).toEqual(expected); // same float32 kernel: the very same scores
  });

  it('center changes nothing for 2..8-bit codes (their grid is already centred)', () => {
    const plain = make({ dim, quantize: 4 });
    const centred = make({ dim, quantize: 4, center: true });
    plain.index(positive);
    centred.index(positive);
    expect(centred.search(positiveQueries, 10)).toEqual(plain.search(positiveQueries, 10));
  });

  it('append reuses the mean fitted by index(); index() fits it again', () => {
    const index = make({ quantize: 1, center: true, normalize: false });
    index.index([
      [1, 1],
      [3, 3],
    ]); // mean [2, 2]: sign bits 00 and 11
    index.append([[2.5, 1.5]]); // centred [0.5, -0.5]: bits 10
    expect(index.search([[2.5, 1]], 3)[0]).toEqual([
      [2, 1],
      [0, 0.875], // 1 - hamming / bits, bits = 8 per byte as in txtai
      [1, 0.875],
    ]);
    index.index([
      [3, 3],
      [5, 5],
    ]); // mean [4, 4]: [3, 3] is now the one below the mean
    expect(index.search([[3.5, 3.5]], 1)[0]![0]![0]).toBe(0);
  });

  it.each<NumpyAnnIndexOptions>([
    { quantize: 1, rerank: 3 },
    { quantize: 1, center: true, rerank: 1 },
    { quantize: 4, rerank: 2 },
  ])('a deleted row never comes back with %o', (options) => {
    const index = make({ dim, ...options });
    index.index(positive.subarray(0, 200 * dim));
    const query = positive.subarray(0, dim);
    const first = index.search(query, 5)[0]!.map(([id]) => id);
    expect(first[0]).toBe(0);
    index.delete(first);
    const all = index.search(query, 200)[0]!;
    expect(all).toHaveLength(195);
    for (const id of first) expect(all.some(([hit]) => hit === id)).toBe(false);
  });

  it('rejects bad options with InvalidArgumentError', () => {
    for (const options of [
      { center: true },
      { rerank: 4 },
      { quantize: 4, center: 1 },
      { quantize: 4, rerank: 0.5 },
      { quantize: 4, rerank: -1 },
      { quantize: 4, rerank: MAX_RERANK + 1 },
      { quantize: 4, rerank: Number.NaN },
      { quantize: 4, rerank: '4' },
    ]) {
      expect(() => make(options as NumpyAnnIndexOptions), JSON.stringify(options)).toThrow(InvalidArgumentError);
    }
    expect(make({ quantize: 4, rerank: 0 }).rerank).toBeUndefined();
  });
});

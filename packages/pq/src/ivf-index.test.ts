import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CorruptFileError, InvalidArgumentError, NotTrainedError, UnsupportedOperationError, type Metric } from '@quiver/core-math';
import { bruteForceTopK, compareWithBruteForce, gaussianMixture, recallAtK } from '@quiver/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { loadIvfIndex } from './ivf-codec.js';
import { IvfIndex, type IvfIndexOptions } from './ivf-index.js';

const created: IvfIndex[] = [];
function make(options: IvfIndexOptions): IvfIndex {
  const index = new IvfIndex(options);
  created.push(index);
  return index;
}
afterEach(() => {
  for (const index of created.splice(0)) index.dispose();
});

// <repo>/../shared/datasets, resolved from packages/pq/src.
const datasetDir = fileURLToPath(new URL('../../../../shared/datasets/siftsmall/', import.meta.url));
const siftAvailable = existsSync(`${datasetDir}siftsmall_base.fvecs`);
if (!siftAvailable && process.env.CI) throw new Error(`siftsmall dataset missing at ${datasetDir} (required in CI)`);

/** .fvecs / .ivecs: each row is an int32 width followed by that many 4-byte values. */
function readVecs(name: string): { values: Float32Array | Int32Array; rows: number; width: number } {
  const bytes = readFileSync(`${datasetDir}${name}`);
  const words = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const width = words[0]!;
  const rows = words.length / (width + 1);
  const out = name.endsWith('.ivecs') ? new Int32Array(rows * width) : new Float32Array(rows * width);
  const floats = new Float32Array(bytes.buffer, bytes.byteOffset, words.length);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < width; j++) out[r * width + j] = out instanceof Int32Array ? words[r * (width + 1) + 1 + j]! : floats[r * (width + 1) + 1 + j]!;
  }
  return { values: out, rows, width };
}

describe.skipIf(!siftAvailable)('IvfIndex on siftsmall (10k × 128, l2, shipped ground truth)', () => {
  const base = siftAvailable ? (readVecs('siftsmall_base.fvecs').values as Float32Array) : new Float32Array(0);
  const queries = siftAvailable ? (readVecs('siftsmall_query.fvecs').values as Float32Array) : new Float32Array(0);
  const truth = siftAvailable ? readVecs('siftsmall_groundtruth.ivecs') : undefined;
  const recallAt10 = (index: IvfIndex, nprobe: number): number => {
    const found = index.search(queries, 10, { nprobe });
    let hits = 0;
    for (let q = 0; q < 100; q++) {
      const expected = new Set(Array.from(truth!.values.subarray(q * truth!.width, q * truth!.width + 10)));
      for (let i = 0; i < 10; i++) if (expected.has(found.slots[q * 10 + i]!)) hits++;
    }
    return hits / 1000;
  };

  // Training on a quarter of the base keeps the suite fast; the lists still hold all 10k vectors.
  const sample = base.subarray(0, 2500 * 128);

  it('IVF-Flat reaches recall@10 >= 0.9 at nprobe 8 of 64, and 1 when probing every list', () => {
    const index = make({ dim: 128, metric: 'l2', nlist: 64, iterations: 10 });
    index.train(sample);
    index.add(base);
    const recalls = [1, 4, 8, 64].map((nprobe) => recallAt10(index, nprobe));
    for (let i = 1; i < recalls.length; i++) expect(recalls[i]).toBeGreaterThanOrEqual(recalls[i - 1]!);
    expect(recalls[2]).toBeGreaterThanOrEqual(0.9);
    expect(recalls[3]).toBe(1);
  });

  it('IVF-PQ (M 16, residuals, rerank) reaches recall@10 >= 0.9 at nprobe 8', () => {
    const index = make({ dim: 128, metric: 'l2', nlist: 64, storage: 'pq', M: 16, rerank: true, iterations: 5 });
    index.train(sample);
    index.add(base);
    expect(index.bytesPerVector).toBe(16 + 4 + 512); // code, term 1, float32 row
    expect(recallAt10(index, 8)).toBeGreaterThanOrEqual(0.9);
  });

  it('IVF-PQ 4-bit fast scan (M 64) without rerank reaches recall@10 >= 0.7 at nprobe 8', () => {
    const index = make({ dim: 128, metric: 'l2', nlist: 64, storage: 'pq', M: 64, nbits: 4, iterations: 8 });
    index.train(sample);
    index.add(base);
    expect(index.bytesPerVector).toBe(32 + 4); // code, term 1
    const recall = recallAt10(index, 8);
    expect(recall).toBeGreaterThanOrEqual(0.7);
  });
});

describe('IvfIndex on synthetic data', () => {
  const dim = 32;
  const data = gaussianMixture({ n: 4000, dim, clusters: 40, seed: 12, spread: 0.5 });
  const queries = gaussianMixture({ n: 50, dim, clusters: 40, seed: 12, sampleSeed: 13, spread: 0.5 });
  // PQ training on a quarter of the rows keeps the suite fast; every row is added.
  const sample = data.subarray(0, 1000 * dim);

  for (const metric of ['l2', 'dot', 'cosine'] as Metric[]) {
    it(`IVF-Flat probing every list is exact (${metric})`, () => {
      const index = make({ dim, metric, nlist: 16, iterations: 5 });
      index.train(data);
      index.add(data);
      expect(compareWithBruteForce(index.search(queries, 10, { nprobe: 16 }), data, queries, dim, metric)).toEqual([]);
    });

    for (const nbits of [8, 4] as const) {
      it(`IVF-PQ nbits ${nbits}: scores are those of the PQ reconstructions; recall@10 >= 0.95 with rerank (${metric})`, () => {
        const truth = bruteForceTopK(data, queries, dim, 10, metric);
        const plain = make({ dim, metric, nlist: 16, nprobe: 6, storage: 'pq', M: nbits === 8 ? 8 : 16, nbits, iterations: 6 });
        plain.train(sample);
        plain.add(data);
        const found = plain.search(queries, 10);
        // Tight clusters (spread 0.5) make codes alone a coarse ranking; the scores must still be exact ADC values.
        expect(recallAtK(found, truth)).toBeGreaterThanOrEqual(0.35);
        for (let q = 0; q < 50; q++) {
          const query = queries.slice(q * dim, (q + 1) * dim);
          const unit = metric === 'cosine' ? query.map((v) => v / Math.hypot(...query)) : query;
          for (let i = 0; i < found.counts[q]!; i++) {
            const row = plain.reconstruct(found.slots[q * 10 + i]!);
            let exact = 0;
            for (let j = 0; j < dim; j++) exact += metric === 'l2' ? -((unit[j]! - row[j]!) ** 2) : unit[j]! * row[j]!;
            expect(found.scores[q * 10 + i]!).toBeCloseTo(exact, 3);
          }
        }
        const reranked = make({ dim, metric, nlist: 16, nprobe: 6, storage: 'pq', M: nbits === 8 ? 8 : 16, nbits, iterations: 6, rerank: true, rerankFactor: 10 });
        reranked.train(sample);
        reranked.add(data);
        expect(recallAtK(reranked.search(queries, 10), truth)).toBeGreaterThanOrEqual(0.95);
      });
    }
  }

  it('reconstructs PQ vectors from residual codes close to the originals', () => {
    const index = make({ dim, metric: 'l2', nlist: 16, storage: 'pq', M: 16, iterations: 6 });
    index.train(sample);
    index.add(data.subarray(0, 500 * dim));
    let error = 0;
    let energy = 0;
    for (let slot = 0; slot < 500; slot++) {
      const row = index.reconstruct(slot);
      for (let j = 0; j < dim; j++) {
        error += (row[j]! - data[slot * dim + j]!) ** 2;
        energy += data[slot * dim + j]! ** 2;
      }
    }
    expect(error / energy).toBeLessThan(0.05);
    expect(index.listSizes().reduce((a, b) => a + b, 0)).toBe(500);
  });

  it('probes further lists when a selective filter leaves fewer than k hits', () => {
    const index = make({ dim, metric: 'l2', nlist: 16, nprobe: 1, iterations: 5 });
    index.train(data);
    index.add(data);
    const admitted = { has: (slot: number) => slot % 400 === 0 };
    const result = index.search(queries, 10, { filter: admitted });
    expect([...result.counts]).toEqual(Array(50).fill(10));
    expect(compareWithBruteForce(result, data, queries, dim, 'l2', { filter: admitted })).toEqual([]);
    // The PQ scans (8-bit lists, and the 4-bit shortlist) continue the same way.
    for (const nbits of [8, 4] as const) {
      const pq = make({ dim, metric: 'l2', nlist: 16, nprobe: 1, storage: 'pq', M: 8, nbits, iterations: 3 });
      pq.train(sample);
      pq.add(data);
      const found = pq.search(queries, 10, { filter: admitted });
      expect([...found.counts]).toEqual(Array(50).fill(10));
      expect([...found.slots].every((slot) => admitted.has(slot))).toBe(true);
    }
  });

  it('validates parameters and the train-then-add order', () => {
    expect(() => new IvfIndex({ dim: 8, nlist: 0 })).toThrow(InvalidArgumentError);
    expect(() => new IvfIndex({ dim: 8, nlist: 4, nprobe: 5 })).toThrow(InvalidArgumentError);
    expect(() => new IvfIndex({ dim: 8, nlist: 4, storage: 'hnsw' as 'flat' })).toThrow(InvalidArgumentError);
    expect(() => new IvfIndex({ dim: 8, nlist: 4, rerank: true })).toThrow(InvalidArgumentError);
    expect(() => new IvfIndex({ dim: 8, nlist: 4, storage: 'pq', M: 3 })).toThrow(InvalidArgumentError);
    expect(() => new IvfIndex({ dim: 512, nlist: 4, storage: 'pq', M: 512, nbits: 4 })).toThrow(/at most 256/);
    const index = make({ dim, nlist: 16, storage: 'pq', M: 8 });
    expect(index.isTrained).toBe(false);
    expect(() => index.add(data.subarray(0, dim))).toThrow(NotTrainedError);
    expect(() => index.toBytes()).toThrow(NotTrainedError);
    expect(index.search(queries, 3).counts[0]).toBe(0);
    expect(() => index.train(data.subarray(0, 10 * dim))).toThrow(/at least 16 rows/);
    expect(() => index.train(data.subarray(0, 100 * dim))).toThrow(/at least 256 rows/);
    index.train(data.subarray(0, 1000 * dim), { onProgress: () => undefined });
    index.add(data.subarray(0, 10 * dim));
    expect(() => index.train(data)).toThrow(UnsupportedOperationError);
    expect(() => index.search(queries, 3, { nprobe: 0 })).toThrow(InvalidArgumentError);
    const controller = new AbortController();
    controller.abort();
    expect(() => make({ dim, nlist: 4 }).train(data, { signal: controller.signal })).toThrow(/aborted/);
  });

  it('round-trips through bytes with every option, and refuses a wrong kind or a tampered field', () => {
    const index = make({ dim, metric: 'dot', nlist: 8, storage: 'pq', M: 8, nbits: 4, rerank: true, residual: true, nprobe: 3, rerankFactor: 5 });
    index.train(sample);
    index.add(data.subarray(0, 900 * dim));
    index.remove(4);
    const loaded = loadIvfIndex(index.toBytes());
    created.push(loaded);
    for (const key of ['nlist', 'storage', 'M', 'nbits', 'residual', 'rerank', 'nprobe', 'rerankFactor', 'metric', 'size', 'slotCount'] as const) {
      expect(loaded[key]).toBe(index[key]);
    }
    expect(loaded.search(queries, 10)).toEqual(index.search(queries, 10));
    expect(loaded.listSizes()).toEqual(index.listSizes());
    const bytes = index.toBytes();
    const kind = bytes.slice();
    kind.set([0x46, 0x4c, 0x41, 0x54], 12); // 'FLAT'
    expect(() => loadIvfIndex(kind)).toThrow(CorruptFileError);
    expect(() => loadIvfIndex(bytes.subarray(0, bytes.length - 1))).toThrow(CorruptFileError);
  });
});

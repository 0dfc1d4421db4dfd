import { DimensionMismatchError, InvalidArgumentError, NotTrainedError, SeededRandom, getKernels, wasmAvailable, type KernelChoice } from '@quiver/core-math';
import { gaussianMixture } from '@quiver/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ProductQuantizer, type PqBits } from './product-quantizer.js';

const backends: KernelChoice[] = wasmAvailable() ? ['js', 'wasm'] : ['js'];
const dim = 32;
const data = gaussianMixture({ n: 3000, dim, clusters: 20, seed: 4, spread: 0.4 });
const queries = gaussianMixture({ n: 8, dim, clusters: 20, seed: 4, sampleSeed: 77, spread: 0.4 });

const created: ProductQuantizer[] = [];
function make(options: ConstructorParameters<typeof ProductQuantizer>[0]): ProductQuantizer {
  const pq = new ProductQuantizer(options);
  created.push(pq);
  return pq;
}
afterEach(() => {
  for (const pq of created.splice(0)) pq.dispose();
});

/** Quantizers trained once per backend and setting, shared by the tests below (training dominates their time). */
const shared = new Map<string, ProductQuantizer>();
afterAll(() => {
  for (const pq of shared.values()) pq.dispose();
});
function sharedTrained(key: string, options: ConstructorParameters<typeof ProductQuantizer>[0], sample: Float32Array): ProductQuantizer {
  let pq = shared.get(key);
  if (!pq) {
    pq = new ProductQuantizer(options);
    pq.train(sample);
    shared.set(key, pq);
  }
  return pq;
}

function meanSquaredError(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return sum / a.length;
}

describe.each(backends)('ProductQuantizer (%s kernels)', (kernels) => {
  it('encodes and decodes with an error well below the data variance; 8 bits beat 4 bits', () => {
    const errors: Record<number, number> = {};
    for (const nbits of [8, 4] as PqBits[]) {
      const pq = sharedTrained(`${kernels}/${nbits}`, { dim, M: 8, nbits, kernels, iterations: 4 }, data.subarray(0, 1000 * dim));
      const codes = pq.encode(data);
      expect(codes.length).toBe(3000 * pq.codeSize);
      expect(pq.codeSize).toBe(nbits === 8 ? 8 : 4);
      errors[nbits] = meanSquaredError(pq.decode(codes), data);
    }
    const mean = new Float64Array(dim);
    for (let i = 0; i < data.length; i++) mean[i % dim]! += data[i]! / 3000;
    let variance = 0;
    for (let i = 0; i < data.length; i++) variance += (data[i]! - mean[i % dim]!) ** 2 / data.length;
    expect(errors[8]).toBeLessThan(errors[4]!);
    expect(errors[4]).toBeLessThan(0.25 * variance);
    expect(errors[8]).toBeLessThan(0.15 * variance);
  });

  it('encodes each subvector to its nearest centroid (nbits 8 and 4)', () => {
    for (const nbits of [8, 4] as PqBits[]) {
      const pq = sharedTrained(`${kernels}/${nbits}`, { dim, M: 8, nbits, kernels, iterations: 4 }, data.subarray(0, 1000 * dim));
      const centroids = pq.centroids();
      const codes = pq.encode(data.subarray(0, 50 * dim));
      for (let i = 0; i < 50; i++) {
        for (let m = 0; m < 8; m++) {
          const distances = Array.from({ length: pq.ksub }, (_, c) => {
            let d = 0;
            for (let j = 0; j < pq.dsub; j++) d += (data[i * dim + m * pq.dsub + j]! - centroids[(m * pq.ksub + c) * pq.dsub + j]!) ** 2;
            return d;
          });
          const best = Math.min(...distances);
          // float32 kernel vs float64 here: the chosen centroid is optimal up to rounding.
          expect(distances[pq.subCode(codes, i * pq.codeSize, m)]!).toBeLessThanOrEqual(best * (1 + 1e-5) + 1e-9);
        }
      }
    }
  });

  for (const metric of ['l2', 'dot', 'cosine'] as const) {
    for (const nbits of [8, 4] as PqBits[]) {
      it(`ADC over the table equals scoring the decoded vectors (${metric}, nbits ${nbits})`, () => {
        // The codebooks' quality does not matter here: every metric reuses one training per setting.
        const pq = make({ dim, M: 16, nbits, metric, kernels });
        pq.setCentroids(sharedTrained(`${kernels}/${nbits}/M16`, { dim, M: 16, nbits, kernels, iterations: 2 }, data.subarray(0, 600 * dim)).centroids());
        const n = 40;
        const codes = pq.encode(data.subarray(0, n * dim));
        const decoded = pq.decode(codes);
        const k = getKernels(kernels);
        const { arena } = k;
        const codesBlock = arena.alloc(codes.length);
        const tableBlock = arena.alloc(pq.M * pq.ksub * 4);
        const outBlock = arena.alloc(n * 4);
        try {
          arena.u8(codesBlock.ptr, codes.length).set(codes);
          for (let q = 0; q < queries.length / dim; q++) {
            let query = queries.slice(q * dim, (q + 1) * dim);
            if (metric === 'cosine') {
              const length = Math.hypot(...query);
              query = query.map((v) => v / length);
            }
            arena.f32(tableBlock.ptr, pq.M * pq.ksub).set(pq.adcTable(queries.subarray(q * dim, (q + 1) * dim)));
            k.pqAdcScan(codesBlock.ptr, n, pq.M, nbits, tableBlock.ptr, outBlock.ptr);
            const adc = arena.f32(outBlock.ptr, n);
            for (let i = 0; i < n; i++) {
              let exact = 0;
              let magnitude = 0;
              for (let j = 0; j < dim; j++) {
                const term = metric === 'l2' ? (query[j]! - decoded[i * dim + j]!) ** 2 : query[j]! * decoded[i * dim + j]!;
                exact += term;
                magnitude += Math.abs(term);
              }
              expect(Math.abs(adc[i]! - exact)).toBeLessThanOrEqual(1e-5 * magnitude + 1e-6);
            }
          }
        } finally {
          for (const block of [codesBlock, tableBlock, outBlock]) arena.free(block);
        }
      });
    }
  }
});

describe('ProductQuantizer validation', () => {
  it('rejects bad parameters and untrained use', () => {
    expect(() => new ProductQuantizer({ dim: 10, M: 3 })).toThrow(InvalidArgumentError);
    expect(() => new ProductQuantizer({ dim: 8, M: 2, nbits: 6 as PqBits })).toThrow(InvalidArgumentError);
    expect(() => new ProductQuantizer({ dim: 0, M: 1 })).toThrow(InvalidArgumentError);
    expect(() => new ProductQuantizer({ dim: 8, M: 2, metric: 'manhattan' })).toThrow(InvalidArgumentError);
    const pq = make({ dim: 8, M: 2, nbits: 4 });
    expect(pq.isTrained).toBe(false);
    expect(() => pq.encode(new Float32Array(8))).toThrow(NotTrainedError);
    expect(() => pq.adcTable(new Float32Array(8))).toThrow(NotTrainedError);
    expect(() => pq.train(new Float32Array(8 * 10))).toThrow(/at least 16 rows/);
    pq.train(new SeededRandom(1).fillGaussian(new Float32Array(8 * 100)) as Float32Array);
    expect(pq.isTrained).toBe(true);
    expect(() => pq.encode(new Float32Array(7))).toThrow(DimensionMismatchError);
    expect(() => pq.encode(new Float32Array([1, 2, 3, 4, 5, 6, 7, NaN]))).toThrow(InvalidArgumentError);
    expect(() => pq.decode(new Uint8Array(0))).toThrow(InvalidArgumentError);
    expect(() => pq.adcTable(new Float32Array(9))).toThrow(DimensionMismatchError);
    pq.dispose();
    expect(() => pq.encode(new Float32Array(8))).toThrow(/disposed/);
  });
});

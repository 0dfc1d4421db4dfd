import { InvalidArgumentError, wasmAvailable, type KernelChoice } from '@quiver/core-math';
import { gaussianMixture } from '@quiver/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { PqStorage } from './pq-storage.js';
import { ProductQuantizer, type PqBits } from './product-quantizer.js';

const backends: KernelChoice[] = wasmAvailable() ? ['js', 'wasm'] : ['js'];
const dim = 24;
const data = gaussianMixture({ n: 700, dim, clusters: 10, seed: 8 });
const queries = gaussianMixture({ n: 5, dim, clusters: 10, seed: 8, sampleSeed: 9 });
const disposers: (() => void)[] = [];
afterAll(() => disposers.forEach((dispose) => dispose()));

/** Codebooks per backend and setting, trained once: every metric's quantizer installs the same ones. */
const codebooks = new Map<string, Float32Array>();

function storageFor(metric: 'l2' | 'dot' | 'cosine', nbits: PqBits, kernels: KernelChoice, M = 6): PqStorage {
  const key = `${kernels}/${nbits}/${M}`;
  if (!codebooks.has(key)) {
    const trainer = new ProductQuantizer({ dim, M, nbits, kernels, iterations: 4 });
    trainer.train(data);
    codebooks.set(key, trainer.centroids());
    trainer.dispose();
  }
  const quantizer = new ProductQuantizer({ dim, M, nbits, metric, kernels });
  quantizer.setCentroids(codebooks.get(key)!);
  const storage = new PqStorage({ quantizer });
  disposers.push(() => storage.dispose(), () => quantizer.dispose());
  return storage;
}

describe.each(backends)('PqStorage (%s kernels)', (kernels) => {
  for (const metric of ['l2', 'dot', 'cosine'] as const) {
    for (const [nbits, M] of [[8, 6], [4, 3]] as [PqBits, number][]) {
      it(`score, scoreMany and decoded vectors agree (${metric}, nbits ${nbits}, M ${M})`, () => {
        const storage = storageFor(metric, nbits, kernels, M);
        expect(storage.append(data.subarray(0, 100 * dim))).toBe(0);
        expect(storage.append(data.subarray(100 * dim, 300 * dim))).toBe(100);
        expect(storage.size).toBe(300);
        expect(storage.bytesPerVector).toBe(nbits === 8 ? M : Math.ceil(M / 2));
        const scorer = storage.scorer();
        const slots = Int32Array.from({ length: 70 }, (_, i) => (i * 37) % 300);
        const many = new Float32Array(70);
        for (let q = 0; q < 5; q++) {
          const query = queries.slice(q * dim, (q + 1) * dim);
          scorer.setQuery(query);
          scorer.scoreMany(slots, 70, many);
          const unit = metric === 'cosine' ? query.map((v) => v / Math.hypot(...query)) : query;
          for (let i = 0; i < 70; i++) {
            expect(many[i]).toBe(scorer.score(slots[i]!));
            const decoded = storage.reconstruct(slots[i]!);
            let exact = 0;
            for (let j = 0; j < dim; j++) exact += metric === 'l2' ? -((unit[j]! - decoded[j]!) ** 2) : unit[j]! * decoded[j]!;
            expect(many[i]!).toBeCloseTo(exact, 3);
          }
        }
        const a = storage.reconstruct(3);
        const b = storage.reconstruct(9);
        const between = metric === 'l2' ? -a.reduce((s, v, j) => s + (v - b[j]!) ** 2, 0) : a.reduce((s, v, j) => s + v * b[j]!, 0);
        expect(scorer.scoreBetween(3, 9)).toBeCloseTo(between, 4);
        scorer.release();
        expect(() => scorer.score(0)).toThrow(/released/);
      });
    }
  }

  it('keeps codes across growth and validates input', () => {
    const storage = storageFor('l2', 4, kernels, 3);
    const codes = storage.quantizer.encode(data);
    for (let i = 0; i < 700; i += 100) storage.appendCodes(codes.subarray(i * 2, (i + 100) * 2));
    expect(storage.codes()).toEqual(codes);
    expect(storage.code(5)).toEqual(codes.subarray(10, 12));
    expect(() => storage.appendCodes(new Uint8Array([0x10, 0x10]))).toThrow(/high nibble/);
    expect(() => storage.append(new Float32Array(5))).toThrow(/dimension/);
    expect(() => storage.reconstruct(700)).toThrow(InvalidArgumentError);
    expect(() => storage.scorer().score(0)).toThrow(/setQuery/);
    expect(() => new PqStorage({ quantizer: new ProductQuantizer({ dim: 4, M: 2 }) })).toThrow(/trained/);
  });
});

import {
  DimensionMismatchError,
  InvalidArgumentError,
  NotTrainedError,
  SlotList,
  wasmAvailable,
  type KernelChoice,
} from '@quiver/core-math';
import { bruteForceTopK, gaussianMixture, randomVectors, recallAtK } from '@quiver/testkit';
import { describe, expect, it } from 'vitest';
import { MAX_SCALAR_DIM, ScalarQuantizer, type ScalarCodeType } from './scalar-quantizer.js';

const TYPES: ScalarCodeType[] = ['int8', 'uint8'];
const backends: KernelChoice[] = wasmAvailable() ? ['js', 'wasm'] : ['js'];

function dot(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) s += a[aOffset + j]! * b[bOffset + j]!;
  return s;
}

describe.each(TYPES)('ScalarQuantizer %s', (type) => {
  for (const perDimension of [true, false]) {
    it(`round trip stays within half a level of the trained range (perDimension ${perDimension})`, () => {
      const dim = 24;
      const data = gaussianMixture({ n: 500, dim, clusters: 4, seed: 3 });
      // Give dimensions very different ranges so per-dimension scales matter.
      for (let i = 0; i < data.length; i++) data[i] = data[i]! * (1 + (i % dim));
      const quantizer = new ScalarQuantizer({ dim, type, perDimension, kernels: 'js' });
      quantizer.train(data);
      const { scales, offsets } = quantizer.parameters();
      const decoded = quantizer.decode(quantizer.encode(data));
      let worstRatio = 0;
      const violations: number[] = [];
      for (let i = 0; i < data.length; i++) {
        const j = i % dim;
        const bound = scales[j]! / 2;
        const error = Math.abs(data[i]! - decoded[i]!);
        if (error > bound * (1 + 1e-6) + Math.abs(data[i]!) * 2 ** -23) violations.push(i);
        worstRatio = Math.max(worstRatio, error / bound);
      }
      expect(violations).toEqual([]);
      // The bound is tight: some value lands close to half a level away.
      expect(worstRatio).toBeGreaterThan(0.9);
      if (!perDimension) expect(new Set(scales).size).toBe(1);
      if (type === 'int8') expect(offsets.every((o) => o === 0)).toBe(true);
    });
  }

  it('clamps values outside the trained range to the nearest end, and decodes a constant dimension exactly', () => {
    const quantizer = new ScalarQuantizer({ dim: 2, type, kernels: 'js' });
    quantizer.train(new Float32Array([-1, 5, 1, 5, 0.5, 5]));
    const decoded = quantizer.decode(quantizer.encode(new Float32Array([10, 5, -10, 5])));
    expect(decoded[0]).toBeCloseTo(1, 6);
    expect(decoded[1]).toBe(5);
    expect(decoded[2]).toBeCloseTo(-1, 6);
    if (type === 'int8') expect(quantizer.parameters().scales[1]).toBeCloseTo(5 / 127, 7);
    else expect(quantizer.parameters().scales[1]).toBe(0);
  });

  it('is deterministic and survives parameters() / fromParameters()', () => {
    const data = randomVectors(200, 16, 5);
    const a = new ScalarQuantizer({ dim: 16, type, kernels: 'js' });
    const b = new ScalarQuantizer({ dim: 16, type, kernels: 'js' });
    a.train(data);
    b.train(data);
    expect(a.encode(data)).toEqual(b.encode(data));
    const restored = ScalarQuantizer.fromParameters(a.parameters(), 'js');
    expect(restored.encode(data)).toEqual(a.encode(data));
    expect(restored.decode(a.encode(data))).toEqual(a.decode(a.encode(data)));
  });

  it.each(backends)('dotScores are q · decode(c) within the query-rounding bound, and search ranks by them (%s kernels)', (kernels) => {
    const dim = 40;
    const data = gaussianMixture({ n: 300, dim, clusters: 5, seed: 11 });
    const quantizer = new ScalarQuantizer({ dim, type, kernels });
    quantizer.train(data);
    const codes = quantizer.encode(data);
    const decoded = quantizer.decode(codes);
    const { scales } = quantizer.parameters();
    const query = randomVectors(1, dim, 12);
    const scores = quantizer.dotScores(query, codes);
    let maxWeight = 0;
    for (let j = 0; j < dim; j++) maxWeight = Math.max(maxWeight, Math.abs(query[j]! * scales[j]!));
    const alpha = (type === 'int8' ? 127 : 255) / maxWeight;
    const levels = type === 'int8' ? new Int8Array(codes.buffer) : codes;
    const outside: number[] = [];
    for (let i = 0; i < 300; i++) {
      let codeMass = 0;
      for (let j = 0; j < dim; j++) codeMass += Math.abs(levels[i * dim + j]!);
      const bound = (type === 'int8' ? 0.5 : 1) * (codeMass / alpha) + 1e-4 * (1 + Math.abs(scores[i]!));
      if (!(Math.abs(scores[i]! - dot(query, 0, decoded, i * dim, dim)) <= bound)) outside.push(i);
    }
    expect(outside).toEqual([]);
    const result = quantizer.search(query, codes, 5);
    const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b);
    expect(Array.from(result.slots)).toEqual(order.slice(0, 5));
    expect(Array.from(result.scores)).toEqual(order.slice(0, 5).map((i) => scores[i]!));
    const filtered = quantizer.search(query, codes, 5, { filter: new SlotList([3, 7]) });
    expect(filtered.counts[0]).toBe(2);
    expect(new Set(filtered.slots.subarray(0, 2))).toEqual(new Set([3, 7]));
  });

  it('gives identical search results on the js and wasm kernels', () => {
    if (backends.length < 2) return;
    const dim = 33;
    const data = gaussianMixture({ n: 3000, dim, seed: 2 });
    const queries = gaussianMixture({ n: 20, dim, seed: 2, sampleSeed: 9 });
    const [js, wasm] = backends.map((kernels) => {
      const quantizer = new ScalarQuantizer({ dim, type, kernels });
      quantizer.train(data);
      return quantizer.search(queries, quantizer.encode(data), 10);
    });
    expect(wasm!.slots).toEqual(js!.slots);
    expect(wasm!.scores).toEqual(js!.scores);
  });
});

describe('ScalarQuantizer validation', () => {
  it('rejects bad options, samples, codes and outputs with typed errors', () => {
    expect(() => new ScalarQuantizer({ dim: 4, type: 'int4' as ScalarCodeType })).toThrow(InvalidArgumentError);
    expect(() => new ScalarQuantizer({ dim: 0, type: 'int8' })).toThrow(InvalidArgumentError);
    expect(() => new ScalarQuantizer({ dim: MAX_SCALAR_DIM.uint8 + 1, type: 'uint8' })).toThrow(/at most/);
    expect(() => new ScalarQuantizer({ dim: 4, type: 'int8', perDimension: 'yes' as unknown as boolean })).toThrow(InvalidArgumentError);
    const quantizer = new ScalarQuantizer({ dim: 4, type: 'int8', kernels: 'js' });
    expect(quantizer.isTrained).toBe(false);
    expect(() => quantizer.encode(new Float32Array(4))).toThrow(NotTrainedError);
    expect(() => quantizer.search(new Float32Array(4), new Uint8Array(4), 1)).toThrow(NotTrainedError);
    expect(() => quantizer.train(new Float32Array(0))).toThrow(InvalidArgumentError);
    expect(() => quantizer.train(new Float32Array([1, 2, NaN, 4]))).toThrow(/non-finite/);
    expect(() => quantizer.train(new Float32Array(5))).toThrow(DimensionMismatchError);
    quantizer.train(new Float32Array([1, 2, 3, 4]));
    expect(quantizer.isTrained).toBe(true);
    expect(quantizer.encode(new Float32Array(0))).toEqual(new Uint8Array(0));
    expect(() => quantizer.encode(new Float32Array([1, 2, Infinity, 4]))).toThrow(InvalidArgumentError);
    expect(() => quantizer.encode(new Float32Array(4), new Uint8Array(3))).toThrow(/out/);
    expect(() => quantizer.decode(new Uint8Array(5))).toThrow(/multiple/);
    expect(() => quantizer.decode(new Int8Array(4) as unknown as Uint8Array)).toThrow(InvalidArgumentError);
    expect(() => quantizer.dotScores(new Float32Array(8), new Uint8Array(4))).toThrow(DimensionMismatchError);
    expect(() => quantizer.search(new Float32Array(4), new Uint8Array(4), 0)).toThrow(InvalidArgumentError);
    expect(() => quantizer.search(new Float32Array(4), new Uint8Array(4), 1, { filter: {} as SlotList })).toThrow(/filter/);
    const params = quantizer.parameters();
    expect(() => ScalarQuantizer.fromParameters({ ...params, scales: new Float32Array(3) })).toThrow(DimensionMismatchError);
    expect(() => ScalarQuantizer.fromParameters({ ...params, offsets: new Float32Array([1, 0, 0, 0]) })).toThrow(/zero/);
    expect(() => ScalarQuantizer.fromParameters({ ...params, scales: new Float32Array([-1, 1, 1, 1]) })).toThrow(/non-negative/);
  });
});

describe('ScalarQuantizer recall against exact search', () => {
  it.each(TYPES)('%s codes find the exact top 10 on a Gaussian mixture (dot)', (type) => {
    const dim = 64;
    const data = gaussianMixture({ n: 4000, dim, clusters: 16, seed: 21 });
    const queries = gaussianMixture({ n: 50, dim, clusters: 16, seed: 21, sampleSeed: 5 });
    const quantizer = new ScalarQuantizer({ dim, type });
    quantizer.train(data);
    const found = quantizer.search(queries, quantizer.encode(data), 10);
    const recall = recallAtK(found, bruteForceTopK(data, queries, dim, 10, 'dot'));
    // Measured: int8 0.970, uint8 0.976.
    expect(recall).toBeGreaterThanOrEqual(0.95);
  });
});

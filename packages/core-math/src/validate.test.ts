import { describe, expect, it } from 'vitest';
import { CapacityError, DimensionMismatchError, InvalidArgumentError, isVectorSearchError } from './errors.js';
import { SlotBitset, SlotList, toSlotBitset } from './filters.js';
import { parseMetric } from './metric.js';
import { normalizeRows } from './normalize.js';
import { MAX_RESULT_ENTRIES, checkBatch, checkFilter, checkK, checkResultSize, checkSearchBatch, checkSearchOptions, toFloat32Matrix } from './validate.js';

describe('input validation', () => {
  it('checks batches: type, emptiness, dimension and finiteness', () => {
    expect(checkBatch(new Float32Array(6), 3)).toBe(2);
    expect(() => checkBatch([1, 2, 3], 3)).toThrow(InvalidArgumentError);
    expect(() => checkBatch(new Float32Array(0), 3)).toThrow(InvalidArgumentError);
    expect(checkBatch(new Float32Array(0), 3, 'v', true)).toBe(0);
    expect(() => checkBatch(new Float32Array(4), 3)).toThrow(DimensionMismatchError);
    expect(() => checkBatch(Float32Array.of(1, NaN, 3), 3)).toThrow(/non-finite value NaN at row 0, column 1/);
    expect(() => checkBatch(Float32Array.of(1, 2, 3, 4, Infinity, 6), 3)).toThrow(/row 1, column 1/);
  });

  it('checks k and converts number[][] at the edge', () => {
    for (const bad of [0, -1, 1.5, NaN, Infinity]) expect(() => checkK(bad)).toThrow(InvalidArgumentError);
    expect(toFloat32Matrix([[1, 2], [3, 4]])).toEqual(Float32Array.of(1, 2, 3, 4));
    expect(() => toFloat32Matrix([[1, 2], [3]])).toThrow(DimensionMismatchError);
    expect(() => toFloat32Matrix([])).toThrow(InvalidArgumentError);
  });

  it('normalizes rows and rejects zero vectors unless told to keep them', () => {
    const data = Float32Array.of(3, 4, 0, 0);
    expect(() => normalizeRows(data.slice(), 2)).toThrow(InvalidArgumentError);
    const norms = normalizeRows(data, 2, 'keep');
    expect([...norms]).toEqual([5, 0]);
    expect([...data]).toEqual([Math.fround(0.6), Math.fround(0.8), 0, 0]);
  });

  it('parses metric names and aliases', () => {
    expect(parseMetric('IP')).toBe('dot');
    expect(parseMetric('euclidean')).toBe('l2');
    expect(() => parseMetric('manhattan')).toThrow(InvalidArgumentError);
  });

  it('gives every error a stable code', () => {
    try {
      checkK(0);
    } catch (error) {
      expect(isVectorSearchError(error)).toBe(true);
      expect((error as InvalidArgumentError).code).toBe('INVALID_ARGUMENT');
    }
  });
});

describe('slot filters', () => {
  it('bitsets and lists agree and convert', () => {
    const list = new SlotList([1, 5, 64, 99]);
    const bitset = toSlotBitset(list, 100);
    expect(bitset.count()).toBe(4);
    for (let s = 0; s < 100; s++) expect(bitset.has(s)).toBe(list.has(s));
    const predicate = toSlotBitset({ has: (s) => s % 10 === 0 }, 100);
    expect(predicate.count()).toBe(10);
    expect(() => new SlotBitset(10).add(10)).toThrow(InvalidArgumentError);
  });
});

describe('search argument checks', () => {
  it('checkSearchBatch returns the query count and refuses bad k, queries and oversized results', () => {
    expect(checkSearchBatch(new Float32Array(6), 3, 10)).toBe(2);
    expect(() => checkSearchBatch(new Float32Array(6), 3, 0)).toThrow(InvalidArgumentError);
    expect(() => checkSearchBatch(new Float32Array(5), 3, 1)).toThrow(DimensionMismatchError);
    expect(() => checkSearchBatch(new Float32Array([1, NaN, 0]), 3, 1)).toThrow(InvalidArgumentError);
    expect(() => checkSearchBatch(new Float32Array(2), 1, MAX_RESULT_ENTRIES / 2 + 1)).toThrow(CapacityError);
    expect(() => checkResultSize(1, MAX_RESULT_ENTRIES)).not.toThrow();
  });

  it('checkSearchOptions accepts the shared options and refuses bad ones by name', () => {
    expect(() => checkSearchOptions({})).not.toThrow();
    expect(() => checkSearchOptions({ minScore: -1, maxScore: Infinity, filter: new SlotList([1]) })).not.toThrow();
    expect(() => checkSearchOptions(null)).toThrow(/options/);
    expect(() => checkSearchOptions({ minScore: NaN })).toThrow(/minScore/);
    expect(() => checkSearchOptions({ maxScore: '1' })).toThrow(/maxScore/);
    expect(() => checkSearchOptions({ filter: null })).toThrow(/filter/);
    expect(() => checkSearchOptions({ filter: () => true })).toThrow(InvalidArgumentError);
    expect(() => checkSearchOptions({ filter: () => true }, true)).not.toThrow();
    expect(() => checkFilter({ has: 1 }, true, 'mask')).toThrow(/mask/);
  });
});

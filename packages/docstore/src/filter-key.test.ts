import { describe, expect, it } from 'vitest';
import { filterKey } from './filter-key.js';
import type { FilterExpression } from './types.js';

describe('filterKey', () => {
  it('tells apart values that JSON would merge', () => {
    const keyOf = (value: unknown) => filterKey({ field: 'x', op: 'eq', value });
    const values = [0, -0, null, undefined, NaN, Infinity, '0', 'null', false, [], [null], [undefined], {}];
    const keys = values.map(keyOf);
    expect(keys.every((key) => key !== undefined)).toBe(true);
    expect(new Set(keys).size).toBe(values.length);
  });

  it('is equal for equal filters, and undefined for anything but plain data', () => {
    const a: FilterExpression = { condition: 'and', filters: [{ field: 'c', op: 'in', value: ['a', 'b'] }, { field: 'n', op: 'gt', value: 3 }] };
    expect(filterKey(a)).toBe(filterKey(structuredClone(a)));
    expect(filterKey({ field: 'c', op: 'eq', value: new Date(0) })).toBeUndefined();
    expect(filterKey({ field: 'c', op: 'eq', value: 1n })).toBeUndefined();
    expect(filterKey({ field: 'c', op: 'eq', value: () => true })).toBeUndefined();
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(filterKey({ field: 'c', op: 'in', value: cyclic })).toBeUndefined();
  });
});

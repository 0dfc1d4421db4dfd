import type { MetadataFilters } from '@llamaindex/core/vector-store';
import { describe, expect, it } from 'vitest';
import { planMetadataFilters } from './metadata-filters.js';

const invalid = expect.objectContaining({ code: 'INVALID_ARGUMENT' });

describe('planMetadataFilters', () => {
  it('maps every LlamaIndex operator to the store operator of the same meaning', () => {
    const cases = [
      ['==', 'eq', 'x'],
      ['!=', 'ne', 2],
      ['>', 'gt', 1],
      ['<', 'lt', 1],
      ['>=', 'gte', 'b'],
      ['<=', 'lte', 3],
      ['in', 'in', ['a', 1]],
      ['nin', 'nin', [2]],
      ['any', 'any', ['a']],
      ['all', 'all', ['a', 'b']],
      ['contains', 'contains', 'a'],
      ['text_match', 'text_match', 'Lu'],
    ] as const;
    for (const [operator, op, value] of cases) {
      const plan = planMetadataFilters({ filters: [{ key: 'k', operator, value: value as never }] });
      expect(plan).toEqual({ kind: 'expression', expression: { field: 'k', op, value } });
    }
    expect(planMetadataFilters({ filters: [{ key: 'k', operator: 'is_empty' }] })).toEqual({ kind: 'expression', expression: { field: 'k', op: 'is_empty' } });
  });

  it('groups several filters under the condition, AND by default', () => {
    const filters: MetadataFilters = { filters: [{ key: 'a', operator: '==', value: 1 }, { key: 'b', operator: 'in', value: ['x'] }] };
    expect(planMetadataFilters(filters)).toEqual({
      kind: 'expression',
      expression: { condition: 'and', filters: [{ field: 'a', op: 'eq', value: 1 }, { field: 'b', op: 'in', value: ['x'] }] },
    });
    expect(planMetadataFilters({ ...filters, condition: 'or' })).toMatchObject({ expression: { condition: 'or' } });
  });

  it('admits everything without filters or with an empty AND, nothing with an empty OR', () => {
    expect(planMetadataFilters(undefined)).toEqual({ kind: 'all' });
    expect(planMetadataFilters({ filters: [] })).toEqual({ kind: 'all' });
    expect(planMetadataFilters({ filters: [], condition: 'and' })).toEqual({ kind: 'all' });
    expect(planMetadataFilters({ filters: [], condition: 'or' })).toEqual({ kind: 'none' });
  });

  it('rejects malformed filters with InvalidArgumentError', () => {
    const bad: unknown[] = [
      { filters: 'nope' },
      { filters: [], condition: 'xor' },
      { filters: [null] },
      { filters: [{ key: 1, operator: '==', value: 1 }] },
      { filters: [{ key: 'k', operator: 'like', value: 'x' }] },
      { filters: [{ key: 'k', operator: '==', value: ['x'] }] },
      { filters: [{ key: 'k', operator: '>', value: { a: 1 } }] },
      { filters: [{ key: 'k', operator: 'text_match' }] },
      { filters: [{ key: 'k', operator: 'in', value: 'x' }] },
      { filters: [{ key: 'k', operator: 'all', value: [{}] }] },
      { filters: [{ key: 'k', operator: 'contains', value: ['x'] }] },
      // LlamaIndex.TS 0.6 filters are flat: a nested group is not a MetadataFilter.
      { filters: [{ filters: [{ key: 'k', operator: '==', value: 1 }], condition: 'or' }] },
    ];
    for (const filters of bad) expect(() => planMetadataFilters(filters as MetadataFilters), JSON.stringify(filters)).toThrow(invalid);
  });
});

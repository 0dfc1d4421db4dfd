import { Document } from '@langchain/core/documents';
import { describe, expect, it } from 'vitest';
import { compileFilter } from './filters.js';

describe('compileFilter', () => {
  it('compiles metadata equalities to eq conditions the store answers from its inverted index', () => {
    expect(compileFilter({ topic: 'tides' })).toEqual({ field: 'topic', op: 'eq', value: 'tides' });
    expect(compileFilter({ topic: 'tides', year: 2024, draft: false, owner: null })).toEqual({
      condition: 'and',
      filters: [
        { field: 'topic', op: 'eq', value: 'tides' },
        { field: 'year', op: 'eq', value: 2024 },
        { field: 'draft', op: 'eq', value: false },
        { field: 'owner', op: 'eq', value: null },
      ],
    });
    expect(compileFilter({})).toBeUndefined();
    expect(compileFilter(undefined)).toBeUndefined();
  });

  it('wraps a function filter into a predicate over stored records, judged by truthiness', () => {
    const seen: Document[] = [];
    // A filter returning 1 / 0 rather than booleans, as loose JavaScript callers write them.
    const loose = (doc: Document): number => {
      seen.push(doc);
      return (doc.metadata['n'] as number) > 1 ? 1 : 0;
    };
    const predicate = compileFilter(loose as unknown as (doc: Document) => boolean);
    expect(typeof predicate).toBe('function');
    const run = predicate as (record: { id: string; text: string; metadata: Record<string, unknown> }) => boolean;
    expect(run({ id: 'a', text: 'alpha', metadata: { n: 2 } })).toBe(true);
    expect(run({ id: 'b', text: 'beta', metadata: { n: 1 } })).toBe(false);
    expect(seen[0]).toEqual(new Document({ pageContent: 'alpha', metadata: { n: 2 }, id: 'a' }));
  });

  it('rejects values an equality cannot match and non-object filters', () => {
    const invalid = expect.objectContaining({ code: 'INVALID_ARGUMENT' });
    expect(() => compileFilter({ a: { b: 1 } } as never)).toThrow(invalid);
    expect(() => compileFilter({ a: [1] } as never)).toThrow(invalid);
    expect(() => compileFilter({ a: Number.NaN })).toThrow(invalid);
    expect(() => compileFilter({ a: undefined } as never)).toThrow(invalid);
    expect(() => compileFilter('topic = tides' as never)).toThrow(invalid);
    expect(() => compileFilter([] as never)).toThrow(invalid);
  });
});

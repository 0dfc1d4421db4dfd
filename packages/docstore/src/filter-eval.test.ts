import { InvalidArgumentError, SeededRandom } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { DocumentStore } from './document-store.js';
import type { FieldCondition, FieldOperator, FilterExpression, Metadata } from './types.js';

/**
 * A literal transcription of LlamaIndex.TS's SimpleVectorStore filtering (llamaindex 0.12.1
 * `OPERATOR_TO_FILTER` / `buildFilterFn`, @llamaindex/core 0.6 `parsePrimitiveValue` /
 * `parseArrayValue`), kept verbatim in spirit so the store is checked against the original, not
 * against a restatement of our own rules. Nested groups recurse with the same item function.
 */
const parsePrimitiveValue = (value: unknown) => {
  if (typeof value !== 'number' && typeof value !== 'string') throw new TypeError('Value must be a string or number');
  return value;
};
const parseArrayValue = (value: unknown) => {
  if (!(Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number'))) throw new TypeError('Value must be an array of strings or numbers');
  return value as (string | number)[];
};
type M = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const OPERATOR_TO_FILTER: Record<string, (f: { key: string; value: unknown }, m: M) => boolean> = {
  eq: ({ key, value }, m) => m[key] === parsePrimitiveValue(value),
  ne: ({ key, value }, m) => m[key] !== parsePrimitiveValue(value),
  in: ({ key, value }, m) => !!parseArrayValue(value).find((v) => m[key] === v),
  nin: ({ key, value }, m) => !parseArrayValue(value).find((v) => m[key] === v),
  any: ({ key, value }, m) => (Array.isArray(m[key]) ? parseArrayValue(value).some((v) => m[key].includes(v)) : false),
  all: ({ key, value }, m) => (Array.isArray(m[key]) ? parseArrayValue(value).every((v) => m[key].includes(v)) : false),
  text_match: ({ key, value }, m) => m[key].includes(parsePrimitiveValue(value)),
  contains: ({ key, value }, m) => (Array.isArray(m[key]) ? !!parseArrayValue(m[key]).find((v) => v === value) : false),
  gt: ({ key, value }, m) => m[key] > parsePrimitiveValue(value),
  lt: ({ key, value }, m) => m[key] < parsePrimitiveValue(value),
  gte: ({ key, value }, m) => m[key] >= parsePrimitiveValue(value),
  lte: ({ key, value }, m) => m[key] <= parsePrimitiveValue(value),
};
function llamaMatches(m: M, filter: FilterExpression): boolean {
  if ('filters' in filter) return filter.condition === 'and' ? filter.filters.every((f) => llamaMatches(m, f)) : filter.filters.some((f) => llamaMatches(m, f));
  if (filter.op === 'is_empty') {
    const value = m[filter.field];
    return value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);
  }
  if (m[filter.field] === undefined) return false;
  return OPERATOR_TO_FILTER[filter.op]!({ key: filter.field, value: filter.value }, m);
}

function storeWith(metadata: readonly Metadata[]): DocumentStore {
  const store = new DocumentStore({ metric: 'dot' });
  store.upsert(
    metadata.map((m, i) => ({ id: `d${i}`, metadata: m })),
    metadata.map((_, i) => [1, i]),
  );
  return store;
}

describe('filters: each operator as in LlamaIndex.TS SimpleVectorStore', () => {
  const rows: Metadata[] = [
    /* d0 */ { s: 'apple pie', n: 10, tags: ['a', 'b'], flag: true },
    /* d1 */ { s: 'Banana', n: 0, tags: [], flag: false },
    /* d2 */ { s: '', n: '10', tags: ['b', 0, ''] },
    /* d3 */ { s: null, n: -3, tags: 'a b' },
    /* d4 */ {},
    /* d5 */ { s: 'x1', n: 2.5, tags: ['c', 1] },
  ];
  const store = storeWith(rows);
  const ids = (filter: FilterExpression) => store.matchingIds(filter).sort();
  const cases: [string, FieldOperator, unknown, string[], string][] = [
    ['n', 'eq', 10, ['d0'], 'strict: the string "10" is not 10'],
    ['n', 'eq', '10', ['d2'], ''],
    ['n', 'eq', 0, ['d1'], 'eq has no falsy quirk'],
    ['n', 'ne', 10, ['d1', 'd2', 'd3', 'd5'], 'a missing field never matches ne'],
    ['n', 'gt', 5, ['d0', 'd2'], '"10" > 5 coerces'],
    ['n', 'gte', 0, ['d0', 'd1', 'd2', 'd5'], ''],
    ['n', 'lt', 1, ['d1', 'd3'], ''],
    ['n', 'lte', 2.5, ['d1', 'd3', 'd5'], ''],
    ['s', 'gt', 'B', ['d0', 'd1', 'd5'], 'string order: "Banana" > "B"; null > "B" is false'],
    ['s', 'gte', -1, ['d2', 'd3'], 'null and "" >= -1 coerce to 0'],
    ['n', 'in', [10, 0, -3], ['d0', 'd3'], 'a falsy field (0) never matches in (LlamaIndex !!find)'],
    ['n', 'nin', [10, 0, -3], ['d1', 'd2', 'd5'], 'so it always matches nin; a missing field never does'],
    ['tags', 'contains', 'b', ['d0', 'd2'], 'array fields only; the string "a b" is not searched'],
    ['tags', 'contains', 0, [], 'a falsy value never matches contains (LlamaIndex !!find)'],
    ['tags', 'contains', 1, ['d5'], ''],
    ['tags', 'any', ['a', 'c'], ['d0', 'd5'], ''],
    ['tags', 'any', [], [], ''],
    ['tags', 'all', ['a', 'b'], ['d0'], ''],
    ['tags', 'all', ['b', 0], ['d2'], 'all includes falsy values'],
    ['tags', 'all', [], ['d0', 'd1', 'd2', 'd5'], 'all of nothing: every array field'],
    ['s', 'text_match', 'pie', ['d0'], 'substring of a string field'],
    ['s', 'text_match', 1, ['d5'], 'a number is matched as a string ("x1")'],
    ['tags', 'text_match', 'b', ['d0', 'd2', 'd3'], 'element test on arrays, substring on the string "a b"'],
    ['n', 'text_match', 1, ['d2'], 'the string "10" matches; number fields do not (LlamaIndex throws a TypeError)'],
    ['s', 'text_match_insensitive', 'BANANA', ['d1'], 'case-insensitive substring of string fields'],
    ['s', 'is_empty', undefined, ['d2', 'd3', 'd4'], 'missing, null, "" or []'],
    ['tags', 'is_empty', undefined, ['d1', 'd4'], ''],
  ];
  for (const [field, op, value, expected, why] of cases) {
    it(`${field} ${op} ${JSON.stringify(value) ?? ''}: ${why}`, () => {
      expect(ids({ field, op, value })).toEqual(expected);
      // The transcription of LlamaIndex agrees wherever it does not throw.
      if (!(op === 'text_match' && field === 'n') && op !== 'text_match_insensitive' && !(op === 'text_match' && field === 's')) {
        expect(rows.flatMap((m, i) => (llamaMatches(m as M, { field, op, value }) ? [`d${i}`] : []))).toEqual(expected);
      }
    });
  }

  it('combines conditions with and / or, nested, and empty groups', () => {
    expect(ids({ condition: 'and', filters: [] })).toEqual(['d0', 'd1', 'd2', 'd3', 'd4', 'd5']);
    expect(ids({ condition: 'or', filters: [] })).toEqual([]);
    expect(ids({ condition: 'and', filters: [{ field: 'tags', op: 'contains', value: 'b' }, { field: 'n', op: 'gt', value: 5 }, { field: 'flag', op: 'eq', value: true }] })).toEqual(['d0']);
    expect(
      ids({
        condition: 'or',
        filters: [
          { field: 's', op: 'is_empty' },
          { condition: 'and', filters: [{ field: 'n', op: 'lt', value: 5 }, { field: 'tags', op: 'any', value: ['c'] }] },
        ],
      }),
    ).toEqual(['d2', 'd3', 'd4', 'd5']);
  });

  it('accepts booleans and null for equality (an extension: LlamaIndex throws) and rejects bad values up front', () => {
    expect(ids({ field: 'flag', op: 'eq', value: false })).toEqual(['d1']);
    expect(ids({ field: 's', op: 'eq', value: null })).toEqual(['d3']);
    expect(ids({ field: 'flag', op: 'in', value: [true] })).toEqual(['d0']);
    const bad: unknown[] = [
      { field: 'n', op: 'gt', value: true },
      { field: 'n', op: 'gt', value: NaN },
      { field: 'n', op: 'in', value: 'a' },
      { field: 'n', op: 'any', value: [{}] },
      { field: 'n', op: 'eq', value: [1] },
      { field: 'n', op: 'eq', value: undefined },
      { field: 'n', op: 'like', value: 1 },
      { field: 3, op: 'eq', value: 1 },
      { condition: 'xor', filters: [] },
      { condition: 'and', filters: {} },
      null,
    ];
    for (const filter of bad) expect(() => store.matchingIds(filter as FilterExpression)).toThrow(InvalidArgumentError);
  });

  it('agrees with the LlamaIndex transcription on random metadata and filters, through upserts and deletes', () => {
    const random = new SeededRandom(11);
    const pick = <T>(items: readonly T[]): T => items[random.nextInt(items.length)]!;
    const scalars = [0, 1, 2, 3, 10, -1, 2.5, '', 'a', 'b', 'ab', '1', '10', 'A'];
    const randomValue = (): unknown => {
      const r = random.nextFloat();
      if (r < 0.15) return undefined;
      if (r < 0.2) return null;
      if (r < 0.6) return pick(scalars);
      return Array.from({ length: random.nextInt(4) }, () => pick(scalars));
    };
    const randomMetadata = (): Metadata => {
      const m: Record<string, unknown> = {};
      for (const field of ['x', 'y', 'z']) {
        const v = randomValue();
        if (v !== undefined) m[field] = v;
      }
      return m;
    };
    const ops: FieldOperator[] = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'contains', 'any', 'all', 'text_match', 'is_empty'];
    const randomCondition = (): FieldCondition => {
      const op = pick(ops);
      const field = pick(['x', 'y', 'z']);
      const list = op === 'in' || op === 'nin' || op === 'any' || op === 'all';
      return { field, op, value: list ? Array.from({ length: random.nextInt(3) }, () => pick(scalars)) : pick(scalars) };
    };
    const randomFilter = (depth: number): FilterExpression =>
      depth > 0 && random.nextFloat() < 0.4
        ? { condition: pick(['and', 'or'] as const), filters: Array.from({ length: 1 + random.nextInt(3) }, () => randomFilter(depth - 1)) }
        : randomCondition();

    const metadata = new Map<string, Metadata>();
    const store = new DocumentStore({ metric: 'dot' });
    for (let i = 0; i < 300; i++) {
      const m = randomMetadata();
      metadata.set(`d${i}`, m);
      store.upsert([{ id: `d${i}`, metadata: m }], [[1, i]]);
    }
    let compared = 0;
    for (let round = 0; round < 400; round++) {
      if (round % 50 === 10) {
        // Replace some documents and delete others: the inverted indexes must follow.
        for (let j = 0; j < 30; j++) {
          const id = `d${random.nextInt(330)}`;
          if (random.nextFloat() < 0.5) {
            store.delete([id]);
            metadata.delete(id);
          } else {
            const m = randomMetadata();
            store.upsert([{ id, metadata: m }], [[1, 2]]);
            metadata.set(id, m);
          }
        }
      }
      const filter = randomFilter(2);
      let expected: string[];
      try {
        expected = [...metadata].filter(([, m]) => llamaMatches(m as M, filter)).map(([id]) => id);
      } catch {
        continue; // LlamaIndex throws here (text_match on a number, contains over a non-primitive array): no reference
      }
      expect(store.matchingIds(filter).sort(), JSON.stringify(filter)).toEqual(expected.sort());
      compared++;
    }
    expect(compared).toBeGreaterThan(250);
    store.dispose();
  });
});

import { InvalidArgumentError } from '@quiver/core-math';
import type { FieldCondition, FieldOperator, FilterExpression } from '@quiver/docstore';
import type { MetadataFilter, MetadataFilters } from '@llamaindex/core/vector-store';

/**
 * LlamaIndex's filter operators (`FilterOperator` values) and the document store operator with
 * the same semantics: the store evaluates them as SimpleVectorStore does, including "a missing
 * key fails every operator except is_empty".
 */
const OPERATORS: Readonly<Record<MetadataFilter['operator'], FieldOperator>> = {
  '==': 'eq',
  '!=': 'ne',
  '>': 'gt',
  '<': 'lt',
  '>=': 'gte',
  '<=': 'lte',
  in: 'in',
  nin: 'nin',
  any: 'any',
  all: 'all',
  contains: 'contains',
  text_match: 'text_match',
  is_empty: 'is_empty',
};

/** What a query's `filters` admit: every document, none, or those a store filter expression admits. */
export type FilterPlan = { readonly kind: 'all' } | { readonly kind: 'none' } | { readonly kind: 'expression'; readonly expression: FilterExpression };

const ALL: FilterPlan = { kind: 'all' };
const NONE: FilterPlan = { kind: 'none' };

/**
 * Translates LlamaIndex `MetadataFilters` into the document store's filter expression.
 * `condition` defaults to AND. An empty AND admits everything and an empty OR nothing (what
 * `every` / `some` give SimpleVectorStore). Values are validated up front with the rules of
 * LlamaIndex's `parsePrimitiveValue` / `parseArrayValue`, so a bad filter throws
 * `InvalidArgumentError` even on an empty store (SimpleVectorStore throws a plain Error, and only
 * once a document has the key). LlamaIndex.TS 0.6 filters are flat: nested groups are not part of
 * `MetadataFilters`, so an element without a known operator is rejected.
 */
export function planMetadataFilters(filters: MetadataFilters | undefined): FilterPlan {
  if (filters === undefined || filters === null) return ALL;
  if (typeof filters !== 'object' || !Array.isArray(filters.filters)) {
    throw new InvalidArgumentError('filters', '[@quiver/llamaindex] expected MetadataFilters: { filters: MetadataFilter[], condition?: "and" | "or" }');
  }
  const condition = filters.condition ?? 'and';
  if (condition !== 'and' && condition !== 'or') {
    throw new InvalidArgumentError('filters.condition', `[@quiver/llamaindex] expected "and" or "or", got ${JSON.stringify(condition)}`);
  }
  const conditions = filters.filters.map((filter, i) => toFieldCondition(filter, `filters.filters[${i}]`));
  if (conditions.length === 0) return condition === 'and' ? ALL : NONE;
  const expression: FilterExpression = conditions.length === 1 ? conditions[0]! : { condition, filters: conditions };
  return { kind: 'expression', expression };
}

function toFieldCondition(filter: MetadataFilter, where: string): FieldCondition {
  if (typeof filter !== 'object' || filter === null) {
    throw new InvalidArgumentError(where, '[@quiver/llamaindex] expected a MetadataFilter { key, operator, value }');
  }
  const { key, operator, value } = filter;
  if (typeof key !== 'string') throw new InvalidArgumentError(`${where}.key`, `[@quiver/llamaindex] expected a string, got ${JSON.stringify(key)}`);
  if (typeof operator !== 'string' || !Object.hasOwn(OPERATORS, operator)) {
    throw new InvalidArgumentError(`${where}.operator`, `[@quiver/llamaindex] unsupported operator ${JSON.stringify(operator)}; expected one of ${Object.keys(OPERATORS).join(', ')}`);
  }
  const op = OPERATORS[operator];
  switch (op) {
    case 'is_empty':
      return { field: key, op };
    case 'in':
    case 'nin':
    case 'any':
    case 'all':
      return { field: key, op, value: arrayValue(value, `${where}.value`) };
    default:
      return { field: key, op, value: primitiveValue(value, `${where}.value`) };
  }
}

function isPrimitive(value: unknown): value is string | number {
  return typeof value === 'string' || typeof value === 'number';
}

function primitiveValue(value: unknown, where: string): string | number {
  if (!isPrimitive(value)) throw new InvalidArgumentError(where, `[@quiver/llamaindex] expected a string or number, got ${JSON.stringify(value)}`);
  return value;
}

function arrayValue(value: unknown, where: string): readonly (string | number)[] {
  if (!Array.isArray(value) || !value.every(isPrimitive)) {
    throw new InvalidArgumentError(where, `[@quiver/llamaindex] expected an array of strings or numbers, got ${JSON.stringify(value)}`);
  }
  return value;
}

import { InvalidArgumentError } from '@quiver/core-math';
import type { FieldCondition, FieldOperator, FilterGroup, Metadata } from './types.js';

/**
 * Metadata filters with the semantics of LlamaIndex.TS's SimpleVectorStore (`buildFilterFn` and
 * `OPERATOR_TO_FILTER` in llamaindex 0.12 / @llamaindex/core 0.6), so its adapter maps 1:1:
 *
 * - `is_empty`: the field is missing, `null`, `''` or `[]`.
 * - Every other operator is false when the field is missing, `ne` and `nin` included.
 * - `eq` / `ne`: strict `===` / `!==` (`1` and `'1'` differ; arrays never equal a value).
 * - `gt` `gte` `lt` `lte`: JavaScript's relational operators on the raw values, coercions included
 *   (`'10' > 9` is true, `'abc' > 1` is false, `null >= 0` is true).
 * - `in`: some listed value `===` the field, and (LlamaIndex's `!!array.find(...)`) the field is
 *   truthy: a field holding `0` or `''` never matches `in`. `nin` is the negation of `in` (so such a
 *   field always matches `nin`).
 * - `contains`: the field is an array with an element `===` the value, and (the same `!!find`) the
 *   value is truthy.
 * - `any` / `all`: the field is an array that `includes` some / every listed value (`all` of `[]`
 *   matches any array field).
 * - `text_match`: `field.includes(value)`: a substring test on a string field (a number value is
 *   converted to a string), an element test on an array field. LlamaIndex throws a TypeError on
 *   other field types; here they simply do not match.
 * - `text_match_insensitive` (not in LlamaIndex.TS 0.12; as in LlamaIndex Python): a
 *   case-insensitive substring test on a string field.
 * - Groups: `and` of no filters matches everything, `or` of none matches nothing. Groups nest.
 *
 * Values: LlamaIndex accepts strings and numbers (arrays of them for in / nin / any / all) and
 * throws on anything else when a document is tested. Here the equality and membership operators
 * also accept booleans and `null` (compared with `===`); everything else is rejected with
 * `InvalidArgumentError` when the filter is compiled, before any document is tested.
 */

export type Primitive = string | number | boolean | null;

export interface CompiledCondition {
  readonly type: 'condition';
  readonly field: string;
  readonly op: FieldOperator;
  /** The value (a primitive) or, for in / nin / any / all, the list. */
  readonly value: Primitive | undefined;
  readonly values: readonly Primitive[] | undefined;
}

export interface CompiledGroup {
  readonly type: 'group';
  readonly condition: 'and' | 'or';
  readonly filters: readonly CompiledFilter[];
}

export type CompiledFilter = CompiledCondition | CompiledGroup;

const OPERATORS: ReadonlySet<string> = new Set<FieldOperator>([
  'eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'contains', 'any', 'all', 'text_match', 'text_match_insensitive', 'is_empty',
]);
const LIST_OPERATORS: ReadonlySet<FieldOperator> = new Set<FieldOperator>(['in', 'nin', 'any', 'all']);
/** Operators whose value LlamaIndex restricts to a string or a number. */
const ORDERED_OPERATORS: ReadonlySet<FieldOperator> = new Set<FieldOperator>(['gt', 'gte', 'lt', 'lte', 'text_match', 'text_match_insensitive']);
const MAX_DEPTH = 64;

/** Validates a filter expression and returns its compiled form. */
export function compileFilter(filter: unknown, path = 'filter', depth = 0): CompiledFilter {
  if (depth > MAX_DEPTH) throw new InvalidArgumentError(path, `nests deeper than ${MAX_DEPTH} levels`);
  if (filter === null || typeof filter !== 'object') throw new InvalidArgumentError(path, 'must be a condition { field, op, value } or a group { condition, filters }');
  if ('filters' in filter || 'condition' in filter) return compileGroup(filter as FilterGroup, path, depth);
  return compileCondition(filter as FieldCondition, path);
}

function compileGroup(group: FilterGroup, path: string, depth: number): CompiledGroup {
  if (group.condition !== 'and' && group.condition !== 'or') {
    throw new InvalidArgumentError(`${path}.condition`, `must be 'and' or 'or', got ${describe(group.condition)}`);
  }
  if (!Array.isArray(group.filters)) throw new InvalidArgumentError(`${path}.filters`, 'must be an array of filter expressions');
  const filters = group.filters.map((child, i) => compileFilter(child, `${path}.filters[${i}]`, depth + 1));
  return { type: 'group', condition: group.condition, filters };
}

function compileCondition(condition: FieldCondition, path: string): CompiledCondition {
  const { field, op, value } = condition;
  if (typeof field !== 'string') throw new InvalidArgumentError(`${path}.field`, `must be a string, got ${describe(field)}`);
  if (typeof op !== 'string' || !OPERATORS.has(op)) throw new InvalidArgumentError(`${path}.op`, `unknown operator ${describe(op)}`);
  if (op === 'is_empty') return { type: 'condition', field, op, value: undefined, values: undefined };
  if (LIST_OPERATORS.has(op)) {
    if (!Array.isArray(value)) throw new InvalidArgumentError(`${path}.value`, `'${op}' needs an array of strings, numbers, booleans or null`);
    value.forEach((item, i) => checkPrimitive(item, `${path}.value[${i}]`, op));
    return { type: 'condition', field, op, value: undefined, values: value as Primitive[] };
  }
  if (ORDERED_OPERATORS.has(op)) {
    if (typeof value !== 'string' && !(typeof value === 'number' && !Number.isNaN(value))) {
      throw new InvalidArgumentError(`${path}.value`, `'${op}' needs a string or a number, got ${describe(value)}`);
    }
    return { type: 'condition', field, op, value, values: undefined };
  }
  checkPrimitive(value, `${path}.value`, op);
  return { type: 'condition', field, op, value: value as Primitive, values: undefined };
}

function checkPrimitive(value: unknown, path: string, op: string): void {
  const ok = typeof value === 'string' || typeof value === 'boolean' || value === null || (typeof value === 'number' && !Number.isNaN(value));
  if (!ok) throw new InvalidArgumentError(path, `'${op}' compares with a string, number, boolean or null, got ${describe(value)}`);
}

/** The value of a top-level field; own keys only (`constructor` is not a field of `{}`). */
export function fieldValue(metadata: Metadata, field: string): unknown {
  return Object.prototype.hasOwnProperty.call(metadata, field) ? metadata[field] : undefined;
}

/** Whether a document's metadata satisfies a compiled filter. */
export function matchesFilter(filter: CompiledFilter, metadata: Metadata): boolean {
  if (filter.type === 'group') {
    return filter.condition === 'and' ? filter.filters.every((f) => matchesFilter(f, metadata)) : filter.filters.some((f) => matchesFilter(f, metadata));
  }
  return matchesCondition(filter, fieldValue(metadata, filter.field));
}

/** Whether a field value (undefined when missing) satisfies a condition. */
export function matchesCondition(condition: CompiledCondition, field: unknown): boolean {
  if (condition.op === 'is_empty') return field === undefined || field === null || field === '' || (Array.isArray(field) && field.length === 0);
  if (field === undefined) return false;
  const value = condition.value;
  // The relational operators deliberately use JavaScript's coercing comparisons, as LlamaIndex does.
  const raw = field as number;
  const operand = value as number;
  switch (condition.op) {
    case 'eq':
      return field === value;
    case 'ne':
      return field !== value;
    case 'gt':
      return raw > operand;
    case 'gte':
      return raw >= operand;
    case 'lt':
      return raw < operand;
    case 'lte':
      return raw <= operand;
    case 'in':
      return isIn(field, condition.values!);
    case 'nin':
      return !isIn(field, condition.values!);
    case 'contains':
      return Array.isArray(field) && Boolean(value) && field.some((element) => element === value);
    case 'any':
      return Array.isArray(field) && condition.values!.some((v) => field.includes(v));
    case 'all':
      return Array.isArray(field) && condition.values!.every((v) => field.includes(v));
    case 'text_match':
      if (typeof field === 'string') return field.includes(String(value));
      return Array.isArray(field) && field.includes(value);
    case 'text_match_insensitive':
      return typeof field === 'string' && field.toLowerCase().includes(String(value).toLowerCase());
  }
}

/** LlamaIndex's `!!values.find((v) => field === v)`: a falsy field never counts as found. */
function isIn(field: unknown, values: readonly Primitive[]): boolean {
  return Boolean(field) && values.some((v) => v === field);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  return value === null ? 'null' : typeof value === 'object' ? 'an object' : String(value);
}

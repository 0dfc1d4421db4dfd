import { addRow, type RowBits } from './row-bits.js';

/** The rows holding one value: a single row (the common case for unique values) or a set. */
type Posting = number | Set<number>;

/**
 * The inverted index of one metadata field: value -> rows, for the field's primitive values
 * (`eq`, `in`) and, separately, for the primitive elements of array values (`contains`, `any`,
 * `all`). Map keys compare like `===` (SameValueZero), so `1` and `'1'` stay apart. Only live rows
 * are indexed; the store keeps it in step on every upsert and delete.
 */
export class FieldIndex {
  private readonly scalars = new Map<unknown, Posting>();
  private readonly elements = new Map<unknown, Posting>();

  add(row: number, value: unknown): void {
    if (isPrimitive(value)) put(this.scalars, value, row);
    else if (Array.isArray(value)) for (const element of value) if (isPrimitive(element)) put(this.elements, element, row);
  }

  remove(row: number, value: unknown): void {
    if (isPrimitive(value)) take(this.scalars, value, row);
    else if (Array.isArray(value)) for (const element of value) if (isPrimitive(element)) take(this.elements, element, row);
  }

  /** Adds the rows whose value `===` `value` to `into`. */
  addScalarRows(value: unknown, into: RowBits): void {
    addPosting(this.scalars.get(value), into);
  }

  /** Adds the rows whose array value has an element `===` `value` to `into`. */
  addElementRows(value: unknown, into: RowBits): void {
    addPosting(this.elements.get(value), into);
  }

  /** How many rows hold `value` as an array element. */
  elementCount(value: unknown): number {
    const posting = this.elements.get(value);
    return posting === undefined ? 0 : typeof posting === 'number' ? 1 : posting.size;
  }
}

function isPrimitive(value: unknown): boolean {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function put(map: Map<unknown, Posting>, key: unknown, row: number): void {
  const posting = map.get(key);
  if (posting === undefined) map.set(key, row);
  else if (typeof posting === 'number') {
    if (posting !== row) map.set(key, new Set([posting, row]));
  } else posting.add(row);
}

function take(map: Map<unknown, Posting>, key: unknown, row: number): void {
  const posting = map.get(key);
  if (posting === undefined) return;
  if (typeof posting === 'number') {
    if (posting === row) map.delete(key);
    return;
  }
  posting.delete(row);
  if (posting.size === 1) map.set(key, posting.values().next().value!);
}

function addPosting(posting: Posting | undefined, into: RowBits): void {
  if (posting === undefined) return;
  if (typeof posting === 'number') addRow(into, posting);
  else for (const row of posting) addRow(into, row);
}

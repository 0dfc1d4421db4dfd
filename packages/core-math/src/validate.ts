import { CapacityError, DimensionMismatchError, InvalidArgumentError } from './errors.js';

/** Validates a dimension: a positive safe integer. */
export function checkDim(dim: number, argument = 'dim'): number {
  if (!Number.isSafeInteger(dim) || dim <= 0) {
    throw new InvalidArgumentError(argument, `must be a positive integer, got ${dim}`);
  }
  return dim;
}

/** Validates k: a positive safe integer. */
export function checkK(k: number, argument = 'k'): number {
  if (!Number.isSafeInteger(k) || k <= 0) throw new InvalidArgumentError(argument, `must be a positive integer, got ${k}`);
  return k;
}

/**
 * Validates a row-major batch: a Float32Array whose length is a positive multiple of `dim`, with
 * only finite values. Returns the number of rows.
 */
export function checkBatch(vectors: unknown, dim: number, argument = 'vectors', allowEmpty = false): number {
  if (!(vectors instanceof Float32Array)) {
    throw new InvalidArgumentError(argument, `must be a Float32Array of n × ${dim} values`);
  }
  if (vectors.length === 0) {
    if (allowEmpty) return 0;
    throw new InvalidArgumentError(argument, 'must not be empty');
  }
  if (vectors.length % dim !== 0) {
    // A single vector of the wrong size is the common mistake, so report its length.
    throw new DimensionMismatchError(dim, vectors.length, `${argument} (length is not a multiple of the dimension)`);
  }
  checkFinite(vectors, argument, dim);
  return vectors.length / dim;
}

/** Results take 12 bytes per (query, k) entry; beyond this a batch would need gigabytes. */
export const MAX_RESULT_ENTRIES = 2 ** 27;

/**
 * Validates the shape of a batched search: `k`, the queries (`n × dim`, finite), and the size of the
 * result. Returns the number of queries.
 */
export function checkSearchBatch(queries: unknown, dim: number, k: number): number {
  checkK(k);
  const queryCount = checkBatch(queries, dim, 'queries');
  checkResultSize(queryCount, k);
  return queryCount;
}

/** Throws CapacityError when `queryCount × k` result entries would not fit in one result. */
export function checkResultSize(queryCount: number, k: number): void {
  if (queryCount * k > MAX_RESULT_ENTRIES) {
    throw new CapacityError(`${queryCount} queries × k = ${k} exceeds ${MAX_RESULT_ENTRIES} result entries; split the batch or lower k`);
  }
}

/**
 * Validates the options every index shares (`SearchOptions`): an object, `minScore` / `maxScore`
 * numbers (not NaN), and a `filter` with a `has(slot)` method (or, where the index takes one, a
 * predicate function).
 */
export function checkSearchOptions(options: unknown, filterMayBePredicate = false): void {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object');
  const { filter, minScore, maxScore } = options as { filter?: unknown; minScore?: unknown; maxScore?: unknown };
  checkScoreBound(minScore, 'minScore');
  checkScoreBound(maxScore, 'maxScore');
  checkFilter(filter, filterMayBePredicate);
}

/** Validates a filter: absent, an object with a `has(slot)` method, or (when allowed) a predicate. */
export function checkFilter(filter: unknown, mayBePredicate = false, argument = 'filter'): void {
  if (filter === undefined || (mayBePredicate && typeof filter === 'function')) return;
  if (filter === null || typeof (filter as { has?: unknown }).has !== 'function') {
    throw new InvalidArgumentError(argument, mayBePredicate ? 'must be a SlotFilter (has(slot)) or a predicate' : 'must have a has(slot) method (SlotBitset, SlotList, ...)');
  }
}

function checkScoreBound(value: unknown, argument: string): void {
  if (value !== undefined && (typeof value !== 'number' || Number.isNaN(value))) {
    throw new InvalidArgumentError(argument, `must be a number, got ${String(value)}`);
  }
}

/** Throws InvalidArgumentError naming the first NaN or infinite value. */
export function checkFinite(values: ArrayLike<number>, argument = 'vectors', dim = 0): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // `v - v` is NaN for NaN and ±Infinity, 0 otherwise: one test covers both.
    if (v - v !== 0) {
      const where = dim > 0 ? `row ${Math.floor(i / dim)}, column ${i % dim}` : `index ${i}`;
      throw new InvalidArgumentError(argument, `non-finite value ${v} at ${where}`);
    }
  }
}

/** Accepts `number[][]` or a flat Float32Array at the API edge; returns a row-major Float32Array. */
export function toFloat32Matrix(rows: Float32Array | readonly (ArrayLike<number>)[], dim?: number, argument = 'vectors'): Float32Array {
  if (rows instanceof Float32Array) return rows;
  if (!Array.isArray(rows)) throw new InvalidArgumentError(argument, 'must be a Float32Array or an array of vectors');
  if (rows.length === 0) throw new InvalidArgumentError(argument, 'must not be empty');
  const width = dim ?? rows[0]!.length;
  const out = new Float32Array(rows.length * width);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    if (row == null || typeof row.length !== 'number') throw new InvalidArgumentError(argument, `row ${r} is not a vector`);
    if (row.length !== width) throw new DimensionMismatchError(width, row.length, `${argument} row ${r}`);
    for (let c = 0; c < width; c++) {
      const v = row[c];
      if (typeof v !== 'number') throw new InvalidArgumentError(argument, `row ${r}, column ${c} is not a number`);
      out[r * width + c] = v;
    }
  }
  return out;
}

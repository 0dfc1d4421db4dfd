import { DimensionMismatchError, InvalidArgumentError } from '@quiver/core-math';

const PACKAGE = '[@quiver/langchain]';

/**
 * LangChain hands vectors over as `number[][]`; Quiver takes one row-major `Float32Array`. This is
 * the single place that converts, checking shape and values on the way so the store never sees a
 * ragged batch or a NaN.
 */
export function toRowMajor(vectors: readonly (readonly number[])[], expectedDim: number | undefined, argument = 'vectors'): Float32Array {
  if (!Array.isArray(vectors)) throw new InvalidArgumentError(argument, `${PACKAGE} expected an array of vectors`);
  const first = vectors[0];
  const dim = expectedDim ?? rowLength(first, `${argument}[0]`);
  if (dim === 0) throw new InvalidArgumentError(argument, `${PACKAGE} vectors must not be empty`);
  const out = new Float32Array(vectors.length * dim);
  for (let row = 0; row < vectors.length; row++) {
    const vector = vectors[row];
    const length = rowLength(vector, `${argument}[${row}]`);
    if (length !== dim) throw new DimensionMismatchError(dim, length, `${PACKAGE} ${argument}[${row}]`);
    copyFinite(vector!, out, row * dim, `${argument}[${row}]`);
  }
  return out;
}

/** One query vector as a `Float32Array`, checked like a row of `toRowMajor`. */
export function toQuery(query: readonly number[], expectedDim: number | undefined): Float32Array {
  const length = rowLength(query, 'query');
  if (length === 0) throw new InvalidArgumentError('query', `${PACKAGE} the query vector must not be empty`);
  if (expectedDim !== undefined && length !== expectedDim) throw new DimensionMismatchError(expectedDim, length, `${PACKAGE} query`);
  const out = new Float32Array(length);
  copyFinite(query, out, 0, 'query');
  return out;
}

function rowLength(vector: unknown, argument: string): number {
  if (!Array.isArray(vector) && !ArrayBuffer.isView(vector)) {
    throw new InvalidArgumentError(argument, `${PACKAGE} expected an array of numbers, got ${describe(vector)}`);
  }
  return (vector as ArrayLike<number>).length;
}

function copyFinite(vector: ArrayLike<number>, out: Float32Array, offset: number, argument: string): void {
  for (let i = 0; i < vector.length; i++) {
    const value = vector[i]!;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new InvalidArgumentError(argument, `${PACKAGE} element ${i} is ${String(value)}, expected a finite number`);
    }
    out[offset + i] = value;
  }
}

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value;
}

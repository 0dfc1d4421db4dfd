import { InvalidArgumentError } from './errors.js';

/** Euclidean norm of `v[offset .. offset+dim)`, accumulated in float64. */
export function norm(v: ArrayLike<number>, offset = 0, dim = v.length): number {
  let sum = 0;
  for (let i = offset, end = offset + dim; i < end; i++) sum += v[i]! * v[i]!;
  return Math.sqrt(sum);
}

export type ZeroVectorPolicy = 'throw' | 'keep';

/**
 * Scales every row of `data` (row-major, `dim` wide) to unit length, in place, and returns the
 * original norms. A zero row throws `InvalidArgumentError` (policy `throw`, the default) or stays
 * zero (`keep`).
 */
export function normalizeRows(data: Float32Array, dim: number, zero: ZeroVectorPolicy = 'throw', argument = 'vectors'): Float64Array {
  const n = data.length / dim;
  const norms = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const offset = r * dim;
    const length = norm(data, offset, dim);
    norms[r] = length;
    if (length === 0) {
      if (zero === 'throw') throw new InvalidArgumentError(argument, `row ${r} is a zero vector and cannot be normalized`);
      continue;
    }
    const inv = 1 / length;
    for (let i = offset, end = offset + dim; i < end; i++) data[i] = data[i]! * inv;
  }
  return norms;
}

/** Returns a normalized copy of `data`. */
export function normalized(data: Float32Array, dim: number, zero: ZeroVectorPolicy = 'throw', argument = 'vectors'): Float32Array {
  const copy = data.slice();
  normalizeRows(copy, dim, zero, argument);
  return copy;
}

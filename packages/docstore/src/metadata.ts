import { InvalidArgumentError } from '@quiver/core-math';
import type { Metadata } from './types.js';

/** Metadata of a document without any: shared, frozen. */
export const EMPTY_METADATA: Metadata = Object.freeze({});

/** Nesting deeper than this is refused (it is almost always a cycle). */
const MAX_DEPTH = 64;

/**
 * A private, deeply frozen copy of caller metadata holding exactly what a JSON round trip keeps:
 * keys whose value is `undefined` are dropped, `undefined` array entries become `null`, objects with
 * `toJSON` (Date) are converted. Anything JSON cannot represent faithfully (functions, symbols,
 * bigints, NaN / Infinity, cycles) throws `InvalidArgumentError`, so a saved store loads back equal.
 */
export function copyMetadata(metadata: unknown, argument: string): Metadata {
  if (metadata === undefined) return EMPTY_METADATA;
  if (!isPlainObject(metadata)) throw new InvalidArgumentError(argument, 'must be a plain object of JSON values');
  return copyObject(metadata, argument, 0);
}

/** Deep-freezes metadata read back from a file (already plain JSON data). */
export function freezeMetadata<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) freezeMetadata((value as Record<string, unknown>)[key]);
  }
  return value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function copyObject(source: Record<string, unknown>, path: string, depth: number): Metadata {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    const value = copyValue(source[key], `${path}.${key}`, depth + 1, false);
    if (value === undefined) continue;
    // A plain assignment of '__proto__' would set the prototype instead of a key.
    if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }
  return Object.freeze(out);
}

function copyValue(value: unknown, path: string, depth: number, inArray: boolean): unknown {
  if (depth > MAX_DEPTH) throw new InvalidArgumentError(path, `nests deeper than ${MAX_DEPTH} levels (a cycle?)`);
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidArgumentError(path, `${value} is not representable in JSON`);
      return value;
    case 'undefined':
      return inArray ? null : undefined;
    case 'object': {
      if (value === null) return null;
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
        return copyValue((value as { toJSON(): unknown }).toJSON(), path, depth + 1, inArray);
      }
      if (Array.isArray(value)) return Object.freeze(value.map((item, i) => copyValue(item, `${path}[${i}]`, depth + 1, true)));
      if (isPlainObject(value)) return copyObject(value, path, depth);
      throw new InvalidArgumentError(path, 'must be JSON data (plain objects, arrays, strings, finite numbers, booleans, null)');
    }
    default:
      throw new InvalidArgumentError(path, `a ${typeof value} is not JSON data`);
  }
}

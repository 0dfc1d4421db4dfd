import type { FilterExpression } from './types.js';

/**
 * A canonical text for a filter expression built from plain data (strings, finite or special
 * numbers, booleans, null, undefined, arrays, plain objects), so that two filters with equal keys
 * admit the same documents. Anything else (functions, bigints, class instances, cycles) gives
 * undefined: such a filter is simply not cached.
 */
export function filterKey(filter: FilterExpression): string | undefined {
  const parts: string[] = [];
  return write(filter, parts, 0) ? parts.join('') : undefined;
}

const MAX_DEPTH = 32;

function write(value: unknown, out: string[], depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return true;
    case 'number':
      // Object.is keeps -0 apart from 0; String keeps NaN and ±Infinity apart from null.
      out.push(Object.is(value, -0) ? 'n-0' : `n${value}`);
      return true;
    case 'boolean':
      out.push(value ? 'T' : 'F');
      return true;
    case 'undefined':
      out.push('U');
      return true;
    case 'object': {
      if (value === null) {
        out.push('N');
        return true;
      }
      if (Array.isArray(value)) {
        out.push('[');
        for (const item of value) if (!write(item, out, depth + 1)) return false;
        out.push(']');
        return true;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) return false;
      out.push('{');
      for (const [key, item] of Object.entries(value)) {
        out.push(JSON.stringify(key), ':');
        if (!write(item, out, depth + 1)) return false;
      }
      out.push('}');
      return true;
    }
    default:
      return false;
  }
}

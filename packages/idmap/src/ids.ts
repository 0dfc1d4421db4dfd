import { InvalidArgumentError, UnsupportedOperationError } from '@quiver/core-math';

/**
 * External ids are unsigned 64-bit integers, as in turbovec (`u64`): a `bigint` in
 * `[0, 2^64 - 1]`, or a `number` that is a non-negative safe integer (`[0, 2^53 - 1]`). Both name
 * the same id: `7` and `7n` are one id.
 *
 * Internally an id is two uint32 halves stored side by side (`lo`, `hi`) in a `Uint32Array`, so
 * id tables hold no JavaScript objects and a table of n ids is exactly the little-endian u64 array
 * that files store and `BigUint64Array` views read.
 */
export type Id = bigint | number;

/** A batch of ids: a `BigUint64Array`, or any array-like of bigints and safe integers. */
export type IdBatch = BigUint64Array | ArrayLike<Id>;

const TWO_32 = 4294967296;
const MAX_U64 = (1n << 64n) - 1n;

/** Views of one uint64 in both forms; the little-endian layout is checked once below. */
const pairScratch = new Uint32Array(2);
const bigScratch = new BigUint64Array(pairScratch.buffer);

export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Id tables alias `Uint32Array` pairs as `BigUint64Array`s, which needs a little-endian host. */
export function checkHostEndianness(): void {
  if (!LITTLE_ENDIAN_HOST) throw new UnsupportedOperationError('this host', 'IdMapIndex', 'Quiver needs a little-endian host');
}

/**
 * Splits `id` into `out[at]` (low 32 bits) and `out[at + 1]` (high 32 bits), validating it.
 * Throws `InvalidArgumentError` for anything but an id in range.
 */
export function writeIdPair(id: unknown, out: Uint32Array, at: number, argument = 'id'): void {
  if (typeof id === 'number') {
    if (!Number.isSafeInteger(id) || id < 0) {
      throw new InvalidArgumentError(argument, `a number id must be a non-negative safe integer, got ${id}`);
    }
    out[at] = id % TWO_32;
    out[at + 1] = Math.floor(id / TWO_32);
    return;
  }
  if (typeof id === 'bigint') {
    if (id < 0n || id > MAX_U64) throw new InvalidArgumentError(argument, `a bigint id must lie in [0, 2^64 - 1], got ${id}`);
    bigScratch[0] = id;
    out[at] = pairScratch[0]!;
    out[at + 1] = pairScratch[1]!;
    return;
  }
  throw new InvalidArgumentError(argument, `must be a bigint or a non-negative safe integer, got ${describe(id)}`);
}

/** The id stored as a pair at `pairs[at]`, `pairs[at + 1]`. */
export function readIdPair(pairs: Uint32Array, at: number): bigint {
  pairScratch[0] = pairs[at]!;
  pairScratch[1] = pairs[at + 1]!;
  return bigScratch[0]!;
}

/** Converts a batch of ids to interleaved (lo, hi) pairs, validating every id. */
export function idPairsOf(ids: unknown, argument = 'ids'): Uint32Array {
  if (ids instanceof BigUint64Array) {
    // Same bytes as the pair layout on a little-endian host: one copy, no per-id work.
    return new Uint32Array(ids.buffer, ids.byteOffset, ids.length * 2).slice();
  }
  if (ids === null || typeof ids !== 'object' || typeof (ids as ArrayLike<unknown>).length !== 'number') {
    throw new InvalidArgumentError(argument, 'must be a BigUint64Array or an array of bigint / safe-integer ids');
  }
  const batch = ids as ArrayLike<unknown>;
  const pairs = new Uint32Array(batch.length * 2);
  for (let i = 0; i < batch.length; i++) writeIdPair(batch[i], pairs, i * 2, `${argument}[${i}]`);
  return pairs;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return value === null ? 'null' : typeof value;
}

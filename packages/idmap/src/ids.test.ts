import { InvalidArgumentError } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { idPairsOf, readIdPair, writeIdPair } from './ids.js';

describe('id conversion', () => {
  it('numbers and bigints name the same id and round-trip through pairs', () => {
    const out = new Uint32Array(4);
    for (const [n, b] of [
      [0, 0n],
      [1, 1n],
      [2 ** 32 - 1, 2n ** 32n - 1n],
      [2 ** 32, 2n ** 32n],
      [Number.MAX_SAFE_INTEGER, BigInt(Number.MAX_SAFE_INTEGER)],
    ] as const) {
      writeIdPair(n, out, 0);
      writeIdPair(b, out, 2);
      expect([out[0], out[1]]).toEqual([out[2], out[3]]);
      expect(readIdPair(out, 0)).toBe(b);
    }
  });

  it('covers the whole u64 range for bigints', () => {
    const out = new Uint32Array(2);
    const max = 2n ** 64n - 1n;
    writeIdPair(max, out, 0);
    expect([out[0], out[1]]).toEqual([0xffffffff, 0xffffffff]);
    expect(readIdPair(out, 0)).toBe(max);
    writeIdPair(0x1234_5678_9abc_def0n, out, 0);
    expect([out[0], out[1]]).toEqual([0x9abcdef0, 0x12345678]);
  });

  it.each([-1, 1.5, NaN, Infinity, 2 ** 53, -1n, 2n ** 64n, '7', null, undefined, {}])('rejects %s', (bad) => {
    expect(() => writeIdPair(bad, new Uint32Array(2), 0)).toThrow(InvalidArgumentError);
  });

  it('converts batches: BigUint64Array by bytes, arrays id by id, naming the bad element', () => {
    const fromTyped = idPairsOf(new BigUint64Array([5n, 2n ** 40n + 3n]));
    expect(Array.from(fromTyped)).toEqual([5, 0, 3, 256]);
    expect(Array.from(idPairsOf([5, 2n ** 40n + 3n]))).toEqual([5, 0, 3, 256]);
    expect(Array.from(idPairsOf(new Uint32Array([9])))).toEqual([9, 0]);
    expect(() => idPairsOf([1, -2])).toThrow(/ids\[1\]/);
    expect(() => idPairsOf('12')).toThrow(InvalidArgumentError);
    expect(() => idPairsOf(7)).toThrow(InvalidArgumentError);
  });

  it('copies a BigUint64Array subarray, not its whole buffer', () => {
    const all = new BigUint64Array([1n, 2n, 3n, 4n]);
    const pairs = idPairsOf(all.subarray(1, 3));
    expect(Array.from(pairs)).toEqual([2, 0, 3, 0]);
    all[1] = 99n;
    expect(pairs[0]).toBe(2);
  });
});

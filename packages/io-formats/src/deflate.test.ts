import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { CorruptFileError, SeededRandom } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { deflateRaw } from './deflate.js';
import { inflateRaw } from './inflate.js';
import { expectSameBytes } from '../test/helpers.js';

function samples(): Array<[string, Uint8Array]> {
  const rng = new SeededRandom(7);
  const random = new Uint8Array(100_000).map(() => rng.nextInt(256));
  const text = new TextEncoder().encode('the quick brown fox jumps over the lazy dog. '.repeat(3000));
  const skewed = new Uint8Array(200_000).map(() => (rng.nextFloat() < 0.9 ? 0 : rng.nextInt(4)));
  const floats = new Float32Array(20_000).map((_, i) => Math.round(Math.sin(i / 50) * 100) / 4);
  return [
    ['empty', new Uint8Array(0)],
    ['one byte', new Uint8Array([42])],
    ['zeros', new Uint8Array(300_000)],
    ['random', random],
    ['text', text],
    ['skewed', skewed],
    ['floats', new Uint8Array(floats.buffer)],
  ];
}

describe('deflateRaw / inflateRaw', () => {
  for (const [name, data] of samples()) {
    it(`round-trips ${name} through our encoder and zlib's decoder, and zlib's encoder through ours`, () => {
      const ours = deflateRaw(data);
      expectSameBytes(inflateRawSync(ours), data);
      expectSameBytes(inflateRaw(ours, data.length, 'test'), data);
      for (const level of [0, 1, 9]) {
        const theirs = new Uint8Array(deflateRawSync(data, { level }));
        expectSameBytes(inflateRaw(theirs, data.length, 'test'), data);
      }
    });
  }

  it('compresses redundant data', () => {
    expect(deflateRaw(new Uint8Array(300_000)).length).toBeLessThan(2_000);
    const text = new TextEncoder().encode('abcdefgh'.repeat(10_000));
    expect(deflateRaw(text).length).toBeLessThan(1_000);
  });

  it('refuses to inflate past the declared size, and short streams', () => {
    const packed = deflateRaw(new Uint8Array(10_000));
    expect(() => inflateRaw(packed, 9_999, 'test')).toThrow(CorruptFileError);
    expect(() => inflateRaw(packed, 10_001, 'test')).toThrow(CorruptFileError);
    expect(() => inflateRaw(packed.subarray(0, packed.length - 1), 10_000, 'test')).toThrow(CorruptFileError);
    expect(() => inflateRaw(new Uint8Array([0xff]), 10, 'test')).toThrow(CorruptFileError);
  });
});

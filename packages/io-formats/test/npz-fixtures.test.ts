import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeNpz, parseNpz, parseZip, toCOrder } from '../src/index.js';
import { fixture, hexOf, manifest } from './helpers.js';

describe('.npz fixtures written by numpy', () => {
  it.each(Object.entries(manifest.npz))('%s holds the arrays numpy saved', (name, expected) => {
    const arrays = parseNpz(fixture(name));
    expect([...arrays.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [key, want] of Object.entries(expected)) {
      const array = arrays.get(key)!;
      expect(array.dtype).toBe(want.dtype);
      expect(array.shape).toEqual(want.shape);
      expect(array.fortranOrder).toBe(want.fortranOrder);
      expect(hexOf(toCOrder(array).data)).toBe(want.hex);
    }
  });

  it('the zip64 fixture really uses zip64 end records', () => {
    const bytes = fixture('npz/zip64.npz');
    expect(Buffer.from(bytes).includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(true);
    expect(Buffer.from(bytes).includes(Buffer.from([0x50, 0x4b, 0x06, 0x07]))).toBe(true);
  });

  it('decompresses with an injected inflater (as the Node entry does with node:zlib)', () => {
    const calls: number[] = [];
    const arrays = parseNpz(fixture('npz/compressed.npz'), {
      inflate: (data, size) => {
        calls.push(size);
        return new Uint8Array(inflateRawSync(data, { maxOutputLength: Math.max(1, size) }));
      },
    });
    expect(calls.length).toBeGreaterThan(0);
    expect(hexOf(arrays.get('noise')!.data)).toBe(manifest.npz['npz/compressed.npz']!.noise!.hex);
  });

  it('re-encodes the arrays, stored and deflated, and reads them back identically', () => {
    const original = parseNpz(fixture('npz/stored.npz'));
    for (const options of [{}, { compress: true }, { compress: true, forceZip64: true }]) {
      const again = parseNpz(encodeNpz(original, options));
      expect([...again.keys()]).toEqual([...original.keys()]);
      for (const [key, array] of original) expect(hexOf(again.get(key)!.data)).toBe(hexOf(array.data));
    }
    const compressed = encodeNpz(original, { compress: true });
    expect(compressed.length).toBeLessThan(encodeNpz(original).length / 2);
    expect(parseZip(compressed).map((e) => e.name)).toContain('pattern.npy');
  });
});

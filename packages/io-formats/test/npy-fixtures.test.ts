import { CorruptFileError } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { encodeNpy, parseNpy, toCOrder } from '../src/index.js';
import { expectCorrupt, expectSameBytes, fixture, hexOf, manifest } from './helpers.js';

const ARRAY_TYPES: Record<string, string> = {
  float16: 'Uint16Array',
  float32: 'Float32Array',
  float64: 'Float64Array',
  int8: 'Int8Array',
  uint8: 'Uint8Array',
  int16: 'Int16Array',
  uint16: 'Uint16Array',
  int32: 'Int32Array',
  uint32: 'Uint32Array',
  int64: 'BigInt64Array',
  uint64: 'BigUint64Array',
  bool: 'Uint8Array',
};

describe('.npy fixtures written by numpy', () => {
  const entries = Object.entries(manifest.npy);

  it('covers every dtype in versions 1, 2 and 3, C and Fortran order, plus big-endian files', () => {
    expect(entries.length).toBeGreaterThan(12 * 9);
    for (const dtype of Object.keys(ARRAY_TYPES)) {
      for (const v of [1, 2, 3]) expect(manifest.npy[`npy/${dtype}-v${v}-f2d.npy`]).toBeDefined();
    }
    expect(manifest.npy['npy/be-float32-f2d.npy']).toBeDefined();
  });

  it.each(entries)('%s has the dtype, shape, order and exact values numpy wrote', (name, expected) => {
    const bytes = fixture(name);
    const array = parseNpy(bytes);
    expect(array.dtype).toBe(expected.dtype);
    expect(array.shape).toEqual(expected.shape);
    expect(array.fortranOrder).toBe(expected.fortranOrder);
    expect(array.data.constructor.name).toBe(ARRAY_TYPES[expected.dtype]);
    expect(hexOf(toCOrder(array).data)).toBe(expected.hex);
    // The version in the file name is the one in the file.
    const version = /-v(\d)-/.exec(name)?.[1];
    if (version) expect(bytes[6]).toBe(Number(version));
  });

  it('decodes values, not just bytes: float32 specials, int64 extremes, big-endian int32', () => {
    const f32 = parseNpy(fixture('npy/float32-v1-c1d.npy'));
    expect(Array.from(f32.data as Float32Array)).toEqual([0, -0, 1.5, -2.25, Infinity]);
    const i64 = toCOrder(parseNpy(fixture('npy/int64-v2-f2d.npy')));
    expect((i64.data as BigInt64Array)[2]).toBe(9223372036854775807n);
    expect((i64.data as BigInt64Array)[3]).toBe(-9223372036854775808n);
    const be = toCOrder(parseNpy(fixture('npy/be-int32-f2d.npy')));
    expect(Array.from(be.data as Int32Array).slice(0, 4)).toEqual([0, 1, 2147483647, -2147483648]);
    const f3d = toCOrder(parseNpy(fixture('npy/f3d-int16.npy')));
    expect(Array.from(f3d.data as Int16Array)).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });

  it('returns zero-copy views into aligned input and copies otherwise', () => {
    const bytes = fixture('npy/float64-v1-c2d.npy');
    const array = parseNpy(bytes);
    expect(array.data.buffer).toBe(bytes.buffer);
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    const copied = parseNpy(shifted);
    expect(copied.data.buffer).not.toBe(shifted.buffer);
    expect(hexOf(copied.data)).toBe(hexOf(array.data));
  });

  it('copies (without touching the input) from a misaligned Node Buffer holding big-endian data', () => {
    const bytes = fixture('npy/be-float32-c2d.npy');
    const pooled = Buffer.alloc(bytes.length + 3);
    const misaligned = pooled.subarray(3);
    misaligned.set(bytes);
    const array = parseNpy(misaligned);
    expect(hexOf(array.data)).toBe(manifest.npy['npy/be-float32-c2d.npy']!.hex);
    expect(Buffer.compare(misaligned, Buffer.from(bytes))).toBe(0);
  });

  it('re-encodes little-endian version 1 files byte for byte as numpy wrote them', () => {
    for (const dtype of Object.keys(ARRAY_TYPES)) {
      for (const layout of ['c1d', 'c2d', 'f2d']) {
        const bytes = fixture(`npy/${dtype}-v1-${layout}.npy`);
        expectSameBytes(encodeNpy(parseNpy(bytes)), bytes);
      }
    }
  });

  it.each(Object.entries(manifest.refused))('refuses %s (%s) without executing anything', (name, reason) => {
    const error = expectCorrupt(() => parseNpy(fixture(name)), reason);
    expect(error).toBeInstanceOf(CorruptFileError);
    expect(error.message).toMatch(reason === 'unsupported' ? /object arrays/ : /structured/);
  });
});

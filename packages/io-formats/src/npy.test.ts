import { CorruptFileError, InvalidArgumentError, floatToHalf } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { encodeNpy, npyHeaderEnd, parseNpy, parseNpyHeader, type NpyArray } from './npy.js';
import { npyToFloat32Matrix, toCOrder, toFortranOrder } from './npy-layout.js';

/** A .npy file with a hand-written header dict (version 1) and `data` after it. */
function handMade(dict: string, data = new Uint8Array(0), version = 1): Uint8Array {
  const preamble = version === 1 ? 10 : 12;
  const header = new TextEncoder().encode(dict + '\n');
  const out = new Uint8Array(preamble + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(header, preamble);
  out.set(data, preamble + header.length);
  return out;
}

function corruptReason(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CorruptFileError);
    return (error as CorruptFileError).reason;
  }
  throw new InvalidArgumentError('fn', 'did not throw');
}

describe('parseNpy header handling', () => {
  it('accepts the dict in any key order, with double quotes and extra whitespace', () => {
    const array = parseNpy(handMade(`{ "shape" : ( 2 , ) ,"fortran_order":False,'descr':'<i2' }`, new Uint8Array([1, 0, 2, 0])));
    expect(array.dtype).toBe('int16');
    expect(Array.from(array.data as Int16Array)).toEqual([1, 2]);
  });

  it('reads 0-d arrays and Python 2 long suffixes', () => {
    const scalar = parseNpy(handMade(`{'descr': '<f8', 'fortran_order': False, 'shape': (), }`, new Uint8Array(new Float64Array([7]).buffer)));
    expect(scalar.shape).toEqual([]);
    expect(scalar.data[0]).toBe(7);
    expect(parseNpy(handMade(`{'descr': '|u1', 'fortran_order': False, 'shape': (3L,), }`, new Uint8Array(3))).shape).toEqual([3]);
  });

  it('refuses malformed headers with typed reasons', () => {
    const ok = `{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }`;
    const four = new Uint8Array(4);
    expect(corruptReason(() => parseNpy(new Uint8Array([1, 2, 3])))).toBe('truncated');
    expect(corruptReason(() => parseNpy(handMade(ok, four).map((b, i) => (i === 1 ? 0 : b))))).toBe('magic');
    expect(corruptReason(() => parseNpy(handMade(ok, four).map((b, i) => (i === 6 ? 4 : b))))).toBe('version');
    expect(corruptReason(() => parseNpy(handMade(ok, four).map((b, i) => (i === 7 ? 1 : b))))).toBe('version');
    expect(corruptReason(() => parseNpy(handMade(ok, new Uint8Array(3))))).toBe('truncated');
    expect(corruptReason(() => parseNpy(handMade(ok, new Uint8Array(5))))).toBe('header');
    expect(corruptReason(() => parseNpy(handMade(`{'descr': '<f4', 'shape': (1,), }`, four)))).toBe('header');
    expect(corruptReason(() => parseNpy(handMade(`{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }`, four)))).toBe('header');
    expect(corruptReason(() => parseNpy(handMade(`{'descr': '<f4', 'fortran_order': False, 'shape': [1], }`, four)))).toBe('header');
    expect(corruptReason(() => parseNpy(handMade(`{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }`, four)))).toBe('header');
    expect(corruptReason(() => parseNpy(handMade(`{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}`, four)))).toBe('header');
    expect(corruptReason(() => parseNpy(handMade(`{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }`, four)))).toBe('dtype');
    expect(corruptReason(() => parseNpy(handMade(`{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }`, four)))).toBe('dtype');
    expect(corruptReason(() => parseNpy(handMade(`{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x`, four)))).toBe('header');
    expect(corruptReason(() => parseNpy(handMade(`{'descr': __import__('os'), 'fortran_order': False, 'shape': (1,)}`, four)))).toBe('header');
    expect(corruptReason(() => parseNpy(handMade('('.repeat(1000), four)))).toBe('header');
  });

  it('checks shape × itemsize against the bytes present before allocating, including overflow', () => {
    const huge = `{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }`;
    expect(corruptReason(() => parseNpy(handMade(huge)))).toBe('limit');
    const big = `{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000,), }`;
    expect(corruptReason(() => parseNpy(handMade(big)))).toBe('truncated');
    expect(corruptReason(() => parseNpy(handMade(`{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }`)))).toBe('limit');
  });

  it('enforces the header length limit from the preamble alone', () => {
    const prefix = new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0, 0, 0, 0, 0x40]);
    expect(corruptReason(() => npyHeaderEnd(prefix))).toBe('limit');
    expect(npyHeaderEnd(prefix, { maxHeaderBytes: 2 ** 31 })).toBe(12 + 0x40000000);
  });

  it('reads a header without its data (for ranged file reads)', () => {
    const bytes = encodeNpy({ shape: [2, 3], data: new Float32Array(6) });
    const end = npyHeaderEnd(bytes.subarray(0, 12));
    expect(end).toBe(bytes.length - 24);
    const header = parseNpyHeader(bytes.subarray(0, end));
    expect(header).toMatchObject({ dtype: 'float32', shape: [2, 3], dataOffset: end, dataByteLength: 24, littleEndian: true });
  });
});

describe('encodeNpy', () => {
  it('round-trips every dtype, inferring dtype from the typed array', () => {
    const inputs: NpyArray[] = [
      { dtype: 'float16', shape: [2], fortranOrder: false, data: Uint16Array.from([floatToHalf(1.5), floatToHalf(-2)]) },
      { dtype: 'bool', shape: [3], fortranOrder: false, data: Uint8Array.from([1, 0, 1]) },
      { dtype: 'int64', shape: [1, 2], fortranOrder: false, data: BigInt64Array.from([-5n, 2n ** 62n]) },
      { dtype: 'uint64', shape: [2], fortranOrder: false, data: BigUint64Array.from([0n, 2n ** 64n - 1n]) },
      { dtype: 'uint32', shape: [2], fortranOrder: false, data: Uint32Array.from([1, 2 ** 32 - 1]) },
    ];
    for (const input of inputs) expect(parseNpy(encodeNpy(input))).toEqual(input);
    const inferred = parseNpy(encodeNpy({ shape: [2, 2], data: Float64Array.from([1, 2, 3, 4]) }));
    expect(inferred.dtype).toBe('float64');
  });

  it('writes the requested version, 64-byte aligned', () => {
    for (const version of [1, 2, 3] as const) {
      const bytes = encodeNpy({ shape: [3], data: new Int8Array(3) }, { version });
      expect(bytes[6]).toBe(version);
      expect(npyHeaderEnd(bytes) % 64).toBe(0);
      expect(parseNpy(bytes).shape).toEqual([3]);
    }
    expect(encodeNpy({ shape: [1], data: new Int8Array(1) })[6]).toBe(1);
  });

  it('validates its input', () => {
    expect(() => encodeNpy({ shape: [3], data: new Float32Array(2) })).toThrow(InvalidArgumentError);
    expect(() => encodeNpy({ dtype: 'float32', shape: [2], data: new Float64Array(2) })).toThrow(InvalidArgumentError);
    expect(() => encodeNpy({ shape: [-1], data: new Float32Array(0) })).toThrow(InvalidArgumentError);
    expect(() => encodeNpy({ shape: [1.5], data: new Float32Array(1) })).toThrow(InvalidArgumentError);
    expect(() => encodeNpy({ dtype: 'complex64' as never, shape: [1], data: new Float32Array(1) })).toThrow(InvalidArgumentError);
    expect(() => encodeNpy({ shape: [1], data: [1] as never })).toThrow(InvalidArgumentError);
    expect(() => encodeNpy({ shape: [1], data: new Float32Array(1) }, { version: 4 as never })).toThrow(InvalidArgumentError);
  });
});

describe('layout helpers', () => {
  it('converts between C and Fortran order in 2-D and 3-D', () => {
    const c: NpyArray = { dtype: 'int32', shape: [2, 3], fortranOrder: false, data: Int32Array.from([0, 1, 2, 3, 4, 5]) };
    const f = toFortranOrder(c);
    expect(Array.from(f.data as Int32Array)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(toCOrder(f)).toEqual(c);
    const c3: NpyArray = { dtype: 'float64', shape: [2, 3, 4], fortranOrder: false, data: Float64Array.from({ length: 24 }, (_, i) => i) };
    const f3 = toFortranOrder(c3);
    // element [i, j, k] sits at i + 2 j + 6 k in Fortran order
    expect(f3.data[1 + 2 * 2 + 6 * 3]).toBe(1 * 12 + 2 * 4 + 3);
    expect(toCOrder(f3)).toEqual(c3);
    expect(toCOrder(c)).toBe(c);
  });

  it('writes and reads Fortran-order arrays', () => {
    const f = toFortranOrder({ dtype: 'uint16', shape: [2, 2], fortranOrder: false, data: Uint16Array.from([1, 2, 3, 4]) });
    const back = parseNpy(encodeNpy(f));
    expect(back.fortranOrder).toBe(true);
    expect(Array.from(toCOrder(back).data as Uint16Array)).toEqual([1, 2, 3, 4]);
  });

  it('npyToFloat32Matrix converts any numeric dtype to a C-order float32 matrix', () => {
    const half = npyToFloat32Matrix({ dtype: 'float16', shape: [1, 2], data: Uint16Array.from([floatToHalf(0.5), floatToHalf(-3)]) });
    expect(half).toEqual({ data: Float32Array.from([0.5, -3]), rows: 1, cols: 2 });
    const ints = npyToFloat32Matrix({ shape: [3], data: BigInt64Array.from([1n, -2n, 3n]) });
    expect(ints).toEqual({ data: Float32Array.from([1, -2, 3]), rows: 1, cols: 3 });
    const fortran = npyToFloat32Matrix({ shape: [2, 2], fortranOrder: true, data: Int8Array.from([1, 3, 2, 4]) });
    expect(Array.from(fortran.data)).toEqual([1, 2, 3, 4]);
    const same = Float32Array.from([1, 2]);
    expect(npyToFloat32Matrix({ shape: [2, 1], data: same }).data).toBe(same);
    expect(() => npyToFloat32Matrix({ shape: [1, 1, 1], data: new Float32Array(1) })).toThrow(InvalidArgumentError);
  });
});

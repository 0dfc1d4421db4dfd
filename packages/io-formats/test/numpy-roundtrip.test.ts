import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from '@quiver/core-math';
import { afterAll, describe, expect, it } from 'vitest';
import {
  encodeBvecs,
  encodeFvecs,
  encodeIvecs,
  encodeNpy,
  encodeNpz,
  encodeSafetensors,
  toCOrder,
  toFortranOrder,
  type NpyArray,
  type NpyDtype,
  type SafetensorsDtype,
} from '../src/index.js';
import { hexOf, runPython, skipWithoutNumpy } from './helpers.js';

/** numpy reads back what Quiver wrote and compares dtype, shape, order and every byte. */
const CHECKER = String.raw`
import json, struct, sys
import numpy as np

def c_hex(arr):
    return np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder('<')).tobytes().hex()

def check_array(label, arr, want):
    assert arr.dtype.name == want['dtype'], (label, arr.dtype.name, want['dtype'])
    assert list(arr.shape) == want['shape'], (label, arr.shape, want['shape'])
    assert c_hex(arr) == want['hex'], (label, 'values differ')

checked = 0
for job in json.load(sys.stdin):
    path, kind = job['path'], job['kind']
    if kind == 'npy':
        with open(path, 'rb') as f:
            version = np.lib.format.read_magic(f)
            # Our headers are ASCII, so the 2.0 reader also parses 3.0 headers.
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            _, fortran, _ = read(f)
        assert version == (job['version'], 0), (path, version)
        assert fortran == job['want']['fortranOrder'], (path, fortran)
        check_array(path, np.load(path, allow_pickle=False), job['want'])
    elif kind == 'npz':
        with np.load(path, allow_pickle=False) as z:
            assert sorted(z.files) == sorted(job['want']), (path, z.files)
            for key, want in job['want'].items():
                check_array(path + ':' + key, z[key], want)
    elif kind == 'safetensors':
        data = open(path, 'rb').read()
        (n,) = struct.unpack('<Q', data[:8])
        assert n % 8 == 0, 'header not padded to 8 bytes'
        header = json.loads(data[8:8 + n])
        assert header.pop('__metadata__') == job['metadata']
        names = {'F64': '<f8', 'F32': '<f4', 'F16': '<f2', 'BF16': '<u2', 'I64': '<i8', 'I32': '<i4', 'I16': '<i2',
                 'I8': 'i1', 'U64': '<u8', 'U32': '<u4', 'U16': '<u2', 'U8': 'u1', 'BOOL': '?'}
        assert sorted(header) == sorted(job['want']), (path, list(header))
        for key, info in header.items():
            begin, end = info['data_offsets']
            assert (8 + n + begin) % np.dtype(names[info['dtype']]).itemsize == 0, (key, 'misaligned')
            arr = np.frombuffer(data[8 + n + begin: 8 + n + end], dtype=names[info['dtype']]).reshape(info['shape'])
            want = job['want'][key]
            assert info['dtype'] == want['dtype'] and list(arr.shape) == want['shape'], key
            assert arr.tobytes().hex() == want['hex'], key
    else:
        dtype = {'fvecs': '<f4', 'ivecs': '<i4', 'bvecs': 'u1'}[kind]
        raw = np.fromfile(path, dtype=np.uint8)
        dim = int(raw[:4].view('<i4')[0])
        rows = raw.reshape(-1, 4 + dim * np.dtype(dtype).itemsize)
        assert (rows[:, :4].copy().view('<i4') == dim).all()
        values = rows[:, 4:].copy().view(dtype)
        assert values.tobytes().hex() == job['want'], path
    checked += 1
print(checked)
`;

const DTYPES: NpyDtype[] = ['float16', 'float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool'];

function randomArray(dtype: NpyDtype, shape: number[], rng: SeededRandom): NpyArray {
  const n = shape.reduce((a, b) => a * b, 1);
  const bits = (): number => rng.nextUint32();
  const data = {
    float16: () => Uint16Array.from({ length: n }, () => bits() & 0x7bff), // finite halves of both signs
    float32: () => Float32Array.from({ length: n }, () => rng.nextGaussian()),
    float64: () => Float64Array.from({ length: n }, () => rng.nextGaussian() * 1e10),
    int8: () => Int8Array.from({ length: n }, bits),
    uint8: () => Uint8Array.from({ length: n }, bits),
    int16: () => Int16Array.from({ length: n }, bits),
    uint16: () => Uint16Array.from({ length: n }, bits),
    int32: () => Int32Array.from({ length: n }, bits),
    uint32: () => Uint32Array.from({ length: n }, bits),
    int64: () => BigInt64Array.from({ length: n }, () => BigInt.asIntN(64, (BigInt(bits()) << 32n) | BigInt(bits()))),
    uint64: () => BigUint64Array.from({ length: n }, () => (BigInt(bits()) << 32n) | BigInt(bits())),
    bool: () => Uint8Array.from({ length: n }, () => bits() & 1),
  }[dtype]();
  return { dtype, shape, fortranOrder: false, data } as NpyArray;
}

const expectation = (array: NpyArray) => ({
  dtype: array.dtype,
  shape: array.shape,
  fortranOrder: array.fortranOrder,
  hex: hexOf(toCOrder(array).data),
});

describe.skipIf(skipWithoutNumpy)('numpy reads what Quiver writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-io-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const rng = new SeededRandom(99);

  it('.npy: every dtype, versions 1-3, C and Fortran order, 0-D to 3-D; .npz stored, deflated and zip64; safetensors; vecs', () => {
    const jobs: unknown[] = [];
    let file = 0;
    const path = (ext: string): string => join(dir, `${file++}.${ext}`);

    for (const dtype of DTYPES) {
      for (const version of [1, 2, 3] as const) {
        const arrays = [randomArray(dtype, [7], rng), randomArray(dtype, [3, 5], rng), toFortranOrder(randomArray(dtype, [4, 3], rng))];
        for (const array of arrays) {
          const p = path('npy');
          writeFileSync(p, encodeNpy(array, { version }));
          jobs.push({ path: p, kind: 'npy', version, want: expectation(array) });
        }
      }
    }
    for (const array of [randomArray('float64', [], rng), randomArray('int32', [0, 4], rng), toFortranOrder(randomArray('int16', [2, 3, 4], rng))]) {
      const p = path('npy');
      writeFileSync(p, encodeNpy(array));
      jobs.push({ path: p, kind: 'npy', version: 1, want: expectation(array) });
    }

    const members: Record<string, NpyArray> = {
      vectors: randomArray('float32', [50, 8], rng),
      ids: randomArray('int64', [50], rng),
      half: toFortranOrder(randomArray('float16', [6, 2], rng)),
      // Very compressible, so the deflated member uses matches and dynamic Huffman codes.
      pattern: { dtype: 'uint16', shape: [4000], fortranOrder: false, data: Uint16Array.from({ length: 4000 }, (_, i) => i % 37) },
    };
    const want = Object.fromEntries(Object.entries(members).map(([k, a]) => [k, expectation(a)]));
    for (const options of [{}, { compress: true }, { compress: true, forceZip64: true }, { forceZip64: true }]) {
      const p = path('npz');
      writeFileSync(p, encodeNpz(members, options));
      jobs.push({ path: p, kind: 'npz', want });
    }

    const stDtypes: Record<SafetensorsDtype, NpyDtype> = {
      F64: 'float64', F32: 'float32', F16: 'float16', BF16: 'uint16', I64: 'int64', I32: 'int32',
      I16: 'int16', I8: 'int8', U64: 'uint64', U32: 'uint32', U16: 'uint16', U8: 'uint8', BOOL: 'bool',
    };
    const tensors = Object.fromEntries(
      Object.entries(stDtypes).map(([st, dtype], i) => {
        const array = randomArray(dtype, i % 2 ? [3, 1] : [5], rng);
        return [`t.${st}`, { dtype: st as SafetensorsDtype, shape: array.shape, data: array.data }];
      }),
    );
    const stPath = path('safetensors');
    writeFileSync(stPath, encodeSafetensors(tensors, { framework: 'quiver' }));
    jobs.push({
      path: stPath,
      kind: 'safetensors',
      metadata: { framework: 'quiver' },
      want: Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, hex: hexOf(t.data) }])),
    });

    const f = Float32Array.from({ length: 30 }, () => rng.nextGaussian());
    const i = Int32Array.from({ length: 30 }, () => rng.nextUint32() | 0);
    const b = Uint8Array.from({ length: 30 }, () => rng.nextInt(256));
    for (const [kind, bytes, data] of [
      ['fvecs', encodeFvecs(f, 5), f],
      ['ivecs', encodeIvecs(i, 6), i],
      ['bvecs', encodeBvecs(b, 10), b],
    ] as const) {
      const p = path(kind);
      writeFileSync(p, bytes);
      jobs.push({ path: p, kind, want: hexOf(data) });
    }

    expect(runPython(CHECKER, jobs).trim()).toBe(String(jobs.length));
  });
});

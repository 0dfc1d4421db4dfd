#!/usr/bin/env python3
"""Writes the test fixtures of @quiver/io-formats with real numpy (and, for safetensors, the
published format spec: the `safetensors` Python package is not installed here, see README).

Run from anywhere:  python3 packages/io-formats/scripts/make-fixtures.py
Output: packages/io-formats/test/fixtures/ (npy/, npz/, safetensors/, vecs/, manifest.json).
The manifest records, per array, dtype, shape, order and the little-endian bytes of its C-order
data as hex, so the tests can compare bit for bit (NaN, -0.0 and subnormals included).
"""
import json
import os
import shutil
import struct
import time
import zipfile

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')

DTYPES = ['float16', 'float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32',
          'int64', 'uint64', 'bool']


def values(dtype, count):
    """Deterministic values that exercise the edges of each dtype."""
    dt = np.dtype(dtype)
    if dt.kind == 'f':
        base = np.array([0.0, -0.0, 1.5, -2.25, np.inf, -np.inf, np.nan, 1e-3, 65504.0, 1.0 / 3.0,
                         6e-8, -123.456], dtype=np.float64)
        return np.resize(base, count).astype(dt)
    if dt.kind == 'b':
        return np.resize(np.array([True, False, False, True, True]), count)
    info = np.iinfo(dt)
    base = [0, 1, int(info.max), int(info.min), 2, int(info.max) - 1, 7, 100 % (int(info.max) + 1)]
    if info.min < 0:
        base += [-1, -7, int(info.min) + 1]
    return np.resize(np.array(base, dtype=dt), count)


def describe(arr, fortran):
    le = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder('<'))
    return {'dtype': arr.dtype.name, 'shape': list(arr.shape), 'fortranOrder': fortran, 'hex': le.tobytes().hex()}


def write_npy(path, arr, version=None, allow_pickle=False):
    with open(path, 'wb') as f:
        np.lib.format.write_array(f, arr, version=version, allow_pickle=allow_pickle)


def make_npy(manifest):
    out = os.path.join(ROOT, 'npy')
    os.makedirs(out)
    for dtype in DTYPES:
        one_d = values(dtype, 5)
        two_d = values(dtype, 12).reshape(3, 4)
        for version in (1, 2, 3):
            cases = {'c1d': (one_d, False), 'c2d': (two_d, False), 'f2d': (np.asfortranarray(two_d), True)}
            for layout, (arr, fortran) in cases.items():
                name = f'npy/{dtype}-v{version}-{layout}.npy'
                write_npy(os.path.join(ROOT, name), arr, version=(version, 0))
                manifest['npy'][name] = describe(arr, fortran)
        if np.dtype(dtype).itemsize > 1:
            big = two_d.astype(np.dtype(dtype).newbyteorder('>'))
            for layout, arr, fortran in (('c2d', big, False), ('f2d', np.asfortranarray(big), True)):
                name = f'npy/be-{dtype}-{layout}.npy'
                write_npy(os.path.join(ROOT, name), arr)
                manifest['npy'][name] = describe(arr, fortran)
    extra = {
        'npy/scalar-float64.npy': (np.array(2.5), False),
        'npy/empty-float32.npy': (np.zeros((0, 3), dtype=np.float32), False),
        'npy/f3d-int16.npy': (np.asfortranarray(np.arange(24, dtype=np.int16).reshape(2, 3, 4)), True),
        'npy/c3d-float32.npy': (np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 8, False),
    }
    for name, (arr, fortran) in extra.items():
        write_npy(os.path.join(ROOT, name), arr)
        manifest['npy'][name] = describe(arr, fortran)
    # Must be refused: pickled objects and structured dtypes.
    write_npy(os.path.join(ROOT, 'npy/object.npy'), np.array([{'a': 1}, None], dtype=object), allow_pickle=True)
    write_npy(os.path.join(ROOT, 'npy/structured.npy'), np.zeros(3, dtype=[('x', '<f4'), ('y', '<i4')]))
    manifest['refused'] = {'npy/object.npy': 'unsupported', 'npy/structured.npy': 'dtype'}


def npz_arrays():
    rng = np.random.default_rng(42)
    return {
        'vectors': rng.standard_normal((4, 3)).astype(np.float32),
        'ids': np.arange(10, 15, dtype=np.int64) * -3,
        'flags': np.array([True, False, True]),
        'half': values('float16', 6).reshape(2, 3),
        'big_endian': values('float64', 4).astype('>f8'),
        'fortran': np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3)),
        # Compressible and incompressible parts, so deflate uses stored, fixed and dynamic blocks.
        'pattern': np.tile(np.arange(16, dtype=np.uint16), 300),
        'noise': rng.integers(0, 255, 3000, dtype=np.uint8),
    }


def make_npz(manifest):
    out = os.path.join(ROOT, 'npz')
    os.makedirs(out)
    arrays = npz_arrays()
    described = {k: describe(v, bool(v.flags.f_contiguous and not v.flags.c_contiguous)) for k, v in arrays.items()}
    np.savez(os.path.join(out, 'stored.npz'), **arrays)
    np.savez_compressed(os.path.join(out, 'compressed.npz'), **arrays)
    np.savez(os.path.join(out, 'empty.npz'))
    tiny = {'a': np.arange(6, dtype=np.float32).reshape(2, 3), 'b': np.array([True, False])}
    np.savez(os.path.join(out, 'small-stored.npz'), **tiny)
    # zipfile switches to zip64 records past ZIP64_LIMIT; lowering it yields a small zip64 archive.
    saved = zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT
    zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = 1, 1
    try:
        small = {k: arrays[k] for k in ('vectors', 'ids', 'half')}
        np.savez_compressed(os.path.join(out, 'zip64.npz'), **small)
    finally:
        zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = saved
    with open(os.path.join(out, 'zip64.npz'), 'rb') as f:
        assert b'PK\x06\x06' in f.read(), 'expected a zip64 end record'
    manifest['npz'] = {
        'npz/stored.npz': described,
        'npz/compressed.npz': described,
        'npz/empty.npz': {},
        'npz/small-stored.npz': {k: describe(v, False) for k, v in tiny.items()},
        'npz/zip64.npz': {k: described[k] for k in ('vectors', 'ids', 'half')},
    }


ST_DTYPES = {'F64': 'float64', 'F32': 'float32', 'F16': 'float16', 'I64': 'int64', 'I32': 'int32',
             'I16': 'int16', 'I8': 'int8', 'U64': 'uint64', 'U32': 'uint32', 'U16': 'uint16', 'U8': 'uint8',
             'BOOL': 'bool'}


def make_safetensors(manifest):
    """Follows https://github.com/huggingface/safetensors#format like the reference writer: tensors
    sorted by decreasing element size then name, header padded with spaces to a multiple of 8."""
    out = os.path.join(ROOT, 'safetensors')
    os.makedirs(out)
    tensors = {}
    for i, (st, dtype) in enumerate(ST_DTYPES.items()):
        shape = [(2, 3), (5,), (1, 2, 2)][i % 3]
        arr = values(dtype, int(np.prod(shape))).reshape(shape)
        tensors[f'layer{i}.{st.lower()}'] = (st, arr)
    f32 = np.array([[1.0, -2.5, 3.140625], [np.inf, 0.0, -0.0]], dtype=np.float32)
    tensors['embeddings.bf16'] = ('BF16', (f32.view(np.uint32) >> 16).astype(np.uint16))  # bfloat16 bits
    tensors['empty.f32'] = ('F32', np.zeros((0, 4), dtype=np.float32))
    metadata = {'format': 'pt', 'source': 'quiver make-fixtures.py'}

    order = sorted(tensors, key=lambda k: (-tensors[k][1].dtype.itemsize, k))
    header = {'__metadata__': metadata}
    blobs = []
    offset = 0
    described = {}
    for name in order:
        st, arr = tensors[name]
        blob = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder('<')).tobytes()
        header[name] = {'dtype': st, 'shape': list(arr.shape), 'data_offsets': [offset, offset + len(blob)]}
        described[name] = {'dtype': st, 'shape': list(arr.shape), 'hex': blob.hex()}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(os.path.join(out, 'all-dtypes.safetensors'), 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))
    manifest['safetensors'] = {'safetensors/all-dtypes.safetensors': {'metadata': metadata, 'tensors': described}}


def make_vecs(manifest):
    out = os.path.join(ROOT, 'vecs')
    os.makedirs(out)
    rng = np.random.default_rng(7)
    cases = {
        'vecs/small.fvecs': rng.standard_normal((4, 5)).astype('<f4'),
        'vecs/small.ivecs': rng.integers(-1000, 1000, (6, 3)).astype('<i4'),
        'vecs/small.bvecs': rng.integers(0, 256, (3, 8)).astype(np.uint8),
    }
    manifest['vecs'] = {}
    for name, arr in cases.items():
        count, dim = arr.shape
        with open(os.path.join(ROOT, name), 'wb') as f:
            for row in arr:
                f.write(struct.pack('<i', dim) + row.tobytes())
        manifest['vecs'][name] = {'dim': dim, 'count': count, 'hex': arr.tobytes().hex()}


def main():
    # zip members carry a timestamp: pin the clock so reruns produce identical files.
    os.environ['TZ'] = 'UTC'
    time.tzset()
    time.time = lambda: 1767225600.0  # 2026-01-01T00:00:00Z
    if os.path.exists(ROOT):
        shutil.rmtree(ROOT)
    os.makedirs(ROOT)
    manifest = {'numpy': np.__version__, 'npy': {}}
    make_npy(manifest)
    make_npz(manifest)
    make_safetensors(manifest)
    make_vecs(manifest)
    with open(os.path.join(ROOT, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write('\n')


if __name__ == '__main__':
    main()

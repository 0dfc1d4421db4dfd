import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorruptFileError, InvalidArgumentError, UnsupportedOperationError } from '@quiver/core-math';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeFvecs, encodeNpy, parseNpz, toCOrder } from '../index.js';
import { FIXTURES, hexOf, manifest } from '../../test/helpers.js';
import {
  readNpyFile,
  readNpyRows,
  readNpzFile,
  readSafetensorsFile,
  readVecsFile,
  writeNpyFile,
  writeNpzFile,
  writeSafetensorsFile,
  writeVecsFile,
} from './files.js';

const dir = mkdtempSync(join(tmpdir(), 'quiver-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const matrix = (rows: number, cols: number): Float32Array => Float32Array.from({ length: rows * cols }, (_, i) => i * 0.5);

describe('file helpers', () => {
  it('write and read .npy, .npz (zlib both ways) and safetensors files', async () => {
    const data = matrix(4, 3);
    await writeNpyFile(join(dir, 'm.npy'), { shape: [4, 3], data });
    expect((await readNpyFile(join(dir, 'm.npy'))).data).toEqual(data);

    const pattern = Uint16Array.from({ length: 5000 }, (_, i) => i % 11);
    await writeNpzFile(join(dir, 'm.npz'), { data: { shape: [4, 3], data }, pattern: { shape: [5000], data: pattern } }, { compress: true });
    const bytes = new Uint8Array(readFileSync(join(dir, 'm.npz')));
    expect(bytes.length).toBeLessThan(5000);
    expect(parseNpz(bytes).get('pattern')!.data).toEqual(pattern); // zlib's stream, TypeScript inflater
    expect((await readNpzFile(join(dir, 'm.npz'))).get('data')!.data).toEqual(data);

    const numpy = await readNpzFile(join(FIXTURES, 'npz/compressed.npz'));
    expect(hexOf(toCOrder(numpy.get('half')!).data)).toBe(manifest.npz['npz/compressed.npz']!.half!.hex);

    await writeSafetensorsFile(join(dir, 'm.safetensors'), { w: { dtype: 'F32', shape: [4, 3], data } }, { k: 'v' });
    const st = await readSafetensorsFile(join(dir, 'm.safetensors'));
    expect(st.metadata).toEqual({ k: 'v' });
    expect(st.tensors.get('w')!.data).toEqual(data);
  });

  it('readVecsFile reads a row range, reading only those rows', async () => {
    const path = join(dir, 'v.fvecs');
    await writeVecsFile(path, 'fvecs', matrix(10, 4), 4);
    const all = await readVecsFile(path, 'fvecs');
    expect([all.count, all.dim, all.start, all.totalCount]).toEqual([10, 4, 0, 10]);
    const some = await readVecsFile(path, 'fvecs', { start: 3, end: 7 });
    expect([some.count, some.start, some.totalCount]).toEqual([4, 3, 10]);
    expect(some.data).toEqual(matrix(10, 4).subarray(12, 28));
    expect((await readVecsFile(path, 'fvecs', { start: 5, end: 5 })).count).toBe(0);

    // A broken row outside the range is never read; inside it, it is reported.
    const bytes = new Uint8Array(readFileSync(path));
    new DataView(bytes.buffer).setInt32(9 * 20, 99, true);
    writeFileSync(path, bytes);
    expect((await readVecsFile(path, 'fvecs', { start: 0, end: 9 })).count).toBe(9);
    await expect(readVecsFile(path, 'fvecs', { start: 8 })).rejects.toThrow(CorruptFileError);

    await expect(readVecsFile(path, 'fvecs', { start: 4, end: 2 })).rejects.toThrow(InvalidArgumentError);
    await expect(readVecsFile(path, 'fvecs', { end: 11 })).rejects.toThrow(InvalidArgumentError);
    await expect(readVecsFile(path, 'xvecs' as never)).rejects.toThrow(InvalidArgumentError);
    truncateSync(path, 10 * 20 - 1);
    await expect(readVecsFile(path, 'fvecs', { start: 0, end: 1 })).rejects.toThrow(CorruptFileError);
    const empty = join(dir, 'empty.ivecs');
    writeFileSync(empty, new Uint8Array(0));
    expect((await readVecsFile(empty, 'ivecs')).count).toBe(0);
    writeFileSync(empty, encodeFvecs(new Float32Array(3), 3));
    await expect(readVecsFile(empty, 'bvecs')).rejects.toThrow(CorruptFileError); // 16 bytes: not whole 7-byte rows
  });

  it('readNpyRows reads a row range of a C-order 2-D .npy, including big-endian files', async () => {
    const path = join(dir, 'r.npy');
    await writeNpyFile(path, { shape: [10, 4], data: matrix(10, 4) });
    const rows = await readNpyRows(path, 2, 5);
    expect(rows.shape).toEqual([3, 4]);
    expect(rows.data).toEqual(matrix(10, 4).subarray(8, 20));
    expect((await readNpyRows(path)).shape).toEqual([10, 4]);

    const be = join(dir, 'be.npy');
    copyFileSync(join(FIXTURES, 'npy/be-float64-c2d.npy'), be);
    const expected = (await readNpyFile(be)).data as Float64Array;
    expect((await readNpyRows(be, 1, 3)).data).toEqual(expected.subarray(4, 12));

    await expect(readNpyRows(path, 0, 11)).rejects.toThrow(InvalidArgumentError);
    await expect(readNpyRows(join(FIXTURES, 'npy/float32-v2-f2d.npy'), 0, 1)).rejects.toThrow(UnsupportedOperationError);
    await expect(readNpyRows(join(FIXTURES, 'npy/float32-v3-c1d.npy'), 0, 1)).rejects.toThrow(UnsupportedOperationError);
    truncateSync(path, 200);
    await expect(readNpyRows(path, 0, 1)).rejects.toThrow(CorruptFileError);
    writeFileSync(path, encodeNpy({ shape: [1, 1], data: new Float32Array(1) }).subarray(0, 11));
    await expect(readNpyRows(path, 0, 1)).rejects.toThrow(CorruptFileError);
  });
});

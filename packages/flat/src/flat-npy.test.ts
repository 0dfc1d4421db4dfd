import { CorruptFileError, InvalidArgumentError } from '@quiver/core-math';
import { encodeNpy, parseNpy } from '@quiver/io-formats';
import { gaussianMixture } from '@quiver/testkit';
import { describe, expect, it } from 'vitest';
import { FlatIndex } from './flat-index.js';
import { flatIndexFromNpy, flatIndexToNpy } from './flat-npy.js';

describe('FlatIndex .npy interop', () => {
  const dim = 6;
  const rows = gaussianMixture({ n: 20, dim, seed: 4 });

  it('writes the live rows as a float32 (size, dim) array and reads them back', () => {
    const index = new FlatIndex({ dim, metric: 'l2', kernels: 'js' });
    index.add(rows);
    index.remove(0);
    index.remove(10);
    const bytes = flatIndexToNpy(index);
    const array = parseNpy(bytes);
    expect(array.dtype).toBe('float32');
    expect(array.shape).toEqual([18, dim]);
    const expected = [...rows].filter((_, i) => Math.floor(i / dim) !== 0 && Math.floor(i / dim) !== 10);
    expect([...(array.data as Float32Array)]).toEqual(expected);
    const loaded = flatIndexFromNpy(bytes, { metric: 'l2', kernels: 'js' });
    expect([loaded.size, loaded.dim, loaded.metric]).toEqual([18, dim, 'l2']);
    index.compact();
    expect(loaded.rowsView()).toEqual(index.rowsView());
    expect(loaded.search(rows, 3)).toEqual(index.search(rows, 3));
    index.dispose();
    loaded.dispose();
  });

  it('converts other dtypes and Fortran order, and normalizes under cosine', () => {
    const data = Float64Array.from([3, 0, 0, 4, 6, 8]); // Fortran order of [[3, 4], [0, 6], [0, 8]]
    const index = flatIndexFromNpy(encodeNpy({ shape: [3, 2], data, fortranOrder: true }));
    expect(index.metric).toBe('cosine');
    expect([...index.reconstruct(0)]).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect([...index.reconstruct(2)]).toEqual([0, 1]);
    index.dispose();
    const empty = flatIndexFromNpy(encodeNpy({ shape: [0, 4], data: new Float32Array(0) }), { metric: 'dot' });
    expect([empty.size, empty.dim]).toEqual([0, 4]);
    empty.dispose();
  });

  it('rejects corrupt files, wrong shapes and non-finite rows with typed errors', () => {
    const bytes = encodeNpy({ shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) });
    expect(() => flatIndexFromNpy(bytes.slice(0, bytes.length - 3))).toThrow(CorruptFileError);
    expect(() => flatIndexFromNpy(bytes.slice(0, 20))).toThrow(CorruptFileError);
    expect(() => flatIndexFromNpy(encodeNpy({ shape: [4], data: new Float32Array(4) }))).toThrow(CorruptFileError);
    expect(() => flatIndexFromNpy(encodeNpy({ shape: [2, 0], data: new Float32Array(0) }))).toThrow(CorruptFileError);
    expect(() => flatIndexFromNpy(encodeNpy({ shape: [1, 2], data: new Float32Array([1, NaN]) }), { metric: 'l2' })).toThrow(InvalidArgumentError);
    expect(() => flatIndexToNpy({} as FlatIndex)).toThrow(InvalidArgumentError);
  });
});

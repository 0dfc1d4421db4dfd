import { CorruptFileError, SeededRandom, UnsupportedOperationError, isVectorSearchError } from '@quiver/core-math';
import { encodeNpy, encodeSafetensors, parseNpy, parseSafetensors } from '@quiver/io-formats';
import { afterEach, describe, expect, it } from 'vitest';
import { NumpyAnnIndex, type NumpyAnnIndexOptions } from './numpy-ann-index.js';
import {
  numpyAnnIndexFromNpy,
  numpyAnnIndexFromSafetensors,
  numpyAnnIndexToNpy,
  numpyAnnIndexToSafetensors,
} from './numpy-ann-persistence.js';

const dim = 12;
const rng = new SeededRandom(3);
const data = new Float32Array(40 * dim);
const queries = new Float32Array(5 * dim);
rng.fillGaussian(data);
rng.fillGaussian(queries);

const created: NumpyAnnIndex[] = [];
function track(index: NumpyAnnIndex): NumpyAnnIndex {
  created.push(index);
  return index;
}
afterEach(() => {
  for (const index of created.splice(0)) index.dispose();
});

function build(quantize?: number, extensions: Pick<NumpyAnnIndexOptions, 'center' | 'rerank'> = {}): NumpyAnnIndex {
  const index = track(new NumpyAnnIndex({ dim, quantize, kernels: 'js', ...extensions }));
  index.index(data.subarray(0, 30 * dim));
  index.append(data.subarray(30 * dim));
  index.delete([3, 17, 39]);
  return index;
}


/** Re-encodes a safetensors file with tensors replaced (or removed, for `undefined`) and new metadata. */
function rewriteSafetensors(bytes: Uint8Array, changes: Record<string, unknown>, metadata: Record<string, string>): Uint8Array {
  const { tensors } = parseSafetensors(bytes);
  const entries = Object.fromEntries([...tensors].map(([name, t]) => [name, { dtype: t.dtype, shape: t.shape, data: t.data }]));
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete entries[name];
    else entries[name] = value as never;
  }
  return encodeSafetensors(entries as never, metadata);
}
describe('NumpyAnnIndex persistence', () => {
  it.each([undefined, 1, 3, 8])('safetensors round trip keeps results and deletions (quantize %s)', (quantize) => {
    const index = build(quantize);
    const loaded = track(numpyAnnIndexFromSafetensors(numpyAnnIndexToSafetensors(index), { kernels: 'js' }));
    expect(loaded.quantize).toBe(quantize);
    expect(loaded.count()).toBe(37);
    expect(loaded.offset).toBe(40);
    expect(loaded.search(queries, 40)).toEqual(index.search(queries, 40));
    // ids keep counting after a reload, and deleted ids stay deleted
    loaded.append(data.subarray(0, dim));
    expect(loaded.search(data.subarray(0, dim), 2)[0]!.map(([id]) => id).sort()).toEqual([0, 40]);
    expect(loaded.isDeleted(3)).toBe(true);
  });

  it.each([undefined, 1])('.npy round trip in txtai layout: deleted rows are zero rows (quantize %s)', (quantize) => {
    const index = build(quantize);
    const bytes = numpyAnnIndexToNpy(index);
    const array = parseNpy(bytes);
    expect(array.shape).toEqual(quantize === 1 ? [40, 2] : [40, dim]);
    expect(array.dtype).toBe(quantize === 1 ? 'uint8' : 'float32');
    expect(Array.from(array.data.subarray(17 * array.shape[1]!, 18 * array.shape[1]!) as Uint8Array)).toEqual(new Array(array.shape[1]).fill(0));
    const loaded = track(numpyAnnIndexFromNpy(bytes, { quantize, dim, kernels: 'js' }));
    expect(loaded.count()).toBe(37);
    expect(loaded.search(queries, 40)).toEqual(index.search(queries, 40));
  });

  it('reads a txtai-written float .npy: all-zero rows are deleted', () => {
    const rows = new Float32Array([1, 0, 0, 0, 0, 1]);
    const loaded = track(numpyAnnIndexFromNpy(encodeNpy({ shape: [3, 2], data: rows }), { kernels: 'js' }));
    expect(loaded.count()).toBe(2);
    expect(loaded.search([[1, 1]], 5)[0]!.map(([id]) => id)).toEqual([0, 2]);
  });

  it('2..8-bit codes refuse .npy and say why', () => {
    expect(() => numpyAnnIndexToNpy(build(4))).toThrow(UnsupportedOperationError);
    expect(() => numpyAnnIndexFromNpy(encodeNpy({ shape: [1, 2], data: new Int8Array(2) }), { quantize: 4 })).toThrow(UnsupportedOperationError);
  });

  it('corrupt or inconsistent files give CorruptFileError', () => {
    const good = numpyAnnIndexToSafetensors(build(4));
    const { metadata } = parseSafetensors(good);
    const rewrite = (changes: Record<string, unknown>, meta: Record<string, string> = metadata) => rewriteSafetensors(good, changes, meta);
    const cases: Uint8Array[] = [
      rewrite({ step: undefined }),
      rewrite({ deleted: { dtype: 'U8', shape: [2], data: new Uint8Array(2) } }),
      rewrite({ data: { dtype: 'I8', shape: [1, dim], data: new Int8Array(dim).fill(100) } }),
      rewrite({ data: { dtype: 'F32', shape: [1, dim], data: new Float32Array(dim) } }),
      rewrite({}, { ...metadata, version: '9' }),
      rewrite({}, { ...metadata, quantize: '12' }),
      rewrite({}, { ...metadata, dim: '-1' }),
      rewrite({ step: { dtype: 'F32', shape: [dim], data: new Float32Array(dim).fill(-1) } }),
      encodeNpy({ shape: [2, 2], data: new Float32Array([1, Number.NaN, 0, 1]) }),
      encodeNpy({ shape: [4], data: new Float32Array(4) }),
      encodeNpy({ shape: [1, 2], data: new Int32Array(2) }),
    ];
    for (const [i, bytes] of cases.entries()) {
      const load = i >= cases.length - 3 ? numpyAnnIndexFromNpy : numpyAnnIndexFromSafetensors;
      let error: unknown;
      try {
        track(load(bytes, { kernels: 'js' }));
      } catch (e) {
        error = e;
      }
      expect(error, `case ${i}`).toBeInstanceOf(CorruptFileError);
    }
    for (let cut = 0; cut < good.length; cut += 97) {
      expect(() => numpyAnnIndexFromSafetensors(good.subarray(0, cut))).toThrow(CorruptFileError);
    }
    const random = new SeededRandom(9);
    for (let trial = 0; trial < 50; trial++) {
      const bytes = good.slice();
      bytes[random.nextInt(bytes.length)] = random.nextInt(256);
      try {
        track(numpyAnnIndexFromSafetensors(bytes, { kernels: 'js' }));
      } catch (error) {
        expect(isVectorSearchError(error)).toBe(true);
      }
    }
  });

  it.each<[number, Pick<NumpyAnnIndexOptions, 'center' | 'rerank'>]>([
    [1, { center: true }],
    [1, { center: true, rerank: 3 }],
    [1, { rerank: 2 }],
    [4, { rerank: 3 }],
    [8, { center: true }],
  ])('safetensors round trip of %i-bit codes with %o (format version 2)', (quantize, extensions) => {
    const index = build(quantize, extensions);
    const bytes = numpyAnnIndexToSafetensors(index);
    const { tensors, metadata } = parseSafetensors(bytes);
    expect(metadata.version).toBe('2');
    expect(tensors.has('mean')).toBe(quantize === 1 && extensions.center === true);
    expect(tensors.get('rows')?.shape).toEqual(extensions.rerank ? [40, dim] : undefined);
    const loaded = track(numpyAnnIndexFromSafetensors(bytes, { kernels: 'js' }));
    expect(loaded.center).toBe(extensions.center ?? false);
    expect(loaded.rerank).toBe(extensions.rerank);
    expect(loaded.count()).toBe(37);
    expect(loaded.search(queries, 40)).toEqual(index.search(queries, 40));
    // appended rows use the saved mean / grid and keep their float rows for rerank
    loaded.append(data.subarray(0, dim));
    index.append(data.subarray(0, dim));
    expect(loaded.search(queries, 40)).toEqual(index.search(queries, 40));
    expect(loaded.isDeleted(17)).toBe(true);
  });

  it('plain files stay format version 1', () => {
    expect(parseSafetensors(numpyAnnIndexToSafetensors(build(4))).metadata.version).toBe('1');
  });

  it('center and rerank refuse the txtai .npy layout with UnsupportedOperationError', () => {
    expect(() => numpyAnnIndexToNpy(build(1, { center: true }))).toThrow(UnsupportedOperationError);
    expect(() => numpyAnnIndexToNpy(build(1, { rerank: 2 }))).toThrow(UnsupportedOperationError);
    const npy = numpyAnnIndexToNpy(build(1));
    expect(() => numpyAnnIndexFromNpy(npy, { quantize: 1, dim, center: true })).toThrow(UnsupportedOperationError);
    expect(() => numpyAnnIndexFromNpy(npy, { quantize: 1, dim, rerank: 4 })).toThrow(UnsupportedOperationError);
  });

  it('corrupt or inconsistent version-2 files give CorruptFileError', () => {
    const good = numpyAnnIndexToSafetensors(build(1, { center: true, rerank: 2 }));
    const { metadata } = parseSafetensors(good);
    const rewrite = (changes: Record<string, unknown>, meta: Record<string, string> = metadata) => rewriteSafetensors(good, changes, meta);
    const nanRows = new Float32Array(40 * dim);
    nanRows[5] = Number.NaN;
    const cases: [string, Uint8Array][] = [
      ['no mean', rewrite({ mean: undefined })],
      ['short mean', rewrite({ mean: { dtype: 'F32', shape: [dim - 1], data: new Float32Array(dim - 1) } })],
      ['infinite mean', rewrite({ mean: { dtype: 'F32', shape: [dim], data: new Float32Array(dim).fill(Infinity) } })],
      ['no rows', rewrite({ rows: undefined })],
      ['rows of the wrong shape', rewrite({ rows: { dtype: 'F32', shape: [39, dim], data: new Float32Array(39 * dim) } })],
      ['rows of the wrong dtype', rewrite({ rows: { dtype: 'F64', shape: [40, dim], data: new Float64Array(40 * dim) } })],
      ['NaN in rows', rewrite({ rows: { dtype: 'F32', shape: [40, dim], data: nanRows } })],
      ['bad center', rewrite({}, { ...metadata, center: 'yes' })],
      ['no rerank', rewrite({}, Object.fromEntries(Object.entries(metadata).filter(([key]) => key !== 'rerank')))],
      ['bad rerank', rewrite({}, { ...metadata, rerank: '1.5' })],
      ['empty rerank', rewrite({}, { ...metadata, rerank: '' })],
      ['huge rerank', rewrite({}, { ...metadata, rerank: '5000' })],
      ['center on float rows', numpyAnnIndexToSafetensors(build())],
    ];
    cases[cases.length - 1]![1] = (() => {
      const float = parseSafetensors(cases[cases.length - 1]![1]);
      const entries = Object.fromEntries([...float.tensors].map(([name, t]) => [name, { dtype: t.dtype, shape: t.shape, data: t.data }]));
      return encodeSafetensors(entries as never, { ...float.metadata, version: '2', center: 'true', rerank: '0' });
    })();
    for (const [name, bytes] of cases) {
      expect(() => track(numpyAnnIndexFromSafetensors(bytes, { kernels: 'js' })), name).toThrow(CorruptFileError);
    }
  });
});

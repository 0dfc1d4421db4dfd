import { CorruptFileError, DimensionMismatchError, InvalidArgumentError, SeededRandom, isVectorSearchError } from '@quiver/core-math';
import { encodeNpz, parseNpz } from '@quiver/io-formats';
import { afterEach, describe, expect, it } from 'vitest';
import { NumpyVectorStore, type VectorHit } from './numpy-vector-store.js';

type Meta = { title: string };
const created: NumpyVectorStore<unknown>[] = [];
function store<M = Meta>(dimensions = 3, normalize = true): NumpyVectorStore<M> {
  const s = new NumpyVectorStore<M>({ dimensions, normalize, kernels: 'js' });
  created.push(s as NumpyVectorStore<unknown>);
  return s;
}
afterEach(() => {
  for (const s of created.splice(0)) s.dispose();
});

const axes = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
];
const axisMeta = [{ title: 'x-axis' }, { title: 'y-axis' }, { title: 'z-axis' }];
const indexes = (hits: VectorHit<unknown>[]) => hits.map((h) => h.index);

/** Brute force in float64, the library's definition of each value. */
function reference(rows: number[][], query: number[], metric: 'cosine' | 'dot' | 'euclidean', normalize: boolean): number[] {
  const unit = (v: number[]) => {
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const stored = normalize ? rows.map(unit) : rows;
  const q = metric === 'cosine' || normalize ? unit(query) : query;
  return stored.map((row) => {
    if (metric === 'euclidean') return Math.hypot(...row.map((x, j) => x - q[j]!));
    const dot = row.reduce((s, x, j) => s + x * q[j]!, 0);
    return metric === 'cosine' ? dot / Math.hypot(...row) : dot;
  });
}

describe('NumpyVectorStore', () => {
  it('runs the library quick start: cosine hits with index, value and metadata', () => {
    const s = store();
    s.add(axes, axisMeta);
    const hits = s.cosineSearch([0.9, 0.1, 0], { topK: 2 });
    expect(hits.map((h) => h.metadata.title)).toEqual(['x-axis', 'y-axis']);
    expect(hits[0]!.value).toBeCloseTo(0.9 / Math.hypot(0.9, 0.1), 6);
    expect(s.size).toBe(3);
  });

  it.each([
    ['cosine', true],
    ['dot', true],
    ['euclidean', true],
    ['cosine', false],
    ['dot', false],
    ['euclidean', false],
  ] as const)('%s search (normalize %s) matches a float64 brute force, order and values', (metric, normalize) => {
    const rng = new SeededRandom(11);
    const rows = Array.from({ length: 60 }, () => Array.from({ length: 5 }, () => rng.nextGaussian() * 3));
    const query = Array.from({ length: 5 }, () => rng.nextGaussian());
    const s = store<number>(5, normalize);
    s.add(rows, rows.map((_, i) => i));
    const values = reference(rows, query, metric, normalize);
    const order = values.map((v, i) => [v, i] as const).sort((a, b) => (metric === 'euclidean' ? a[0] - b[0] : b[0] - a[0]) || a[1] - b[1]);
    const search = metric === 'cosine' ? s.cosineSearch : metric === 'dot' ? s.dotSearch : s.euclideanSearch;
    const hits = search.call(s, query, { topK: 7 });
    expect(indexes(hits)).toEqual(order.slice(0, 7).map(([, i]) => i));
    hits.forEach((hit, i) => {
      expect(hit.value).toBeCloseTo(order[i]![0], 4);
      expect(hit.metadata).toBe(hit.index);
    });
  });

  it('breaks exact ties by ascending row index, also across the topK boundary and within withinRows', () => {
    const s = store<number>(2);
    s.add(
      [
        [0, 1],
        [1, 0],
        [0, 1],
        [1, 0],
        [1, 0],
      ],
      [0, 1, 2, 3, 4],
    );
    expect(indexes(s.cosineSearch([1, 0], { topK: 2 }))).toEqual([1, 3]);
    expect(indexes(s.euclideanSearch([1, 0], { topK: 4 }))).toEqual([1, 3, 4, 0]);
    expect(indexes(s.dotSearch([1, 0], { withinRows: [4, 0, 3] }))).toEqual([3, 4, 0]);
    expect(indexes(s.dotSearch([1, 0], { withinRows: [3, 4, 0] }))).toEqual([3, 4, 0]);
  });

  it('minValue and maxValue keep values on the right side of the threshold, inclusive', () => {
    const s = store();
    s.add(axes, axisMeta);
    expect(indexes(s.cosineSearch([0.9, 0.1, 0], { topK: 3, minValue: 0.8 }))).toEqual([0]);
    expect(s.cosineSearch([1, 0, 0], { minValue: 1 })).toHaveLength(1);
    expect(indexes(s.euclideanSearch([1, 0, 0], { maxValue: Math.SQRT2 + 1e-6 }))).toEqual([0, 1, 2]);
    expect(indexes(s.euclideanSearch([1, 0, 0], { maxValue: 1 }))).toEqual([0]);
    expect(s.dotSearch([-1, 0, 0], { minValue: 0.5 })).toEqual([]);
  });

  it('withinRows restricts the search; an empty list gives no hits', () => {
    const s = store();
    s.add(axes, axisMeta);
    expect(indexes(s.cosineSearch([1, 0, 0], { withinRows: [1, 2] }))).toEqual([1, 2]);
    expect(indexes(s.cosineSearch([1, 0, 0], { withinRows: new Int32Array([2, 2]) }))).toEqual([2]);
    expect(s.cosineSearch([1, 0, 0], { withinRows: [] })).toEqual([]);
  });

  it('raw stores keep magnitude for dot and euclidean and allow zero vectors', () => {
    const s = store<string>(2, false);
    s.add(
      [
        [3, 4],
        [0, 0],
        [1, 0],
      ],
      ['a', 'zero', 'b'],
    );
    expect(s.dotSearch([1, 0])[0]).toEqual({ index: 0, value: 3, metadata: 'a' });
    expect(s.euclideanSearch([0, 0], { topK: 1 })[0]).toEqual({ index: 1, value: 0, metadata: 'zero' });
    expect(s.get(0)!.vector).toEqual(new Float32Array([3, 4]));
    // cosine is undefined for the zero row unless withinRows leaves it out
    expect(() => s.cosineSearch([1, 0])).toThrow(InvalidArgumentError);
    expect(indexes(s.cosineSearch([1, 0], { withinRows: [0, 2] }))).toEqual([2, 0]);
    s.add([[0, 2]], ['c']);
    expect(indexes(s.cosineSearch([0, 1], { withinRows: [0, 2, 3] }))).toEqual([3, 0, 2]);
  });

  it('get returns the stored (normalized) vector and metadata, undefined out of range; clear empties', () => {
    const s = store();
    s.add([[3, 0, 4]], [{ title: 'a' }]);
    expect(s.get(0)).toEqual({ vector: new Float32Array([0.6, 0, 0.8]), metadata: { title: 'a' } });
    expect(s.get(1)).toBeUndefined();
    expect(s.get(-1)).toBeUndefined();
    s.clear();
    expect(s.size).toBe(0);
    expect(s.cosineSearch([1, 0, 0])).toEqual([]);
  });

  it('validates arguments the way the library does, with typed errors', () => {
    const s = store();
    s.add(axes, axisMeta);
    expect(() => new NumpyVectorStore({ dimensions: 0 })).toThrow(InvalidArgumentError);
    expect(() => s.add([1, 2, 3] as never, [{ title: 'x' }])).toThrow(InvalidArgumentError); // 1-D
    expect(() => s.add([[1, 2]], [{ title: 'x' }])).toThrow(DimensionMismatchError);
    expect(() => s.add([[1, 2, 3], [1, 2]], axisMeta.slice(0, 2))).toThrow(DimensionMismatchError);
    expect(() => s.add([[1, 2, 3]], axisMeta)).toThrow(InvalidArgumentError); // length mismatch
    expect(() => s.add([[1, 2, 3]], 'x' as never)).toThrow(InvalidArgumentError);
    expect(() => s.add([[1, Number.NaN, 3]], [{ title: 'x' }])).toThrow(InvalidArgumentError);
    expect(() => s.add([[1, 1e39, 3]], [{ title: 'x' }])).toThrow(InvalidArgumentError); // not finite as float32
    expect(() => s.add([[0, 0, 0]], [{ title: 'x' }])).toThrow(InvalidArgumentError); // zero under normalize
    expect(() => s.add([], [])).toThrow(InvalidArgumentError);
    expect(s.size).toBe(3); // nothing was half-added
    expect(() => s.cosineSearch([1, 0])).toThrow(DimensionMismatchError);
    expect(() => s.cosineSearch([[1, 0, 0]] as never)).toThrow(InvalidArgumentError);
    expect(() => s.cosineSearch([1, Infinity, 0])).toThrow(InvalidArgumentError);
    expect(() => s.cosineSearch([0, 0, 0])).toThrow(InvalidArgumentError);
    expect(() => s.euclideanSearch([0, 0, 0])).toThrow(InvalidArgumentError); // normalized store
    for (const topK of [0, -1, 1.5, Number.NaN]) expect(() => s.cosineSearch([1, 0, 0], { topK })).toThrow(InvalidArgumentError);
    expect(() => s.cosineSearch([1, 0, 0], { minValue: Number.NaN })).toThrow(InvalidArgumentError);
    expect(() => s.euclideanSearch([1, 0, 0], { maxValue: Infinity })).toThrow(InvalidArgumentError);
    expect(() => s.cosineSearch([1, 0, 0], { withinRows: [3] })).toThrow(InvalidArgumentError);
    expect(() => s.cosineSearch([1, 0, 0], { withinRows: [-1] })).toThrow(InvalidArgumentError);
    expect(() => s.cosineSearch([1, 0, 0], { withinRows: [0.5] })).toThrow(InvalidArgumentError);
    expect(() => s.get(0.5)).toThrow(InvalidArgumentError);
    // The library checks the query before anything else: an empty store still rejects a bad query.
    const empty = store();
    expect(() => empty.cosineSearch([1, 0])).toThrow(DimensionMismatchError);
    expect(empty.cosineSearch([0, 0, 0])).toEqual([]);
  });
});

describe('NumpyVectorStore .npz', () => {
  it('round trips vectors, configuration and JSON metadata', () => {
    const s = store<unknown>(2, false);
    const metadata = [{ title: 'a', tags: ['x', 1, null, true] }, 'plain', 7, [1, [2]]];
    s.add(
      [
        [3, 4],
        [0, 0],
        [1, 0],
        [-1, 2],
      ],
      metadata,
    );
    for (const compress of [false, true]) {
      const loaded = NumpyVectorStore.fromNpz(s.toNpz({ compress }), { kernels: 'js' });
      created.push(loaded);
      expect(loaded.normalize).toBe(false);
      expect(loaded.dimensions).toBe(2);
      expect(loaded.metadata).toEqual(metadata);
      expect(loaded.dotSearch([1, 1], { topK: 4 })).toEqual(s.dotSearch([1, 1], { topK: 4 }));
    }
    const empty = NumpyVectorStore.fromNpz(store().toNpz());
    created.push(empty);
    expect(empty.size).toBe(0);
    expect(empty.dimensions).toBe(3);
  });

  it('writes the library fields with numpy dtypes', () => {
    const s = store();
    s.add(axes, axisMeta);
    const arrays = parseNpz(s.toNpz());
    expect([...arrays.keys()].sort()).toEqual(['dimensions', 'format_version', 'metadata_json', 'normalize', 'vectors']);
    expect(arrays.get('format_version')).toMatchObject({ dtype: 'int64', shape: [] });
    expect(arrays.get('normalize')).toMatchObject({ dtype: 'bool', shape: [] });
    expect(arrays.get('vectors')).toMatchObject({ dtype: 'float32', shape: [3, 3] });
    expect(JSON.parse(new TextDecoder().decode(arrays.get('metadata_json')!.data as Uint8Array))).toEqual(axisMeta);
  });

  it('refuses metadata that JSON would change', () => {
    for (const bad of [undefined, Number.NaN, new Date(0), { f: () => 1 }, 1n, [undefined]]) {
      const s = store<unknown>();
      s.add([[1, 0, 0]], [bad]);
      expect(() => s.toNpz()).toThrow(InvalidArgumentError);
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const s = store<unknown>();
    s.add([[1, 0, 0]], [cyclic]);
    expect(() => s.toNpz()).toThrow(InvalidArgumentError);
  });

  it('rejects malformed archives with CorruptFileError', () => {
    const s = store();
    s.add(axes, axisMeta);
    const arrays = parseNpz(s.toNpz());
    const entries = () => Object.fromEntries(arrays) as Record<string, unknown>;
    const text = (value: string) => ({ dtype: 'uint8', shape: [new TextEncoder().encode(value).length], data: new TextEncoder().encode(value) });
    const variants: Record<string, unknown>[] = [
      { ...entries(), metadata_json: undefined },
      { ...entries(), extra: { shape: [1], data: new Uint8Array(1) } },
      { ...entries(), format_version: { dtype: 'int64', shape: [], data: new BigInt64Array([2n]) } },
      { ...entries(), dimensions: { dtype: 'int64', shape: [], data: new BigInt64Array([4n]) } },
      { ...entries(), dimensions: { dtype: 'float64', shape: [], data: new Float64Array([3]) } },
      { ...entries(), normalize: { dtype: 'int64', shape: [], data: new BigInt64Array([1n]) } },
      { ...entries(), vectors: { dtype: 'float64', shape: [3, 3], data: new Float64Array(9) } },
      { ...entries(), vectors: { dtype: 'float32', shape: [9], data: new Float32Array(9) } },
      { ...entries(), vectors: { dtype: 'float32', shape: [3, 3], data: new Float32Array(9).fill(Number.NaN) } },
      { ...entries(), vectors: { dtype: 'float32', shape: [3, 3], data: new Float32Array(9) } }, // zero rows under normalize
      { ...entries(), metadata_json: text('[1, 2]') },
      { ...entries(), metadata_json: text('{"a": 1}') },
      { ...entries(), metadata_json: text('[1, 2, ') },
    ];
    for (const [i, variant] of variants.entries()) {
      for (const key of Object.keys(variant)) if (variant[key] === undefined) delete variant[key];
      expect(() => NumpyVectorStore.fromNpz(encodeNpz(variant as never)), `variant ${i}`).toThrow(CorruptFileError);
    }
    const good = s.toNpz();
    const random = new SeededRandom(5);
    for (let trial = 0; trial < 60; trial++) {
      const bytes = good.slice(0, trial % 2 ? good.length : random.nextInt(good.length));
      if (trial % 2) bytes[random.nextInt(bytes.length)] = random.nextInt(256);
      try {
        created.push(NumpyVectorStore.fromNpz(bytes));
      } catch (error) {
        expect(isVectorSearchError(error)).toBe(true);
      }
    }
  });
});

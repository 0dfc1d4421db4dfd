import {
  CapacityError,
  CorruptFileError,
  DimensionMismatchError,
  InvalidArgumentError,
  METRICS,
  SECTION_OPTIONAL,
  SlotBitset,
  SlotList,
  UnsupportedOperationError,
  decodeEnvelope,
  encodeEnvelope,
  exactScan,
  getKernels,
  wasmAvailable,
  type DenseRows,
  type EnvelopeSpec,
  type ExactScanOptions,
  type KernelChoice,
  type Metric,
  type ScanExecutor,
} from '@quiver/core-math';
import { bruteForceTopK, compareWithBruteForce, gaussianMixture } from '@quiver/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { FlatIndex } from './flat-index.js';
import { flatIndexCodec, loadFlatIndex } from './flat-codec.js';

const backends: KernelChoice[] = wasmAvailable() ? ['js', 'wasm'] : ['js'];
const created: FlatIndex[] = [];
function flat(dim: number, metric: Metric | string = 'cosine', kernels: KernelChoice = 'js'): FlatIndex {
  const index = new FlatIndex({ dim, metric, kernels });
  created.push(index);
  return index;
}
afterEach(() => {
  for (const index of created.splice(0)) index.dispose();
});

function data(n: number, dim: number, seed = 1): Float32Array {
  return gaussianMixture({ n, dim, clusters: 5, seed });
}
function queriesFor(n: number, dim: number, seed = 1): Float32Array {
  return gaussianMixture({ n, dim, clusters: 5, seed, sampleSeed: seed + 77 });
}

describe.each(backends)('FlatIndex exactness (%s kernels)', (kernels) => {
  for (const metric of METRICS) {
    for (const dim of [1, 3, 16, 128, 768]) {
      it(`${metric}, dim ${dim}: matches float64 brute force`, () => {
        const n = dim >= 768 ? 300 : 1000;
        const rows = data(n, dim, dim);
        const queries = queriesFor(dim >= 128 ? 8 : 40, dim, dim);
        const index = flat(dim, metric, kernels);
        index.add(rows);
        expect(compareWithBruteForce(index.search(queries, 10), rows, queries, dim, metric)).toEqual([]);
      });
    }
  }
});

describe('FlatIndex search options', () => {
  const dim = 16;
  const rows = data(2000, dim);
  const queries = queriesFor(12, dim);

  it('a selective filter scores only admitted slots and still returns min(k, admitted)', () => {
    const index = flat(dim, 'l2');
    index.add(rows);
    const admitted = [3, 99, 512, 1024, 1999];
    for (const filter of [new SlotList(admitted), SlotBitset.fromSlots(2000, admitted)]) {
      const result = index.search(queries, 10, { filter });
      expect([...result.counts]).toEqual(Array(12).fill(5));
      expect(compareWithBruteForce(result, rows, queries, dim, 'l2', { filter })).toEqual([]);
    }
    const shortBitset = SlotBitset.fromSlots(100, [3, 99]);
    expect([...index.search(queries, 10, { filter: shortBitset }).counts]).toEqual(Array(12).fill(2));
  });

  it('minScore / maxScore keep exactly the scores in range', () => {
    const index = flat(dim, 'dot');
    index.add(rows);
    const result = index.search(queries, 40, { minScore: 11, maxScore: 20 });
    expect(compareWithBruteForce(result, rows, queries, dim, 'dot', { minScore: 11, maxScore: 20 })).toEqual([]);
    const truth = bruteForceTopK(rows, queries, dim, 40, 'dot', { minScore: 11, maxScore: 20 });
    expect(truth.counts.some((count) => count > 0 && count < 40)).toBe(true); // the bounds really cut
    expect(index.search(queries, 40, { maxScore: -1e9 }).counts.every((count) => count === 0)).toBe(true);
  });

  it('validates options', () => {
    const index = flat(dim);
    index.add(rows.subarray(0, 10 * dim));
    const q = queries.subarray(0, dim);
    expect(() => index.search(q, 1, { minScore: NaN })).toThrow(InvalidArgumentError);
    expect(() => index.search(q, 2 ** 30)).toThrow(CapacityError);
    expect(() => index.search(q, 1, { filter: {} as never })).toThrow(InvalidArgumentError);
    expect(() => index.search(new Float32Array(dim), 1)).toThrow(InvalidArgumentError); // zero query under cosine
    expect(() => index.add(new Float32Array(dim))).toThrow(InvalidArgumentError); // zero vector under cosine
    expect(index.size).toBe(10);
  });

  it('returns the lower slot first among equal scores', () => {
    const index = flat(2, 'dot');
    index.add(new Float32Array([1, 0, 2, 0, 1, 0, 2, 0, 1, 0]));
    const result = index.search(new Float32Array([1, 0]), 4);
    expect([...result.slots]).toEqual([1, 3, 0, 2]);
    expect([...result.scores]).toEqual([2, 2, 1, 1]);
  });
});

describe('FlatIndex construction and storage', () => {
  it('validates options and accepts metric aliases', () => {
    expect(() => new FlatIndex({ dim: 0 })).toThrow(InvalidArgumentError);
    expect(() => new FlatIndex({ dim: 2.5 })).toThrow(InvalidArgumentError);
    expect(() => new FlatIndex({ dim: 4, metric: 'manhattan' })).toThrow(InvalidArgumentError);
    expect(() => new FlatIndex({ dim: 4, initialCapacity: -1 })).toThrow(InvalidArgumentError);
    expect(flat(4, 'euclidean').metric).toBe('l2');
    expect(flat(4, 'ip').metric).toBe('dot');
    expect(flat(4).metric).toBe('cosine');
    expect(flat(4).bytesPerVector).toBe(16);
    expect(flat(4).kind).toBe('flat');
  });

  it('grows geometrically and keeps every row across reallocations', () => {
    const dim = 7;
    const rows = data(3000, dim);
    const index = flat(dim, 'l2');
    const capacities = new Set<number>();
    for (let i = 0; i < 3000; i += 100) {
      expect(index.add(rows.subarray(i * dim, (i + 100) * dim))).toBe(i);
      capacities.add(index.capacity);
    }
    expect(capacities.size).toBeLessThan(15); // geometric, not one block per add
    expect(index.rowsView()).toEqual(rows);
    expect([...index.reconstruct(2999)]).toEqual([...rows.subarray(2999 * dim)]);
    const reserved = new FlatIndex({ dim, initialCapacity: 500 });
    created.push(reserved);
    expect(reserved.capacity).toBeGreaterThanOrEqual(500);
  });

  it('stores normalized copies under cosine and leaves the input untouched', () => {
    const index = flat(2);
    const input = new Float32Array([3, 4]);
    index.add(input);
    expect([...input]).toEqual([3, 4]);
    expect([...index.reconstruct(0)]).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    const out = new Float32Array(2);
    expect(index.reconstruct(0, out)).toBe(out);
    expect(() => index.reconstruct(0, new Float32Array(3))).toThrow(DimensionMismatchError);
    expect(() => index.reconstruct(1)).toThrow(InvalidArgumentError);
  });

  it('dispose frees the arena block and blocks further use', () => {
    const index = new FlatIndex({ dim: 64, kernels: 'js' });
    const arena = getKernels('js').arena;
    const before = arena.bytesInUse;
    index.add(data(1000, 64));
    expect(arena.bytesInUse).toBeGreaterThanOrEqual(before + 1000 * 64 * 4);
    index.dispose();
    expect(arena.bytesInUse).toBe(before);
    index.dispose(); // idempotent
    expect(() => index.search(new Float32Array(64).fill(1), 1)).toThrow(UnsupportedOperationError);
    expect(() => index.add(new Float32Array(64).fill(1))).toThrow(UnsupportedOperationError);
    const disposeSymbol = (Symbol as { dispose?: symbol }).dispose;
    if (disposeSymbol) {
      const other = new FlatIndex({ dim: 4, kernels: 'js' });
      other.add(new Float32Array([1, 2, 3, 4]));
      (other as unknown as Record<symbol, () => void>)[disposeSymbol]!();
      expect(() => other.search(new Float32Array(4).fill(1), 1)).toThrow(UnsupportedOperationError);
    }
  });
});

describe('FlatIndex removal', () => {
  const dim = 3;
  const rows = data(10, dim);

  it('remove tombstones without renumbering; compact renumbers and returns the map', () => {
    const index = flat(dim, 'l2');
    index.add(rows);
    expect(index.remove(3)).toBe(true);
    expect(index.remove(3)).toBe(false);
    expect(index.remove(7)).toBe(true);
    expect(index.isRemoved(3)).toBe(true);
    expect(index.isRemoved(4)).toBe(false);
    expect(() => index.remove(10)).toThrow(InvalidArgumentError);
    expect(() => index.remove(-1)).toThrow(InvalidArgumentError);
    expect(() => index.reconstruct(3)).toThrow(InvalidArgumentError);
    expect([index.size, index.slotCount]).toEqual([8, 10]);
    const map = index.compact();
    expect([...map]).toEqual([0, 1, 2, -1, 3, 4, 5, -1, 6, 7]);
    expect([index.size, index.slotCount]).toEqual([8, 8]);
    expect([...index.reconstruct(3)]).toEqual([...rows.subarray(4 * dim, 5 * dim)]);
    expect(index.isRemoved(3)).toBe(false);
    expect(index.add(rows.subarray(0, dim))).toBe(8);
  });

  it('swapRemove moves the last live slot, dropping trailing tombstones', () => {
    const index = flat(dim, 'l2');
    index.add(rows); // slots 0..9
    index.remove(9);
    index.remove(8);
    index.remove(2);
    // Trailing tombstones 8, 9 are dropped, so the last live slot is 7.
    expect(index.swapRemove(0)).toBe(7);
    expect([...index.reconstruct(0)]).toEqual([...rows.subarray(7 * dim, 8 * dim)]);
    expect([index.size, index.slotCount]).toEqual([6, 7]);
    expect(index.isRemoved(2)).toBe(true); // interior tombstones stay
    expect(() => index.swapRemove(2)).toThrow(InvalidArgumentError);
    // Removing the last live slot returns -1, then the tombstone now at the end goes too.
    index.remove(5);
    expect(index.swapRemove(6)).toBe(-1);
    expect([index.size, index.slotCount]).toEqual([4, 5]);
    expect(index.isRemoved(4)).toBe(false);
    // Dropped slot numbers are reused by the next add.
    expect(index.add(rows.subarray(0, dim))).toBe(5);
    const result = index.search(rows, 10);
    for (const slot of result.slots) expect(slot === 2).toBe(false);
  });
});

describe('FlatIndex searchAsync', () => {
  const dim = 8;
  const rows = data(200, dim);
  const queries = queriesFor(5, dim);

  /** An executor that defers the scan to a later task, like a worker pool. */
  function deferredExecutor(): ScanExecutor & { calls: ExactScanOptions[] } {
    const calls: ExactScanOptions[] = [];
    return {
      threads: 1,
      calls,
      exactScan: async (denseRows: DenseRows, metric: Metric, q: Float32Array, k: number, options?: ExactScanOptions) => {
        calls.push(options ?? {});
        await new Promise((resolve) => setTimeout(resolve, 1));
        return exactScan(getKernels('js'), denseRows, metric, q, k, options);
      },
    };
  }

  it('runs through the executor with the same result as search', async () => {
    const index = flat(dim, 'cosine');
    index.add(rows);
    index.remove(4);
    const executor = deferredExecutor();
    const filter = new SlotList([1, 4, 5, 9, 100]);
    const expected = index.search(queries, 3, { filter });
    await expect(index.searchAsync(queries, 3, { filter, executor })).resolves.toEqual(expected);
    expect(executor.calls[0]!.allowedCount).toBe(4);
    await expect(index.searchAsync(queries, 3)).resolves.toEqual(index.search(queries, 3));
    await expect(index.searchAsync(queries, 0, { executor })).rejects.toThrow(InvalidArgumentError);
  });

  it('refuses to move rows while an executor reads them', async () => {
    const index = flat(dim, 'l2');
    index.add(rows);
    const pending = index.searchAsync(queries, 3, { executor: deferredExecutor() });
    expect(() => index.add(rows.subarray(0, dim))).toThrow(UnsupportedOperationError);
    expect(() => index.compact()).toThrow(UnsupportedOperationError);
    expect(() => index.dispose()).toThrow(UnsupportedOperationError);
    expect(index.remove(1)).toBe(true); // a tombstone moves nothing
    await pending;
    expect(index.add(rows.subarray(0, dim))).toBe(200);
  });
});

describe('FlatIndex persistence', () => {
  const dim = 5;
  const rows = data(100, dim);
  const queries = queriesFor(6, dim);

  it('round-trips rows, tombstones and metric with identical search results', () => {
    for (const metric of METRICS) {
      const index = flat(dim, metric);
      index.add(rows);
      for (const slot of [0, 33, 99]) index.remove(slot);
      const loaded = loadFlatIndex(index.toBytes(), { kernels: 'js' });
      created.push(loaded);
      expect([loaded.metric, loaded.dim, loaded.size, loaded.slotCount]).toEqual([metric, dim, 97, 100]);
      expect(loaded.isRemoved(33)).toBe(true);
      expect(loaded.rowsView()).toEqual(index.rowsView());
      expect(loaded.search(queries, 7)).toEqual(index.search(queries, 7));
      // toChunks writes the same bytes.
      const chunks = [...index.toChunks()];
      expect(Buffer.concat(chunks)).toEqual(Buffer.from(index.toBytes()));
    }
    const empty = flat(dim, 'l2');
    const reloaded = flatIndexCodec.load(empty.toBytes());
    created.push(reloaded);
    expect([reloaded.size, reloaded.dim]).toEqual([0, dim]);
  });

  function flatSpec(overrides: Partial<EnvelopeSpec> = {}): EnvelopeSpec {
    return {
      kind: 'FLAT',
      formatMajor: 1,
      formatMinor: 0,
      metric: 'l2',
      scalar: 'f',
      dim: 2,
      count: 3,
      sections: [
        { tag: 'ROWS', data: new Float32Array([1, 2, 3, 4, 5, 6]) },
        { tag: 'TOMB', data: new Uint32Array([0]) },
      ],
      ...overrides,
    };
  }

  function expectCorrupt(bytes: Uint8Array, reason: string): void {
    let error: unknown;
    try {
      loadFlatIndex(bytes);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CorruptFileError);
    expect((error as CorruptFileError).reason).toBe(reason);
  }

  it('accepts a hand-built file and skips unknown optional sections', () => {
    const spec = flatSpec();
    const bytes = encodeEnvelope({ ...spec, formatMinor: 3, sections: [...spec.sections, { tag: 'XTRA', flags: SECTION_OPTIONAL, data: new Uint8Array(5) }] });
    const index = loadFlatIndex(bytes);
    created.push(index);
    expect([...index.reconstruct(2)]).toEqual([5, 6]);
  });

  it('rejects files that are well-formed envelopes but not valid FlatIndexes', () => {
    const spec = flatSpec();
    expectCorrupt(encodeEnvelope({ ...spec, kind: 'HNSW' }), 'kind');
    expectCorrupt(encodeEnvelope({ ...spec, formatMajor: 2 }), 'version');
    expectCorrupt(encodeEnvelope({ ...spec, scalar: 'h' }), 'dtype');
    const { metric: _metric, ...noMetric } = spec;
    expectCorrupt(encodeEnvelope(noMetric), 'header');
    expectCorrupt(encodeEnvelope({ ...spec, dim: 0, count: 0, sections: [{ tag: 'ROWS', data: new Uint8Array(0) }, { tag: 'TOMB', data: new Uint8Array(0) }] }), 'header');
    expectCorrupt(encodeEnvelope({ ...spec, count: 4 }), 'header');
    expectCorrupt(encodeEnvelope({ ...spec, sections: [spec.sections[0]!] }), 'header');
    expectCorrupt(encodeEnvelope({ ...spec, sections: [spec.sections[0]!, { tag: 'TOMB', data: new Uint32Array([0b1000]) }] }), 'header');
    expectCorrupt(encodeEnvelope({ ...spec, sections: [{ tag: 'ROWS', data: new Float32Array([1, 2, 3, NaN, 5, 6]) }, spec.sections[1]!] }), 'header');
    // Every position (the four-at-a-time loop and the tail), both infinities and a NaN payload.
    for (const bad of [Infinity, -Infinity, NaN, new Float32Array(new Uint32Array([0xffc00001]).buffer)[0]!]) {
      for (let at = 0; at < 6; at++) {
        const rows = new Float32Array([1, 2, 3, 4, 5, 6]);
        rows[at] = bad;
        expectCorrupt(encodeEnvelope({ ...spec, sections: [{ tag: 'ROWS', data: rows }, spec.sections[1]!] }), 'header');
      }
    }
    // The largest finite values load.
    const extremes = new Float32Array([3.4028234663852886e38, -3.4028234663852886e38, 1e-45, -0, 0, 1]);
    expect([...loadFlatIndex(encodeEnvelope({ ...spec, sections: [{ tag: 'ROWS', data: extremes }, spec.sections[1]!] })).rowsView()]).toEqual([...extremes]);
    expectCorrupt(encodeEnvelope({ ...spec, sections: [...spec.sections, { tag: 'NEW!', data: new Uint8Array(1) }] }), 'unsupported');
    expectCorrupt(new Uint8Array(3), 'truncated');
    expectCorrupt(new TextEncoder().encode('not a quiver file at all, just some text'), 'magic');
  });

  it('writes the documented FLAT layout', () => {
    const index = flat(2, 'dot');
    index.add(new Float32Array([1, 2, 3, 4]));
    index.remove(1);
    const { header, sections } = decodeEnvelope(index.toBytes(), { kind: 'FLAT', maxMajor: 1 });
    expect(header).toMatchObject({ formatMajor: 1, formatMinor: 0, metric: 'dot', scalar: 'f', dim: 2, count: 2 });
    expect([...sections.keys()]).toEqual(['ROWS', 'TOMB']);
    expect(new Float32Array(sections.get('ROWS')!.slice().buffer)).toEqual(new Float32Array([1, 2, 3, 4]));
    expect([...new Uint32Array(sections.get('TOMB')!.slice().buffer)]).toEqual([0b10]);
  });
});

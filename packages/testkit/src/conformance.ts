import {
  CorruptFileError,
  DimensionMismatchError,
  InvalidArgumentError,
  METRICS,
  SeededRandom,
  SlotBitset,
  SlotList,
  type IndexCapabilities,
  type Metric,
  type SearchResult,
  type VectorIndex,
  type VectorIndexReader,
} from '@quiver/core-math';
import { afterEach, describe, expect, it } from 'vitest';
import { bruteForceTopK, compareWithBruteForce, recallAtK, type BruteForceOptions } from './brute-force.js';
import { gaussianMixture } from './generators.js';

export interface VectorIndexConformanceOptions {
  /** Shown as the outer `describe` name. */
  readonly name: string;
  /**
   * A new, empty index. `sample()` returns rows drawn like the test's data (the data itself), for
   * indexes that must be trained before `add` (IVF, PQ); other indexes ignore it.
   */
  create(dim: number, metric: Metric, sample: () => Float32Array): VectorIndex;
  /** Loads what `toBytes()` wrote; needed for the save/load and corruption tests. */
  load?(bytes: Uint8Array): VectorIndexReader;
  /** The capabilities the index must declare; tests of missing ones are skipped. */
  readonly capabilities: IndexCapabilities;
  /** Minimum recall@10 against brute force for approximate indexes (default 0.9; exact ones must match). */
  readonly recallAtK?: number;
  /** Metrics to run (default all). */
  readonly metrics?: readonly Metric[];
  /** Dimensions of the recall runs (default 1, 3, 16, 128; odd sizes catch kernel tails). */
  readonly dims?: readonly number[];
  /** Rows per generated dataset (default 600). */
  readonly size?: number;
  /**
   * Largest absolute difference `reconstruct` may show per coordinate, for indexes that store codes
   * rather than the vectors (default: equal to 5 decimal places).
   */
  readonly reconstructTolerance?: number;
  /** Dimension of the corrupt-bytes test's index (default 3); for formats that only hold some dimensions. */
  readonly serializationDim?: number;
  /**
   * Whether every single-bit flip must be detected (default true). Formats with reserved space no
   * checksum covers (turbovec's v7 container keeps an unused op-log region) set false; truncation is
   * still checked.
   */
  readonly detectsEveryBitFlip?: boolean;
}

const K = 10;
const QUERY_COUNT = 16;

/**
 * Quiver's shared index conformance suite, as vitest `describe`/`it` blocks: call it at the top
 * level of a `*.test.ts` file. Every index package runs it against its own index.
 */
export function describeVectorIndexConformance(options: VectorIndexConformanceOptions): void {
  const { capabilities: caps } = options;
  const metrics = options.metrics ?? METRICS;
  const dims = options.dims ?? [1, 3, 16, 128];
  const size = options.size ?? 600;
  const minRecall = options.recallAtK ?? 0.9;

  describe(`${options.name} (VectorIndex conformance)`, () => {
    const created: VectorIndexReader[] = [];
    const track = <T extends VectorIndexReader>(index: T): T => {
      created.push(index);
      return index;
    };
    const create = (dim: number, metric: Metric, seed = 7): VectorIndex => track(options.create(dim, metric, () => dataset(dim, seed).data));
    afterEach(() => {
      // Indexes may hold memory outside the JS heap (arena blocks); free it between tests.
      for (const index of created.splice(0)) (index as { dispose?: () => void }).dispose?.();
    });

    const dataset = (dim: number, seed = 7): { data: Float32Array; queries: Float32Array } => ({
      data: gaussianMixture({ n: size, dim, clusters: 6, seed }),
      queries: gaussianMixture({ n: QUERY_COUNT, dim, clusters: 6, seed, sampleSeed: seed + 1000 }),
    });

    /** Exact indexes must match brute force (tie-aware); approximate ones reach the recall bar. */
    const expectGoodResults = (found: SearchResult, data: Float32Array, queries: Float32Array, dim: number, metric: Metric, truthOptions: BruteForceOptions = {}): void => {
      if (caps.exact) {
        expect(compareWithBruteForce(found, data, queries, dim, metric, truthOptions)).toEqual([]);
      } else {
        const truth = bruteForceTopK(data, queries, dim, found.k, metric, truthOptions);
        expect(recallAtK(found, truth)).toBeGreaterThanOrEqual(minRecall);
      }
    };

    it('declares the expected capabilities', () => {
      expect(create(4, metrics[0]!).capabilities).toMatchObject(caps);
    });

    for (const metric of metrics) {
      describe(`metric ${metric}`, () => {
        it('searching an empty index gives padded empty results', () => {
          const index = create(4, metric);
          expect(index.size).toBe(0);
          const result = index.search(new Float32Array([1, 2, 3, 4, 4, 3, 2, 1]), 3);
          expect(result.queryCount).toBe(2);
          expect(result.k).toBe(3);
          expect([...result.counts]).toEqual([0, 0]);
          expect([...result.slots]).toEqual(Array(6).fill(-1));
          expect([...result.scores]).toEqual(Array(6).fill(-Infinity));
        });

        it('add returns consecutive first slots and k > size returns every vector', () => {
          const dim = 5;
          const { data, queries } = dataset(dim);
          const index = create(dim, metric);
          expect(index.add(data.subarray(0, 3 * dim))).toBe(0);
          expect(index.add(data.subarray(3 * dim, 7 * dim))).toBe(3);
          expect(index.size).toBe(7);
          expect(index.slotCount).toBe(7);
          const result = index.search(queries, 20);
          expect([...result.counts]).toEqual(Array(QUERY_COUNT).fill(7));
          expectGoodResults(result, data.subarray(0, 7 * dim), queries, dim, metric);
        });

        for (const dim of dims) {
          it(`finds the nearest neighbours in dim ${dim}`, () => {
            const { data, queries } = dataset(dim, dim);
            const index = create(dim, metric, dim);
            index.add(data);
            expect(index.size).toBe(size);
            expectGoodResults(index.search(queries, K), data, queries, dim, metric);
            // Single-query calls agree with the batch.
            const batch = index.search(queries, K);
            const single = index.search(queries.subarray(dim, 2 * dim), K);
            expect([...single.slots]).toEqual([...batch.slots.subarray(K, 2 * K)]);
          });
        }

        it('reconstruct returns the stored vector', () => {
          const dim = 6;
          const { data } = dataset(dim);
          const index = create(dim, metric);
          index.add(data.subarray(0, 10 * dim));
          const row = index.reconstruct(4);
          const expected = data.slice(4 * dim, 5 * dim);
          if (metric === 'cosine') {
            const length = Math.hypot(...expected);
            for (let j = 0; j < dim; j++) expected[j] = expected[j]! / length;
          }
          const tolerance = options.reconstructTolerance;
          for (let j = 0; j < dim; j++) {
            if (tolerance === undefined) expect(row[j]).toBeCloseTo(expected[j]!, 5);
            else expect(Math.abs(row[j]! - expected[j]!)).toBeLessThanOrEqual(tolerance);
          }
        });

        it('is deterministic', () => {
          const dim = 16;
          const { data, queries } = dataset(dim);
          const a = create(dim, metric);
          const b = create(dim, metric);
          a.add(data);
          b.add(data.subarray(0, 100 * dim));
          b.add(data.subarray(100 * dim));
          const first = a.search(queries, K);
          expect(a.search(queries, K)).toEqual(first);
          expect(b.search(queries, K)).toEqual(first);
        });

        it.skipIf(!caps.remove)('never returns a removed slot', () => {
          const dim = 8;
          const { data, queries } = dataset(dim);
          const index = create(dim, metric);
          index.add(data);
          const removed = new SlotBitset(size);
          // Remove the current best hits first: the strongest test that tombstones are honoured.
          const before = index.search(queries, 3);
          for (const slot of before.slots) if (slot >= 0 && !removed.has(slot)) removed.add(slot);
          for (let slot = 0; slot < size; slot += 3) if (!removed.has(slot)) removed.add(slot);
          for (let slot = 0; slot < size; slot++) if (removed.has(slot)) expect(index.remove!(slot)).toBe(true);
          expect(index.remove!(0)).toBe(false);
          expect(index.size).toBe(size - removed.count());
          expect(index.slotCount).toBe(size);
          if (index.isRemoved) expect(index.isRemoved(0)).toBe(true);
          const result = index.search(queries, K);
          for (const slot of result.slots) if (slot >= 0) expect(removed.has(slot)).toBe(false);
          expectGoodResults(result, data, queries, dim, metric, { removed });
          expect(() => index.remove!(size)).toThrow(InvalidArgumentError);
        });

        it.skipIf(!caps.swapRemove)('swapRemove moves the last vector into the hole', () => {
          const dim = 4;
          const { data } = dataset(dim);
          const index = create(dim, metric);
          index.add(data.subarray(0, 10 * dim));
          const last = index.reconstruct(9);
          expect(index.swapRemove!(2)).toBe(9);
          expect(index.size).toBe(9);
          expect(index.slotCount).toBe(9);
          expect([...index.reconstruct(2)]).toEqual([...last]);
          expect(index.swapRemove!(8)).toBe(-1);
          expect(index.size).toBe(8);
          const hit = index.search(last, 1);
          if (metric !== 'dot') expect(hit.slots[0]).toBe(2);
        });

        it.skipIf(!caps.compact || !caps.remove)('compact drops tombstones and returns the slot map', () => {
          const dim = 8;
          const { data, queries } = dataset(dim);
          const index = create(dim, metric);
          index.add(data);
          for (let slot = 1; slot < size; slot += 4) index.remove!(slot);
          const before = index.search(queries, K);
          const map = index.compact!();
          expect(map.length).toBe(size);
          expect(index.slotCount).toBe(index.size);
          let next = 0;
          for (let slot = 0; slot < size; slot++) expect(map[slot]).toBe(slot % 4 === 1 ? -1 : next++);
          const after = index.search(queries, K);
          expect([...after.slots]).toEqual([...before.slots].map((slot) => (slot < 0 ? -1 : map[slot]!)));
          expect([...after.scores]).toEqual([...before.scores]);
        });

        it.skipIf(!caps.filter)('filters restrict results to admitted slots', () => {
          const dim = 16;
          const { data, queries } = dataset(dim);
          const index = create(dim, metric);
          index.add(data);
          const random = new SeededRandom(3);
          const bitset = new SlotBitset(size);
          for (let slot = 0; slot < size; slot++) if (random.nextFloat() < 0.3) bitset.add(slot);
          const fromBitset = index.search(queries, K, { filter: bitset });
          expectGoodResults(fromBitset, data, queries, dim, metric, { filter: bitset });
          const list = new SlotList([5, 17, 200, 333, size + 10]);
          const fromList = index.search(queries, K, { filter: list });
          for (let q = 0; q < QUERY_COUNT; q++) {
            const slots = [...fromList.slots.subarray(q * K, q * K + fromList.counts[q]!)];
            expect(slots.every((slot) => list.has(slot))).toBe(true);
            if (caps.exact) expect(slots.length).toBe(4);
          }
          if (caps.exact) expectGoodResults(fromList, data, queries, dim, metric, { filter: list });
          const none = index.search(queries, K, { filter: new SlotBitset(size) });
          expect([...none.counts]).toEqual(Array(QUERY_COUNT).fill(0));
          const predicate = { has: (slot: number) => slot % 2 === 0 };
          const fromPredicate = index.search(queries, K, { filter: predicate });
          if (caps.exact) expect([...fromPredicate.counts]).toEqual(Array(QUERY_COUNT).fill(K));
          expectGoodResults(fromPredicate, data, queries, dim, metric, { filter: predicate });
        });

        it.skipIf(!caps.filter || !caps.remove)('filters and tombstones combine', () => {
          const dim = 8;
          const { data, queries } = dataset(dim);
          const index = create(dim, metric);
          index.add(data);
          const removed = SlotBitset.fromSlots(size, [0, 1, 2, 3]);
          for (const slot of [0, 1, 2, 3]) index.remove!(slot);
          const admitted = [0, 1, 2, 3, 4, 5];
          const predicate = { has: (slot: number) => admitted.includes(slot) };
          for (const filter of [new SlotList(admitted), SlotBitset.fromSlots(size, admitted), predicate]) {
            const result = index.search(queries, K, { filter });
            if (caps.exact) expect([...result.counts]).toEqual(Array(QUERY_COUNT).fill(2));
            expectGoodResults(result, data, queries, dim, metric, { filter, removed });
          }
        });

        it.skipIf(!caps.threshold)('minScore and maxScore bound the scores', () => {
          const dim = 16;
          const { data, queries } = dataset(dim);
          const index = create(dim, metric);
          index.add(data);
          const query = queries.subarray(0, dim);
          const truth = bruteForceTopK(data, query, dim, 50, metric);
          // Thresholds halfway between well-separated true scores, so float32 cannot flip them.
          const between = (i: number): number => (truth.scores[i]! + truth.scores[i + 1]!) / 2;
          const minScore = between(19);
          const maxScore = between(4);
          const bounded = index.search(query, 30, { minScore, maxScore });
          for (let i = 0; i < bounded.counts[0]!; i++) {
            expect(bounded.scores[i]!).toBeGreaterThanOrEqual(minScore);
            expect(bounded.scores[i]!).toBeLessThanOrEqual(maxScore);
          }
          if (caps.exact) {
            expect(bounded.counts[0]).toBe(15);
            expect([...bounded.slots.subarray(0, 15)]).toEqual([...truth.slots.subarray(5, 20)]);
          }
          expect(index.search(query, K, { minScore: maxScore, maxScore: minScore }).counts[0]).toBe(0);
        });

        it('rejects dimension mismatches with DimensionMismatchError', () => {
          const index = create(8, metric);
          expect(() => index.add(new Float32Array(12).fill(1))).toThrow(DimensionMismatchError);
          index.add(new Float32Array(16).fill(1));
          expect(() => index.search(new Float32Array(5).fill(1), 1)).toThrow(DimensionMismatchError);
          expect(index.size).toBe(2);
        });

        it('rejects NaN, Infinity, empty input and bad k with InvalidArgumentError', () => {
          const index = create(3, metric);
          index.add(new Float32Array([1, 2, 3]));
          for (const bad of [NaN, Infinity, -Infinity]) {
            expect(() => index.add(new Float32Array([1, 2, 3, 4, bad, 6]))).toThrow(InvalidArgumentError);
            expect(() => index.search(new Float32Array([1, bad, 3]), 1)).toThrow(InvalidArgumentError);
          }
          expect(() => index.add(new Float32Array(0))).toThrow(InvalidArgumentError);
          expect(() => index.search(new Float32Array(0), 1)).toThrow(InvalidArgumentError);
          expect(() => index.add([1, 2, 3] as unknown as Float32Array)).toThrow(InvalidArgumentError);
          for (const k of [0, -1, 1.5, NaN]) expect(() => index.search(new Float32Array([1, 2, 3]), k)).toThrow(InvalidArgumentError);
          expect(index.size).toBe(1); // failed adds leave no partial rows
        });

        it.skipIf(!caps.serialize || !options.load)('save → load → search gives identical results', () => {
          const dim = 16;
          const { data, queries } = dataset(dim);
          const index = create(dim, metric);
          index.add(data);
          if (caps.remove) for (let slot = 0; slot < size; slot += 7) index.remove!(slot);
          const bytes = index.toBytes!();
          const loaded = track(options.load!(bytes));
          expect(loaded.dim).toBe(dim);
          expect(loaded.metric).toBe(metric);
          expect(loaded.size).toBe(index.size);
          expect(loaded.slotCount).toBe(index.slotCount);
          expect(loaded.search(queries, K)).toEqual(index.search(queries, K));
          expect([...loaded.reconstruct(1)]).toEqual([...index.reconstruct(1)]);
          const filter = new SlotList([1, 2, 3, 50, 51]);
          expect(loaded.search(queries, K, { filter })).toEqual(index.search(queries, K, { filter }));
        });

        it.skipIf(!caps.serialize || !options.load)('corrupt or truncated bytes give CorruptFileError', () => {
          const dim = options.serializationDim ?? 3;
          const index = create(dim, metric);
          index.add(dataset(dim).data.subarray(0, 40 * dim));
          const bytes = index.toBytes!();
          const expectCorrupt = (input: Uint8Array): void => {
            let error: unknown;
            try {
              track(options.load!(input));
            } catch (caught) {
              error = caught;
            }
            expect(error).toBeInstanceOf(CorruptFileError);
          };
          for (let length = 0; length < bytes.byteLength; length += length < 128 ? 1 : 13) expectCorrupt(bytes.slice(0, length));
          const random = new SeededRandom(11);
          for (let trial = 0; trial < (options.detectsEveryBitFlip === false ? 0 : 300); trial++) {
            const copy = bytes.slice();
            const bit = random.nextInt(copy.byteLength * 8);
            copy[bit >>> 3]! ^= 1 << (bit & 7);
            expectCorrupt(copy);
          }
        });
      });
    }
  });
}

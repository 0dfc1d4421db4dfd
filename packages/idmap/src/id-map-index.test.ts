import {
  DimensionMismatchError,
  DuplicateIdError,
  IdNotFoundError,
  InvalidArgumentError,
  SeededRandom,
  SlotList,
  UnsupportedOperationError,
  type Metric,
  type VectorIndex,
} from '@quiver/core-math';
import { FlatIndex } from '@quiver/flat';
import { bruteForceTopK, gaussianMixture } from '@quiver/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { IdMapIndex, type RemovalMode } from './id-map-index.js';

const created: FlatIndex[] = [];
function flat(dim: number, metric: Metric = 'dot'): FlatIndex {
  const index = new FlatIndex({ dim, metric, kernels: 'js' });
  created.push(index);
  return index;
}
afterEach(() => {
  for (const index of created.splice(0)) index.dispose();
});

const DIM = 8;
function rows(n: number, seed = 1): Float32Array {
  return gaussianMixture({ n, dim: DIM, clusters: 4, seed });
}
/** The row of a vector, to find it again by exact search. */
function row(data: Float32Array, i: number): Float32Array {
  return data.slice(i * DIM, (i + 1) * DIM);
}

describe.each<RemovalMode>(['swap', 'tombstone'])('IdMapIndex over FlatIndex (removal: %s)', (removal) => {
  it('adds with ids, finds every vector under its id and removes by id', () => {
    const data = rows(50);
    const index = new IdMapIndex(flat(DIM), { removal });
    const ids = Array.from({ length: 50 }, (_, i) => BigInt(i) * 1_000_000_007n + (1n << 40n));
    index.addWithIds(data, ids);
    expect(index.size).toBe(50);
    for (let i = 0; i < 50; i++) {
      expect(index.contains(ids[i]!)).toBe(true);
      expect(index.idAt(index.slotOf(ids[i]!))).toBe(ids[i]);
      expect(index.reconstruct(ids[i]!)).toEqual(row(data, i));
    }
    expect(index.remove(ids[3]!)).toBe(true);
    expect(index.remove(ids[3]!)).toBe(false);
    expect(index.remove(12345)).toBe(false);
    expect(index.contains(ids[3]!)).toBe(false);
    expect(index.size).toBe(49);
    index.checkConsistency();
    // Every other id still names its own vector after the fix-up.
    for (let i = 0; i < 50; i++) if (i !== 3) expect(index.reconstruct(ids[i]!)).toEqual(row(data, i));
    expect(() => index.reconstruct(ids[3]!)).toThrow(IdNotFoundError);
  });

  it('keeps ids stable through a random mix of adds and removes (model check)', () => {
    const random = new SeededRandom(removal === 'swap' ? 3 : 4);
    const index = new IdMapIndex(flat(DIM, 'l2'), { removal });
    const model = new Map<bigint, Float32Array>();
    let nextId = 0n;
    for (let step = 0; step < 300; step++) {
      if (random.nextInt(3) > 0 || model.size === 0) {
        const n = 1 + random.nextInt(4);
        const data = rows(n, step + 1);
        const ids = Array.from({ length: n }, () => (nextId += 1n + BigInt(random.nextInt(1000))) << 20n);
        index.addWithIds(data, ids);
        ids.forEach((id, i) => model.set(id, row(data, i)));
      } else {
        const keys = [...model.keys()];
        const id = keys[random.nextInt(keys.length)]!;
        expect(index.remove(id)).toBe(true);
        model.delete(id);
      }
    }
    index.checkConsistency();
    expect(index.size).toBe(model.size);
    expect(new Set(index.ids())).toEqual(new Set(model.keys()));
    for (const [id, vector] of model) expect(index.reconstruct(id)).toEqual(vector);
    // Under l2 every stored vector is its own nearest neighbour: searching all of them at once
    // returns each one's id first.
    const entries = [...model];
    const queries = new Float32Array(entries.flatMap(([, vector]) => Array.from(vector)));
    const result = index.search(queries, 1);
    expect(Array.from(result.ids)).toEqual(entries.map(([id]) => id));
  });

  it('searches with ids: the same hits as the inner index, translated', () => {
    const data = rows(200);
    const inner = flat(DIM, 'l2');
    const index = new IdMapIndex(inner, { removal });
    const ids = Array.from({ length: 200 }, (_, i) => 1000 + i * 3);
    index.addWithIds(data, ids);
    for (let i = 0; i < 200; i += 7) index.remove(ids[i]!);
    const queries = rows(5, 9);
    const withIds = index.search(queries, 10);
    const plain = inner.search(queries, 10);
    expect(withIds.slots).toEqual(plain.slots);
    expect(withIds.scores).toEqual(plain.scores);
    for (let i = 0; i < withIds.slots.length; i++) expect(withIds.ids[i]).toBe(index.idAt(withIds.slots[i]!));
  });

  it('an allowlist of ids returns exactly min(k, allowed) hits, all allowed, best first', () => {
    const data = rows(300);
    const index = new IdMapIndex(flat(DIM), { removal });
    const ids = Array.from({ length: 300 }, (_, i) => BigInt(i) << 33n);
    index.addWithIds(data, ids);
    for (let i = 0; i < 300; i += 5) index.remove(ids[i]!);
    const queries = rows(4, 5);
    // 7 allowed ids (one removed, one never added): k = 10 gives 6 hits, k = 3 gives 3.
    const allow = [ids[1]!, ids[2]!, ids[3]!, ids[4]!, ids[6]!, ids[7]!, ids[0]!, 999n];
    for (const [k, expected] of [
      [10, 6],
      [3, 3],
    ] as const) {
      const result = index.search(queries, k, { allow });
      for (let q = 0; q < 4; q++) {
        expect(result.counts[q]).toBe(expected);
        const got = Array.from(result.ids.subarray(q * k, q * k + expected));
        for (const id of got) expect(allow).toContain(id);
        const scores = Array.from(result.scores.subarray(q * k, q * k + expected));
        expect(scores).toEqual([...scores].sort((a, b) => b - a));
        for (let j = expected; j < k; j++) {
          expect(result.slots[q * k + j]).toBe(-1);
          expect(result.ids[q * k + j]).toBe(0n);
        }
      }
      // The allowed hits are the true best among the allowed vectors.
      const allowedRows = [1, 2, 3, 4, 6, 7];
      const subset = new Float32Array(allowedRows.flatMap((i) => Array.from(row(data, i))));
      const truth = bruteForceTopK(subset, queries, DIM, k, 'dot');
      for (let q = 0; q < 4; q++) {
        for (let j = 0; j < expected; j++) expect(result.ids[q * k + j]).toBe(ids[allowedRows[truth.slots[q * k + j]!]!]);
      }
    }
  });

  it('an allowlist predicate, combined with a slot filter, admits the intersection', () => {
    const data = rows(100);
    const index = new IdMapIndex(flat(DIM), { removal });
    index.addWithIds(data, Array.from({ length: 100 }, (_, i) => i));
    const even = (id: bigint) => id % 2n === 0n;
    const result = index.search(rows(2, 3), 100, { allow: even });
    expect(result.counts[0]).toBe(50);
    for (let j = 0; j < 50; j++) expect(result.ids[j]! % 2n).toBe(0n);
    const filter = new SlotList([index.slotOf(4), index.slotOf(5), index.slotOf(6)]);
    const both = index.search(rows(1, 3), 10, { allow: even, filter });
    expect(both.counts[0]).toBe(2);
    expect(new Set(both.ids.subarray(0, 2))).toEqual(new Set([4n, 6n]));
    expect(index.search(rows(1, 3), 10, { allow: [] }).counts[0]).toBe(0);
  });

  it('passes minScore through', () => {
    const data = rows(100);
    const index = new IdMapIndex(flat(DIM), { removal });
    index.addWithIds(data, Array.from({ length: 100 }, (_, i) => i));
    const all = index.search(rows(1, 3), 100);
    const floor = all.scores[20]!;
    const floored = index.search(rows(1, 3), 100, { minScore: floor });
    expect(floored.counts[0]).toBe(Array.from(all.scores).filter((s) => s >= floor).length);
  });
});

describe('IdMapIndex validation and atomicity', () => {
  it('rejects duplicate ids within a batch and against existing ids, changing nothing', () => {
    const index = new IdMapIndex(flat(DIM));
    index.addWithIds(rows(3), [1, 2, 3]);
    const before = index.ids();
    expect(() => index.addWithIds(rows(2), [4, 4n])).toThrow(DuplicateIdError);
    expect(() => index.addWithIds(rows(2), [5, 2])).toThrow(DuplicateIdError);
    // Large batches check repeats through a hash table, small ones pairwise: both report the id.
    const big = Array.from({ length: 40 }, (_, i) => 100 + i);
    big[33] = 117;
    expect(() => index.addWithIds(rows(40), big)).toThrow(/duplicate id 117/);
    expect(index.size).toBe(3);
    expect(index.index.size).toBe(3);
    expect(index.ids()).toEqual(before);
    expect(index.contains(4)).toBe(false);
    expect(index.contains(5)).toBe(false);
    index.checkConsistency();
  });

  it('leaves everything unchanged when the inner index rejects the vectors', () => {
    const index = new IdMapIndex(flat(DIM));
    index.addWithIds(rows(3), [1, 2, 3]);
    const bad = rows(2);
    bad[5] = NaN;
    expect(() => index.addWithIds(bad, [7, 8])).toThrow(InvalidArgumentError);
    expect(index.contains(7)).toBe(false);
    expect(index.size).toBe(3);
    index.checkConsistency();
    index.addWithIds(rows(2), [7, 8]);
    expect(index.size).toBe(5);
  });

  it('validates shapes, id counts and ids', () => {
    const index = new IdMapIndex(flat(DIM));
    expect(() => index.addWithIds(new Float32Array(DIM + 1), [1])).toThrow(DimensionMismatchError);
    expect(() => index.addWithIds(new Float32Array(0), [])).toThrow(InvalidArgumentError);
    expect(() => index.addWithIds([1, 2] as unknown as Float32Array, [1])).toThrow(InvalidArgumentError);
    expect(() => index.addWithIds(rows(2), [1])).toThrow(/one id per vector/);
    expect(() => index.addWithIds(rows(1), [-1])).toThrow(InvalidArgumentError);
    expect(() => index.remove(1.5)).toThrow(InvalidArgumentError);
    expect(() => index.idAt(0.5)).toThrow(InvalidArgumentError);
    expect(index.idAt(0)).toBeUndefined();
    expect(() => index.search(rows(1), 0)).toThrow(InvalidArgumentError);
    expect(() => index.search(rows(1), 1, { allow: 5 as unknown as number[] })).toThrow(InvalidArgumentError);
    expect(() => new IdMapIndex(flat(DIM), { removal: 'later' as RemovalMode })).toThrow(InvalidArgumentError);
    expect(() => new IdMapIndex({} as VectorIndex)).toThrow(InvalidArgumentError);
  });

  it('refuses a non-empty index in the constructor and notices changes made behind its back', () => {
    const inner = flat(DIM);
    inner.add(rows(1));
    expect(() => new IdMapIndex(inner)).toThrow(/fromParts/);
    const index = new IdMapIndex(flat(DIM));
    index.addWithIds(rows(2), [1, 2]);
    index.index.add(rows(1));
    expect(() => index.addWithIds(rows(1), [3])).toThrow(/changed outside/);
  });

  it('accepts the full u64 id range and number/bigint spellings of one id', () => {
    const index = new IdMapIndex(flat(DIM));
    const max = 2n ** 64n - 1n;
    index.addWithIds(rows(3), new BigUint64Array([0n, max, 2n ** 63n]));
    expect(index.contains(0)).toBe(true);
    expect(index.contains(max)).toBe(true);
    expect(() => index.addWithIds(rows(1), [0n])).toThrow(DuplicateIdError);
    expect(index.search(rows(1), 3).ids.slice().sort()).toEqual(new BigUint64Array([0n, 2n ** 63n, max]));
  });

  it('fromParts wraps a loaded index with its id table, honouring tombstones', () => {
    const inner = flat(DIM);
    const data = rows(6);
    inner.add(data);
    inner.remove(2);
    const index = IdMapIndex.fromParts(inner, [10, 11, 12, 13, 14, 15]);
    expect(index.size).toBe(5);
    expect(index.contains(12)).toBe(false);
    expect(index.idAt(2)).toBeUndefined();
    expect(Array.from(index.ids())).toEqual([10n, 11n, 13n, 14n, 15n]);
    index.checkConsistency();
    // Swap removal over interior tombstones: FlatIndex drops trailing tombstones itself.
    expect(index.remove(15)).toBe(true);
    expect(index.remove(10)).toBe(true);
    index.checkConsistency();
    expect(index.reconstruct(14)).toEqual(row(data, 4));
    expect(() => IdMapIndex.fromParts(flat(DIM), [1])).toThrow(/one id per slot/);
    const twice = flat(DIM);
    twice.add(rows(2));
    expect(() => IdMapIndex.fromParts(twice, [7, 7n])).toThrow(DuplicateIdError);
  });

  it('compact renumbers slots under tombstone removal and keeps ids', () => {
    const data = rows(20);
    const index = new IdMapIndex(flat(DIM), { removal: 'tombstone' });
    index.addWithIds(data, Array.from({ length: 20 }, (_, i) => 100 + i));
    for (const id of [100, 105, 119]) index.remove(id);
    expect(index.slotCount).toBe(20);
    const map = index.compact();
    expect(map.length).toBe(20);
    expect(map[0]).toBe(-1);
    expect(index.slotCount).toBe(17);
    index.checkConsistency();
    for (let i = 0; i < 20; i++) {
      if ([0, 5, 19].includes(i)) expect(index.contains(100 + i)).toBe(false);
      else expect(index.reconstruct(100 + i)).toEqual(row(data, i));
    }
  });

  it('dispose frees the inner index', () => {
    const index = new IdMapIndex(new FlatIndex({ dim: DIM, kernels: 'js' }));
    index.addWithIds(rows(2), [1, 2]);
    index.dispose();
    expect(() => index.search(rows(1), 1)).toThrow(UnsupportedOperationError);
  });

  it('removeMany counts what it removed', () => {
    const index = new IdMapIndex(flat(DIM));
    index.addWithIds(rows(5), [1, 2, 3, 4, 5]);
    expect(index.removeMany([2, 4, 6])).toBe(2);
    expect(Array.from(index.ids()).sort()).toEqual([1n, 3n, 5n]);
  });

  it('without any removal in the inner index, remove is unsupported and search still works', () => {
    const inner = flat(DIM);
    const appendOnly = new Proxy(inner, {
      get: (target, key) =>
        key === 'capabilities' ? { ...target.capabilities, remove: false, swapRemove: false } : Reflect.get(target, key, target),
    });
    const index = new IdMapIndex(appendOnly);
    expect(index.removal).toBe('none');
    index.addWithIds(rows(2), [1, 2]);
    expect(() => index.remove(1)).toThrow(UnsupportedOperationError);
    expect(index.search(rows(1), 2).counts[0]).toBe(2);
    expect(() => new IdMapIndex(flat(DIM), { removal: 'swap' })).not.toThrow();
  });
});

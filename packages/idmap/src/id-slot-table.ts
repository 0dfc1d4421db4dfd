import { CapacityError } from '@quiver/core-math';

/**
 * A hash map from 64-bit ids (given as uint32 halves `lo`, `hi`) to slots (non-negative int32).
 *
 * Open addressing with linear probing over flat typed arrays: keys interleaved in one
 * `Uint32Array` (lo, hi per bucket) and slots in an `Int32Array` (-1 = empty bucket), so a lookup
 * touches one or two cache lines and the table holds no JavaScript objects. Deletion shifts the
 * following entries of the probe run back (no tombstones), so lookups stay short however many
 * removals happen. The load factor stays at or below 1/2.
 *
 * Measured against `Map<bigint, number>` in benchmarks/src/suites/idmap.ts.
 */
export class IdSlotTable {
  private keys: Uint32Array;
  private slots: Int32Array;
  private mask: number;
  private count = 0;

  constructor(expected = 0) {
    const capacity = capacityFor(expected);
    this.keys = new Uint32Array(capacity * 2);
    this.slots = new Int32Array(capacity).fill(-1);
    this.mask = capacity - 1;
  }

  /** Entries in the table. */
  get size(): number {
    return this.count;
  }

  /** The slot of the id, or -1. */
  get(lo: number, hi: number): number {
    const { keys, slots, mask } = this;
    let bucket = hashPair(lo, hi) & mask;
    for (;;) {
      const slot = slots[bucket]!;
      if (slot < 0) return -1;
      if (keys[bucket * 2] === lo && keys[bucket * 2 + 1] === hi) return slot;
      bucket = (bucket + 1) & mask;
    }
  }

  /** Adds the id with `slot`; returns false (and changes nothing) when the id is already there. */
  insert(lo: number, hi: number, slot: number): boolean {
    if ((this.count + 1) * 2 > this.slots.length) this.reserve(this.count + 1);
    const { keys, slots, mask } = this;
    let bucket = hashPair(lo, hi) & mask;
    for (;;) {
      const current = slots[bucket]!;
      if (current < 0) {
        keys[bucket * 2] = lo;
        keys[bucket * 2 + 1] = hi;
        slots[bucket] = slot;
        this.count++;
        return true;
      }
      if (keys[bucket * 2] === lo && keys[bucket * 2 + 1] === hi) return false;
      bucket = (bucket + 1) & mask;
    }
  }

  /** Changes the slot of an id that is in the table; returns false when it is not. */
  update(lo: number, hi: number, slot: number): boolean {
    const bucket = this.find(lo, hi);
    if (bucket < 0) return false;
    this.slots[bucket] = slot;
    return true;
  }

  /** Removes the id; returns its slot, or -1 when it was not there. */
  delete(lo: number, hi: number): number {
    let hole = this.find(lo, hi);
    if (hole < 0) return -1;
    const { keys, slots, mask } = this;
    const removed = slots[hole]!;
    // Backward-shift deletion: walk the rest of the probe run and move back every entry whose home
    // bucket does not lie cyclically in (hole, bucket], so no lookup ever crosses an empty bucket.
    let bucket = (hole + 1) & mask;
    while (slots[bucket]! >= 0) {
      const home = hashPair(keys[bucket * 2]!, keys[bucket * 2 + 1]!) & mask;
      if (((bucket - home) & mask) >= ((bucket - hole) & mask)) {
        keys[hole * 2] = keys[bucket * 2]!;
        keys[hole * 2 + 1] = keys[bucket * 2 + 1]!;
        slots[hole] = slots[bucket]!;
        hole = bucket;
      }
      bucket = (bucket + 1) & mask;
    }
    slots[hole] = -1;
    this.count--;
    return removed;
  }

  /** Grows the table (rehashing) so `expected` entries fit without a further rehash. */
  reserve(expected: number): void {
    const capacity = capacityFor(expected);
    if (capacity <= this.slots.length) return;
    const oldKeys = this.keys;
    const oldSlots = this.slots;
    this.keys = new Uint32Array(capacity * 2);
    this.slots = new Int32Array(capacity).fill(-1);
    this.mask = capacity - 1;
    const { keys, slots, mask } = this;
    for (let old = 0; old < oldSlots.length; old++) {
      const slot = oldSlots[old]!;
      if (slot < 0) continue;
      const lo = oldKeys[old * 2]!;
      const hi = oldKeys[old * 2 + 1]!;
      let bucket = hashPair(lo, hi) & mask;
      while (slots[bucket]! >= 0) bucket = (bucket + 1) & mask;
      keys[bucket * 2] = lo;
      keys[bucket * 2 + 1] = hi;
      slots[bucket] = slot;
    }
  }

  /** Bytes held by the table. */
  get byteLength(): number {
    return this.keys.byteLength + this.slots.byteLength;
  }

  private find(lo: number, hi: number): number {
    const { keys, slots, mask } = this;
    let bucket = hashPair(lo, hi) & mask;
    for (;;) {
      if (slots[bucket]! < 0) return -1;
      if (keys[bucket * 2] === lo && keys[bucket * 2 + 1] === hi) return bucket;
      bucket = (bucket + 1) & mask;
    }
  }
}

/** 2^30 buckets (12 GiB of table) is far past anything a 32-bit slot space needs. */
const MAX_CAPACITY = 2 ** 30;

/** The smallest power of two (at least 16) that keeps `expected` entries at load <= 1/2. */
function capacityFor(expected: number): number {
  let capacity = 16;
  while (capacity < expected * 2) capacity *= 2;
  if (capacity > MAX_CAPACITY) throw new CapacityError(`an id table holds at most ${MAX_CAPACITY / 2} ids`);
  return capacity;
}

/**
 * Mixes both halves into a bucket hash. Multiplying `hi` by an odd constant is a bijection, so ids
 * that differ only in their high half (`shard << 32 | seq` with a fixed `seq`) still land apart;
 * murmur3's finalizer then spreads every input bit over the low bits the mask keeps.
 */
export function hashPair(lo: number, hi: number): number {
  let h = (lo ^ Math.imul(hi, 0x9e3779b1)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

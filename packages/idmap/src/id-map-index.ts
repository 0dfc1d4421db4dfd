import {
  DimensionMismatchError,
  DuplicateIdError,
  IdNotFoundError,
  InternalError,
  InvalidArgumentError,
  SlotBitset,
  UnsupportedOperationError,
  encodeEnvelope,
  envelopeChunks,
  startsWithEnvelope,
  type EnvelopeSectionInput,
  type EnvelopeSpec,
  type IndexCapabilities,
  type Metric,
  type SearchOptions,
  type SearchResult,
  type SlotFilter,
  type VectorIndex,
} from '@quiver/core-math';
import { IDMAP_DEAD_SECTION, IDMAP_FORMAT_MAJOR, IDMAP_FORMAT_MINOR, IDMAP_FOURCC, IDMAP_IDS_SECTION, IDMAP_INNER_SECTION } from './id-map-format.js';
import { IdSlotTable } from './id-slot-table.js';
import { checkHostEndianness, idPairsOf, readIdPair, writeIdPair, type Id, type IdBatch } from './ids.js';

/**
 * How `remove(id)` frees a vector:
 * - `swap`: the inner index's `swapRemove` moves its last vector into the hole (O(1), memory stays
 *   dense); the moved vector's id follows it.
 * - `tombstone`: the inner index's `remove(slot)` marks the slot dead (graph indexes such as HNSW);
 *   `compact()` later drops dead slots.
 * - `auto` (default): `swap` when the inner index supports it, else `tombstone`.
 */
export type RemovalMode = 'auto' | 'swap' | 'tombstone';

export interface IdMapIndexOptions {
  readonly removal?: RemovalMode;
}

/** Ids to admit: an iterable of ids (unknown ids are ignored) or a predicate over ids. */
export type IdAllowlist = Iterable<Id> | ((id: bigint) => boolean);

export interface IdSearchOptions extends SearchOptions {
  /**
   * Only these ids are returned. Compiled to a slot bitset before the inner search, so an exact
   * inner index returns exactly min(k, admitted) hits. Combines with `filter` (a slot filter) by
   * intersection.
   */
  readonly allow?: IdAllowlist;
}

/**
 * A `SearchResult` plus the ids of the hits: `ids[q*k + j]` is the id at `slots[q*k + j]`.
 * Padding positions (j >= counts[q]) hold id 0, slot -1 and score -Infinity; tell them apart by
 * `counts` or the slot, since 0 is also a valid id.
 */
export interface IdSearchResult extends SearchResult {
  readonly ids: BigUint64Array;
}

const MIN_TABLE_SLOTS = 64;
/** Lets `adoptIdTable` install a prepared table; not part of the public API. */
export const installTable: unique symbol = Symbol('IdMapIndex.installTable');

/**
 * Stable 64-bit external ids over any Quiver index that supports `swapRemove` (FlatIndex,
 * TurboQuantIndex) or tombstoning `remove` (HNSW). The wrapper keeps `slot -> id` (uint32 pairs)
 * and `id -> slot` (an open-addressing hash table) and fixes both up when the inner index moves a
 * vector, so ids never change meaning.
 *
 * The inner index belongs to the wrapper: mutate it only through the wrapper. Reading it
 * (`index.reconstruct`, ...) is fine.
 */
export class IdMapIndex<I extends VectorIndex = VectorIndex> {
  /** The wrapped index. */
  readonly index: I;
  /** The removal strategy in use (`auto` resolved). */
  readonly removal: 'swap' | 'tombstone' | 'none';
  private table: IdSlotTable;
  /** `slotIds[2s]`, `slotIds[2s + 1]`: low and high half of slot s's id. */
  private slotIds = new Uint32Array(0);
  /** The same buffer as `slotIds`, read as u64 (bigint) ids. */
  private slotIds64 = new BigUint64Array(0);
  /** Slots without an id: tombstoned in the inner index. */
  private dead = new Uint32Array(0);
  private deadCount = 0;
  private slots = 0;
  private disposed = false;

  /** Wraps an empty index. Use `IdMapIndex.fromParts` for an index that already holds vectors. */
  constructor(index: I, options: IdMapIndexOptions = {}) {
    checkHostEndianness();
    checkInnerIndex(index);
    if (!adopting && index.slotCount !== 0) {
      throw new InvalidArgumentError('index', `holds ${index.slotCount} slots already; use IdMapIndex.fromParts(index, ids)`);
    }
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object');
    this.index = index;
    this.removal = resolveRemoval(index, options.removal ?? 'auto');
    this.table = new IdSlotTable();
  }

  /**
   * Wraps an index loaded with its id table (turbovec's `.tvim`, a snapshot): `ids[s]` is the id of
   * slot s, for every slot of `index.slotCount`. Ids of slots the index reports removed
   * (`isRemoved`) are ignored. Duplicate live ids throw `DuplicateIdError`.
   */
  static fromParts<I extends VectorIndex>(index: I, ids: IdBatch, options: IdMapIndexOptions = {}): IdMapIndex<I> {
    checkInnerIndex(index);
    const pairs = idPairsOf(ids);
    const slotCount = index.slotCount;
    if (pairs.length / 2 !== slotCount) {
      throw new InvalidArgumentError('ids', `needs one id per slot: the index has ${slotCount} slots, got ${pairs.length / 2} ids`);
    }
    const dead = new Uint32Array(Math.ceil(slotCount / 32));
    if (index.isRemoved) {
      for (let slot = 0; slot < slotCount; slot++) if (index.isRemoved(slot)) dead[slot >>> 5]! |= 1 << (slot & 31);
    }
    return adoptIdTable(index, prepareIdTable(pairs, dead), options);
  }

  get kind(): string {
    return this.index.kind;
  }

  get dim(): number {
    return this.index.dim;
  }

  get metric(): Metric {
    return this.index.metric;
  }

  get capabilities(): IndexCapabilities {
    return this.index.capabilities;
  }

  /** Live ids (= live vectors). */
  get size(): number {
    return this.table.size;
  }

  /** Slots of the inner index, live and tombstoned. */
  get slotCount(): number {
    return this.slots;
  }

  /**
   * Adds `vectors.length / dim` vectors under `ids` (one id each). Atomic: duplicate ids (within
   * the batch or already present) throw `DuplicateIdError`, and bad vectors the inner index's own
   * error, before anything changes.
   */
  addWithIds(vectors: Float32Array, ids: IdBatch): void {
    this.checkInSync();
    const pairs = idPairsOf(ids);
    const n = this.rowCount(vectors, pairs.length / 2);
    if (pairs.length / 2 !== n) throw new InvalidArgumentError('ids', `needs one id per vector: ${n} vectors, ${pairs.length / 2} ids`);
    this.checkNewIds(pairs);
    this.table.reserve(this.table.size + n);
    this.reserveSlots(this.slots + n);
    const first = this.index.add(vectors);
    if (first !== this.slots || this.index.slotCount !== this.slots + n) {
      throw new InternalError(`${this.index.kind}.add placed ${n} vectors at slot ${first}, expected ${this.slots}`);
    }
    this.slotIds.set(pairs, first * 2);
    for (let i = 0; i < n; i++) this.table.insert(pairs[i * 2]!, pairs[i * 2 + 1]!, first + i);
    this.slots = first + n;
  }

  /** Removes the vector of `id` in O(1); returns whether it was there. */
  remove(id: Id): boolean {
    this.checkInSync();
    writeIdPair(id, pairScratch, 0);
    const lo = pairScratch[0]!;
    const hi = pairScratch[1]!;
    const slot = this.table.get(lo, hi);
    if (slot < 0) return false;
    if (this.removal === 'swap') this.swapOut(slot);
    else if (this.removal === 'tombstone') this.tombstone(slot);
    else throw new UnsupportedOperationError(this.index.kind, 'remove', 'the index supports neither swapRemove nor remove');
    this.table.delete(lo, hi);
    return true;
  }

  /** Removes every id of the batch that is present; returns how many were. */
  removeMany(ids: IdBatch): number {
    const pairs = idPairsOf(ids);
    let removed = 0;
    for (let i = 0; i < pairs.length; i += 2) if (this.remove(readIdPair(pairs, i))) removed++;
    return removed;
  }

  contains(id: Id): boolean {
    return this.slotOf(id) >= 0;
  }

  /** The slot that currently holds `id`, or -1. Slots change on removal; ids do not. */
  slotOf(id: Id): number {
    writeIdPair(id, pairScratch, 0);
    return this.table.get(pairScratch[0]!, pairScratch[1]!);
  }

  /** The id stored at `slot`, or undefined for a tombstoned or out-of-range slot. */
  idAt(slot: number): bigint | undefined {
    if (!Number.isInteger(slot)) throw new InvalidArgumentError('slot', `must be an integer, got ${slot}`);
    if (slot < 0 || slot >= this.slots || this.isDead(slot)) return undefined;
    return this.slotIds64[slot]!;
  }

  /** Every live id, in slot order. */
  ids(): BigUint64Array {
    if (this.deadCount === 0) return this.slotIds64.slice(0, this.slots);
    const out = new BigUint64Array(this.table.size);
    let next = 0;
    for (let slot = 0; slot < this.slots; slot++) if (!this.isDead(slot)) out[next++] = this.slotIds64[slot]!;
    return out;
  }

  /** The stored vector of `id` (unit length under cosine); `IdNotFoundError` when absent. */
  reconstruct(id: Id, out?: Float32Array): Float32Array {
    const slot = this.slotOf(id);
    if (slot < 0) throw new IdNotFoundError(id);
    return this.index.reconstruct(slot, out);
  }

  /**
   * The best `k` hits of each query, with ids. `allow` restricts the hits to some ids; `filter`,
   * `minScore` and `maxScore` pass through to the inner index.
   */
  search(queries: Float32Array, k: number, options: IdSearchOptions = {}): IdSearchResult {
    this.checkInSync();
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object');
    const { allow, filter, ...rest } = options;
    let slotFilter: SlotFilter | undefined = filter;
    if (allow !== undefined) {
      if (!this.index.capabilities.filter) throw new UnsupportedOperationError(this.index.kind, 'search with an id allowlist', 'the index has no slot filter');
      slotFilter = this.allowedSlots(allow, filter);
    }
    const result = this.index.search(queries, k, slotFilter === undefined ? rest : { ...rest, filter: slotFilter });
    return { ...result, ids: this.idsOfSlots(result.slots) };
  }

  /**
   * Compiles an allowlist (intersected with a slot filter, if given) to a bitset over the current
   * slots. Valid until the next add or remove; `search` calls it for you.
   */
  allowedSlots(allow: IdAllowlist, filter?: SlotFilter): SlotBitset {
    const bitset = new SlotBitset(this.slots);
    const words = bitset.words;
    if (typeof allow === 'function') {
      for (let slot = 0; slot < this.slots; slot++) {
        if (!this.isDead(slot) && allow(this.slotIds64[slot]!) === true) words[slot >>> 5]! |= 1 << (slot & 31);
      }
    } else if (allow !== null && typeof allow === 'object' && typeof (allow as Iterable<Id>)[Symbol.iterator] === 'function') {
      let i = 0;
      for (const id of allow) {
        writeIdPair(id, pairScratch, 0, `allow[${i++}]`);
        const slot = this.table.get(pairScratch[0]!, pairScratch[1]!);
        if (slot >= 0) words[slot >>> 5]! |= 1 << (slot & 31);
      }
    } else {
      throw new InvalidArgumentError('allow', 'must be an iterable of ids or a predicate (id: bigint) => boolean');
    }
    if (filter !== undefined) {
      if (filter === null || typeof filter.has !== 'function') throw new InvalidArgumentError('filter', 'must have a has(slot) method');
      for (let slot = 0; slot < this.slots; slot++) {
        if ((words[slot >>> 5]! & (1 << (slot & 31))) !== 0 && !filter.has(slot)) words[slot >>> 5]! &= ~(1 << (slot & 31));
      }
    }
    return bitset;
  }

  /**
   * Drops the inner index's tombstones (`compact`) and renumbers the ids to match. Returns the
   * inner index's `map[oldSlot] = newSlot` (-1 for dropped slots) for callers that key data by slot.
   */
  compact(): Int32Array {
    this.checkInSync();
    if (!this.index.capabilities.compact || !this.index.compact) throw new UnsupportedOperationError(this.index.kind, 'compact');
    const map = this.index.compact();
    const oldCount = this.slots;
    if (map.length !== oldCount) throw new InternalError(`${this.index.kind}.compact returned a map of ${map.length} slots, expected ${oldCount}`);
    const pairs = new Uint32Array(this.index.slotCount * 2);
    for (let slot = 0; slot < oldCount; slot++) {
      const target = map[slot]!;
      if (target < 0) continue;
      pairs[target * 2] = this.slotIds[slot * 2]!;
      pairs[target * 2 + 1] = this.slotIds[slot * 2 + 1]!;
      if (target !== slot) this.table.update(this.slotIds[slot * 2]!, this.slotIds[slot * 2 + 1]!, target);
    }
    this.slots = 0;
    this.deadCount = 0;
    this.dead = new Uint32Array(0);
    this.reserveSlots(this.index.slotCount);
    this.slotIds.set(pairs);
    this.slots = this.index.slotCount;
    return map;
  }

  /**
   * The id table over every slot (`slotCount` u64, dead slots 0) and the dead-slot bitset, as
   * views valid until the next mutation. Used by the codec.
   */
  idTable(): { readonly ids: BigUint64Array; readonly dead: Uint32Array } {
    const words = Math.ceil(this.slots / 32);
    return { ids: this.slotIds64.subarray(0, this.slots), dead: this.dead.subarray(0, words) };
  }

  /**
   * Serializes to Quiver's envelope format, kind `IDMP` (docs/file-format.md): the id table, the
   * dead-slot bitset and the inner index's `toBytes()`. Load with `loadIdMapIndex`.
   */
  toBytes(): Uint8Array {
    return encodeEnvelope(this.envelopeSpec());
  }

  /**
   * The bytes of `toBytes()` as chunks for sequential sinks, without assembling one buffer. The
   * content is taken when this is called (the id table copied, the inner index's `toBytes()`), so
   * the index may change while the chunks are written.
   */
  toChunks(): Generator<Uint8Array, void, undefined> {
    return envelopeChunks(this.envelopeSpec(true));
  }

  /** Disposes the inner index when it holds memory outside the JavaScript heap (FlatIndex, TurboQuantIndex). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    (this.index as { dispose?: () => void }).dispose?.();
  }

  /**
   * Checks that the two maps agree with each other and with the inner index (for tests and
   * debugging; O(slotCount)). Throws `InternalError` naming the first disagreement.
   */
  checkConsistency(): void {
    if (this.slots !== this.index.slotCount) throw new InternalError(`${this.slots} id slots, inner index has ${this.index.slotCount}`);
    if (this.table.size + this.deadCount !== this.slots) {
      throw new InternalError(`${this.table.size} ids + ${this.deadCount} dead slots != ${this.slots} slots`);
    }
    if (this.index.size !== this.table.size) throw new InternalError(`${this.table.size} ids, inner index holds ${this.index.size} vectors`);
    for (let slot = 0; slot < this.slots; slot++) {
      const dead = this.isDead(slot);
      if (this.index.isRemoved && this.index.isRemoved(slot) !== dead) throw new InternalError(`slot ${slot}: dead bit disagrees with the inner index`);
      if (dead) continue;
      const found = this.table.get(this.slotIds[slot * 2]!, this.slotIds[slot * 2 + 1]!);
      if (found !== slot) throw new InternalError(`id ${this.slotIds64[slot]} of slot ${slot} maps to slot ${found}`);
    }
  }

  private envelopeSpec(copy = false): EnvelopeSpec {
    this.checkInSync();
    if (!this.index.capabilities.serialize || typeof this.index.toBytes !== 'function') {
      throw new UnsupportedOperationError(this.index.kind, 'toBytes');
    }
    const table = this.idTable();
    const ids = copy ? table.ids.slice() : table.ids;
    const dead = copy ? table.dead.slice() : table.dead;
    return {
      kind: IDMAP_FOURCC,
      formatMajor: IDMAP_FORMAT_MAJOR,
      formatMinor: IDMAP_FORMAT_MINOR,
      metric: this.index.metric,
      dim: this.index.dim,
      count: this.slots,
      sections: [
        { tag: IDMAP_IDS_SECTION, data: ids },
        { tag: IDMAP_DEAD_SECTION, data: dead },
        this.innerSection(),
      ],
    };
  }

  /** The inner index's bytes; when they are a Quiver envelope, its own CRC covers them (see decodeEnvelope's nestedSections). */
  private innerSection(): EnvelopeSectionInput {
    const data = this.index.toBytes!();
    return { tag: IDMAP_INNER_SECTION, data, nested: startsWithEnvelope(data) };
  }

  private swapOut(slot: number): void {
    const swapRemove = this.index.swapRemove!;
    const moved = swapRemove.call(this.index, slot);
    if (moved >= 0 && moved !== slot) {
      const lo = this.slotIds[moved * 2]!;
      const hi = this.slotIds[moved * 2 + 1]!;
      this.slotIds[slot * 2] = lo;
      this.slotIds[slot * 2 + 1] = hi;
      if (!this.table.update(lo, hi, slot)) throw new InternalError(`${this.index.kind}.swapRemove moved slot ${moved}, which has no id`);
    }
    // swapRemove may also drop tombstoned slots at the end (FlatIndex does): forget them.
    const remaining = this.index.slotCount;
    for (let s = remaining; s < this.slots; s++) {
      if (this.isDead(s)) {
        this.dead[s >>> 5]! &= ~(1 << (s & 31));
        this.deadCount--;
      }
    }
    this.slots = remaining;
  }

  private tombstone(slot: number): void {
    const remove = this.index.remove!;
    if (!remove.call(this.index, slot)) throw new InternalError(`${this.index.kind}.remove(${slot}) found the slot already removed`);
    this.dead[slot >>> 5]! |= 1 << (slot & 31);
    this.deadCount++;
    this.slotIds[slot * 2] = this.slotIds[slot * 2 + 1] = 0;
  }

  /** Ids of result slots (padding -1 gives id 0), copied pair by pair without bigint work. */
  private idsOfSlots(slots: Int32Array): BigUint64Array {
    const ids = new BigUint64Array(slots.length);
    const halves = new Uint32Array(ids.buffer);
    const table = this.slotIds;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      if (slot < 0) continue;
      if (slot >= this.slots) throw new InternalError(`${this.index.kind}.search returned slot ${slot} of ${this.slots}`);
      halves[i * 2] = table[slot * 2]!;
      halves[i * 2 + 1] = table[slot * 2 + 1]!;
    }
    return ids;
  }

  private checkNewIds(pairs: Uint32Array): void {
    const n = pairs.length / 2;
    for (let i = 0; i < n; i++) {
      if (this.table.get(pairs[i * 2]!, pairs[i * 2 + 1]!) >= 0) throw new DuplicateIdError(readIdPair(pairs, i * 2));
    }
    const repeated = n <= SMALL_BATCH ? firstRepeatSmall(pairs) : firstRepeat(pairs);
    if (repeated >= 0) throw new DuplicateIdError(readIdPair(pairs, repeated * 2));
  }

  /**
   * Rows in `vectors`. An index whose first add fixes its dimension (dim 0 until then) reads a flat
   * batch as one vector, so its first add must be a single vector.
   */
  private rowCount(vectors: Float32Array, idCount: number): number {
    if (!(vectors instanceof Float32Array)) throw new InvalidArgumentError('vectors', `must be a Float32Array of n × ${this.dim || 'dim'} values`);
    if (vectors.length === 0) throw new InvalidArgumentError('vectors', 'must not be empty');
    if (this.dim === 0) {
      if (idCount !== 1) {
        throw new InvalidArgumentError('vectors', `the ${this.index.kind} index has no dimension yet: add one vector first, or construct it with a dim`);
      }
      return 1;
    }
    if (vectors.length % this.dim !== 0) {
      throw new DimensionMismatchError(this.dim, vectors.length, 'vectors (length is not a multiple of the dimension)');
    }
    return vectors.length / this.dim;
  }

  /** Takes over a prepared id table (fromParts, the loader). */
  [installTable](prepared: PreparedIdTable): void {
    const { pairs, dead, table, deadCount, slotCount } = prepared;
    this.reserveSlots(slotCount);
    this.slotIds.set(pairs);
    this.dead.set(dead);
    this.table = table;
    this.deadCount = deadCount;
    this.slots = slotCount;
  }

  private reserveSlots(needed: number): void {
    if (needed * 2 <= this.slotIds.length && Math.ceil(needed / 32) <= this.dead.length) return;
    const capacity = Math.max(needed, Math.ceil((this.slotIds.length / 2) * 1.5), MIN_TABLE_SLOTS);
    const slotIds = new Uint32Array(capacity * 2);
    slotIds.set(this.slotIds.subarray(0, this.slots * 2));
    const dead = new Uint32Array(Math.ceil(capacity / 32));
    dead.set(this.dead.subarray(0, Math.min(this.dead.length, dead.length)));
    this.slotIds = slotIds;
    this.slotIds64 = new BigUint64Array(slotIds.buffer);
    this.dead = dead;
  }

  private isDead(slot: number): boolean {
    return (this.dead[slot >>> 5]! & (1 << (slot & 31))) !== 0;
  }

  /** The inner index must change only through this wrapper; catch the common misuse early. */
  private checkInSync(): void {
    if (this.disposed) throw new UnsupportedOperationError('IdMapIndex', 'this call', 'the index was disposed');
    if (this.index.slotCount !== this.slots || this.index.size !== this.table.size) {
      throw new InvalidArgumentError(
        'index',
        `the inner ${this.index.kind} index was changed outside its IdMapIndex (${this.index.slotCount} slots / ${this.index.size} live, expected ${this.slots} / ${this.table.size})`,
      );
    }
  }
}

const pairScratch = new Uint32Array(2);
/** Set while `adoptIdTable` runs the constructor over an index that already holds vectors. */
let adopting = false;

/** A validated slot -> id table with its id -> slot map, ready to wrap an index that holds vectors. */
export interface PreparedIdTable {
  /** Interleaved (lo, hi) ids per slot; dead slots zeroed. */
  readonly pairs: Uint32Array;
  readonly dead: Uint32Array;
  readonly table: IdSlotTable;
  readonly deadCount: number;
  readonly slotCount: number;
}

/**
 * Builds the id -> slot map of a slot -> id table, skipping dead slots (whose ids are zeroed).
 * Throws `DuplicateIdError` for a live id that occurs twice. Not part of the public API.
 */
export function prepareIdTable(pairs: Uint32Array, dead: Uint32Array): PreparedIdTable {
  const slotCount = pairs.length / 2;
  const table = new IdSlotTable(slotCount);
  let deadCount = 0;
  for (let slot = 0; slot < slotCount; slot++) {
    if ((dead[slot >>> 5]! & (1 << (slot & 31))) !== 0) {
      deadCount++;
      pairs[slot * 2] = pairs[slot * 2 + 1] = 0;
    } else if (!table.insert(pairs[slot * 2]!, pairs[slot * 2 + 1]!, slot)) {
      throw new DuplicateIdError(readIdPair(pairs, slot * 2));
    }
  }
  return { pairs, dead, table, deadCount, slotCount };
}

/** Wraps `index` (holding `prepared.slotCount` slots) with a prepared id table. Not part of the public API. */
export function adoptIdTable<I extends VectorIndex>(index: I, prepared: PreparedIdTable, options: IdMapIndexOptions): IdMapIndex<I> {
  if (index.slotCount !== prepared.slotCount) {
    throw new InvalidArgumentError('ids', `the index has ${index.slotCount} slots, the id table ${prepared.slotCount}`);
  }
  if (index.size !== prepared.slotCount - prepared.deadCount) {
    throw new InvalidArgumentError('ids', `the index holds ${index.size} live vectors, the id table ${prepared.slotCount - prepared.deadCount} live ids`);
  }
  adopting = true;
  let wrapper: IdMapIndex<I>;
  try {
    wrapper = new IdMapIndex(index, options);
  } finally {
    adopting = false;
  }
  wrapper[installTable](prepared);
  return wrapper;
}

/** Up to this many ids, pairwise comparison beats building a hash table (single adds are common). */
const SMALL_BATCH = 16;

/** Index of the first id that repeats an earlier one in the batch, or -1 (O(n²), for small n). */
function firstRepeatSmall(pairs: Uint32Array): number {
  const n = pairs.length / 2;
  for (let i = 1; i < n; i++) {
    const lo = pairs[i * 2]!;
    const hi = pairs[i * 2 + 1]!;
    for (let j = 0; j < i; j++) if (pairs[j * 2] === lo && pairs[j * 2 + 1] === hi) return i;
  }
  return -1;
}

/** Index of the first id that repeats an earlier one in the batch, or -1. */
function firstRepeat(pairs: Uint32Array): number {
  const n = pairs.length / 2;
  const seen = new IdSlotTable(n);
  for (let i = 0; i < n; i++) if (!seen.insert(pairs[i * 2]!, pairs[i * 2 + 1]!, i)) return i;
  return -1;
}

function checkInnerIndex(index: VectorIndex): void {
  if (
    index === null ||
    typeof index !== 'object' ||
    typeof index.search !== 'function' ||
    typeof index.add !== 'function' ||
    typeof index.capabilities !== 'object'
  ) {
    throw new InvalidArgumentError('index', 'must be a Quiver VectorIndex (add, search, capabilities)');
  }
}

function resolveRemoval(index: VectorIndex, removal: RemovalMode): IdMapIndex['removal'] {
  const canSwap = index.capabilities.swapRemove && typeof index.swapRemove === 'function';
  const canTombstone = index.capabilities.remove && typeof index.remove === 'function';
  switch (removal) {
    case 'auto':
      return canSwap ? 'swap' : canTombstone ? 'tombstone' : 'none';
    case 'swap':
      if (!canSwap) throw new UnsupportedOperationError(index.kind, 'swapRemove', 'choose removal: tombstone or auto');
      return 'swap';
    case 'tombstone':
      if (!canTombstone) throw new UnsupportedOperationError(index.kind, 'remove', 'choose removal: swap or auto');
      return 'tombstone';
    default:
      throw new InvalidArgumentError('removal', `must be 'auto', 'swap' or 'tombstone', got ${String(removal)}`);
  }
}

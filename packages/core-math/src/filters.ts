import { InvalidArgumentError } from './errors.js';

/** A predicate over internal slots; indexes only return slots for which `has` is true. */
export interface SlotFilter {
  has(slot: number): boolean;
}

/** A dense bitset over slots `0..size-1`: bit `s` lives in word `s >>> 5`, bit `s & 31`. */
export class SlotBitset implements SlotFilter {
  readonly words: Uint32Array;
  readonly size: number;

  constructor(size: number, words?: Uint32Array) {
    if (!Number.isInteger(size) || size < 0) throw new InvalidArgumentError('size', `must be a non-negative integer, got ${size}`);
    const wordCount = Math.ceil(size / 32);
    if (words && words.length < wordCount) {
      throw new InvalidArgumentError('words', `needs ${wordCount} words for ${size} slots, got ${words.length}`);
    }
    this.size = size;
    this.words = words ?? new Uint32Array(wordCount);
  }

  static fromSlots(size: number, slots: Iterable<number>): SlotBitset {
    const bitset = new SlotBitset(size);
    for (const slot of slots) bitset.add(slot);
    return bitset;
  }

  has(slot: number): boolean {
    return slot >= 0 && slot < this.size && (this.words[slot >>> 5]! & (1 << (slot & 31))) !== 0;
  }

  add(slot: number): void {
    this.checkSlot(slot);
    this.words[slot >>> 5]! |= 1 << (slot & 31);
  }

  delete(slot: number): void {
    this.checkSlot(slot);
    this.words[slot >>> 5]! &= ~(1 << (slot & 31));
  }

  /** Number of set bits. */
  count(): number {
    let total = 0;
    for (let i = 0; i < this.words.length; i++) total += popcount32(this.words[i]!);
    return total;
  }

  private checkSlot(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.size) {
      throw new InvalidArgumentError('slot', `must be an integer in [0, ${this.size}), got ${slot}`);
    }
  }
}

/** An explicit allowlist of slots. */
export class SlotList implements SlotFilter {
  private readonly set: Set<number>;

  constructor(slots: Iterable<number>) {
    this.set = new Set(slots);
  }

  has(slot: number): boolean {
    return this.set.has(slot);
  }

  get size(): number {
    return this.set.size;
  }

  slots(): IterableIterator<number> {
    return this.set.values();
  }
}

/**
 * Turns any filter into a bitset over `0..size-1` so scans can test a bit instead of calling a
 * predicate. A `SlotBitset` of at least that size is reused as is.
 */
export function toSlotBitset(filter: SlotFilter, size: number): SlotBitset {
  if (filter instanceof SlotBitset && filter.size >= size) return filter;
  const bitset = new SlotBitset(size);
  if (filter instanceof SlotList) {
    for (const slot of filter.slots()) if (Number.isInteger(slot) && slot >= 0 && slot < size) bitset.add(slot);
    return bitset;
  }
  for (let slot = 0; slot < size; slot++) if (filter.has(slot)) bitset.add(slot);
  return bitset;
}

export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

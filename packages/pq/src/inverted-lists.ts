import { InternalError, type Arena, type ArenaBlock } from '@quiver/core-math';

/**
 * How a list stores its entries:
 * - `rows`: consecutive fixed-size entries (float32 rows, or PQ codes of `codeSize` bytes);
 * - `fast-scan`: 4-bit PQ codes in blocks of 32 entries, the layout `pqFastScan` reads: per block
 *   and subspace m, 16 bytes whose byte j holds entry j's code (low nibble) and entry j + 16's
 *   (high nibble).
 */
export type ListLayout = { readonly kind: 'rows'; readonly entryBytes: number } | { readonly kind: 'fast-scan'; readonly M: number };

const MIN_CAPACITY = 32;

/**
 * The per-cluster entry arrays of an IVF index, each in its own arena block so kernels scan a
 * list in place, plus the slot of every entry and, when `withTerms`, one float32 term per entry
 * (IVF-PQ's per-code part of the l2 distance) in a parallel arena block. Capacities are multiples
 * of 32 entries, so kernels may read the terms of a whole fast-scan block. Entries are only
 * appended; removal is the index's tombstones.
 */
export class InvertedLists {
  readonly nlist: number;
  readonly layout: ListLayout;
  readonly withTerms: boolean;
  private readonly arena: Arena;
  private readonly blocks: (ArenaBlock | undefined)[];
  private readonly termBlocks: (ArenaBlock | undefined)[];
  private readonly sizes: Int32Array;
  private readonly slotArrays: Int32Array[];

  constructor(arena: Arena, nlist: number, layout: ListLayout, withTerms = false) {
    this.arena = arena;
    this.nlist = nlist;
    this.layout = layout;
    this.withTerms = withTerms;
    this.blocks = new Array<ArenaBlock | undefined>(nlist).fill(undefined);
    this.termBlocks = new Array<ArenaBlock | undefined>(nlist).fill(undefined);
    this.sizes = new Int32Array(nlist);
    this.slotArrays = Array.from({ length: nlist }, () => new Int32Array(0));
  }

  size(list: number): number {
    return this.sizes[list]!;
  }

  /** The largest list's size. */
  maxSize(): number {
    let max = 0;
    for (let i = 0; i < this.nlist; i++) max = Math.max(max, this.sizes[i]!);
    return max;
  }

  /** Arena pointer of a list's entries (0 when empty); moves when the list grows. */
  ptr(list: number): number {
    return this.blocks[list]?.ptr ?? 0;
  }

  /** Arena pointer of a list's float32 terms (0 without terms or when empty); moves when the list grows. */
  termsPtr(list: number): number {
    return this.termBlocks[list]?.ptr ?? 0;
  }

  /** The slots of a list's entries, in entry order (a live view: copy before mutating). */
  slots(list: number): Int32Array {
    return this.slotArrays[list]!.subarray(0, this.sizes[list]!);
  }

  /** Bytes of arena memory held by the lists. */
  get byteLength(): number {
    let total = 0;
    for (const block of [...this.blocks, ...this.termBlocks]) total += block?.byteLength ?? 0;
    return total;
  }

  /**
   * Appends entries to lists: entry i goes to `lists[i]` with slot `slots[i]`; its bytes are
   * `entries[i * entryBytes ..]` (for fast-scan, the packed 4-bit code of `ceil(M / 2)` bytes)
   * and its term `terms[i]` (required exactly when the lists keep terms).
   */
  append(lists: Int32Array, slots: Int32Array, entries: Uint8Array, entryBytes: number, terms?: Float32Array): void {
    if ((terms !== undefined) !== this.withTerms) throw new InternalError(`InvertedLists: terms must be given exactly when the lists keep them`);
    const added = new Int32Array(this.nlist);
    for (let i = 0; i < lists.length; i++) added[lists[i]!]!++;
    // Allocate first: growing the arena invalidates views.
    for (let list = 0; list < this.nlist; list++) if (added[list]! > 0) this.reserve(list, this.sizes[list]! + added[list]!);
    const bytes = this.arena.u8(0, this.arena.byteLength);
    const floats = this.arena.f32(0, this.arena.byteLength >> 2);
    for (let i = 0; i < lists.length; i++) {
      const list = lists[i]!;
      const position = this.sizes[list]!++;
      this.slotArrays[list]![position] = slots[i]!;
      if (terms) floats[(this.termBlocks[list]!.ptr >> 2) + position] = terms[i]!;
      const base = this.blocks[list]!.ptr;
      if (this.layout.kind === 'rows') {
        bytes.set(entries.subarray(i * entryBytes, (i + 1) * entryBytes), base + position * entryBytes);
      } else {
        writeFastScanEntry(bytes, base, this.layout.M, position, entries, i * entryBytes);
      }
    }
  }

  /** Copies entry `position` of a list into `out` at `offset` (a packed code for fast-scan lists). */
  readEntry(list: number, position: number, out: Uint8Array, offset: number): void {
    const base = this.blocks[list]!.ptr;
    const bytes = this.arena.u8(0, this.arena.byteLength);
    if (this.layout.kind === 'rows') {
      const width = this.layout.entryBytes;
      out.set(bytes.subarray(base + position * width, base + (position + 1) * width), offset);
      return;
    }
    const { M } = this.layout;
    out.fill(0, offset, offset + ((M + 1) >> 1));
    for (let m = 0; m < M; m++) out[offset + (m >> 1)]! |= fastScanCode(bytes, base, M, position, m) << ((m & 1) << 2);
  }

  dispose(): void {
    for (let list = 0; list < this.nlist; list++) {
      for (const blocks of [this.blocks, this.termBlocks]) {
        const block = blocks[list];
        if (block) this.arena.free(block);
        blocks[list] = undefined;
      }
      this.sizes[list] = 0;
    }
  }

  private reserve(list: number, needed: number): void {
    const capacity = this.slotArrays[list]!.length;
    if (needed <= capacity) return;
    const target = roundUp32(Math.max(needed, Math.ceil(capacity * 1.5), MIN_CAPACITY));
    const bytes = this.bytesFor(target);
    const old = this.blocks[list];
    // Fresh fast-scan blocks must be zero: entries OR their nibbles in.
    const block = old ? this.arena.realloc(old, bytes) : this.arena.allocZeroed(bytes);
    if (old && this.layout.kind === 'fast-scan') {
      const kept = this.bytesFor(capacity);
      this.arena.u8(block.ptr + kept, block.byteLength - kept).fill(0);
    }
    this.blocks[list] = block;
    if (this.withTerms) {
      const terms = this.termBlocks[list];
      this.termBlocks[list] = terms ? this.arena.realloc(terms, target * 4) : this.arena.alloc(target * 4);
    }
    const slots = new Int32Array(target);
    slots.set(this.slotArrays[list]!);
    this.slotArrays[list] = slots;
  }

  private bytesFor(entries: number): number {
    return this.layout.kind === 'rows' ? entries * this.layout.entryBytes : (entries / 32) * this.layout.M * 16;
  }
}

function roundUp32(n: number): number {
  return Math.ceil(n / 32) * 32;
}

/** The 4-bit code of subspace m of entry `position` in a fast-scan list at `base`. */
export function fastScanCode(bytes: Uint8Array, base: number, M: number, position: number, m: number): number {
  const lane = position & 31;
  const byte = bytes[base + (position >> 5) * M * 16 + m * 16 + (lane & 15)]!;
  return lane < 16 ? byte & 15 : byte >> 4;
}

function writeFastScanEntry(bytes: Uint8Array, base: number, M: number, position: number, code: Uint8Array, offset: number): void {
  const lane = position & 31;
  const blockBase = base + (position >> 5) * M * 16 + (lane & 15);
  const shift = lane < 16 ? 0 : 4;
  for (let m = 0; m < M; m++) {
    const byte = code[offset + (m >> 1)]!;
    const nibble = m & 1 ? byte >> 4 : byte & 15;
    bytes[blockBase + m * 16] = bytes[blockBase + m * 16]! | (nibble << shift);
  }
}

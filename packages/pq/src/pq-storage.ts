import {
  CapacityError,
  DimensionMismatchError,
  InvalidArgumentError,
  UnsupportedOperationError,
  checkBatch,
  type Arena,
  type ArenaBlock,
  type Metric,
  type SlotScorer,
  type VectorStorage,
} from '@quiver/core-math';
import type { ProductQuantizer } from './product-quantizer.js';

export interface PqStorageOptions {
  /** A trained quantizer; the storage's metric is the quantizer's. Not disposed by the storage. */
  readonly quantizer: ProductQuantizer;
  /** Codes to reserve up front. */
  readonly initialCapacity?: number;
}

const MAX_SLOTS = 0x7fffffff;
const MIN_GROWTH = 64;

/** Arena blocks to free when the owner is collected without an explicit dispose/release. */
interface BlockHold {
  readonly arena: Arena;
  blocks: (ArenaBlock | undefined)[];
}
function freeHold(hold: BlockHold): void {
  for (const block of hold.blocks) if (block) hold.arena.free(block);
  hold.blocks = [];
}
const finalizer = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<BlockHold>(freeHold) : undefined;

/**
 * A `VectorStorage` of product-quantization codes: `append` encodes, `scorer()` scores a query
 * against stored codes through its asymmetric-distance table (kANNolo's DensePQ storage under a
 * graph). Codes live in one arena block, `codeSize` bytes per slot, so the SIMD kernels read them
 * in place.
 *
 * Scores follow Quiver's convention: l2 gives the negated squared distance to the decoded vector,
 * dot and cosine the inner product (of the normalized query under cosine).
 */
export class PqStorage implements VectorStorage {
  readonly quantizer: ProductQuantizer;
  readonly dim: number;
  readonly metric: Metric;
  private readonly hold: BlockHold;
  private count = 0;
  private capacity = 0;
  private disposed = false;

  constructor(options: PqStorageOptions) {
    if (options === null || typeof options !== 'object' || !options.quantizer) {
      throw new InvalidArgumentError('options', 'must be an object with a trained quantizer');
    }
    const { quantizer } = options;
    if (!quantizer.isTrained) throw new InvalidArgumentError('quantizer', 'must be trained before it backs a storage');
    this.quantizer = quantizer;
    this.dim = quantizer.dim;
    this.metric = quantizer.metric;
    this.hold = { arena: quantizer.kernels.arena, blocks: [undefined] };
    finalizer?.register(this, this.hold, this);
    const initial = options.initialCapacity ?? 0;
    if (!Number.isSafeInteger(initial) || initial < 0) {
      throw new InvalidArgumentError('initialCapacity', `must be a non-negative integer, got ${initial}`);
    }
    if (initial > 0) this.reserve(initial);
  }

  get size(): number {
    return this.count;
  }

  /** Bytes per stored vector: the code size. */
  get bytesPerVector(): number {
    return this.quantizer.codeSize;
  }

  /** Arena pointer of the codes (`size × codeSize` bytes); moves when an append grows the block. */
  get codesPtr(): number {
    this.checkUsable('codesPtr');
    return this.hold.blocks[0]?.ptr ?? 0;
  }

  /** Encodes and appends `vectors.length / dim` rows; returns the first new slot. */
  append(vectors: Float32Array): number {
    this.checkUsable('append');
    checkBatch(vectors, this.dim);
    return this.appendCodes(this.quantizer.encode(vectors));
  }

  /** Appends already encoded rows (`codeSize` bytes each); returns the first new slot. */
  appendCodes(codes: Uint8Array): number {
    this.checkUsable('appendCodes');
    const { codeSize } = this.quantizer;
    if (!(codes instanceof Uint8Array) || codes.length === 0 || codes.length % codeSize !== 0) {
      throw new InvalidArgumentError('codes', `must be a non-empty Uint8Array whose length is a multiple of ${codeSize}`);
    }
    if (this.quantizer.nbits === 4 && this.quantizer.M % 2 === 1) {
      for (let at = codeSize - 1; at < codes.length; at += codeSize) {
        if (codes[at]! >> 4 !== 0) throw new InvalidArgumentError('codes', 'the unused high nibble of an odd-M 4-bit code must be zero');
      }
    }
    const n = codes.length / codeSize;
    const first = this.count;
    if (first + n > MAX_SLOTS) throw new CapacityError(`PqStorage holds at most ${MAX_SLOTS} codes`);
    this.reserve(first + n);
    this.hold.arena.u8(this.codesPtr + first * codeSize, codes.length).set(codes);
    this.count = first + n;
    return first;
  }

  /** The decoded vector of a slot. */
  reconstruct(slot: number, out?: Float32Array): Float32Array {
    this.checkSlot(slot);
    if (out !== undefined && (!(out instanceof Float32Array) || out.length !== this.dim)) {
      throw new DimensionMismatchError(this.dim, (out as { length?: number })?.length ?? 0, 'out');
    }
    return this.quantizer.decode(this.code(slot), out);
  }

  /** A copy of one slot's code. */
  code(slot: number): Uint8Array {
    this.checkSlot(slot);
    const { codeSize } = this.quantizer;
    return this.hold.arena.u8(this.codesPtr + slot * codeSize, codeSize).slice();
  }

  /** A copy of every code, `size × codeSize` bytes. */
  codes(): Uint8Array {
    this.checkUsable('codes');
    return this.hold.arena.u8(this.codesPtr, this.count * this.quantizer.codeSize).slice();
  }

  scorer(): PqScorer {
    this.checkUsable('scorer');
    return new PqScorer(this);
  }

  /** Frees the codes (not the quantizer). Idempotent; any later call throws. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    finalizer?.unregister(this);
    freeHold(this.hold);
    this.count = 0;
    this.capacity = 0;
  }

  private reserve(needed: number): void {
    if (needed <= this.capacity) return;
    const { codeSize } = this.quantizer;
    const target = Math.max(needed, Math.ceil(this.capacity * 1.5), MIN_GROWTH);
    const { arena } = this.hold;
    const current = this.hold.blocks[0];
    const block = current ? arena.realloc(current, target * codeSize) : arena.alloc(target * codeSize);
    this.hold.blocks[0] = block;
    this.capacity = Math.floor(block.byteLength / codeSize);
  }

  private checkSlot(slot: number): void {
    this.checkUsable('reconstruct');
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.count) {
      throw new InvalidArgumentError('slot', `must be an integer in [0, ${this.count}), got ${slot}`);
    }
  }

  private checkUsable(operation: string): void {
    if (this.disposed) throw new UnsupportedOperationError('PqStorage', operation, 'the storage was disposed');
  }
}

/**
 * Scores one query against a `PqStorage`. `setQuery` builds the ADC table in the arena; `score`
 * reads it from JavaScript, `scoreMany` runs the gather kernel over a whole neighbour list. Both
 * give identical values. Holds arena memory: `release()` it when done (otherwise it is freed when
 * collected).
 */
export class PqScorer implements SlotScorer {
  private readonly storage: PqStorage;
  private readonly quantizer: ProductQuantizer;
  private readonly arena: Arena;
  private readonly hold: BlockHold;
  private readonly negate: boolean;
  private readonly tableSize: number;
  private hasQuery = false;
  private released = false;
  /** Views over the whole arena, refreshed when the memory grows. */
  private viewBuffer: ArrayBufferLike | undefined;
  private memF32: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private memU8: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  private gatherCapacity = 0;
  private readonly decodedA: Float32Array;
  private readonly decodedB: Float32Array;

  constructor(storage: PqStorage) {
    this.storage = storage;
    this.quantizer = storage.quantizer;
    this.arena = this.quantizer.kernels.arena;
    this.negate = storage.metric === 'l2';
    this.tableSize = this.quantizer.M * this.quantizer.ksub;
    // blocks: [query scratch + table, gather slots, gather out]
    this.hold = { arena: this.arena, blocks: [this.arena.alloc((this.quantizer.dim + this.tableSize) * 4), undefined, undefined] };
    finalizer?.register(this, this.hold, this);
    this.decodedA = new Float32Array(storage.dim);
    this.decodedB = new Float32Array(storage.dim);
  }

  setQuery(query: Float32Array): void {
    this.checkUsable();
    const block = this.hold.blocks[0]!;
    this.quantizer.adcTableAt(query, block.ptr, this.tablePtr);
    this.hasQuery = true;
  }

  score(slot: number): number {
    this.checkQuery();
    const { codeSize, M, nbits } = this.quantizer;
    this.refreshViews();
    const mem = this.memF32;
    const bytes = this.memU8;
    const table = this.tablePtr >> 2;
    const code = this.storage.codesPtr + slot * codeSize;
    let s = 0;
    if (nbits === 8) {
      for (let m = 0; m < M; m++) s = Math.fround(s + mem[table + (m << 8) + bytes[code + m]!]!);
    } else {
      for (let m = 0; m < M; m++) s = Math.fround(s + mem[table + (m << 4) + ((bytes[code + (m >> 1)]! >> ((m & 1) << 2)) & 15)]!);
    }
    return this.negate ? -s : s;
  }

  scoreMany(slots: Int32Array, count: number, out: Float32Array): void {
    this.checkQuery();
    if (count <= 0) return;
    this.reserveGather(count);
    const slotsBlock = this.hold.blocks[1]!;
    const outBlock = this.hold.blocks[2]!;
    this.arena.i32(slotsBlock.ptr, count).set(slots.subarray(0, count));
    const { M, nbits } = this.quantizer;
    this.quantizer.kernels.pqAdcGather(this.storage.codesPtr, M, nbits, this.tablePtr, slotsBlock.ptr, count, outBlock.ptr);
    const scores = this.arena.f32(outBlock.ptr, count);
    if (this.negate) for (let i = 0; i < count; i++) out[i] = -scores[i]!;
    else out.set(scores);
  }

  /** The score between two stored slots, from their decoded vectors (symmetric distance). */
  scoreBetween(a: number, b: number): number {
    this.checkUsable();
    const x = this.storage.reconstruct(a, this.decodedA);
    const y = this.storage.reconstruct(b, this.decodedB);
    let s = 0;
    for (let j = 0; j < x.length; j++) s += this.negate ? (x[j]! - y[j]!) ** 2 : x[j]! * y[j]!;
    return this.negate ? -s : s;
  }

  /** Frees the scorer's arena memory. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    finalizer?.unregister(this);
    freeHold(this.hold);
  }

  private get tablePtr(): number {
    return this.hold.blocks[0]!.ptr + this.quantizer.dim * 4;
  }

  private reserveGather(count: number): void {
    if (count <= this.gatherCapacity) return;
    const capacity = Math.max(count, 2 * this.gatherCapacity, 64);
    for (const i of [1, 2]) {
      const old = this.hold.blocks[i];
      if (old) this.arena.free(old);
      this.hold.blocks[i] = this.arena.alloc(capacity * 4);
    }
    this.gatherCapacity = capacity;
  }

  private refreshViews(): void {
    const buffer = this.arena.memory ? this.arena.memory.buffer : this.arena.buffer;
    if (buffer === this.viewBuffer && this.memU8.byteLength === buffer.byteLength) return;
    this.viewBuffer = buffer;
    this.memF32 = new Float32Array(buffer, 0, buffer.byteLength >> 2);
    this.memU8 = new Uint8Array(buffer);
  }

  private checkQuery(): void {
    this.checkUsable();
    if (!this.hasQuery) throw new InvalidArgumentError('query', 'call setQuery before scoring');
  }

  private checkUsable(): void {
    if (this.released) throw new UnsupportedOperationError('PqScorer', 'score', 'the scorer was released');
  }
}

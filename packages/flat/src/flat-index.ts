import {
  CapacityError,
  DimensionMismatchError,
  InvalidArgumentError,
  SlotBitset,
  SlotList,
  UnsupportedOperationError,
  checkBatch,
  checkDim,
  checkSearchBatch,
  checkSearchOptions,
  emptySearchResult,
  encodeEnvelope,
  envelopeChunks,
  exactScan,
  getKernels,
  INT8_SKETCH_STATS,
  sketchRowsInt8,
  normalized,
  parseMetric,
  popcount32,
  type Arena,
  type ArenaBlock,
  type DenseRows,
  type EnvelopeSpec,
  type ExactScanOptions,
  type IndexCapabilities,
  type Int8Sketch,
  type KernelChoice,
  type Kernels,
  type Metric,
  type ScanExecutor,
  type SearchOptions,
  type SearchResult,
  type SlotFilter,
  type VectorIndex,
} from '@quiver/core-math';
import { FLAT_FORMAT_MAJOR, FLAT_FORMAT_MINOR, FLAT_FOURCC, FLAT_ROWS_SECTION, FLAT_TOMBSTONES_SECTION } from './flat-format.js';

export interface FlatIndexOptions {
  readonly dim: number;
  /** `dot`, `cosine` (default) or `l2`, or an alias such as `ip` or `euclidean`. */
  readonly metric?: Metric | string;
  /** Kernel backend: `auto` (default), `wasm` or `js`. */
  readonly kernels?: KernelChoice;
  /** Rows to reserve up front (default: grow on the first add). */
  readonly initialCapacity?: number;
  /**
   * `int8` keeps an int8 sketch of every row (dim + 16 more bytes per vector) whose proven error
   * bounds prune the scan: results stay exactly those of the plain scan, with less memory traffic
   * and cheaper SIMD arithmetic. `none` (default) scans the float32 rows only.
   */
  readonly prefilter?: FlatPrefilter;
}

export type FlatPrefilter = 'none' | 'int8';

export interface FlatSearchAsyncOptions extends SearchOptions {
  /** Runs the scan elsewhere, e.g. the Node worker pool of `@quiver/core-math/node`. */
  readonly executor?: ScanExecutor;
}

/** Slots are reported in an Int32Array, so 2^31 - 1 is the most an index can hold. */
const MAX_SLOTS = 0x7fffffff;
const MIN_GROWTH_ROWS = 64;

const CAPABILITIES: IndexCapabilities = Object.freeze({
  remove: true,
  swapRemove: true,
  compact: true,
  filter: true,
  threshold: true,
  exact: true,
  serialize: true,
});

/**
 * What the finalizer needs to free an index's arena blocks (the rows and, with the int8
 * prefilter, the sketch codes and stats); never references the index itself.
 */
interface RowsHold {
  readonly arena: Arena;
  block: ArenaBlock | undefined;
  codes: ArenaBlock | undefined;
  stats: ArenaBlock | undefined;
}

function freeHold(hold: RowsHold): void {
  for (const block of [hold.block, hold.codes, hold.stats]) if (block) hold.arena.free(block);
  hold.block = hold.codes = hold.stats = undefined;
}

const rowsFinalizer = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<RowsHold>(freeHold) : undefined;
const SKETCH_STATS_BYTES = INT8_SKETCH_STATS * 4;

/** Lets the loader install validated rows without re-normalizing; not part of the public API. */
export const restoreRows: unique symbol = Symbol('FlatIndex.restoreRows');

/**
 * Exact (brute-force) search over float32 rows kept in one block of the kernels' arena, so the
 * WebAssembly kernels and worker threads scan them in place.
 *
 * Slots are dense and stable: `remove` only tombstones; `compact` and `swapRemove` are the two
 * operations that renumber, and both tell the caller how.
 *
 * The rows live outside the JavaScript heap: call `dispose()` when done (a FinalizationRegistry
 * frees them if an index is collected without it, at a time of the engine's choosing).
 */
export class FlatIndex implements VectorIndex {
  readonly kind = 'flat';
  readonly dim: number;
  readonly metric: Metric;
  readonly capabilities: IndexCapabilities = CAPABILITIES;
  readonly prefilter: FlatPrefilter;
  private readonly kernels: Kernels;
  private readonly hold: RowsHold;
  private capacityRows = 0;
  private slots = 0;
  /** Tombstone bitset; bits at or above `slots` are always zero. */
  private tombWords = new Uint32Array(0);
  private removedCount = 0;
  /** Live-slot bitset for filtered scans, rebuilt lazily after a mutation. */
  private liveCache: SlotBitset | undefined;
  private pendingScans = 0;
  private disposed = false;

  constructor(options: FlatIndexOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object with a dim');
    this.dim = checkDim(options.dim);
    this.metric = parseMetric(options.metric ?? 'cosine');
    this.kernels = getKernels(options.kernels ?? 'auto');
    const prefilter = options.prefilter ?? 'none';
    if (prefilter !== 'none' && prefilter !== 'int8') {
      throw new InvalidArgumentError('prefilter', `must be 'none' or 'int8', got ${String(prefilter)}`);
    }
    this.prefilter = prefilter;
    this.hold = { arena: this.kernels.arena, block: undefined, codes: undefined, stats: undefined };
    rowsFinalizer?.register(this, this.hold, this);
    const initial = options.initialCapacity ?? 0;
    if (!Number.isSafeInteger(initial) || initial < 0) {
      throw new InvalidArgumentError('initialCapacity', `must be a non-negative integer, got ${initial}`);
    }
    if (initial > 0) this.reserve(initial, initial);
  }

  /** Live (not removed) vectors. */
  get size(): number {
    return this.slots - this.removedCount;
  }

  /** Slots handed out and not compacted away: live plus tombstoned. */
  get slotCount(): number {
    return this.slots;
  }

  /** Rows that fit before the next reallocation. */
  get capacity(): number {
    return this.capacityRows;
  }

  /** Bytes of arena memory per stored vector: the float32 row, plus the int8 sketch if kept. */
  get bytesPerVector(): number {
    return this.dim * 4 + (this.prefilter === 'int8' ? this.dim + SKETCH_STATS_BYTES : 0);
  }

  /** The kernel backend in use (`wasm` or `js`). */
  get backend(): Kernels['backend'] {
    return this.kernels.backend;
  }

  /**
   * Appends `vectors.length / dim` rows and returns the first new slot. Under cosine a normalized
   * copy is stored and zero vectors are rejected.
   */
  add(vectors: Float32Array): number {
    this.checkMutable('add');
    const n = checkBatch(vectors, this.dim);
    const rows = this.metric === 'cosine' ? normalized(vectors, this.dim, 'throw') : vectors;
    const first = this.slots;
    if (first + n > MAX_SLOTS) throw new CapacityError(`FlatIndex holds at most ${MAX_SLOTS} slots`);
    this.reserve(first + n, Math.max(first + n, Math.ceil(this.capacityRows * 1.5), MIN_GROWTH_ROWS));
    const stored = this.kernels.arena.f32(this.hold.block!.ptr + first * this.rowBytes, n * this.dim);
    stored.set(rows);
    // The stored rows (a view of the arena) are sketched in place, without a copy.
    if (this.prefilter === 'int8') sketchRowsInt8(this.kernels, stored, this.dim, this.sketch()!, first);
    this.slots = first + n;
    this.liveCache = undefined;
    return first;
  }

  /**
   * The best `k` slots for each of the `queries.length / dim` queries, query-major, best first,
   * ties to the lower slot; unused positions hold slot -1 and score -Infinity.
   */
  search(queries: Float32Array, k: number, options: SearchOptions = {}): SearchResult {
    const plan = this.planSearch(queries, k, options);
    if (plan.empty) return emptySearchResult(plan.queryCount, k);
    return exactScan(this.kernels, this.denseRows(), this.metric, plan.queries, k, plan.scanOptions);
  }

  /**
   * `search` through an executor (the Node worker pool) when one is given, else on this thread.
   * While the promise is pending, operations that move rows (add, compact, swapRemove, dispose)
   * throw, because the executor reads the rows in place.
   */
  async searchAsync(queries: Float32Array, k: number, options: FlatSearchAsyncOptions = {}): Promise<SearchResult> {
    const { executor, ...searchOptions } = options;
    if (!executor) return this.search(queries, k, searchOptions);
    const plan = this.planSearch(queries, k, searchOptions);
    if (plan.empty) return emptySearchResult(plan.queryCount, k);
    this.pendingScans++;
    try {
      return await executor.exactScan(this.denseRows(), this.metric, plan.queries, k, plan.scanOptions);
    } finally {
      this.pendingScans--;
    }
  }

  /** Tombstones a slot; returns whether it was live. The slot number is not reused until `compact`. */
  remove(slot: number): boolean {
    this.checkUsable('remove');
    this.checkSlot(slot);
    if (this.isTombstoned(slot)) return false;
    this.tombWords[slot >>> 5]! |= 1 << (slot & 31);
    this.removedCount++;
    this.liveCache = undefined;
    return true;
  }

  isRemoved(slot: number): boolean {
    this.checkUsable('isRemoved');
    this.checkSlot(slot);
    return this.isTombstoned(slot);
  }

  /**
   * Removes the live `slot` in O(1) (amortized) by moving the last live vector into it:
   *
   * 1. `slot` must be live; a tombstoned slot throws `InvalidArgumentError`.
   * 2. Tombstoned slots at the end are dropped first (they hold nothing), so "last" means the
   *    highest live slot.
   * 3. If `slot` is that last live slot, it is dropped and -1 is returned; otherwise the last live
   *    vector moves into `slot` and its former slot number is returned.
   * 4. Tombstones at the end are dropped again, so afterwards `slotCount - 1` is live (or the index
   *    is empty). Interior tombstones are untouched; dropped slot numbers are reused by later adds.
   *
   * `size` drops by exactly one; no slot other than `slot` and the returned one changes meaning.
   */
  swapRemove(slot: number): number {
    this.checkMutable('swapRemove');
    this.checkSlot(slot);
    if (this.isTombstoned(slot)) throw new InvalidArgumentError('slot', `slot ${slot} was already removed`);
    this.dropTrailingTombstones();
    const last = this.slots - 1;
    let moved = -1;
    if (slot !== last) {
      this.moveRow(last, slot);
      moved = last;
    }
    this.slots = last;
    this.dropTrailingTombstones();
    this.liveCache = undefined;
    return moved;
  }

  /**
   * Drops tombstoned slots, moving live rows down in slot order. Returns `map[oldSlot] = newSlot`,
   * or -1 for removed slots, over the old `slotCount`.
   */
  compact(): Int32Array {
    this.checkMutable('compact');
    const map = new Int32Array(this.slots).fill(-1);
    let next = 0;
    for (let slot = 0; slot < this.slots; slot++) {
      if (this.isTombstoned(slot)) continue;
      if (next !== slot) this.moveRow(slot, next);
      map[slot] = next++;
    }
    this.tombWords.fill(0);
    this.removedCount = 0;
    this.slots = next;
    this.liveCache = undefined;
    return map;
  }

  /** Copies the stored vector of a live slot (unit length under cosine). */
  reconstruct(slot: number, out?: Float32Array): Float32Array {
    this.checkUsable('reconstruct');
    this.checkSlot(slot);
    if (this.isTombstoned(slot)) throw new InvalidArgumentError('slot', `slot ${slot} was removed`);
    if (out !== undefined) {
      if (!(out instanceof Float32Array)) throw new InvalidArgumentError('out', 'must be a Float32Array');
      if (out.length !== this.dim) throw new DimensionMismatchError(this.dim, out.length, 'out');
    }
    const target = out ?? new Float32Array(this.dim);
    target.set(this.kernels.arena.f32(this.hold.block!.ptr + slot * this.rowBytes, this.dim));
    return target;
  }

  /**
   * The stored rows (`slotCount × dim`, tombstoned ones included) as a view into the arena.
   * Valid until the next mutation of this index, and, on a non-shared arena, until any other
   * arena allocation (growing such a memory detaches the view).
   */
  rowsView(): Float32Array {
    this.checkUsable('rowsView');
    const block = this.hold.block;
    return block ? this.kernels.arena.f32(block.ptr, this.slots * this.dim) : new Float32Array(0);
  }

  /** The rows as the arena pointer an executor or kernel scans; valid like `rowsView()`. */
  denseRows(): DenseRows {
    this.checkUsable('denseRows');
    return { ptr: this.hold.block?.ptr ?? 0, count: this.slots, dim: this.dim };
  }

  /** The removed slots as a copy of the tombstone bitset (`slotCount` bits). */
  tombstones(): SlotBitset {
    this.checkUsable('tombstones');
    return new SlotBitset(this.slots, this.tombWords.slice(0, Math.ceil(this.slots / 32)));
  }

  /** Serializes to Quiver's envelope format, kind `FLAT` (see docs/file-format.md). */
  toBytes(): Uint8Array {
    return encodeEnvelope(this.envelopeSpec());
  }

  /**
   * The same bytes as `toBytes()`, as chunks for sequential sinks: the rows chunk is a view into
   * the arena, so write each chunk before mutating the index.
   */
  toChunks(): Generator<Uint8Array, void, undefined> {
    return envelopeChunks(this.envelopeSpec());
  }

  /** Frees the rows. Idempotent; any later call other than `dispose` throws. */
  dispose(): void {
    if (this.disposed) return;
    if (this.pendingScans > 0) throw new UnsupportedOperationError('FlatIndex', 'dispose', 'an async search is still running');
    this.disposed = true;
    rowsFinalizer?.unregister(this);
    freeHold(this.hold);
    this.capacityRows = 0;
    this.slots = 0;
    this.removedCount = 0;
    this.liveCache = undefined;
  }

  /** Installs rows and tombstones that a loader has validated (rows stored as is, not normalized). */
  [restoreRows](rows: Float32Array, tombWords: Uint32Array): void {
    const n = rows.length / this.dim;
    this.reserve(n, n);
    if (n > 0) {
      const stored = this.kernels.arena.f32(this.hold.block!.ptr, rows.length);
      stored.set(rows);
      if (this.prefilter === 'int8') sketchRowsInt8(this.kernels, stored, this.dim, this.sketch()!, 0);
    }
    this.slots = n;
    this.tombWords.set(tombWords.subarray(0, Math.ceil(n / 32)));
    let removed = 0;
    for (let i = 0; i < tombWords.length; i++) removed += popcount32(tombWords[i]!);
    this.removedCount = removed;
    this.liveCache = undefined;
  }

  private envelopeSpec(): EnvelopeSpec {
    this.checkUsable('toBytes');
    return {
      kind: FLAT_FOURCC,
      formatMajor: FLAT_FORMAT_MAJOR,
      formatMinor: FLAT_FORMAT_MINOR,
      metric: this.metric,
      scalar: 'f',
      dim: this.dim,
      count: this.slots,
      sections: [
        { tag: FLAT_ROWS_SECTION, data: this.rowsView() },
        { tag: FLAT_TOMBSTONES_SECTION, data: this.tombWords.subarray(0, Math.ceil(this.slots / 32)) },
      ],
    };
  }

  /** Validates a search and works out the scan: normalized queries and the admitted slots. */
  private planSearch(queries: Float32Array, k: number, options: SearchOptions): SearchPlan {
    this.checkUsable('search');
    const queryCount = checkSearchBatch(queries, this.dim, k);
    checkSearchOptions(options);
    const { filter, minScore, maxScore } = options;
    const prepared = this.metric === 'cosine' ? normalized(queries, this.dim, 'throw', 'queries') : queries;
    const scanOptions: { -readonly [K in keyof ExactScanOptions]: ExactScanOptions[K] } = {};
    const sketch = this.sketch();
    if (sketch) scanOptions.sketch = sketch;
    if (minScore !== undefined) scanOptions.minScore = minScore;
    if (maxScore !== undefined) scanOptions.maxScore = maxScore;
    if (filter !== undefined || this.removedCount > 0) {
      const allowed = this.admittedSlots(filter);
      scanOptions.allowed = allowed;
      scanOptions.allowedCount = allowed.count();
    }
    const empty = this.slots === 0 || scanOptions.allowedCount === 0;
    return { queryCount, queries: prepared, scanOptions, empty };
  }

  /** Live slots that pass the filter, as a bitset over `0..slotCount-1`. */
  private admittedSlots(filter: SlotFilter | undefined): SlotBitset {
    const live = this.liveSlots();
    if (filter === undefined) return live;
    const admitted = new SlotBitset(this.slots);
    const out = admitted.words;
    if (filter instanceof SlotBitset) {
      const words = filter.words;
      const common = Math.min(out.length, words.length);
      for (let i = 0; i < common; i++) out[i] = live.words[i]! & words[i]!;
      // Bits past the filter's own size are not members, even if its words carry them.
      for (let slot = filter.size; slot < Math.min(common * 32, this.slots); slot++) out[slot >>> 5]! &= ~(1 << (slot & 31));
    } else if (filter instanceof SlotList) {
      for (const slot of filter.slots()) {
        if (Number.isInteger(slot) && slot >= 0 && slot < this.slots && live.has(slot)) out[slot >>> 5]! |= 1 << (slot & 31);
      }
    } else {
      for (let slot = 0; slot < this.slots; slot++) {
        if (live.has(slot) && filter.has(slot)) out[slot >>> 5]! |= 1 << (slot & 31);
      }
    }
    return admitted;
  }

  private liveSlots(): SlotBitset {
    if (this.liveCache) return this.liveCache;
    const live = new SlotBitset(this.slots);
    const words = live.words;
    for (let i = 0; i < words.length; i++) words[i] = ~this.tombWords[i]! >>> 0;
    const tail = this.slots & 31;
    if (tail !== 0) words[words.length - 1]! &= (1 << tail) - 1;
    this.liveCache = live;
    return live;
  }

  private get rowBytes(): number {
    return this.dim * 4;
  }

  /** The int8 sketch over the current slots, when the prefilter is on and there is storage. */
  private sketch(): Int8Sketch | undefined {
    const { codes, stats } = this.hold;
    if (!codes || !stats) return undefined;
    return { codesPtr: codes.ptr, statsPtr: stats.ptr, count: this.slots, dim: this.dim };
  }

  /** Copies row `from` (and its sketch) over row `to`. */
  private moveRow(from: number, to: number): void {
    const bytes = this.kernels.arena.u8(0, this.kernels.arena.byteLength);
    const move = (block: ArenaBlock | undefined, width: number) => {
      if (block) bytes.copyWithin(block.ptr + to * width, block.ptr + from * width, block.ptr + (from + 1) * width);
    };
    move(this.hold.block, this.rowBytes);
    move(this.hold.codes, this.dim);
    move(this.hold.stats, SKETCH_STATS_BYTES);
  }

  /** Makes room for `needed` rows, allocating `target` rows when it has to move. */
  private reserve(needed: number, target: number): void {
    if (needed <= this.capacityRows) return;
    const { arena } = this.hold;
    const grow = (block: ArenaBlock | undefined, width: number) =>
      block ? arena.realloc(block, target * width) : arena.alloc(target * width);
    const block = grow(this.hold.block, this.rowBytes);
    this.hold.block = block;
    this.capacityRows = Math.floor(block.byteLength / this.rowBytes);
    if (this.prefilter === 'int8') {
      this.hold.codes = grow(this.hold.codes, this.dim);
      this.hold.stats = grow(this.hold.stats, SKETCH_STATS_BYTES);
      this.capacityRows = Math.min(this.capacityRows, Math.floor(this.hold.codes.byteLength / this.dim), Math.floor(this.hold.stats.byteLength / SKETCH_STATS_BYTES));
    }
    const words = new Uint32Array(Math.ceil(this.capacityRows / 32));
    words.set(this.tombWords);
    this.tombWords = words;
  }

  private dropTrailingTombstones(): void {
    while (this.slots > 0 && this.isTombstoned(this.slots - 1)) {
      const slot = --this.slots;
      this.tombWords[slot >>> 5]! &= ~(1 << (slot & 31));
      this.removedCount--;
    }
  }

  private isTombstoned(slot: number): boolean {
    return (this.tombWords[slot >>> 5]! & (1 << (slot & 31))) !== 0;
  }

  private checkSlot(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.slots) {
      throw new InvalidArgumentError('slot', `must be an integer in [0, ${this.slots}), got ${slot}`);
    }
  }

  private checkUsable(operation: string): void {
    if (this.disposed) throw new UnsupportedOperationError('FlatIndex', operation, 'the index was disposed');
  }

  private checkMutable(operation: string): void {
    this.checkUsable(operation);
    if (this.pendingScans > 0) {
      throw new UnsupportedOperationError('FlatIndex', operation, 'an async search is reading the rows; await it first');
    }
  }
}

interface SearchPlan {
  readonly queryCount: number;
  readonly queries: Float32Array;
  readonly scanOptions: ExactScanOptions;
  /** Nothing can match: no slots, or no admitted ones. */
  readonly empty: boolean;
}

// `using index = new FlatIndex(...)` where the runtime has explicit resource management. The
// TypeScript lib in use (ES2022) does not declare Symbol.dispose, hence the runtime lookup.
const disposeSymbol = (Symbol as { dispose?: symbol }).dispose;
if (disposeSymbol) {
  Object.defineProperty(FlatIndex.prototype, disposeSymbol, {
    value(this: FlatIndex) {
      this.dispose();
    },
    writable: true,
    configurable: true,
  });
}

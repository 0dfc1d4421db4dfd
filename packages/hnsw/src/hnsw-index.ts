import {
  CapacityError,
  DimensionMismatchError,
  GraphWalker,
  InvalidArgumentError,
  SlotBitset,
  SlotList,
  TopK,
  UnsupportedOperationError,
  checkBatch,
  checkSearchBatch,
  checkSearchOptions,
  emptySearchResult,
  getKernels,
  normalized,
  popcount32,
  throwIfAborted,
  GRAPH_BATCH_ENTRY,
  type Arena,
  type ArenaBlock,
  type GraphScoring,
  type IndexCapabilities,
  type Kernels,
  type LongTaskOptions,
  type Metric,
  type SearchResult,
  type SlotFilter,
  type SlotScorer,
  type VectorIndex,
  type VectorStorage,
} from '@quiver/core-math';
import { GraphMemory, MAX_LEVEL } from './graph-memory.js';
import { GraphScratch } from './graph-scratch.js';
import type { GraphSearchReply, GraphTask, HnswExecutor } from './graph-tasks.js';
import { encodeHnswIndex, hnswIndexChunks } from './hnsw-codec.js';
import { checkEarlyExit, checkIntegerIn, levelOf, MAX_EF, resolveParams, type HnswIndexOptions, type HnswParams } from './params.js';
import { PqGraphRows } from './pq-graph-rows.js';
import { createBuiltinStorage, isArenaRowStorage, isExternalStorage, type ArenaRowStorage, type BuiltinStorage, type VectorStorageFactory } from './row-storage.js';

/** A filter: a `SlotFilter` (bitset, list, any `has`) or a predicate over slots. */
export type HnswFilter = SlotFilter | ((slot: number) => boolean);

export interface HnswSearchOptions {
  /** Beam width (default: the index's `efSearch`; at least k, and at least the rerank count). */
  readonly efSearch?: number;
  /** Only slots the filter admits are returned. Selective filters switch to ACORN-1 search or brute force. */
  readonly filter?: HnswFilter;
  readonly minScore?: number;
  readonly maxScore?: number;
  /** Relaxation λ of the distance-adaptive early exit (default: the index's `earlyExit`). */
  readonly earlyExit?: number;
  /**
   * Rescore candidates with the `rerankStorage` vectors: `true` reranks all `efSearch` candidates,
   * a number reranks that many (at least k).
   */
  readonly rerank?: boolean | number;
}

const CAPABILITIES: IndexCapabilities = Object.freeze({
  remove: true,
  swapRemove: false,
  compact: false,
  filter: true,
  threshold: true,
  exact: false,
  serialize: true,
});

/** Rows inserted between progress reports and abort checks. */
const ADD_CHUNK = 1024;
/** Below this fraction of live slots a filter switches from "walk everything, return the admitted" to ACORN-1. */
const ACORN_BELOW = 0.3;
/**
 * The cost of an ACORN-1 walk in scan-equivalent distance computations per unit of ef (see
 * `filterPlan`). Measured crossovers (scan as fast as the walk): about 75 × ef on sigmod2024-dummy
 * (100-d, 1,000 admitted of 10k), about 45 × ef on the 128-d mixture (2,000 of 20k).
 */
const ACORN_SCORES_PER_EF = 48;
/** `addParallel` links nodes one by one until the graph has this many: batches only pay off on larger graphs. */
const SERIAL_BELOW = 1024;
/**
 * Batch sizes of `addParallel`: a fraction of the graph, clamped. A batch is planned against the
 * graph before it (its earlier nodes are scored as extra candidates), so small batches relative to
 * the graph keep the result close to a serial build; each batch costs two rounds of messages.
 */
const MIN_BATCH = 16;
const MAX_BATCH = 256;
const BATCH_FRACTION = 1 / 32;

/** Internal state a loader installs; not part of the public API. */
export const restoreGraph: unique symbol = Symbol('HnswIndex.restoreGraph');

export interface RestoredGraph {
  readonly levels: Uint8Array;
  readonly links0: Int32Array;
  readonly upper: Int32Array;
  readonly deadWords: Uint32Array;
  readonly entry: number;
  readonly maxLevel: number;
  /** The storage's rows; undefined when the loader filled the storage itself (PQ codes). */
  readonly rows: Uint8Array | undefined;
  readonly rerankRows: Uint8Array | undefined;
  /** Something the index disposes with itself (a loaded PQ quantizer). */
  readonly owned?: { dispose(): void } | undefined;
}

/**
 * Hierarchical navigable small-world graph (Malkov & Yashunin) over a pluggable `VectorStorage`.
 *
 * With the built-in storages (float32, float16, int8) the graph, the rows and the search scratch all
 * live in the kernels' arena, and a search or an insertion is one WebAssembly call that never leaves
 * SIMD code. Any other storage (PQ codes, ...) is walked in TypeScript through its `SlotScorer`.
 *
 * Slots are dense and stable; `remove` tombstones and repairs the neighbours' links. Call `dispose()`
 * to free the arena memory.
 */
export class HnswIndex implements VectorIndex {
  readonly kind = 'hnsw';
  readonly dim: number;
  readonly metric: Metric;
  readonly capabilities: IndexCapabilities = CAPABILITIES;
  readonly params: HnswParams;
  private storageValue: VectorStorage;
  private rerankValue: VectorStorage | undefined;
  private storageLabel: BuiltinStorage | 'custom';
  private rerankLabel: BuiltinStorage | 'custom' | undefined;
  private readonly kernels: Kernels;
  private readonly arena: Arena;
  private readonly graph: GraphMemory;
  /** The TypeScript path for storages the kernels cannot read (and for linking PQ codes). */
  private walker: { readonly walker: GraphWalker; readonly scoring: StorageScoring } | undefined;
  /** PQ codes the kernels search (with a per-query ADC table); linking them still takes the walker. */
  private pqRows: PqGraphRows | undefined;
  private removedCount = 0;
  private disposed = false;
  /** Per-thread contexts of executor tasks (index = thread). */
  private readonly scratches: GraphScratch[] = [];
  /** Async operations queued or running: they run one at a time, and block mutation meanwhile. */
  private pendingAsync = 0;
  private asyncQueue: Promise<unknown> = Promise.resolve();
  /** An `addParallel` is linking: the graph changes under a synchronous search. */
  private building = false;
  /** Disposed with the index. */
  private readonly owned: { dispose(): void }[] = [];

  constructor(options: HnswIndexOptions) {
    this.params = resolveParams(options);
    this.dim = this.params.dim;
    this.metric = this.params.metric;
    this.kernels = getKernels(options.kernels ?? 'auto');
    this.arena = this.kernels.arena;
    const build = (choice: BuiltinStorage | VectorStorageFactory): VectorStorage => {
      const storage = typeof choice === 'function' ? choice(this.dim, this.metric, this.arena) : createBuiltinStorage(choice, this.dim, this.metric, this.arena);
      if (storage === null || typeof storage !== 'object' || storage.dim !== this.dim || typeof storage.scorer !== 'function') {
        throw new InvalidArgumentError('storage', `the factory must return a VectorStorage of dimension ${this.dim}`);
      }
      if (storage.size !== 0) throw new InvalidArgumentError('storage', 'the factory must return an empty storage');
      return storage;
    };
    const storage = options.storage ?? 'float32';
    this.storageValue = build(storage);
    this.storageLabel = typeof storage === 'function' ? 'custom' : storage;
    const rerank = options.rerankStorage;
    this.rerankValue = rerank === undefined ? undefined : build(rerank);
    this.rerankLabel = rerank === undefined ? undefined : typeof rerank === 'function' ? 'custom' : rerank;
    const m = this.params.M;
    this.graph = new GraphMemory(this.arena, m, 2 * m, this.dim, this.metric === 'l2' ? 'l2' : 'dot');
    this.walker = this.walkerFor(this.storageValue);
    this.pqRows = PqGraphRows.over(this.storageValue, this.arena);
  }

  /** Where the vectors live. */
  get storage(): VectorStorage {
    return this.storageValue;
  }

  /** The rescoring copy of the vectors, if any. */
  get rerankStorage(): VectorStorage | undefined {
    return this.rerankValue;
  }

  /** `float32`, `float16`, `int8`, or `custom` for a factory's (or swapped-in) storage. */
  get storageName(): BuiltinStorage | 'custom' {
    return this.storageLabel;
  }

  get rerankStorageName(): BuiltinStorage | 'custom' | undefined {
    return this.rerankLabel;
  }

  /**
   * Puts another storage holding the same slots (e.g. PQ codes of the same vectors) under the
   * built graph: kANNolo's way to a quantized graph, built on exact vectors and searched over codes.
   * With `keepAsRerank`, the old storage becomes the rerank storage (replacing any); else it is
   * disposed.
   */
  swapStorage(storage: VectorStorage, options: { readonly keepAsRerank?: boolean } = {}): void {
    this.checkMutable('swapStorage');
    if (storage === null || typeof storage !== 'object' || storage.dim !== this.dim || typeof storage.scorer !== 'function') {
      throw new InvalidArgumentError('storage', `must be a VectorStorage of dimension ${this.dim}`);
    }
    if (storage.size !== this.slotCount) {
      throw new InvalidArgumentError('storage', `must hold the index's ${this.slotCount} slots, holds ${storage.size}`);
    }
    const old = this.storageValue;
    if (options.keepAsRerank) {
      disposeStorage(this.rerankValue);
      this.rerankValue = old;
      this.rerankLabel = this.storageLabel;
    } else {
      disposeStorage(old);
    }
    this.storageValue = storage;
    this.storageLabel = 'custom';
    this.walker = this.walkerFor(storage);
    this.pqRows?.dispose();
    this.pqRows = PqGraphRows.over(storage, this.arena);
  }

  /**
   * Replaces the rerank storage (disposing the old one) with another holding the index's slots, or
   * removes it (`undefined`). For memory-lean quantized indexes, pass a storage that reads
   * full-precision rows from a file on demand (`FileRowStorage` in `@quiver/hnsw/node`).
   */
  setRerankStorage(storage: VectorStorage | undefined): void {
    this.checkMutable('setRerankStorage');
    if (storage !== undefined) {
      if (storage === null || typeof storage !== 'object' || storage.dim !== this.dim || typeof storage.scorer !== 'function') {
        throw new InvalidArgumentError('storage', `must be a VectorStorage of dimension ${this.dim}`);
      }
      if (storage.size !== this.slotCount) throw new InvalidArgumentError('storage', `must hold the index's ${this.slotCount} slots, holds ${storage.size}`);
      if (storage === this.storageValue) throw new InvalidArgumentError('storage', 'is the index storage itself');
    }
    if (storage !== this.rerankValue) disposeStorage(this.rerankValue);
    this.rerankValue = storage;
    this.rerankLabel = storage === undefined ? undefined : 'custom';
  }

  /** Live (not removed) vectors. */
  get size(): number {
    return this.graph.nodes - this.removedCount;
  }

  /** Slots handed out: live plus tombstoned. */
  get slotCount(): number {
    return this.graph.nodes;
  }

  /**
   * The kernel backend that searches (`wasm` or `js`; also for PQ codes, whose graphs are linked in
   * TypeScript), or `walker` when the storage is scored in TypeScript.
   */
  get backend(): Kernels['backend'] | 'walker' {
    return this.walker && !this.pqRows ? 'walker' : this.kernels.backend;
  }

  /**
   * Bytes of memory: the stored vectors (and rerank copy, unless it lives in a file) plus the graph
   * and its search scratch.
   */
  get byteLength(): number {
    const rerank = this.rerankStorage && !isExternalStorage(this.rerankStorage) ? this.rerankStorage.bytesPerVector : 0;
    const rows = (this.storage.bytesPerVector + rerank) * this.graph.nodes;
    const scratch = this.scratches.reduce((sum, one) => sum + one.byteLength, 0) + (this.pqRows?.byteLength ?? 0);
    return rows + this.graph.byteLength + scratch;
  }

  /**
   * Appends `vectors.length / dim` rows, links each into the graph, and returns the first new slot.
   * Under cosine a normalized copy is stored (zero vectors are rejected). `onProgress(done, total)`
   * and the abort check run every 1024 rows; an abort keeps the rows linked so far.
   */
  add(vectors: Float32Array, options: LongTaskOptions = {}): number {
    this.checkMutable('add');
    this.checkAppendable('add');
    const n = checkBatch(vectors, this.dim);
    const rows = this.metric === 'cosine' ? normalized(vectors, this.dim, 'throw') : vectors;
    if (this.graph.nodes + n > 0x7fffffff) throw new CapacityError('an HnswIndex holds at most 2^31 - 1 slots');
    throwIfAborted(options.signal, 'HnswIndex.add');
    return this.addRows(rows, n, options);
  }

  /** Appends and links prepared (validated, normalized under cosine) rows one by one. */
  private addRows(rows: Float32Array, n: number, options: LongTaskOptions): number {
    const first = this.graph.nodes;
    for (let done = 0; done < n; ) {
      const end = Math.min(n, done + ADD_CHUNK);
      const chunk = rows.subarray(done * this.dim, end * this.dim);
      this.storage.append(chunk);
      this.rerankStorage?.append(chunk);
      for (let r = done; r < end; r++) this.insert(first + r);
      done = end;
      options.onProgress?.(done, n);
      if (done < n) throwIfAborted(options.signal, 'HnswIndex.add');
    }
    return first;
  }

  /**
   * `add` with the linking spread over an executor's threads (`HnswPool` from `@quiver/hnsw/node`,
   * over the index's arena). After the first 1024 nodes, nodes are linked in batches: every thread
   * plans its share of a batch against the graph as it stood (a read-only search and neighbour
   * selection, with the batch's earlier nodes as extra candidates), then each thread applies the
   * link changes of the nodes it owns. The graph differs slightly from `add`'s, with the same
   * recall; it does not depend on the thread count. Storages walked in TypeScript (PQ codes, ...)
   * are linked on the calling thread. Other calls that change the index throw until it settles.
   */
  async addParallel(vectors: Float32Array, executor: HnswExecutor, options: LongTaskOptions = {}): Promise<number> {
    this.checkUsable('addParallel');
    this.checkAppendable('addParallel');
    this.checkExecutor(executor);
    const n = checkBatch(vectors, this.dim);
    const rows = this.metric === 'cosine' ? normalized(vectors, this.dim, 'throw') : vectors.slice();
    if (this.graph.nodes + n > 0x7fffffff) throw new CapacityError('an HnswIndex holds at most 2^31 - 1 slots');
    throwIfAborted(options.signal, 'HnswIndex.addParallel');
    return this.exclusive(async () => {
      if (this.walker) return this.addRows(rows, n, options);
      const first = this.graph.nodes;
      const area = new BatchArea(this.arena);
      this.building = true;
      try {
        for (let done = 0; done < n; ) {
          const end = Math.min(n, done + ADD_CHUNK);
          const chunk = rows.subarray(done * this.dim, end * this.dim);
          this.storage.append(chunk);
          this.rerankStorage?.append(chunk);
          for (let next = first + done; next < first + end; ) {
            if (this.graph.entry < 0 || this.graph.nodes < SERIAL_BELOW) this.insert(next++);
            else next = await this.insertBatch(next, first + end, executor, area);
          }
          done = end;
          options.onProgress?.(done, n);
          if (done < n) throwIfAborted(options.signal, 'HnswIndex.addParallel');
        }
      } finally {
        this.building = false;
        area.dispose();
        // Per-thread marks and heaps take 12 bytes per node each: give them back after a build.
        for (const scratch of this.scratches.splice(0)) scratch.dispose();
      }
      return first;
    });
  }

  /** Builds an index over `vectors` with `addParallel`. */
  static async buildParallel(vectors: Float32Array, options: HnswIndexOptions, executor: HnswExecutor, task: LongTaskOptions = {}): Promise<HnswIndex> {
    const index = new HnswIndex(options);
    try {
      await index.addParallel(vectors, executor, task);
    } catch (error) {
      index.dispose();
      throw error;
    }
    return index;
  }

  /**
   * `search` with the queries spread over an executor's threads; the same results. PQ codes (their
   * per-query ADC tables are built on this thread), storages walked in TypeScript, and filters
   * admitting so few slots that they are scored exhaustively, run on the calling thread. Without an executor this is `search`.
   */
  async searchAsync(queries: Float32Array, k: number, options: HnswSearchOptions = {}, executor?: HnswExecutor): Promise<SearchResult> {
    if (executor === undefined) return this.search(queries, k, options);
    this.checkUsable('searchAsync');
    this.checkExecutor(executor);
    const { queryCount, plan } = this.checkSearch(queries, k, options);
    const original = queries.slice();
    const prepared = this.metric === 'cosine' ? normalized(original, this.dim, 'throw', 'queries') : original;
    return this.exclusive(async () => {
      if (this.walker || this.size === 0) return this.search(original, k, options);
      const allowed = this.allowedBlock(options.filter);
      try {
        if (allowed?.count === 0) return emptySearchResult(queryCount, k);
        const { scan, acorn } = this.filterPlan(allowed, plan.ef);
        if (scan) return this.search(original, k, options);
        const threads = Math.min(executor.threads, queryCount);
        const scratches = this.prepareScratches(threads, plan.ef);
        const tasks = scratches.map((scratch, t): GraphTask => {
          const q0 = Math.floor((t * queryCount) / threads);
          const q1 = Math.floor(((t + 1) * queryCount) / threads);
          const part = prepared.subarray(q0 * this.dim, q1 * this.dim);
          return { op: 'search', ctx: scratch.ctx, dim: this.dim, ef: plan.ef, lambda: plan.earlyExit, allowed: allowed?.block.ptr ?? 0, acorn, queries: part };
        });
        const replies = (await settleAll(tasks.map((task, t) => executor.run(t, task)))) as GraphSearchReply[];
        const slots = new Int32Array(queryCount * k).fill(-1);
        const scores = new Float32Array(queryCount * k).fill(-Infinity);
        const counts = new Uint32Array(queryCount);
        let q = 0;
        for (const reply of replies) {
          for (let i = 0; i < reply.counts.length; i++, q++) {
            const found = { ids: reply.ids.subarray(i * plan.ef, i * plan.ef + reply.counts[i]!), scores: reply.scores.subarray(i * plan.ef, i * plan.ef + reply.counts[i]!) };
            counts[q] = this.emit(found, prepared.subarray(q * this.dim, (q + 1) * this.dim), k, plan, slots, scores, q * k);
          }
        }
        return { k, queryCount, slots, scores, counts };
      } finally {
        if (allowed) this.arena.free(allowed.block);
      }
    });
  }

  /**
   * The best `k` slots for each of the `queries.length / dim` queries, query-major, best first;
   * unused positions hold slot −1 and score −Infinity.
   */
  search(queries: Float32Array, k: number, options: HnswSearchOptions = {}): SearchResult {
    this.checkUsable('search');
    if (this.building) throw new UnsupportedOperationError('HnswIndex', 'search', 'an addParallel is linking nodes; await it or use searchAsync');
    const { queryCount, plan } = this.checkSearch(queries, k, options);
    if (this.size === 0) return emptySearchResult(queryCount, k);
    const prepared = this.metric === 'cosine' ? normalized(queries, this.dim, 'throw', 'queries') : queries;
    const slots = new Int32Array(queryCount * k).fill(-1);
    const scores = new Float32Array(queryCount * k).fill(-Infinity);
    const counts = new Uint32Array(queryCount);
    const allowed = this.allowedBlock(options.filter);
    let list: SlotListBlock | undefined;
    try {
      if (allowed?.count === 0) return emptySearchResult(queryCount, k);
      const { scan, acorn } = this.filterPlan(allowed, plan.ef);
      if (scan) list = this.admittedList(allowed!);
      for (let q = 0; q < queryCount; q++) {
        const query = prepared.subarray(q * this.dim, (q + 1) * this.dim);
        const found = list ? this.scanOne(query, plan.ef, list) : this.searchOne(query, plan, allowed?.block.ptr ?? 0, acorn);
        counts[q] = this.emit(found, query, k, plan, slots, scores, q * k);
      }
    } finally {
      if (allowed) this.arena.free(allowed.block);
      if (list) this.arena.free(list.block);
    }
    return { k, queryCount, slots, scores, counts };
  }

  /** Tombstones a slot and repairs the links of its neighbours; returns whether it was live. */
  remove(slot: number): boolean {
    this.checkMutable('remove');
    this.checkSlot(slot);
    if (this.graph.isDead(slot)) return false;
    this.graph.markDead(slot);
    this.removedCount++;
    const level = this.graph.levels[slot]!;
    if (this.walker) this.walker.walker.repair(this.graph.ctx, slot, level);
    else {
      this.syncRows();
      this.kernels.graphRepair(this.graph.ctx, slot, level);
    }
    if (this.graph.entry === slot) this.replaceEntry();
    return true;
  }

  isRemoved(slot: number): boolean {
    this.checkUsable('isRemoved');
    this.checkSlot(slot);
    return this.graph.isDead(slot);
  }

  /** Copies the stored vector of a live slot (unit length under cosine; decoded for quantized storage). */
  reconstruct(slot: number, out?: Float32Array): Float32Array {
    this.checkUsable('reconstruct');
    this.checkSlot(slot);
    if (this.graph.isDead(slot)) throw new InvalidArgumentError('slot', `slot ${slot} was removed`);
    if (out !== undefined && !(out instanceof Float32Array)) throw new InvalidArgumentError('out', 'must be a Float32Array');
    if (out !== undefined && out.length !== this.dim) throw new DimensionMismatchError(this.dim, out.length, 'out');
    return this.storage.reconstruct(slot, out);
  }

  /** The links of `slot` at `level` (for inspection and tests). */
  neighbors(slot: number, level = 0): Int32Array {
    this.checkUsable('neighbors');
    this.checkSlot(slot);
    checkIntegerIn(level, 0, this.graph.levels[slot]!, 'level');
    return this.graph.links(slot, level);
  }

  /** The level of every slot, the entry point and the top level (for inspection and serialization). */
  graphLayout(): { levels: Uint8Array; entry: number; maxLevel: number; links0: Int32Array; upper: Int32Array; deadWords: Uint32Array } {
    this.checkUsable('graphLayout');
    return {
      levels: this.graph.levels.subarray(0, this.graph.nodes),
      entry: this.graph.entry,
      maxLevel: this.graph.maxLevel,
      links0: this.graph.links0View(),
      upper: this.graph.upperView(),
      deadWords: this.graph.deadWords(),
    };
  }

  /**
   * Serializes to Quiver's envelope format, kind `HNSW` (see docs/file-format.md): parameters,
   * levels, links, tombstones and rows. Built-in storages only.
   */
  toBytes(): Uint8Array {
    this.checkUsable('toBytes');
    return encodeHnswIndex(this);
  }

  /** The same bytes as `toBytes()` in chunks (rows and links are views: write each before mutating). */
  toChunks(): Generator<Uint8Array, void, undefined> {
    this.checkUsable('toBytes');
    return hnswIndexChunks(this);
  }

  /** Frees the arena memory. Idempotent; any later call other than `dispose` throws. */
  dispose(): void {
    if (this.disposed) return;
    this.checkMutable('dispose');
    this.disposed = true;
    for (const scratch of this.scratches.splice(0)) scratch.dispose();
    this.graph.dispose();
    this.pqRows?.dispose();
    disposeStorage(this.storageValue);
    disposeStorage(this.rerankValue);
    for (const resource of this.owned.splice(0)) resource.dispose();
  }

  /** Installs a graph and rows that a loader validated. */
  [restoreGraph](state: RestoredGraph): void {
    const count = state.levels.length;
    if (state.rows) (this.storage as ArenaRowStorage).restoreRows(state.rows, count);
    if (state.owned) this.owned.push(state.owned);
    if (this.rerankStorage && state.rerankRows) (this.rerankStorage as ArenaRowStorage).restoreRows(state.rerankRows, count);
    this.graph.restore(state.levels, state.links0, state.upper, state.deadWords, state.entry, state.maxLevel);
    let removed = 0;
    for (let i = 0; i < state.deadWords.length; i++) removed += popcount32(state.deadWords[i]!);
    this.removedCount = removed;
  }

  // ---- internals ----------------------------------------------------------------------------

  /** The TypeScript walker for storages the kernels cannot read in place; none for the built-in ones. */
  private walkerFor(storage: VectorStorage): { walker: GraphWalker; scoring: StorageScoring } | undefined {
    if (isArenaRowStorage(storage) && storage.arena === this.arena) return undefined;
    const scoring = new StorageScoring(storage);
    return { walker: new GraphWalker(this.arena, scoring), scoring };
  }

  private insert(node: number): void {
    const level = levelOf(node, this.params.seed, this.params.M, MAX_LEVEL);
    this.graph.addNode(level);
    this.graph.ensureResultCapacity(this.params.efConstruction);
    if (this.walker) {
      this.walker.walker.insert(this.graph.ctx, node, level, this.params.efConstruction);
      return;
    }
    this.syncRows();
    this.kernels.graphInsert(this.graph.ctx, node, level, this.params.efConstruction);
  }

  /**
   * Links nodes next.. (below `last`) as one batch through the executor (see `addParallel`); returns
   * the first node not linked. A batch ends early after a node that raises the top level, so the
   * next batch descends from it.
   */
  private async insertBatch(next: number, last: number, executor: HnswExecutor, area: BatchArea): Promise<number> {
    const { M, seed, efConstruction } = this.params;
    const size = Math.min(last - next, MAX_BATCH, Math.max(MIN_BATCH, Math.floor(this.graph.nodes * BATCH_FRACTION)));
    const top = this.graph.maxLevel;
    const levels: number[] = [];
    let recordWords = 0;
    while (levels.length < size) {
      const level = levelOf(next + levels.length, seed, M, MAX_LEVEL);
      levels.push(level);
      recordWords += (Math.min(level, top) + 1) * (M + 1);
      if (level > top) break;
    }
    const count = levels.length;
    for (const level of levels) this.graph.addNode(level);
    const { table, records } = area.reserve(count, recordWords);
    const entries = this.arena.i32(table, count * 4);
    const B = GRAPH_BATCH_ENTRY;
    let record = records;
    for (let b = 0; b < count; b++) {
      const planned = Math.min(levels[b]!, top) + 1;
      entries[4 * b + B.node] = next + b;
      entries[4 * b + B.level] = levels[b]!;
      entries[4 * b + B.record] = record;
      entries[4 * b + B.levelsPlanned] = planned;
      record += planned * (M + 1) * 4;
    }
    const threads = executor.threads;
    const scratches = this.prepareScratches(threads, efConstruction);
    await settleAll(scratches.map((scratch, t) => executor.run(t, { op: 'plan', ctx: scratch.ctx, batch: table, count, first: t, step: threads, efConstruction })));
    await settleAll(scratches.map((scratch, t) => executor.run(t, { op: 'commit', ctx: scratch.ctx, batch: table, count, worker: t, threads })));
    for (let b = 0; b < count; b++) if (levels[b]! > this.graph.maxLevel) this.graph.setEntry(next + b, levels[b]!);
    return next + count;
  }

  /** The first `threads` per-thread contexts, current with the graph and rows. */
  private prepareScratches(threads: number, ef: number): GraphScratch[] {
    this.syncRows();
    while (this.scratches.length < threads) this.scratches.push(new GraphScratch(this.graph));
    const scratches = this.scratches.slice(0, threads);
    for (const scratch of scratches) scratch.prepare(ef);
    return scratches;
  }

  /** Runs async operations one at a time; mutation throws while any is queued or running. */
  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    this.pendingAsync++;
    const run = this.asyncQueue.then(operation);
    this.asyncQueue = run.catch(() => undefined);
    return run.finally(() => {
      this.pendingAsync--;
    });
  }

  private checkExecutor(executor: HnswExecutor): void {
    if (executor === null || typeof executor !== 'object' || typeof executor.run !== 'function' || !Number.isInteger(executor.threads) || executor.threads < 1) {
      throw new InvalidArgumentError('executor', 'must be an HnswExecutor (an HnswPool, or createInlineExecutor())');
    }
    if (executor.arena !== this.arena) {
      throw new InvalidArgumentError('executor', "works in another arena than the index's (pools use defaultArena(); build the index with the same kernels)");
    }
  }

  private syncRows(): void {
    this.graph.setRows((this.storage as ArenaRowStorage).graphRows());
  }

  /**
   * Hands one prepared query to whoever scores it: the kernels' query area (or a PQ query's ADC
   * table), or the walker's scorer. Returns whether the kernels search.
   */
  private loadQuery(query: Float32Array): boolean {
    if (this.pqRows) {
      this.pqRows.setQuery(query);
      this.graph.setRows(this.pqRows.graphRows());
      return true;
    }
    if (this.walker) {
      this.walker.scoring.setQuery(query);
      return false;
    }
    this.syncRows();
    this.graph.queryView().set(query);
    return true;
  }

  /** Searches one prepared query; returns the found (id, score) pairs, best first. */
  private searchOne(query: Float32Array, plan: SearchPlan, allowed: number, acorn: boolean): Found {
    this.graph.ensureResultCapacity(plan.ef);
    const ctx = this.graph.ctx;
    const count = this.loadQuery(query)
      ? this.kernels.graphSearch(ctx, plan.ef, plan.earlyExit, allowed, acorn)
      : this.walker!.walker.search(ctx, plan.ef, plan.earlyExit, allowed, acorn);
    return this.graph.resultPairs(count);
  }

  /** Scores every listed slot (a filter's admitted live slots): the exact answer, with the graph's own scores. */
  private scanOne(query: Float32Array, ef: number, list: SlotListBlock): Found {
    this.graph.ensureResultCapacity(ef);
    const ctx = this.graph.ctx;
    const count = this.loadQuery(query) ? this.kernels.graphScan(ctx, list.block.ptr, list.count, ef) : this.walker!.walker.scan(ctx, list.block.ptr, list.count, ef);
    return this.graph.resultPairs(count);
  }

  /** The live slots of an allowed-slot bitset, as an int32 list in the arena. */
  private admittedList(allowed: AllowedSlots): SlotListBlock {
    const block = this.arena.alloc(Math.max(1, allowed.count) * 4);
    const list = this.arena.i32(block.ptr, allowed.count);
    const words = this.arena.u32(allowed.block.ptr, Math.ceil(this.graph.nodes / 32));
    const dead = this.graph.deadWords();
    let count = 0;
    for (let w = 0; w < words.length; w++) {
      let bits = words[w]! & ~(dead[w] ?? 0);
      while (bits !== 0) {
        list[count++] = w * 32 + (31 - Math.clz32(bits & -bits));
        bits &= bits - 1;
      }
    }
    return { block, count };
  }

  /**
   * How to search under a filter admitting `allowed.count` live slots, by estimated cost in
   * distance computations: the exhaustive scan costs one per admitted slot (exact, SIMD, no graph
   * upkeep); an ACORN-1 walk costs about ACORN_SCORES_PER_EF × ef (its expansions, two-hop
   * lookups, heap and visited-mark upkeep). Above ACORN_BELOW of the live slots the plain walk,
   * returning admitted nodes only, is cheaper still.
   */
  private filterPlan(allowed: AllowedSlots | undefined, ef: number): { scan: boolean; acorn: boolean } {
    if (allowed === undefined) return { scan: false, acorn: false };
    const scan = allowed.count <= ACORN_SCORES_PER_EF * ef;
    return { scan, acorn: !scan && allowed.count < ACORN_BELOW * this.size };
  }

  /** Writes the best k of `found` (reranked and thresholded) at `offset`; returns how many. */
  private emit(found: Found, query: Float32Array, k: number, plan: SearchPlan, slots: Int32Array, scores: Float32Array, offset: number): number {
    let { ids, scores: found32 } = found;
    if (plan.rerank > 0) ({ ids, scores: found32 } = this.rerank(query, ids, plan.rerank));
    let written = 0;
    for (let i = 0; i < ids.length && written < k; i++) {
      const score = found32[i]!;
      if ((plan.minScore !== undefined && score < plan.minScore) || (plan.maxScore !== undefined && score > plan.maxScore)) continue;
      slots[offset + written] = ids[i]!;
      scores[offset + written] = score;
      written++;
    }
    return written;
  }

  private rerank(query: Float32Array, ids: Int32Array, count: number): Found {
    const scorer = this.rerankValue!.scorer();
    scorer.setQuery(query);
    const n = Math.min(count, ids.length);
    const heap = new TopK(Math.max(1, n));
    // One call for all candidates: a file-backed storage reads their rows in one go.
    const rescored = new Float32Array(n);
    if (scorer.scoreMany) scorer.scoreMany(ids, n, rescored);
    else for (let i = 0; i < n; i++) rescored[i] = scorer.score(ids[i]!);
    for (let i = 0; i < n; i++) heap.push(rescored[i]!, ids[i]!);
    const outIds = new Int32Array(heap.size);
    const outScores = new Float32Array(heap.size);
    heap.drainInto(outScores, outIds);
    return { ids: outIds, scores: outScores };
  }

  /** Validates a search's arguments: the query count and the plan. */
  private checkSearch(queries: Float32Array, k: number, options: HnswSearchOptions): { queryCount: number; plan: SearchPlan } {
    const queryCount = checkSearchBatch(queries, this.dim, k);
    return { queryCount, plan: this.planSearch(k, options) };
  }

  private planSearch(k: number, options: HnswSearchOptions): SearchPlan {
    checkSearchOptions(options, true);
    const { minScore, maxScore } = options;
    const efSearch = checkIntegerIn(options.efSearch ?? this.params.efSearch, 1, MAX_EF, 'efSearch');
    const earlyExit = options.earlyExit === undefined ? this.params.earlyExit : checkEarlyExit(options.earlyExit);
    let rerank = 0;
    if (options.rerank !== undefined && options.rerank !== false) {
      if (!this.rerankStorage) throw new InvalidArgumentError('rerank', 'needs an index built with rerankStorage');
      rerank = options.rerank === true ? Math.max(efSearch, k) : checkIntegerIn(options.rerank, k, MAX_EF, 'rerank');
    }
    const ef = Math.min(MAX_EF, Math.max(efSearch, k, rerank));
    return { ef, earlyExit, rerank, minScore, maxScore };
  }

  /** The filter as an arena bitset over the slots, and how many live slots it admits. */
  private allowedBlock(filter: HnswFilter | undefined): AllowedSlots | undefined {
    if (filter === undefined) return undefined;
    const n = this.graph.nodes;
    const wordCount = Math.max(1, Math.ceil(n / 32));
    const block = this.arena.allocZeroed(wordCount * 4);
    const words = this.arena.u32(block.ptr, wordCount);
    const set = (slot: number) => {
      words[slot >>> 5]! |= 1 << (slot & 31);
    };
    if (typeof filter === 'function') {
      for (let slot = 0; slot < n; slot++) if (filter(slot)) set(slot);
    } else if (filter instanceof SlotBitset) {
      const limit = Math.min(n, filter.size);
      for (let w = 0; w < Math.ceil(limit / 32); w++) words[w] = filter.words[w]!;
      if (limit & 31) words[limit >>> 5]! &= (1 << (limit & 31)) - 1;
    } else if (filter instanceof SlotList) {
      for (const slot of filter.slots()) if (Number.isInteger(slot) && slot >= 0 && slot < n) set(slot);
    } else {
      for (let slot = 0; slot < n; slot++) if (filter.has(slot)) set(slot);
    }
    const dead = this.graph.deadWords();
    let count = 0;
    for (let w = 0; w < dead.length; w++) count += popcount32(words[w]! & ~dead[w]!);
    return { block, count };
  }

  /** The entry point was removed: take a live node of the highest level, or none. */
  private replaceEntry(): void {
    let best = -1;
    let bestLevel = -1;
    const levels = this.graph.levels;
    for (let node = 0; node < this.graph.nodes; node++) {
      if (levels[node]! > bestLevel && !this.graph.isDead(node)) {
        best = node;
        bestLevel = levels[node]!;
      }
    }
    this.graph.setEntry(best, Math.max(0, bestLevel));
  }

  private checkSlot(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.graph.nodes) {
      throw new InvalidArgumentError('slot', `must be an integer in [0, ${this.graph.nodes}), got ${slot}`);
    }
  }

  private checkUsable(operation: string): void {
    if (this.disposed) throw new UnsupportedOperationError('HnswIndex', operation, 'the index was disposed');
  }

  /** A read-only external rerank storage cannot take new rows: refuse before anything changes. */
  private checkAppendable(operation: string): void {
    const rerank = this.rerankValue;
    if (rerank && isExternalStorage(rerank) && !rerank.writable) {
      throw new UnsupportedOperationError('HnswIndex', operation, 'the rerank storage is a read-only file; detach it with setRerankStorage(undefined) or open the file writable');
    }
  }

  private checkMutable(operation: string): void {
    this.checkUsable(operation);
    if (this.pendingAsync > 0) throw new UnsupportedOperationError('HnswIndex', operation, 'an addParallel or searchAsync is pending; await it first');
  }
}

/** Waits for every task (none is left running on shared memory about to be freed), then throws the first failure. */
async function settleAll<T>(tasks: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(tasks);
  const failed = settled.find((outcome) => outcome.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((outcome) => (outcome as PromiseFulfilledResult<T>).value);
}

/** The batch table and records of `addParallel`, reused across batches. */
class BatchArea {
  private table: ArenaBlock | undefined;
  private records: ArenaBlock | undefined;

  constructor(private readonly arena: Arena) {}

  reserve(entries: number, recordWords: number): { table: number; records: number } {
    this.table = this.fit(this.table, entries * GRAPH_BATCH_ENTRY.bytes);
    this.records = this.fit(this.records, recordWords * 4);
    return { table: this.table.ptr, records: this.records.ptr };
  }

  dispose(): void {
    if (this.table) this.arena.free(this.table);
    if (this.records) this.arena.free(this.records);
    this.table = this.records = undefined;
  }

  private fit(block: ArenaBlock | undefined, bytes: number): ArenaBlock {
    if (block && block.byteLength >= bytes) return block;
    if (block) this.arena.free(block);
    return this.arena.alloc(Math.max(bytes, 2 * (block?.byteLength ?? 0)));
  }
}

function disposeStorage(storage: VectorStorage | undefined): void {
  (storage as { dispose?: () => void } | undefined)?.dispose?.();
}

interface SearchPlan {
  readonly ef: number;
  readonly earlyExit: number;
  readonly rerank: number;
  readonly minScore: number | undefined;
  readonly maxScore: number | undefined;
}

/** An allowed-slot bitset in the arena and how many live slots it admits. */
interface AllowedSlots {
  readonly block: ArenaBlock;
  readonly count: number;
}

/** A list of slots (int32) in the arena. */
interface SlotListBlock {
  readonly block: ArenaBlock;
  readonly count: number;
}

interface Found {
  readonly ids: Int32Array;
  readonly scores: Float32Array;
}

/**
 * `GraphScoring` over any `VectorStorage`: slot 0 is a scorer set to the query (or to a decoded
 * node), slot 1 asks `scoreBetween`, so the selection heuristic needs no per-candidate query setup.
 */
class StorageScoring implements GraphScoring {
  private readonly scorer: SlotScorer;
  private readonly buffer: Float32Array;
  private pairNode = 0;

  constructor(private readonly storage: VectorStorage) {
    this.scorer = storage.scorer();
    this.buffer = new Float32Array(storage.dim);
  }

  setQuery(query: Float32Array): void {
    this.scorer.setQuery(query);
  }

  setNodeQuery(which: 0 | 1, node: number): void {
    if (which === 1) this.pairNode = node;
    else this.scorer.setQuery(this.storage.reconstruct(node, this.buffer));
  }

  score(which: 0 | 1, node: number): number {
    return which === 1 ? this.scorer.scoreBetween(this.pairNode, node) : this.scorer.score(node);
  }

  scoreMany(which: 0 | 1, ids: Int32Array, count: number, out: Float32Array): void {
    if (which === 0 && this.scorer.scoreMany) {
      this.scorer.scoreMany(ids, count, out);
      return;
    }
    for (let i = 0; i < count; i++) out[i] = this.score(which, ids[i]!);
  }
}

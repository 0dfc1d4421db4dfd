import {
  CapacityError,
  DimensionMismatchError,
  InvalidArgumentError,
  NotTrainedError,
  TopK,
  UnsupportedOperationError,
  checkBatch,
  checkDim,
  checkSearchBatch,
  checkSearchOptions,
  emptySearchResult,
  encodeEnvelope,
  getKernels,
  normalized,
  parseMetric,
  popcount32,
  type Arena,
  type ArenaBlock,
  type EnvelopeSpec,
  type IndexCapabilities,
  type KernelChoice,
  type Kernels,
  type LongTaskOptions,
  type Metric,
  type ScanExecutor,
  type SearchOptions,
  type SearchResult,
  type SlotFilter,
  type VectorIndex,
} from '@quiver/core-math';
import { InvertedLists } from './inverted-lists.js';
import {
  IVF_ASSIGN_SECTION,
  IVF_CENTROIDS_SECTION,
  IVF_CODEBOOKS_SECTION,
  IVF_DATA_SECTION,
  IVF_FORMAT_MAJOR,
  IVF_FORMAT_MINOR,
  IVF_FOURCC,
  IVF_PARAMS_SECTION,
  IVF_RERANK_SECTION,
  IVF_TOMBSTONES_SECTION,
} from './ivf-format.js';
import { assignNearest, kmeans, kmeansAsync, type KMeansResult } from './kmeans.js';
import { ProductQuantizer, type PqBits } from './product-quantizer.js';

export type IvfStorage = 'flat' | 'pq';

export interface IvfIndexOptions {
  readonly dim: number;
  /** `dot`, `cosine` (default) or `l2`, or an alias. */
  readonly metric?: Metric | string;
  /** Number of lists (coarse k-means centroids). Training needs at least this many rows. */
  readonly nlist: number;
  /** `flat` (float32 rows in the lists, default) or `pq` (product-quantization codes). */
  readonly storage?: IvfStorage;
  /** PQ subspaces, dividing dim (default dim / 4, else dim / 2, else dim). */
  readonly M?: number;
  /** PQ bits per subspace: 8 (default) or 4 (lists scanned with the 4-bit fast scan). */
  readonly nbits?: PqBits;
  /** Encode each vector's residual from its list centroid (default true), as FAISS's IVFPQ. */
  readonly residual?: boolean;
  /** Keep float32 rows to rerank PQ candidates exactly and reconstruct exactly (default false). */
  readonly rerank?: boolean;
  /** Lists probed per query unless a search says otherwise (default min(nlist, 8)). */
  readonly nprobe?: number;
  /** With rerank, `k × rerankFactor` PQ candidates are rescored (default 4). */
  readonly rerankFactor?: number;
  /** Seed of the k-means runs (default 1234). */
  readonly seed?: number;
  /** k-means iterations (default 25). */
  readonly iterations?: number;
  /** Training rows per centroid at most (default 256). */
  readonly maxPointsPerCentroid?: number;
  readonly kernels?: KernelChoice;
}

export interface IvfSearchOptions extends SearchOptions {
  /** Lists probed (nearest centroids first). More lists are probed while fewer than k results are found. */
  readonly nprobe?: number;
  readonly rerankFactor?: number;
}

export interface IvfTrainAsyncOptions extends LongTaskOptions {
  /** Runs the coarse k-means assignment on worker threads (`WorkerPool` of `@quiver/core-math/node`). */
  readonly executor?: ScanExecutor;
}

const MAX_SLOTS = 0x7fffffff;
/** Without rerank, the 4-bit fast scan keeps `k × this` candidates by its uint8-table estimate, then scores them with the float table. */
const FAST_SCAN_SHORTLIST_FACTOR = 8;
/** uint16 sums of M uint8 entries stay exact up to M = 257. */
const MAX_FAST_SCAN_M = 256;

const CAPABILITIES: IndexCapabilities = Object.freeze({
  remove: true,
  swapRemove: false,
  compact: false,
  filter: true,
  threshold: true,
  exact: false,
  serialize: true,
});

/** Arena blocks the finalizer frees if an index is collected without dispose(). */
interface IvfHold {
  readonly arena: Arena;
  centroids: ArenaBlock | undefined;
  rerankRows: ArenaBlock | undefined;
  lists: InvertedLists | undefined;
  pq: ProductQuantizer | undefined;
}
function freeHold(hold: IvfHold): void {
  if (hold.centroids) hold.arena.free(hold.centroids);
  if (hold.rerankRows) hold.arena.free(hold.rerankRows);
  hold.lists?.dispose();
  hold.pq?.dispose();
  hold.centroids = hold.rerankRows = hold.lists = hold.pq = undefined;
}
const finalizer = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<IvfHold>(freeHold) : undefined;

/** What a loader installs; not part of the public API. */
export interface IvfRestoreData {
  readonly centroids: Float32Array;
  readonly codebooks: Float32Array | undefined;
  readonly assignments: Int32Array;
  readonly entries: Uint8Array;
  readonly rerankRows: Float32Array | undefined;
  readonly tombWords: Uint32Array;
}
export const restoreIvf: unique symbol = Symbol('IvfIndex.restore');

/**
 * An inverted-file index: k-means cuts the space into `nlist` cells, each vector is stored in the
 * list of its nearest centroid, and a query scans only the `nprobe` lists whose centroids are
 * nearest. Lists hold float32 rows (IVF-Flat) or product-quantization codes (IVF-PQ, optionally of
 * residuals, optionally reranked with kept float32 rows). Vectors go to the cell of their nearest
 * centroid (l2, as k-means built the cells). Queries probe the nearest centroids first, except
 * under `dot`, where they probe the centroids of largest inner product first, since those lists
 * are the likeliest to hold large inner products (as FAISS's inner-product coarse quantizer).
 *
 * Train first (`train` or `trainAsync`), then `add`. Slots are dense and stable; `remove`
 * tombstones. Data lives in the kernels' arena: call `dispose()` when done.
 */
export class IvfIndex implements VectorIndex {
  readonly kind = 'ivf';
  readonly dim: number;
  readonly metric: Metric;
  readonly nlist: number;
  readonly storage: IvfStorage;
  readonly M: number;
  readonly nbits: PqBits;
  readonly residual: boolean;
  readonly rerank: boolean;
  readonly nprobe: number;
  readonly rerankFactor: number;
  readonly capabilities: IndexCapabilities = CAPABILITIES;
  private readonly kernels: Kernels;
  private readonly seed: number | undefined;
  private readonly iterations: number | undefined;
  private readonly maxPointsPerCentroid: number | undefined;
  private readonly hold: IvfHold;
  private slots = 0;
  private slotList = new Int32Array(0);
  private slotPosition = new Int32Array(0);
  private tombWords = new Uint32Array(0);
  private removedCount = 0;
  private disposed = false;

  constructor(options: IvfIndexOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object with dim and nlist');
    this.dim = checkDim(options.dim);
    this.metric = parseMetric(options.metric ?? 'cosine');
    this.nlist = positiveInteger(options.nlist, 'nlist');
    const storage = options.storage ?? 'flat';
    if (storage !== 'flat' && storage !== 'pq') throw new InvalidArgumentError('storage', `must be 'flat' or 'pq', got ${String(storage)}`);
    this.storage = storage;
    this.M = options.M ?? defaultM(this.dim);
    this.nbits = options.nbits ?? 8;
    this.residual = options.residual ?? true;
    this.rerank = options.rerank ?? false;
    if (storage === 'flat' && options.rerank) throw new InvalidArgumentError('rerank', 'only applies to pq storage (flat lists are exact)');
    this.nprobe = positiveInteger(options.nprobe ?? Math.min(this.nlist, 8), 'nprobe');
    if (this.nprobe > this.nlist) throw new InvalidArgumentError('nprobe', `must be at most nlist (${this.nlist}), got ${this.nprobe}`);
    this.rerankFactor = positiveInteger(options.rerankFactor ?? 4, 'rerankFactor');
    this.seed = options.seed;
    this.iterations = options.iterations;
    this.maxPointsPerCentroid = options.maxPointsPerCentroid;
    this.kernels = getKernels(options.kernels ?? 'auto');
    this.hold = { arena: this.kernels.arena, centroids: undefined, rerankRows: undefined, lists: undefined, pq: undefined };
    finalizer?.register(this, this.hold, this);
    if (storage === 'pq') {
      if (this.nbits === 4 && this.M > MAX_FAST_SCAN_M) {
        throw new InvalidArgumentError('M', `4-bit lists are scanned with uint16 sums of uint8 tables, so M must be at most ${MAX_FAST_SCAN_M}, got ${this.M}`);
      }
      // Validates M and nbits. The PQ's tables are what the scan sums (see ListScan): l2 distances
      // without residuals, inner products otherwise (cosine vectors arrive normalized and residuals
      // must not be renormalized, so the PQ sees dot).
      this.hold.pq = new ProductQuantizer({
        dim: this.dim,
        M: this.M,
        nbits: this.nbits,
        metric: this.metric === 'l2' && !this.residual ? 'l2' : 'dot',
        kernels: this.kernels.backend,
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(options.iterations !== undefined ? { iterations: options.iterations } : {}),
        ...(options.maxPointsPerCentroid !== undefined ? { maxPointsPerCentroid: options.maxPointsPerCentroid } : {}),
      });
    }
  }

  get isTrained(): boolean {
    return this.hold.centroids !== undefined && (this.storage === 'flat' || this.hold.pq!.isTrained);
  }

  get size(): number {
    return this.slots - this.removedCount;
  }

  get slotCount(): number {
    return this.slots;
  }

  /**
   * Arena bytes per stored vector: the float32 row (flat), or the code, plus a float32 term under
   * l2 with residuals and the float32 row with rerank.
   */
  get bytesPerVector(): number {
    if (this.storage === 'flat') return this.dim * 4;
    return this.hold.pq!.codeSize + (this.keepsTerms ? 4 : 0) + (this.rerank ? this.dim * 4 : 0);
  }

  /**
   * IVF-PQ under l2 with residuals keeps one float32 per vector: ‖r‖² + 2⟨c, r⟩ for its list
   * centroid c and decoded residual r, the part of ‖q − c − r‖² = ‖q − c‖² + (‖r‖² + 2⟨c, r⟩) −
   * 2⟨q, r⟩ that depends on the code alone (FAISS's "term 1"). Queries then need one inner-product
   * table for all lists instead of one distance table per probed list.
   */
  private get keepsTerms(): boolean {
    return this.storage === 'pq' && this.residual && this.metric === 'l2';
  }

  /** A copy of the coarse centroids, nlist × dim. */
  centroids(): Float32Array {
    const block = this.trainedCentroids('centroids');
    return this.kernels.arena.f32(block.ptr, this.nlist * this.dim).slice();
  }

  /** Entries per list, tombstoned ones included. */
  listSizes(): Int32Array {
    this.checkUsable('listSizes');
    const lists = this.hold.lists;
    return Int32Array.from({ length: this.nlist }, (_, list) => lists?.size(list) ?? 0);
  }

  /**
   * Learns the coarse centroids (k-means, `nlist` of them) and, for pq storage, the codebooks (on
   * the residuals when `residual`). Needs at least `nlist` rows (and 2^nbits for pq); must precede
   * the first `add`.
   */
  train(sample: Float32Array, options: LongTaskOptions = {}): void {
    const prepared = this.prepareTraining(sample);
    this.finishTraining(prepared, kmeans(prepared, this.dim, this.kmeansOptions(options)), options);
  }

  /** `train` with the coarse assignment step on an executor (worker threads); the same result. */
  async trainAsync(sample: Float32Array, options: IvfTrainAsyncOptions = {}): Promise<void> {
    const prepared = this.prepareTraining(sample);
    const coarse = await kmeansAsync(prepared, this.dim, { ...this.kmeansOptions(options), ...(options.executor ? { executor: options.executor } : {}) });
    this.finishTraining(prepared, coarse, options);
  }

  /** Appends `vectors.length / dim` rows (normalized under cosine); returns the first new slot. */
  add(vectors: Float32Array): number {
    this.checkUsable('add');
    if (!this.isTrained) throw new NotTrainedError('IvfIndex');
    const n = checkBatch(vectors, this.dim);
    const first = this.slots;
    if (first + n > MAX_SLOTS) throw new CapacityError(`IvfIndex holds at most ${MAX_SLOTS} slots`);
    const rows = this.metric === 'cosine' ? normalized(vectors, this.dim, 'throw') : vectors;
    const labels = assignNearest(this.kernels, this.hold.centroids!.ptr, this.nlist, this.dim, rows);
    const entries = this.storage === 'flat' ? bytesOf(rows) : this.hold.pq!.encode(this.residual ? this.residuals(rows, labels) : rows);
    this.install(labels, entries, this.rerank ? rows : undefined);
    return first;
  }

  search(queries: Float32Array, k: number, options: IvfSearchOptions = {}): SearchResult {
    this.checkUsable('search');
    const queryCount = checkSearchBatch(queries, this.dim, k);
    checkSearchOptions(options);
    const { filter, minScore, maxScore } = options;
    const nprobe = positiveInteger(options.nprobe ?? this.nprobe, 'nprobe');
    const rerankFactor = positiveInteger(options.rerankFactor ?? this.rerankFactor, 'rerankFactor');
    const result = emptySearchResult(queryCount, k);
    if (this.size === 0) return result;
    const prepared = this.metric === 'cosine' ? normalized(queries, this.dim, 'throw', 'queries') : queries;
    const scan = new ListScan(this, this.kernels, this.hold.lists!, this.hold.pq, {
      k,
      nprobe: Math.min(nprobe, this.nlist),
      rerankFactor,
      filter,
      minScore: minScore ?? -Infinity,
      maxScore: maxScore ?? Infinity,
    });
    try {
      for (let q = 0; q < queryCount; q++) {
        result.counts[q] = scan.run(prepared.subarray(q * this.dim, (q + 1) * this.dim), result.scores, result.slots, q * k);
      }
    } finally {
      scan.dispose();
    }
    return result;
  }

  remove(slot: number): boolean {
    this.checkUsable('remove');
    this.checkSlot(slot);
    if (this.isTombstoned(slot)) return false;
    this.tombWords[slot >>> 5]! |= 1 << (slot & 31);
    this.removedCount++;
    return true;
  }

  isRemoved(slot: number): boolean {
    this.checkUsable('isRemoved');
    this.checkSlot(slot);
    return this.isTombstoned(slot);
  }

  /** The stored vector: exact for flat lists and with rerank rows, else the PQ reconstruction. */
  reconstruct(slot: number, out?: Float32Array): Float32Array {
    this.checkUsable('reconstruct');
    this.checkSlot(slot);
    if (this.isTombstoned(slot)) throw new InvalidArgumentError('slot', `slot ${slot} was removed`);
    if (out !== undefined && (!(out instanceof Float32Array) || out.length !== this.dim)) {
      throw new DimensionMismatchError(this.dim, (out as { length?: number })?.length ?? 0, 'out');
    }
    const target = out ?? new Float32Array(this.dim);
    const { arena } = this.kernels;
    if (this.rerank) {
      target.set(arena.f32(this.hold.rerankRows!.ptr + slot * this.dim * 4, this.dim));
      return target;
    }
    const entry = this.entryOf(slot);
    if (this.storage === 'flat') {
      target.set(new Float32Array(entry.buffer, entry.byteOffset, this.dim));
      return target;
    }
    this.hold.pq!.decode(entry, target);
    if (this.residual) {
      const centroids = arena.f32(this.hold.centroids!.ptr + this.slotList[slot]! * this.dim * 4, this.dim);
      for (let j = 0; j < this.dim; j++) target[j] = Math.fround(target[j]! + centroids[j]!);
    }
    return target;
  }

  /** Serializes to Quiver's envelope format, kind `IVF ` (see docs/file-format.md). */
  toBytes(): Uint8Array {
    this.checkUsable('toBytes');
    const centroids = this.trainedCentroids('toBytes');
    const { arena } = this.kernels;
    const pq = this.hold.pq;
    const params = new Uint32Array([
      this.nlist,
      this.storage === 'pq' ? 1 : 0,
      this.M,
      this.nbits,
      this.residual ? 1 : 0,
      this.rerank ? 1 : 0,
      this.nprobe,
      this.rerankFactor,
    ]);
    const entryBytes = this.entryBytes;
    const entries = new Uint8Array(this.slots * entryBytes);
    for (let slot = 0; slot < this.slots; slot++) entries.set(this.entryOf(slot), slot * entryBytes);
    const sections: EnvelopeSpec['sections'][number][] = [
      { tag: IVF_PARAMS_SECTION, data: params },
      { tag: IVF_CENTROIDS_SECTION, data: arena.f32(centroids.ptr, this.nlist * this.dim).slice() },
    ];
    if (pq) sections.push({ tag: IVF_CODEBOOKS_SECTION, data: pq.centroids() });
    sections.push({ tag: IVF_ASSIGN_SECTION, data: this.slotList.slice(0, this.slots) });
    sections.push({ tag: IVF_DATA_SECTION, data: entries });
    if (this.rerank) sections.push({ tag: IVF_RERANK_SECTION, data: arena.f32(this.hold.rerankRows?.ptr ?? 0, this.slots * this.dim).slice() });
    sections.push({ tag: IVF_TOMBSTONES_SECTION, data: this.tombWords.slice(0, Math.ceil(this.slots / 32)) });
    return encodeEnvelope({
      kind: IVF_FOURCC,
      formatMajor: IVF_FORMAT_MAJOR,
      formatMinor: IVF_FORMAT_MINOR,
      metric: this.metric,
      scalar: 'f',
      dim: this.dim,
      count: this.slots,
      sections,
    });
  }

  /** Frees the arena memory. Idempotent; any later call throws. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    finalizer?.unregister(this);
    freeHold(this.hold);
    this.slots = 0;
    this.removedCount = 0;
  }

  /** Installs validated file contents into this fresh index (no normalization or encoding). */
  [restoreIvf](data: IvfRestoreData): void {
    this.installCentroids(data.centroids);
    if (data.codebooks) this.hold.pq!.setCentroids(data.codebooks);
    this.createLists();
    if (data.assignments.length > 0) this.install(data.assignments, data.entries, data.rerankRows);
    this.tombWords.set(data.tombWords);
    let removed = 0;
    for (let i = 0; i < data.tombWords.length; i++) removed += popcount32(data.tombWords[i]!);
    this.removedCount = removed;
  }

  /** Bytes per list entry in slot-order form (a float32 row, or a packed code). */
  get entryBytes(): number {
    return this.storage === 'flat' ? this.dim * 4 : this.hold.pq!.codeSize;
  }

  /** @internal Used by ListScan. */
  isTombstoned(slot: number): boolean {
    return (this.tombWords[slot >>> 5]! & (1 << (slot & 31))) !== 0;
  }

  /** @internal The list holding a slot's entry. */
  listOf(slot: number): number {
    return this.slotList[slot]!;
  }

  /** @internal A slot's position in its list. */
  positionOf(slot: number): number {
    return this.slotPosition[slot]!;
  }

  /** @internal The float32 rows kept for reranking (arena pointer). */
  get rerankRowsPtr(): number {
    return this.hold.rerankRows?.ptr ?? 0;
  }

  /** @internal The coarse centroids (arena pointer). */
  get centroidsPtr(): number {
    return this.hold.centroids!.ptr;
  }

  private prepareTraining(sample: Float32Array): Float32Array {
    this.checkUsable('train');
    if (this.slots > 0) throw new UnsupportedOperationError('IvfIndex', 'train', 'the index already holds vectors; train before the first add');
    const n = checkBatch(sample, this.dim, 'sample');
    if (n < this.nlist) throw new InvalidArgumentError('sample', `training ${this.nlist} lists needs at least ${this.nlist} rows, got ${n}`);
    const pq = this.hold.pq;
    if (pq && n < pq.ksub) throw new InvalidArgumentError('sample', `training the PQ codebooks needs at least ${pq.ksub} rows, got ${n}`);
    return this.metric === 'cosine' ? normalized(sample, this.dim, 'throw', 'sample') : sample;
  }

  private kmeansOptions(options: LongTaskOptions): Parameters<typeof kmeans>[2] {
    return {
      k: this.nlist,
      kernels: this.kernels.backend,
      ...(this.seed !== undefined ? { seed: this.seed } : {}),
      ...(this.iterations !== undefined ? { iterations: this.iterations } : {}),
      ...(this.maxPointsPerCentroid !== undefined ? { maxPointsPerCentroid: this.maxPointsPerCentroid } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    };
  }

  private finishTraining(prepared: Float32Array, coarse: KMeansResult, options: LongTaskOptions): void {
    this.installCentroids(coarse.centroids);
    const pq = this.hold.pq;
    if (pq) {
      const labels = this.residual ? assignNearest(this.kernels, this.hold.centroids!.ptr, this.nlist, this.dim, prepared) : undefined;
      pq.train(labels ? this.residuals(prepared, labels) : prepared, options.signal ? { signal: options.signal } : {});
    }
    this.createLists();
  }

  private installCentroids(centroids: Float32Array): void {
    const { arena } = this.kernels;
    this.hold.centroids ??= arena.alloc(this.nlist * this.dim * 4);
    arena.f32(this.hold.centroids.ptr, this.nlist * this.dim).set(centroids);
  }

  private createLists(): void {
    this.hold.lists?.dispose();
    const layout =
      this.storage === 'pq' && this.nbits === 4
        ? ({ kind: 'fast-scan', M: this.M } as const)
        : ({ kind: 'rows', entryBytes: this.entryBytes } as const);
    this.hold.lists = new InvertedLists(this.kernels.arena, this.nlist, layout, this.keepsTerms);
  }

  /** x - c(label) for every row. */
  private residuals(rows: Float32Array, labels: Int32Array): Float32Array {
    const { dim } = this;
    const centroids = this.kernels.arena.f32(this.hold.centroids!.ptr, this.nlist * dim);
    const out = new Float32Array(rows.length);
    for (let i = 0; i < labels.length; i++) {
      const c = labels[i]! * dim;
      for (let j = 0; j < dim; j++) out[i * dim + j] = rows[i * dim + j]! - centroids[c + j]!;
    }
    return out;
  }

  /**
   * Term 1 of every code (see `keepsTerms`), accumulated in float64 from the float32 centroids
   * and codebooks. Adding and loading both compute it here, so a loaded index scores identically.
   */
  private residualTerms(labels: Int32Array, codes: Uint8Array): Float32Array {
    const pq = this.hold.pq!;
    const { M, ksub, dsub, codeSize } = pq;
    const { dim } = this;
    const { arena } = this.kernels;
    const codebooks = arena.f32(pq.centroidsPtr, M * ksub * dsub);
    const centroids = arena.f32(this.hold.centroids!.ptr, this.nlist * dim);
    const terms = new Float32Array(labels.length);
    for (let i = 0; i < labels.length; i++) {
      const c = labels[i]! * dim;
      let sum = 0;
      for (let m = 0; m < M; m++) {
        const r = (m * ksub + pq.subCode(codes, i * codeSize, m)) * dsub;
        for (let j = 0; j < dsub; j++) {
          const v = codebooks[r + j]!;
          sum += v * (v + 2 * centroids[c + m * dsub + j]!);
        }
      }
      terms[i] = sum;
    }
    return terms;
  }

  /** Appends entries (slot order from `slotCount`) to their lists, with rerank rows when kept. */
  private install(labels: Int32Array, entries: Uint8Array, rerankRows: Float32Array | undefined): void {
    const n = labels.length;
    const first = this.slots;
    const lists = this.hold.lists!;
    this.reserveSlots(first + n);
    if (rerankRows) {
      const { arena } = this.kernels;
      const bytes = (first + n) * this.dim * 4;
      const old = this.hold.rerankRows;
      if (!old || old.byteLength < bytes) {
        const target = Math.max(bytes, Math.ceil((old?.byteLength ?? 0) * 1.5));
        this.hold.rerankRows = old ? arena.realloc(old, target) : arena.alloc(target);
      }
      arena.f32(this.hold.rerankRows!.ptr + first * this.dim * 4, n * this.dim).set(rerankRows);
    }
    const slots = new Int32Array(n);
    const pending = new Int32Array(this.nlist);
    for (let i = 0; i < n; i++) {
      const list = labels[i]!;
      slots[i] = first + i;
      this.slotList[first + i] = list;
      this.slotPosition[first + i] = lists.size(list) + pending[list]!++;
    }
    lists.append(labels, slots, entries, this.entryBytes, this.keepsTerms ? this.residualTerms(labels, entries) : undefined);
    this.slots = first + n;
  }

  private reserveSlots(needed: number): void {
    if (needed <= this.slotList.length) return;
    const capacity = Math.max(needed, Math.ceil(this.slotList.length * 1.5), 64);
    const grow = <T extends Int32Array | Uint32Array>(old: T, length: number, make: (n: number) => T): T => {
      const fresh = make(length);
      fresh.set(old);
      return fresh;
    };
    this.slotList = grow(this.slotList, capacity, (n) => new Int32Array(n));
    this.slotPosition = grow(this.slotPosition, capacity, (n) => new Int32Array(n));
    this.tombWords = grow(this.tombWords, Math.ceil(capacity / 32), (n) => new Uint32Array(n));
  }

  /** A slot's entry in slot-order form (a packed code for fast-scan lists). */
  private entryOf(slot: number): Uint8Array {
    const out = new Uint8Array(this.entryBytes);
    this.hold.lists!.readEntry(this.slotList[slot]!, this.slotPosition[slot]!, out, 0);
    return out;
  }

  private trainedCentroids(operation: string): ArenaBlock {
    this.checkUsable(operation);
    if (!this.isTrained) throw new NotTrainedError('IvfIndex');
    return this.hold.centroids!;
  }

  private checkSlot(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.slots) {
      throw new InvalidArgumentError('slot', `must be an integer in [0, ${this.slots}), got ${slot}`);
    }
  }

  private checkUsable(operation: string): void {
    if (this.disposed) throw new UnsupportedOperationError('IvfIndex', operation, 'the index was disposed');
  }
}

interface ScanParams {
  readonly k: number;
  readonly nprobe: number;
  readonly rerankFactor: number;
  readonly filter: SlotFilter | undefined;
  readonly minScore: number;
  readonly maxScore: number;
}

/**
 * One search's working state: arena scratch, the heaps, and `run`, which answers one query.
 *
 * IVF-PQ scores all lists from ONE table per query (FAISS's precomputed-table decomposition).
 * A code's value is bias + term + scale × (its table sum), per list:
 * - l2 with residuals: ‖q − c − r‖² = ‖q − c‖² (the coarse distance, as bias) + the code's kept
 *   term ‖r‖² + 2⟨c, r⟩ − 2⟨q, r⟩ (the inner-product table, scale −2);
 * - dot / cosine with residuals: ⟨q, c⟩ (bias) + ⟨q, r⟩;
 * - without residuals: the table sum alone (l2 distances or inner products).
 * A probed list thus costs no table work, and all probed lists go to one kernel call. l2 values
 * are distances, negated into scores.
 */
class ListScan {
  private readonly index: IvfIndex;
  private readonly kernels: Kernels;
  private readonly lists: InvertedLists;
  private readonly pq: ProductQuantizer | undefined;
  private readonly params: ScanParams;
  private readonly dim: number;
  private readonly nlist: number;
  private readonly l2: boolean;
  /** −1 under l2 (values are distances), else 1. */
  private readonly sign: number;
  /** Factor of the table sum: −2 under l2 with residuals, else 1. */
  private readonly scale: number;
  private readonly scratch: ArenaBlock;
  private readonly queryPtr: number;
  private readonly pqQueryPtr: number;
  private readonly coarsePtr: number;
  private readonly coarseDotPtr: number;
  private readonly tablePtr: number;
  private readonly lutPtr: number;
  private readonly lutParamsPtr: number;
  private readonly descriptorsPtr: number;
  private readonly valuesPtr: number;
  /** `pqFastScanGather`'s input (list pointer, position) and output for the shortlist. */
  private readonly refsPtr: number;
  private readonly sumsPtr: number;
  /** The lists of the current kernel call, in descriptor order. */
  private readonly scanned: Int32Array;
  /** Candidates: the k best, or k × rerankFactor before reranking. */
  private readonly heap: TopK;
  private readonly finalHeap: TopK | undefined;
  /** The 4-bit fast scan's candidates by estimate (without rerank); emptied by every flush. */
  private readonly shortlist: TopK | undefined;
  private readonly candidateScores: Float32Array;
  private readonly candidateSlots: Int32Array;
  /** Views of the whole arena memory, taken at the start of each query. */
  private mem: Float32Array = new Float32Array(0);
  private words: Int32Array = new Int32Array(0);

  constructor(index: IvfIndex, kernels: Kernels, lists: InvertedLists, pq: ProductQuantizer | undefined, params: ScanParams) {
    this.index = index;
    this.kernels = kernels;
    this.lists = lists;
    this.pq = pq;
    this.params = params;
    this.dim = index.dim;
    this.nlist = index.nlist;
    this.l2 = index.metric === 'l2';
    this.sign = this.l2 ? -1 : 1;
    this.scale = pq && index.residual && this.l2 ? -2 : 1;
    // Every list's values fill a multiple of 32 (the fast scan writes whole blocks).
    const perList = Math.ceil(lists.maxSize() / 32) * 32;
    const batch = params.nprobe;
    const tableEntries = pq ? pq.M * pq.ksub : 0;
    const shortlist = pq && pq.nbits === 4 && !index.rerank ? params.k * FAST_SCAN_SHORTLIST_FACTOR : 0;
    const layout = [
      this.dim * 4,
      this.dim * 4,
      this.nlist * 4,
      this.nlist * 4,
      tableEntries * 4,
      pq ? pq.M * 16 : 0,
      8,
      batch * 16,
      // Values of the scanned lists, later the rerank distances of the candidates.
      Math.max(batch * perList, index.rerank ? params.k * params.rerankFactor : 0) * 4,
      shortlist * 8,
      shortlist * 4,
    ];
    const offsets: number[] = [];
    let total = 0;
    for (const bytes of layout) {
      offsets.push(total);
      total += Math.ceil(bytes / 64) * 64;
    }
    this.scratch = kernels.arena.alloc(total);
    [
      this.queryPtr,
      this.pqQueryPtr,
      this.coarsePtr,
      this.coarseDotPtr,
      this.tablePtr,
      this.lutPtr,
      this.lutParamsPtr,
      this.descriptorsPtr,
      this.valuesPtr,
      this.refsPtr,
      this.sumsPtr,
    ] = offsets.map((offset) => this.scratch.ptr + offset) as [number, number, number, number, number, number, number, number, number, number, number];
    this.scanned = new Int32Array(batch);
    const { k, rerankFactor } = params;
    const reranks = index.rerank;
    this.heap = new TopK(reranks ? k * rerankFactor : k);
    this.finalHeap = reranks ? new TopK(k) : undefined;
    this.shortlist = shortlist > 0 ? new TopK(shortlist) : undefined;
    const candidates = Math.max(this.heap.k, this.shortlist?.k ?? 0);
    this.candidateScores = new Float32Array(candidates);
    this.candidateSlots = new Int32Array(candidates);
  }

  /** Writes the best hits of one (prepared) query at `offset`; returns how many. */
  run(query: Float32Array, outScores: Float32Array, outSlots: Int32Array, offset: number): number {
    const { kernels, dim, nlist, params, pq } = this;
    const { arena } = kernels;
    // Nothing allocates in the arena during a search, so views of the whole memory stay valid.
    this.mem = arena.f32(0, arena.byteLength >> 2);
    this.words = arena.i32(0, arena.byteLength >> 2);
    const { mem } = this;
    mem.set(query, this.queryPtr >> 2);
    const byDot = this.index.metric === 'dot';
    if (byDot || (pq && this.index.residual && !this.l2)) kernels.dotF32(this.queryPtr, this.index.centroidsPtr, nlist, dim, this.coarseDotPtr);
    // Probe order: nearest centroids, or for dot the largest inner products (the lists most likely to hold large q·x).
    const coarse = mem.subarray(this.coarsePtr >> 2, (this.coarsePtr >> 2) + nlist);
    if (byDot) {
      const dots = this.coarseDotPtr >> 2;
      for (let list = 0; list < nlist; list++) coarse[list] = -mem[dots + list]!;
    } else {
      kernels.l2sqF32(this.queryPtr, this.index.centroidsPtr, nlist, dim, this.coarsePtr);
    }
    if (pq) {
      pq.adcTableAt(query, this.pqQueryPtr, this.tablePtr);
      if (pq.nbits === 4) kernels.pqQuantizeLut(this.tablePtr, pq.M, this.lutPtr, this.lutParamsPtr);
    }
    const order = probeOrder(coarse, params.nprobe);
    this.scanLists(order);
    // Too few admitted hits (selective filter, tombstones): further lists, nearest first, one at a time.
    if (this.heap.size < params.k) {
      const rest = restOrder(coarse, order);
      for (let i = 0; i < rest.length && this.heap.size < params.k; i++) this.scanLists(rest.subarray(i, i + 1));
    }
    if (!this.finalHeap) return this.heap.drainInto(outScores, outSlots, offset);
    return this.rerankInto(outScores, outSlots, offset);
  }

  dispose(): void {
    this.kernels.arena.free(this.scratch);
  }

  /** Scores the entries of `lists` (at most nprobe of them) and offers them. */
  private scanLists(lists: Int32Array): void {
    const pq = this.pq;
    if (!pq) {
      for (const list of lists) if (this.lists.size(list) > 0) this.scanFlatList(list);
      return;
    }
    const count = this.describe(lists);
    if (count === 0) return;
    if (pq.nbits === 8) {
      this.kernels.pqAdcScanLists(this.descriptorsPtr, count, pq.M, 8, this.tablePtr, this.scale, this.valuesPtr);
      this.offerValues(count);
    } else {
      this.kernels.pqFastScanLists(this.descriptorsPtr, count, pq.M, this.lutPtr, this.lutParamsPtr, this.scale, this.valuesPtr);
      this.takeEstimates(count);
    }
  }

  /** The value every code of a list starts from (see the class comment), as float32. */
  private bias(list: number): number {
    if (!this.index.residual) return 0;
    return this.mem[((this.l2 ? this.coarsePtr : this.coarseDotPtr) >> 2) + list]!;
  }

  /** Writes the kernel descriptors of the non-empty lists among `lists`; returns how many. */
  private describe(lists: Int32Array): number {
    const { mem, words } = this;
    let count = 0;
    for (const list of lists) {
      const size = this.lists.size(list);
      if (size === 0) continue;
      const d = (this.descriptorsPtr >> 2) + count * 4;
      words[d] = this.lists.ptr(list);
      words[d + 1] = size;
      words[d + 2] = this.lists.termsPtr(list);
      mem[d + 3] = this.bias(list);
      this.scanned[count++] = list;
    }
    return count;
  }

  /** Offers every entry of the `count` lists just scanned by `pqAdcScanLists`. */
  private offerValues(count: number): void {
    const { mem, sign } = this;
    let o = this.valuesPtr >> 2;
    for (let c = 0; c < count; c++) {
      const slots = this.lists.slots(this.scanned[c]!);
      for (let i = 0; i < slots.length; i++) this.offer(sign * mem[o + i]!, slots[i]!);
      o += slots.length;
    }
  }

  /**
   * The 4-bit fast scan's second step, on its uint8-table estimates. With rerank, the estimates
   * go straight to the candidate heap (the float32 rows rescore them). Without, they pick a
   * shortlist of k × FAST_SCAN_SHORTLIST_FACTOR, which `flushShortlist` scores exactly.
   */
  private takeEstimates(count: number): void {
    const { mem, sign, shortlist } = this;
    let o = this.valuesPtr >> 2;
    for (let c = 0; c < count; c++) {
      const slots = this.lists.slots(this.scanned[c]!);
      for (let i = 0; i < slots.length; i++) {
        const estimate = sign * mem[o + i]!;
        if (!shortlist) this.offer(estimate, slots[i]!);
        else if ((shortlist.size < shortlist.k || estimate >= shortlist.threshold) && this.admits(slots[i]!)) shortlist.push(estimate, slots[i]!);
      }
      o += Math.ceil(slots.length / 32) * 32;
    }
    if (shortlist) this.flushShortlist();
  }

  /**
   * Scores the shortlisted entries exactly from the float table (the value `pqAdcScanLists`
   * would give: bias + term + scale × table sum) and offers them.
   */
  private flushShortlist(): void {
    const { mem, words, sign, scale, index } = this;
    const count = this.shortlist!.drainInto(this.candidateScores, this.candidateSlots);
    const refs = this.refsPtr >> 2;
    for (let c = 0; c < count; c++) {
      const slot = this.candidateSlots[c]!;
      words[refs + c * 2] = this.lists.ptr(index.listOf(slot));
      words[refs + c * 2 + 1] = index.positionOf(slot);
    }
    this.kernels.pqFastScanGather(this.refsPtr, count, this.pq!.M, this.tablePtr, this.sumsPtr);
    const sums = this.sumsPtr >> 2;
    for (let c = 0; c < count; c++) {
      const slot = this.candidateSlots[c]!;
      const list = index.listOf(slot);
      const terms = this.lists.termsPtr(list) >> 2;
      const bias = this.bias(list);
      const base = terms !== 0 ? Math.fround(bias + mem[terms + index.positionOf(slot)]!) : bias;
      this.offer(sign * Math.fround(base + Math.fround(scale * mem[sums + c]!)), slot);
    }
  }

  /** Offers a scored entry: tombstones, the filter and (without rerank) the score bounds apply. */
  private offer(score: number, slot: number): void {
    const heap = this.heap;
    if (heap.size === heap.k && score < heap.threshold) return;
    if (!this.admits(slot)) return;
    if (!this.finalHeap && (score < this.params.minScore || score > this.params.maxScore)) return;
    heap.push(score, slot);
  }

  private admits(slot: number): boolean {
    return !this.index.isTombstoned(slot) && (this.params.filter === undefined || this.params.filter.has(slot));
  }

  private scanFlatList(list: number): void {
    const { kernels, mem, sign } = this;
    const size = this.lists.size(list);
    if (this.l2) kernels.l2sqF32(this.queryPtr, this.lists.ptr(list), size, this.dim, this.valuesPtr);
    else kernels.dotF32(this.queryPtr, this.lists.ptr(list), size, this.dim, this.valuesPtr);
    const values = this.valuesPtr >> 2;
    const slots = this.lists.slots(list);
    for (let i = 0; i < size; i++) this.offer(sign * mem[values + i]!, slots[i]!);
  }

  /** Rescores the candidates with the kept float32 rows and keeps the best k within the bounds. */
  private rerankInto(outScores: Float32Array, outSlots: Int32Array, offset: number): number {
    const { kernels, dim, mem } = this;
    const count = this.heap.drainInto(this.candidateScores, this.candidateSlots);
    const final = this.finalHeap!;
    const rowsPtr = this.index.rerankRowsPtr;
    for (let i = 0; i < count; i++) {
      const rowPtr = rowsPtr + this.candidateSlots[i]! * dim * 4;
      const out = this.valuesPtr + i * 4;
      if (this.l2) kernels.l2sqF32(this.queryPtr, rowPtr, 1, dim, out);
      else kernels.dotF32(this.queryPtr, rowPtr, 1, dim, out);
    }
    const values = this.valuesPtr >> 2;
    for (let i = 0; i < count; i++) {
      const score = this.sign * mem[values + i]!;
      if (score < this.params.minScore || score > this.params.maxScore) continue;
      final.push(score, this.candidateSlots[i]!);
    }
    return final.drainInto(outScores, outSlots, offset);
  }
}

/** The `nprobe` lists with the smallest coarse distances, nearest first (ties to the lower list). */
function probeOrder(distances: Float32Array, nprobe: number): Int32Array {
  const heap = new TopK(nprobe);
  for (let list = 0; list < distances.length; list++) {
    const score = -distances[list]!;
    if (heap.size < nprobe || score > heap.threshold) heap.push(score, list);
  }
  const scores = new Float64Array(nprobe);
  const lists = new Int32Array(nprobe);
  const count = heap.drainInto(scores, lists);
  return lists.subarray(0, count);
}

/** The lists not in `first`, nearest first: probed only when the first ones hold fewer than k admitted entries. */
function restOrder(distances: Float32Array, first: Int32Array): Int32Array {
  const taken = new Set(first);
  const rest: number[] = [];
  for (let list = 0; list < distances.length; list++) if (!taken.has(list)) rest.push(list);
  rest.sort((a, b) => distances[a]! - distances[b]! || a - b);
  return Int32Array.from(rest);
}

function bytesOf(rows: Float32Array): Uint8Array {
  return new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength);
}

function defaultM(dim: number): number {
  for (const dsub of [4, 2]) if (dim % dsub === 0) return dim / dsub;
  return dim;
}

function positiveInteger(value: number, argument: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidArgumentError(argument, `must be a positive integer, got ${value}`);
  return value;
}

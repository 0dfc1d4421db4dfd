import {
  CapacityError,
  CorruptFileError,
  DimensionMismatchError,
  InvalidArgumentError,
  LUT_BLOCK,
  SlotBitset,
  SlotList,
  UnsupportedOperationError,
  checkBatch,
  checkDim,
  checkK,
  checkResultSize,
  checkSearchOptions,
  MAX_RESULT_ENTRIES,
  emptySearchResult,
  getKernels,
  lutParamStride,
  normalized,
  normalizeRows,
  parseMetric,
  TopK,
  type IndexCapabilities,
  type KernelChoice,
  type Kernels,
  type Metric,
  type SearchOptions,
  type SearchResult,
  type SlotFilter,
  type VectorIndex,
} from '@quiver/core-math';
import { decodeTurbovec, encodeTurbovecV7, type TurbovecParts } from '@quiver/io-formats';
import { packRow, unpackRowAt } from '../bit-packing.js';
import type { TurboQuantCalibration } from '../calibration.js';
import { TurboQuantCodec, type TurboQuantBitWidth } from '../turboquant-codec.js';
import { BlockedCodes } from './blocked-codes.js';
import { lutSearch, type LutQueryTables, type LutScanData, type LutSearchExecutor, type LutSearchOptions } from './lut-search.js';
import { OriginalRows, parseOriginals, type OriginalsStorage } from './originals.js';
import { assignRows, coarseClusterCount, fitCentroids, nearestCentroids } from './coarse-clusters.js';
import { PendingMoves } from './pending-moves.js';
import { RowOrder } from './row-order.js';
import { buildQueryTables, NibbleLayout } from './query-tables.js';

export type TurboQuantIndexBitWidth = 1 | 2 | 3 | 4;

export interface TurboQuantIndexOptions {
  /** Vector dimension; when omitted, the first `add` fixes it. */
  readonly dim?: number;
  /** Bits per coordinate: 2, 3 or 4 (turbovec's), or 1 (default 4). */
  readonly bitWidth?: TurboQuantIndexBitWidth;
  /** `dot` (default, turbovec's inner product), `cosine` (unit vectors) or `l2`, or an alias. */
  readonly metric?: Metric | string;
  /**
   * Keep the added vectors beside the codes, for exact rerank and exact `reconstruct`: `float32`
   * (dim × 4 more bytes per vector) or `float16` (dim × 2). Default `none`.
   */
  readonly originals?: OriginalsStorage;
  /**
   * Early exit of the scan, in standard deviations of a partial score (default 4): a vector whose
   * partial lookup-table sum falls this far below its share of the current k-th score stops being
   * scanned. `false` scores every vector fully (the exact TurboQuant estimator ranking).
   */
  readonly earlyExit?: number | false;
  /** The rerank searches use unless they say otherwise (default off; see `TurboQuantSearchOptions.rerank`). */
  readonly rerank?: boolean | number | TurboQuantRerank;
  /** Kernel backend: `auto` (default), `wasm` or `js`. */
  readonly kernels?: KernelChoice;
}

/** Scores the candidates of one query exactly: `out[i]` for `slots[i]`, higher is better. */
export type RerankScorer = (query: Float32Array, slots: Int32Array, out: Float32Array) => void;

export interface TurboQuantRerank {
  /** Candidates rescored per query: k × factor (default 8 at 3-4 bits, 16 at 2 bits, 32 at 1 bit). */
  readonly factor?: number;
  /** Caller-supplied exact scores (e.g. from vectors kept elsewhere); default: the stored originals. */
  readonly score?: RerankScorer;
}

export interface TurboQuantSearchOptions extends SearchOptions {
  /** Alias of `filter`: only these slots are returned. */
  readonly mask?: SlotFilter;
  /** Exact rerank of a shortlist: `true`, a factor, or options. Off by default. */
  readonly rerank?: boolean | number | TurboQuantRerank;
  /** Overrides the index's early-exit setting for this search. */
  readonly earlyExit?: number | false;
}

export interface TurboQuantSearchAsyncOptions extends TurboQuantSearchOptions {
  /** Runs the scan elsewhere, e.g. `TurboQuantPool` of `@quiver/quant/node` (worker threads). */
  readonly executor?: LutSearchExecutor;
}

/** Options of `TurboQuantIndex.fromBytes`. */
export interface TurboQuantLoadOptions {
  /** The metric to search with (turbovec files carry none; default `dot`). */
  readonly metric?: Metric | string;
  readonly earlyExit?: number | false;
  readonly kernels?: KernelChoice;
  readonly rerank?: boolean | number | TurboQuantRerank;
}

const CAPABILITIES: IndexCapabilities = Object.freeze({
  remove: false,
  swapRemove: true,
  compact: false,
  filter: true,
  threshold: true,
  exact: false,
  serialize: true,
});

const DEFAULT_EARLY_EXIT = 4;
const RERANK_FACTORS: Readonly<Record<number, number>> = { 1: 32, 2: 16, 3: 8, 4: 8 };
const MAX_SLOTS = 0x7fffffff;
const BIT_WIDTHS: readonly number[] = [1, 2, 3, 4];
/** `prepare()` groups rows by coarse cluster from this many rows on. */
const REORDER_MIN_ROWS = 256;
const EMPTY_LUT_OPTIONS: Omit<LutSearchOptions, 'scratch'> = { shortlist: 1, exitBar: 'k', correct: true };

interface SearchPlan {
  /** Nothing can match: no vectors, or none admitted. */
  readonly empty: boolean;
  readonly queryCount: number;
  /** The queries as scored (normalized under cosine). */
  readonly queries: Float32Array;
  readonly tables: LutQueryTables | undefined;
  readonly lutOptions: Omit<LutSearchOptions, 'scratch'>;
  readonly rerank: { factor: number; score: RerankScorer | undefined } | undefined;
}

/**
 * A TurboQuant index (turbovec's `TurboQuantIndex`): vectors compressed to 1-4 bits per coordinate,
 * scored with SIMD lookup tables over 32-vector blocks, searched exhaustively with an early exit.
 *
 * Memory without originals: `bitWidth × paddedDim / 8` bytes of codes and a 4-byte scale per vector
 * (l2 adds a 4-byte offset), plus the capacity slack of the last blocks; 3-bit codes have their own
 * scan layout of exactly 3 bits per coordinate. Slots are positional: `swapRemove` moves the
 * last vector into the hole. Codes are byte-identical to turbovec's, and `toBytes` writes its v7 file.
 */
export class TurboQuantIndex implements VectorIndex {
  readonly kind = 'turboquant';
  readonly metric: Metric;
  readonly bitWidth: TurboQuantIndexBitWidth;
  readonly capabilities: IndexCapabilities = CAPABILITIES;
  readonly originals: OriginalsStorage;
  private readonly kernels: Kernels;
  private readonly earlyExit: number | false;
  private readonly defaultRerank: TurboQuantSearchOptions['rerank'];
  private dimension = 0;
  private codec: TurboQuantCodec | undefined;
  private layout: NibbleLayout | undefined;
  private codes: BlockedCodes | undefined;
  private rows: OriginalRows | undefined;
  /** `swapRemove` moves not yet applied to the codes and originals (see `applyPendingMoves`). */
  private readonly pending = new PendingMoves();
  /** Slot <-> row maps once rows are grouped by coarse cluster (undefined: row = slot). */
  private order: RowOrder | undefined;
  /** The coarse clusters of the grouping: unit centroids and each one's block range [2c, 2c + 1). */
  private coarse: { centroids: Float32Array; count: number; blockRanges: Int32Array } | undefined;
  private nibbles = new Uint8Array(0);
  private rowCodes = new Uint8Array(0);
  /** A single added row normalized under cosine (so a single add allocates no copy). */
  private unitRow = new Float32Array(0);
  private disposed = false;
  private pendingScans = 0;

  constructor(options: TurboQuantIndexOptions = {}) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object');
    const bitWidth = options.bitWidth ?? 4;
    if (!BIT_WIDTHS.includes(bitWidth)) throw new InvalidArgumentError('bitWidth', `must be 1, 2, 3 or 4, got ${String(bitWidth)}`);
    this.bitWidth = bitWidth;
    this.metric = parseMetric(options.metric ?? 'dot');
    this.originals = parseOriginals(options.originals);
    this.earlyExit = checkEarlyExit(options.earlyExit);
    this.defaultRerank = options.rerank;
    this.kernels = getKernels(options.kernels ?? 'auto');
    if (options.dim !== undefined) this.fixDim(checkDim(options.dim));
  }

  /** 0 until the first add when constructed without a dim. */
  get dim(): number {
    return this.dimension;
  }

  get size(): number {
    return this.codes?.count ?? 0;
  }

  get slotCount(): number {
    return this.size;
  }

  /** turbovec's name for `size`. */
  get length(): number {
    return this.size;
  }

  /** Arena bytes per stored vector, without capacity slack: codes, scale, l2 offset, originals. */
  get bytesPerVector(): number {
    if (!this.layout) return 0;
    return this.codes!.codeBytesPerRow + 4 + (this.metric === 'l2' ? 4 : 0) + (this.rows?.bytesPerRow ?? 0);
  }

  /** Arena bytes held (including capacity slack). */
  get bytesHeld(): number {
    return (this.codes?.bytesHeld ?? 0) + (this.rows?.bytesHeld ?? 0);
  }

  /** The TQ+ calibration the codes are encoded under, or undefined (plain TurboQuant). */
  get calibration(): TurboQuantCalibration | undefined {
    return this.codec?.calibration;
  }

  /** The codec (rotation, codebook, calibration) once the dimension is known. */
  get quantizer(): TurboQuantCodec | undefined {
    return this.codec;
  }

  /**
   * Appends vectors and returns the first new slot. `vectors` is row-major n × dim; before the
   * dimension is known, a Float32Array is one vector, or pass an array of rows.
   */
  add(vectors: Float32Array | readonly ArrayLike<number>[]): number {
    this.checkMutable('add');
    const flat = this.flatten(vectors);
    const n = checkBatch(flat, this.dimension);
    const rows = this.metric === 'cosine' ? this.unitRows(flat, n) : flat;
    this.applyPendingMoves();
    const first = this.size;
    if (first + n > MAX_SLOTS) throw new CapacityError(`TurboQuantIndex holds at most ${MAX_SLOTS} vectors`);
    this.codes!.reserve(first + n, first === 0);
    if (this.rows) this.rows.reserve(first + n, first === 0 ? n : Math.max(first + n, Math.ceil((first + n) * 1.5)));
    this.encodeRows(rows, n, first);
    this.rows?.write(first, rows);
    this.codes!.setCount(first + n);
    if (this.order) for (let i = first; i < first + n; i++) this.order.append(i, i);
    return first;
  }

  /**
   * Removes `slot` in O(1) by moving the last vector into it. Returns the moved vector's former slot
   * (now living at `slot`), or -1 when `slot` was the last one. The move of the stored rows is only
   * recorded; the next search, add, `prepare` or file output applies all recorded moves in one batch.
   */
  swapRemove(slot: number): number {
    this.checkMutable('swapRemove');
    this.checkSlot(slot);
    const last = this.size - 1;
    this.pending.remove(this.order ? this.order.remove(slot, last) : slot, last);
    this.codes!.setCount(last);
    return slot === last ? -1 : last;
  }

  /**
   * The best k slots per query (query-major, best first): lookup-table scan with early exit, then
   * either the float TurboQuant estimate of a shortlist or, with `rerank`, exact scores of a larger one.
   * A filter returns exactly min(k, admitted) results (fewer only through minScore / maxScore).
   */
  search(queries: Float32Array, k: number, options: TurboQuantSearchOptions = {}): SearchResult {
    const plan = this.planSearch(queries, k, options);
    if (plan.empty) return emptySearchResult(plan.queryCount, k);
    const found = lutSearch(this.kernels, this.scanData(), plan.tables!, k, plan.lutOptions);
    return plan.rerank ? this.rerankResults(found, plan.queries, k, plan.rerank, options) : found;
  }

  /**
   * `search` with the scan run by an executor (the worker pool) when one is given. While the
   * promise is pending, operations that move codes (add, swapRemove, calibrate, dispose) throw.
   */
  async searchAsync(queries: Float32Array, k: number, options: TurboQuantSearchAsyncOptions = {}): Promise<SearchResult> {
    const { executor, ...searchOptions } = options;
    if (!executor) return this.search(queries, k, searchOptions);
    const plan = this.planSearch(queries, k, searchOptions);
    if (plan.empty) return emptySearchResult(plan.queryCount, k);
    this.pendingScans++;
    let found: SearchResult;
    try {
      found = await executor.lutSearch(this.scanData(), plan.tables!, k, plan.lutOptions);
    } finally {
      this.pendingScans--;
    }
    return plan.rerank ? this.rerankResults(found, plan.queries, k, plan.rerank, searchOptions) : found;
  }

  /** Validates a search and prepares it: normalized queries, their tables, the scan options. */
  private planSearch(queries: Float32Array, k: number, options: TurboQuantSearchOptions): SearchPlan {
    this.checkUsable('search');
    checkK(k);
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object');
    // `mask` is turbovec's name for the filter; the one in effect is validated.
    checkSearchOptions({ ...options, filter: options.filter ?? options.mask });
    if (this.dimension === 0) {
      if (!(queries instanceof Float32Array) || queries.length === 0) throw new InvalidArgumentError('queries', 'must be a non-empty Float32Array');
      checkBatch(queries, queries.length, 'queries');
      return { empty: true, queryCount: 1, queries, tables: undefined, lutOptions: EMPTY_LUT_OPTIONS, rerank: undefined };
    }
    const queryCount = checkBatch(queries, this.dimension, 'queries');
    checkResultSize(queryCount, k);
    const filter = options.filter ?? options.mask;
    const rerank = this.rerankPlan(options.rerank ?? this.defaultRerank, k);
    const earlyExit = options.earlyExit === undefined ? this.earlyExit : checkEarlyExit(options.earlyExit);
    const prepared = this.metric === 'cosine' ? normalized(queries, this.dimension, 'throw', 'queries') : queries;
    const maskWords = filter === undefined ? undefined : this.maskWords(filter);
    if (this.size === 0 || (maskWords && maskWords.every((w) => w === 0))) {
      return { empty: true, queryCount, queries: prepared, tables: undefined, lutOptions: EMPTY_LUT_OPTIONS, rerank };
    }
    const lutOptions: Omit<LutSearchOptions, 'scratch'> = {
      shortlist: rerank ? Math.max(k, k * rerank.factor) : k + Math.max(8, k >> 1),
      exitBar: rerank ? 'shortlist' : 'k',
      correct: rerank === undefined,
      maskWords,
      minScore: options.minScore,
      maxScore: options.maxScore,
      ...this.scanOrder(prepared, queryCount),
    };
    return { empty: false, queryCount, queries: prepared, tables: this.queryTables(prepared, queryCount, earlyExit), lutOptions, rerank };
  }

  /**
   * Brings the search layout up to date ahead of a search: applies the moves `swapRemove` recorded
   * and, from 256 vectors on, stores the rows grouped by coarse cluster (a few spherical k-means
   * iterations on a sample, every row assigned by the scan kernel). Each 32-vector block then holds
   * similar vectors, and a search scans the blocks of each query's cluster first: the early exit's
   * bar rises at once and whole blocks of other clusters stop after their first stage. Slots,
   * results and files are unchanged (rows are mapped back to slots). Vectors added later are
   * appended ungrouped until the next `prepare()`.
   */
  prepare(): void {
    this.checkMutable('prepare');
    this.applyPendingMoves();
    if (this.size >= REORDER_MIN_ROWS) this.reorder();
  }

  /**
   * Fits a TQ+ calibration on `sample` (n × dim rows, ~1000 recommended) and re-encodes every stored
   * vector under it: from the originals when kept, else from their decoded approximation.
   */
  calibrate(sample: Float32Array): TurboQuantCalibration {
    this.checkMutable('calibrate');
    const flat = this.flatten(sample);
    checkBatch(flat, this.dimension, 'sample');
    const rows = this.metric === 'cosine' ? normalized(flat, this.dimension, 'throw', 'sample') : flat;
    this.applyPendingMoves();
    const current = this.size > 0 ? this.storedVectors() : undefined;
    const calibration = this.codec!.fitCalibration(rows);
    if (current) this.reencode(current);
    return calibration;
  }

  /** Adopts a calibration exported from another index (shards then score alike); re-encodes stored vectors. */
  setCalibration(calibration: TurboQuantCalibration | undefined): void {
    this.checkMutable('setCalibration');
    if (!this.codec) throw new UnsupportedOperationError('TurboQuantIndex', 'setCalibration', 'the dimension is not known yet');
    this.applyPendingMoves();
    const current = this.size > 0 ? this.storedVectors() : undefined;
    this.codec.calibration = calibration;
    if (current) this.reencode(current);
  }

  /** The stored vector of a slot: the original when kept, else TurboQuant's reconstruction. */
  reconstruct(slot: number, out?: Float32Array): Float32Array {
    this.checkUsable('reconstruct');
    this.checkSlot(slot);
    if (out !== undefined && (!(out instanceof Float32Array) || out.length !== this.dimension)) {
      throw new DimensionMismatchError(this.dimension, (out as { length?: number })?.length ?? 0, 'out');
    }
    const target = out ?? new Float32Array(this.dimension);
    return this.readRow(this.pending.rowOf(this.order ? this.order.rowOfSlot[slot]! : slot), target);
  }

  /** The stored vector of a row (not a slot): the original when kept, else the reconstruction. */
  private readRow(row: number, target: Float32Array): Float32Array {
    if (this.rows) return this.rows.read(row, target);
    const codec = this.codec!;
    const packed = new Uint8Array(codec.bytesPerRow);
    this.packedRow(row, packed, 0);
    return codec.decode(packed, Float32Array.of(this.codes!.scaleOf(row)), target);
  }

  /** Packed codes (turbovec's bit-plane layout) and scales of every vector. */
  packedCodes(): { codes: Uint8Array; scales: Float32Array } {
    this.checkUsable('packedCodes');
    this.applyPendingMoves();
    const bytes = this.codec?.bytesPerRow ?? 0;
    const codes = new Uint8Array(this.size * bytes);
    const rowOfSlot = this.order?.rowOfSlot;
    for (let v = 0; v < this.size; v++) this.packedRow(rowOfSlot ? rowOfSlot[v]! : v, codes, v * bytes);
    const scales = this.codes?.scalesCopy() ?? new Float32Array(0);
    return { codes, scales: rowOfSlot ? scales.map((_, v) => scales[rowOfSlot[v]!]!) : scales };
  }

  /** turbovec's neutral file parts (what `.tv` files hold). */
  toParts(): TurbovecParts {
    this.checkUsable('toParts');
    if (this.bitWidth === 1) throw new UnsupportedOperationError('TurboQuantIndex', 'turbovec files', '1-bit codes are a Quiver extension');
    if (this.dimension !== 0 && this.dimension % 8 !== 0) {
      throw new UnsupportedOperationError('TurboQuantIndex', 'turbovec files', `dimension ${this.dimension} is not a multiple of 8`);
    }
    const { codes, scales } = this.packedCodes();
    const codec = this.codec;
    return {
      dim: this.dimension,
      bitWidth: this.bitWidth,
      count: this.size,
      packedCodes: codes,
      scales,
      calibration: codec?.calibration ? { shift: codec.calibration.shift, scale: codec.calibration.scale } : undefined,
      codebook: codec ? { boundaries: codec.boundaries, centroids: codec.centroids } : undefined,
    };
  }

  /** turbovec 1.0's v7 snapshot (`.tv`), byte-identical to what turbovec writes for the same codes. */
  toBytes(): Uint8Array {
    return encodeTurbovecV7(this.toParts());
  }

  /** Reads any turbovec index file (v7, v6, v5 or the simple layout). */
  static fromBytes(bytes: Uint8Array, options: TurboQuantLoadOptions = {}): TurboQuantIndex {
    return TurboQuantIndex.fromParts(decodeTurbovec(bytes), options);
  }

  /** Builds an index from turbovec's file parts (validated by the reader). */
  static fromParts(parts: TurbovecParts, options: TurboQuantLoadOptions = {}): TurboQuantIndex {
    const index = new TurboQuantIndex({
      bitWidth: parts.bitWidth as TurboQuantIndexBitWidth,
      metric: options.metric ?? 'dot',
      ...(parts.dim > 0 ? { dim: parts.dim } : {}),
      ...(options.earlyExit !== undefined ? { earlyExit: options.earlyExit } : {}),
      ...(options.kernels ? { kernels: options.kernels } : {}),
      ...(options.rerank !== undefined ? { rerank: options.rerank } : {}),
    });
    if (parts.dim === 0) return index;
    const codec = index.codec!;
    if (parts.codebook && !(sameValues(parts.codebook.centroids, codec.centroids) && sameValues(parts.codebook.boundaries, codec.boundaries))) {
      throw new CorruptFileError('header', `[@quiver/quant] the file's codebook is not the Lloyd-Max codebook of ${parts.bitWidth} bits at dim ${parts.dim}`);
    }
    if (parts.calibration) codec.calibration = { shift: parts.calibration.shift, scale: parts.calibration.scale };
    index.installPacked(parts.packedCodes, parts.scales, parts.count);
    return index;
  }

  /** Frees the arena memory. Idempotent; later calls other than `dispose` throw. */
  dispose(): void {
    if (this.disposed) return;
    if (this.pendingScans > 0) throw new UnsupportedOperationError('TurboQuantIndex', 'dispose', 'an async search is still running');
    this.disposed = true;
    this.pending.clear();
    this.order = this.coarse = undefined;
    this.codes?.dispose();
    this.rows?.dispose();
  }

  /** The scan's view of the codes (arena pointers; valid until the next mutation). Applies pending moves. */
  scanData(): LutScanData {
    this.applyPendingMoves();
    const codes = this.codes!;
    return {
      codesPtr: codes.codesPtr,
      scalesPtr: codes.scalesPtr,
      offsetsPtr: codes.offsetsPtr,
      count: codes.count,
      positions: codes.positions,
      threeBit: codes.threeBit,
      slotOfRow: this.order?.slotOfRow,
      rowOfSlot: this.order?.rowOfSlot,
    };
  }

  /** Prepared lookup tables of a batch of (normalized under cosine) queries. */
  queryTables(queries: Float32Array, queryCount: number, earlyExit: number | false): LutQueryTables {
    const codec = this.codec!;
    const layout = this.layout!;
    const lutValues = layout.positions * 16;
    const stride = lutParamStride(layout.positions);
    const tables: LutQueryTables = {
      queryCount,
      u8: new Uint8Array(queryCount * lutValues),
      params: new Float32Array(queryCount * stride),
      f32: new Float32Array(queryCount * lutValues),
      constants: new Float32Array(queryCount),
    };
    const l2 = this.metric === 'l2';
    const calibration = codec.calibration;
    const biasTerms = calibration ? new Float64Array(codec.paddedDim) : undefined;
    const rotated = new Float32Array(codec.paddedDim);
    for (let q = 0; q < queryCount; q++) {
      const query = queries.subarray(q * this.dimension, (q + 1) * this.dimension);
      const prepared = codec.prepareQueryWithBias(query, rotated);
      if (biasTerms && calibration) {
        for (let d = 0; d < codec.paddedDim; d++) biasTerms[d] = -(prepared.query[d]! * calibration.scale[d]!) * calibration.shift[d]!;
      }
      buildQueryTables(layout, codec.centroids, { query: prepared.query, biasTerms, factor: l2 ? 2 : 1, earlyExit: earlyExit || undefined }, {
        u8: tables.u8.subarray(q * lutValues, (q + 1) * lutValues),
        params: tables.params.subarray(q * stride, (q + 1) * stride),
        f32: tables.f32.subarray(q * lutValues, (q + 1) * lutValues),
      });
      if (l2) {
        let norm = 0;
        for (let j = 0; j < this.dimension; j++) norm += query[j]! * query[j]!;
        tables.constants[q] = Math.fround(-norm);
      }
    }
    return tables;
  }

  private rerankPlan(option: TurboQuantSearchOptions['rerank'], k: number): { factor: number; score: RerankScorer | undefined } | undefined {
    if (option === undefined || option === false) return undefined;
    const spec: TurboQuantRerank = option === true ? {} : typeof option === 'number' ? { factor: option } : option;
    if (spec === null || typeof spec !== 'object') throw new InvalidArgumentError('rerank', 'must be a boolean, a factor or an object');
    const factor = spec.factor ?? RERANK_FACTORS[this.bitWidth]!;
    if (!Number.isInteger(factor) || factor < 1 || k * factor > MAX_RESULT_ENTRIES) {
      throw new InvalidArgumentError('rerank.factor', `must be a positive integer, got ${String(factor)}`);
    }
    if (spec.score !== undefined && typeof spec.score !== 'function') throw new InvalidArgumentError('rerank.score', 'must be a function');
    if (spec.score === undefined && !this.rows) {
      throw new UnsupportedOperationError('TurboQuantIndex', 'rerank', "no originals are stored (construct with originals: 'float32' or 'float16', or pass rerank.score)");
    }
    return { factor, score: spec.score };
  }

  /** Rescores each query's shortlist exactly and keeps the best k within the score bounds. */
  private rerankResults(
    shortlists: SearchResult,
    queries: Float32Array,
    k: number,
    rerank: { factor: number; score: RerankScorer | undefined },
    options: TurboQuantSearchOptions,
  ): SearchResult {
    const result = emptySearchResult(shortlists.queryCount, k);
    const minScore = options.minScore ?? -Infinity;
    const maxScore = options.maxScore ?? Infinity;
    const top = new TopK(k);
    const values = new Float32Array(shortlists.k);
    for (let q = 0; q < shortlists.queryCount; q++) {
      const n = shortlists.counts[q]!;
      const slots = shortlists.slots.slice(q * shortlists.k, q * shortlists.k + n);
      const query = queries.subarray(q * this.dimension, (q + 1) * this.dimension);
      if (rerank.score) rerank.score(query, slots, values);
      else this.rows!.score(query, this.metric, this.order ? slots.map((slot) => this.order!.rowOfSlot[slot]!) : slots, n, values);
      for (let i = 0; i < n; i++) {
        const score = Math.fround(values[i]!);
        if (!(score >= minScore && score <= maxScore)) continue;
        top.push(score, slots[i]!);
      }
      result.counts[q] = top.drainInto(result.scores, result.slots, q * k);
    }
    return result;
  }

  private fixDim(dim: number): void {
    this.dimension = dim;
    const codec = new TurboQuantCodec({ dim, bitWidth: this.bitWidth as TurboQuantBitWidth });
    this.codec = codec;
    this.layout = new NibbleLayout(this.bitWidth, codec.paddedDim);
    this.codes = new BlockedCodes(this.kernels, this.layout.positions, this.bitWidth, codec.bytesPerRow, this.metric === 'l2');
    if (this.originals !== 'none') this.rows = new OriginalRows(this.kernels, dim, this.originals);
    this.nibbles = new Uint8Array(this.layout.positions);
    this.rowCodes = new Uint8Array(codec.paddedDim);
    if (this.metric === 'cosine') this.unitRow = new Float32Array(dim);
  }

  /** Validates the input shape and, before the first add, fixes the dimension from it. */
  private flatten(vectors: Float32Array | readonly ArrayLike<number>[]): Float32Array {
    if (Array.isArray(vectors)) {
      if (vectors.length === 0) throw new InvalidArgumentError('vectors', 'must not be empty');
      const width = (vectors[0] as ArrayLike<number> | undefined)?.length;
      if (typeof width !== 'number' || width === 0) throw new InvalidArgumentError('vectors', 'rows must be non-empty arrays');
      if (this.dimension === 0) this.fixDim(checkDim(width));
      if (width !== this.dimension) throw new DimensionMismatchError(this.dimension, width, 'vectors');
      const flat = new Float32Array(vectors.length * width);
      vectors.forEach((row, r) => {
        if (row?.length !== width) throw new DimensionMismatchError(width, row?.length ?? 0, `vectors row ${r}`);
        for (let j = 0; j < width; j++) flat[r * width + j] = Number(row[j]);
      });
      return flat;
    }
    if (!(vectors instanceof Float32Array)) throw new InvalidArgumentError('vectors', 'must be a Float32Array or an array of rows');
    if (vectors.length === 0) throw new InvalidArgumentError('vectors', 'must not be empty');
    if (this.dimension === 0) {
      checkBatch(vectors, vectors.length); // validate before committing the dimension
      this.fixDim(checkDim(vectors.length));
    }
    return vectors;
  }

  /** Unit-length copies of validated rows (a single row reuses one buffer). */
  private unitRows(rows: Float32Array, n: number): Float32Array {
    if (n !== 1) return normalized(rows, this.dimension, 'throw');
    this.unitRow.set(rows);
    normalizeRows(this.unitRow, this.dimension, 'throw');
    return this.unitRow;
  }

  /** Encodes validated rows (n × dim) into rows [first, first + n), a staging area at a time. */
  private encodeRows(rows: Float32Array, n: number, first: number): void {
    const codec = this.codec!;
    const codes = this.codes!;
    for (let done = 0; done < n; done += codes.stagingCapacity) {
      const count = Math.min(codes.stagingCapacity, n - done);
      const chunk = count === n ? rows : rows.subarray(done * this.dimension, (done + count) * this.dimension);
      codec.encodeInto(chunk, codes.stagingRows(), 0, codes.scaleArray(), first + done);
      this.storeStaged(first + done, count);
    }
  }

  /** Scatters the first `count` staged packed rows (scales already in place) to rows [first, first + count), with their l2 offsets. */
  private storeStaged(first: number, count: number): void {
    const codes = this.codes!;
    codes.storeStaged(first, count);
    if (this.metric !== 'l2') return;
    const codec = this.codec!;
    for (let i = 0; i < count; i++) {
      unpackRowAt(codes.stagingRows(), i * codec.bytesPerRow, codec.paddedDim, this.bitWidth, this.rowCodes);
      codes.setOffset(first + i, -this.reconstructionNormSquared(this.rowCodes, codes.scaleOf(first + i)));
    }
  }

  /** ‖x̂‖² of a stored vector: scale² · Σ_d (centroid[code_d] / calScale_d − shift_d)² (the rotation keeps norms). */
  private reconstructionNormSquared(codes: Uint8Array, scale: number): number {
    const codec = this.codec!;
    const centroids = codec.centroids;
    const calibration = codec.calibration;
    let sum = 0;
    for (let d = 0; d < codec.paddedDim; d++) {
      const value = calibration
        ? centroids[codes[d]!]! * Math.fround(1 / calibration.scale[d]!) - calibration.shift[d]!
        : centroids[codes[d]!]!;
      sum += value * value;
    }
    return Math.fround(scale * scale * sum);
  }

  /** Applies the moves `swapRemove` recorded, codes and originals alike, in one batch. */
  private applyPendingMoves(): void {
    if (this.pending.size === 0) return;
    const pairs = this.pending.take();
    this.codes!.moveRows(pairs);
    this.rows?.moveRows(pairs);
  }

  private packedRow(v: number, out: Uint8Array, offset: number): void {
    const codec = this.codec!;
    this.layout!.toCodes(this.codes!.readNibbles(v, this.nibbles), this.rowCodes);
    packRow(this.rowCodes, codec.paddedDim, this.bitWidth, out, offset);
  }

  /** Installs validated packed codes and scales (a loader's rows). */
  private installPacked(packed: Uint8Array, scales: Float32Array, count: number): void {
    const codes = this.codes!;
    const rowBytes = this.codec!.bytesPerRow;
    codes.reserve(count, true);
    for (let done = 0; done < count; done += codes.stagingCapacity) {
      const n = Math.min(codes.stagingCapacity, count - done);
      codes.stagingRows().set(packed.subarray(done * rowBytes, (done + n) * rowBytes));
      codes.scaleArray().set(scales.subarray(done, done + n), done);
      this.storeStaged(done, n);
    }
    codes.setCount(count);
  }

  /** Every stored vector as floats in row order (no moves pending): the originals, or the decoded codes. */
  private storedVectors(): Float32Array {
    const out = new Float32Array(this.size * this.dimension);
    const row = new Float32Array(this.dimension);
    for (let r = 0; r < this.size; r++) out.set(this.readRow(r, row), r * this.dimension);
    return out;
  }

  /**
   * Stores the rows grouped by coarse cluster (see `prepare`): centroids fitted on a sample of the
   * stored vectors, every row assigned by a table scan, rows gathered cluster by cluster (in row
   * order within a cluster) into new blocks, the slot maps updated.
   */
  private reorder(): void {
    this.applyPendingMoves();
    const n = this.size;
    const dim = this.dimension;
    const count = coarseClusterCount(n);
    const sampleRows = Math.min(n, count * 32);
    const sample = new Float32Array(sampleRows * dim);
    const row = new Float32Array(dim);
    for (let i = 0; i < sampleRows; i++) sample.set(this.readRow(Math.floor((i * n) / sampleRows), row), i * dim);
    const centroids = fitCentroids(this.kernels, sample, dim, count);
    const cluster = assignRows(this.kernels, this.scanData(), this.queryTables(centroids, count, false));
    const starts = new Int32Array(count + 1);
    for (const c of cluster) starts[c + 1]!++;
    for (let c = 0; c < count; c++) starts[c + 1]! += starts[c]!;
    const next = starts.slice(0, count);
    const rows = new Int32Array(n);
    cluster.forEach((c, r) => {
      rows[next[c]!++] = r;
    });
    this.codes!.permute(rows);
    this.rows?.permute(rows);
    if (this.order) this.order.permute(rows);
    else this.order = new RowOrder(rows.slice());
    const blockRanges = new Int32Array(2 * count);
    for (let c = 0; c < count; c++) {
      blockRanges[2 * c] = Math.floor(starts[c]! / LUT_BLOCK);
      blockRanges[2 * c + 1] = Math.ceil(starts[c + 1]! / LUT_BLOCK);
    }
    this.coarse = { centroids, count, blockRanges };
  }

  /** Scan order of a batch over grouped rows: queries by nearest coarse centroid, each pass starting with their clusters' blocks. */
  private scanOrder(queries: Float32Array, queryCount: number): Pick<LutSearchOptions, 'queryOrder' | 'firstBlocks'> {
    const coarse = this.coarse;
    if (!coarse) return {};
    const nearest = nearestCentroids(this.kernels, queries, queryCount, this.dimension, coarse.centroids, coarse.count);
    const queryOrder = Int32Array.from(nearest.keys()).sort((a, b) => nearest[a]! - nearest[b]! || a - b);
    const firstBlocks = new Int32Array(2 * queryCount);
    nearest.forEach((c, q) => {
      firstBlocks[2 * q] = coarse.blockRanges[2 * c]!;
      firstBlocks[2 * q + 1] = coarse.blockRanges[2 * c + 1]!;
    });
    return { queryOrder, firstBlocks };
  }

  /** Re-encodes every stored vector (after the calibration changed). */
  private reencode(vectors: Float32Array): void {
    this.encodeRows(vectors, this.size, 0);
  }

  /** One u32 per block of the rows of admitted slots (bit = lane). */
  private maskWords(filter: SlotFilter): Uint32Array {
    const words = this.slotMaskWords(filter);
    const slotOfRow = this.order?.slotOfRow;
    if (!slotOfRow) return words;
    const rows = new Uint32Array(words.length);
    for (let r = 0; r < this.size; r++) {
      const slot = slotOfRow[r]!;
      if ((words[slot >>> 5]! >>> (slot & 31)) & 1) rows[r >>> 5]! |= 1 << (r & 31);
    }
    return rows;
  }

  /** One u32 per block of the admitted slots (bit = slot % 32). */
  private slotMaskWords(filter: SlotFilter): Uint32Array {
    const count = this.size;
    if (filter instanceof SlotBitset) {
      const words = new Uint32Array(Math.ceil(count / 32));
      words.set(filter.words.subarray(0, Math.min(words.length, filter.words.length)));
      // Bits past the filter's own size are not members.
      for (let slot = filter.size; slot < Math.min(words.length * 32, count); slot++) words[slot >>> 5]! &= ~(1 << (slot & 31));
      return words;
    }
    const bitset = new SlotBitset(count);
    if (filter instanceof SlotList) {
      for (const slot of filter.slots()) if (Number.isInteger(slot) && slot >= 0 && slot < count) bitset.add(slot);
    } else {
      for (let slot = 0; slot < count; slot++) if (filter.has(slot)) bitset.add(slot);
    }
    return bitset.words;
  }

  private checkSlot(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.size) {
      throw new InvalidArgumentError('slot', `must be an integer in [0, ${this.size}), got ${slot}`);
    }
  }

  private checkMutable(operation: string): void {
    this.checkUsable(operation);
    if (this.pendingScans > 0) {
      throw new UnsupportedOperationError('TurboQuantIndex', operation, 'an async search is reading the codes; await it first');
    }
  }

  private checkUsable(operation: string): void {
    if (this.disposed) throw new UnsupportedOperationError('TurboQuantIndex', operation, 'the index was disposed');
  }
}

function checkEarlyExit(value: number | false | undefined): number | false {
  if (value === undefined) return DEFAULT_EARLY_EXIT;
  if (value === false || value === 0) return false;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new InvalidArgumentError('earlyExit', `must be false or a positive number of standard deviations, got ${String(value)}`);
  }
  return value;
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

import { TopK, type Kernels, type KernelChoice } from '@quiver/core-math';
import { ArenaCodeRows, scanCodeRows } from './code-rows.js';
import { FlatIndex } from './flat-index.js';
import { ScalarCodebook, centredCopy, packSignBits, signBitBytes } from './scalar-codes.js';

/** One search hit in txtai's shape: `[id, score]`, higher score is better. */
export type AnnHit = [id: number, score: number];

/**
 * Where `NumpyAnnIndex` keeps its rows: float32 in a FlatIndex, packed sign bits, or int8 scalar
 * codes. Ids are slots; removed slots stay in place (so ids never shift) and are never returned.
 */
export interface AnnBackend {
  readonly slotCount: number;
  readonly liveCount: number;
  /** Appends rows (already normalized if the index normalizes). */
  append(rows: Float32Array): void;
  remove(slot: number): void;
  isRemoved(slot: number): boolean;
  search(queries: Float32Array, limit: number): AnnHit[][];
  dispose(): void;
}

function toHits(slots: Int32Array, scoreAt: (i: number) => number, counts: Uint32Array, k: number): AnnHit[][] {
  const results: AnnHit[][] = [];
  for (let q = 0; q < counts.length; q++) {
    const hits: AnnHit[] = [];
    for (let i = 0; i < counts[q]!; i++) hits.push([slots[q * k + i]!, scoreAt(q * k + i)]);
    results.push(hits);
  }
  return results;
}

/** Float rows scored by dot product (cosine when the index normalizes). */
export class FloatAnnBackend implements AnnBackend {
  readonly flat: FlatIndex;

  constructor(dim: number, kernels: KernelChoice) {
    this.flat = new FlatIndex({ dim, metric: 'dot', kernels });
  }

  get slotCount(): number {
    return this.flat.slotCount;
  }
  get liveCount(): number {
    return this.flat.size;
  }
  append(rows: Float32Array): void {
    this.flat.add(rows);
  }
  remove(slot: number): void {
    this.flat.remove(slot);
  }
  isRemoved(slot: number): boolean {
    return this.flat.isRemoved(slot);
  }
  search(queries: Float32Array, limit: number): AnnHit[][] {
    const k = Math.min(limit, Math.max(1, this.flat.size));
    const result = this.flat.search(queries, k);
    return toHits(result.slots, (i) => result.scores[i]!, result.counts, k);
  }
  /** All rows, removed ones zeroed (txtai's on-disk convention for deleted rows). */
  exportRows(): Float32Array {
    const dim = this.flat.dim;
    const rows = this.flat.rowsView().slice(0, this.slotCount * dim);
    for (let slot = 0; slot < this.slotCount; slot++) if (this.isRemoved(slot)) rows.fill(0, slot * dim, (slot + 1) * dim);
    return rows;
  }
  dispose(): void {
    this.flat.dispose();
  }
}

/** How a code backend searches: optional sign-bit centring and exact float rescoring. */
export interface CodeBackendOptions {
  /** Per-dimension mean subtracted from rows and queries before packing sign bits (1-bit only). */
  readonly mean?: Float32Array;
  /** Keep the float rows and rescore the `limit × rerank` best code candidates exactly (0 = off). */
  readonly rerank?: number;
}

/** Best-first code candidates per query, `k` per query. */
interface CodeCandidates {
  readonly slots: Int32Array;
  readonly counts: Uint32Array;
  readonly k: number;
  /** The approximate score of candidate `i` (an index into `slots`). */
  scoreAt(i: number): number;
}

/**
 * Shared bookkeeping of the two code backends: arena code rows, a removed flag per slot and, with
 * `rerank`, the float32 rows beside the codes (also in the arena) for exact rescoring.
 */
abstract class CodeAnnBackend implements AnnBackend {
  protected readonly kernels: Kernels;
  protected readonly dim: number;
  readonly codes: ArenaCodeRows;
  /** Candidate multiplier of the exact rescoring; 0 when off. */
  readonly rerank: number;
  /** Float rows (4 · dim bytes each) when `rerank` is on. */
  readonly floatRows: ArenaCodeRows | undefined;
  protected removed = new Uint8Array(64);
  private live = 0;

  constructor(kernels: Kernels, dim: number, rowBytes: number, rerank = 0) {
    this.kernels = kernels;
    this.dim = dim;
    this.codes = new ArenaCodeRows(kernels, rowBytes);
    this.rerank = rerank;
    this.floatRows = rerank > 0 ? new ArenaCodeRows(kernels, 4 * dim) : undefined;
  }

  get slotCount(): number {
    return this.codes.count;
  }
  get liveCount(): number {
    return this.live;
  }

  /** Codes of `rows` (already normalized if the index normalizes). */
  protected abstract encodeRows(rows: Float32Array): Uint8Array | Int8Array;
  /** The `k` best slots per query by code score, removed slots skipped. */
  protected abstract scanCodes(queries: Float32Array, k: number): CodeCandidates;

  append(rows: Float32Array): void {
    const codes = this.encodeRows(rows);
    this.floatRows?.append(new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength));
    this.appendCodes(codes);
  }

  /** Appends ready-made codes (from a file or the encoder); a file's rerank rows go through appendFloatRows. */
  appendCodes(codes: Uint8Array | Int8Array): void {
    const first = this.codes.append(codes);
    const end = this.codes.count;
    if (this.removed.length < end) {
      const grown = new Uint8Array(Math.max(end, this.removed.length * 2));
      grown.set(this.removed);
      this.removed = grown;
    }
    this.live += end - first;
  }

  /** Appends float rows restored from a file (rerank only); the caller appends their codes too. */
  appendFloatRows(rows: Float32Array): void {
    this.floatRows!.append(new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength));
  }

  search(queries: Float32Array, limit: number): AnnHit[][] {
    const live = Math.max(1, this.live);
    if (!this.floatRows) {
      const found = this.scanCodes(queries, Math.min(limit, live));
      return toHits(found.slots, (i) => found.scoreAt(i), found.counts, found.k);
    }
    return this.rescore(queries, this.scanCodes(queries, Math.min(limit * this.rerank, live)), Math.min(limit, live));
  }

  /**
   * Exact float dot products of each query with its code candidates, by the same float32 kernel as
   * float search (so scores and tie order match it bit for bit); best `limit`, ties to the lower id.
   */
  private rescore(queries: Float32Array, found: CodeCandidates, limit: number): AnnHit[][] {
    const { dim, kernels } = this;
    const { arena } = kernels;
    const rowBytes = 4 * dim;
    const queryBuf = arena.alloc(rowBytes);
    const scoreBuf = arena.alloc(4 * found.k);
    const heap = new TopK(limit);
    const scores = new Float64Array(limit);
    const slots = new Int32Array(limit);
    const results: AnnHit[][] = [];
    try {
      for (let q = 0; q < found.counts.length; q++) {
        arena.f32(queryBuf.ptr, dim).set(queries.subarray(q * dim, (q + 1) * dim));
        const first = q * found.k;
        const count = found.counts[q]!;
        // Candidates are scattered over the rows: one kernel call per candidate.
        const rowsPtr = this.floatRows!.ptr;
        for (let i = 0; i < count; i++) kernels.dotF32(queryBuf.ptr, rowsPtr + found.slots[first + i]! * rowBytes, 1, dim, scoreBuf.ptr + 4 * i);
        const exact = arena.f32(scoreBuf.ptr, count);
        for (let i = 0; i < count; i++) heap.push(exact[i]!, found.slots[first + i]!);
        const kept = heap.drainInto(scores, slots);
        const hits: AnnHit[] = [];
        for (let i = 0; i < kept; i++) hits.push([slots[i]!, scores[i]!]);
        results.push(hits);
      }
    } finally {
      arena.free(scoreBuf);
      arena.free(queryBuf);
    }
    return results;
  }

  remove(slot: number): void {
    if (this.removed[slot] !== 0) return;
    this.removed[slot] = 1;
    this.live--;
  }
  isRemoved(slot: number): boolean {
    return this.removed[slot] !== 0;
  }
  /** Removed flags of every slot (1 = removed). */
  removedFlags(): Uint8Array {
    return this.removed.slice(0, this.slotCount);
  }
  /** All codes, removed rows zeroed. */
  exportCodes(): Uint8Array {
    return this.zeroRemoved(this.codes.toBytes(), this.codes.rowBytes);
  }
  /** The float rows kept for rerank, removed rows zeroed; undefined without rerank. */
  exportFloatRows(): Float32Array | undefined {
    if (!this.floatRows) return undefined;
    const bytes = this.zeroRemoved(this.floatRows.toBytes(), this.floatRows.rowBytes);
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  }
  dispose(): void {
    this.codes.dispose();
    this.floatRows?.dispose();
  }

  private zeroRemoved(bytes: Uint8Array, width: number): Uint8Array {
    for (let slot = 0; slot < this.slotCount; slot++) if (this.removed[slot]) bytes.fill(0, slot * width, (slot + 1) * width);
    return bytes;
  }
}

/**
 * 1-bit codes (txtai layout), scored `1 - hamming / bits` with bits = 8 · bytes per row, as txtai
 * does. With `mean`, rows and queries are centred before their sign bits are taken.
 */
export class SignBitAnnBackend extends CodeAnnBackend {
  readonly mean: Float32Array | undefined;

  constructor(kernels: Kernels, dim: number, options: CodeBackendOptions = {}) {
    super(kernels, dim, signBitBytes(dim), options.rerank);
    this.mean = options.mean;
  }

  protected encodeRows(rows: Float32Array): Uint8Array {
    const codes = new Uint8Array((rows.length / this.dim) * this.codes.rowBytes);
    packSignBits(this.mean ? centredCopy(rows, this.mean) : rows, this.dim, codes);
    return codes;
  }

  protected scanCodes(queries: Float32Array, k: number): CodeCandidates {
    const m = queries.length / this.dim;
    const queryCodes = this.encodeRows(queries);
    const { keys, slots, counts } = scanCodeRows(this.kernels, this.codes, 'hamming', queryCodes, m, k, this.removed);
    const bits = this.codes.rowBytes * 8;
    // keys are negated hamming distances.
    return { slots, counts, k, scoreAt: (i) => 1 + keys[i]! / bits };
  }
}

/** 2..8-bit centred int8 codes scored by integer dot product (see scalar-codes.ts). */
export class ScalarAnnBackend extends CodeAnnBackend {
  readonly codebook: ScalarCodebook;

  constructor(kernels: Kernels, codebook: ScalarCodebook, options: Pick<CodeBackendOptions, 'rerank'> = {}) {
    super(kernels, codebook.dim, codebook.dim, options.rerank);
    this.codebook = codebook;
  }

  protected encodeRows(rows: Float32Array): Int8Array {
    const codes = new Int8Array(rows.length);
    this.codebook.encode(rows, codes);
    return codes;
  }

  protected scanCodes(queries: Float32Array, k: number): CodeCandidates {
    const { dim } = this;
    const m = queries.length / dim;
    const queryCodes = new Int8Array(m * dim);
    const scale = new Float64Array(m);
    const bias = new Float64Array(m);
    for (let q = 0; q < m; q++) {
      const map = this.codebook.encodeQuery(queries, q * dim, queryCodes, q * dim);
      scale[q] = map.scale;
      bias[q] = map.bias;
    }
    const { keys, slots, counts } = scanCodeRows(this.kernels, this.codes, 'dotI8', queryCodes, m, k, this.removed);
    return { slots, counts, k, scoreAt: (i) => keys[i]! * scale[Math.floor(i / k)]! + bias[Math.floor(i / k)]! };
  }
}

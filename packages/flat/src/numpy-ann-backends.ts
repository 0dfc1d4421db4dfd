import type { Kernels, KernelChoice } from '@quiver/core-math';
import { ArenaCodeRows, scanCodeRows } from './code-rows.js';
import { FlatIndex } from './flat-index.js';
import { ScalarCodebook, packSignBits, signBitBytes } from './scalar-codes.js';

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

/** Shared bookkeeping of the two code backends: arena rows plus a removed flag per slot. */
abstract class CodeAnnBackend implements AnnBackend {
  protected readonly kernels: Kernels;
  protected readonly dim: number;
  readonly codes: ArenaCodeRows;
  protected removed = new Uint8Array(64);
  private live = 0;

  constructor(kernels: Kernels, dim: number, rowBytes: number) {
    this.kernels = kernels;
    this.dim = dim;
    this.codes = new ArenaCodeRows(kernels, rowBytes);
  }

  get slotCount(): number {
    return this.codes.count;
  }
  get liveCount(): number {
    return this.live;
  }

  abstract append(rows: Float32Array): void;
  abstract search(queries: Float32Array, limit: number): AnnHit[][];

  /** Appends ready-made codes (from a file or the encoder). */
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
    const bytes = this.codes.toBytes();
    const width = this.codes.rowBytes;
    for (let slot = 0; slot < this.slotCount; slot++) if (this.removed[slot]) bytes.fill(0, slot * width, (slot + 1) * width);
    return bytes;
  }
  dispose(): void {
    this.codes.dispose();
  }
}

/** 1-bit codes (txtai layout), scored `1 - hamming / bits` with bits = 8 · bytes per row, as txtai does. */
export class SignBitAnnBackend extends CodeAnnBackend {
  constructor(kernels: Kernels, dim: number) {
    super(kernels, dim, signBitBytes(dim));
  }

  append(rows: Float32Array): void {
    const codes = new Uint8Array((rows.length / this.dim) * this.codes.rowBytes);
    packSignBits(rows, this.dim, codes);
    this.appendCodes(codes);
  }

  search(queries: Float32Array, limit: number): AnnHit[][] {
    const m = queries.length / this.dim;
    const queryCodes = new Uint8Array(m * this.codes.rowBytes);
    packSignBits(queries, this.dim, queryCodes);
    const k = Math.min(limit, Math.max(1, this.liveCount));
    const { keys, slots, counts } = scanCodeRows(this.kernels, this.codes, 'hamming', queryCodes, m, k, this.removed);
    const bits = this.codes.rowBytes * 8;
    // keys are negated hamming distances.
    return toHits(slots, (i) => 1 + keys[i]! / bits, counts, k);
  }
}

/** 2..8-bit centred int8 codes scored by integer dot product (see scalar-codes.ts). */
export class ScalarAnnBackend extends CodeAnnBackend {
  readonly codebook: ScalarCodebook;

  constructor(kernels: Kernels, codebook: ScalarCodebook) {
    super(kernels, codebook.dim, codebook.dim);
    this.codebook = codebook;
  }

  append(rows: Float32Array): void {
    const codes = new Int8Array(rows.length);
    this.codebook.encode(rows, codes);
    this.appendCodes(codes);
  }

  search(queries: Float32Array, limit: number): AnnHit[][] {
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
    const k = Math.min(limit, Math.max(1, this.liveCount));
    const { keys, slots, counts } = scanCodeRows(this.kernels, this.codes, 'dotI8', queryCodes, m, k, this.removed);
    return toHits(slots, (i) => keys[i]! * scale[Math.floor(i / k)]! + bias[Math.floor(i / k)]!, counts, k);
  }
}

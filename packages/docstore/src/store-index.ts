import { SlotBitset, normalized, type SlotFilter, type VectorIndex } from '@quiver/core-math';
import { IdMapIndex, type IdSearchOptions, type IdSearchResult } from '@quiver/idmap';
import type { RerankScorer } from '@quiver/quant';
import { createBackendIndex } from './backends.js';
import { forEachRow, type RowBits } from './row-bits.js';
import type { ResolvedBackendSpec, StoreMetric } from './types.js';

/**
 * The vectors of a store: the backend index wrapped in an IdMapIndex whose u64 ids are document
 * rows, plus what the backend needs around it.
 *
 * TurboQuant: turbovec's format needs a dimension that is a multiple of 8, so vectors are padded
 * with zeros to the next multiple (which changes no inner product, norm or distance); with rerank,
 * the float32 originals live here, by row, and the index rescores its shortlist through
 * `rerank.score` — so they are exact, persist beside the documents and cost no re-encoding on load.
 */
export class StoreIndex {
  readonly ids: IdMapIndex;
  readonly dim: number;
  /** The backend's dimension: `dim`, or for TurboQuant the next multiple of 8. */
  readonly innerDim: number;
  readonly originals: RowVectors | undefined;
  private readonly spec: ResolvedBackendSpec;
  private readonly metric: StoreMetric;

  constructor(spec: ResolvedBackendSpec, metric: StoreMetric, dim: number, ids?: IdMapIndex, originals?: RowVectors) {
    this.spec = spec;
    this.metric = metric;
    this.dim = dim;
    this.innerDim = backendDim(spec, dim);
    this.ids = ids ?? new IdMapIndex<VectorIndex>(createBackendIndex(spec, metric, this.innerDim));
    this.originals = originals ?? (spec.kind === 'turboquant' && spec.rerank ? new RowVectors(dim) : undefined);
  }

  get slotCount(): number {
    return this.ids.slotCount;
  }

  /** Adds n validated vectors (n × dim) under the given rows. */
  add(vectors: Float32Array, rows: Float64Array): void {
    this.ids.addWithIds(this.padded(vectors), rows);
    if (this.originals) this.originals.write(rows, this.metric === 'cosine' ? normalized(vectors, this.dim) : vectors);
  }

  remove(row: number): void {
    this.ids.remove(row);
  }

  /** The stored vector of a live row (unit length under cosine). */
  vectorOf(row: number): Float32Array {
    if (this.originals) return this.originals.read(row);
    const stored = this.ids.reconstruct(row);
    return stored.length === this.dim ? stored : stored.slice(0, this.dim);
  }

  /** The best `k` rows of each query (n × dim, validated). */
  search(queries: Float32Array, k: number, filter: SlotFilter | undefined, minScore: number | undefined): IdSearchResult {
    const options: Record<string, unknown> = {};
    if (filter) options.filter = filter;
    if (minScore !== undefined) options.minScore = minScore;
    if (this.spec.kind === 'turboquant' && this.spec.rerank) options.rerank = { score: this.rerankScorer };
    return this.ids.search(this.padded(queries), k, options as IdSearchOptions);
  }

  /** Compiles admitted rows to a bitset over the index's slots. */
  slotsOf(rows: RowBits, admitted: number): SlotBitset {
    if (admitted * 16 < this.ids.slotCount) {
      // Few rows: look each one up instead of walking every slot.
      const list: number[] = [];
      forEachRow(rows, (row) => list.push(row));
      return this.ids.allowedSlots(list);
    }
    const rowOfSlot = this.rowTable();
    const { dead } = this.ids.idTable();
    const slotCount = this.ids.slotCount;
    const slots = new SlotBitset(slotCount);
    const words = slots.words;
    // Branch-free, a word of 32 slots at a time: this runs once per filtered search.
    for (let w = 0; w < words.length; w++) {
      const base = w * 32;
      const end = Math.min(32, slotCount - base);
      let word = 0;
      for (let b = 0; b < end; b++) {
        const row = rowOfSlot[(base + b) * 2]!;
        word |= ((rows[row >>> 5]! >>> (row & 31)) & 1) << b;
      }
      words[w] = word & ~dead[w]!;
    }
    return slots;
  }

  /** Live rows in slot order (the order persisted documents are written in). */
  rowsInSlotOrder(): Uint32Array {
    const rowOfSlot = this.rowTable();
    const { dead } = this.ids.idTable();
    const out = new Uint32Array(this.ids.size);
    let next = 0;
    for (let slot = 0; slot < this.ids.slotCount; slot++) if ((dead[slot >>> 5]! & (1 << (slot & 31))) === 0) out[next++] = rowOfSlot[slot * 2]!;
    return out;
  }

  dispose(): void {
    this.ids.dispose();
  }

  /** Slot -> id as (lo, hi) u32 pairs; rows are below 2^32, so `lo` is the row. Valid until a mutation. */
  private rowTable(): Uint32Array {
    const { ids } = this.ids.idTable();
    return new Uint32Array(ids.buffer, ids.byteOffset, ids.length * 2);
  }

  private padded(vectors: Float32Array): Float32Array {
    if (this.innerDim === this.dim) return vectors;
    const n = vectors.length / this.dim;
    const out = new Float32Array(n * this.innerDim);
    for (let r = 0; r < n; r++) out.set(vectors.subarray(r * this.dim, (r + 1) * this.dim), r * this.innerDim);
    return out;
  }

  /** Exact scores from the originals: the query arrives prepared (unit under cosine, padded). */
  private readonly rerankScorer: RerankScorer = (query, slots, out) => {
    const rowOfSlot = this.rowTable();
    const originals = this.originals!;
    const dim = this.dim;
    const l2 = this.metric === 'l2';
    for (let i = 0; i < slots.length; i++) {
      const x = originals.view(rowOfSlot[slots[i]! * 2]!);
      let sum = 0;
      if (l2) {
        for (let j = 0; j < dim; j++) sum += (query[j]! - x[j]!) ** 2;
        out[i] = -sum;
      } else {
        for (let j = 0; j < dim; j++) sum += query[j]! * x[j]!;
        out[i] = sum;
      }
    }
  };
}

export function backendDim(spec: ResolvedBackendSpec, dim: number): number {
  return spec.kind === 'turboquant' ? Math.ceil(dim / 8) * 8 : dim;
}

/** Float32 vectors by document row, in one growable array (rows are recycled by the table). */
export class RowVectors {
  readonly dim: number;
  private data: Float32Array<ArrayBufferLike>;

  constructor(dim: number, data: Float32Array<ArrayBufferLike> = new Float32Array(0)) {
    this.dim = dim;
    this.data = data;
  }

  /** Vector i of `vectors` goes to row `rows[i]`. */
  write(rows: Float64Array, vectors: Float32Array): void {
    let maxRow = -1;
    for (const row of rows) maxRow = Math.max(maxRow, row);
    const needed = (maxRow + 1) * this.dim;
    if (needed > this.data.length) {
      const grown = new Float32Array(Math.max(needed, Math.ceil(this.data.length * 1.5)));
      grown.set(this.data);
      this.data = grown;
    }
    for (let i = 0; i < rows.length; i++) this.data.set(vectors.subarray(i * this.dim, (i + 1) * this.dim), rows[i]! * this.dim);
  }

  /** A view of a row's vector, valid until the next write. */
  view(row: number): Float32Array {
    return this.data.subarray(row * this.dim, (row + 1) * this.dim);
  }

  read(row: number): Float32Array {
    return this.data.slice(row * this.dim, (row + 1) * this.dim);
  }

  /** The vectors of `rows`, concatenated. */
  gather(rows: Uint32Array): Float32Array {
    const out = new Float32Array(rows.length * this.dim);
    for (let i = 0; i < rows.length; i++) out.set(this.view(rows[i]!), i * this.dim);
    return out;
  }
}

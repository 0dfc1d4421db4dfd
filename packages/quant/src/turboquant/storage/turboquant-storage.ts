import {
  CapacityError,
  DimensionMismatchError,
  InvalidArgumentError,
  checkBatch,
  normalized,
  normalizeRows,
  parseMetric,
  type Metric,
  type SlotScorer,
  type VectorStorage,
} from '@quiver/core-math';
import { unpackRowAt } from '../bit-packing.js';
import { TurboQuantCodec, type TurboQuantBitWidth } from '../turboquant-codec.js';

export interface TurboQuantStorageOptions {
  readonly dim: number;
  /** `dot` (default), `cosine` (rows and queries normalized) or `l2`, or an alias. */
  readonly metric?: Metric | string;
  /** Bits per coordinate: 1, 2, 3, 4 (default) or 8. */
  readonly bitWidth?: TurboQuantBitWidth;
  /** Rows to reserve up front. */
  readonly initialCapacity?: number;
}

const MAX_SLOTS = 0x7fffffff;
const MIN_GROWTH = 64;

/**
 * The stored rows, shared by reference with every scorer: growth replaces the arrays inside, so a
 * scorer created before an `append` still sees the new rows.
 */
interface CodeRows {
  count: number;
  capacity: number;
  /** Packed rows (turbovec's bit-plane layout), `bytesPerRow` each, row-major. */
  codes: Uint8Array;
  /** TurboQuant's per-row scale (`‖v‖ / ⟨u, x̂⟩`). */
  scales: Float32Array;
  /** l2 only: `‖x̂‖²` of each row's reconstruction (empty otherwise). */
  squaredNorms: Float32Array;
}

/**
 * A `VectorStorage` of TurboQuant codes (1-4 or 8 bits per coordinate, byte-identical to turbovec's
 * at 2-4 bits): `append` encodes with `TurboQuantCodec`, `scorer()` evaluates the exact TurboQuant
 * estimator `scale · (Σ_d qc[d] · centroid[code_d] + bias)` of ⟨q, v⟩, so it can sit under an
 * `HnswIndex` (usually searched with a float32 rerank copy).
 *
 * Scores are higher-is-better: dot and cosine (rows and queries normalized) the estimated inner
 * product; l2 `−(‖q‖² − 2⟨q, x̂⟩ + ‖x̂‖²)` with the reconstruction's norm, as `TurboQuantIndex` does.
 * The codes are uncalibrated (plain TurboQuant, no TQ+ calibration).
 */
export class TurboQuantStorage implements VectorStorage {
  readonly dim: number;
  readonly metric: Metric;
  readonly bitWidth: TurboQuantBitWidth;
  readonly codec: TurboQuantCodec;
  private readonly rows: CodeRows;
  private readonly rowCodes: Uint8Array;

  constructor(options: TurboQuantStorageOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object');
    const bitWidth = options.bitWidth ?? 4;
    this.codec = new TurboQuantCodec({ dim: options.dim, bitWidth }); // validates dim and bitWidth
    this.dim = options.dim;
    this.bitWidth = bitWidth;
    this.metric = parseMetric(options.metric ?? 'dot');
    this.rows = { count: 0, capacity: 0, codes: new Uint8Array(0), scales: new Float32Array(0), squaredNorms: new Float32Array(0) };
    this.rowCodes = new Uint8Array(this.codec.paddedDim);
    const initial = options.initialCapacity ?? 0;
    if (!Number.isSafeInteger(initial) || initial < 0) {
      throw new InvalidArgumentError('initialCapacity', `must be a non-negative integer, got ${initial}`);
    }
    if (initial > 0) this.reserve(initial);
  }

  get size(): number {
    return this.rows.count;
  }

  /** Packed code bytes, the 4-byte scale and, under l2, the 4-byte reconstruction norm. */
  get bytesPerVector(): number {
    return this.codec.bytesPerRow + 4 + (this.metric === 'l2' ? 4 : 0);
  }

  /** Encodes and appends `vectors.length / dim` rows (normalized first under cosine); returns the first new slot. */
  append(vectors: Float32Array): number {
    const n = checkBatch(vectors, this.dim);
    const rows = this.metric === 'cosine' ? normalized(vectors, this.dim, 'throw') : vectors;
    const first = this.rows.count;
    if (first + n > MAX_SLOTS) throw new CapacityError(`TurboQuantStorage holds at most ${MAX_SLOTS} vectors`);
    this.reserve(first + n);
    const { codes, scales, squaredNorms } = this.rows;
    // Rows past `count` may be written before a value error; they stay invisible until count moves.
    this.codec.encodeInto(rows, codes, first * this.codec.bytesPerRow, scales, first);
    if (this.metric === 'l2') {
      for (let slot = first; slot < first + n; slot++) squaredNorms[slot] = this.reconstructionNormSquared(slot);
    }
    this.rows.count = first + n;
    return first;
  }

  /** TurboQuant's reconstruction of a slot (the vector the estimator takes inner products with). */
  reconstruct(slot: number, out?: Float32Array): Float32Array {
    this.checkSlot(slot);
    if (out !== undefined && (!(out instanceof Float32Array) || out.length !== this.dim)) {
      throw new DimensionMismatchError(this.dim, (out as { length?: number } | undefined)?.length ?? 0, 'out');
    }
    const bytes = this.codec.bytesPerRow;
    const { codes, scales } = this.rows;
    return this.codec.decode(codes.subarray(slot * bytes, (slot + 1) * bytes), scales.subarray(slot, slot + 1), out);
  }

  /** A copy of the packed codes (`size × bytesPerRow`, turbovec's layout) and scales. */
  packedCodes(): { codes: Uint8Array; scales: Float32Array } {
    const { count, codes, scales } = this.rows;
    return { codes: codes.slice(0, count * this.codec.bytesPerRow), scales: scales.slice(0, count) };
  }

  scorer(): TurboQuantScorer {
    return new TurboQuantScorer(this.codec, this.metric, this.rows);
  }

  /** ‖x̂‖² of a stored row: scale² · Σ_d centroid[code_d]² (the rotation keeps norms). */
  private reconstructionNormSquared(slot: number): number {
    const { bytesPerRow, paddedDim, centroids } = this.codec;
    unpackRowAt(this.rows.codes, slot * bytesPerRow, paddedDim, this.bitWidth, this.rowCodes);
    let sum = 0;
    for (let d = 0; d < paddedDim; d++) sum += centroids[this.rowCodes[d]!]! ** 2;
    const scale = this.rows.scales[slot]!;
    return Math.fround(scale * scale * sum);
  }

  private reserve(needed: number): void {
    const rows = this.rows;
    if (needed <= rows.capacity) return;
    const capacity = Math.max(needed, Math.ceil(rows.capacity * 1.5), MIN_GROWTH);
    const codes = new Uint8Array(capacity * this.codec.bytesPerRow);
    codes.set(rows.codes);
    const scales = new Float32Array(capacity);
    scales.set(rows.scales);
    rows.codes = codes;
    rows.scales = scales;
    if (this.metric === 'l2') {
      const squaredNorms = new Float32Array(capacity);
      squaredNorms.set(rows.squaredNorms);
      rows.squaredNorms = squaredNorms;
    }
    rows.capacity = capacity;
  }

  private checkSlot(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.rows.count) {
      throw new InvalidArgumentError('slot', `must be an integer in [0, ${this.rows.count}), got ${slot}`);
    }
  }
}

/**
 * Scores one query against a `TurboQuantStorage`. `setQuery` rotates the query and fills a table
 * `table[d · levels + c] = qc[d] · centroid[c]` (f64, the same products `TurboQuantCodec.score` sums,
 * so scores are bit-identical to it); a score is then a sum of table entries over a row's codes,
 * unpacked eight coordinates at a time. Scoring allocates nothing.
 */
export class TurboQuantScorer implements SlotScorer {
  private readonly codec: TurboQuantCodec;
  private readonly metric: Metric;
  private readonly rows: CodeRows;
  private readonly levels: number;
  private readonly table: Float64Array;
  private readonly rotated: Float32Array;
  private readonly unitQuery: Float32Array;
  private readonly rowA: Uint8Array;
  private readonly rowB: Uint8Array;
  private bias = 0;
  private queryNormSquared = 0;
  private hasQuery = false;

  constructor(codec: TurboQuantCodec, metric: Metric, rows: CodeRows) {
    this.codec = codec;
    this.metric = metric;
    this.rows = rows;
    this.levels = 1 << codec.bitWidth;
    this.table = new Float64Array(codec.paddedDim * this.levels);
    this.rotated = new Float32Array(codec.paddedDim);
    this.unitQuery = new Float32Array(metric === 'cosine' ? codec.dim : 0);
    this.rowA = new Uint8Array(codec.paddedDim);
    this.rowB = new Uint8Array(codec.paddedDim);
  }

  /** Validates and prepares a query (normalized under cosine). */
  setQuery(query: Float32Array): void {
    checkBatch(query, this.codec.dim, 'query');
    if (query.length !== this.codec.dim) throw new DimensionMismatchError(this.codec.dim, query.length, 'query');
    let q = query;
    if (this.metric === 'cosine') {
      this.unitQuery.set(query);
      normalizeRows(this.unitQuery, this.codec.dim, 'throw', 'query');
      q = this.unitQuery;
    }
    const prepared = this.codec.prepareQueryWithBias(q, this.rotated);
    this.bias = prepared.bias;
    const { centroids, paddedDim } = this.codec;
    for (let d = 0, at = 0; d < paddedDim; d++) {
      const value = this.rotated[d]!;
      for (let c = 0; c < this.levels; c++) this.table[at++] = value * centroids[c]!;
    }
    let norm = 0;
    for (let j = 0; j < q.length; j++) norm += q[j]! * q[j]!;
    this.queryNormSquared = norm;
    this.hasQuery = true;
  }

  score(slot: number): number {
    this.checkQuery();
    this.checkSlot(slot);
    return this.finish(slot, this.innerSum(slot));
  }

  scoreMany(slots: Int32Array, count: number, out: Float32Array): void {
    this.checkQuery();
    if (!Number.isSafeInteger(count) || count < 0 || count > slots.length || count > out.length) {
      throw new InvalidArgumentError('count', `must be an integer in [0, min(slots.length, out.length)], got ${count}`);
    }
    for (let i = 0; i < count; i++) {
      const slot = slots[i]!;
      this.checkSlot(slot);
      out[i] = this.finish(slot, this.innerSum(slot));
    }
  }

  /**
   * Between two stored rows, from their reconstructions: ⟨x̂_a, x̂_b⟩ = scale_a · scale_b ·
   * Σ_d centroid[a_d] · centroid[b_d] (the rotation keeps inner products); l2 adds the stored norms.
   */
  scoreBetween(a: number, b: number): number {
    this.checkSlot(a);
    this.checkSlot(b);
    const { bytesPerRow, paddedDim, bitWidth, centroids } = this.codec;
    const { codes, scales, squaredNorms } = this.rows;
    unpackRowAt(codes, a * bytesPerRow, paddedDim, bitWidth, this.rowA);
    unpackRowAt(codes, b * bytesPerRow, paddedDim, bitWidth, this.rowB);
    let sum = 0;
    for (let d = 0; d < paddedDim; d++) sum += centroids[this.rowA[d]!]! * centroids[this.rowB[d]!]!;
    const inner = scales[a]! * scales[b]! * sum;
    return this.metric === 'l2' ? 2 * inner - squaredNorms[a]! - squaredNorms[b]! : inner;
  }

  /** The estimator's score from a row's table sum. */
  private finish(slot: number, sum: number): number {
    const inner = this.rows.scales[slot]! * (sum + this.bias);
    return this.metric === 'l2' ? 2 * inner - this.queryNormSquared - this.rows.squaredNorms[slot]! : inner;
  }

  /** Σ_d table[d, code_d] over one packed row, in coordinate order. */
  private innerSum(slot: number): number {
    const { bytesPerRow, paddedDim, bitWidth } = this.codec;
    const codes = this.rows.codes;
    const table = this.table;
    const start = slot * bytesPerRow;
    if (bitWidth > 4) {
      unpackRowAt(codes, start, paddedDim, bitWidth, this.rowA);
      let sum = 0;
      for (let d = 0; d < paddedDim; d++) sum += table[(d << bitWidth) + this.rowA[d]!]!;
      return sum;
    }
    const groups = paddedDim >>> 3;
    let sum = 0;
    for (let g = 0; g < groups; g++) {
      // The group's 8 codes as nibbles: plane p contributes bit p of each, coordinate 8g + k in nibble 7 - k.
      let word = 0;
      for (let p = 0; p < bitWidth; p++) word |= SPREAD_BITS[codes[start + p * groups + g]!]! << p;
      const base = (g << 3) << bitWidth;
      for (let k = 0; k < 8; k++) sum += table[base + (k << bitWidth) + ((word >>> (28 - 4 * k)) & 15)]!;
    }
    return sum;
  }

  private checkSlot(slot: number): void {
    if (!(slot >= 0 && slot < this.rows.count && Number.isInteger(slot))) {
      throw new InvalidArgumentError('slot', `must be an integer in [0, ${this.rows.count}), got ${slot}`);
    }
  }

  private checkQuery(): void {
    if (!this.hasQuery) throw new InvalidArgumentError('query', 'call setQuery before scoring');
  }
}

/** `SPREAD_BITS[byte]` moves bit j of `byte` to bit 4j (one bit plane byte spread into eight nibbles). */
const SPREAD_BITS = (() => {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let word = 0;
    for (let j = 0; j < 8; j++) word |= ((byte >>> j) & 1) << (4 * j);
    table[byte] = word >>> 0;
  }
  return table;
})();

import {
  CapacityError,
  DimensionMismatchError,
  GRAPH_ROW_KIND,
  InvalidArgumentError,
  checkBatch,
  floatToHalf,
  halfToFloat,
  type Arena,
  type ArenaBlock,
  type Metric,
  type SlotScorer,
  type VectorStorage,
} from '@quiver/core-math';

/**
 * Where the graph kernels find a storage's rows in the arena. Storages that provide it are searched
 * entirely in WebAssembly (one call per query); any other `VectorStorage` is searched by the
 * TypeScript walker through its `SlotScorer`.
 */
export interface GraphRows {
  /** `GRAPH_ROW_KIND`: float32, float16 or int8 rows, or PQ codes. */
  readonly kind: number;
  /** Byte offset of row 0 in the arena; valid until the next append. */
  readonly ptr: number;
  /** Bytes per row. */
  readonly stride: number;
  /** PQ kinds: the query's ADC table pointer and the subspace count (see `GraphKernels`). */
  readonly table?: number;
  readonly subspaces?: number;
}

/** A `VectorStorage` whose rows the graph kernels read in place. */
export interface ArenaRowStorage extends VectorStorage {
  readonly arena: Arena;
  graphRows(): GraphRows;
  /** The stored rows' bytes (`size × stride`), a view into the arena valid until the next append. */
  rowBytes(): Uint8Array;
  /** Replaces the contents with `count` rows of raw bytes (a loaded file); sizes are checked by the caller. */
  restoreRows(bytes: Uint8Array, count: number): void;
  /** Frees the arena memory. */
  dispose(): void;
}

/** Builds the storage of an `HnswIndex`: called once with the index's dimension, metric and arena. */
export type VectorStorageFactory = (dim: number, metric: Metric, arena: Arena) => VectorStorage;

export type BuiltinStorage = 'float32' | 'float16' | 'int8';

/**
 * A storage whose rows live outside the index, e.g. a file read on demand (`FileRowStorage` in
 * `@quiver/hnsw/node`): it takes no memory per vector, saving the index leaves it out (reattach it
 * with `setRerankStorage` after loading), and `add` throws while it is attached unless `writable`.
 */
export interface ExternalVectorStorage extends VectorStorage {
  readonly external: true;
  /** Whether `append` stores rows (else it throws, and the index refuses `add`). */
  readonly writable: boolean;
  /** Releases the storage's handle (a file descriptor). */
  dispose?(): void;
}

/**
 * The score of two decoded rows under `metric` (dot product, or the negated squared distance),
 * summed in float64: the scalar path of storages whose rows the graph kernels do not read.
 */
export function pairScorer(metric: Metric): (a: Float32Array, b: Float32Array) => number {
  const l2 = metric === 'l2';
  return (a, b) => {
    let sum = 0;
    for (let j = 0; j < a.length; j++) sum += l2 ? (a[j]! - b[j]!) * (a[j]! - b[j]!) : a[j]! * b[j]!;
    return l2 ? -sum : sum;
  };
}

export function isExternalStorage(storage: VectorStorage): storage is ExternalVectorStorage {
  return (storage as Partial<ExternalVectorStorage>).external === true;
}

export function isArenaRowStorage(storage: VectorStorage): storage is ArenaRowStorage {
  return typeof (storage as Partial<ArenaRowStorage>).graphRows === 'function';
}

const MIN_GROWTH_ROWS = 64;
/** The largest float16 value: larger inputs are clamped so rows stay finite. */
const HALF_MAX = 65504;

/**
 * Rows of one fixed byte width in one arena block, grown by 1.5x. Subclasses encode and decode a
 * row; scoring for the graph happens in the kernels, and the `SlotScorer` here (float64 sums) serves
 * reranking and the brute-force path of filtered search.
 */
abstract class FixedRowStorage implements ArenaRowStorage {
  readonly dim: number;
  readonly metric: Metric;
  readonly arena: Arena;
  abstract readonly kind: number;
  private block: ArenaBlock | undefined;
  private rows = 0;
  private capacityRows = 0;

  constructor(dim: number, metric: Metric, arena: Arena) {
    this.dim = dim;
    this.metric = metric;
    this.arena = arena;
  }

  /** Bytes per stored row. */
  abstract get bytesPerVector(): number;

  get size(): number {
    return this.rows;
  }

  append(vectors: Float32Array): number {
    const n = checkBatch(vectors, this.dim);
    const first = this.rows;
    this.reserve(first + n);
    const bytes = this.arena.u8(this.block!.ptr + first * this.bytesPerVector, n * this.bytesPerVector);
    for (let r = 0; r < n; r++) this.encodeRow(vectors, r * this.dim, bytes, r * this.bytesPerVector);
    this.rows = first + n;
    return first;
  }

  reconstruct(slot: number, out?: Float32Array): Float32Array {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.rows) {
      throw new InvalidArgumentError('slot', `must be an integer in [0, ${this.rows}), got ${slot}`);
    }
    if (out !== undefined && out.length !== this.dim) throw new DimensionMismatchError(this.dim, out.length, 'out');
    const target = out ?? new Float32Array(this.dim);
    this.decodeRow(this.arena.u8(this.block!.ptr + slot * this.bytesPerVector, this.bytesPerVector), target);
    return target;
  }

  scorer(): SlotScorer {
    const query = new Float32Array(this.dim);
    const row = new Float32Array(this.dim);
    const other = new Float32Array(this.dim);
    const pair = pairScorer(this.metric);
    return {
      setQuery: (q) => query.set(q),
      score: (slot) => pair(query, this.reconstruct(slot, row)),
      scoreBetween: (a, b) => pair(this.reconstruct(a, row), this.reconstruct(b, other)),
      scoreMany: (slots, count, out) => {
        for (let i = 0; i < count; i++) out[i] = pair(query, this.reconstruct(slots[i]!, row));
      },
    };
  }

  graphRows(): { kind: number; ptr: number; stride: number } {
    return { kind: this.kind, ptr: this.block?.ptr ?? 0, stride: this.bytesPerVector };
  }

  rowBytes(): Uint8Array {
    return this.block ? this.arena.u8(this.block.ptr, this.rows * this.bytesPerVector) : new Uint8Array(0);
  }

  restoreRows(bytes: Uint8Array, count: number): void {
    this.rows = 0;
    this.reserve(count);
    if (count > 0) this.arena.u8(this.block!.ptr, bytes.byteLength).set(bytes);
    this.rows = count;
  }

  dispose(): void {
    if (this.block) this.arena.free(this.block);
    this.block = undefined;
    this.rows = this.capacityRows = 0;
  }

  protected abstract encodeRow(values: Float32Array, offset: number, out: Uint8Array, at: number): void;
  protected abstract decodeRow(bytes: Uint8Array, out: Float32Array): void;

  private reserve(needed: number): void {
    if (needed <= this.capacityRows) return;
    if (needed > 0x7fffffff) throw new CapacityError('a storage holds at most 2^31 - 1 rows');
    const target = Math.max(needed, Math.ceil(this.capacityRows * 1.5), MIN_GROWTH_ROWS);
    const bytes = target * this.bytesPerVector;
    this.block = this.block ? this.arena.realloc(this.block, bytes) : this.arena.alloc(bytes);
    this.capacityRows = target;
  }
}

/** float32 rows: 4 bytes per value, exact. */
export class Float32RowStorage extends FixedRowStorage {
  readonly kind = GRAPH_ROW_KIND.float32;

  get bytesPerVector(): number {
    return this.dim * 4;
  }

  protected encodeRow(values: Float32Array, offset: number, out: Uint8Array, at: number): void {
    new Float32Array(out.buffer, out.byteOffset + at, this.dim).set(values.subarray(offset, offset + this.dim));
  }

  protected decodeRow(bytes: Uint8Array, out: Float32Array): void {
    out.set(new Float32Array(bytes.buffer, bytes.byteOffset, this.dim));
  }
}

/** IEEE float16 rows: 2 bytes per value (padded to 4 per row); values beyond ±65504 are clamped. */
export class Float16RowStorage extends FixedRowStorage {
  readonly kind = GRAPH_ROW_KIND.float16;

  get bytesPerVector(): number {
    return ((this.dim + 1) & ~1) * 2;
  }

  protected encodeRow(values: Float32Array, offset: number, out: Uint8Array, at: number): void {
    const halves = new Uint16Array(out.buffer, out.byteOffset + at, this.dim);
    for (let j = 0; j < this.dim; j++) halves[j] = floatToHalf(Math.max(-HALF_MAX, Math.min(HALF_MAX, values[offset + j]!)));
    // Padding is written too: reused arena memory must not leak into saved files.
    out.fill(0, at + 2 * this.dim, at + this.bytesPerVector);
  }

  protected decodeRow(bytes: Uint8Array, out: Float32Array): void {
    const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, this.dim);
    for (let j = 0; j < this.dim; j++) out[j] = halfToFloat(halves[j]!);
  }
}

/**
 * int8 scalar rows: per row a scale s = max|x| / 127 and codes c = round(x / s), so x ≈ s · c;
 * dim bytes padded to 4, then the float32 scale (dim + 4..7 bytes per row).
 */
export class Int8RowStorage extends FixedRowStorage {
  readonly kind = GRAPH_ROW_KIND.int8;

  get bytesPerVector(): number {
    return ((this.dim + 3) & ~3) + 4;
  }

  protected encodeRow(values: Float32Array, offset: number, out: Uint8Array, at: number): void {
    let max = 0;
    for (let j = 0; j < this.dim; j++) max = Math.max(max, Math.abs(values[offset + j]!));
    const scale = Math.fround(max / 127);
    const codes = new Int8Array(out.buffer, out.byteOffset + at, this.dim);
    for (let j = 0; j < this.dim; j++) codes[j] = scale === 0 ? 0 : Math.max(-127, Math.min(127, Math.round(values[offset + j]! / scale)));
    out.fill(0, at + this.dim, at + ((this.dim + 3) & ~3));
    new DataView(out.buffer, out.byteOffset + at).setFloat32((this.dim + 3) & ~3, scale, true);
  }

  protected decodeRow(bytes: Uint8Array, out: Float32Array): void {
    const codes = new Int8Array(bytes.buffer, bytes.byteOffset, this.dim);
    const scale = new DataView(bytes.buffer, bytes.byteOffset).getFloat32((this.dim + 3) & ~3, true);
    for (let j = 0; j < this.dim; j++) out[j] = Math.fround(codes[j]! * scale);
  }
}

/** The storage for a built-in name. */
export function createBuiltinStorage(name: BuiltinStorage, dim: number, metric: Metric, arena: Arena): ArenaRowStorage {
  if (name === 'float32') return new Float32RowStorage(dim, metric, arena);
  if (name === 'float16') return new Float16RowStorage(dim, metric, arena);
  if (name === 'int8') return new Int8RowStorage(dim, metric, arena);
  throw new InvalidArgumentError('storage', `must be 'float32', 'float16', 'int8' or a factory, got ${String(name)}`);
}

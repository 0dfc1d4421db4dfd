import { InvalidArgumentError, type Arena, type ArenaBlock, type Kernels, type Metric } from '@quiver/core-math';

/** Whether and how an index keeps the vectors it was given, for exact rerank and `reconstruct`. */
export type OriginalsStorage = 'none' | 'float32' | 'float16';

export function parseOriginals(value: unknown): OriginalsStorage {
  if (value === undefined) return 'none';
  if (value === 'none' || value === 'float32' || value === 'float16') return value;
  throw new InvalidArgumentError('originals', `must be 'none', 'float32' or 'float16', got ${String(value)}`);
}

/**
 * The original vectors (normalized under cosine) in the kernels' arena, float32 or float16, so an
 * exact rerank scores a shortlist with the dense kernels.
 */
export class OriginalRows {
  readonly dim: number;
  readonly storage: 'float32' | 'float16';
  private readonly kernels: Kernels;
  private readonly arena: Arena;
  private block: ArenaBlock | undefined;
  private capacity = 0;
  /** Scratch: a decoded float16 row, the query and one score. */
  private scratch: ArenaBlock | undefined;

  constructor(kernels: Kernels, dim: number, storage: 'float32' | 'float16') {
    this.kernels = kernels;
    this.arena = kernels.arena;
    this.dim = dim;
    this.storage = storage;
  }

  get bytesPerRow(): number {
    return this.dim * (this.storage === 'float32' ? 4 : 2);
  }

  get bytesHeld(): number {
    return this.block?.byteLength ?? 0;
  }

  reserve(rows: number, target: number): void {
    if (rows <= this.capacity) return;
    const bytes = Math.max(1, target) * this.bytesPerRow;
    this.block = this.block ? this.arena.realloc(this.block, bytes) : this.arena.alloc(bytes);
    this.capacity = Math.floor(this.block.byteLength / this.bytesPerRow);
  }

  /** Stores rows [first, first + n) from `vectors` (n × dim). */
  write(first: number, vectors: Float32Array): void {
    const n = vectors.length / this.dim;
    const ptr = this.block!.ptr + first * this.bytesPerRow;
    if (this.storage === 'float32') {
      this.arena.f32(ptr, vectors.length).set(vectors);
      return;
    }
    // A single row goes through the scratch row (no allocation); a batch through a temporary block.
    const staging = n === 1 ? this.ensureScratch() : this.arena.alloc(vectors.byteLength);
    try {
      this.arena.f32(staging.ptr, vectors.length).set(vectors);
      this.kernels.f32ToF16(staging.ptr, ptr, n * this.dim);
    } finally {
      if (n !== 1) this.arena.free(staging);
    }
  }

  read(slot: number, out: Float32Array): Float32Array {
    const ptr = this.block!.ptr + slot * this.bytesPerRow;
    if (this.storage === 'float32') {
      out.set(this.arena.f32(ptr, this.dim));
      return out;
    }
    const scratch = this.ensureScratch();
    this.kernels.f16ToF32(ptr, scratch.ptr, this.dim);
    out.set(this.arena.f32(scratch.ptr, this.dim));
    return out;
  }

  /** Applies row moves in order, `pairs` = (from, to) pairs. */
  moveRows(pairs: Int32Array): void {
    const bytes = this.arena.u8(0, this.arena.byteLength);
    const base = this.block!.ptr;
    const size = this.bytesPerRow;
    for (let i = 0; i < pairs.length; i += 2) {
      const from = base + pairs[i]! * size;
      bytes.copyWithin(base + pairs[i + 1]! * size, from, from + size);
    }
  }

  /** Stores rows [0, n) in a new order: new row i takes old row `rows[i]`. */
  permute(rows: Int32Array): void {
    const size = this.bytesPerRow;
    const old = this.arena.u8(this.block!.ptr, rows.length * size).slice();
    const bytes = this.arena.u8(this.block!.ptr, rows.length * size);
    rows.forEach((row, i) => bytes.set(old.subarray(row * size, (row + 1) * size), i * size));
  }

  /** Exact scores of `query` (already normalized under cosine) against `slots`: dot, or −‖q − x‖² for l2. */
  score(query: Float32Array, metric: Metric, slots: Int32Array, count: number, out: Float32Array): void {
    const scratch = this.ensureScratch();
    const rowPtr = scratch.ptr;
    const queryPtr = rowPtr + this.dim * 4;
    const outPtr = queryPtr + this.dim * 4;
    this.arena.f32(queryPtr, this.dim).set(query);
    const l2 = metric === 'l2';
    for (let i = 0; i < count; i++) {
      let ptr = this.block!.ptr + slots[i]! * this.bytesPerRow;
      if (this.storage === 'float16') {
        this.kernels.f16ToF32(ptr, rowPtr, this.dim);
        ptr = rowPtr;
      }
      if (l2) this.kernels.l2sqF32(queryPtr, ptr, 1, this.dim, outPtr);
      else this.kernels.dotF32(queryPtr, ptr, 1, this.dim, outPtr);
      const raw = this.arena.f32(outPtr, 1)[0]!;
      out[i] = l2 ? -raw : raw;
    }
  }

  dispose(): void {
    if (this.block) this.arena.free(this.block);
    if (this.scratch) this.arena.free(this.scratch);
    this.block = this.scratch = undefined;
    this.capacity = 0;
  }

  private ensureScratch(): ArenaBlock {
    this.scratch ??= this.arena.alloc(this.dim * 8 + 64);
    return this.scratch;
  }
}

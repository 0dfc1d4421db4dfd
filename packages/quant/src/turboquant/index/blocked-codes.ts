import { lut3Positions, lutBlockBytes, lutLaneByte, LUT_BLOCK, type Arena, type ArenaBlock, type Kernels } from '@quiver/core-math';

/** Bytes of packed rows staged per scatter (a per-index constant; at least one row). */
const STAGING_BYTES = 16 * 1024;

/**
 * An index's codes in the scan layout of core-math's `LutKernels` (32-vector blocks of nibble
 * positions, or for 3-bit codes the 3-bit layout of exactly 3 bits per coordinate; see
 * lut-kernels.ts), plus one float32 per vector (the TurboQuant scale) and, when asked for, a second
 * float32 per vector (the l2 offset). This is the only copy of the codes: packed rows are produced
 * from it on demand (`readNibbles`).
 *
 * The blocks live in the kernels' arena so the WebAssembly scan and worker threads read them in
 * place. Capacity grows in whole blocks, geometrically, so a single-row add is amortized O(1).
 * Rows arrive as TurboQuant packed rows through a small staging area in the arena (the codec
 * encodes straight into it) and are scattered into place by one kernel call; a single
 * add allocates nothing, a batch of moves one small arena block.
 */
export class BlockedCodes {
  /** Table positions of the scan (coordinates for 3-bit codes). */
  readonly positions: number;
  /** Codes in the 3-bit layout (`bitWidth` 3), else in nibbles. */
  readonly threeBit: boolean;
  /** Bytes of codes per row: bitWidth × paddedDim / 8. */
  readonly codeBytesPerRow: number;
  readonly blockBytes: number;
  readonly withOffsets: boolean;
  readonly bitWidth: number;
  readonly packedRowBytes: number;
  /** Packed rows the staging area holds (at least one). */
  readonly stagingCapacity: number;
  private readonly kernels: Kernels;
  private readonly arena: Arena;
  private codes: ArenaBlock | undefined;
  private scales: ArenaBlock | undefined;
  private offsets: ArenaBlock | undefined;
  private staging: ArenaBlock | undefined;
  private cachedViews: Views | undefined;
  /** Nibble positions with the rows' block geometry (what `lutCopyRows` takes). */
  private readonly rowPositions: number;
  private capacityBlocks = 0;
  private rows = 0;

  constructor(kernels: Kernels, positions: number, bitWidth: number, packedRowBytes: number, withOffsets: boolean) {
    this.kernels = kernels;
    this.arena = kernels.arena;
    this.positions = positions;
    this.threeBit = bitWidth === 3;
    this.rowPositions = this.threeBit ? lut3Positions(positions) : positions;
    this.codeBytesPerRow = this.rowPositions / 2;
    this.blockBytes = lutBlockBytes(this.rowPositions);
    this.bitWidth = bitWidth;
    this.packedRowBytes = packedRowBytes;
    this.withOffsets = withOffsets;
    this.stagingCapacity = Math.max(1, Math.floor(STAGING_BYTES / packedRowBytes));
    this.staging = this.arena.alloc(this.stagingCapacity * packedRowBytes);
  }

  get count(): number {
    return this.rows;
  }

  get blockCount(): number {
    return Math.ceil(this.rows / LUT_BLOCK);
  }

  /** Arena pointers for the kernels (0 when nothing is stored yet). */
  get codesPtr(): number {
    return this.codes?.ptr ?? 0;
  }
  get scalesPtr(): number {
    return this.scales?.ptr ?? 0;
  }
  get offsetsPtr(): number {
    return this.offsets?.ptr ?? 0;
  }

  /** Arena bytes held: codes, scales and offsets for the capacity, and the staging rows. */
  get bytesHeld(): number {
    return (this.codes?.byteLength ?? 0) + (this.scales?.byteLength ?? 0) + (this.offsets?.byteLength ?? 0) + (this.staging?.byteLength ?? 0);
  }

  /** Makes room for `rows` rows; grows to at least 1.5 × the current capacity when it must move. */
  reserve(rows: number, exact = false): void {
    const needed = Math.ceil(rows / LUT_BLOCK);
    if (needed <= this.capacityBlocks) return;
    const target = exact ? needed : Math.max(needed, Math.ceil(this.capacityBlocks * 1.5), 2);
    const grow = (block: ArenaBlock | undefined, bytes: number): ArenaBlock =>
      block ? this.arena.realloc(block, bytes) : this.arena.alloc(bytes);
    this.codes = grow(this.codes, target * this.blockBytes);
    this.scales = grow(this.scales, target * LUT_BLOCK * 4);
    if (this.withOffsets) this.offsets = grow(this.offsets, target * LUT_BLOCK * 4);
    this.capacityBlocks = target;
    this.cachedViews = undefined;
  }

  /** Sets the row count (after rows were written or dropped). */
  setCount(rows: number): void {
    this.rows = rows;
  }

  /** The staging area: `stagingCapacity` packed rows of `packedRowBytes` (an arena view: use it before any allocation). */
  stagingRows(): Uint8Array {
    return this.views().staging;
  }

  /** The scales of the whole capacity (an arena view: use it before any allocation). */
  scaleArray(): Float32Array {
    return this.views().scales;
  }

  /** Writes the first `n` staged packed rows to rows [first, first + n) (scales are written separately). */
  storeStaged(first: number, n: number): void {
    if (this.threeBit) this.kernels.lutStorePackedRows3(this.codes!.ptr, this.positions, first, this.staging!.ptr, n);
    else this.kernels.lutStorePackedRows(this.codes!.ptr, this.positions, first, this.staging!.ptr, n, this.bitWidth);
  }

  setOffset(v: number, offset: number): void {
    this.views().offsets![v] = offset;
  }

  /** Row `v`'s code of each table position (`positions` of them): its nibbles, or its 3-bit codes. */
  readNibbles(v: number, out: Uint8Array): Uint8Array {
    const bytes = this.arena.u8(0, this.arena.byteLength);
    let at = this.codes!.ptr + Math.floor(v / LUT_BLOCK) * this.blockBytes + lutLaneByte(v % LUT_BLOCK);
    if (this.threeBit) return readThreeBitRow(bytes, at, this.positions, out);
    for (let p = 0; p < this.positions; p += 2, at += 32) {
      const byte = bytes[at]!;
      out[p] = byte >> 4;
      out[p + 1] = byte & 15;
    }
    return out;
  }

  scaleOf(v: number): number {
    return this.views().scales[v]!;
  }

  offsetOf(v: number): number {
    return this.views().offsets?.[v] ?? 0;
  }

  /**
   * Applies row moves in order, `pairs` = (from, to) int32 pairs: codes in one kernel call, then
   * scales and offsets.
   */
  moveRows(pairs: Int32Array): void {
    const n = pairs.length >> 1;
    if (n === 0) return;
    const block = this.arena.alloc(pairs.byteLength);
    try {
      this.arena.i32(block.ptr, pairs.length).set(pairs);
      this.kernels.lutCopyRows(this.codes!.ptr, this.codes!.ptr, this.rowPositions, block.ptr, n);
    } finally {
      this.arena.free(block);
    }
    const { scales, offsets } = this.views();
    for (let i = 0; i < pairs.length; i += 2) {
      scales[pairs[i + 1]!] = scales[pairs[i]!]!;
      if (offsets) offsets[pairs[i + 1]!] = offsets[pairs[i]!]!;
    }
  }

  /** Stores the rows [0, count) in a new order: new row i takes old row `rows[i]` (codes gathered into a new block). */
  permute(rows: Int32Array): void {
    const n = rows.length;
    const target = this.arena.alloc(this.codes!.byteLength);
    const pairs = this.arena.alloc(n * 8);
    try {
      const view = this.arena.i32(pairs.ptr, 2 * n);
      rows.forEach((row, i) => {
        view[2 * i] = row;
        view[2 * i + 1] = i;
      });
      this.kernels.lutCopyRows(this.codes!.ptr, target.ptr, this.rowPositions, pairs.ptr, n);
    } finally {
      this.arena.free(pairs);
    }
    this.arena.free(this.codes!);
    this.codes = target;
    this.cachedViews = undefined;
    const { scales, offsets } = this.views();
    for (const values of offsets ? [scales, offsets] : [scales]) {
      const old = values.slice(0, n);
      rows.forEach((row, i) => {
        values[i] = old[row]!;
      });
    }
  }

  /** The scales of rows [0, count) as a copy. */
  scalesCopy(): Float32Array {
    return this.scales ? this.arena.f32(this.scales.ptr, this.rows).slice() : new Float32Array(0);
  }

  dispose(): void {
    for (const block of [this.codes, this.scales, this.offsets, this.staging]) if (block) this.arena.free(block);
    this.codes = this.scales = this.offsets = this.staging = undefined;
    this.cachedViews = undefined;
    this.capacityBlocks = 0;
    this.rows = 0;
  }

  /**
   * Views of the staging rows, scales and offsets, rebuilt after `reserve` moved the blocks or
   * when the arena's memory grew and detached them (a detached view has byteLength 0; the
   * staging view never is empty otherwise).
   */
  private views(): Views {
    const cached = this.cachedViews;
    if (cached !== undefined && cached.staging.byteLength !== 0) return cached;
    const rows = this.capacityBlocks * LUT_BLOCK;
    this.cachedViews = {
      staging: this.arena.u8(this.staging!.ptr, this.stagingCapacity * this.packedRowBytes),
      scales: this.scales ? this.arena.f32(this.scales.ptr, rows) : new Float32Array(0),
      offsets: this.offsets ? this.arena.f32(this.offsets.ptr, rows) : undefined,
    };
    return this.cachedViews;
  }
}

/**
 * The `coords` 3-bit codes of the row whose unit-0 byte x is at `at` (core-math's 3-bit layout: per
 * unit of 8 coordinates, bytes x, y, z 32 apart; byte j holds codes 2j (bits 4-6) and 2j + 1 (bits
 * 0-2), bit j of the 7th code in bit 3 and of the 8th in bit 7).
 */
function readThreeBitRow(bytes: Uint8Array, at: number, coords: number, out: Uint8Array): Uint8Array {
  for (let d = 0; d < coords; d += 8, at += 96) {
    const x = bytes[at]!;
    const y = bytes[at + 32]!;
    const z = bytes[at + 64]!;
    out[d] = (x >> 4) & 7;
    out[d + 1] = x & 7;
    out[d + 2] = (y >> 4) & 7;
    out[d + 3] = y & 7;
    out[d + 4] = (z >> 4) & 7;
    out[d + 5] = z & 7;
    out[d + 6] = ((x >> 3) & 1) | ((y >> 2) & 2) | ((z >> 1) & 4);
    out[d + 7] = (x >> 7) | ((y >> 6) & 2) | ((z >> 5) & 4);
  }
  return out;
}

interface Views {
  readonly staging: Uint8Array;
  readonly scales: Float32Array;
  readonly offsets: Float32Array | undefined;
}

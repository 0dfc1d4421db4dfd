import { lutBlockBytes, lutLaneByte, LUT_BLOCK, type Arena, type ArenaBlock, type Kernels } from '@quiver/core-math';

/**
 * An index's codes in the scan layout of core-math's `LutKernels` (32-vector blocks of nibble
 * positions; see lut-kernels.ts), plus one float32 per vector (the TurboQuant scale) and, when asked
 * for, a second float32 per vector (the l2 offset). This is the only copy of the codes: packed rows
 * are produced from it on demand (`readNibbles`).
 *
 * The blocks live in the kernels' arena so the WebAssembly scan and worker threads read them in
 * place. Capacity grows in whole blocks, geometrically, so a single-row add is amortized O(1).
 */
export class BlockedCodes {
  readonly positions: number;
  readonly blockBytes: number;
  readonly withOffsets: boolean;
  private readonly arena: Arena;
  private codes: ArenaBlock | undefined;
  private scales: ArenaBlock | undefined;
  private offsets: ArenaBlock | undefined;
  private capacityBlocks = 0;
  private rows = 0;

  constructor(kernels: Kernels, positions: number, withOffsets: boolean) {
    this.arena = kernels.arena;
    this.positions = positions;
    this.blockBytes = lutBlockBytes(positions);
    this.withOffsets = withOffsets;
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

  /** Arena bytes held: codes, scales and offsets for the capacity. */
  get bytesHeld(): number {
    return (this.codes?.byteLength ?? 0) + (this.scales?.byteLength ?? 0) + (this.offsets?.byteLength ?? 0);
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
  }

  /** Sets the row count (after rows were written or dropped). */
  setCount(rows: number): void {
    this.rows = rows;
  }

  /** Writes row `v`'s nibble codes (`positions` values, each < 16), its scale and its offset. */
  writeRow(v: number, nibbles: Uint8Array, scale: number, offset: number): void {
    const bytes = this.arena.u8(0, this.arena.byteLength);
    let at = this.codes!.ptr + Math.floor(v / LUT_BLOCK) * this.blockBytes + lutLaneByte(v % LUT_BLOCK);
    for (let p = 0; p < this.positions; p += 2, at += 32) bytes[at] = (nibbles[p]! << 4) | nibbles[p + 1]!;
    this.arena.f32(this.scales!.ptr, this.capacityBlocks * LUT_BLOCK)[v] = scale;
    if (this.offsets) this.arena.f32(this.offsets.ptr, this.capacityBlocks * LUT_BLOCK)[v] = offset;
  }

  /**
   * Writes row `v` straight from a packed (bit-plane) row of `bits`-bit codes at `packed[at]`:
   * `planeBytes` bytes per plane. Each plane byte covers 8 coordinates, whose codes take `slot` bits
   * each in the nibble layout (4 for 3- and 4-bit codes, else `bits`), i.e. `slot` blocked bytes.
   */
  writePackedRow(v: number, packed: Uint8Array, at: number, bits: number, planeBytes: number, scale: number, offset: number): void {
    const slot = bits === 3 ? 4 : bits;
    const spread = spreadTable(slot);
    const bytes = this.arena.u8(0, this.arena.byteLength);
    let out = this.codes!.ptr + Math.floor(v / LUT_BLOCK) * this.blockBytes + lutLaneByte(v % LUT_BLOCK);
    for (let c = 0; c < planeBytes; c++) {
      let word = 0;
      for (let p = 0; p < bits; p++) word |= spread[packed[at + p * planeBytes + c]!]! << p;
      // The 8 codes fill `slot` bytes, first coordinate in the most significant bits.
      for (let b = slot - 1; b >= 0; b--, out += 32) bytes[out] = (word >>> (8 * b)) & 0xff;
    }
    this.arena.f32(this.scales!.ptr, this.capacityBlocks * LUT_BLOCK)[v] = scale;
    if (this.offsets) this.arena.f32(this.offsets.ptr, this.capacityBlocks * LUT_BLOCK)[v] = offset;
  }

  /** Row `v`'s nibble codes. */
  readNibbles(v: number, out: Uint8Array): Uint8Array {
    const bytes = this.arena.u8(0, this.arena.byteLength);
    let at = this.codes!.ptr + Math.floor(v / LUT_BLOCK) * this.blockBytes + lutLaneByte(v % LUT_BLOCK);
    for (let p = 0; p < this.positions; p += 2, at += 32) {
      const byte = bytes[at]!;
      out[p] = byte >> 4;
      out[p + 1] = byte & 15;
    }
    return out;
  }

  scaleOf(v: number): number {
    return this.arena.f32(this.scales!.ptr, this.capacityBlocks * LUT_BLOCK)[v]!;
  }

  offsetOf(v: number): number {
    return this.offsets ? this.arena.f32(this.offsets.ptr, this.capacityBlocks * LUT_BLOCK)[v]! : 0;
  }

  /** Copies row `from` over row `to` (codes, scale, offset). */
  moveRow(from: number, to: number): void {
    const bytes = this.arena.u8(0, this.arena.byteLength);
    const base = this.codes!.ptr;
    let src = base + Math.floor(from / LUT_BLOCK) * this.blockBytes + lutLaneByte(from % LUT_BLOCK);
    let dst = base + Math.floor(to / LUT_BLOCK) * this.blockBytes + lutLaneByte(to % LUT_BLOCK);
    for (let g = 0; g < this.positions; g += 2, src += 32, dst += 32) bytes[dst] = bytes[src]!;
    const scales = this.arena.f32(this.scales!.ptr, this.capacityBlocks * LUT_BLOCK);
    scales[to] = scales[from]!;
    if (this.offsets) {
      const offsets = this.arena.f32(this.offsets.ptr, this.capacityBlocks * LUT_BLOCK);
      offsets[to] = offsets[from]!;
    }
  }

  /** The scales of rows [0, count) as a copy. */
  scalesCopy(): Float32Array {
    return this.scales ? this.arena.f32(this.scales.ptr, this.rows).slice() : new Float32Array(0);
  }

  dispose(): void {
    for (const block of [this.codes, this.scales, this.offsets]) if (block) this.arena.free(block);
    this.codes = this.scales = this.offsets = undefined;
    this.capacityBlocks = 0;
    this.rows = 0;
  }
}

const spreadTables = new Map<number, Uint32Array>();

/** For each byte b: its bit k (most significant first) moved to bit `slot · (7 − k)`. */
function spreadTable(slot: number): Uint32Array {
  let table = spreadTables.get(slot);
  if (!table) {
    table = new Uint32Array(256);
    for (let b = 0; b < 256; b++) {
      let word = 0;
      for (let k = 0; k < 8; k++) if (b & (0x80 >> k)) word |= 1 << (slot * (7 - k));
      table[b] = word >>> 0;
    }
    spreadTables.set(slot, table);
  }
  return table;
}

import { TURBOVEC_BLOCK, packedRowBytes, seqRowBytes } from './parts.js';

/**
 * Conversions between turbovec's two code layouts, for one (dim, bitWidth):
 *
 * - packed rows (bit planes, what `packed_codes()` returns and v5 stores): per row `bitWidth`
 *   planes of dim/8 bytes; plane p holds bit p of coordinate j's code at byte j/8, bit 7 - j%8;
 * - sequential rows (what v6/v7 store): one byte per group of `8 / bitWidth` codes (2 for 3-bit),
 *   the group's first coordinate in the highest field; fields are `bitWidth` wide, 4 for 3-bit.
 *
 * Sequential rows are laid out in 32-row blocks (block-major, then byte group, then lane), so a
 * row's byte g lives at `(block * seqRow + g) * 32 + lane`. Eight coordinates (one byte of each
 * plane) always map to whole sequential bytes, which the lookup tables below exploit.
 */
export class TurbovecCodeLayout {
  readonly packedRow: number;
  readonly seqRow: number;
  private readonly planeBytes: number;
  /** Sequential bytes produced by one byte of each plane (8 coordinates). */
  private readonly seqPerOctet: number;
  private readonly codesPerSeqByte: number;
  /** spread[x]: where plane byte x's 8 bits land in the (little-endian) sequential bytes, for plane 0. */
  private readonly spread: Uint32Array;
  /**
   * gather[i * 256 + b]: for sequential byte b at position i of an octet, its codes' bits in every
   * plane, plane p in byte p of the word (planes beyond 4 never occur: bitWidth <= 4).
   */
  private readonly gather: Uint32Array;

  constructor(
    readonly dim: number,
    readonly bitWidth: number,
  ) {
    this.packedRow = packedRowBytes(dim, bitWidth);
    this.seqRow = seqRowBytes(dim, bitWidth);
    this.planeBytes = dim / 8;
    this.codesPerSeqByte = Math.floor(8 / bitWidth);
    this.seqPerOctet = 8 / this.codesPerSeqByte;
    const field = bitWidth === 3 ? 4 : bitWidth;
    const cpb = this.codesPerSeqByte;
    this.spread = new Uint32Array(256);
    for (let x = 0; x < 256; x++) {
      let word = 0;
      for (let j = 0; j < 8; j++) {
        if (x & (0x80 >> j)) word |= 1 << (Math.floor(j / cpb) * 8 + (cpb - 1 - (j % cpb)) * field);
      }
      this.spread[x] = word >>> 0;
    }
    this.gather = new Uint32Array(this.seqPerOctet * 256);
    const mask = (1 << bitWidth) - 1;
    for (let i = 0; i < this.seqPerOctet; i++) {
      for (let b = 0; b < 256; b++) {
        let word = 0;
        for (let c = 0; c < cpb; c++) {
          const code = (b >> ((cpb - 1 - c) * field)) & mask;
          for (let p = 0; p < bitWidth; p++) if (code & (1 << p)) word |= (0x80 >> (i * cpb + c)) << (8 * p);
        }
        this.gather[i * 256 + b] = word >>> 0;
      }
    }
  }

  /** Writes packed row `row` of `packed` as sequential bytes at out[at + g * stride]. */
  packedToSeq(packed: Uint8Array, row: number, out: Uint8Array, at: number, stride: number): void {
    const base = row * this.packedRow;
    const { planeBytes, seqPerOctet, spread, bitWidth } = this;
    for (let k = 0; k < planeBytes; k++) {
      let word = 0;
      for (let p = 0; p < bitWidth; p++) word |= spread[packed[base + p * planeBytes + k]!]! << p;
      for (let i = 0; i < seqPerOctet; i++) out[at + (k * seqPerOctet + i) * stride] = (word >>> (8 * i)) & 0xff;
    }
  }

  /** Reads sequential bytes at seq[at + g * stride] into packed row `row` of `out` (which must be zeroed there). */
  seqToPacked(seq: Uint8Array, at: number, stride: number, out: Uint8Array, row: number): void {
    const base = row * this.packedRow;
    const { planeBytes, seqPerOctet, gather, bitWidth } = this;
    for (let k = 0; k < planeBytes; k++) {
      let word = 0;
      for (let i = 0; i < seqPerOctet; i++) word |= gather[i * 256 + seq[at + (k * seqPerOctet + i) * stride]!]!;
      for (let p = 0; p < bitWidth; p++) out[base + p * planeBytes + k] = (word >>> (8 * p)) & 0xff;
    }
  }

  /** One 32-row block of sequential codes for rows [block*32, block*32+32), zero lanes past `count`. */
  seqBlock(packed: Uint8Array, block: number, count: number, out = new Uint8Array(TURBOVEC_BLOCK * this.seqRow), at = 0): Uint8Array {
    const first = block * TURBOVEC_BLOCK;
    const lanes = Math.max(0, Math.min(TURBOVEC_BLOCK, count - first));
    if (lanes < TURBOVEC_BLOCK) out.fill(0, at, at + TURBOVEC_BLOCK * this.seqRow);
    for (let lane = 0; lane < lanes; lane++) this.packedToSeq(packed, first + lane, out, at + lane, TURBOVEC_BLOCK);
    return out;
  }

  /** All rows as sequential blocks, the last block zero-padded (v6's codes section). */
  seqBlocked(packed: Uint8Array, count: number): Uint8Array {
    const blocks = Math.ceil(count / TURBOVEC_BLOCK);
    const blockBytes = TURBOVEC_BLOCK * this.seqRow;
    const out = new Uint8Array(blocks * blockBytes);
    for (let b = 0; b < blocks; b++) this.seqBlock(packed, b, count, out, b * blockBytes);
    return out;
  }

  /** Packed rows from sequential blocks (the inverse of `seqBlocked`). */
  packedFromSeqBlocked(seq: Uint8Array, count: number): Uint8Array {
    const out = new Uint8Array(count * this.packedRow);
    const blockBytes = TURBOVEC_BLOCK * this.seqRow;
    for (let r = 0; r < count; r++) {
      const at = Math.floor(r / TURBOVEC_BLOCK) * blockBytes + (r % TURBOVEC_BLOCK);
      this.seqToPacked(seq, at, TURBOVEC_BLOCK, out, r);
    }
    return out;
  }
}

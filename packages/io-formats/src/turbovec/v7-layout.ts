import { TurbovecCodeLayout } from './code-layout.js';
import { TurbovecDigest, turbovecCrc } from './checksum.js';
import { TURBOVEC_BLOCK, levelCount, seqRowBytes, type TurbovecParts } from './parts.js';

/**
 * turbovec 1.0's v7 container ("TV7\0", revision 2): a superblock, two alternating commit
 * header slots of fixed capacity, then one unit per completed 32-row block. Every offset derives
 * from (kind, dim, bitWidth, calibration length); see docs/file-format.md, "turbovec files".
 */

export const V7_MAGIC = Uint8Array.of(0x54, 0x56, 0x37, 0x00);
/**
 * Revision 2: the nonce 0 means "unclaimed snapshot". turbovec bumped the revision from 1 when
 * it gave nonce 0 that meaning; revision 1 images have the same layout. We write 2 and read both.
 */
export const V7_REVISION = 2;
export type V7Revision = 1 | 2;
/** Redo-op capacity of a header slot; a format constant stamped in the superblock. */
export const V7_MAX_OPS = 1024;
/** Superblock bytes before the codebook: magic, revision, bit width, kind, dim, nonce, max ops. */
export const V7_SUPERBLOCK_FIXED = 23;

export type V7Kind = 0 | 1;

export class V7Geometry {
  readonly rowBytes: number;
  /** 8 for id-mapped files (kind 1), 0 otherwise. */
  readonly idBytes: number;
  /** One row in a header (tail row): codes, scale, id. */
  readonly tailRow: number;
  /** One redo op: lane byte plus a tail row. */
  readonly opSize: number;
  readonly superblockLength: number;
  readonly headerLength: number;
  readonly unitLength: number;

  constructor(
    readonly kind: V7Kind,
    readonly dim: number,
    readonly bitWidth: number,
    readonly calibrationLength: number,
  ) {
    const levels = levelCount(bitWidth);
    this.rowBytes = seqRowBytes(dim, bitWidth);
    this.idBytes = kind === 1 ? 8 : 0;
    this.tailRow = this.rowBytes + 4 + this.idBytes;
    this.opSize = 1 + this.tailRow;
    this.superblockLength = V7_SUPERBLOCK_FIXED + (levels - 1) * 4 + levels * 4 + 4 + calibrationLength * 8 + 4;
    this.headerLength =
      16 + 31 * this.tailRow + 4 + V7_MAX_OPS * (5 + this.opSize) + 4 + V7_MAX_OPS * 4 + 12 + 4;
    this.unitLength = TURBOVEC_BLOCK * this.rowBytes + TURBOVEC_BLOCK * 4 + TURBOVEC_BLOCK * this.idBytes;
  }

  headerAt(slot: number): number {
    return this.superblockLength + slot * this.headerLength;
  }

  unitAt(block: number): number {
    return this.headerAt(2) + block * this.unitLength;
  }

  /** Length of a complete image holding `count` rows. */
  imageLength(count: number): number {
    return this.unitAt(Math.floor(count / TURBOVEC_BLOCK));
  }
}

export function geometryOf(parts: TurbovecParts, kind: V7Kind): V7Geometry {
  return new V7Geometry(kind, parts.dim, parts.bitWidth, parts.calibration?.shift.length ?? 0);
}

/** Writes little-endian fields into a growing byte list. */
class ByteWriter {
  private buffer: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(capacity: number) {
    this.buffer = new Uint8Array(capacity);
    this.view = new DataView(this.buffer.buffer);
  }

  private reserve(n: number): number {
    if (this.length + n > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + n));
      grown.set(this.buffer);
      this.buffer = grown;
      this.view = new DataView(grown.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  // reserve() may replace the buffer, so it runs before the buffer or view is read.
  u8(v: number): void {
    const at = this.reserve(1);
    this.buffer[at] = v;
  }
  u32(v: number): void {
    const at = this.reserve(4);
    this.view.setUint32(at, v, true);
  }
  u64(v: bigint): void {
    const at = this.reserve(8);
    this.view.setBigUint64(at, v, true);
  }
  f32(v: number): void {
    const at = this.reserve(4);
    this.view.setFloat32(at, v, true);
  }
  bytes(b: Uint8Array): void {
    const at = this.reserve(b.length);
    this.buffer.set(b, at);
  }
  /** Reserves `n` bytes and returns where they start, for a caller that fills them in place. */
  span(n: number): { buffer: Uint8Array; at: number } {
    const at = this.reserve(n);
    return { buffer: this.buffer, at };
  }
  result(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

/** Rows of a v7 file, read from parts: sequential codes, scales and ids per slot. */
export class V7RowSource {
  readonly layout: TurbovecCodeLayout;

  constructor(
    readonly parts: TurbovecParts,
    readonly geo: V7Geometry,
  ) {
    this.layout = new TurbovecCodeLayout(parts.dim, parts.bitWidth);
  }

  get count(): number {
    return this.parts.count;
  }

  /** One block unit: sequential codes, 32 scales, 32 ids (kind 1); lanes past count are zero. */
  unit(block: number): Uint8Array {
    const { geo, parts } = this;
    const out = new Uint8Array(geo.unitLength);
    this.layout.seqBlock(parts.packedCodes, block, parts.count, out, 0);
    const view = new DataView(out.buffer);
    const codeBytes = TURBOVEC_BLOCK * geo.rowBytes;
    const first = block * TURBOVEC_BLOCK;
    for (let lane = 0; lane < TURBOVEC_BLOCK && first + lane < parts.count; lane++) {
      view.setFloat32(codeBytes + lane * 4, parts.scales[first + lane]!, true);
      if (geo.kind === 1) view.setBigUint64(codeBytes + TURBOVEC_BLOCK * 4 + lane * 8, parts.ids![first + lane]!, true);
    }
    return out;
  }

  /** A tail row or redo-op payload: sequential codes, scale, id (kind 1). */
  writeRow(w: ByteWriter, row: number): void {
    const { buffer, at } = w.span(this.geo.rowBytes);
    this.layout.packedToSeq(this.parts.packedCodes, row, buffer, at, 1);
    w.f32(this.parts.scales[row]!);
    if (this.geo.kind === 1) w.u64(this.parts.ids![row]!);
  }
}

/** The superblock, CRC included. */
export function superblockBytes(parts: TurbovecParts, geo: V7Geometry, nonce: bigint, revision: V7Revision = V7_REVISION): Uint8Array {
  const w = new ByteWriter(geo.superblockLength);
  w.bytes(V7_MAGIC);
  w.u8(revision);
  w.u8(parts.bitWidth);
  w.u8(geo.kind);
  w.u32(parts.dim);
  w.u64(nonce);
  w.u32(V7_MAX_OPS);
  const levels = levelCount(parts.bitWidth);
  // The lazy sentinel (dim 0) embeds a zero codebook of the right shape.
  const boundaries = parts.dim === 0 ? new Float32Array(levels - 1) : parts.codebook!.boundaries;
  const centroids = parts.dim === 0 ? new Float32Array(levels) : parts.codebook!.centroids;
  for (const v of boundaries) w.f32(v);
  for (const v of centroids) w.f32(v);
  const cal = parts.calibration;
  w.u32(cal?.shift.length ?? 0);
  if (cal !== undefined) {
    for (const v of cal.shift) w.f32(v);
    for (const v of cal.scale) w.f32(v);
  }
  w.u32(turbovecCrc(w.result()));
  return w.result();
}

/** What a commit header says about the sync that wrote it. */
export interface V7Delta {
  /** Units whose pending ops this sync materialized. */
  readonly materialized: readonly number[];
  /** Units [from, to) this sync appended. */
  readonly appendedFrom: number;
  readonly appendedTo: number;
  /** `turbovecCrc` of gen || (block u32 || unit)* over those units, in that order. */
  readonly digest: number;
}

/** Pending redo ops grouped by unit: [block, slots in ascending order]. */
export type V7OpGroups = readonly (readonly [number, readonly number[]])[];

/** One commit header's used prefix (the rest of the slot is left as it is), CRC last. */
export function headerBytes(src: V7RowSource, generation: bigint, groups: V7OpGroups, delta: V7Delta): Uint8Array {
  const n = src.count;
  const tail = n % TURBOVEC_BLOCK;
  const w = new ByteWriter(64 + tail * src.geo.tailRow);
  w.u64(generation);
  w.u64(BigInt(n));
  for (let r = n - tail; r < n; r++) src.writeRow(w, r);
  w.u32(groups.length);
  for (const [block, slots] of groups) {
    w.u32(block);
    w.u8(slots.length);
    for (const slot of slots) {
      w.u8(slot % TURBOVEC_BLOCK);
      src.writeRow(w, slot);
    }
  }
  w.u32(delta.materialized.length);
  for (const b of delta.materialized) w.u32(b);
  w.u32(delta.appendedFrom);
  w.u32(delta.appendedTo);
  w.u32(delta.digest);
  w.u32(turbovecCrc(w.result()));
  return w.result();
}

/** The delta digest of a sync that wrote `units` (block index and unit bytes) at `generation`. */
export function deltaDigest(generation: bigint, unitLength: number, units: readonly (readonly [number, Uint8Array])[]): number {
  const digest = new TurbovecDigest(8 + units.length * (4 + unitLength));
  digest.push(u64Bytes(generation));
  for (const [block, bytes] of units) {
    digest.push(u32Bytes(block));
    digest.push(bytes);
  }
  return digest.finish();
}

export function u32Bytes(v: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, v, true);
  return out;
}

export function u64Bytes(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v, true);
  return out;
}

/**
 * A complete image at generation 0: superblock, slot 0 holding the commit (no ops, empty delta),
 * zero padding to the slot's capacity, an all-zero slot 1 (generation 0 there fails the parity
 * check), then every whole block's unit. Yields chunks so a large index is never copied twice.
 */
export function* v7ImageChunks(parts: TurbovecParts, kind: V7Kind, nonce: bigint, revision: V7Revision = V7_REVISION): Generator<Uint8Array> {
  const geo = geometryOf(parts, kind);
  const src = new V7RowSource(parts, geo);
  const header = headerBytes(src, 0n, [], { materialized: [], appendedFrom: 0, appendedTo: 0, digest: deltaDigest(0n, geo.unitLength, []) });
  yield superblockBytes(parts, geo, nonce, revision);
  yield header;
  yield new Uint8Array(geo.headerLength - header.length + geo.headerLength);
  const blocks = Math.floor(parts.count / TURBOVEC_BLOCK);
  for (let b = 0; b < blocks; b++) yield src.unit(b);
}

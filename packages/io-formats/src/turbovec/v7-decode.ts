import { CorruptFileError } from '@quiver/core-math';
import { TurbovecDigest, turbovecCrc } from './checksum.js';
import { TURBOVEC_BLOCK, TURBOVEC_MAX_DIM, calibrationProblem, firstDuplicateId, isValidScale, levelCount, packedRowBytes } from './parts.js';
import { V7Geometry, V7_MAGIC, V7_MAX_OPS, V7_REVISION, V7_SUPERBLOCK_FIXED, u32Bytes, u64Bytes, type V7Kind } from './v7-layout.js';
import { checkCodebookShape } from './codebook-check.js';

const CONTEXT = '[@quiver/io-formats] turbovec v7';

function corrupt(reason: ConstructorParameters<typeof CorruptFileError>[0], message: string): never {
  throw new CorruptFileError(reason, `${CONTEXT}: ${message}`);
}

/** A commit header that parsed and whose CRC holds (not yet delta-verified). */
export interface V7Header {
  readonly slot: number;
  readonly generation: bigint;
  readonly count: number;
  /** File offset of the first tail row. */
  readonly tailAt: number;
  /** [block, [slot, payload offset]...] in header order. */
  readonly groups: readonly (readonly [number, readonly (readonly [number, number])[]])[];
  readonly materialized: readonly number[];
  readonly appendedFrom: number;
  readonly appendedTo: number;
  readonly digest: number;
  /** Bytes of the slot this header occupies, CRC included. */
  readonly used: number;
}

/** Everything a v7 image commits to, after recovery: the effective state of the adopted header. */
export interface V7State {
  readonly geo: V7Geometry;
  /** 2 for turbovec 1.0; 1 for images from builds before the unclaimed-nonce change (same layout). */
  readonly revision: number;
  readonly nonce: bigint;
  /** The superblock bytes (CRC included), for comparison by a sync. */
  readonly superblock: Uint8Array;
  readonly boundaries: Float32Array;
  readonly centroids: Float32Array;
  readonly shift: Float32Array;
  readonly scale: Float32Array;
  readonly header: V7Header;
  /** The other slot's header when it parses, whatever its generation. */
  readonly otherHeader: V7Header | undefined;
  readonly fellBack: boolean;
  readonly count: number;
  /** Sequential codes of every row with pending ops applied, ceil(count/32) blocks, dead lanes zero. */
  readonly seqBlocked: Uint8Array;
  readonly scales: Float32Array;
  readonly ids: BigUint64Array | undefined;
  /** Slots carried as redo ops by the adopted header. */
  readonly pendingSlots: Uint32Array;
}

export function isV7(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === V7_MAGIC[0] && bytes[1] === V7_MAGIC[1] && bytes[2] === V7_MAGIC[2] && bytes[3] === V7_MAGIC[3];
}

/** Parses one header slot; undefined when it is not a valid commit (wrong parity, torn, truncated, implausible). */
export function parseV7Header(raw: Uint8Array, geo: V7Geometry, slot: number): V7Header | undefined {
  const at = geo.headerAt(slot);
  if (at + geo.headerLength > raw.length) return undefined;
  const view = new DataView(raw.buffer, raw.byteOffset + at, geo.headerLength);
  const end = geo.headerLength;
  const generation = view.getBigUint64(0, true);
  if (Number(generation % 2n) !== slot) return undefined;
  const countHi = view.getUint32(12, true);
  if (countHi >= 0x200000) return undefined;
  const count = countHi * 0x100000000 + view.getUint32(8, true);
  if (geo.unitAt(Math.floor(count / TURBOVEC_BLOCK)) > raw.length) return undefined;
  let p = 16 + (count % TURBOVEC_BLOCK) * geo.tailRow;
  if (p + 4 > end) return undefined;
  const nGroups = view.getUint32(p, true);
  if (nGroups > V7_MAX_OPS) return undefined;
  p += 4;
  const wholeBlocks = Math.floor(count / TURBOVEC_BLOCK);
  const groups: [number, [number, number][]][] = [];
  for (let i = 0; i < nGroups; i++) {
    if (p + 5 > end) return undefined;
    const block = view.getUint32(p, true);
    if (block >= wholeBlocks) return undefined;
    const nOps = view.getUint8(p + 4);
    p += 5;
    const ops: [number, number][] = [];
    for (let k = 0; k < nOps; k++) {
      if (p + geo.opSize > end) return undefined;
      const lane = view.getUint8(p);
      if (lane >= TURBOVEC_BLOCK) return undefined;
      ops.push([block * TURBOVEC_BLOCK + lane, at + p + 1]);
      p += geo.opSize;
    }
    groups.push([block, ops]);
  }
  if (p + 4 > end) return undefined;
  const nMat = view.getUint32(p, true);
  if (nMat > V7_MAX_OPS) return undefined;
  p += 4;
  if (p + nMat * 4 + 16 > end) return undefined;
  const materialized: number[] = [];
  for (let i = 0; i < nMat; i++, p += 4) materialized.push(view.getUint32(p, true));
  const appendedFrom = view.getUint32(p, true);
  const appendedTo = view.getUint32(p + 4, true);
  const digest = view.getUint32(p + 8, true);
  p += 12;
  if (turbovecCrc(raw.subarray(at, at + p)) !== view.getUint32(p, true)) return undefined;
  return { slot, generation, count, tailAt: at + 16, groups, materialized, appendedFrom, appendedTo, digest, used: p + 4 };
}

/** True when every unit the header's sync wrote is present with the bytes its digest recorded. */
function deltaVerifies(raw: Uint8Array, geo: V7Geometry, h: V7Header): boolean {
  const units = [...h.materialized];
  for (let b = h.appendedFrom; b < h.appendedTo; b++) {
    if (geo.unitAt(b) + geo.unitLength > raw.length) return false;
    units.push(b);
  }
  const digest = new TurbovecDigest(8 + units.length * (4 + geo.unitLength));
  digest.push(u64Bytes(h.generation));
  for (const b of units) {
    const at = geo.unitAt(b);
    if (at + geo.unitLength > raw.length) return false;
    digest.push(u32Bytes(b));
    digest.push(raw.subarray(at, at + geo.unitLength));
  }
  return digest.finish() === h.digest;
}

function readF32s(view: DataView, at: number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(at + i * 4, true);
  return out;
}

/**
 * Parses and recovers a v7 image exactly as turbovec 1.0's loader does: superblock checks and CRC,
 * the newest header whose CRC holds and whose delta verifies (falling back to the other slot),
 * then the units, the pending redo ops and the tail rows. Every length is checked against the
 * buffer before anything is allocated; allocations never exceed the buffer's own size.
 */
export function parseV7(raw: Uint8Array, expectKind?: V7Kind): V7State {
  if (raw.length < V7_SUPERBLOCK_FIXED || !isV7(raw)) corrupt('magic', 'not a v7 image');
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const revision = raw[4]!;
  if (revision !== V7_REVISION && revision !== 1) corrupt('version', `unsupported v7 revision ${revision} (turbovec 1.0 writes revision ${V7_REVISION})`);
  const bitWidth = raw[5]!;
  if (bitWidth < 2 || bitWidth > 4) corrupt('header', `bit width ${bitWidth} out of range`);
  const kind = raw[6]!;
  if (kind > 1) corrupt('kind', `unknown v7 index kind ${kind}`);
  if (expectKind !== undefined && kind !== expectKind) corrupt('kind', `holds a ${kind === 1 ? 'id-mapped (.tvim)' : 'plain (.tv)'} index`);
  const dim = view.getUint32(7, true);
  if (dim % 8 !== 0 || dim > TURBOVEC_MAX_DIM) corrupt('header', `dim ${dim} invalid`);
  // A complete image reserves MAX_OPS redo slots at least one packed row wide.
  const minLength = V7_MAX_OPS * packedRowBytes(dim, bitWidth);
  if (raw.length < minLength) corrupt('truncated', `a ${dim}-dim ${bitWidth}-bit image reserves at least ${minLength} bytes, got ${raw.length}`);
  const nonce = view.getBigUint64(11, true);
  const maxOps = view.getUint32(19, true);
  if (maxOps !== V7_MAX_OPS) corrupt('unsupported', `header ops capacity ${maxOps} (turbovec 1.0 uses ${V7_MAX_OPS})`);
  const levels = levelCount(bitWidth);
  let off = V7_SUPERBLOCK_FIXED;
  const codebookEnd = off + (2 * levels - 1) * 4 + 4;
  if (codebookEnd > raw.length) corrupt('truncated', 'superblock');
  const boundaries = readF32s(view, off, levels - 1);
  const centroids = readF32s(view, off + (levels - 1) * 4, levels);
  off = codebookEnd - 4;
  const nCalib = view.getUint32(off, true);
  off += 4;
  if (nCalib !== 0 && nCalib !== dim) corrupt('header', `calibration length ${nCalib} != dim ${dim}`);
  if (off + nCalib * 8 + 4 > raw.length) corrupt('truncated', 'superblock calibration');
  const shift = readF32s(view, off, nCalib);
  const scale = readF32s(view, off + nCalib * 4, nCalib);
  off += nCalib * 8;
  const crcProblem = turbovecCrc(raw.subarray(0, off)) !== view.getUint32(off, true);
  if (crcProblem) corrupt('checksum', 'superblock CRC mismatch');
  const calProblem = calibrationProblem(shift, scale);
  if (calProblem !== undefined) corrupt('header', calProblem);
  if (dim !== 0) checkCodebookShape(boundaries, centroids, CONTEXT);
  const geo = new V7Geometry(kind as V7Kind, dim, bitWidth, nCalib);

  const candidates = [parseV7Header(raw, geo, 0), parseV7Header(raw, geo, 1)].filter((h): h is V7Header => h !== undefined);
  candidates.sort((a, b) => (a.generation > b.generation ? -1 : a.generation < b.generation ? 1 : 0));
  const header = candidates.find((h) => deltaVerifies(raw, geo, h));
  if (header === undefined) corrupt('checksum', 'no valid commit header');
  const otherHeader = candidates.find((h) => h !== header);
  const fellBack = candidates[0] !== header;
  const count = header.count;
  if (dim === 0 && count !== 0) corrupt('header', `dim 0 with ${count} rows`);

  const wholeBlocks = Math.floor(count / TURBOVEC_BLOCK);
  const blockBytes = TURBOVEC_BLOCK * geo.rowBytes;
  const codeBytes = blockBytes;
  const seqBlocked = new Uint8Array(Math.ceil(count / TURBOVEC_BLOCK) * blockBytes);
  const scales = new Float32Array(count);
  const ids = kind === 1 ? new BigUint64Array(count) : undefined;
  for (let b = 0; b < wholeBlocks; b++) {
    const at = geo.unitAt(b);
    seqBlocked.set(raw.subarray(at, at + codeBytes), b * blockBytes);
    for (let lane = 0; lane < TURBOVEC_BLOCK; lane++) {
      const v = view.getFloat32(at + codeBytes + lane * 4, true);
      if (!isValidScale(v)) corrupt('header', `invalid per-vector scale in block ${b}`);
      scales[b * TURBOVEC_BLOCK + lane] = v;
      if (ids !== undefined) ids[b * TURBOVEC_BLOCK + lane] = view.getBigUint64(at + codeBytes + TURBOVEC_BLOCK * 4 + lane * 8, true);
    }
  }
  const pending: number[] = [];
  const writeRow = (row: number, at: number, what: string): void => {
    const block = Math.floor(row / TURBOVEC_BLOCK);
    const lane = row % TURBOVEC_BLOCK;
    for (let g = 0; g < geo.rowBytes; g++) seqBlocked[(block * geo.rowBytes + g) * TURBOVEC_BLOCK + lane] = raw[at + g]!;
    const v = view.getFloat32(at + geo.rowBytes, true);
    if (!isValidScale(v)) corrupt('header', `invalid per-vector scale in ${what}`);
    scales[row] = v;
    if (ids !== undefined) ids[row] = view.getBigUint64(at + geo.rowBytes + 4, true);
  };
  for (const [, ops] of header.groups) {
    for (const [slot, payloadAt] of ops) {
      writeRow(slot, payloadAt, 'a pending op');
      pending.push(slot);
    }
  }
  for (let r = wholeBlocks * TURBOVEC_BLOCK, k = 0; r < count; r++, k++) writeRow(r, header.tailAt + k * geo.tailRow, 'the commit tail');
  if (ids !== undefined) {
    const duplicate = firstDuplicateId(ids);
    if (duplicate !== undefined) corrupt('header', `duplicate id ${duplicate} in the id table`);
  }
  return {
    geo,
    revision,
    nonce,
    superblock: raw.subarray(0, off + 4),
    boundaries,
    centroids,
    shift,
    scale,
    header,
    otherHeader,
    fellBack,
    count,
    seqBlocked,
    scales,
    ids,
    pendingSlots: Uint32Array.from(pending),
  };
}

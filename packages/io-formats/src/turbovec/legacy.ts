import { CorruptFileError } from '@quiver/core-math';
import { TurbovecCodeLayout } from './code-layout.js';
import { checkCodebookShape } from './codebook-check.js';
import {
  TURBOVEC_BLOCK,
  TURBOVEC_MAX_DIM,
  calibrationProblem,
  firstDuplicateId,
  isValidScale,
  levelCount,
  packedRowBytes,
  seqRowBytes,
  type TurbovecParts,
} from './parts.js';

/**
 * Readers for the formats turbovec 1.0 no longer reads (only its `convert` module does):
 *
 *   v5: "TVPI"|"TVIM", 5, bit_width u8, dim u32, count u64, packed rows, scales f32[count],
 *       n_calib u32, shift f32[n_calib], scale f32[n_calib], (TVIM) ids u64[count]
 *   v6: the same header, then the codebook (2^b - 1 boundaries, 2^b centroids, f32), then the
 *       codes as sequential 32-row blocks (the last zero-padded), then as v5.
 *
 * Trailing bytes are ignored, as turbovec did. The simple layout of turbovec's API reference
 * (a header-only format with a 9-byte header) is in simple.ts.
 */

const HEADER = 18; // magic 4 + version 1 + bit_width 1 + dim 4 + count 8

function corrupt(format: string, reason: ConstructorParameters<typeof CorruptFileError>[0], message: string): never {
  throw new CorruptFileError(reason, `[@quiver/io-formats] turbovec ${format}: ${message}`);
}

export function decodeLegacy(bytes: Uint8Array, version: 5 | 6, idMapped: boolean): TurbovecParts {
  const format = version === 5 ? 'v5' : 'v6';
  if (bytes.length < HEADER) corrupt(format, 'truncated', 'header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bitWidth = bytes[5]!;
  const dim = view.getUint32(6, true);
  const countHi = view.getUint32(14, true);
  if (countHi >= 0x200000) corrupt(format, 'limit', 'row count exceeds 2^53');
  const count = countHi * 0x100000000 + view.getUint32(10, true);
  if (bitWidth < 2 || bitWidth > 4) corrupt(format, 'header', `invalid bit width ${bitWidth}`);
  if (dim === 0 ? count !== 0 : dim % 8 !== 0 || dim > TURBOVEC_MAX_DIM) corrupt(format, 'header', `invalid dim ${dim} for ${count} rows`);
  // Every row costs at least one code byte and a 4-byte scale: bound the count before any arithmetic uses it.
  if (count * 5 > bytes.length) corrupt(format, 'truncated', `header claims ${count} rows, which ${bytes.length} bytes cannot hold`);
  const layout = new TurbovecCodeLayout(dim, bitWidth);
  let at = HEADER;
  const need = (length: number, what: string): void => {
    if (at + length > bytes.length) corrupt(format, 'truncated', what);
  };
  let packedCodes: Uint8Array;
  let codebook: TurbovecParts['codebook'];
  if (version === 5) {
    const length = count * packedRowBytes(dim, bitWidth);
    need(length, 'codes');
    packedCodes = bytes.slice(at, at + length);
    at += length;
  } else {
    const levels = levelCount(bitWidth);
    need((2 * levels - 1) * 4, 'codebook');
    const boundaries = new Float32Array(levels - 1);
    const centroids = new Float32Array(levels);
    for (let i = 0; i < levels - 1; i++) boundaries[i] = view.getFloat32(at + i * 4, true);
    for (let i = 0; i < levels; i++) centroids[i] = view.getFloat32(at + (levels - 1 + i) * 4, true);
    at += (2 * levels - 1) * 4;
    // An empty index's writer embedded an all-zero placeholder, which turbovec's loader ignored.
    if (count > 0) {
      checkCodebookShape(boundaries, centroids, `[@quiver/io-formats] turbovec ${format}`);
      codebook = { boundaries, centroids };
    }
    const length = Math.ceil(count / TURBOVEC_BLOCK) * TURBOVEC_BLOCK * seqRowBytes(dim, bitWidth);
    need(length, 'codes');
    packedCodes = layout.packedFromSeqBlocked(bytes.subarray(at, at + length), count);
    at += length;
  }
  need(count * 4 + 4, 'scales');
  const scales = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const v = view.getFloat32(at + i * 4, true);
    if (!isValidScale(v)) corrupt(format, 'header', `invalid per-vector scale ${v} at row ${i}`);
    scales[i] = v;
  }
  at += count * 4;
  const nCalib = view.getUint32(at, true);
  at += 4;
  if (nCalib !== 0 && nCalib !== dim) corrupt(format, 'header', `calibration length ${nCalib} != dim ${dim}`);
  need(nCalib * 8, 'calibration');
  let calibration: TurbovecParts['calibration'];
  if (nCalib > 0) {
    const shift = new Float32Array(nCalib);
    const scale = new Float32Array(nCalib);
    for (let i = 0; i < nCalib; i++) {
      shift[i] = view.getFloat32(at + i * 4, true);
      scale[i] = view.getFloat32(at + (nCalib + i) * 4, true);
    }
    const problem = calibrationProblem(shift, scale);
    if (problem !== undefined) corrupt(format, 'header', problem);
    calibration = { shift, scale };
  }
  at += nCalib * 8;
  let ids: BigUint64Array | undefined;
  if (idMapped) {
    need(count * 8, 'id table');
    ids = new BigUint64Array(count);
    for (let i = 0; i < count; i++) ids[i] = view.getBigUint64(at + i * 8, true);
    const duplicate = firstDuplicateId(ids);
    if (duplicate !== undefined) corrupt(format, 'header', `duplicate id ${duplicate} in the id table`);
  }
  return { dim, bitWidth, count, packedCodes, scales, calibration, codebook, ids, origin: { format } };
}

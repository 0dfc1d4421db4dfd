import { CorruptFileError, InvalidArgumentError } from '@quiver/core-math';
import { concatBytes } from '../bytes.js';
import { TURBOVEC_MAX_DIM, checkTurbovecParts, firstDuplicateId, isValidScale, packedRowBytes, type TurbovecParts } from './parts.js';

/**
 * The "simple layout" of turbovec's API reference (docs/api.md, the format of turbovec ≤ 0.4.3):
 *
 *   .tv    bit_width u8 | dim u32 | count u32 | packed codes (count * dim * bit_width / 8)
 *          | one f32 per row (the reference calls it "norms")
 *   .tvim  "TVIM" | version u8 = 1 | the .tv payload | slot_to_id u64[count]
 *
 * No magic on .tv: a reader recognises it by a plausible header and an exact length.
 */

const CORE_HEADER = 9;
const TVIM_PREFIX = 5;

function corrupt(reason: ConstructorParameters<typeof CorruptFileError>[0], message: string): never {
  throw new CorruptFileError(reason, `[@quiver/io-formats] turbovec simple layout: ${message}`);
}

/** The simple layout's bytes; `idMap` (default: ids present) writes the TVIM variant. */
export function encodeTurbovecSimple(parts: TurbovecParts, options: { idMap?: boolean } = {}): Uint8Array {
  const idMap = options.idMap ?? parts.ids !== undefined;
  checkTurbovecParts(parts, { needCodebook: false, needIds: idMap });
  if (parts.count > 0xffffffff) throw new InvalidArgumentError('parts.count', 'the simple layout stores the row count as u32');
  const header = new Uint8Array(CORE_HEADER);
  const view = new DataView(header.buffer);
  header[0] = parts.bitWidth;
  view.setUint32(1, parts.dim, true);
  view.setUint32(5, parts.count, true);
  const norms = new Uint8Array(parts.count * 4);
  const normView = new DataView(norms.buffer);
  for (let i = 0; i < parts.count; i++) normView.setFloat32(i * 4, parts.scales[i]!, true);
  const chunks = [header, parts.packedCodes, norms];
  if (idMap) {
    const ids = new Uint8Array(parts.count * 8);
    const idView = new DataView(ids.buffer);
    for (let i = 0; i < parts.count; i++) idView.setBigUint64(i * 8, parts.ids![i]!, true);
    chunks.unshift(Uint8Array.of(0x54, 0x56, 0x49, 0x4d, 1));
    chunks.push(ids);
  }
  return concatBytes(chunks);
}

/** Length of a simple-layout file whose core header is at `at`, or undefined if the header is implausible. */
function expectedLength(bytes: Uint8Array, at: number, idMapped: boolean): number | undefined {
  if (bytes.length < at + CORE_HEADER) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, CORE_HEADER);
  const bitWidth = view.getUint8(0);
  const dim = view.getUint32(1, true);
  const count = view.getUint32(5, true);
  if (bitWidth < 2 || bitWidth > 4 || dim % 8 !== 0 || dim > TURBOVEC_MAX_DIM || (dim === 0 && count !== 0)) return undefined;
  return at + CORE_HEADER + count * (packedRowBytes(dim, bitWidth) + 4 + (idMapped ? 8 : 0));
}

/** True when `bytes` is exactly a simple-layout .tv file (the layout has no magic to check). */
export function looksLikeSimpleTv(bytes: Uint8Array): boolean {
  return expectedLength(bytes, 0, false) === bytes.length;
}

export function decodeSimple(bytes: Uint8Array, idMapped: boolean): TurbovecParts {
  const at = idMapped ? TVIM_PREFIX : 0;
  const length = expectedLength(bytes, at, idMapped);
  if (length === undefined) corrupt(bytes.length < at + CORE_HEADER ? 'truncated' : 'header', 'implausible header');
  if (length !== bytes.length) corrupt('truncated', `header implies ${length} bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bitWidth = bytes[at]!;
  const dim = view.getUint32(at + 1, true);
  const count = view.getUint32(at + 5, true);
  let p = at + CORE_HEADER;
  const codeBytes = count * packedRowBytes(dim, bitWidth);
  const packedCodes = bytes.slice(p, p + codeBytes);
  p += codeBytes;
  const scales = new Float32Array(count);
  for (let i = 0; i < count; i++, p += 4) {
    const v = view.getFloat32(p, true);
    if (!isValidScale(v)) corrupt('header', `invalid norm ${v} at row ${i}`);
    scales[i] = v;
  }
  let ids: BigUint64Array | undefined;
  if (idMapped) {
    ids = new BigUint64Array(count);
    for (let i = 0; i < count; i++, p += 8) ids[i] = view.getBigUint64(p, true);
    const duplicate = firstDuplicateId(ids);
    if (duplicate !== undefined) corrupt('header', `duplicate id ${duplicate} in slot_to_id`);
  }
  return { dim, bitWidth, count, packedCodes, scales, ids, origin: { format: 'simple' } };
}

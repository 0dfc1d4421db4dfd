import { CorruptFileError } from '@quiver/core-math';
import { checkBytes, concatBytes } from '../bytes.js';
import { TurbovecCodeLayout } from './code-layout.js';
import { decodeLegacy } from './legacy.js';
import { checkTurbovecParts, type TurbovecFormat, type TurbovecParts } from './parts.js';
import { decodeSimple, looksLikeSimpleTv } from './simple.js';
import { isV7, parseV7, type V7State } from './v7-decode.js';
import { V7_REVISION, v7ImageChunks, type V7Revision } from './v7-layout.js';

export interface TurbovecV7Options {
  /** Write an id-mapped (.tvim, kind 1) image; defaults to whether `parts.ids` is present. */
  readonly idMap?: boolean;
}

/**
 * A turbovec 1.0 snapshot image: what `TurboQuantIndex::to_bytes()` / `write()` (or the
 * `IdMapIndex` forms) produce for the same index: v7 revision 2, nonce 0 (unclaimed), one commit
 * at generation 0. Byte-identical to turbovec for identical parts.
 */
export function encodeTurbovecV7(parts: TurbovecParts, options: TurbovecV7Options = {}): Uint8Array {
  return concatBytes([...turbovecV7Chunks(parts, options)]);
}

/** `encodeTurbovecV7` as chunks, for streaming to a file. `nonce` 0 is a snapshot; sync claims files with a random one. */
export function turbovecV7Chunks(
  parts: TurbovecParts,
  options: TurbovecV7Options & { readonly nonce?: bigint; readonly revision?: V7Revision } = {},
): Iterable<Uint8Array> {
  const idMap = options.idMap ?? parts.ids !== undefined;
  checkTurbovecParts(parts, { needCodebook: true, needIds: idMap });
  return v7ImageChunks(parts, idMap ? 1 : 0, options.nonce ?? 0n, options.revision ?? V7_REVISION);
}

export interface TurbovecDetection {
  readonly format: TurbovecFormat;
  /** `.tvim`: the file carries a slot -> id table. */
  readonly idMapped: boolean;
}

const TVPI = [0x54, 0x56, 0x50, 0x49];
const TVIM = [0x54, 0x56, 0x49, 0x4d];

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
}

/** Which turbovec container `bytes` holds, from its magic and version byte, without decoding it. */
export function detectTurbovec(input: Uint8Array): TurbovecDetection {
  const bytes = checkBytes(input);
  if (isV7(bytes)) {
    if (bytes.length < 7) throw new CorruptFileError('truncated', '[@quiver/io-formats] turbovec v7: superblock');
    return { format: 'v7', idMapped: bytes[6] === 1 };
  }
  const tvpi = startsWith(bytes, TVPI);
  const tvim = startsWith(bytes, TVIM);
  if ((tvpi || tvim) && bytes.length >= 5) {
    const version = bytes[4]!;
    if (version === 5) return { format: 'v5', idMapped: tvim };
    if (version === 6) return { format: 'v6', idMapped: tvim };
    if (version === 1 && tvim) return { format: 'simple', idMapped: true };
    const detail =
      version >= 1 && version <= 4
        ? 'predates the v5 rotation change, which altered every encoded byte; rebuild it from the source vectors'
        : 'is not a version turbovec wrote';
    throw new CorruptFileError('version', `[@quiver/io-formats] turbovec: format version ${version} ${detail}`);
  }
  if (looksLikeSimpleTv(bytes)) return { format: 'simple', idMapped: false };
  throw new CorruptFileError('magic', '[@quiver/io-formats] turbovec: not a turbovec index (no known magic, and not an exact simple-layout .tv)');
}

/** The parts of a recovered v7 state. */
export function partsFromV7(state: V7State): TurbovecParts {
  const { geo } = state;
  const layout = new TurbovecCodeLayout(geo.dim, geo.bitWidth);
  return {
    dim: geo.dim,
    bitWidth: geo.bitWidth,
    count: state.count,
    packedCodes: layout.packedFromSeqBlocked(state.seqBlocked, state.count),
    scales: state.scales,
    calibration: state.shift.length > 0 ? { shift: state.shift, scale: state.scale } : undefined,
    codebook: geo.dim > 0 ? { boundaries: state.boundaries, centroids: state.centroids } : undefined,
    ids: state.ids,
    origin: {
      format: 'v7',
      revision: state.revision,
      nonce: state.nonce,
      generation: state.header.generation,
      pendingSlots: state.pendingSlots,
      fellBack: state.fellBack,
    },
  };
}

/**
 * Reads any turbovec index file: v7 (what turbovec 1.0 writes, including files it `sync`s, with
 * crash recovery), v6 and v5 (which turbovec 1.0 itself no longer reads), and the simple layout.
 * Corrupt, truncated or unknown input throws `CorruptFileError` before any large allocation.
 */
export function decodeTurbovec(input: Uint8Array): TurbovecParts {
  const bytes = checkBytes(input);
  const { format, idMapped } = detectTurbovec(bytes);
  switch (format) {
    case 'v7':
      return partsFromV7(parseV7(bytes));
    case 'v6':
      return decodeLegacy(bytes, 6, idMapped);
    case 'v5':
      return decodeLegacy(bytes, 5, idMapped);
    case 'simple':
      return decodeSimple(bytes, idMapped);
  }
}

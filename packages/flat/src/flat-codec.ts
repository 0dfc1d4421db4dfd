import {
  CorruptFileError,
  decodeEnvelope,
  float32Section,
  uint32Section,
  type EnvelopeLimits,
  type KernelChoice,
} from '@quiver/core-math';
import { FlatIndex, restoreRows, type FlatPrefilter } from './flat-index.js';
import { FLAT_FORMAT_MAJOR, FLAT_FOURCC, FLAT_ROWS_SECTION, FLAT_SECTIONS, FLAT_TOMBSTONES_SECTION } from './flat-format.js';

export interface LoadFlatIndexOptions {
  /** Kernel backend of the loaded index (default `auto`). */
  readonly kernels?: KernelChoice;
  /** Limits on the untrusted input (section count and size). */
  readonly limits?: EnvelopeLimits;
  /** Prefilter of the loaded index (default `none`); the int8 sketch is rebuilt from the rows. */
  readonly prefilter?: FlatPrefilter;
}

const MAX_SLOTS = 0x7fffffff;

/**
 * Loads a FlatIndex written by `toBytes()`. Validates the envelope (magic, version, CRCs,
 * lengths), the metric, the scalar type, the section sizes against `dim × count`, that every
 * value is finite and that no tombstone bit lies past the last slot, then builds a fresh index.
 * Any defect is a `CorruptFileError`.
 */
export function loadFlatIndex(bytes: Uint8Array, options: LoadFlatIndexOptions = {}): FlatIndex {
  const { header, sections } = decodeEnvelope(bytes, {
    kind: FLAT_FOURCC,
    maxMajor: FLAT_FORMAT_MAJOR,
    knownSections: FLAT_SECTIONS,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  const { dim, count, metric } = header;
  if (metric === undefined) throw new CorruptFileError('header', 'a FLAT file must name its metric');
  if (header.scalar !== 'f') throw new CorruptFileError('dtype', `FLAT rows must be float32 ('f'), got '${header.scalar ?? ''}'`);
  if (dim < 1) throw new CorruptFileError('header', `dimension must be positive, got ${dim}`);
  if (count > MAX_SLOTS) throw new CorruptFileError('limit', `${count} slots exceed the maximum of ${MAX_SLOTS}`);
  const rowBytes = sections.get(FLAT_ROWS_SECTION);
  const tombBytes = sections.get(FLAT_TOMBSTONES_SECTION);
  if (!rowBytes || !tombBytes) throw new CorruptFileError('header', 'a FLAT file needs ROWS and TOMB sections');
  if (rowBytes.byteLength !== count * dim * 4) {
    throw new CorruptFileError('header', `ROWS holds ${rowBytes.byteLength} bytes, expected ${count} × ${dim} float32`);
  }
  const rows = float32Section(rowBytes, count * dim, 'ROWS');
  const tombWords = uint32Section(tombBytes, Math.ceil(count / 32), 'TOMB');
  const bad = firstNonFinite(rows);
  if (bad >= 0) throw new CorruptFileError('header', `non-finite value at row ${Math.floor(bad / dim)}`);
  const tail = count & 31;
  if (tail !== 0 && tombWords[tombWords.length - 1]! >>> tail !== 0) {
    throw new CorruptFileError('header', 'tombstone bits set past the last slot');
  }
  const index = new FlatIndex({
    dim,
    metric,
    ...(options.kernels ? { kernels: options.kernels } : {}),
    ...(options.prefilter ? { prefilter: options.prefilter } : {}),
  });
  index[restoreRows](rows, tombWords);
  return index;
}

const EXPONENT = 0x7f800000;

/**
 * Index of the first NaN or ±Infinity in `values` (all exponent bits set), or -1. Reads the bits as
 * int32, four at a time: about twice the speed of a float comparison per value.
 */
function firstNonFinite(values: Float32Array): number {
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
  const n4 = bits.length & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    if ((bits[i]! & EXPONENT) === EXPONENT || (bits[i + 1]! & EXPONENT) === EXPONENT || (bits[i + 2]! & EXPONENT) === EXPONENT || (bits[i + 3]! & EXPONENT) === EXPONENT) break;
  }
  for (; i < bits.length; i++) if ((bits[i]! & EXPONENT) === EXPONENT) return i;
  return -1;
}

/** FlatIndex's codec, for generic loaders that take an explicit codec list. */
export const flatIndexCodec = {
  kind: 'flat',
  fourcc: FLAT_FOURCC,
  formatVersion: FLAT_FORMAT_MAJOR,
  load: loadFlatIndex,
} as const;

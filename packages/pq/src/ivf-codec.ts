import {
  CorruptFileError,
  decodeEnvelope,
  float32Section,
  uint32Section,
  type EnvelopeLimits,
  type KernelChoice,
} from '@quiver/core-math';
import { IvfIndex, restoreIvf } from './ivf-index.js';
import {
  IVF_ASSIGN_SECTION,
  IVF_CENTROIDS_SECTION,
  IVF_CODEBOOKS_SECTION,
  IVF_DATA_SECTION,
  IVF_FORMAT_MAJOR,
  IVF_FOURCC,
  IVF_PARAM_WORDS,
  IVF_PARAMS_SECTION,
  IVF_RERANK_SECTION,
  IVF_SECTIONS,
  IVF_TOMBSTONES_SECTION,
} from './ivf-format.js';
import type { PqBits } from './product-quantizer.js';

export interface LoadIvfIndexOptions {
  /** Kernel backend of the loaded index (default `auto`). */
  readonly kernels?: KernelChoice;
  /** Limits on the untrusted input (section count and size). */
  readonly limits?: EnvelopeLimits;
}

const MAX_SLOTS = 0x7fffffff;
/** No sane index has more lists than this; a larger count in a file is corruption. */
const MAX_LISTS = 1 << 24;
const MAX_RERANK_FACTOR = 1 << 16;

/**
 * Loads an IvfIndex written by `toBytes()`. Checks the envelope (magic, version, CRCs, lengths),
 * then the parameters, every section size against them, that floats are finite, list numbers are
 * below nlist, unused nibbles are zero and no tombstone lies past the last slot, before building a
 * fresh index. Any defect is a `CorruptFileError`.
 */
export function loadIvfIndex(bytes: Uint8Array, options: LoadIvfIndexOptions = {}): IvfIndex {
  const { header, sections } = decodeEnvelope(bytes, {
    kind: IVF_FOURCC,
    maxMajor: IVF_FORMAT_MAJOR,
    knownSections: IVF_SECTIONS,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  const { dim, count, metric } = header;
  if (metric === undefined) throw new CorruptFileError('header', 'an IVF file must name its metric');
  if (header.scalar !== 'f') throw new CorruptFileError('dtype', `IVF vectors must be float32 ('f'), got '${header.scalar ?? ''}'`);
  if (dim < 1) throw new CorruptFileError('header', `dimension must be positive, got ${dim}`);
  if (count > MAX_SLOTS) throw new CorruptFileError('limit', `${count} slots exceed the maximum of ${MAX_SLOTS}`);
  const params = uint32Section(required(sections, IVF_PARAMS_SECTION), IVF_PARAM_WORDS, IVF_PARAMS_SECTION);
  const [nlist, storageCode, M, nbits, residual, rerank, nprobe, rerankFactor] = Array.from(params) as [
    number, number, number, number, number, number, number, number,
  ];
  if (nlist < 1 || nlist > MAX_LISTS) throw new CorruptFileError('header', `nlist ${nlist} is out of range`);
  if (storageCode > 1) throw new CorruptFileError('header', `unknown storage code ${storageCode}`);
  const pq = storageCode === 1;
  if (nprobe < 1 || nprobe > nlist) throw new CorruptFileError('header', `nprobe ${nprobe} is out of range`);
  if (rerankFactor < 1 || rerankFactor > MAX_RERANK_FACTOR) throw new CorruptFileError('header', `rerankFactor ${rerankFactor} is out of range`);
  if (residual > 1 || rerank > 1) throw new CorruptFileError('header', 'residual and rerank flags must be 0 or 1');
  if (pq && (M < 1 || dim % M !== 0 || (nbits !== 8 && nbits !== 4))) {
    throw new CorruptFileError('header', `invalid PQ parameters M = ${M}, nbits = ${nbits} for dim ${dim}`);
  }
  if (!pq && (rerank !== 0 || sections.has(IVF_CODEBOOKS_SECTION) || sections.has(IVF_RERANK_SECTION))) {
    throw new CorruptFileError('header', 'flat storage has no codebooks and no rerank rows');
  }
  if (pq && sections.has(IVF_RERANK_SECTION) !== (rerank === 1)) throw new CorruptFileError('header', 'RROW must be present exactly when rerank is set');

  const centroids = finite(float32Section(required(sections, IVF_CENTROIDS_SECTION), nlist * dim, IVF_CENTROIDS_SECTION), IVF_CENTROIDS_SECTION);
  const ksub = 1 << nbits;
  const codeSize = nbits === 8 ? M : (M + 1) >> 1;
  const codebooks = pq
    ? finite(float32Section(required(sections, IVF_CODEBOOKS_SECTION), M * ksub * (dim / M), IVF_CODEBOOKS_SECTION), IVF_CODEBOOKS_SECTION)
    : undefined;
  const assignments = uint32Section(required(sections, IVF_ASSIGN_SECTION), count, IVF_ASSIGN_SECTION);
  for (let i = 0; i < count; i++) {
    if (assignments[i]! >= nlist) throw new CorruptFileError('header', `slot ${i} names list ${assignments[i]}, beyond nlist ${nlist}`);
  }
  const entryBytes = pq ? codeSize : dim * 4;
  const entries = required(sections, IVF_DATA_SECTION);
  if (entries.byteLength !== count * entryBytes) {
    throw new CorruptFileError('header', `DATA holds ${entries.byteLength} bytes, expected ${count} × ${entryBytes}`);
  }
  if (!pq) finite(float32Section(entries, count * dim, IVF_DATA_SECTION), IVF_DATA_SECTION);
  if (pq && nbits === 4 && M % 2 === 1) {
    for (let at = codeSize - 1; at < entries.byteLength; at += codeSize) {
      if (entries[at]! >> 4 !== 0) throw new CorruptFileError('header', 'unused high nibble of a 4-bit code is set');
    }
  }
  const rerankRows =
    rerank === 1 ? finite(float32Section(required(sections, IVF_RERANK_SECTION), count * dim, IVF_RERANK_SECTION), IVF_RERANK_SECTION) : undefined;
  const tombWords = uint32Section(required(sections, IVF_TOMBSTONES_SECTION), Math.ceil(count / 32), IVF_TOMBSTONES_SECTION);
  const tail = count & 31;
  if (tail !== 0 && tombWords[tombWords.length - 1]! >>> tail !== 0) throw new CorruptFileError('header', 'tombstone bits set past the last slot');

  const index = new IvfIndex({
    dim,
    metric,
    nlist,
    storage: pq ? 'pq' : 'flat',
    nprobe,
    rerankFactor,
    ...(pq ? { M, nbits: nbits as PqBits, residual: residual === 1, rerank: rerank === 1 } : {}),
    ...(options.kernels ? { kernels: options.kernels } : {}),
  });
  try {
    index[restoreIvf]({
      centroids,
      codebooks,
      assignments: new Int32Array(assignments.buffer, assignments.byteOffset, assignments.length),
      entries,
      rerankRows,
      tombWords,
    });
  } catch (error) {
    index.dispose();
    throw error;
  }
  return index;
}

/** IvfIndex's codec, for generic loaders that take an explicit codec list. */
export const ivfIndexCodec = {
  kind: 'ivf',
  fourcc: IVF_FOURCC,
  formatVersion: IVF_FORMAT_MAJOR,
  load: loadIvfIndex,
} as const;

function required(sections: Map<string, Uint8Array>, tag: string): Uint8Array {
  const data = sections.get(tag);
  if (!data) throw new CorruptFileError('header', `an IVF file needs a ${tag} section`);
  return data;
}

function finite(values: Float32Array, what: string): Float32Array {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v - v !== 0) throw new CorruptFileError('header', `${what}: non-finite value at ${i}`);
  }
  return values;
}

import {
  CorruptFileError,
  UnsupportedOperationError,
  decodeEnvelope,
  encodeEnvelope,
  envelopeChunks,
  float32Section,
  int32Section,
  metricCode,
  metricFromCode,
  uint32Section,
  type EnvelopeLimits,
  type EnvelopeSectionInput,
  type EnvelopeSpec,
  type KernelChoice,
  type ScalarCode,
} from '@quiver/core-math';
import { PqStorage, ProductQuantizer } from '@quiver/pq';
import { MAX_LEVEL } from './graph-memory.js';
import { HnswIndex, restoreGraph } from './hnsw-index.js';
import { MAX_EF, MAX_M } from './params.js';
import { isExternalStorage, type BuiltinStorage } from './row-storage.js';

/**
 * HnswIndex's file format (envelope kind `HNSW`), specified in docs/file-format.md. Bump the minor
 * version to add optional sections, the major one for anything incompatible.
 */
export const HNSW_FOURCC = 'HNSW';
export const HNSW_FORMAT_MAJOR = 1;
export const HNSW_FORMAT_MINOR = 1;
/**
 * 16 uint32: M, efConstruction, efSearch, seed, entry + 1, maxLevel, earlyExit (float32 bits),
 * rerank storage code, then (1.1) PQ subspaces (0 = row storage), PQ bits, PQ metric code; reserved zeros.
 */
const PARAMS_SECTION = 'PARM';
/** One uint8 level per slot. */
const LEVELS_SECTION = 'LEVL';
/** `count × (2M + 1)` int32: per slot a link count, then the ids (unused positions zero). */
const LINKS0_SECTION = 'LNK0';
/** `Σ levels × (M + 1)` int32: per slot in slot order, its blocks for levels 1..level. */
const UPPER_SECTION = 'LNKU';
/** `ceil(count / 32)` uint32 tombstone words. */
const TOMB_SECTION = 'TOMB';
/** The storage's rows: `count × bytesPerVector` bytes (scalar code in the header). */
const ROWS_SECTION = 'ROWS';
/** The rerank storage's rows, when the index has one. */
const RERANK_SECTION = 'RROW';
/** (1.1) PQ codebooks, `M × 2^nbits × dim / M` float32, when the storage is PQ codes. */
const CODEBOOK_SECTION = 'PQCB';
const SECTIONS = [PARAMS_SECTION, LEVELS_SECTION, LINKS0_SECTION, UPPER_SECTION, TOMB_SECTION, ROWS_SECTION, RERANK_SECTION, CODEBOOK_SECTION];
/** The scalar code of PQ code rows (uint8). */
const PQ_SCALAR: ScalarCode = 'B';
const PARAM_WORDS = 16;
const MAX_SLOTS = 0x7fffffff;

const SCALARS: Record<BuiltinStorage, ScalarCode> = { float32: 'f', float16: 'h', int8: 'b' };
const STORAGE_OF_SCALAR: Record<string, BuiltinStorage> = { f: 'float32', h: 'float16', b: 'int8' };
/** Rerank storage codes in PARM: 0 = none. */
const RERANK_CODES: Record<BuiltinStorage, number> = { float32: 1, float16: 2, int8: 3 };
const RERANK_OF_CODE: Record<number, BuiltinStorage> = { 1: 'float32', 2: 'float16', 3: 'int8' };

function builtinName(name: BuiltinStorage | 'custom' | undefined, what: string): BuiltinStorage | undefined {
  if (name === 'custom') throw new UnsupportedOperationError('HnswIndex', 'toBytes', `${what} from a factory has no file format here`);
  return name;
}

function envelopeSpec(index: HnswIndex): EnvelopeSpec {
  const pq = index.storage instanceof PqStorage ? index.storage : undefined;
  const storage = pq ? undefined : builtinName(index.storageName, 'a storage')!;
  // A rerank storage outside the index (a file) is not saved: reattach it after loading.
  const external = index.rerankStorage !== undefined && isExternalStorage(index.rerankStorage);
  const rerank = external ? undefined : builtinName(index.rerankStorageName, 'a rerank storage');
  const layout = index.graphLayout();
  const params = new Uint32Array(PARAM_WORDS);
  const p = index.params;
  params[0] = p.M;
  params[1] = p.efConstruction;
  params[2] = p.efSearch;
  params[3] = p.seed;
  params[4] = layout.entry + 1;
  params[5] = layout.maxLevel;
  new Float32Array(params.buffer, 24, 1)[0] = p.earlyExit;
  params[7] = rerank ? RERANK_CODES[rerank] : 0;
  if (pq) {
    params[8] = pq.quantizer.M;
    params[9] = pq.quantizer.nbits;
    params[10] = metricCode(pq.quantizer.metric);
  }
  const rows = (s: unknown) => (pq && s === pq ? pq.codes() : (s as { rowBytes(): Uint8Array }).rowBytes());
  const sections: EnvelopeSectionInput[] = [
    { tag: PARAMS_SECTION, data: params },
    { tag: LEVELS_SECTION, data: layout.levels },
    { tag: LINKS0_SECTION, data: layout.links0 },
    { tag: UPPER_SECTION, data: layout.upper },
    { tag: TOMB_SECTION, data: layout.deadWords },
    { tag: ROWS_SECTION, data: rows(index.storage) },
  ];
  if (rerank) sections.push({ tag: RERANK_SECTION, data: rows(index.rerankStorage) });
  if (pq) sections.push({ tag: CODEBOOK_SECTION, data: pq.quantizer.centroids() });
  return {
    kind: HNSW_FOURCC,
    formatMajor: HNSW_FORMAT_MAJOR,
    formatMinor: HNSW_FORMAT_MINOR,
    metric: index.metric,
    scalar: storage ? SCALARS[storage] : PQ_SCALAR,
    dim: index.dim,
    count: index.slotCount,
    sections,
  };
}

/** Serializes an index with built-in storage to Quiver's envelope format, kind `HNSW`. */
export function encodeHnswIndex(index: HnswIndex): Uint8Array {
  return encodeEnvelope(envelopeSpec(index));
}

/** The same bytes as chunks for sequential sinks; the row and link chunks are views into the arena. */
export function hnswIndexChunks(index: HnswIndex): Generator<Uint8Array, void, undefined> {
  return envelopeChunks(envelopeSpec(index));
}

export interface LoadHnswIndexOptions {
  /** Kernel backend of the loaded index (default `auto`). */
  readonly kernels?: KernelChoice;
  /** Limits on the untrusted input (section count and size). */
  readonly limits?: EnvelopeLimits;
}

function corrupt(message: string): never {
  throw new CorruptFileError('header', message);
}

/**
 * Loads an HnswIndex written by `toBytes()`. Checks the envelope (magic, version, CRCs, lengths),
 * then every count, level, link id, the entry point and the rows against each other, before
 * building a fresh index. Any defect is a `CorruptFileError`.
 */
export function loadHnswIndex(bytes: Uint8Array, options: LoadHnswIndexOptions = {}): HnswIndex {
  const { header, sections } = decodeEnvelope(bytes, {
    kind: HNSW_FOURCC,
    maxMajor: HNSW_FORMAT_MAJOR,
    knownSections: SECTIONS,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  const { dim, count, metric } = header;
  if (metric === undefined) corrupt('an HNSW file must name its metric');
  const isPq = header.scalar === PQ_SCALAR;
  const storage = STORAGE_OF_SCALAR[header.scalar ?? ''];
  if (!storage && !isPq) throw new CorruptFileError('dtype', `unknown HNSW storage scalar '${header.scalar ?? ''}'`);
  if (dim < 1 || dim > 1 << 20) corrupt(`dimension ${dim} out of range`);
  if (count > MAX_SLOTS) throw new CorruptFileError('limit', `${count} slots exceed the maximum of ${MAX_SLOTS}`);
  const section = (tag: string): Uint8Array => sections.get(tag) ?? corrupt(`missing section ${tag}`);
  const params = uint32Section(section(PARAMS_SECTION), PARAM_WORDS, PARAMS_SECTION);
  const [M, efConstruction, efSearch, seed, entryPlusOne, maxLevel] = params as unknown as number[];
  const earlyExit = new Float32Array(params.buffer, params.byteOffset + 24, 1)[0]!;
  const rerankCode = params[7]!;
  if (!(M! >= 2 && M! <= MAX_M)) corrupt(`M = ${M} out of range`);
  if (!(efConstruction! >= 1 && efConstruction! <= MAX_EF) || !(efSearch! >= 1 && efSearch! <= MAX_EF)) corrupt('ef out of range');
  if (!(earlyExit >= 0 && Number.isFinite(earlyExit))) corrupt('earlyExit out of range');
  if (rerankCode !== 0 && !RERANK_OF_CODE[rerankCode]) corrupt(`unknown rerank storage code ${rerankCode}`);
  const pq = isPq ? checkPq(params, dim, count, section(ROWS_SECTION), section(CODEBOOK_SECTION)) : undefined;
  if (!isPq && params[8] !== 0) corrupt('PQ parameters on a row storage');
  const m0 = 2 * M!;
  const levels = section(LEVELS_SECTION);
  if (levels.byteLength !== count) corrupt(`LEVL holds ${levels.byteLength} levels for ${count} slots`);
  let blocks = 0;
  for (let i = 0; i < count; i++) {
    if (levels[i]! > MAX_LEVEL) corrupt(`slot ${i} has level ${levels[i]}`);
    blocks += levels[i]!;
  }
  const links0 = int32Section(section(LINKS0_SECTION), count * (m0 + 1), LINKS0_SECTION);
  const upper = int32Section(section(UPPER_SECTION), blocks * (M! + 1), UPPER_SECTION);
  checkLinks(links0, m0, count, 'level 0');
  checkLinks(upper, M!, count, 'upper level');
  const deadWords = uint32Section(section(TOMB_SECTION), Math.ceil(count / 32), TOMB_SECTION);
  if (count & 31 && deadWords[deadWords.length - 1]! >>> (count & 31) !== 0) corrupt('tombstone bits set past the last slot');
  const entry = entryPlusOne! - 1;
  if (count === 0 ? entry !== -1 : entry < -1 || entry >= count) corrupt(`entry point ${entry} out of range`);
  if (entry >= 0 && levels[entry] !== maxLevel) corrupt('the entry point is not on the top level');
  if (entry < 0 && maxLevel !== 0) corrupt('an empty graph has no levels');
  const quantizer = pq
    ? new ProductQuantizer({ dim, M: pq.M, nbits: pq.nbits, metric: pq.metric, ...(options.kernels ? { kernels: options.kernels } : {}) })
    : undefined;
  let index: HnswIndex;
  try {
    quantizer?.setCentroids(pq!.codebooks);
    index = new HnswIndex({
      dim,
      metric,
      M: M!,
      efConstruction: efConstruction!,
      efSearch: efSearch!,
      seed: seed!,
      earlyExit,
      storage: quantizer ? () => new PqStorage({ quantizer, initialCapacity: count }) : storage!,
      ...(rerankCode ? { rerankStorage: RERANK_OF_CODE[rerankCode]! } : {}),
      ...(options.kernels ? { kernels: options.kernels } : {}),
    });
  } catch (error) {
    quantizer?.dispose();
    throw error;
  }
  try {
    if (pq && count > 0) (index.storage as PqStorage).appendCodes(pq.codes);
    const rows = pq ? undefined : checkRows(section(ROWS_SECTION), index.storage.bytesPerVector, count, storage!, dim, ROWS_SECTION);
    const rerankRows = rerankCode
      ? checkRows(section(RERANK_SECTION), index.rerankStorage!.bytesPerVector, count, RERANK_OF_CODE[rerankCode]!, dim, RERANK_SECTION)
      : undefined;
    index[restoreGraph]({ levels, links0, upper, deadWords, entry, maxLevel: maxLevel!, rows, rerankRows, owned: quantizer });
  } catch (error) {
    index.dispose();
    quantizer?.dispose();
    throw error;
  }
  return index;
}

/** PQ parameters (PARM words 8..10), codebooks and codes, checked against each other. */
function checkPq(params: Uint32Array, dim: number, count: number, codes: Uint8Array, codebooks: Uint8Array) {
  const [M, nbits, metricValue] = [params[8]!, params[9]!, params[10]!];
  if (!(M >= 1 && M <= dim && dim % M === 0)) corrupt(`PQ subspaces ${M} do not divide dim ${dim}`);
  if (nbits !== 8 && nbits !== 4) corrupt(`PQ bits ${nbits}`);
  const metric = metricFromCode(metricValue) ?? corrupt(`unknown PQ metric code ${metricValue}`);
  const codeSize = nbits === 8 ? M : (M + 1) >> 1;
  if (codes.byteLength !== count * codeSize) corrupt(`${ROWS_SECTION} holds ${codes.byteLength} bytes, expected ${count} × ${codeSize}`);
  if (nbits === 4 && M % 2 === 1) {
    for (let at = codeSize - 1; at < codes.byteLength; at += codeSize) if (codes[at]! >> 4 !== 0) corrupt('unused high nibble of a 4-bit code is set');
  }
  const values = float32Section(codebooks, M * (1 << nbits) * (dim / M), CODEBOOK_SECTION);
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) corrupt(`${CODEBOOK_SECTION}: non-finite centroid value`);
  return { M, nbits: nbits as 8 | 4, metric, codes, codebooks: values };
}

/** Each list: a count within capacity and ids within the slots. */
function checkLinks(links: Int32Array, capacity: number, count: number, what: string): void {
  for (let at = 0; at < links.length; at += capacity + 1) {
    const n = links[at]!;
    if (n < 0 || n > capacity) corrupt(`${what} list with ${n} links`);
    for (let i = 1; i <= n; i++) {
      const id = links[at + i]!;
      if (id < 0 || id >= count) corrupt(`${what} link to ${id} outside [0, ${count})`);
    }
  }
}

/** Row bytes of the right length with finite values (float kinds) or finite scales (int8). */
function checkRows(bytes: Uint8Array, bytesPerVector: number, count: number, storage: BuiltinStorage, dim: number, what: string): Uint8Array {
  if (bytes.byteLength !== count * bytesPerVector) corrupt(`${what} holds ${bytes.byteLength} bytes, expected ${count} × ${bytesPerVector}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let r = 0; r < count; r++) {
    const at = r * bytesPerVector;
    if (storage === 'float32') {
      for (let j = 0; j < dim; j++) if (!Number.isFinite(view.getFloat32(at + 4 * j, true))) corrupt(`${what}: non-finite value in row ${r}`);
    } else if (storage === 'float16') {
      for (let j = 0; j < dim; j++) if ((view.getUint16(at + 2 * j, true) & 0x7c00) === 0x7c00) corrupt(`${what}: non-finite value in row ${r}`);
    } else {
      const scale = view.getFloat32(at + ((dim + 3) & ~3), true);
      if (!(scale >= 0 && Number.isFinite(scale))) corrupt(`${what}: bad scale in row ${r}`);
    }
  }
  return bytes;
}

/** HnswIndex's codec, for generic loaders that take an explicit codec list. */
export const hnswIndexCodec = {
  kind: 'hnsw',
  fourcc: HNSW_FOURCC,
  formatVersion: HNSW_FORMAT_MAJOR,
  load: loadHnswIndex,
} as const;

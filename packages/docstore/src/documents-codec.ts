import {
  CorruptFileError,
  decodeEnvelope,
  encodeEnvelope,
  float32Section,
  isVectorSearchError,
  uint32Section,
  SECTION_OPTIONAL,
  type EnvelopeSectionInput,
} from '@quiver/core-math';
import { resolveBackend } from './backends.js';
import type { IndexFingerprint } from './index-fingerprint.js';
import { freezeMetadata, isPlainObject } from './metadata.js';
import type { Metadata, ResolvedBackendSpec, StoreMetric } from './types.js';

/**
 * The document side-car of a saved store: envelope kind `DOCS` (docs/file-format.md, "Kind
 * `DOCS`"). Strings are stored as one UTF-8 blob per column with UTF-16 offsets, so saving and
 * loading 100k documents costs one encode / decode per column, not one per document; metadata is
 * one JSON array.
 */
export const DOCS_FOURCC = 'DOCS';
export const DOCS_FORMAT_MAJOR = 1;
export const DOCS_FORMAT_MINOR = 0;
/** UTF-8 JSON `{ "backend": <resolved BackendSpec> }`. */
const SPEC = 'SPEC';
/** 16 bytes: the index part's byte length (u64) and fingerprint (u32 outer CRC, u32 inner tail; index-fingerprint.ts). */
const INDX = 'INDX';
/** `count` u32: the u64 id (below 2^32) of each document in the index part, in document order. */
const ROWS = 'ROWS';
/** `count + 1` u32 UTF-16 offsets into the decoded `IDTX` / `TEXT`. */
const IDOF = 'IDOF';
const IDTX = 'IDTX';
const TXOF = 'TXOF';
const TEXT = 'TEXT';
/** UTF-8 JSON array of `count` metadata objects. */
const META = 'META';
/** Optional: `count × dim` float32, each document's vector (TurboQuant rerank originals). */
const VECS = 'VECS';
const SECTIONS: readonly string[] = [SPEC, INDX, ROWS, IDOF, IDTX, TXOF, TEXT, META, VECS];
const MAX_DOCUMENTS = 0x7fffffff;

export interface DocumentsPart {
  readonly metric: StoreMetric;
  readonly backend: ResolvedBackendSpec;
  /** 0 when the store has no dimension yet. */
  readonly dim: number;
  /** Byte length and fingerprint of the index part these documents belong to. */
  readonly indexLength: number;
  readonly indexFingerprint: IndexFingerprint;
  readonly rows: Uint32Array;
  readonly ids: readonly string[];
  readonly texts: readonly string[];
  readonly metadata: readonly Metadata[];
  readonly vectors: Float32Array | undefined;
}

export function encodeDocuments(part: DocumentsPart): Uint8Array {
  const encoder = new TextEncoder();
  const indx = new DataView(new ArrayBuffer(16));
  indx.setUint32(0, part.indexLength >>> 0, true);
  indx.setUint32(4, Math.floor(part.indexLength / 2 ** 32), true);
  indx.setUint32(8, part.indexFingerprint.outer, true);
  indx.setUint32(12, part.indexFingerprint.inner, true);
  const sections: EnvelopeSectionInput[] = [
    { tag: SPEC, data: encoder.encode(JSON.stringify({ backend: part.backend })) },
    { tag: INDX, data: new Uint8Array(indx.buffer) },
    { tag: ROWS, data: part.rows },
    { tag: IDOF, data: offsetsOf(part.ids) },
    { tag: IDTX, data: encoder.encode(part.ids.join('')) },
    { tag: TXOF, data: offsetsOf(part.texts) },
    { tag: TEXT, data: encoder.encode(part.texts.join('')) },
    { tag: META, data: encoder.encode(JSON.stringify(part.metadata)) },
  ];
  if (part.vectors) sections.push({ tag: VECS, flags: SECTION_OPTIONAL, data: part.vectors });
  return encodeEnvelope({
    kind: DOCS_FOURCC,
    formatMajor: DOCS_FORMAT_MAJOR,
    formatMinor: DOCS_FORMAT_MINOR,
    metric: part.metric,
    dim: part.dim,
    count: part.ids.length,
    sections,
  });
}

/**
 * Reads and validates a side-car: the envelope (magic, version, CRCs, lengths), every section's
 * size against the document count before anything is built from it, the string offsets, unique
 * non-empty ids and rows, and the metadata JSON. Any defect is a `CorruptFileError`.
 */
export function decodeDocuments(bytes: Uint8Array): DocumentsPart {
  const { header, sections } = decodeEnvelope(bytes, { kind: DOCS_FOURCC, maxMajor: DOCS_FORMAT_MAJOR, knownSections: SECTIONS });
  const { count, dim } = header;
  const metric = header.metric;
  if (metric === undefined) throw corrupt('the document file names no metric');
  if (count > MAX_DOCUMENTS) throw new CorruptFileError('limit', `${count} documents exceed the maximum of ${MAX_DOCUMENTS}`);
  const section = (tag: string): Uint8Array => {
    const data = sections.get(tag);
    if (!data) throw corrupt(`missing section ${tag}`);
    return data;
  };
  const indx = section(INDX);
  if (indx.byteLength !== 16) throw corrupt(`INDX holds ${indx.byteLength} bytes, expected 16`);
  const rows = uint32Section(section(ROWS), count, 'ROWS').slice();
  const idOffsets = uint32Section(section(IDOF), count + 1, 'IDOF');
  const textOffsets = uint32Section(section(TXOF), count + 1, 'TXOF');
  const vectorBytes = sections.get(VECS);
  if (vectorBytes && vectorBytes.byteLength !== count * dim * 4) throw corrupt(`VECS holds ${vectorBytes.byteLength} bytes, expected ${count} × ${dim} float32`);
  if (count > 0 && dim === 0) throw corrupt('documents without a vector dimension');

  const backend = parseSpec(section(SPEC));
  const ids = splitColumn(section(IDTX), idOffsets, 'IDTX');
  const seen = new Set<string>();
  for (const id of ids) {
    if (id.length === 0) throw corrupt('an empty document id');
    if (seen.has(id)) throw corrupt(`duplicate document id ${JSON.stringify(id)}`);
    seen.add(id);
  }
  const seenRows = new Set<number>();
  for (const row of rows) {
    if (seenRows.has(row)) throw corrupt(`two documents share index id ${row}`);
    seenRows.add(row);
  }
  const texts = splitColumn(section(TEXT), textOffsets, 'TEXT');
  const metadata = parseMetadata(section(META), count);
  const view = new DataView(indx.buffer, indx.byteOffset, 16);
  let vectors: Float32Array | undefined;
  if (vectorBytes) {
    vectors = float32Section(vectorBytes, count * dim, 'VECS').slice();
    for (let i = 0; i < vectors.length; i++) if (vectors[i]! - vectors[i]! !== 0) throw corrupt(`non-finite vector value in document ${Math.floor(i / dim)}`);
  }
  return {
    metric,
    backend,
    dim,
    indexLength: view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32,
    indexFingerprint: { outer: view.getUint32(8, true), inner: view.getUint32(12, true) },
    rows,
    ids,
    texts,
    metadata,
    vectors,
  };
}

function offsetsOf(strings: readonly string[]): Uint32Array {
  const offsets = new Uint32Array(strings.length + 1);
  let at = 0;
  for (let i = 0; i < strings.length; i++) {
    at += strings[i]!.length;
    offsets[i + 1] = at;
  }
  return offsets;
}

/** Decodes a UTF-8 column once and cuts it at the UTF-16 offsets (which must rise to its end). */
function splitColumn(bytes: Uint8Array, offsets: Uint32Array, what: string): string[] {
  let joined: string;
  try {
    joined = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (error) {
    throw new CorruptFileError('header', `${what} is not valid UTF-8`, { cause: error });
  }
  if (offsets[0] !== 0 || offsets[offsets.length - 1] !== joined.length) throw corrupt(`${what} offsets do not span its ${joined.length} characters`);
  const out = new Array<string>(offsets.length - 1);
  for (let i = 0; i < out.length; i++) {
    const start = offsets[i]!;
    const end = offsets[i + 1]!;
    if (end < start) throw corrupt(`${what} offsets decrease at entry ${i}`);
    out[i] = joined.slice(start, end);
  }
  return out;
}

function parseSpec(bytes: Uint8Array): ResolvedBackendSpec {
  try {
    const spec = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as { backend?: unknown };
    return resolveBackend(spec?.backend as never);
  } catch (error) {
    if (error instanceof SyntaxError || error instanceof TypeError || isVectorSearchError(error)) {
      throw new CorruptFileError('header', 'SPEC does not hold a valid backend spec', { cause: error });
    }
    throw error;
  }
}

function parseMetadata(bytes: Uint8Array, count: number): Metadata[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new CorruptFileError('header', 'META is not valid JSON', { cause: error });
  }
  if (!Array.isArray(parsed) || parsed.length !== count) throw corrupt(`META must be an array of ${count} objects`);
  for (let i = 0; i < count; i++) {
    if (!isPlainObject(parsed[i])) throw corrupt(`META entry ${i} is not an object`);
    freezeMetadata(parsed[i]);
  }
  return parsed as Metadata[];
}

function corrupt(message: string): CorruptFileError {
  return new CorruptFileError('header', message);
}

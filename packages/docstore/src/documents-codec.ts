import {
  CorruptFileError,
  decodeEnvelope,
  envelopeChunks,
  float32Section,
  isVectorSearchError,
  uint32Section,
  SECTION_OPTIONAL,
  type EnvelopeSectionInput,
} from '@quiver/core-math';
import { resolveBackend } from './backends.js';
import type { IndexFingerprint } from './index-fingerprint.js';
import type { ResolvedBackendSpec, StoreMetric } from './types.js';

/**
 * The document side-car of a saved store: envelope kind `DOCS` (docs/file-format.md, "Kind
 * `DOCS`"). Strings are stored as one UTF-8 blob per column with UTF-16 offsets, so saving and
 * loading 100k documents costs one encode / decode per column, not one per document. Metadata is
 * such a column of JSON texts, one object per document, which the loader does not parse: the
 * DocumentTable parses a document's metadata when it is first read.
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
/** `count + 1` u32 UTF-16 offsets into the decoded `META`. */
const MTOF = 'MTOF';
/** The documents' metadata, one JSON object text after another (UTF-8). */
const META = 'META';
/** Optional: `count × dim` float32, each document's vector (TurboQuant rerank originals). */
const VECS = 'VECS';
const SECTIONS: readonly string[] = [SPEC, INDX, ROWS, IDOF, IDTX, TXOF, TEXT, MTOF, META, VECS];
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
  /** Each document's metadata as JSON text (a loader leaves them unparsed). */
  readonly metadataJson: readonly string[];
  readonly vectors: Float32Array | undefined;
}

/** A decoded side-car, with the map id -> document number built while checking ids are unique. */
export interface DecodedDocuments extends DocumentsPart {
  readonly rowById: Map<string, number>;
}

/** The side-car's bytes, as the chunks of its envelope (views of the encoded columns, not one copy). */
export function encodeDocuments(part: DocumentsPart): Uint8Array[] {
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
    { tag: MTOF, data: offsetsOf(part.metadataJson) },
    { tag: META, data: encoder.encode(part.metadataJson.join('')) },
  ];
  if (part.vectors) sections.push({ tag: VECS, flags: SECTION_OPTIONAL, data: part.vectors });
  const spec = {
    kind: DOCS_FOURCC,
    formatMajor: DOCS_FORMAT_MAJOR,
    formatMinor: DOCS_FORMAT_MINOR,
    metric: part.metric,
    dim: part.dim,
    count: part.ids.length,
    sections,
  };
  return [...envelopeChunks(spec)];
}

/**
 * Reads and validates a side-car: the envelope (magic, version, CRCs, lengths), every section's
 * size against the document count before anything is built from it, the string offsets, unique
 * non-empty ids and rows. Any defect is a `CorruptFileError`. The metadata texts are checked when
 * parsed (DocumentTable), also giving a `CorruptFileError`.
 */
export function decodeDocuments(bytes: Uint8Array): DecodedDocuments {
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
  const metadataOffsets = uint32Section(section(MTOF), count + 1, 'MTOF');
  const vectorBytes = sections.get(VECS);
  if (vectorBytes && vectorBytes.byteLength !== count * dim * 4) throw corrupt(`VECS holds ${vectorBytes.byteLength} bytes, expected ${count} × ${dim} float32`);
  if (count > 0 && dim === 0) throw corrupt('documents without a vector dimension');

  const backend = parseSpec(section(SPEC));
  const ids = splitColumn(section(IDTX), idOffsets, 'IDTX');
  const rowById = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id.length === 0) throw corrupt('an empty document id');
    if (rowById.has(id)) throw corrupt(`duplicate document id ${JSON.stringify(id)}`);
    rowById.set(id, i);
  }
  checkUniqueRows(rows);
  const texts = splitColumn(section(TEXT), textOffsets, 'TEXT');
  const metadataJson = splitColumn(section(META), metadataOffsets, 'META');
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
    metadataJson,
    vectors,
    rowById,
  };
}

/** Index ids are unique; a store saved without holes lists them in increasing order (no set needed). */
function checkUniqueRows(rows: Uint32Array): void {
  let increasing = 1;
  while (increasing < rows.length && rows[increasing - 1]! < rows[increasing]!) increasing++;
  if (increasing >= rows.length) return;
  const seen = new Set<number>();
  for (const row of rows) {
    if (seen.has(row)) throw corrupt(`two documents share index id ${row}`);
    seen.add(row);
  }
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

function corrupt(message: string): CorruptFileError {
  return new CorruptFileError('header', message);
}

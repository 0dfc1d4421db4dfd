import { CorruptFileError, InternalError, InvalidArgumentError, type VectorIndex } from '@quiver/core-math';
import { loadFlatIndex } from '@quiver/flat';
import { concatBytes } from '@quiver/io-formats';
import { HnswIndex, loadHnswIndex } from '@quiver/hnsw';
import { IdMapIndex, loadIdMapIndex, type InnerIndexLoader } from '@quiver/idmap';
import { TurboQuantIndex } from '@quiver/quant';
import { DocumentTable } from './document-table.js';
import { decodeDocuments, encodeDocuments, type DocumentsPart } from './documents-codec.js';
import { indexFingerprint } from './index-fingerprint.js';
import { RowVectors, StoreIndex, backendDim } from './store-index.js';
import type { DocumentStoreParts, ResolvedBackendSpec, StoreMetric } from './types.js';

/** What a store is made of, as the codec reads and writes it. */
export interface StoreState {
  readonly metric: StoreMetric;
  readonly backend: ResolvedBackendSpec;
  readonly dim: number | undefined;
  readonly index: StoreIndex | undefined;
  readonly table: DocumentTable;
}

/** The encoded parts, each as the chunks of its envelope (written without assembling them). */
export interface EncodedStore {
  readonly indexChunks: readonly Uint8Array[];
  readonly documentChunks: readonly Uint8Array[];
}

const NO_INDEX = { outer: 0, inner: 0 };

/**
 * Encodes a store: the index part is its IdMapIndex's `IDMP` envelope (the backend's own format
 * inside); the documents follow the index's live slots in order, and the side-car records the
 * index part's length and fingerprint (index-fingerprint.ts).
 */
export function encodeStore(state: StoreState): EncodedStore {
  const { index, table } = state;
  const indexChunks = index ? [...index.ids.toChunks()] : [];
  const indexLength = indexChunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  const fingerprint = indexChunks.length > 0 ? indexFingerprint(indexChunks) : NO_INDEX;
  if (!fingerprint) throw new InternalError('IdMapIndex.toChunks wrote no INNR section');
  const rows = index ? index.rowsInSlotOrder() : new Uint32Array(0);
  const ids: string[] = new Array<string>(rows.length);
  const texts: string[] = new Array<string>(rows.length);
  const metadataJson: string[] = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    ids[i] = table.idAt(row)!;
    texts[i] = table.textAt(row);
    metadataJson[i] = table.metadataJsonAt(row);
  }
  const documents = encodeDocuments({
    metric: state.metric,
    backend: state.backend,
    dim: state.dim ?? 0,
    indexLength,
    indexFingerprint: fingerprint,
    rows,
    ids,
    texts,
    metadataJson,
    vectors: index?.originals?.gather(rows),
  });
  return { indexChunks, documentChunks: documents };
}

export function encodeStoreParts(state: StoreState): DocumentStoreParts {
  const encoded = encodeStore(state);
  return { index: concatBytes(encoded.indexChunks), documents: concatBytes(encoded.documentChunks) };
}

/**
 * Rebuilds a store's state from its two parts. The side-car is read and fully validated first;
 * then the index part must have the recorded length and fingerprint (else the two do not belong
 * together), load as an IDMP index of the recorded backend, metric and dimension, and hold exactly
 * the side-car's documents, slot by slot. Any mismatch is a `CorruptFileError`.
 */
export function decodeStoreParts(parts: DocumentStoreParts): StoreState {
  if (parts === null || typeof parts !== 'object' || !(parts.index instanceof Uint8Array) || !(parts.documents instanceof Uint8Array)) {
    throw new InvalidArgumentError('parts', 'must be { index: Uint8Array, documents: Uint8Array }');
  }
  const docs = decodeDocuments(parts.documents);
  const { metric, backend } = docs;
  const dim = docs.dim === 0 ? undefined : docs.dim;
  const count = docs.ids.length;
  checkBelongTogether(parts.index, docs);
  if (parts.index.byteLength === 0) {
    if (count > 0) throw new CorruptFileError('header', `${count} documents but no index`);
    return { metric, backend, dim, index: undefined, table: new DocumentTable() };
  }
  const loaded = loadIdMapIndex(parts.index, innerLoader(backend, metric));
  try {
    checkIndex(loaded, docs);
    const renumbered = isDense(loaded, docs.rows) ? loaded : renumberRows(loaded);
    const originals = docs.vectors ? new RowVectors(docs.dim, docs.vectors) : undefined;
    return {
      metric,
      backend,
      dim,
      index: new StoreIndex(backend, metric, docs.dim, renumbered, originals),
      table: DocumentTable.fromColumns(docs.ids, docs.texts, docs.metadataJson, docs.rowById),
    };
  } catch (error) {
    loaded.dispose();
    throw error;
  }
}

/** Whether slot i already holds row i for every slot (no dead slots, rows 0, 1, 2, ...). */
function isDense(loaded: IdMapIndex, rows: Uint32Array): boolean {
  if (loaded.slotCount !== rows.length) return false;
  for (let i = 0; i < rows.length; i++) if (rows[i] !== i) return false;
  return true;
}

/** Rows are renumbered densely in document order (= live slot order) on load. */
function renumberRows(loaded: IdMapIndex): IdMapIndex {
  const ids = new BigUint64Array(loaded.slotCount);
  const { dead } = loaded.idTable();
  for (let slot = 0, next = 0; slot < ids.length; slot++) if ((dead[slot >>> 5]! & (1 << (slot & 31))) === 0) ids[slot] = BigInt(next++);
  return IdMapIndex.fromParts(loaded.index, ids);
}

function checkBelongTogether(index: Uint8Array, docs: DocumentsPart): void {
  if (index.byteLength !== docs.indexLength) {
    throw new CorruptFileError('header', `the index part holds ${index.byteLength} bytes, the documents were saved with one of ${docs.indexLength}: they do not belong together`);
  }
  if (index.byteLength === 0) return;
  const found = indexFingerprint([index]);
  const expected = docs.indexFingerprint;
  if (!found || found.outer !== expected.outer || found.inner !== expected.inner) {
    throw new CorruptFileError('checksum', 'the index part is not the one the documents were saved with: they do not belong together');
  }
}

function innerLoader(backend: ResolvedBackendSpec, metric: StoreMetric): InnerIndexLoader<VectorIndex> {
  switch (backend.kind) {
    case 'exact':
      return (bytes) => loadFlatIndex(bytes);
    case 'turboquant':
      return (bytes) => TurboQuantIndex.fromBytes(bytes, { metric });
    case 'hnsw':
      return (bytes) => loadHnswIndex(bytes);
  }
}

/** The loaded index must be the recorded backend and hold the side-car's documents, slot by slot. */
function checkIndex(loaded: IdMapIndex, docs: DocumentsPart): void {
  const { backend, metric } = docs;
  const inner = loaded.index;
  const mismatch = (what: string): CorruptFileError => new CorruptFileError('header', `the index does not match the documents: ${what}`);
  if (inner.metric !== metric) throw mismatch(`metric ${inner.metric}, documents ${metric}`);
  if (inner.dim !== backendDim(backend, docs.dim)) throw mismatch(`dimension ${inner.dim}, documents ${docs.dim}`);
  const kind = backend.kind === 'exact' ? 'flat' : backend.kind;
  if (inner.kind !== kind) throw mismatch(`a ${inner.kind} index for the ${backend.kind} backend`);
  if (backend.kind === 'turboquant' && (inner as TurboQuantIndex).bitWidth !== backend.bitWidth) throw mismatch('TurboQuant bit width');
  if (backend.kind === 'hnsw') {
    const params = (inner as HnswIndex).params;
    if (params.M !== backend.m || params.efConstruction !== backend.efConstruction || params.efSearch !== backend.efSearch) throw mismatch('HNSW parameters');
  }
  const wantsOriginals = backend.kind === 'turboquant' && backend.rerank;
  if (wantsOriginals !== (docs.vectors !== undefined)) throw mismatch(wantsOriginals ? 'the rerank vectors are missing' : 'unexpected vectors');
  if (loaded.size !== docs.rows.length) throw mismatch(`${loaded.size} vectors for ${docs.rows.length} documents`);
  const { ids, dead } = loaded.idTable();
  for (let slot = 0, next = 0; slot < ids.length; slot++) {
    if ((dead[slot >>> 5]! & (1 << (slot & 31))) !== 0) continue;
    if (ids[slot] !== BigInt(docs.rows[next]!)) throw mismatch(`slot ${slot} holds id ${ids[slot]}, document ${next} expects ${docs.rows[next]}`);
    next++;
  }
}

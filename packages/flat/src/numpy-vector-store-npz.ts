import { CorruptFileError, InvalidArgumentError } from '@quiver/core-math';
import { encodeNpz, parseNpz, type NpyArray, type NpzReadOptions, type NpzWriteOptions } from '@quiver/io-formats';

/**
 * The `.npz` archive of `NumpyVectorStore`: numpy-vector-store's format version 1 fields
 * (`format_version` int64 scalar, `dimensions` int64 scalar, `normalize` bool scalar, `vectors`
 * float32 n × dimensions), except that the metadata is JSON (`metadata_json`, UTF-8 bytes as a
 * uint8 array) instead of a pickled object array. In Python:
 * `json.loads(np.load(path)["metadata_json"].tobytes())`.
 */

export const STORE_FORMAT_VERSION = 1;
const FIELDS = ['format_version', 'dimensions', 'normalize', 'vectors', 'metadata_json'] as const;

export interface StoreArchive {
  readonly dimensions: number;
  readonly normalize: boolean;
  /** `rows × dimensions` float32, row-major. */
  readonly vectors: Float32Array;
  readonly rows: number;
  readonly metadata: unknown[];
}

export function encodeStoreArchive(archive: StoreArchive, options: NpzWriteOptions = {}): Uint8Array {
  const json = new TextEncoder().encode(metadataToJson(archive.metadata));
  return encodeNpz(
    {
      format_version: { dtype: 'int64', shape: [], data: new BigInt64Array([BigInt(STORE_FORMAT_VERSION)]) },
      dimensions: { dtype: 'int64', shape: [], data: new BigInt64Array([BigInt(archive.dimensions)]) },
      normalize: { dtype: 'bool', shape: [], data: new Uint8Array([archive.normalize ? 1 : 0]) },
      vectors: { dtype: 'float32', shape: [archive.rows, archive.dimensions], data: archive.vectors },
      metadata_json: { dtype: 'uint8', shape: [json.length], data: json },
    },
    options,
  );
}

/** Parses and checks an archive (fields, scalars, dtypes, shapes, row counts, JSON); vectors are not yet checked for finiteness. */
export function decodeStoreArchive(bytes: Uint8Array, options: NpzReadOptions = {}): StoreArchive {
  const arrays = parseNpz(bytes, options);
  const missing = FIELDS.filter((name) => !arrays.has(name));
  if (missing.length > 0) throw new CorruptFileError('header', `vector store archive is missing fields: ${missing.join(', ')}`);
  const unexpected = [...arrays.keys()].filter((name) => !(FIELDS as readonly string[]).includes(name));
  if (unexpected.length > 0) throw new CorruptFileError('header', `vector store archive has unexpected fields: ${unexpected.sort().join(', ')}`);
  const formatVersion = integerScalar(arrays.get('format_version')!, 'format_version');
  if (formatVersion !== STORE_FORMAT_VERSION) throw new CorruptFileError('version', `unsupported vector store archive format version: ${formatVersion}`);
  const dimensions = integerScalar(arrays.get('dimensions')!, 'dimensions');
  if (dimensions <= 0) throw new CorruptFileError('header', `dimensions must be greater than 0, got ${dimensions}`);
  const normalizeArray = arrays.get('normalize')!;
  if (normalizeArray.dtype !== 'bool' || normalizeArray.shape.length !== 0) throw new CorruptFileError('header', 'normalize must be a scalar boolean');
  const vectors = arrays.get('vectors')!;
  if (vectors.dtype !== 'float32') throw new CorruptFileError('dtype', `vectors must use the float32 dtype, got ${vectors.dtype}`);
  if (vectors.shape.length !== 2) throw new CorruptFileError('header', `vectors must be a 2D array, got shape (${vectors.shape.join(', ')})`);
  if (vectors.shape[1] !== dimensions) throw new CorruptFileError('header', `vector dimension ${vectors.shape[1]} doesn't match dimensions ${dimensions}`);
  const json = arrays.get('metadata_json')!;
  if (json.dtype !== 'uint8' || json.shape.length !== 1) throw new CorruptFileError('dtype', 'metadata_json must be a 1D uint8 array of UTF-8 JSON');
  let metadata: unknown;
  try {
    metadata = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json.data));
  } catch (cause) {
    throw new CorruptFileError('header', 'metadata_json is not valid UTF-8 JSON', { cause });
  }
  const rows = vectors.shape[0]!;
  if (!Array.isArray(metadata)) throw new CorruptFileError('header', 'metadata_json must hold a JSON array');
  if (metadata.length !== rows) throw new CorruptFileError('header', `vectors and metadata length mismatch: ${rows} vs ${metadata.length}`);
  const data = vectors.fortranOrder ? transpose(vectors.data as Float32Array, rows, dimensions) : (vectors.data as Float32Array);
  return { dimensions, normalize: normalizeArray.data[0] !== 0, vectors: data, rows, metadata };
}

function integerScalar(array: NpyArray, name: string): number {
  const integer = array.dtype.startsWith('int') || array.dtype.startsWith('uint');
  if (!integer || array.shape.length !== 0) throw new CorruptFileError('header', `${name} must be a scalar integer`);
  const value = Number(array.data[0]!);
  if (!Number.isSafeInteger(value)) throw new CorruptFileError('header', `${name} is out of range`);
  return value;
}

function transpose(columnMajor: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = columnMajor[c * rows + r]!;
  return out;
}

/** JSON text of the metadata rows; refuses anything JSON would silently change (undefined, NaN, Dates, class instances, cycles). */
function metadataToJson(metadata: readonly unknown[]): string {
  for (let row = 0; row < metadata.length; row++) {
    const problem = jsonProblem(metadata[row], new Set());
    if (problem) throw new InvalidArgumentError('metadata', `row ${row} cannot be saved as JSON: ${problem}`);
  }
  return JSON.stringify(metadata);
}

function jsonProblem(value: unknown, ancestors: Set<object>): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${value} is not a finite number`;
  if (typeof value !== 'object') return `a ${typeof value} is not JSON`;
  if (ancestors.has(value)) return 'it contains a cycle';
  const proto = Object.getPrototypeOf(value) as unknown;
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
    return `a ${(value as object).constructor?.name ?? 'non-plain'} object is not plain JSON`;
  }
  ancestors.add(value);
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    const problem = jsonProblem(item, ancestors);
    if (problem) return problem;
  }
  ancestors.delete(value);
  return undefined;
}

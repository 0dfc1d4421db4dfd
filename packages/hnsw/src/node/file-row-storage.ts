import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { extname } from 'node:path';
import {
  CorruptFileError,
  DimensionMismatchError,
  InvalidArgumentError,
  UnsupportedOperationError,
  checkBatch,
  normalizeRows,
  parseMetric,
  type Metric,
  type SlotScorer,
} from '@quiver/core-math';
import { npyHeaderEnd, parseNpyHeader } from '@quiver/io-formats';
import { pairScorer, type ExternalVectorStorage } from '../row-storage.js';

/** Row files: NumPy `.npy` (2-D little-endian float32, C order), `.fvecs`, or raw float32 rows. */
export type RowFileFormat = 'npy' | 'fvecs' | 'f32';

export interface FileRowStorageOptions {
  /** The index's metric: under `cosine` rows are normalized as they are read. */
  readonly metric: Metric | string;
  /** Default from the extension: `.npy`, `.fvecs`, anything else raw float32. */
  readonly format?: RowFileFormat;
  /** Needed for raw float32 files; checked against `.npy` / `.fvecs` headers when given. */
  readonly dim?: number;
  /** Open for appending rows (raw float32 and `.fvecs` only; default false). */
  readonly writable?: boolean;
}

const MAX_DIM = 1 << 20;

/**
 * Full-precision vectors read from a file on demand with positioned reads, one row per candidate,
 * as DiskANN reranks: the rerank storage of a quantized index that keeps nothing per vector in
 * memory (`index.setRerankStorage(FileRowStorage.open('base.npy', { metric }))`). Slot s is row s
 * of the file. Scores are computed like `Float32RowStorage`'s (float64 sums), so reranking from
 * the file gives the same results as from an in-memory float32 copy. Call `dispose()` to close it.
 */
export class FileRowStorage implements ExternalVectorStorage {
  readonly external = true;
  readonly dim: number;
  readonly metric: Metric;
  readonly writable: boolean;
  readonly path: string;
  private fd: number | undefined;
  private rows: number;
  private readonly dataOffset: number;
  /** Bytes from one row's start to the next, and from a row's start to its first value. */
  private readonly stride: number;
  private readonly valueOffset: number;
  private readonly format: RowFileFormat;
  private readonly rowBuffer: Float32Array;
  private readonly rowBytes: Uint8Array;

  private constructor(path: string, fd: number, format: RowFileFormat, metric: Metric, dim: number, rows: number, dataOffset: number, writable: boolean) {
    this.path = path;
    this.fd = fd;
    this.format = format;
    this.metric = metric;
    this.dim = dim;
    this.rows = rows;
    this.dataOffset = dataOffset;
    this.writable = writable;
    this.valueOffset = format === 'fvecs' ? 4 : 0;
    this.stride = dim * 4 + this.valueOffset;
    this.rowBuffer = new Float32Array(dim);
    this.rowBytes = new Uint8Array(this.rowBuffer.buffer);
  }

  /** Opens a row file; checks its header and that its length holds whole rows. */
  static open(path: string, options: FileRowStorageOptions): FileRowStorage {
    if (typeof path !== 'string' || path.length === 0) throw new InvalidArgumentError('path', 'must be a file path');
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object with a metric');
    const metric = parseMetric(options.metric);
    const format = options.format ?? formatOf(path);
    if (format !== 'npy' && format !== 'fvecs' && format !== 'f32') throw new InvalidArgumentError('format', `must be npy, fvecs or f32, got ${String(format)}`);
    const writable = options.writable ?? false;
    if (writable && format === 'npy') throw new InvalidArgumentError('writable', '.npy files are opened read-only (their header holds the row count)');
    if (options.dim !== undefined && (!Number.isInteger(options.dim) || options.dim < 1 || options.dim > MAX_DIM)) {
      throw new InvalidArgumentError('dim', `must be an integer in [1, ${MAX_DIM}], got ${options.dim}`);
    }
    const fd = openSync(path, writable ? 'r+' : 'r');
    try {
      const size = fstatSync(fd).size;
      const { dim, dataOffset, rows } = readLayout(fd, size, format, options.dim, path);
      return new FileRowStorage(path, fd, format, metric, dim, rows, dataOffset, writable);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  get size(): number {
    return this.rows;
  }

  /** Bytes per vector in the file (none in memory). */
  get bytesPerVector(): number {
    return this.dim * 4;
  }

  /** Appends rows at the end of the file (writable raw float32 or `.fvecs` files). */
  append(vectors: Float32Array): number {
    const fd = this.open('append');
    if (!this.writable) throw new UnsupportedOperationError('FileRowStorage', 'append', `${this.path} was opened read-only`);
    const n = checkBatch(vectors, this.dim);
    const out = new Uint8Array(n * this.stride);
    const view = new DataView(out.buffer);
    for (let r = 0; r < n; r++) {
      if (this.format === 'fvecs') view.setInt32(r * this.stride, this.dim, true);
      for (let j = 0; j < this.dim; j++) view.setFloat32(r * this.stride + this.valueOffset + 4 * j, vectors[r * this.dim + j]!, true);
    }
    writeFully(fd, out, this.dataOffset + this.rows * this.stride);
    const first = this.rows;
    this.rows += n;
    return first;
  }

  /** Row `slot` (normalized under cosine). */
  reconstruct(slot: number, out?: Float32Array): Float32Array {
    if (out !== undefined && (!(out instanceof Float32Array) || out.length !== this.dim)) {
      throw new DimensionMismatchError(this.dim, (out as { length?: number } | undefined)?.length ?? 0, 'out');
    }
    const target = out ?? new Float32Array(this.dim);
    target.set(this.readRow(slot));
    return target;
  }

  scorer(): SlotScorer {
    const query = new Float32Array(this.dim);
    const other = new Float32Array(this.dim);
    const pair = pairScorer(this.metric);
    return {
      setQuery: (q) => query.set(q),
      score: (slot) => pair(query, this.readRow(slot)),
      scoreBetween: (a, b) => pair(this.reconstruct(a, other), this.readRow(b)),
      scoreMany: (slots, count, out) => {
        for (let i = 0; i < count; i++) out[i] = pair(query, this.readRow(slots[i]!));
      },
    };
  }

  /** Closes the file. Idempotent; later reads throw. */
  dispose(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  /** Reads row `slot` into the shared row buffer (valid until the next read). */
  private readRow(slot: number): Float32Array {
    const fd = this.open('read');
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.rows) throw new InvalidArgumentError('slot', `must be an integer in [0, ${this.rows}), got ${slot}`);
    const position = this.dataOffset + slot * this.stride + this.valueOffset;
    const read = readSync(fd, this.rowBytes, 0, this.rowBytes.byteLength, position);
    if (read !== this.rowBytes.byteLength) throw new CorruptFileError('truncated', `${this.path}: row ${slot} is cut short`);
    if (this.metric !== 'cosine') return this.rowBuffer;
    normalizeRows(this.rowBuffer, this.dim, 'keep');
    return this.rowBuffer;
  }

  private open(operation: string): number {
    if (this.fd === undefined) throw new UnsupportedOperationError('FileRowStorage', operation, 'the storage was disposed');
    return this.fd;
  }
}

function formatOf(path: string): RowFileFormat {
  const extension = extname(path).toLowerCase();
  return extension === '.npy' ? 'npy' : extension === '.fvecs' ? 'fvecs' : 'f32';
}

function readAt(fd: number, length: number, position: number): Uint8Array {
  const bytes = new Uint8Array(length);
  const read = readSync(fd, bytes, 0, length, position);
  return bytes.subarray(0, read);
}

function writeFully(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.byteLength; ) done += writeSync(fd, bytes, done, bytes.byteLength - done, position + done);
}

/** Dimension, first data byte and row count of a row file, validated against its size. */
function readLayout(fd: number, size: number, format: RowFileFormat, dim: number | undefined, path: string): { dim: number; dataOffset: number; rows: number } {
  const checkDim = (found: number) => {
    if (!(found >= 1 && found <= MAX_DIM)) throw new CorruptFileError('header', `${path}: dimension ${found} out of range`);
    if (dim !== undefined && found !== dim) throw new DimensionMismatchError(dim, found, path);
    return found;
  };
  if (format === 'npy') {
    const dataOffset = npyHeaderEnd(readAt(fd, 12, 0));
    const header = parseNpyHeader(readAt(fd, dataOffset, 0));
    if (header.dtype !== 'float32' || !header.littleEndian || header.fortranOrder || header.shape.length !== 2) {
      throw new CorruptFileError('dtype', `${path}: needs a 2-D little-endian float32 array in C order`);
    }
    const [rows, cols] = header.shape as [number, number];
    if (dataOffset + rows * cols * 4 > size) throw new CorruptFileError('truncated', `${path}: holds fewer rows than its header says`);
    return { dim: checkDim(cols), dataOffset, rows };
  }
  if (format === 'fvecs') {
    if (size === 0) {
      if (dim === undefined) throw new InvalidArgumentError('dim', 'is needed for an empty .fvecs file');
      return { dim, dataOffset: 0, rows: 0 };
    }
    const first = readAt(fd, 4, 0);
    if (first.byteLength < 4) throw new CorruptFileError('truncated', `${path}: shorter than one row header`);
    const found = checkDim(new DataView(first.buffer).getInt32(0, true));
    if (size % (4 + 4 * found) !== 0) throw new CorruptFileError('truncated', `${path}: ${size} bytes is not a whole number of ${found}-dimensional rows`);
    return { dim: found, dataOffset: 0, rows: size / (4 + 4 * found) };
  }
  if (dim === undefined) throw new InvalidArgumentError('dim', 'is needed for a raw float32 file');
  if (size % (4 * dim) !== 0) throw new CorruptFileError('truncated', `${path}: ${size} bytes is not a whole number of ${dim}-dimensional rows`);
  return { dim, dataOffset: 0, rows: size / (4 * dim) };
}

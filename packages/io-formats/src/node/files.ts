import { open, readFile, type FileHandle } from 'node:fs/promises';
import { CorruptFileError, InvalidArgumentError, UnsupportedOperationError } from '@quiver/core-math';
import { ELEMENT_TYPES, decodeElements } from '../element-types.js';
import { encodeNpyChunks, npyHeaderEnd, parseNpy, parseNpyHeader, type NpyArray, type NpyArrayInput, type NpyReadOptions, type NpyWriteOptions } from '../npy.js';
import { encodeNpzChunks, parseNpz, type NpzEntries, type NpzReadOptions, type NpzWriteOptions } from '../npz.js';
import {
  encodeSafetensorsChunks,
  parseSafetensors,
  type SafetensorsEntries,
  type SafetensorsFile,
  type SafetensorsReadOptions,
} from '../safetensors.js';
import { decodeVecsRows, encodeVecs, vecsLayout, vecsRowBytes, type VecsDataTypes, type VecsKind, type VecsMatrix } from '../vecs.js';
import { writeFileAtomic, type AtomicWriteOptions } from './atomic-write.js';
import { zlibDeflate, zlibInflate } from './zlib-codec.js';

/** File-path helpers: whole-file reads, atomic writes, and row-range reads that touch only the rows asked for. */

async function readBytes(path: string): Promise<Uint8Array> {
  const buffer = await readFile(path);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

export async function readNpyFile(path: string, options: NpyReadOptions = {}): Promise<NpyArray> {
  return parseNpy(await readBytes(path), options);
}

export async function writeNpyFile(path: string, array: NpyArrayInput, options: NpyWriteOptions & AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(path, encodeNpyChunks(array, options), options);
}

/** Reads a .npz file, inflating with node:zlib unless `options.inflate` says otherwise. */
export async function readNpzFile(path: string, options: NpzReadOptions = {}): Promise<Map<string, NpyArray>> {
  return parseNpz(await readBytes(path), { inflate: zlibInflate, ...options });
}

/** Writes a .npz file atomically, deflating with node:zlib when `compress` is set. */
export async function writeNpzFile(path: string, entries: NpzEntries, options: NpzWriteOptions & AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(path, encodeNpzChunks(entries, { deflate: zlibDeflate, ...options }), options);
}

export async function readSafetensorsFile(path: string, options: SafetensorsReadOptions = {}): Promise<SafetensorsFile> {
  return parseSafetensors(await readBytes(path), options);
}

export async function writeSafetensorsFile(
  path: string,
  tensors: SafetensorsEntries,
  metadata: Readonly<Record<string, string>> = {},
  options: AtomicWriteOptions = {},
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensorsChunks(tensors, metadata), options);
}

export async function writeVecsFile<K extends VecsKind>(
  path: string,
  kind: K,
  data: VecsDataTypes[K],
  dim: number,
  options: AtomicWriteOptions = {},
): Promise<void> {
  await writeFileAtomic(path, encodeVecs(kind, data, dim), options);
}

export interface RowRange {
  /** First row (default 0). */
  readonly start?: number;
  /** One past the last row (default: the row count). */
  readonly end?: number;
}

export interface VecsRows<K extends VecsKind = VecsKind> extends VecsMatrix<K> {
  /** Index of the first row returned. */
  readonly start: number;
  /** Rows in the whole file. */
  readonly totalCount: number;
}

function resolveRange(range: RowRange, total: number): { start: number; end: number } {
  const start = range.start ?? 0;
  const end = range.end ?? total;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > total) {
    throw new InvalidArgumentError('range', `must satisfy 0 <= start <= end <= ${total}, got start ${start}, end ${end}`);
  }
  return { start, end };
}

/** Reads exactly `length` bytes at `position` (a fresh, aligned buffer). */
async function readAt(handle: FileHandle, position: number, length: number, context: string): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  for (let done = 0; done < length; ) {
    const { bytesRead } = await handle.read(out, done, Math.min(1 << 30, length - done), position + done);
    if (bytesRead === 0) throw new CorruptFileError('truncated', `${context}: file ended while reading`);
    done += bytesRead;
  }
  return out;
}

/**
 * Reads rows [start, end) of a .fvecs / .ivecs / .bvecs file. Only the first row's prefix and the
 * requested rows are read, so this works on files larger than memory.
 */
export async function readVecsFile<K extends VecsKind>(path: string, kind: K, range: RowRange = {}): Promise<VecsRows<K>> {
  if (kind !== 'fvecs' && kind !== 'ivecs' && kind !== 'bvecs') {
    throw new InvalidArgumentError('kind', `must be 'fvecs', 'ivecs' or 'bvecs', got ${String(kind)}`);
  }
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const context = `[@quiver/io-formats] ${kind} ${path}`;
    const prefix = size >= 4 ? await readAt(handle, 0, 4, context) : new Uint8Array(0);
    const { dim, count: totalCount } = vecsLayout(kind, prefix, size);
    const { start, end } = resolveRange(range, totalCount);
    const rowBytes = vecsRowBytes(kind, dim);
    const bytes = await readAt(handle, start * rowBytes, (end - start) * rowBytes, context);
    return { ...decodeVecsRows(kind, bytes, dim, end - start, start), start, totalCount };
  } finally {
    await handle.close();
  }
}

/**
 * Reads rows [start, end) of a C-order 2-D .npy file: parses the header from the first bytes, then
 * reads only the requested rows (works on files larger than memory). `end` defaults to the row count.
 */
export async function readNpyRows(path: string, start = 0, end?: number, options: NpyReadOptions = {}): Promise<NpyArray> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const context = `[@quiver/io-formats] npy ${path}`;
    const prefix = await readAt(handle, 0, Math.min(12, size), context);
    const headerEnd = npyHeaderEnd(prefix, options);
    if (headerEnd > size) throw new CorruptFileError('truncated', `${context}: header runs past the end of the file`);
    const header = parseNpyHeader(await readAt(handle, 0, headerEnd, context), options);
    if (header.fortranOrder || header.shape.length !== 2) {
      throw new UnsupportedOperationError('readNpyRows', 'this array', 'it needs a C-order 2-D array; use readNpyFile');
    }
    if (size - header.dataOffset !== header.dataByteLength) {
      throw new CorruptFileError('truncated', `${context}: header needs ${header.dataByteLength} data bytes, the file has ${size - header.dataOffset}`);
    }
    const [rows, cols] = header.shape as [number, number];
    const range = resolveRange({ start, end }, rows);
    const type = ELEMENT_TYPES[header.dtype];
    const rowBytes = cols * type.itemSize;
    const count = range.end - range.start;
    const bytes = await readAt(handle, header.dataOffset + range.start * rowBytes, count * rowBytes, context);
    const data = decodeElements(bytes, 0, count * cols, type, header.littleEndian);
    return { dtype: header.dtype, shape: [count, cols], fortranOrder: false, data } as NpyArray;
  } finally {
    await handle.close();
  }
}

import { CorruptFileError, InvalidArgumentError, checkDim } from '@quiver/core-math';
import { HOST_LITTLE_ENDIAN, checkBytes, swapBytesInPlace } from './bytes.js';

/**
 * The TEXMEX vector formats (SIFT/GIST benchmarks): every row is a little-endian int32 dimension
 * followed by that many values: float32 (.fvecs), int32 (.ivecs) or uint8 (.bvecs).
 */
export type VecsKind = 'fvecs' | 'ivecs' | 'bvecs';

export interface VecsDataTypes {
  fvecs: Float32Array;
  ivecs: Int32Array;
  bvecs: Uint8Array;
}

export interface VecsMatrix<K extends VecsKind = VecsKind> {
  /** count × dim values, row-major. */
  readonly data: VecsDataTypes[K];
  readonly dim: number;
  readonly count: number;
}

const ITEM_SIZE: Readonly<Record<VecsKind, number>> = { fvecs: 4, ivecs: 4, bvecs: 1 };
const CONTEXT = '[@quiver/io-formats]';

export function vecsItemSize(kind: VecsKind): number {
  return ITEM_SIZE[kind];
}

/** Bytes per row: the 4-byte dimension prefix plus `dim` values. */
export function vecsRowBytes(kind: VecsKind, dim: number): number {
  return 4 + dim * ITEM_SIZE[kind];
}

/**
 * Reads the dimension from a row's prefix and checks it is plausible for a file of `fileLength`
 * bytes, whose length must be a whole number of rows. Returns the dimension and row count.
 */
export function vecsLayout(kind: VecsKind, firstPrefix: Uint8Array, fileLength: number): { dim: number; count: number } {
  if (fileLength === 0) return { dim: 0, count: 0 };
  if (firstPrefix.length < 4) throw new CorruptFileError('truncated', `${CONTEXT} ${kind}: ${fileLength} bytes is too short for a row`);
  const dim = new DataView(firstPrefix.buffer, firstPrefix.byteOffset, 4).getInt32(0, true);
  const rowBytes = vecsRowBytes(kind, dim);
  if (dim <= 0 || rowBytes > fileLength) {
    throw new CorruptFileError('header', `${CONTEXT} ${kind}: first row declares dimension ${dim}, impossible for a ${fileLength}-byte file`);
  }
  if (fileLength % rowBytes !== 0) {
    throw new CorruptFileError('truncated', `${CONTEXT} ${kind}: file length ${fileLength} is not a multiple of the ${rowBytes}-byte row (dimension ${dim})`);
  }
  return { dim, count: fileLength / rowBytes };
}

/**
 * Decodes whole rows of dimension `dim` from `bytes` (which holds exactly `count` rows), checking
 * every row's prefix. `firstRow` only numbers rows in error messages.
 */
export function decodeVecsRows<K extends VecsKind>(kind: K, bytes: Uint8Array, dim: number, count: number, firstRow = 0): VecsMatrix<K> {
  const rowBytes = vecsRowBytes(kind, dim);
  if (bytes.length !== rowBytes * count) throw new CorruptFileError('truncated', `${CONTEXT} ${kind}: expected ${rowBytes * count} bytes of rows, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = kind === 'fvecs' ? new Float32Array(count * dim) : kind === 'ivecs' ? new Int32Array(count * dim) : new Uint8Array(count * dim);
  for (let r = 0; r < count; r++) {
    const at = r * rowBytes;
    const prefix = view.getInt32(at, true);
    if (prefix !== dim) {
      throw new CorruptFileError('header', `${CONTEXT} ${kind}: row ${firstRow + r} declares dimension ${prefix}, expected ${dim}`);
    }
    const row = bytes.subarray(at + 4, at + rowBytes);
    if (kind === 'bvecs') {
      data.set(row, r * dim);
    } else {
      // Copy the bytes into the (aligned) output, then view them with the row's element type.
      new Uint8Array(data.buffer, r * dim * 4, dim * 4).set(row);
    }
  }
  // Rows were copied byte for byte; a big-endian host swaps them to native order.
  if (!HOST_LITTLE_ENDIAN) swapBytesInPlace(new Uint8Array(data.buffer), ITEM_SIZE[kind]);
  return { data: data as VecsDataTypes[K], dim, count };
}

function parseVecs<K extends VecsKind>(kind: K, input: Uint8Array): VecsMatrix<K> {
  const bytes = checkBytes(input);
  const { dim, count } = vecsLayout(kind, bytes.subarray(0, 4), bytes.length);
  return decodeVecsRows(kind, bytes, dim, count);
}

export const parseFvecs = (bytes: Uint8Array): VecsMatrix<'fvecs'> => parseVecs('fvecs', bytes);
export const parseIvecs = (bytes: Uint8Array): VecsMatrix<'ivecs'> => parseVecs('ivecs', bytes);
export const parseBvecs = (bytes: Uint8Array): VecsMatrix<'bvecs'> => parseVecs('bvecs', bytes);

const ARRAY_TYPES = { fvecs: Float32Array, ivecs: Int32Array, bvecs: Uint8Array } as const;

/** Encodes `data` (n × dim values, row-major) as a vecs file. */
export function encodeVecs<K extends VecsKind>(kind: K, data: VecsDataTypes[K], dim: number): Uint8Array {
  if (!(data instanceof ARRAY_TYPES[kind])) {
    throw new InvalidArgumentError('data', `${kind} needs a ${ARRAY_TYPES[kind].name}`);
  }
  checkDim(dim);
  if (dim > 0x7fffffff) throw new InvalidArgumentError('dim', `must fit an int32, got ${dim}`);
  if (data.length % dim !== 0) throw new InvalidArgumentError('data', `length ${data.length} is not a multiple of dim ${dim}`);
  const count = data.length / dim;
  const rowBytes = vecsRowBytes(kind, dim);
  const out = new Uint8Array(count * rowBytes);
  const view = new DataView(out.buffer);
  const src = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const valueBytes = rowBytes - 4;
  for (let r = 0; r < count; r++) {
    view.setInt32(r * rowBytes, dim, true);
    out.set(src.subarray(r * valueBytes, (r + 1) * valueBytes), r * rowBytes + 4);
  }
  if (!HOST_LITTLE_ENDIAN) {
    for (let r = 0; r < count; r++) swapBytesInPlace(out.subarray(r * rowBytes + 4, (r + 1) * rowBytes), ITEM_SIZE[kind]);
  }
  return out;
}

export const encodeFvecs = (data: Float32Array, dim: number): Uint8Array => encodeVecs('fvecs', data, dim);
export const encodeIvecs = (data: Int32Array, dim: number): Uint8Array => encodeVecs('ivecs', data, dim);
export const encodeBvecs = (data: Uint8Array, dim: number): Uint8Array => encodeVecs('bvecs', data, dim);

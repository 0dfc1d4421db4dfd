import { CorruptFileError, InvalidArgumentError } from '@quiver/core-math';
import { ByteReader, checkBytes, checkShapeArgument, checkedByteLength, concatBytes, littleEndianBytes } from './bytes.js';
import { ELEMENT_TYPES, checkElementData, decodeElements, type ElementType, type NumericArray } from './element-types.js';

/**
 * safetensors (https://github.com/huggingface/safetensors): an 8-byte little-endian header length,
 * a JSON header `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": {...} }`, then
 * the tensors' bytes, contiguous and little-endian. F16 and BF16 are kept as raw bits (Uint16Array).
 */
export interface SafetensorsDataTypes {
  F64: Float64Array;
  F32: Float32Array;
  F16: Uint16Array;
  BF16: Uint16Array;
  I64: BigInt64Array;
  I32: Int32Array;
  I16: Int16Array;
  I8: Int8Array;
  U64: BigUint64Array;
  U32: Uint32Array;
  U16: Uint16Array;
  U8: Uint8Array;
  BOOL: Uint8Array;
}
export type SafetensorsDtype = keyof SafetensorsDataTypes;

export interface TypedSafetensorsTensor<D extends SafetensorsDtype> {
  readonly dtype: D;
  readonly shape: number[];
  readonly data: SafetensorsDataTypes[D];
}
export type SafetensorsTensor = { [D in SafetensorsDtype]: TypedSafetensorsTensor<D> }[SafetensorsDtype];

export interface SafetensorsTensorInput {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly data: NumericArray;
}

export interface SafetensorsFile {
  readonly tensors: Map<string, SafetensorsTensor>;
  readonly metadata: Record<string, string>;
}

export interface SafetensorsReadOptions {
  /** Largest JSON header accepted, in bytes (default 100 MB, as the reference implementation). */
  readonly maxHeaderBytes?: number;
}

const CONTEXT = '[@quiver/io-formats] safetensors';
const METADATA_KEY = '__metadata__';
const DEFAULT_MAX_HEADER_BYTES = 100_000_000;

const TYPES: Readonly<Record<SafetensorsDtype, ElementType>> = {
  F64: ELEMENT_TYPES.float64,
  F32: ELEMENT_TYPES.float32,
  F16: ELEMENT_TYPES.float16,
  BF16: ELEMENT_TYPES.float16,
  I64: ELEMENT_TYPES.int64,
  I32: ELEMENT_TYPES.int32,
  I16: ELEMENT_TYPES.int16,
  I8: ELEMENT_TYPES.int8,
  U64: ELEMENT_TYPES.uint64,
  U32: ELEMENT_TYPES.uint32,
  U16: ELEMENT_TYPES.uint16,
  U8: ELEMENT_TYPES.uint8,
  BOOL: ELEMENT_TYPES.bool,
};

function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(TYPES, value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isSafeCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Parses a safetensors file. Tensor data are views into `bytes` when aligned, else copies. */
export function parseSafetensors(input: Uint8Array, options: SafetensorsReadOptions = {}): SafetensorsFile {
  const bytes = checkBytes(input);
  const reader = new ByteReader(bytes, CONTEXT);
  const headerLength = reader.u64(0, 'header length');
  const limit = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (headerLength > limit) {
    throw new CorruptFileError('limit', `${CONTEXT}: header of ${headerLength} bytes exceeds the ${limit}-byte limit`);
  }
  const headerBytes = reader.slice(8, headerLength, 'header');
  if (headerBytes[0] !== 0x7b) throw new CorruptFileError('magic', `${CONTEXT}: header does not start with '{'`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (cause) {
    throw new CorruptFileError('header', `${CONTEXT}: header is not valid UTF-8 JSON`, { cause });
  }
  if (!isPlainObject(header)) throw new CorruptFileError('header', `${CONTEXT}: header is not a JSON object`);

  const metadata: Record<string, string> = {};
  const infos: Array<{ name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }> = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      if (!isPlainObject(value)) throw new CorruptFileError('header', `${CONTEXT}: __metadata__ must be an object`);
      for (const [key, text] of Object.entries(value)) {
        if (typeof text !== 'string') throw new CorruptFileError('header', `${CONTEXT}: metadata value '${key}' is not a string`);
        metadata[key] = text;
      }
      continue;
    }
    const where = `${CONTEXT}: tensor '${name}'`;
    if (!isPlainObject(value)) throw new CorruptFileError('header', `${where} is not an object`);
    const { dtype, shape, data_offsets: offsets } = value;
    if (!isSafetensorsDtype(dtype)) throw new CorruptFileError('dtype', `${where} has unsupported dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every(isSafeCount)) {
      throw new CorruptFileError('header', `${where}: shape must be an array of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isSafeCount) || offsets[0] > offsets[1]) {
      throw new CorruptFileError('header', `${where}: data_offsets must be [begin, end] with begin <= end`);
    }
    const byteLength = checkedByteLength(shape, TYPES[dtype].itemSize, where);
    if (byteLength !== offsets[1] - offsets[0]) {
      throw new CorruptFileError('header', `${where}: shape and dtype need ${byteLength} bytes, data_offsets span ${offsets[1] - offsets[0]}`);
    }
    infos.push({ name, dtype, shape, begin: offsets[0], end: offsets[1] });
  }

  // The data section must be covered exactly: contiguous, non-overlapping, nothing left over.
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const byOffset = [...infos].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const info of byOffset) {
    if (info.begin !== expected) {
      throw new CorruptFileError('header', `${CONTEXT}: tensor '${info.name}' starts at ${info.begin}, expected ${expected} (offsets must be contiguous)`);
    }
    expected = info.end;
  }
  if (expected !== dataLength) {
    throw new CorruptFileError(
      expected > dataLength ? 'truncated' : 'header',
      `${CONTEXT}: tensors cover ${expected} data bytes, the file has ${dataLength}`,
    );
  }

  const tensors = new Map<string, SafetensorsTensor>();
  for (const info of infos) {
    const type = TYPES[info.dtype];
    const data = decodeElements(bytes, dataStart + info.begin, (info.end - info.begin) / type.itemSize, type, true);
    tensors.set(info.name, { dtype: info.dtype, shape: info.shape, data } as SafetensorsTensor);
  }
  return { tensors, metadata };
}

export type SafetensorsEntries =
  | Readonly<Record<string, SafetensorsTensorInput>>
  | ReadonlyMap<string, SafetensorsTensorInput>;

/**
 * Encodes a safetensors file as chunks (tensor data is not copied on little-endian hosts). As in
 * the reference implementation, tensors are laid out by decreasing element size, then name, and
 * the header is padded with spaces to a multiple of 8 bytes so every tensor stays aligned.
 */
export function encodeSafetensorsChunks(tensors: SafetensorsEntries, metadata: Readonly<Record<string, string>> = {}): Uint8Array[] {
  if (typeof tensors !== 'object' || tensors === null) throw new InvalidArgumentError('tensors', 'must be a Map or an object');
  if (!isPlainObject(metadata) || !Object.values(metadata).every((v) => typeof v === 'string')) {
    throw new InvalidArgumentError('metadata', 'must be an object of string values');
  }
  const pairs = tensors instanceof Map ? [...tensors] : Object.entries(tensors as Record<string, SafetensorsTensorInput>);
  const checked = pairs.map(([name, tensor]) => {
    const argument = `tensors['${String(name)}']`;
    if (typeof name !== 'string' || name.length === 0 || name === METADATA_KEY) {
      throw new InvalidArgumentError(argument, `tensor names must be non-empty and not '${METADATA_KEY}'`);
    }
    const dtype: unknown = tensor?.dtype;
    if (!isSafetensorsDtype(dtype)) throw new InvalidArgumentError(`${argument}.dtype`, `unsupported dtype ${String(dtype)}`);
    const count = checkShapeArgument(tensor.shape, `${argument}.shape`);
    const type = TYPES[dtype];
    const data = checkElementData(type, dtype, tensor.data, count, `${argument}.data`);
    return { name, dtype, shape: [...tensor.shape], bytes: littleEndianBytes(data), itemSize: type.itemSize };
  });
  checked.sort((a, b) => b.itemSize - a.itemSize || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const fields: string[] = [];
  if (Object.keys(metadata).length > 0) fields.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  let offset = 0;
  for (const t of checked) {
    const info = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    fields.push(`${JSON.stringify(t.name)}:${JSON.stringify(info)}`);
    offset += t.bytes.length;
  }
  const json = new TextEncoder().encode(`{${fields.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const head = new Uint8Array(8 + headerLength).fill(0x20);
  const view = new DataView(head.buffer);
  view.setUint32(0, headerLength, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  head.set(json, 8);
  return [head, ...checked.map((t) => t.bytes)];
}

export function encodeSafetensors(tensors: SafetensorsEntries, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  return concatBytes(encodeSafetensorsChunks(tensors, metadata));
}

import { CorruptFileError, InvalidArgumentError } from '@quiver/core-math';
import { ByteReader, checkBytes, checkShapeArgument, checkedByteLength, concatBytes, formatShape, littleEndianBytes } from './bytes.js';
import {
  ELEMENT_TYPES,
  checkElementData,
  decodeElements,
  inferDtype,
  isNpyDtype,
  type NpyDtype,
  type NumericArray,
} from './element-types.js';
import { parsePythonLiteral, type PyValue } from './python-literal.js';

/** The typed array each dtype is held in. float16 keeps raw binary16 bits; bool keeps 0/1 bytes. */
export interface NpyDataTypes {
  float16: Uint16Array;
  float32: Float32Array;
  float64: Float64Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
  bool: Uint8Array;
}

export interface TypedNpyArray<D extends NpyDtype> {
  readonly dtype: D;
  readonly shape: number[];
  /** True when `data` is laid out column-major (numpy's `fortran_order`). */
  readonly fortranOrder: boolean;
  readonly data: NpyDataTypes[D];
}

/** A parsed array; checking `dtype` narrows `data`. */
export type NpyArray = { [D in NpyDtype]: TypedNpyArray<D> }[NpyDtype];

/** What the writers accept: `dtype` defaults to the one the typed array implies. */
export interface NpyArrayInput {
  readonly dtype?: NpyDtype;
  readonly shape: readonly number[];
  readonly data: NumericArray;
  readonly fortranOrder?: boolean;
}

export interface NpyReadOptions {
  /** Largest header accepted, in bytes (default 1 MiB; numpy's own headers are under 1 KiB). */
  readonly maxHeaderBytes?: number;
}

export interface NpyWriteOptions {
  /** Format version; by default the lowest that can hold the header (1.0 in practice). */
  readonly version?: 1 | 2 | 3;
}

/** The parsed header of a .npy file. */
export interface NpyHeader {
  readonly dtype: NpyDtype;
  readonly shape: number[];
  readonly fortranOrder: boolean;
  readonly littleEndian: boolean;
  readonly version: 1 | 2 | 3;
  /** Where the data starts, from the first byte of the file. */
  readonly dataOffset: number;
  /** shape product × item size. */
  readonly dataByteLength: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;
const DEFAULT_MAX_HEADER_BYTES = 1 << 20;
const CONTEXT = '[@quiver/io-formats] npy';

const DESCR_TO_DTYPE: Readonly<Record<string, NpyDtype>> = {
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  i1: 'int8',
  u1: 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  u8: 'uint64',
  b1: 'bool',
};

/**
 * Length of the preamble plus header, from the first 12 bytes of a .npy file (10 suffice for
 * version 1). Lets a file reader fetch exactly the header before parsing it.
 */
export function npyHeaderEnd(input: Uint8Array, options: NpyReadOptions = {}): number {
  const prefix = checkBytes(input);
  const reader = new ByteReader(prefix, CONTEXT);
  reader.require(0, 8, 'magic and version');
  for (let i = 0; i < MAGIC.length; i++) {
    if (prefix[i] !== MAGIC[i]) throw new CorruptFileError('magic', `${CONTEXT}: not a .npy file (bad magic string)`);
  }
  const major = prefix[6]!;
  const minor = prefix[7]!;
  if (major < 1 || major > 3 || minor !== 0) {
    throw new CorruptFileError('version', `${CONTEXT}: unsupported format version ${major}.${minor}`);
  }
  const lengthBytes = major === 1 ? 2 : 4;
  const headerLength = major === 1 ? reader.u16(8, 'header length') : reader.u32(8, 'header length');
  const limit = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (headerLength > limit) {
    throw new CorruptFileError('limit', `${CONTEXT}: header of ${headerLength} bytes exceeds the ${limit}-byte limit`);
  }
  return 8 + lengthBytes + headerLength;
}

/** Parses the header; `bytes` must hold at least the whole header (the data may be absent). */
export function parseNpyHeader(input: Uint8Array, options: NpyReadOptions = {}): NpyHeader {
  const bytes = checkBytes(input);
  const dataOffset = npyHeaderEnd(bytes, options);
  const version = bytes[6] as 1 | 2 | 3;
  const headerStart = version === 1 ? 10 : 12;
  new ByteReader(bytes, CONTEXT).require(0, dataOffset, 'header');
  const text = decodeHeaderText(bytes.subarray(headerStart, dataOffset), version);
  const dict = parsePythonLiteral(text, CONTEXT);
  if (typeof dict !== 'object' || dict === null || dict.type !== 'dict') {
    throw new CorruptFileError('header', `${CONTEXT}: header is not a dict`);
  }
  const keys = [...dict.entries.keys()].sort().join(',');
  if (keys !== 'descr,fortran_order,shape') {
    throw new CorruptFileError('header', `${CONTEXT}: header keys must be descr, fortran_order and shape, got ${keys}`);
  }
  const { dtype, littleEndian } = parseDescr(dict.entries.get('descr')!);
  const fortranOrder = dict.entries.get('fortran_order');
  if (typeof fortranOrder !== 'boolean') {
    throw new CorruptFileError('header', `${CONTEXT}: fortran_order must be True or False`);
  }
  const shape = parseShape(dict.entries.get('shape')!);
  const dataByteLength = checkedByteLength(shape, ELEMENT_TYPES[dtype].itemSize, CONTEXT);
  return { dtype, shape, fortranOrder, littleEndian, version, dataOffset, dataByteLength };
}

function decodeHeaderText(bytes: Uint8Array, version: number): string {
  if (version === 3) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (cause) {
      throw new CorruptFileError('header', `${CONTEXT}: header is not valid UTF-8`, { cause });
    }
  }
  // latin-1 (TextDecoder's 'latin1' label is really windows-1252, so decode by hand).
  let text = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return text;
}

function parseDescr(descr: PyValue): { dtype: NpyDtype; littleEndian: boolean } {
  if (typeof descr !== 'string') {
    throw new CorruptFileError('dtype', `${CONTEXT}: structured or sub-array dtypes are not supported`);
  }
  if (/^[<>|=]?O\d*$/.test(descr)) {
    throw new CorruptFileError(
      'unsupported',
      `${CONTEXT}: object arrays hold pickled Python objects and are refused (they are never unpickled)`,
    );
  }
  const match = /^([<>|=])([a-z])(\d+)$/.exec(descr);
  const dtype = match ? DESCR_TO_DTYPE[`${match[2]}${match[3]}`] : undefined;
  if (!match || dtype === undefined) {
    throw new CorruptFileError('dtype', `${CONTEXT}: unsupported dtype '${descr}'`);
  }
  return { dtype, littleEndian: match[1] !== '>' };
}

function parseShape(shape: PyValue): number[] {
  if (typeof shape !== 'object' || shape === null || shape.type !== 'tuple') {
    throw new CorruptFileError('header', `${CONTEXT}: shape must be a tuple`);
  }
  return shape.items.map((d) => {
    if (typeof d !== 'number' || d < 0) {
      throw new CorruptFileError('header', `${CONTEXT}: shape entries must be non-negative integers`);
    }
    return d;
  });
}

/**
 * Parses a .npy file. The data is a view into `bytes` when its byte order is native and its
 * offset is aligned (numpy aligns headers to 64 bytes), otherwise a copy.
 */
export function parseNpy(input: Uint8Array, options: NpyReadOptions = {}): NpyArray {
  const bytes = checkBytes(input);
  const header = parseNpyHeader(bytes, options);
  const available = bytes.length - header.dataOffset;
  if (available !== header.dataByteLength) {
    throw new CorruptFileError(
      available < header.dataByteLength ? 'truncated' : 'header',
      `${CONTEXT}: shape ${formatShape(header.shape)} of ${header.dtype} needs ${header.dataByteLength} data bytes, the file has ${available}`,
    );
  }
  const type = ELEMENT_TYPES[header.dtype];
  const data = decodeElements(bytes, header.dataOffset, header.dataByteLength / type.itemSize, type, header.littleEndian);
  return { dtype: header.dtype, shape: header.shape, fortranOrder: header.fortranOrder, data } as NpyArray;
}

/** Validates a writer input and resolves its dtype. */
export function checkNpyInput(array: NpyArrayInput, argument = 'array'): NpyArray {
  if (typeof array !== 'object' || array === null) throw new InvalidArgumentError(argument, 'must be an object');
  const dtype = array.dtype ?? inferDtype(array.data);
  if (!isNpyDtype(dtype)) throw new InvalidArgumentError(`${argument}.dtype`, `unsupported dtype ${String(dtype)}`);
  const count = checkShapeArgument(array.shape, `${argument}.shape`);
  const data = checkElementData(ELEMENT_TYPES[dtype], dtype, array.data, count, `${argument}.data`);
  if (array.fortranOrder !== undefined && typeof array.fortranOrder !== 'boolean') {
    throw new InvalidArgumentError(`${argument}.fortranOrder`, 'must be a boolean');
  }
  return { dtype, shape: [...array.shape], fortranOrder: array.fortranOrder ?? false, data } as NpyArray;
}

/** The encoded header (preamble, dict, padding) for `array`. */
export function encodeNpyHeader(array: NpyArray, options: NpyWriteOptions = {}): Uint8Array {
  const type = ELEMENT_TYPES[array.dtype];
  const descr = `${type.itemSize === 1 ? '|' : '<'}${type.kind}${type.itemSize}`;
  const dict = `{'descr': '${descr}', 'fortran_order': ${array.fortranOrder ? 'True' : 'False'}, 'shape': ${formatShape(array.shape)}, }`;
  const requested = options.version;
  if (requested !== undefined && requested !== 1 && requested !== 2 && requested !== 3) {
    throw new InvalidArgumentError('options.version', `must be 1, 2 or 3, got ${String(requested)}`);
  }
  // The dict is ASCII, so only its length decides between 1.0 (u16 length) and 2.0.
  const fits = (version: number): boolean => paddedLength(dict.length, version) - (version === 1 ? 10 : 12) <= 0xffff;
  const version = requested ?? (fits(1) ? 1 : 2);
  if (version === 1 && !fits(1)) throw new InvalidArgumentError('options.version', 'header too long for format 1.0');
  const preamble = version === 1 ? 10 : 12;
  const total = paddedLength(dict.length, version);
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, total - preamble, true);
  else view.setUint32(8, total - preamble, true);
  for (let i = 0; i < dict.length; i++) out[preamble + i] = dict.charCodeAt(i);
  out.fill(0x20, preamble + dict.length, total - 1);
  out[total - 1] = 0x0a;
  return out;
}

function paddedLength(dictLength: number, version: number): number {
  const unpadded = (version === 1 ? 10 : 12) + dictLength + 1; // + the final '\n'
  return Math.ceil(unpadded / ALIGN) * ALIGN;
}

/** The file as chunks (header, then the data's own memory on little-endian hosts): no big copy. */
export function encodeNpyChunks(array: NpyArrayInput, options: NpyWriteOptions = {}): Uint8Array[] {
  const checked = checkNpyInput(array);
  return [encodeNpyHeader(checked, options), littleEndianBytes(checked.data)];
}

/** Encodes a .npy file (little-endian data; Fortran layout when `array.fortranOrder`). */
export function encodeNpy(array: NpyArrayInput, options: NpyWriteOptions = {}): Uint8Array {
  return concatBytes(encodeNpyChunks(array, options));
}

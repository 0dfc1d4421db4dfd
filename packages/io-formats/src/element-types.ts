import { InvalidArgumentError } from '@quiver/core-math';
import { HOST_LITTLE_ENDIAN, swapBytesInPlace } from './bytes.js';

/** Element types shared by every format here. float16 (and bfloat16) hold raw bits in a Uint16Array. */
export type NpyDtype =
  | 'float16'
  | 'float32'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool';

export type NumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

interface TypedArrayConstructor {
  readonly BYTES_PER_ELEMENT: number;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): NumericArray;
  new (length: number): NumericArray;
}

export interface ElementType {
  readonly itemSize: number;
  readonly ctor: TypedArrayConstructor;
  /** numpy's kind letter: f, i, u or b. */
  readonly kind: 'f' | 'i' | 'u' | 'b';
}

export const ELEMENT_TYPES: Readonly<Record<NpyDtype, ElementType>> = {
  float16: { itemSize: 2, ctor: Uint16Array, kind: 'f' },
  float32: { itemSize: 4, ctor: Float32Array, kind: 'f' },
  float64: { itemSize: 8, ctor: Float64Array, kind: 'f' },
  int8: { itemSize: 1, ctor: Int8Array, kind: 'i' },
  uint8: { itemSize: 1, ctor: Uint8Array, kind: 'u' },
  int16: { itemSize: 2, ctor: Int16Array, kind: 'i' },
  uint16: { itemSize: 2, ctor: Uint16Array, kind: 'u' },
  int32: { itemSize: 4, ctor: Int32Array, kind: 'i' },
  uint32: { itemSize: 4, ctor: Uint32Array, kind: 'u' },
  int64: { itemSize: 8, ctor: BigInt64Array, kind: 'i' },
  uint64: { itemSize: 8, ctor: BigUint64Array, kind: 'u' },
  bool: { itemSize: 1, ctor: Uint8Array, kind: 'b' },
};

export function isNpyDtype(value: unknown): value is NpyDtype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ELEMENT_TYPES, value);
}

/** The dtype a typed array holds by default (Uint16Array → uint16, Uint8Array → uint8). */
export function inferDtype(data: unknown): NpyDtype | undefined {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof BigUint64Array) return 'uint64';
  return undefined;
}

/** Checks that `data` is the typed array `dtype` is stored in, with `count` elements. */
export function checkElementData(
  type: ElementType,
  dtypeName: string,
  data: unknown,
  count: number,
  argument: string,
): NumericArray {
  if (!(data instanceof type.ctor)) {
    throw new InvalidArgumentError(argument, `dtype ${dtypeName} needs a ${type.ctor.name}, got ${describe(data)}`);
  }
  const array = data as NumericArray;
  if (array.length !== count) {
    throw new InvalidArgumentError(argument, `shape holds ${count} elements but data has ${array.length}`);
  }
  return array;
}

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value);
  return (value as object).constructor?.name ?? 'object';
}

/**
 * Elements `count` of `type` at `offset` in `bytes`: a zero-copy view when the byte order is native
 * and the offset is aligned, otherwise a (byte-swapped) copy. The caller has checked the bounds.
 */
export function decodeElements(
  bytes: Uint8Array,
  offset: number,
  count: number,
  type: ElementType,
  littleEndian: boolean,
): NumericArray {
  const start = bytes.byteOffset + offset;
  const native = littleEndian === HOST_LITTLE_ENDIAN || type.itemSize === 1;
  if (native && start % type.itemSize === 0) return new type.ctor(bytes.buffer, start, count);
  const copy = new Uint8Array(count * type.itemSize);
  copy.set(bytes.subarray(offset, offset + copy.length));
  if (!native) swapBytesInPlace(copy, type.itemSize);
  return new type.ctor(copy.buffer, 0, count);
}

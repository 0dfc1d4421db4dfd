import { CorruptFileError, InvalidArgumentError } from '@quiver/core-math';

/** Every format here stores little-endian data; on a little-endian host it can be viewed in place. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The bytes behind any typed array, without copying. */
export function byteView(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Reverses the byte order of every `itemSize`-byte element, in place. */
export function swapBytesInPlace(bytes: Uint8Array, itemSize: number): void {
  if (itemSize === 1) return;
  for (let i = 0; i + itemSize <= bytes.length; i += itemSize) {
    for (let a = i, b = i + itemSize - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/**
 * Little-endian bytes of `array`: the array's own memory on a little-endian host (no copy),
 * a byte-swapped copy otherwise.
 */
export function littleEndianBytes(array: ArrayBufferView & { BYTES_PER_ELEMENT: number }): Uint8Array {
  const view = byteView(array);
  if (HOST_LITTLE_ENDIAN || array.BYTES_PER_ELEMENT === 1) return view;
  const copy = view.slice();
  swapBytesInPlace(copy, array.BYTES_PER_ELEMENT);
  return copy;
}

/**
 * Product of `dims`, checked to stay a safe integer (and, times `itemSize`, a safe byte count).
 * `context` names what is being measured in the error.
 */
export function checkedByteLength(dims: readonly number[], itemSize: number, context: string): number {
  let count = 1;
  for (const d of dims) {
    count *= d;
    if (!Number.isSafeInteger(count * itemSize)) {
      throw new CorruptFileError('limit', `${context}: shape ${formatShape(dims)} overflows the addressable size`);
    }
  }
  return count * itemSize;
}

export function formatShape(shape: readonly number[]): string {
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}

/** Validates a caller-supplied shape: safe non-negative integers. Returns the element count. */
export function checkShapeArgument(shape: unknown, argument = 'shape'): number {
  if (!Array.isArray(shape)) throw new InvalidArgumentError(argument, 'must be an array of non-negative integers');
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || (d as number) < 0) {
      throw new InvalidArgumentError(argument, `dimensions must be non-negative integers, got ${String(d)}`);
    }
    count *= d as number;
    if (!Number.isSafeInteger(count)) throw new InvalidArgumentError(argument, 'element count overflows');
  }
  return count;
}

/** Little-endian reads with an explicit bounds check that turns into a CorruptFileError. */
export class ByteReader {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    private readonly context: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  require(offset: number, length: number, what: string): void {
    if (offset < 0 || length < 0 || offset + length > this.bytes.length) {
      throw new CorruptFileError(
        'truncated',
        `${this.context}: ${what} needs bytes ${offset}..${offset + length}, but only ${this.bytes.length} are present`,
      );
    }
  }

  u16(offset: number, what: string): number {
    this.require(offset, 2, what);
    return this.view.getUint16(offset, true);
  }

  u32(offset: number, what: string): number {
    this.require(offset, 4, what);
    return this.view.getUint32(offset, true);
  }

  i32(offset: number, what: string): number {
    this.require(offset, 4, what);
    return this.view.getInt32(offset, true);
  }

  /** An unsigned 64-bit value; anything beyond 2^53 is refused as a 'limit' corruption. */
  u64(offset: number, what: string): number {
    this.require(offset, 8, what);
    const lo = this.view.getUint32(offset, true);
    const hi = this.view.getUint32(offset + 4, true);
    if (hi >= 0x200000) throw new CorruptFileError('limit', `${this.context}: ${what} exceeds 2^53`);
    return hi * 0x100000000 + lo;
  }

  slice(offset: number, length: number, what: string): Uint8Array {
    this.require(offset, length, what);
    return this.bytes.subarray(offset, offset + length);
  }
}

/**
 * Validates that the argument is a Uint8Array and returns a plain one over the same memory: a Node
 * Buffer's `slice` shares memory instead of copying, so parsers never work on Buffers directly.
 */
export function checkBytes(bytes: unknown, argument = 'bytes'): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError(argument, 'must be a Uint8Array');
  if (bytes.constructor === Uint8Array) return bytes;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

import { DuplicateIdError, InvalidArgumentError } from '@quiver/core-math';

/**
 * The neutral content of a turbovec index file (turbovec 1.0, RyanCodrai/turbovec), independent
 * of which container it came from or goes to. The quantizer that produced the codes is not
 * needed to read or write it.
 */
export interface TurbovecParts {
  /** Vector dimension: a multiple of 8 up to 16,384, or 0 for turbovec's "lazy" sentinel (an index that never committed a dimension; only legal with count 0). */
  readonly dim: number;
  /** Bits per coordinate: 2, 3 or 4. */
  readonly bitWidth: number;
  /** Number of stored vectors (slots 0..count-1). */
  readonly count: number;
  /**
   * Row-major bit-plane codes, `count * bitWidth * dim / 8` bytes: turbovec's `packed_codes()`.
   * Each row holds `bitWidth` planes of `dim / 8` bytes; plane p carries bit p of each
   * coordinate's code, coordinate j at byte j / 8, bit 7 - j % 8 (most significant bit first).
   */
  readonly packedCodes: Uint8Array;
  /**
   * One float32 per row: turbovec's per-vector scale, ||v|| / <rotated unit v, its reconstruction>
   * (0 for a vector with no representable direction). turbovec ≤ 0.4.3 and the simple layout of its
   * API reference call this column "norms"; since 0.4.4 it holds this length-renormalized scale.
   */
  readonly scales: Float32Array;
  /** TQ+ per-coordinate calibration (`tqplus_shift`, `tqplus_scale`), `dim` values each; absent = uncalibrated. */
  readonly calibration?: { readonly shift: Float32Array; readonly scale: Float32Array } | undefined;
  /**
   * The Lloyd-Max codebook the codes index: `2^bitWidth - 1` boundaries and `2^bitWidth`
   * centroids, a pure function of (bitWidth, dim). v6 and v7 files embed it; required to write
   * them when dim > 0. Readers return the embedded copy unchecked against the canonical solve
   * (this package does not solve it): the quantizer must compare it with its own.
   */
  readonly codebook?: { readonly boundaries: Float32Array; readonly centroids: Float32Array } | undefined;
  /** `.tvim` / id-mapped files: slot -> external u64 id, `count` distinct values. */
  readonly ids?: BigUint64Array | undefined;
  /** What the container recorded beyond the index itself; filled by the readers, ignored by the writers. */
  readonly origin?: TurbovecOrigin | undefined;
}

export type TurbovecFormat = 'v5' | 'v6' | 'v7' | 'simple';

/** Container facts a reader reports. */
export interface TurbovecOrigin {
  readonly format: TurbovecFormat;
  /** v7 only: the container revision (2 for turbovec 1.0; 1 from builds before its unclaimed-nonce change). */
  readonly revision?: number;
  /** v7 only: the superblock nonce, 0 for an unclaimed snapshot (`write`/`to_bytes`), random for a file some index `sync`s. */
  readonly nonce?: bigint;
  /** v7 only: the generation of the commit header that was adopted (0 for a snapshot). */
  readonly generation?: bigint;
  /** v7 only: slots whose redo ops ride the adopted header, not yet materialized into their block. */
  readonly pendingSlots?: Uint32Array;
  /** v7 only: true when the newest header was rejected (torn or incomplete sync) and the previous commit was loaded. */
  readonly fellBack?: boolean;
}

export const TURBOVEC_MAX_DIM = 16384;
/** Rows per SIMD block, the unit v6/v7 lay codes out in. */
export const TURBOVEC_BLOCK = 32;
/** Largest per-vector scale turbovec's loaders accept (f32 1e22). */
export const MAX_VECTOR_SCALE = Math.fround(1e22);
const MAX_INPUT_MAGNITUDE = Math.fround(1e16);
const F32_MAX = 3.4028234663852886e38;

/** turbovec's lower bound on a TQ+ scale for a calibration of `dim` coordinates (f32 arithmetic, as in io.rs). */
export function minTqplusScale(dim: number): number {
  const need = Math.fround(Math.fround(Math.fround(Math.max(dim, 1)) * MAX_INPUT_MAGNITUDE) / F32_MAX);
  return Math.fround(need * 10);
}

/** turbovec's upper bound on |TQ+ shift| for a calibration of `dim` coordinates. */
export function maxTqplusShift(dim: number): number {
  const cap = Math.fround(F32_MAX / Math.fround(Math.fround(Math.max(dim, 1)) * MAX_INPUT_MAGNITUDE));
  return Math.fround(cap / 10);
}

/** Index of the first calibration value turbovec would refuse, with what is wrong, or undefined. */
export function calibrationProblem(shift: Float32Array, scale: Float32Array): string | undefined {
  const maxShift = maxTqplusShift(shift.length);
  for (let i = 0; i < shift.length; i++) {
    const v = shift[i]!;
    if (!Number.isFinite(v) || Math.abs(v) > maxShift) return `TQ+ shift ${v} at coordinate ${i} is not finite or exceeds ${maxShift}`;
  }
  const minScale = minTqplusScale(scale.length);
  for (let i = 0; i < scale.length; i++) {
    const v = scale[i]!;
    if (!Number.isFinite(v) || v < minScale) return `TQ+ scale ${v} at coordinate ${i} is not finite or below ${minScale}`;
  }
  return undefined;
}

/** True when a stored per-vector scale is one turbovec's loaders accept. */
export function isValidScale(v: number): boolean {
  return Number.isFinite(v) && v >= 0 && v <= MAX_VECTOR_SCALE;
}

export function levelCount(bitWidth: number): number {
  return 1 << bitWidth;
}

/** Bytes of one packed (bit-plane) row. */
export function packedRowBytes(dim: number, bitWidth: number): number {
  return (dim * bitWidth) / 8;
}

/**
 * Bytes of one row in the sequential layout: one byte per group of `8 / bitWidth` codes (integer
 * division), so 3-bit codes take 4-bit fields and a row is dim / 2 bytes, not 3 * dim / 8.
 */
export function seqRowBytes(dim: number, bitWidth: number): number {
  return dim / Math.floor(8 / bitWidth);
}

const CONTEXT = '[@quiver/io-formats] turbovec';

function fail(argument: string, message: string): never {
  throw new InvalidArgumentError(argument, `${CONTEXT}: ${message}`);
}

export interface PartsCheckOptions {
  /** The container needs the embedded codebook (v6/v7 with dim > 0). */
  readonly needCodebook: boolean;
  /** The container stores ids. */
  readonly needIds: boolean;
}

/** Validates caller-supplied parts against every invariant turbovec's writers and loaders enforce. */
export function checkTurbovecParts(parts: TurbovecParts, options: PartsCheckOptions): void {
  if (typeof parts !== 'object' || parts === null) fail('parts', 'must be an object');
  const { dim, bitWidth, count } = parts;
  if (!Number.isInteger(bitWidth) || bitWidth < 2 || bitWidth > 4) fail('parts.bitWidth', `must be 2, 3 or 4, got ${bitWidth}`);
  if (!Number.isInteger(dim) || dim < 0 || dim % 8 !== 0 || dim > TURBOVEC_MAX_DIM) {
    fail('parts.dim', `must be 0 or a multiple of 8 up to ${TURBOVEC_MAX_DIM}, got ${dim}`);
  }
  if (!Number.isSafeInteger(count) || count < 0) fail('parts.count', `must be a non-negative integer, got ${count}`);
  if (dim === 0 && count !== 0) fail('parts.count', 'dim 0 (no committed dimension) cannot hold rows');
  if (!(parts.packedCodes instanceof Uint8Array)) fail('parts.packedCodes', 'must be a Uint8Array');
  const codeBytes = count * packedRowBytes(dim, bitWidth);
  if (parts.packedCodes.length !== codeBytes) fail('parts.packedCodes', `has ${parts.packedCodes.length} bytes, ${count} rows need ${codeBytes}`);
  if (!(parts.scales instanceof Float32Array) || parts.scales.length !== count) fail('parts.scales', `must be a Float32Array of ${count} values`);
  for (let i = 0; i < count; i++) {
    if (!isValidScale(parts.scales[i]!)) fail('parts.scales', `scale ${parts.scales[i]} at row ${i} is not finite, negative or above ${MAX_VECTOR_SCALE}`);
  }
  const cal = parts.calibration;
  if (cal !== undefined) {
    if (!(cal.shift instanceof Float32Array) || !(cal.scale instanceof Float32Array) || cal.shift.length !== dim || cal.scale.length !== dim || dim === 0) {
      fail('parts.calibration', `shift and scale must be Float32Arrays of dim (${dim}) values`);
    }
    const problem = calibrationProblem(cal.shift, cal.scale);
    if (problem !== undefined) fail('parts.calibration', problem);
  }
  if (options.needCodebook && dim > 0) {
    const cb = parts.codebook;
    const levels = levelCount(bitWidth);
    if (cb === undefined) fail('parts.codebook', 'is required to write a v7 file (turbovec embeds it)');
    if (!(cb.boundaries instanceof Float32Array) || cb.boundaries.length !== levels - 1) fail('parts.codebook', `needs ${levels - 1} boundaries`);
    if (!(cb.centroids instanceof Float32Array) || cb.centroids.length !== levels) fail('parts.codebook', `needs ${levels} centroids`);
  }
  if (options.needIds) {
    const ids = parts.ids;
    if (!(ids instanceof BigUint64Array) || ids.length !== count) fail('parts.ids', `must be a BigUint64Array of ${count} ids`);
    const duplicate = firstDuplicateId(ids);
    if (duplicate !== undefined) throw new DuplicateIdError(duplicate);
  }
}

/** The first id that occurs twice, or undefined. O(n log n) on a copy. */
export function firstDuplicateId(ids: BigUint64Array): bigint | undefined {
  const sorted = ids.slice().sort();
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) return sorted[i];
  return undefined;
}

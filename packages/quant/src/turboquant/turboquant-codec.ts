import { DimensionMismatchError, InvalidArgumentError, getKernels, type Kernels } from '@quiver/core-math';
import { unpackRowAt } from './bit-packing.js';
import {
  MAX_COORDINATE_MAGNITUDE,
  TQPLUS_MIN_CALIBRATION_ROWS,
  checkCalibration,
  fitCalibrationFromRotated,
  type TurboQuantCalibration,
} from './calibration.js';
import { CodecWorkspace } from './codec-workspace.js';
import { lloydMaxCodebook } from './codebook.js';
import { TurboQuantRotation } from './rotation.js';

/**
 * TurboQuant codes, byte-identical to turbovec 1.0 for its bit widths (2, 3, 4) and its dimensions
 * (multiples of 8 up to 16,384).
 *
 * ## Encoding one vector v (turbovec's `encode.rs`)
 * 1. `‖v‖` in f32 with a frozen order: `c[j % 8] += v[j] * v[j]` (separate multiply and add), then
 *    `((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7))`, then `sqrt`.
 * 2. `inv = ‖v‖ > 1e-10 ? 1 / ‖v‖ : 0` (f32); `u = rotate(v)` with `inv` applied in the first gather.
 * 3. With a calibration, `x[d] = (u[d] + shift[d]) * scale[d]` (f32); else `x = u`.
 * 4. `code[d]` = number of boundaries strictly below `x[d]`.
 * 5. `inner = Σ_d u[d] · (centroid[code[d]] · (1/scale[d]) − shift[d])` in f64, term d added to chain
 *    `d % 4`, combined `(c0 + c1) + (c2 + c3)`; `1/scale[d]` is an f32 reciprocal.
 * 6. Stored scale `= inner > 0.1 ? ‖v‖ / f32(inner) : 0` (f32). A zero or degenerate vector scores 0.
 * 7. Codes are packed as bit planes (see `bit-packing.ts`).
 * Steps 1-7 run in one call of core-math's `turboQuantEncodeRows` kernel per chunk of rows
 * (WebAssembly SIMD or its bit-identical TypeScript twin, per the codec's `kernels`); the rows are
 * staged in the kernels' arena (see `codec-workspace.ts`).
 *
 * ## Scoring (turbovec's search): the estimator a scan must reproduce
 * For a query q: `qr = rotate(q)` (unscaled, not normalized), `qc[d] = qr[d] / scale[d]` (f32
 * division) and `bias = f32(−Σ_d f64(qr[d]) · f64(shift[d]))` summed in order; without calibration
 * `qc = qr`, `bias = 0` (see `prepareQueryWithBias`). Then for stored row i
 *
 *     score_i = storedScale_i · ( Σ_d qc[d] · centroid[code_i[d]] + bias )  ≈ ⟨v_i, q⟩
 *
 * turbovec evaluates the sum with u8 lookup tables: per byte-group of 8/bits coordinates, two
 * nibble sub-tables (`4/bits` coordinates each) of f32 sums `Σ qc·centroid` (in code order), each
 * sub-table shifted by its own minimum (the minima are summed into the bias), all quantized with
 * one `scale = maxSpan / maxLut` as `round((v − min) / scale)` clamped to `[0, maxLut]` (maxLut =
 * 127 on ARM; on x86 `floor(65535 / (2 · nByteGroups))` capped at 127). The score is then
 * `storedScale_i · (lutScale · Σ lut + lutBias + bias)`. `score()` here is the exact (float)
 * estimator without that table quantization.
 *
 * ## Extensions beyond turbovec
 * - Bit widths 1 and 8: the same Lloyd-Max construction with 2 and 256 levels and the same packing
 *   (1 or 8 bit planes). No turbovec golden exists for them.
 * - Dimensions that are not multiples of 8: each vector is zero-padded to `paddedDim`, the next
 *   multiple of 8, before anything else. The rotation, codebook (Beta((paddedDim−1)/2)),
 *   calibration and codes are those of `paddedDim`; norms and inner products are unchanged by the
 *   zero tail, and the rotation spreads every input coordinate over all `paddedDim` outputs, so the
 *   padded coordinates carry real code bits. Queries are padded the same way; `decode` drops the tail.
 */

/** Largest padded dimension (turbovec's `MAX_DIM`). */
export const TURBOQUANT_MAX_DIM = 16384;
export const TURBOQUANT_BIT_WIDTHS: readonly number[] = Object.freeze([1, 2, 3, 4, 8]);
export type TurboQuantBitWidth = 1 | 2 | 3 | 4 | 8;

export interface TurboQuantCodecOptions {
  readonly dim: number;
  readonly bitWidth: TurboQuantBitWidth;
  /** The kernels (and so the arena) encoding and rotation run on; default `getKernels()`. */
  readonly kernels?: Kernels;
}

export interface EncodedRows {
  codes: Uint8Array;
  scales: Float32Array;
}

/** A query prepared for scoring: the calibrated rotated query and its additive bias. */
export interface PreparedQuery {
  readonly query: Float32Array;
  readonly bias: number;
}

const rotations = new Map<number, TurboQuantRotation>();

function rotationFor(dim: number): TurboQuantRotation {
  let rotation = rotations.get(dim);
  if (rotation === undefined) {
    rotation = new TurboQuantRotation(dim);
    rotations.set(dim, rotation);
  }
  return rotation;
}

export class TurboQuantCodec {
  readonly dim: number;
  readonly paddedDim: number;
  readonly bitWidth: number;
  readonly bytesPerRow: number;
  readonly centroids: Float32Array;
  readonly boundaries: Float32Array;

  private readonly rotation: TurboQuantRotation;
  private readonly centroids64: Float64Array;
  private currentCalibration: TurboQuantCalibration | undefined;
  /** Per-coordinate f64 copies of `shift` and `1/scale` (an f32 reciprocal); identity when uncalibrated. */
  private readonly shift64: Float64Array;
  private readonly invScale64: Float64Array;
  private readonly workspace: CodecWorkspace;
  private readonly rowCodes: Uint8Array;

  constructor(options: TurboQuantCodecOptions) {
    const { dim, bitWidth, kernels = getKernels() } = options ?? ({} as TurboQuantCodecOptions);
    if (!Number.isSafeInteger(dim) || dim <= 0) throw new InvalidArgumentError('dim', `must be a positive integer, got ${dim}`);
    const paddedDim = Math.ceil(dim / 8) * 8;
    if (paddedDim > TURBOQUANT_MAX_DIM) {
      throw new InvalidArgumentError('dim', `must be at most ${TURBOQUANT_MAX_DIM} (after padding to a multiple of 8), got ${dim}`);
    }
    if (!TURBOQUANT_BIT_WIDTHS.includes(bitWidth)) {
      throw new InvalidArgumentError('bitWidth', `must be one of ${TURBOQUANT_BIT_WIDTHS.join(', ')}, got ${bitWidth}`);
    }
    this.dim = dim;
    this.paddedDim = paddedDim;
    this.bitWidth = bitWidth;
    this.bytesPerRow = (bitWidth * paddedDim) / 8;
    const codebook = lloydMaxCodebook(bitWidth, paddedDim);
    this.centroids = codebook.centroids.slice();
    this.boundaries = codebook.boundaries.slice();
    this.centroids64 = Float64Array.from(this.centroids);
    this.rotation = rotationFor(paddedDim);
    this.shift64 = new Float64Array(paddedDim);
    this.invScale64 = new Float64Array(paddedDim).fill(1);
    this.rowCodes = new Uint8Array(paddedDim);
    this.workspace = new CodecWorkspace(kernels, this.rotation, dim, bitWidth, this.boundaries, this.centroids);
  }

  /**
   * The committed calibration, or `undefined` for identity. Reading returns a copy and assigning
   * validates and copies, so an exported calibration can be stored, sent and imported elsewhere.
   */
  get calibration(): TurboQuantCalibration | undefined {
    const current = this.currentCalibration;
    return current === undefined ? undefined : { shift: current.shift.slice(), scale: current.scale.slice() };
  }

  set calibration(calibration: TurboQuantCalibration | undefined) {
    if (calibration === undefined) {
      this.currentCalibration = undefined;
      this.shift64.fill(0);
      this.invScale64.fill(1);
      this.workspace.setCalibration(undefined, undefined);
      return;
    }
    const checked = checkCalibration(calibration, this.paddedDim);
    this.currentCalibration = checked;
    for (let d = 0; d < this.paddedDim; d++) {
      this.shift64[d] = checked.shift[d]!;
      this.invScale64[d] = Math.fround(1 / checked.scale[d]!);
    }
    this.workspace.setCalibration(checked.shift, checked.scale);
  }

  /**
   * Fits turbovec's TQ+ calibration on `sample` (n × dim, n ≥ 2; every row is used, so pass a random
   * draw, ~1000 rows), commits it to this codec and returns it. Codes encoded before the call were
   * encoded under the previous calibration.
   */
  fitCalibration(sample: Float32Array): TurboQuantCalibration {
    const n = this.checkRows(sample, 'sample');
    if (n < TQPLUS_MIN_CALIBRATION_ROWS) {
      throw new InvalidArgumentError('sample', `needs at least ${TQPLUS_MIN_CALIBRATION_ROWS} rows, got ${n}`);
    }
    const rotated = new Float32Array(n * this.paddedDim);
    this.workspace.rotate(sample, n, true, rotated, 0);
    this.calibration = fitCalibrationFromRotated(rotated, n, this.paddedDim, this.centroids);
    return this.calibration!;
  }

  /** Rotates rows (n × dim) without normalizing them: the transform queries go through. n × paddedDim out. */
  rotate(vectors: Float32Array, out?: Float32Array): Float32Array {
    const n = this.checkRows(vectors, 'vectors');
    const result = this.outputArray(out, n * this.paddedDim, 'out');
    this.workspace.rotate(vectors, n, false, result, 0);
    return result;
  }

  /** Encodes n rows (n × dim): packed codes (n × bytesPerRow, turbovec's layout) and per-vector scales. */
  encode(vectors: Float32Array, out?: EncodedRows): EncodedRows {
    const n = this.checkShape(vectors, 'vectors'); // encodeInto checks the values
    const codes = out?.codes ?? new Uint8Array(n * this.bytesPerRow);
    const scales = out?.scales ?? new Float32Array(n);
    this.encodeInto(vectors, codes, 0, scales, 0);
    return { codes, scales };
  }

  /**
   * Encodes n rows straight into caller-owned storage (e.g. an arena region): row i's codes land
   * at `codes[codesOffset + i * bytesPerRow]`, its scale at `scales[scalesOffset + i]`. Returns n.
   * The values are checked as they are encoded: a NaN, infinite or |v| ≥ 1e16 value throws
   * `InvalidArgumentError`, and then rows before the offending one may already be written (a
   * single row never is). Encoding one row allocates nothing.
   */
  encodeInto(vectors: Float32Array, codes: Uint8Array, codesOffset: number, scales: Float32Array, scalesOffset: number): number {
    const n = this.checkShape(vectors, 'vectors');
    if (!(codes instanceof Uint8Array) || codesOffset < 0 || codesOffset + n * this.bytesPerRow > codes.length) {
      throw new InvalidArgumentError('codes', `needs room for ${n * this.bytesPerRow} bytes at offset ${codesOffset}`);
    }
    if (!(scales instanceof Float32Array) || scalesOffset < 0 || scalesOffset + n > scales.length) {
      throw new InvalidArgumentError('scales', `needs room for ${n} values at offset ${scalesOffset}`);
    }
    const invalid = this.workspace.encode(vectors, n, codes, codesOffset, scales, scalesOffset);
    if (invalid < n) this.checkValues(vectors.subarray(invalid * this.dim, (invalid + 1) * this.dim), 'vectors', invalid);
    return n;
  }

  /** Per-coordinate code indices (paddedDim of them) of packed row `row` of `codes`. */
  unpackRow(codes: Uint8Array, row: number, out?: Uint8Array): Uint8Array {
    const result = out ?? new Uint8Array(this.paddedDim);
    if (result.length < this.paddedDim) throw new InvalidArgumentError('out', `must hold ${this.paddedDim} codes`);
    this.checkRowIndex(codes, row);
    unpackRowAt(codes, row * this.bytesPerRow, this.paddedDim, this.bitWidth, result);
    return result;
  }

  /**
   * Approximate reconstruction of stored rows in the original space (n × dim): row i is
   * `scale_i · R⁻¹ x̂_i` with `x̂_i[d] = centroid[code] / scale[d] − shift[d]`, the vector the scoring
   * estimator takes inner products with.
   */
  decode(codes: Uint8Array, scales: Float32Array, out?: Float32Array): Float32Array {
    if (!(scales instanceof Float32Array)) throw new InvalidArgumentError('scales', 'must be a Float32Array');
    const n = scales.length;
    if (!(codes instanceof Uint8Array) || codes.length < n * this.bytesPerRow) {
      throw new InvalidArgumentError('codes', `must hold ${n} rows of ${this.bytesPerRow} bytes`);
    }
    const result = this.outputArray(out, n * this.dim, 'out');
    const reconstruction = new Float32Array(this.paddedDim);
    const original = new Float32Array(this.paddedDim);
    for (let i = 0; i < n; i++) {
      unpackRowAt(codes, i * this.bytesPerRow, this.paddedDim, this.bitWidth, this.rowCodes);
      const scale = scales[i]!;
      for (let d = 0; d < this.paddedDim; d++) {
        reconstruction[d] = scale * (this.centroids64[this.rowCodes[d]!]! * this.invScale64[d]! - this.shift64[d]!);
      }
      this.rotation.inverseInto(reconstruction, 0, original, 0);
      result.set(original.subarray(0, this.dim), i * this.dim);
    }
    return result;
  }

  /** The rotated query, calibrated as turbovec's search does (`qr[d] / scale[d]`); paddedDim values. */
  prepareQuery(query: Float32Array, out?: Float32Array): Float32Array {
    return this.prepareQueryWithBias(query, out).query;
  }

  /** `prepareQuery` plus the additive bias `f32(−Σ qr[d] · shift[d])` the estimator needs (0 uncalibrated). */
  prepareQueryWithBias(query: Float32Array, out?: Float32Array): PreparedQuery {
    const n = this.checkRows(query, 'query');
    if (n !== 1) throw new DimensionMismatchError(this.dim, query.length, 'query');
    const result = this.outputArray(out, this.paddedDim, 'out');
    this.workspace.rotate(query, 1, false, result, 0);
    const calibration = this.currentCalibration;
    if (calibration === undefined) return { query: result, bias: 0 };
    let bias = 0;
    for (let d = 0; d < this.paddedDim; d++) {
      const rotated = result[d]!;
      bias -= rotated * this.shift64[d]!;
      result[d] = rotated / calibration.scale[d]!;
    }
    return { query: result, bias: Math.fround(bias) };
  }

  /** The exact (float, no lookup-table quantization) estimate of ⟨v_row, q⟩ for a prepared query. */
  score(codes: Uint8Array, scales: Float32Array, row: number, prepared: PreparedQuery): number {
    this.checkRowIndex(codes, row);
    unpackRowAt(codes, row * this.bytesPerRow, this.paddedDim, this.bitWidth, this.rowCodes);
    let sum = 0;
    for (let d = 0; d < this.paddedDim; d++) sum += prepared.query[d]! * this.centroids64[this.rowCodes[d]!]!;
    return scales[row]! * (sum + prepared.bias);
  }

  /** Validates a row-major batch: non-empty, a multiple of dim, every value finite and below 1e16. */
  private checkRows(vectors: Float32Array, argument: string): number {
    const n = this.checkShape(vectors, argument);
    this.checkValues(vectors, argument, 0);
    return n;
  }

  /** Validates a batch's shape (non-empty, a multiple of dim) and returns its row count. */
  private checkShape(vectors: Float32Array, argument: string): number {
    if (!(vectors instanceof Float32Array)) throw new InvalidArgumentError(argument, `must be a Float32Array of n × ${this.dim} values`);
    if (vectors.length === 0) throw new InvalidArgumentError(argument, 'must not be empty');
    if (vectors.length % this.dim !== 0) {
      throw new DimensionMismatchError(this.dim, vectors.length, `${argument} (length is not a multiple of the dimension)`);
    }
    return vectors.length / this.dim;
  }

  /** Throws on the first value that is not finite or reaches 1e16 in magnitude; `firstRow` numbers the rows in the message. */
  private checkValues(values: Float32Array, argument: string, firstRow: number): void {
    for (let i = 0; i < values.length; i++) {
      if (!(Math.abs(values[i]!) < MAX_COORDINATE_MAGNITUDE)) {
        throw new InvalidArgumentError(
          argument,
          `value ${values[i]} at row ${firstRow + Math.floor(i / this.dim)}, column ${i % this.dim} is not finite or exceeds 1e16 in magnitude`,
        );
      }
    }
  }

  private checkRowIndex(codes: Uint8Array, row: number): void {
    if (!(codes instanceof Uint8Array)) throw new InvalidArgumentError('codes', 'must be a Uint8Array');
    if (!Number.isSafeInteger(row) || row < 0 || (row + 1) * this.bytesPerRow > codes.length) {
      throw new InvalidArgumentError('row', `must index a packed row of codes (length ${codes.length}), got ${row}`);
    }
  }

  private outputArray(out: Float32Array | undefined, length: number, argument: string): Float32Array {
    if (out === undefined) return new Float32Array(length);
    if (!(out instanceof Float32Array) || out.length < length) {
      throw new InvalidArgumentError(argument, `must be a Float32Array of at least ${length} values`);
    }
    return out;
  }
}

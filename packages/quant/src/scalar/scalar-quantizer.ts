import {
  DimensionMismatchError,
  InvalidArgumentError,
  NotTrainedError,
  checkBatch,
  checkDim,
  checkFinite,
  getKernels,
  type KernelChoice,
  type Kernels,
  type Quantizer,
  type SearchResult,
  type SlotFilter,
} from '@quiver/core-math';
import { checkCodes, scanCodeRows, searchCodeRows, type BatchCodeKernel } from './code-scan.js';

/**
 * `int8`: symmetric codes, x_j ≈ scale_j · c_j with c_j ∈ [-127, 127] (-128 is never produced, so
 * negation is exact and the int8 kernels never see the asymmetric end of the range).
 * `uint8`: affine codes, x_j ≈ min_j + step_j · c_j with c_j ∈ [0, 255].
 */
export type ScalarCodeType = 'int8' | 'uint8';

export interface ScalarQuantizerOptions {
  readonly dim: number;
  readonly type: ScalarCodeType;
  /** One scale (and offset) per dimension (default), or one for all dimensions. */
  readonly perDimension?: boolean;
  /** Kernel backend for `search` / `dotScores`: `auto` (default), `wasm` or `js`. */
  readonly kernels?: KernelChoice;
}

/** The trained state, for persistence by the index that owns the codes. */
export interface ScalarQuantizerParameters {
  readonly dim: number;
  readonly type: ScalarCodeType;
  readonly perDimension: boolean;
  /** Per dimension (length dim; all equal when not per dimension): int8 scale_j, uint8 step_j. */
  readonly scales: Float32Array;
  /** Per dimension: uint8 min_j; all zero for int8. */
  readonly offsets: Float32Array;
}

/**
 * int8 codes stay exact in the int32 accumulators of `dotI8` while 127 · 127 · dim < 2^31, uint8
 * codes in those of `dotU8` while 255 · 255 · dim < 2^31.
 */
export const MAX_SCALAR_DIM: Readonly<Record<ScalarCodeType, number>> = { int8: 133_143, uint8: 33_025 };

const INT8_MAX = 127;
const UINT8_MAX = 255;

/**
 * Scalar quantization to one byte per coordinate, trained on a sample.
 *
 * Training fits, per dimension (or once over all values when `perDimension` is false):
 * - `int8`: scale_j = max_i |x_ij| / 127 over the sample;
 * - `uint8`: min_j and step_j = (max_j − min_j) / 255.
 * Encoding rounds to the nearest level (halves away from zero) and clamps to the code range.
 *
 * Error bounds (the tests check them): for a value inside the trained range, the decoded value is
 * within half a level, |x_j − x̂_j| ≤ scale_j / 2 (int8) or step_j / 2 (uint8), so
 * ‖x − x̂‖₂ ≤ ½ ‖scale‖₂ and |q · x − q · x̂| ≤ ½ Σ_j |q_j| scale_j for any query q. A value outside
 * the trained range is clamped to the nearest end (error = its distance to that end, plus nothing
 * else). A dimension with no spread in the sample (scale 0) decodes to its single trained value.
 * The bounds hold in exact arithmetic; float32 rounding of the decoded value adds at most one ulp.
 *
 * Search scores (`dotScores`, `search`) are the inner product of the float query with the decoded
 * codes, computed by the integer kernels on a quantized query: w_j = q_j · scale_j is rounded to
 * int8 (uint8 codes: its positive and negative parts to uint8 each) with the scale
 * α = 127 / max_j |w_j| (255 / ... for uint8), so the estimate differs from q · x̂ by at most
 * Σ_j |c_j| / (2α) ≤ dim · 127 / (2α) (int8) or dim · 255 / α (uint8).
 */
export class ScalarQuantizer implements Quantizer {
  readonly dim: number;
  readonly type: ScalarCodeType;
  readonly perDimension: boolean;
  readonly codeSize: number;
  private readonly kernels: Kernels;
  private scales: Float32Array | undefined;
  private offsets: Float32Array | undefined;

  constructor(options: ScalarQuantizerOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object with dim and type');
    const { type } = options;
    if (type !== 'int8' && type !== 'uint8') throw new InvalidArgumentError('type', `must be 'int8' or 'uint8', got ${String(type)}`);
    this.dim = checkDim(options.dim);
    if (this.dim > MAX_SCALAR_DIM[type]) {
      throw new InvalidArgumentError('dim', `${type} codes support at most ${MAX_SCALAR_DIM[type]} dimensions (exact int32 dot products), got ${this.dim}`);
    }
    const perDimension = options.perDimension ?? true;
    if (typeof perDimension !== 'boolean') throw new InvalidArgumentError('perDimension', 'must be a boolean');
    this.type = type;
    this.perDimension = perDimension;
    this.codeSize = this.dim;
    this.kernels = getKernels(options.kernels ?? 'auto');
  }

  /** Rebuilds a trained quantizer from `parameters()`. */
  static fromParameters(parameters: ScalarQuantizerParameters, kernels?: KernelChoice): ScalarQuantizer {
    if (parameters === null || typeof parameters !== 'object') throw new InvalidArgumentError('parameters', 'must be an object');
    const quantizer = new ScalarQuantizer({
      dim: parameters.dim,
      type: parameters.type,
      perDimension: parameters.perDimension,
      ...(kernels ? { kernels } : {}),
    });
    const { scales, offsets } = parameters;
    for (const [name, values] of [
      ['scales', scales],
      ['offsets', offsets],
    ] as const) {
      if (!(values instanceof Float32Array)) throw new InvalidArgumentError(name, 'must be a Float32Array');
      if (values.length !== quantizer.dim) throw new DimensionMismatchError(quantizer.dim, values.length, name);
      checkFinite(values, name);
    }
    if (scales.some((s) => s < 0)) throw new InvalidArgumentError('scales', 'must be non-negative');
    if (parameters.type === 'int8' && offsets.some((o) => o !== 0)) throw new InvalidArgumentError('offsets', 'must be zero for int8 codes');
    quantizer.scales = scales.slice();
    quantizer.offsets = offsets.slice();
    return quantizer;
  }

  get isTrained(): boolean {
    return this.scales !== undefined;
  }

  /** The trained state (copies). */
  parameters(): ScalarQuantizerParameters {
    const { scales, offsets } = this.trained('parameters');
    return { dim: this.dim, type: this.type, perDimension: this.perDimension, scales: scales.slice(), offsets: offsets.slice() };
  }

  /** Fits the scales (and uint8 offsets) on `sample` (`n × dim`, n ≥ 1, finite). Retraining replaces them. */
  train(sample: Float32Array): void {
    const n = checkBatch(sample, this.dim, 'sample');
    const { dim } = this;
    const lo = new Float64Array(dim).fill(Infinity);
    const hi = new Float64Array(dim).fill(-Infinity);
    for (let i = 0; i < n; i++) {
      const base = i * dim;
      for (let j = 0; j < dim; j++) {
        const v = sample[base + j]!;
        if (v < lo[j]!) lo[j] = v;
        if (v > hi[j]!) hi[j] = v;
      }
    }
    if (!this.perDimension) {
      const allLo = Math.min(...lo);
      const allHi = Math.max(...hi);
      lo.fill(allLo);
      hi.fill(allHi);
    }
    const scales = new Float32Array(dim);
    const offsets = new Float32Array(dim);
    for (let j = 0; j < dim; j++) {
      if (this.type === 'int8') {
        scales[j] = Math.max(Math.abs(lo[j]!), Math.abs(hi[j]!)) / INT8_MAX;
      } else {
        offsets[j] = lo[j]!;
        // Measured from the float32 offset, so the top level reaches the sample's maximum.
        scales[j] = (hi[j]! - offsets[j]!) / UINT8_MAX;
      }
    }
    this.scales = scales;
    this.offsets = offsets;
  }

  /** Encodes `vectors` (`n × dim`, finite) into `n × dim` code bytes (int8 codes as two's complement). */
  encode(vectors: Float32Array, out?: Uint8Array): Uint8Array {
    const { scales, offsets } = this.trained('encode');
    const n = checkBatch(vectors, this.dim, 'vectors', true);
    const codes = this.output(out, n);
    const { dim } = this;
    const signed = this.type === 'int8';
    const max = signed ? INT8_MAX : UINT8_MAX;
    const min = signed ? -INT8_MAX : 0;
    for (let i = 0; i < n; i++) {
      const base = i * dim;
      for (let j = 0; j < dim; j++) {
        const scale = scales[j]!;
        let level = scale > 0 ? roundHalfAway((vectors[base + j]! - offsets[j]!) / scale) : 0;
        if (level > max) level = max;
        else if (level < min) level = min;
        codes[base + j] = level & 0xff;
      }
    }
    return codes;
  }

  /** Decodes `n × dim` code bytes into float vectors. */
  decode(codes: Uint8Array, out?: Float32Array): Float32Array {
    const { scales, offsets } = this.trained('decode');
    const n = checkCodes(codes, this.codeSize);
    const { dim } = this;
    if (out !== undefined && (!(out instanceof Float32Array) || out.length !== n * dim)) {
      throw new InvalidArgumentError('out', `must be a Float32Array of ${n * dim} values`);
    }
    const vectors = out ?? new Float32Array(n * dim);
    const levels = this.type === 'int8' ? new Int8Array(codes.buffer, codes.byteOffset, codes.length) : codes;
    for (let i = 0; i < n; i++) {
      const base = i * dim;
      for (let j = 0; j < dim; j++) vectors[base + j] = offsets[j]! + scales[j]! * levels[base + j]!;
    }
    return vectors;
  }

  /**
   * Estimated inner products q · x̂ of one query (`dim` floats) with every code row, through the
   * integer kernels (see the class comment for the error bound). `out[i]` belongs to row i.
   */
  dotScores(query: Float32Array, codes: Uint8Array, out?: Float32Array): Float32Array {
    this.trained('dotScores');
    checkBatch(query, this.dim, 'query');
    if (query.length !== this.dim) throw new DimensionMismatchError(this.dim, query.length, 'query (one vector)');
    const n = checkCodes(codes, this.codeSize);
    if (out !== undefined && (!(out instanceof Float32Array) || out.length !== n)) {
      throw new InvalidArgumentError('out', `must be a Float32Array of ${n} values`);
    }
    const scores = out ?? new Float32Array(n);
    const prepared = this.prepareQueries(query, 1);
    scanCodeRows(this.kernels, prepared.kernel, prepared.codes, codes, this.dim, (_q0, _qCount, row0, rowCount, tile) => {
      for (let i = 0; i < rowCount; i++) {
        scores[row0 + i] = prepared.score(0, tile[i]!, prepared.rowsPerQuery === 2 ? tile[rowCount + i]! : 0);
      }
    });
    return scores;
  }

  /**
   * The best `k` code rows for each query by estimated inner product (cosine: pass unit vectors),
   * query-major, ties to the lower slot, padded with slot -1 / score -Infinity. Exact search on
   * the decoded vectors ranks the same up to the query-rounding error bound above; rerank a
   * shortlist with the original vectors when exact order matters.
   */
  search(queries: Float32Array, codes: Uint8Array, k: number, options: { readonly filter?: SlotFilter } = {}): SearchResult {
    this.trained('search');
    const m = checkBatch(queries, this.dim, 'queries');
    checkCodes(codes, this.codeSize);
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object');
    const prepared = this.prepareQueries(queries, m);
    return searchCodeRows(this.kernels, prepared.kernel, prepared.codes, codes, this.dim, k, prepared.score, options.filter, prepared.rowsPerQuery);
  }

  /**
   * Quantizes queries for the integer kernels: the weights α · q_j · scale_j as one int8 row
   * (int8 codes) or as a uint8 row of the positive part and one of the negative part (uint8
   * codes), with the score map (first − second) / α + q · offset.
   */
  private prepareQueries(queries: Float32Array, m: number): PreparedQueries {
    const { scales, offsets } = this.trained('search');
    const { dim } = this;
    const signed = this.type === 'int8';
    const rowsPerQuery = signed ? 1 : 2;
    const codes = new Uint8Array(m * rowsPerQuery * dim);
    const inverseAlpha = new Float64Array(m);
    const bias = new Float64Array(m);
    for (let q = 0; q < m; q++) {
      const base = q * dim;
      let maxWeight = 0;
      let offsetDot = 0;
      for (let j = 0; j < dim; j++) {
        maxWeight = Math.max(maxWeight, Math.abs(queries[base + j]! * scales[j]!));
        offsetDot += queries[base + j]! * offsets[j]!;
      }
      bias[q] = offsetDot;
      const alpha = maxWeight > 0 ? (signed ? INT8_MAX : UINT8_MAX) / maxWeight : 0;
      inverseAlpha[q] = alpha > 0 ? 1 / alpha : 0;
      const row = q * rowsPerQuery * dim;
      for (let j = 0; j < dim; j++) {
        const w = queries[base + j]! * scales[j]! * alpha;
        if (signed) codes[row + j] = roundHalfAway(w) & 0xff;
        else if (w >= 0) codes[row + j] = roundHalfAway(w);
        else codes[row + dim + j] = roundHalfAway(-w);
      }
    }
    const kernels = this.kernels;
    const kernel: BatchCodeKernel = signed
      ? (a, b, c, d, e, f) => kernels.dotI8Batch(a, b, c, d, e, f)
      : (a, b, c, d, e, f) => kernels.dotU8Batch(a, b, c, d, e, f);
    const score = (q: number, first: number, second: number) => Math.fround((first - second) * inverseAlpha[q]! + bias[q]!);
    return { codes, rowsPerQuery, kernel, score };
  }

  private trained(operation: string): { scales: Float32Array; offsets: Float32Array } {
    if (!this.scales || !this.offsets) throw new NotTrainedError(`ScalarQuantizer (${operation})`);
    return { scales: this.scales, offsets: this.offsets };
  }

  private output(out: Uint8Array | undefined, n: number): Uint8Array {
    if (out === undefined) return new Uint8Array(n * this.codeSize);
    if (!(out instanceof Uint8Array) || out.length !== n * this.codeSize) {
      throw new InvalidArgumentError('out', `must be a Uint8Array of ${n * this.codeSize} bytes`);
    }
    return out;
  }
}

interface PreparedQueries {
  readonly codes: Uint8Array;
  readonly rowsPerQuery: 1 | 2;
  readonly kernel: BatchCodeKernel;
  readonly score: (q: number, first: number, second: number) => number;
}

function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

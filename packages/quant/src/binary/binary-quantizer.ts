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
import { checkCodes, scanCodeRows, searchCodeRows, type BatchCodeKernel } from '../scalar/code-scan.js';

/** Where each coordinate is cut: at 0, or at its mean over the training sample. */
export type BinaryThreshold = 'zero' | 'mean';

export interface BinaryQuantizerOptions {
  readonly dim: number;
  /** `zero` (default): bit = x_j ≥ 0. `mean`: bit = x_j ≥ mean_j, which keeps the bits informative on data not centred on the origin (SIFT's values are all ≥ 0). */
  readonly threshold?: BinaryThreshold;
  /** Kernel backend for `hammingDistances` / `search`: `auto` (default), `wasm` or `js`. */
  readonly kernels?: KernelChoice;
}

/** The trained state, for persistence by the index that owns the codes. */
export interface BinaryQuantizerParameters {
  readonly dim: number;
  readonly threshold: BinaryThreshold;
  /** t_j: the cut of each dimension. */
  readonly thresholds: Float32Array;
  /** Decoded value of a 0 bit: the sample mean of x_j below t_j. */
  readonly low: Float32Array;
  /** Decoded value of a 1 bit: the sample mean of x_j at or above t_j. */
  readonly high: Float32Array;
}

/**
 * One bit per coordinate: bit j of a code is x_j ≥ t_j, packed most significant bit first (numpy's
 * `packbits` order, as txtai and `@quiver/flat` use), `ceil(dim / 8)` bytes per vector, unused
 * trailing bits 0. Codes compare by Hamming distance through core-math's `hamming` kernels.
 *
 * `train` fits t_j (0 or the sample mean) and the two reconstruction levels of each dimension,
 * the conditional means below and above t_j, which are the decoded values minimizing the squared
 * error of a 1-bit code with that cut. With the `zero` threshold, `encode` and `search` need no
 * training (the cut is known); `decode` always does.
 *
 * Bounds: a decoded coordinate is one of two levels, so |x_j − x̂_j| ≤ max(|x_j − low_j|, |x_j − high_j|);
 * there is no useful worst case. Hamming distance is a coarse ranking signal (for rotation-invariant
 * data the expected distance between sign codes grows with the angle between the vectors): use it
 * to shortlist candidates and rerank them with exact scores.
 */
export class BinaryQuantizer implements Quantizer {
  readonly dim: number;
  readonly threshold: BinaryThreshold;
  readonly codeSize: number;
  private readonly kernels: Kernels;
  private thresholds: Float32Array | undefined;
  private low: Float32Array | undefined;
  private high: Float32Array | undefined;

  constructor(options: BinaryQuantizerOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object with a dim');
    this.dim = checkDim(options.dim);
    const threshold = options.threshold ?? 'zero';
    if (threshold !== 'zero' && threshold !== 'mean') throw new InvalidArgumentError('threshold', `must be 'zero' or 'mean', got ${String(threshold)}`);
    this.threshold = threshold;
    this.codeSize = Math.ceil(this.dim / 8);
    this.kernels = getKernels(options.kernels ?? 'auto');
  }

  /** Rebuilds a trained quantizer from `parameters()`. */
  static fromParameters(parameters: BinaryQuantizerParameters, kernels?: KernelChoice): BinaryQuantizer {
    if (parameters === null || typeof parameters !== 'object') throw new InvalidArgumentError('parameters', 'must be an object');
    const quantizer = new BinaryQuantizer({ dim: parameters.dim, threshold: parameters.threshold, ...(kernels ? { kernels } : {}) });
    const { thresholds, low, high } = parameters;
    for (const [name, values] of [
      ['thresholds', thresholds],
      ['low', low],
      ['high', high],
    ] as const) {
      if (!(values instanceof Float32Array)) throw new InvalidArgumentError(name, 'must be a Float32Array');
      if (values.length !== quantizer.dim) throw new DimensionMismatchError(quantizer.dim, values.length, name);
      checkFinite(values, name);
    }
    if (parameters.threshold === 'zero' && thresholds.some((t) => t !== 0)) throw new InvalidArgumentError('thresholds', "must be zero for the 'zero' threshold");
    quantizer.thresholds = thresholds.slice();
    quantizer.low = low.slice();
    quantizer.high = high.slice();
    return quantizer;
  }

  get isTrained(): boolean {
    return this.low !== undefined;
  }

  parameters(): BinaryQuantizerParameters {
    if (!this.thresholds || !this.low || !this.high) throw new NotTrainedError('BinaryQuantizer (parameters)');
    return { dim: this.dim, threshold: this.threshold, thresholds: this.thresholds.slice(), low: this.low.slice(), high: this.high.slice() };
  }

  /** Fits the thresholds and the reconstruction levels on `sample` (`n × dim`, n ≥ 1, finite). */
  train(sample: Float32Array): void {
    const n = checkBatch(sample, this.dim, 'sample');
    const { dim } = this;
    const thresholds = new Float32Array(dim);
    if (this.threshold === 'mean') {
      const sums = new Float64Array(dim);
      for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) sums[j] += sample[i * dim + j]!;
      for (let j = 0; j < dim; j++) thresholds[j] = sums[j]! / n;
    }
    const sumLow = new Float64Array(dim);
    const sumHigh = new Float64Array(dim);
    const countHigh = new Float64Array(dim);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < dim; j++) {
        const v = sample[i * dim + j]!;
        if (v >= thresholds[j]!) {
          sumHigh[j] += v;
          countHigh[j]++;
        } else {
          sumLow[j] += v;
        }
      }
    }
    const low = new Float32Array(dim);
    const high = new Float32Array(dim);
    for (let j = 0; j < dim; j++) {
      const countLow = n - countHigh[j]!;
      // A side the sample never reached decodes to the cut itself.
      low[j] = countLow > 0 ? sumLow[j]! / countLow : thresholds[j]!;
      high[j] = countHigh[j]! > 0 ? sumHigh[j]! / countHigh[j]! : thresholds[j]!;
    }
    this.thresholds = thresholds;
    this.low = low;
    this.high = high;
  }

  /** Packs the bits of `vectors` (`n × dim`, finite) into `n × codeSize` bytes. */
  encode(vectors: Float32Array, out?: Uint8Array): Uint8Array {
    const thresholds = this.cuts('encode');
    const n = checkBatch(vectors, this.dim, 'vectors', true);
    const { dim, codeSize } = this;
    if (out !== undefined && (!(out instanceof Uint8Array) || out.length !== n * codeSize)) {
      throw new InvalidArgumentError('out', `must be a Uint8Array of ${n * codeSize} bytes`);
    }
    const codes = out ?? new Uint8Array(n * codeSize);
    codes.fill(0);
    for (let i = 0; i < n; i++) {
      const src = i * dim;
      const dst = i * codeSize;
      for (let j = 0; j < dim; j++) if (vectors[src + j]! >= thresholds[j]!) codes[dst + (j >> 3)]! |= 0x80 >> (j & 7);
    }
    return codes;
  }

  /** Decodes codes into the per-dimension reconstruction levels (needs training). */
  decode(codes: Uint8Array, out?: Float32Array): Float32Array {
    if (!this.low || !this.high) throw new NotTrainedError('BinaryQuantizer (decode)');
    const n = checkCodes(codes, this.codeSize);
    const { dim, codeSize, low, high } = this;
    if (out !== undefined && (!(out instanceof Float32Array) || out.length !== n * dim)) {
      throw new InvalidArgumentError('out', `must be a Float32Array of ${n * dim} values`);
    }
    const vectors = out ?? new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      const src = i * codeSize;
      const dst = i * dim;
      for (let j = 0; j < dim; j++) vectors[dst + j] = (codes[src + (j >> 3)]! & (0x80 >> (j & 7))) !== 0 ? high[j]! : low[j]!;
    }
    return vectors;
  }

  /** Hamming distances between one code (`codeSize` bytes) and every code row. */
  hammingDistances(code: Uint8Array, codes: Uint8Array, out?: Uint32Array): Uint32Array {
    if (checkCodes(code, this.codeSize, 'code') !== 1) throw new InvalidArgumentError('code', `must be one code of ${this.codeSize} bytes`);
    const n = checkCodes(codes, this.codeSize);
    if (out !== undefined && (!(out instanceof Uint32Array) || out.length !== n)) throw new InvalidArgumentError('out', `must be a Uint32Array of ${n} values`);
    const distances = out ?? new Uint32Array(n);
    scanCodeRows(this.kernels, this.hammingKernel(), code, codes, this.codeSize, (_q0, _qCount, row0, rowCount, tile) => {
      distances.set(tile.subarray(0, rowCount), row0);
    });
    return distances;
  }

  /**
   * The `k` code rows nearest to each query's code by Hamming distance, query-major, ties to the
   * lower slot; scores are the negated distances (higher is better), padding slot -1 / -Infinity.
   */
  search(queries: Float32Array, codes: Uint8Array, k: number, options: { readonly filter?: SlotFilter } = {}): SearchResult {
    checkCodes(codes, this.codeSize);
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object');
    const queryCodes = this.encode(checkNonEmpty(queries));
    return searchCodeRows(this.kernels, this.hammingKernel(), queryCodes, codes, this.codeSize, k, (_q, distance) => -distance, options.filter);
  }

  private hammingKernel(): BatchCodeKernel {
    const kernels = this.kernels;
    return (queries, m, rows, n, width, out) => kernels.hammingBatch(queries, m, rows, n, width, out);
  }

  private cuts(operation: string): Float32Array {
    if (this.thresholds) return this.thresholds;
    if (this.threshold === 'zero') return (this.thresholds = new Float32Array(this.dim));
    throw new NotTrainedError(`BinaryQuantizer with the mean threshold (${operation})`);
  }
}

function checkNonEmpty(queries: Float32Array): Float32Array {
  if (queries instanceof Float32Array && queries.length === 0) throw new InvalidArgumentError('queries', 'must not be empty');
  return queries;
}

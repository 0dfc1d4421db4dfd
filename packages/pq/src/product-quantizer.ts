import {
  DimensionMismatchError,
  InvalidArgumentError,
  NotTrainedError,
  UnsupportedOperationError,
  checkBatch,
  checkDim,
  getKernels,
  normalized,
  parseMetric,
  throwIfAborted,
  type Arena,
  type ArenaBlock,
  type KernelChoice,
  type Kernels,
  type LongTaskOptions,
  type Metric,
  type Quantizer,
} from '@quiver/core-math';
import { kmeans } from './kmeans.js';

export type PqBits = 8 | 4;

export interface ProductQuantizerOptions {
  readonly dim: number;
  /** Subspaces; must divide `dim`. Codes take M bytes (nbits 8) or ceil(M / 2) bytes (nbits 4). */
  readonly M: number;
  /** Bits per subspace code: 8 (256 centroids, default) or 4 (16 centroids, fast-scan capable). */
  readonly nbits?: PqBits;
  /**
   * Which tables `adcTable` builds: `l2` (squared distances, default), `dot` (inner products) or
   * `cosine` (inner products of normalized vectors: train, encode and queries are normalized).
   */
  readonly metric?: Metric | string;
  /** k-means seed (subspace m uses seed + m; default 1234). */
  readonly seed?: number;
  /** k-means iterations per subspace (default 25). */
  readonly iterations?: number;
  /** Training points per centroid at most (default 256). */
  readonly maxPointsPerCentroid?: number;
  readonly kernels?: KernelChoice;
}

const DEFAULT_SEED = 1234;
/** Rows encoded per chunk (their subvectors are copied into the arena one subspace at a time). */
const ENCODE_ROWS = 1024;

/**
 * A quantizer's arena blocks: the codebooks, and the same values transposed per subspace (value
 * j of centroid c of subspace m at (m × dsub + j) × ksub + c), the layout `pqTable` reads four
 * centroids at a time from. Freed when the quantizer is collected without `dispose()`.
 */
interface CentroidHold {
  readonly arena: Arena;
  block: ArenaBlock | undefined;
  transposed: ArenaBlock | undefined;
}
function freeCentroids(hold: CentroidHold): void {
  if (hold.block) hold.arena.free(hold.block);
  if (hold.transposed) hold.arena.free(hold.transposed);
  hold.block = hold.transposed = undefined;
}
const centroidFinalizer = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<CentroidHold>(freeCentroids) : undefined;

/**
 * Product quantization (Jégou et al., 2011): the vector is cut into M subvectors of dim / M values,
 * each replaced by the index of its nearest centroid among 2^nbits learnt by k-means. Scores of a
 * query against codes come from an asymmetric-distance table (`adcTable`): the query's exact
 * distance (or inner product) to every centroid of every subspace, summed over a code's entries.
 *
 * The centroids live in the kernels' arena (M × ksub × dsub float32, subspace-major); call
 * `dispose()` when done.
 */
export class ProductQuantizer implements Quantizer {
  readonly dim: number;
  readonly M: number;
  readonly nbits: PqBits;
  readonly metric: Metric;
  /** Centroids per subspace: 2^nbits. */
  readonly ksub: number;
  /** Values per subvector: dim / M. */
  readonly dsub: number;
  /** Bytes per code. */
  readonly codeSize: number;
  readonly kernels: Kernels;
  private readonly seed: number;
  private readonly iterations: number | undefined;
  private readonly maxPointsPerCentroid: number | undefined;
  private readonly hold: CentroidHold;
  private disposed = false;

  constructor(options: ProductQuantizerOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object with dim and M');
    this.dim = checkDim(options.dim);
    const { M } = options;
    if (!Number.isSafeInteger(M) || M < 1 || this.dim % M !== 0) {
      throw new InvalidArgumentError('M', `must be a positive divisor of dim ${this.dim}, got ${M}`);
    }
    const nbits = options.nbits ?? 8;
    if (nbits !== 8 && nbits !== 4) throw new InvalidArgumentError('nbits', `must be 8 or 4, got ${String(nbits)}`);
    this.M = M;
    this.nbits = nbits;
    this.metric = parseMetric(options.metric ?? 'l2');
    this.ksub = 1 << nbits;
    this.dsub = this.dim / M;
    this.codeSize = nbits === 8 ? M : (M + 1) >> 1;
    this.seed = options.seed ?? DEFAULT_SEED;
    this.iterations = options.iterations;
    this.maxPointsPerCentroid = options.maxPointsPerCentroid;
    this.kernels = getKernels(options.kernels ?? 'auto');
    this.hold = { arena: this.kernels.arena, block: undefined, transposed: undefined };
    centroidFinalizer?.register(this, this.hold, this);
  }

  get isTrained(): boolean {
    return this.hold.block !== undefined;
  }

  /** Arena pointer of the centroids (M × ksub × dsub float32); valid until `dispose()`. */
  get centroidsPtr(): number {
    return this.trainedBlock('centroidsPtr').ptr;
  }

  /** A copy of the centroids, M × ksub × dsub float32. */
  centroids(): Float32Array {
    return this.kernels.arena.f32(this.centroidsPtr, this.M * this.ksub * this.dsub).slice();
  }

  /**
   * Learns the M codebooks with k-means (l2, k-means++), one subspace at a time. Needs at least
   * 2^nbits sample rows; more than 256 per centroid are subsampled. Retraining replaces the codebooks.
   */
  train(sample: Float32Array, options: LongTaskOptions = {}): void {
    this.checkUsable('train');
    const n = checkBatch(sample, this.dim, 'sample');
    if (n < this.ksub) throw new InvalidArgumentError('sample', `training ${this.ksub} centroids per subspace needs at least ${this.ksub} rows, got ${n}`);
    const data = this.prepare(sample);
    const { M, dsub, ksub } = this;
    const codebooks = new Float32Array(M * ksub * dsub);
    const sub = new Float32Array(n * dsub);
    for (let m = 0; m < M; m++) {
      throwIfAborted(options.signal, 'product quantizer training');
      for (let i = 0; i < n; i++) sub.set(data.subarray(i * this.dim + m * dsub, i * this.dim + (m + 1) * dsub), i * dsub);
      const { centroids } = kmeans(sub, dsub, {
        k: ksub,
        seed: this.seed + m,
        kernels: this.kernels.backend,
        ...(this.iterations !== undefined ? { iterations: this.iterations } : {}),
        ...(this.maxPointsPerCentroid !== undefined ? { maxPointsPerCentroid: this.maxPointsPerCentroid } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      codebooks.set(centroids, m * ksub * dsub);
      options.onProgress?.(m + 1, M);
    }
    this.setCentroids(codebooks);
  }

  /** Installs codebooks (M × ksub × dsub float32), e.g. from a file; values must be finite. */
  setCentroids(codebooks: Float32Array): void {
    this.checkUsable('setCentroids');
    const length = this.M * this.ksub * this.dsub;
    checkBatch(codebooks, length, 'codebooks');
    if (codebooks.length !== length) throw new DimensionMismatchError(length, codebooks.length, 'codebooks');
    const { arena } = this.kernels;
    this.hold.block ??= arena.alloc(length * 4);
    this.hold.transposed ??= arena.alloc(length * 4);
    arena.f32(this.hold.block.ptr, length).set(codebooks);
    const transposed = arena.f32(this.hold.transposed.ptr, length);
    const { M, ksub, dsub } = this;
    for (let m = 0; m < M; m++) {
      for (let c = 0; c < ksub; c++) {
        for (let j = 0; j < dsub; j++) transposed[(m * dsub + j) * ksub + c] = codebooks[(m * ksub + c) * dsub + j]!;
      }
    }
  }

  /** Codes of `vectors.length / dim` rows (`codeSize` bytes each), written into `out` when given. */
  encode(vectors: Float32Array, out?: Uint8Array): Uint8Array {
    this.trainedBlock('encode');
    const n = checkBatch(vectors, this.dim);
    const codes = out ?? new Uint8Array(n * this.codeSize);
    if (!(codes instanceof Uint8Array) || codes.length < n * this.codeSize) {
      throw new InvalidArgumentError('out', `must be a Uint8Array of at least ${n * this.codeSize} bytes`);
    }
    this.encodeRows(this.prepare(vectors), n, codes);
    return codes;
  }

  /** Centroid reconstructions of `codes.length / codeSize` codes (unit length is not restored under cosine). */
  decode(codes: Uint8Array, out?: Float32Array): Float32Array {
    const block = this.trainedBlock('decode');
    if (!(codes instanceof Uint8Array) || codes.length === 0 || codes.length % this.codeSize !== 0) {
      throw new InvalidArgumentError('codes', `must be a non-empty Uint8Array whose length is a multiple of ${this.codeSize}`);
    }
    const n = codes.length / this.codeSize;
    const target = out ?? new Float32Array(n * this.dim);
    if (!(target instanceof Float32Array) || target.length < n * this.dim) {
      throw new InvalidArgumentError('out', `must be a Float32Array of at least ${n * this.dim} values`);
    }
    const centroids = this.kernels.arena.f32(block.ptr, this.M * this.ksub * this.dsub);
    for (let i = 0; i < n; i++) this.decodeInto(codes, i * this.codeSize, centroids, target, i * this.dim);
    return target;
  }

  /** Code of subspace m in a code starting at `offset`. */
  subCode(codes: Uint8Array, offset: number, m: number): number {
    if (this.nbits === 8) return codes[offset + m]!;
    const byte = codes[offset + (m >> 1)]!;
    return m & 1 ? byte >> 4 : byte & 15;
  }

  /**
   * The asymmetric-distance table of one query, M × ksub float32: under `l2` the squared distance
   * of each query subvector to each centroid, otherwise the inner product (of the normalized
   * query under cosine). A code's ADC value is the sum of its M entries (`pqAdcScan`).
   */
  adcTable(query: Float32Array, out?: Float32Array): Float32Array {
    const table = out ?? new Float32Array(this.M * this.ksub);
    if (!(table instanceof Float32Array) || table.length < this.M * this.ksub) {
      throw new InvalidArgumentError('out', `must be a Float32Array of at least ${this.M * this.ksub} values`);
    }
    const { arena } = this.kernels;
    const scratch = arena.alloc((this.dim + this.M * this.ksub) * 4);
    try {
      this.adcTableAt(query, scratch.ptr, scratch.ptr + this.dim * 4);
      table.set(arena.f32(scratch.ptr + this.dim * 4, this.M * this.ksub));
    } finally {
      arena.free(scratch);
    }
    return table;
  }

  /**
   * `adcTable` written into the arena at `tablePtr` (M × ksub float32), using `queryPtr` (dim
   * float32) as scratch for the prepared query. Storages and indexes keep both blocks per query.
   */
  adcTableAt(query: Float32Array, queryPtr: number, tablePtr: number): void {
    this.trainedBlock('adcTable');
    if (!(query instanceof Float32Array) || query.length !== this.dim) {
      throw new DimensionMismatchError(this.dim, (query as { length?: number })?.length ?? 0, 'query');
    }
    const { arena } = this.kernels;
    arena.f32(queryPtr, this.dim).set(this.metric === 'cosine' ? normalized(query, this.dim, 'throw', 'query') : query);
    this.kernels.pqTable(queryPtr, this.hold.transposed!.ptr, this.M, this.ksub, this.dsub, this.metric === 'l2' ? 1 : 0, tablePtr);
  }

  /** Frees the centroids. Idempotent; any later call throws. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    centroidFinalizer?.unregister(this);
    freeCentroids(this.hold);
  }

  /** Writes codes of n prepared rows: each subvector's nearest centroid (`pqAssign` over the transposed codebooks). */
  private encodeRows(rows: Float32Array, n: number, codes: Uint8Array): void {
    const { M, dsub, ksub, dim, codeSize } = this;
    const { arena } = this.kernels;
    const chunk = Math.min(n, ENCODE_ROWS);
    const subBytes = chunk * dsub * 4;
    const scratch = arena.alloc(subBytes + chunk * 8);
    const subPtr = scratch.ptr;
    const labelPtr = subPtr + subBytes;
    const valuePtr = labelPtr + chunk * 4;
    const transposedPtr = this.hold.transposed!.ptr;
    if (this.nbits === 4) codes.fill(0, 0, n * codeSize);
    try {
      for (let r0 = 0; r0 < n; r0 += chunk) {
        const count = Math.min(chunk, n - r0);
        for (let m = 0; m < M; m++) {
          const sub = arena.f32(subPtr, count * dsub);
          for (let i = 0; i < count; i++) sub.set(rows.subarray((r0 + i) * dim + m * dsub, (r0 + i) * dim + (m + 1) * dsub), i * dsub);
          this.kernels.pqAssign(subPtr, count, dsub, transposedPtr + m * dsub * ksub * 4, ksub, labelPtr, valuePtr);
          const labels = arena.i32(labelPtr, count);
          for (let i = 0; i < count; i++) {
            const at = (r0 + i) * codeSize;
            if (this.nbits === 8) codes[at + m] = labels[i]!;
            else codes[at + (m >> 1)]! |= labels[i]! << ((m & 1) << 2);
          }
        }
      }
    } finally {
      arena.free(scratch);
    }
  }

  private decodeInto(codes: Uint8Array, offset: number, centroids: Float32Array, out: Float32Array, outOffset: number): void {
    const { M, ksub, dsub } = this;
    for (let m = 0; m < M; m++) {
      const from = (m * ksub + this.subCode(codes, offset, m)) * dsub;
      out.set(centroids.subarray(from, from + dsub), outOffset + m * dsub);
    }
  }

  /** Normalized copy under cosine, the rows as they are otherwise. */
  private prepare(vectors: Float32Array): Float32Array {
    return this.metric === 'cosine' ? normalized(vectors, this.dim, 'throw') : vectors;
  }

  private trainedBlock(operation: string): ArenaBlock {
    this.checkUsable(operation);
    if (!this.hold.block) throw new NotTrainedError('ProductQuantizer');
    return this.hold.block;
  }

  private checkUsable(operation: string): void {
    if (this.disposed) throw new UnsupportedOperationError('ProductQuantizer', operation, 'the quantizer was disposed');
  }
}

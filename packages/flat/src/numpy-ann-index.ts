import {
  DimensionMismatchError,
  InvalidArgumentError,
  NotTrainedError,
  checkBatch,
  checkDim,
  getKernels,
  normalizeRows,
  toFloat32Matrix,
  type KernelChoice,
  type Kernels,
} from '@quiver/core-math';
import {
  FloatAnnBackend,
  ScalarAnnBackend,
  SignBitAnnBackend,
  type AnnBackend,
  type AnnHit,
} from './numpy-ann-backends.js';
import { MAX_SCALAR_CODE_DIM, ScalarCodebook, columnMean } from './scalar-codes.js';

export type { AnnHit } from './numpy-ann-backends.js';

/** Rows at the API edge: a row-major Float32Array (`n × dim`) or an array of vectors. */
export type AnnVectors = Float32Array | readonly ArrayLike<number>[];

export interface NumpyAnnIndexOptions {
  /** Vector width; learnt from the first `index()` of `number[][]`, required for a flat Float32Array. */
  readonly dim?: number;
  /**
   * Scalar quantization bits, 1 to 8 (txtai's `quantize`). Omitted or `false`: float32 rows.
   * 1 bit is scored by popcount hamming, 2..8 bits by integer dot product.
   */
  readonly quantize?: number | false;
  /**
   * Scale rows and queries to unit length first (default true), as txtai's vectors layer does
   * before the ANN sees them: scores are then cosine similarities. Zero vectors are rejected.
   */
  readonly normalize?: boolean;
  /**
   * Quiver extension (default false, txtai has no such option): fit a per-dimension mean on the
   * `index()` batch and subtract it from rows and queries before their sign bits are taken, so
   * 1-bit codes carry information on data that is not centred (SIFT). Needs `quantize`; with 2..8
   * bits it changes nothing, their grid is already centred per dimension.
   */
  readonly center?: boolean;
  /**
   * Quiver extension (default off): keep the float32 rows beside the codes (4 · dim bytes more per
   * row) and rescore the `limit × rerank` best code candidates exactly, so `search` returns float
   * dot-product scores. An integer from 1 to MAX_RERANK; needs `quantize`.
   */
  readonly rerank?: number;
  readonly kernels?: KernelChoice;
}

/** Largest `rerank` factor: beyond it a quantized search is no faster than a float one. */
export const MAX_RERANK = 1000;

/**
 * txtai's NumPy ANN backend (`txtai/ann/dense/numpy.py`) with Quiver's kernels: ids are row
 * positions in insertion order, `delete` keeps positions (ids never shift or get reused), and
 * `search` returns `[id, score]` lists, best first, ties to the lower id. See the README for
 * where this deliberately differs from txtai.
 */
export class NumpyAnnIndex {
  readonly quantize: number | undefined;
  readonly normalize: boolean;
  readonly center: boolean;
  /** Candidate multiplier of the exact rescoring, undefined when off. */
  readonly rerank: number | undefined;
  private readonly kernels: Kernels;
  private readonly kernelChoice: KernelChoice;
  private dimension: number | undefined;
  private backend: AnnBackend | undefined;

  constructor(options: NumpyAnnIndexOptions = {}) {
    this.quantize = checkQuantize(options.quantize);
    this.normalize = options.normalize ?? true;
    if (typeof this.normalize !== 'boolean') throw new InvalidArgumentError('normalize', `must be a boolean, got ${String(options.normalize)}`);
    this.center = checkCenter(options.center, this.quantize);
    this.rerank = checkRerank(options.rerank, this.quantize);
    this.kernelChoice = options.kernels ?? 'auto';
    this.kernels = getKernels(this.kernelChoice);
    if (options.dim !== undefined) this.dimension = checkQuantizedDim(checkDim(options.dim), this.quantize);
  }

  /** Vector width, once known. */
  get dim(): number | undefined {
    return this.dimension;
  }

  /** Number of ids handed out so far (live and deleted): the next `append` starts here. */
  get offset(): number {
    return this.backend?.slotCount ?? 0;
  }

  /** Builds the index from `embeddings`, replacing any previous content; ids are 0..n-1. */
  index(embeddings: AnnVectors): void {
    const rows = this.prepareRows(embeddings, 'embeddings');
    const dim = this.dimension!;
    const backend = this.createBackend(dim, rows);
    try {
      backend.append(rows);
    } catch (error) {
      backend.dispose();
      throw error;
    }
    this.backend?.dispose();
    this.backend = backend;
  }

  /** Adds rows after the existing ones; their ids continue from `offset`. */
  append(embeddings: AnnVectors): void {
    const backend = this.requireBackend('append');
    backend.append(this.prepareRows(embeddings, 'embeddings'));
  }

  /**
   * Deletes ids. As in txtai, ids at or beyond `offset` are ignored, and deleting twice is a no-op.
   * A deleted id is never returned again, with or without quantization.
   */
  delete(ids: Iterable<number> | ArrayLike<number>): void {
    const list = Array.from(ids as ArrayLike<number>);
    for (const id of list) {
      if (!Number.isSafeInteger(id) || id < 0) throw new InvalidArgumentError('ids', `must be non-negative integers, got ${id}`);
    }
    const backend = this.backend;
    if (!backend) return;
    for (const id of list) if (id < backend.slotCount) backend.remove(id);
  }

  /** Number of live (not deleted) rows. */
  count(): number {
    return this.backend?.liveCount ?? 0;
  }

  /** True when `id` was handed out and then deleted. */
  isDeleted(id: number): boolean {
    return this.backend !== undefined && Number.isInteger(id) && id >= 0 && id < this.backend.slotCount && this.backend.isRemoved(id);
  }

  /** For each query, up to `limit` `[id, score]` pairs, best first; deleted ids never appear. */
  search(queries: AnnVectors, limit: number): AnnHit[][] {
    const backend = this.requireBackend('search');
    if (!Number.isSafeInteger(limit) || limit <= 0) throw new InvalidArgumentError('limit', `must be a positive integer, got ${limit}`);
    const rows = this.prepareRows(queries, 'queries');
    return backend.search(rows, limit);
  }

  /** Frees the arena memory; the index is empty afterwards. */
  dispose(): void {
    this.backend?.dispose();
    this.backend = undefined;
  }

  /** @internal Used by the persistence module. */
  get storage(): AnnBackend | undefined {
    return this.backend;
  }

  /** @internal Installs a backend restored from a file. */
  adopt(dim: number, backend: AnnBackend): void {
    this.dimension = dim;
    this.backend?.dispose();
    this.backend = backend;
  }

  /** @internal */
  createBackend(dim: number, fitRows?: Float32Array): AnnBackend {
    if (this.quantize === undefined) return new FloatAnnBackend(dim, this.kernelChoice);
    const rerank = this.rerank ?? 0;
    if (this.quantize === 1 && !this.center) return new SignBitAnnBackend(this.kernels, dim, { rerank });
    if (!fitRows) throw new NotTrainedError(`NumpyAnnIndex ${this.quantize === 1 ? 'mean' : 'scalar codebook'}`);
    if (this.quantize === 1) return new SignBitAnnBackend(this.kernels, dim, { rerank, mean: columnMean(fitRows, dim) });
    return new ScalarAnnBackend(this.kernels, ScalarCodebook.fit(fitRows, dim, this.quantize), { rerank });
  }

  /** @internal */
  get kernelBackend(): Kernels {
    return this.kernels;
  }

  private requireBackend(operation: string): AnnBackend {
    if (!this.backend) throw new NotTrainedError(`NumpyAnnIndex (call index() before ${operation}())`);
    return this.backend;
  }

  /** Validates and copies a batch, fixing `dim` on first use, and normalizes it when asked. */
  private prepareRows(input: AnnVectors, argument: string): Float32Array {
    if (input instanceof Float32Array) {
      if (this.dimension === undefined) {
        throw new InvalidArgumentError('dim', 'pass `dim` in the options to index a flat Float32Array (or pass an array of vectors)');
      }
    } else if (!Array.isArray(input)) {
      throw new InvalidArgumentError(argument, 'must be a Float32Array or an array of vectors');
    } else if (input.length > 0 && this.dimension !== undefined && input[0]?.length !== this.dimension) {
      throw new DimensionMismatchError(this.dimension, input[0]?.length ?? 0, `${argument} row 0`);
    }
    const matrix = toFloat32Matrix(input, this.dimension, argument);
    const dim = this.dimension ?? checkQuantizedDim(checkDim(matrix.length / input.length, `${argument} width`), this.quantize);
    checkBatch(matrix, dim, argument);
    const rows = matrix === input ? matrix.slice() : matrix;
    if (this.normalize) normalizeRows(rows, dim, 'throw', argument);
    this.dimension = dim;
    return rows;
  }
}

function checkQuantize(value: unknown): number | undefined {
  if (value === undefined || value === false) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 8) {
    throw new InvalidArgumentError('quantize', `must be an integer from 1 to 8 (or omitted), got ${String(value)}`);
  }
  return value;
}

function checkCenter(value: unknown, quantize: number | undefined): boolean {
  if (value === undefined || value === false) return false;
  if (value !== true) throw new InvalidArgumentError('center', `must be a boolean, got ${String(value)}`);
  if (quantize === undefined) throw new InvalidArgumentError('center', 'needs quantize (float search does not quantize)');
  return true;
}

function checkRerank(value: unknown, quantize: number | undefined): number | undefined {
  if (value === undefined || value === false || value === 0) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_RERANK) {
    throw new InvalidArgumentError('rerank', `must be an integer from 1 to ${MAX_RERANK} (or omitted), got ${String(value)}`);
  }
  if (quantize === undefined) throw new InvalidArgumentError('rerank', 'needs quantize (float search is already exact)');
  return value;
}

function checkQuantizedDim(dim: number, quantize: number | undefined): number {
  if (quantize !== undefined && quantize > 1 && dim > MAX_SCALAR_CODE_DIM) {
    throw new InvalidArgumentError('dim', `${quantize}-bit codes support up to ${MAX_SCALAR_CODE_DIM} dimensions, got ${dim}`);
  }
  return dim;
}

import { InvalidArgumentError, parseMetric, type KernelChoice, type Metric } from '@quiver/core-math';
import type { BuiltinStorage, VectorStorageFactory } from './row-storage.js';

export interface HnswIndexOptions {
  readonly dim: number;
  /** `cosine` (default), `dot` or `l2`, or an alias: `ip`, `dotproduct`, `euclidean`. */
  readonly metric?: Metric | string;
  /** Links per node on the upper levels; level 0 keeps 2·M (default 16). */
  readonly M?: number;
  /** Beam width while linking a new node (default 200). */
  readonly efConstruction?: number;
  /** Default beam width of a search (default 64; a search uses at least k). */
  readonly efSearch?: number;
  /** Seed of the level assignment (default 42). Same seed and insertion order, same graph. */
  readonly seed?: number;
  /** Where vectors live: `float32` (default), `float16`, `int8`, or a factory for any `VectorStorage`. */
  readonly storage?: BuiltinStorage | VectorStorageFactory;
  /**
   * A second, more precise copy of the vectors that `search({ rerank })` rescores candidates with
   * (e.g. `float32` beside `int8` or PQ storage). Default none.
   */
  readonly rerankStorage?: BuiltinStorage | VectorStorageFactory;
  /** Default relaxation λ of the distance-adaptive early exit (kANNolo's `early_exit_threshold`; default 0). */
  readonly earlyExit?: number;
  /** Kernel backend: `auto` (default), `wasm` or `js`. */
  readonly kernels?: KernelChoice;
}

export interface HnswParams {
  readonly dim: number;
  readonly metric: Metric;
  readonly M: number;
  readonly efConstruction: number;
  readonly efSearch: number;
  readonly seed: number;
  readonly earlyExit: number;
}

export const DEFAULT_HNSW_PARAMS = Object.freeze({ metric: 'cosine' as Metric, M: 16, efConstruction: 200, efSearch: 64, seed: 42, earlyExit: 0 });

/** The largest beam width accepted (results and heaps are sized by it). */
export const MAX_EF = 1 << 20;
/** M above this gives level-0 lists of more than 1024 links: never useful. */
export const MAX_M = 512;

export function checkIntegerIn(value: unknown, min: number, max: number, argument: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(argument, `must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

export function checkEarlyExit(value: unknown, argument = 'earlyExit'): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(argument, `must be a finite number ≥ 0, got ${String(value)}`);
  }
  return value;
}

export function resolveParams(options: HnswIndexOptions): HnswParams {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object with a dim');
  const dim = checkIntegerIn(options.dim, 1, 1 << 20, 'dim');
  return {
    dim,
    metric: parseMetric(options.metric ?? DEFAULT_HNSW_PARAMS.metric),
    M: checkIntegerIn(options.M ?? DEFAULT_HNSW_PARAMS.M, 2, MAX_M, 'M'),
    efConstruction: checkIntegerIn(options.efConstruction ?? DEFAULT_HNSW_PARAMS.efConstruction, 1, MAX_EF, 'efConstruction'),
    efSearch: checkIntegerIn(options.efSearch ?? DEFAULT_HNSW_PARAMS.efSearch, 1, MAX_EF, 'efSearch'),
    seed: checkIntegerIn(options.seed ?? DEFAULT_HNSW_PARAMS.seed, 0, 0xffffffff, 'seed'),
    earlyExit: checkEarlyExit(options.earlyExit ?? DEFAULT_HNSW_PARAMS.earlyExit),
  };
}

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * The level of a slot: ⌊−ln(u) · mL⌋ with mL = 1 / ln M and u uniform in (0, 1) from a hash of
 * (seed, slot). Stateless, so a graph depends only on the seed and the insertion order, and a saved
 * index keeps assigning the same levels after loading.
 */
export function levelOf(slot: number, seed: number, M: number, maxLevel: number): number {
  const h = mix32(Math.imul(slot + 1, 0x9e3779b9) ^ mix32(seed ^ 0x5bd1e995));
  const u = (h + 0.5) / 4294967296;
  return Math.min(maxLevel, Math.floor(-Math.log(u) / Math.log(M)));
}

import { InvalidArgumentError, type VectorIndex } from '@quiver/core-math';
import { FlatIndex } from '@quiver/flat';
import { DEFAULT_HNSW_PARAMS, HnswIndex } from '@quiver/hnsw';
import { TurboQuantIndex } from '@quiver/quant';
import type { BackendSpec, ResolvedBackendSpec, StoreMetric } from './types.js';

const METRICS: readonly StoreMetric[] = ['cosine', 'dot', 'l2'];
const TURBOQUANT_BIT_WIDTHS: readonly number[] = [2, 3, 4];

export function resolveMetric(metric: unknown): StoreMetric {
  if (metric === undefined) return 'cosine';
  if (!METRICS.includes(metric as StoreMetric)) throw new InvalidArgumentError('metric', `must be 'cosine', 'dot' or 'l2', got ${String(metric)}`);
  return metric as StoreMetric;
}

/** Validates a backend spec and fills in its defaults. */
export function resolveBackend(spec: BackendSpec | undefined): ResolvedBackendSpec {
  if (spec === undefined) return { kind: 'exact' };
  if (spec === null || typeof spec !== 'object') throw new InvalidArgumentError('backend', 'must be an object with a kind');
  switch (spec.kind) {
    case 'exact':
      return { kind: 'exact' };
    case 'turboquant': {
      const bitWidth = spec.bitWidth ?? 4;
      if (!TURBOQUANT_BIT_WIDTHS.includes(bitWidth)) throw new InvalidArgumentError('backend.bitWidth', `must be 2, 3 or 4, got ${String(bitWidth)}`);
      const rerank = spec.rerank ?? true;
      if (typeof rerank !== 'boolean') throw new InvalidArgumentError('backend.rerank', `must be a boolean, got ${String(rerank)}`);
      return { kind: 'turboquant', bitWidth, rerank };
    }
    case 'hnsw':
      return {
        kind: 'hnsw',
        m: integerIn(spec.m ?? DEFAULT_HNSW_PARAMS.M, 2, 512, 'backend.m'),
        efConstruction: integerIn(spec.efConstruction ?? DEFAULT_HNSW_PARAMS.efConstruction, 1, 1 << 20, 'backend.efConstruction'),
        efSearch: integerIn(spec.efSearch ?? DEFAULT_HNSW_PARAMS.efSearch, 1, 1 << 20, 'backend.efSearch'),
      };
    default:
      throw new InvalidArgumentError('backend.kind', `must be 'exact', 'turboquant' or 'hnsw', got ${String((spec as { kind?: unknown }).kind)}`);
  }
}

/** An empty index of the backend, for vectors of `dim` values. */
export function createBackendIndex(spec: ResolvedBackendSpec, metric: StoreMetric, dim: number): VectorIndex {
  switch (spec.kind) {
    case 'exact':
      return new FlatIndex({ dim, metric });
    case 'turboquant':
      // Rerank originals are kept by the store (StoreIndex), not the index: see store-index.ts.
      return new TurboQuantIndex({ dim, metric, bitWidth: spec.bitWidth });
    case 'hnsw':
      return new HnswIndex({ dim, metric, M: spec.m, efConstruction: spec.efConstruction, efSearch: spec.efSearch });
  }
}

function integerIn(value: unknown, min: number, max: number, argument: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(argument, `must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

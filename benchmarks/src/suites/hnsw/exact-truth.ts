import { normalized, type KernelChoice, type Metric, type SlotFilter } from '@quiver/core-math';
import { FlatIndex } from '@quiver/flat';
import type { Workload } from '../../data/synthetic.js';
import { recallAtK, type RecallResult } from '../../recall.js';

/**
 * Exact top-k of every query by Quiver's FlatIndex (an exact scan, checked against numpy and the
 * shipped siftsmall ground truth by the exact and siftsmall suites), optionally among the slots a
 * filter holds.
 */
export function exactNeighbours(workload: Workload, metric: Metric, k: number, kernels: KernelChoice, filter?: SlotFilter): Int32Array {
  const index = new FlatIndex({ dim: workload.dim, metric, kernels });
  try {
    index.add(workload.base);
    return index.search(workload.queries, k, filter ? { filter } : {}).slots;
  } finally {
    index.dispose();
  }
}

/**
 * A scorer of query-major id lists against exact answers, recomputing scores in float64
 * (recall.ts); for cosine both sides are normalized once here, as recall.ts expects.
 */
export function recallScorer(workload: Workload, metric: Metric, k: number, truth: Int32Array): (ids: Int32Array) => RecallResult {
  const { dim } = workload;
  const scored = metric === 'cosine' ? { base: normalized(workload.base, dim), queries: normalized(workload.queries, dim) } : workload;
  return (ids) => recallAtK({ metric, dim, k, base: scored.base, queries: scored.queries, truth: { ids: truth, stride: k }, found: { ids, stride: k } });
}

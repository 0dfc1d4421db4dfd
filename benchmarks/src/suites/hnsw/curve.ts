import type { SlotFilter } from '@quiver/core-math';
import type { RecallResult } from '../../recall.js';
import { median, nowMs, percentile } from '../../stats.js';
import type { GraphUnderTest } from './graph-under-test.js';

/** One efSearch setting of one graph. */
export interface CurvePoint {
  readonly efSearch: number;
  /** Tie-aware recall@k (recall.ts). */
  readonly recall: number;
  readonly strictRecall: number;
  /** Queries per second, one query per call, one thread: the median round's total time. */
  readonly qps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Queries per second of one batch call on one thread, for libraries that have one. */
  readonly batchQps?: number;
}

export interface CurveRun {
  readonly efSearch: readonly number[];
  readonly k: number;
  readonly queryCount: number;
  /** Timed rounds per setting and graph; the median round gives the throughput. */
  readonly repeats: number;
  /** Scores a query-major id list (`k` per query) against the exact answers. */
  readonly recallOf: (ids: Int32Array) => RecallResult;
  readonly filter?: SlotFilter;
}

const WARMUP_QUERIES = 10;

/**
 * The recall / throughput curve of each graph over efSearch. At every setting the graphs take
 * turns round by round (A B A B ...) so a change in background load hits them alike. Every query
 * is its own timed call; latency percentiles pool all rounds.
 */
export function measureCurves(graphs: readonly GraphUnderTest[], run: CurveRun): CurvePoint[][] {
  const { k, queryCount, repeats } = run;
  const curves = graphs.map((): CurvePoint[] => []);
  for (const efSearch of run.efSearch) {
    const totals = graphs.map((): number[] => []);
    const latencies = graphs.map((): number[] => []);
    const batchTotals = graphs.map((): number[] => []);
    const ids = graphs.map(() => new Int32Array(queryCount * k));
    for (const graph of graphs) {
      graph.setEfSearch(efSearch);
      for (let q = 0; q < Math.min(WARMUP_QUERIES, queryCount); q++) graph.searchOne(q, k, ids[0]!.slice(), run.filter);
    }
    for (let round = 0; round < repeats; round++) {
      graphs.forEach((graph, g) => {
        let total = 0;
        for (let q = 0; q < queryCount; q++) {
          const start = nowMs();
          graph.searchOne(q, k, ids[g]!, run.filter);
          const elapsed = nowMs() - start;
          latencies[g]!.push(elapsed);
          total += elapsed;
        }
        totals[g]!.push(total);
        if (graph.searchBatch && !run.filter) {
          const start = nowMs();
          graph.searchBatch(k, new Int32Array(queryCount * k));
          batchTotals[g]!.push(nowMs() - start);
        }
      });
    }
    graphs.forEach((_, g) => {
      const recall = run.recallOf(ids[g]!);
      const batchMs = batchTotals[g]!.length > 0 ? median(batchTotals[g]!) : undefined;
      curves[g]!.push({
        efSearch,
        recall: recall.tieAware,
        strictRecall: recall.strict,
        qps: (queryCount * 1000) / median(totals[g]!),
        p50Ms: percentile(latencies[g]!, 0.5),
        p99Ms: percentile(latencies[g]!, 0.99),
        ...(batchMs === undefined ? {} : { batchQps: (queryCount * 1000) / batchMs }),
      });
    });
  }
  return curves;
}

export interface QpsAtRecall {
  readonly qps: number;
  /**
   * `interpolated`: between the two settings around the target; `lower bound`: the smallest
   * efSearch already exceeds the target, so the true figure is at least this; `unreached`: no
   * setting reaches it (qps is NaN).
   */
  readonly how: 'interpolated' | 'lower bound' | 'unreached';
}

/**
 * Throughput at a recall target, linearly interpolated (in recall) between the last setting below
 * the target and the first at or above it, in efSearch order.
 */
export function qpsAtRecall(curve: readonly CurvePoint[], target: number, throughput: (p: CurvePoint) => number = (p) => p.qps): QpsAtRecall {
  const points = [...curve].sort((a, b) => a.efSearch - b.efSearch);
  const first = points.findIndex((p) => p.recall >= target);
  if (first < 0) return { qps: Number.NaN, how: 'unreached' };
  if (first === 0) return { qps: throughput(points[0]!), how: 'lower bound' };
  const below = points[first - 1]!;
  const above = points[first]!;
  const t = (target - below.recall) / (above.recall - below.recall);
  return { qps: throughput(below) + t * (throughput(above) - throughput(below)), how: 'interpolated' };
}

import type { Metric, SlotFilter } from '@quiver/core-math';
import type { Workload } from '../../data/synthetic.js';
import { memorySnapshot, retainedBytes } from '../../memory.js';
import type { BenchOptions } from '../../options.js';
import type { RecallResult } from '../../recall.js';
import type { Check, Measurement } from '../../report.js';
import { nowMs } from '../../stats.js';
import { correctness, target, type PartResult } from '../compare-exact.js';
import { measureCurves, qpsAtRecall, type CurvePoint } from './curve.js';
import { exactNeighbours, recallScorer } from './exact-truth.js';
import type { GraphUnderTest } from './graph-under-test.js';

/** How to build one library's graph over a workload. */
export interface GraphBuilder {
  readonly system: string;
  readonly quiver: boolean;
  build(base: Float32Array, dim: number, metric: Metric): GraphUnderTest;
}

/** The operating point: throughput is compared where recall@10 reaches this. */
export const RECALL_TARGET = 0.95;
/** Quiver's build may take at most this many times hnswlib-node's, on one thread each. */
const BUILD_RATIO_TARGET = 1.5;
/** Recall at the largest efSearch below this means a broken graph, not a tuning question. */
const WORKING_GRAPH_FLOOR = 0.9;

export interface BuiltGraph {
  readonly graph: GraphUnderTest;
  readonly builder: GraphBuilder;
  readonly curve: CurvePoint[];
}

export interface GraphComparison {
  /** Section prefix, e.g. `cosine 100000×128`. */
  readonly label: string;
  readonly workload: Workload;
  readonly metric: Metric;
  readonly options: BenchOptions;
  readonly builders: readonly GraphBuilder[];
  /** Add the performance targets (throughput at the recall target, build time) as checks. */
  readonly targets: boolean;
  /** Filtered search: exact answers and graph results are restricted to the slots it holds. */
  readonly filter?: SlotFilter;
  /** Recall@k at which throughput is compared (default RECALL_TARGET). */
  readonly recallTarget?: number;
  /**
   * Runs on the built graphs before they are disposed (the PQ and deletion sections), with the
   * scorer against the exact answers.
   */
  readonly after?: (graphs: readonly BuiltGraph[], part: PartResult, recallOf: (ids: Int32Array) => RecallResult) => void | Promise<void>;
}

/** Build and its memory: the library's own figure when it has one, else heap and ArrayBuffer growth (RSS for native code). */
function buildMeasured(builder: GraphBuilder, workload: Workload, metric: Metric): { graph: GraphUnderTest; buildMs: number; bytes: number; how: string } {
  const before = memorySnapshot();
  const start = nowMs();
  const graph = builder.build(workload.base, workload.dim, metric);
  const buildMs = nowMs() - start;
  const after = memorySnapshot();
  const rss = `process RSS grew ${((after.rssBytes - before.rssBytes) / 2 ** 20).toFixed(0)} MiB`;
  if (graph.indexBytes) return { graph, buildMs, bytes: graph.indexBytes(), how: `${graph.indexBytesHow ?? 'reported by the index'}; ${rss}` };
  if (builder.quiver) return { graph, buildMs, bytes: retainedBytes(before, after), how: 'JS heap + ArrayBuffer growth over the build' };
  return { graph, buildMs, bytes: after.rssBytes - before.rssBytes, how: rss };
}

/**
 * Every builder's graph on one workload: build time and bytes, then the recall@k / throughput
 * curve over efSearch against the exact answers of Quiver's FlatIndex, single-query latency at
 * every setting, and the interpolated throughput at recall@k = RECALL_TARGET.
 */
export async function compareGraphs(comparison: GraphComparison): Promise<PartResult> {
  const { label, workload, metric, options, builders } = comparison;
  const { k } = options;
  const { dim } = workload;
  const n = workload.base.length / dim;
  const queryCount = workload.queries.length / dim;
  const out: PartResult = { measurements: [], checks: [], notes: [] };
  const add = (section: string, m: Omit<Measurement, 'section'>) => out.measurements.push({ ...m, section: `${label} · ${section}` });

  let start = nowMs();
  const { filter } = comparison;
  const truth = exactNeighbours(workload, metric, k, options.kernels, filter);
  const scoreRecall = recallScorer(workload, metric, k, truth);
  let outsideFilter = 0;
  const recallOf = (ids: Int32Array): RecallResult => {
    if (filter) for (const id of ids) if (id >= 0 && !filter.has(id)) outsideFilter++;
    return scoreRecall(ids);
  };
  out.notes.push(`${label}: exact top-${k} of ${queryCount} queries by FlatIndex in ${((nowMs() - start) / 1000).toFixed(1)} s.`);

  const built: { graph: GraphUnderTest; builder: GraphBuilder; buildMs: number }[] = [];
  try {
    for (const builder of builders) {
      console.log(`[bench] ${label}: building ${builder.system}`);
      const { graph, buildMs, bytes, how } = buildMeasured(builder, workload, metric);
      built.push({ graph, builder, buildMs });
      graph.loadQueries(workload.queries);
      const base = { system: builder.system, quiver: builder.quiver, better: 'lower' } as const;
      add('build', { ...base, figure: 'build time', value: buildMs, unit: 'ms', note: 'one thread' });
      add('build', { ...base, figure: 'bytes per vector', value: bytes / n, unit: 'B', note: how });
    }

    console.log(`[bench] ${label}: recall / throughput curves`);
    start = nowMs();
    const graphs = built.map((b) => b.graph);
    const curves = measureCurves(graphs, { efSearch: options.efSearch, k, queryCount, repeats: options.repeats, recallOf, ...(filter ? { filter } : {}) });
    if (filter) out.checks.push(correctness(`${label}: every result passes the filter`, outsideFilter === 0, `${outsideFilter} results outside it`));
    out.notes.push(`${label}: curves over ${options.efSearch.length} efSearch settings × ${options.repeats} rounds in ${((nowMs() - start) / 1000).toFixed(1)} s.`);
    built.forEach(({ builder }, g) => addCurve(add, builder, curves[g]!, queryCount));
    const results = built.map((b, g) => ({ ...b, curve: curves[g]! }));
    addOperatingPoint(add, out.checks, label, results, comparison.recallTarget ?? RECALL_TARGET, comparison.targets);
    for (const { builder, curve } of results) {
      if (!builder.quiver) continue;
      const last = curve[curve.length - 1]!;
      out.checks.push(correctness(`${label}: ${builder.system} recall@${k} at efSearch ${last.efSearch} ≥ ${WORKING_GRAPH_FLOOR}`, last.recall >= WORKING_GRAPH_FLOOR, last.recall.toFixed(4)));
    }
    await comparison.after?.(results, out, recallOf);
  } finally {
    for (const { graph } of built) graph.dispose();
  }
  return out;
}

type Add = (section: string, m: Omit<Measurement, 'section'>) => void;

function addCurve(add: Add, builder: GraphBuilder, curve: readonly CurvePoint[], queryCount: number): void {
  const { system, quiver } = builder;
  for (const p of curve) {
    const section = `efSearch ${p.efSearch}`;
    add(section, { system, quiver, figure: 'recall@k (tie-aware)', value: p.recall, unit: '', better: 'higher', note: `strict ${p.strictRecall.toFixed(4)}` });
    add(section, { system, quiver, figure: 'throughput', value: p.qps, unit: 'q/s', better: 'higher', note: `${queryCount} queries, one per call` });
    if (p.batchQps !== undefined) add(section, { system: `${system}, one batch call`, quiver, figure: 'throughput', value: p.batchQps, unit: 'q/s', better: 'higher', note: `${queryCount} queries in one search call, one thread` });
    add(section, { system, quiver, figure: 'latency p50', value: p.p50Ms, unit: 'ms', better: 'lower' });
    add(section, { system, quiver, figure: 'latency p99', value: p.p99Ms, unit: 'ms', better: 'lower' });
  }
}

/** Throughput at the recall target for every graph, and the targets against hnswlib-node. */
function addOperatingPoint(add: Add, checks: Check[], label: string, results: readonly (BuiltGraph & { buildMs: number })[], recallTarget: number, targets: boolean): void {
  const section = `at recall@k = ${recallTarget}`;
  const at = results.map(({ builder, curve }) => {
    const point = qpsAtRecall(curve, recallTarget);
    add(section, { system: builder.system, quiver: builder.quiver, figure: 'throughput', value: point.qps, unit: 'q/s', better: 'higher', note: `${point.how}, one query per call` });
    if (curve.some((p) => p.batchQps !== undefined)) {
      const batch = qpsAtRecall(curve, recallTarget, (p) => p.batchQps ?? Number.NaN);
      add(section, { system: `${builder.system}, one batch call`, quiver: builder.quiver, figure: 'throughput', value: batch.qps, unit: 'q/s', better: 'higher', note: `${batch.how}, one thread` });
    }
    return { builder, point };
  });
  const baseline = at.find((a) => !a.builder.quiver);
  const baselineBuild = results.find((r) => !r.builder.quiver);
  if (!targets || !baseline || !baselineBuild) return;
  for (const { builder, point } of at.filter((a) => a.builder.quiver)) {
    const ratio = point.qps / baseline.point.qps;
    checks.push(target(`${label}: ${builder.system} q/s at recall@k ${recallTarget} ≥ ${baseline.builder.system}`, ratio >= 1, `${ratio.toFixed(2)}× (${point.qps.toFixed(0)} vs ${baseline.point.qps.toFixed(0)} q/s; ${point.how} / ${baseline.point.how})`));
  }
  for (const r of results.filter((x) => x.builder.quiver)) {
    const ratio = r.buildMs / baselineBuild.buildMs;
    checks.push(target(`${label}: ${r.builder.system} build ≤ ${BUILD_RATIO_TARGET}× ${baselineBuild.builder.system}`, ratio <= BUILD_RATIO_TARGET, `${ratio.toFixed(2)}× (${(r.buildMs / 1000).toFixed(1)} s vs ${(baselineBuild.buildMs / 1000).toFixed(1)} s)`));
  }
}

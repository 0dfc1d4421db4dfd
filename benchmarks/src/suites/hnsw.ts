import { SlotBitset } from '@quiver/core-math';
import { buildHnswlib, ensureHnswlibInstalled } from '../baselines/hnswlib.js';
import { loadSiftsmall, siftsmallMissing } from '../data/siftsmall.js';
import { syntheticWorkload, type Workload } from '../data/synthetic.js';
import { HNSW_PARTS, type BenchOptions } from '../options.js';
import { recallAtK } from '../recall.js';
import type { SuiteResult } from '../report.js';
import { nowMs } from '../stats.js';
import { correctness, target, type PartResult } from './compare-exact.js';
import { parametersOf } from './exact.js';
import { compareGraphs, type GraphBuilder, type GraphComparison } from './hnsw/compare-graphs.js';
import { measureDeletion } from './hnsw/deletion.js';
import { measurePqHnsw } from './hnsw/pq-hnsw.js';
import { exactNeighbours, recallScorer } from './hnsw/exact-truth.js';
import { HNSW_PARAMETERS } from './hnsw/graph-under-test.js';
import { mergeWithPrevious, type RerunScope } from './hnsw/partial-run.js';
import { QuiverGraph, quiverHnswBuilder } from './hnsw/quiver-hnsw.js';
import { loadSigmodDummy, sigmodDummyMissing, timestampWindow } from './hnsw/sigmod-dummy.js';

export interface HnswSuiteScope {
  /** Measure hnswlib-node (installed into benchmarks/peers/hnswlib on first use); smoke runs without it. */
  readonly baseline: boolean;
  /** Add the performance and quality targets as checks. */
  readonly targets: boolean;
}

/** The filtered-search test: a predicate keeping this share of the points ... */
const FILTER_SELECTIVITY = 0.1;
/** ... must reach this recall@k. */
const FILTERED_RECALL_TARGET = 0.9;

function graphBuilders(options: BenchOptions, scope: HnswSuiteScope, notes: string[]): GraphBuilder[] {
  const builders: GraphBuilder[] = [quiverHnswBuilder(options.kernels)];
  if (scope.baseline) {
    const version = ensureHnswlibInstalled();
    builders.push({ system: `hnswlib-node ${version}`, quiver: false, build: (base, dim, metric) => buildHnswlib(base, dim, metric, HNSW_PARAMETERS) });
    notes.push(
      `hnswlib-node ${version} built from source by node-gyp with its own flags (no -march=native); rows and queries go in as number[] (the binding takes nothing else; queries are converted before timing).`,
    );
  }
  return builders;
}

/**
 * HNSW graphs against hnswlib-node (M = 16, efConstruction = 200, one thread each): build time and
 * bytes, the recall@k / throughput curve over efSearch with single-query latency, and throughput
 * at recall@k = 0.95, on the synthetic mixtures (`--dims`, default 128 and 768) and siftsmall;
 * then recall after deleting 30% of the points, memory-lean PQ-HNSW, and filtered search at 10%
 * selectivity on sigmod2024-dummy. Exact answers come from Quiver's FlatIndex in the same run.
 * `--parts` runs a subset (see `HNSW_PARTS`) and folds it into the existing results file.
 */
export async function runHnswSuite(options: BenchOptions, scope: HnswSuiteScope = { baseline: true, targets: true }): Promise<SuiteResult> {
  const { n, clusters, spread, seed } = options;
  const notes: string[] = [];
  const result: SuiteResult = {
    suite: 'hnsw',
    parameters: { ...parametersOf(options, ['dim', 'single', 'subset', 'threads', 'bits', 'python']), M: HNSW_PARAMETERS.M, efConstruction: HNSW_PARAMETERS.efConstruction, graphSeed: HNSW_PARAMETERS.seed },
    measurements: [],
    checks: [],
    notes,
  };
  const merge = (part: PartResult) => {
    result.measurements.push(...part.measurements);
    result.checks.push(...part.checks);
    result.notes.push(...part.notes);
  };
  const parts = new Set(options.parts);
  const rerun: { -readonly [K in keyof RerunScope]: RerunScope[K] } & { curveLabels: string[] } = {
    curveLabels: [],
    pq: false,
    deletion: false,
    siftsmall: parts.has('siftsmall'),
    filtered: parts.has('filtered'),
  };
  const builders = graphBuilders(options, scope, notes);
  const common = { options, builders, targets: scope.targets } satisfies Partial<GraphComparison>;
  const dims = options.dims.length > 0 ? options.dims : [options.dim];

  // PQ-HNSW runs on the largest synthetic workload of the first metric, the deletion test on the
  // first workload (after everything else: it mutates the graphs).
  const pqDim = Math.max(...dims);
  for (const [m, metric] of options.metrics.entries()) {
    for (const [d, dim] of dims.entries()) {
      const start = nowMs();
      const workload = syntheticWorkload({ n, dim, clusters, spread, seed, queries: options.queries });
      notes.push(`Synthetic ${n}×${dim} generated in ${((nowMs() - start) / 1000).toFixed(1)} s (${clusters} clusters, spread ${spread}, seed ${seed}).`);
      const label = `${metric} ${n}×${dim}`;
      const run = { label, workload, metric, options, targets: scope.targets };
      const withPq = parts.has('pq') && m === 0 && dim === pqDim;
      const withDeletion = parts.has('deletion') && m === 0 && d === 0;
      rerun.pq ||= withPq;
      rerun.deletion ||= withDeletion;
      if (parts.has('curves') || withDeletion) {
        // The deletion test compares against the curves, so it needs them (and the graphs).
        rerun.curveLabels.push(label);
        merge(
          await compareGraphs({
            ...common,
            label,
            workload,
            metric,
            after: async (graphs, part, recallOf) => {
              const quiver = graphs.find((g) => g.graph instanceof QuiverGraph)?.graph as QuiverGraph | undefined;
              if (withPq) await measurePqHnsw(run, quiver?.index, recallOf, part);
              if (withDeletion) measureDeletion(run, graphs, part);
            },
          }),
        );
      } else if (withPq) {
        const part: PartResult = { measurements: [], checks: [], notes: [] };
        const truth = exactNeighbours(workload, metric, options.k, options.kernels);
        await measurePqHnsw(run, undefined, recallScorer(workload, metric, options.k, truth), part);
        merge(part);
      }
    }
  }

  if (parts.has('siftsmall')) {
    const siftMissing = siftsmallMissing(options.datasets);
    if (siftMissing) notes.push(`siftsmall skipped: ${siftMissing}.`);
    else merge(await siftsmallPart(options, common));
  }

  if (parts.has('filtered')) {
    const sigmodMissing = sigmodDummyMissing(options.datasets);
    if (sigmodMissing) notes.push(`filtered search skipped: ${sigmodMissing}.`);
    else merge(await filteredPart(options, common));
  }
  const partial = HNSW_PARTS.some((part) => !parts.has(part));
  return partial ? mergeWithPrevious(result, options.out, rerun, options.parts) : result;
}

/** The first `n` base rows of a workload (smoke sizes cut the real datasets too). */
function firstRows(workload: Workload, n: number, queries: number): Workload {
  const { dim } = workload;
  return { dim, base: workload.base.subarray(0, n * dim), queries: workload.queries.subarray(0, queries * dim) };
}

/** siftsmall (l2): the curve, with the exact answers checked against the shipped ground truth. */
async function siftsmallPart(options: BenchOptions, common: Pick<GraphComparison, 'options' | 'builders'>): Promise<PartResult> {
  const sift = loadSiftsmall(options.datasets);
  const fullN = sift.base.length / sift.dim;
  const n = Math.min(options.n, fullN);
  const workload = firstRows(sift, n, Math.min(options.queries, sift.queries.length / sift.dim));
  const label = n === fullN ? 'siftsmall l2' : `siftsmall l2 (first ${n} rows)`;
  const part = await compareGraphs({ ...common, label, workload, metric: 'l2', targets: false });
  if (n === fullN) {
    // FlatIndex is the truth of every curve; on siftsmall it must match the shipped ground truth.
    const k = options.k;
    const flat = exactNeighbours(workload, 'l2', k, options.kernels);
    const recall = recallAtK({ metric: 'l2', dim: sift.dim, k, base: workload.base, queries: workload.queries, truth: { ids: sift.groundTruth, stride: sift.groundTruthK }, found: { ids: flat, stride: k } });
    part.checks.push(correctness(`${label}: FlatIndex truth matches the shipped ground truth`, recall.tieAware === 1, recall.tieAware.toFixed(4)));
  }
  return part;
}

/**
 * Filtered search on sigmod2024-dummy: a timestamp window holding 10% of the points (the README's
 * T attribute), l2, exact filtered answers from FlatIndex with the same filter.
 */
async function filteredPart(options: BenchOptions, common: Pick<GraphComparison, 'options' | 'builders'>): Promise<PartResult> {
  const sigmod = loadSigmodDummy(options.datasets);
  const n = Math.min(options.n, sigmod.base.length / sigmod.dim);
  const workload = firstRows(sigmod, n, Math.min(options.queries, sigmod.queries.length / sigmod.dim));
  const window = timestampWindow(sigmod.timestamp, n, FILTER_SELECTIVITY);
  const filter = new SlotBitset(n);
  for (let slot = 0; slot < n; slot++) if (sigmod.timestamp[slot]! >= window.from && sigmod.timestamp[slot]! <= window.to) filter.add(slot);
  const selectivity = filter.count() / n;
  const label = `sigmod2024-dummy l2, ${(selectivity * 100).toFixed(1)}% filter`;
  const part = await compareGraphs({
    ...common,
    label,
    workload,
    metric: 'l2',
    targets: false,
    filter,
    recallTarget: FILTERED_RECALL_TARGET,
    after: (graphs, out) => {
      for (const { builder, curve } of graphs.filter((g) => g.builder.quiver)) {
        const reached = curve.find((p) => p.recall >= FILTERED_RECALL_TARGET);
        const best = Math.max(...curve.map((p) => p.recall));
        const detail = reached ? `${reached.recall.toFixed(4)} at efSearch ${reached.efSearch} (${reached.qps.toFixed(0)} q/s)` : `best ${best.toFixed(4)}`;
        out.checks.push(target(`${label}: ${builder.system} reaches recall@${options.k} ≥ ${FILTERED_RECALL_TARGET}`, reached !== undefined, detail));
      }
    },
  });
  part.notes.push(
    `${label}: predicate ${window.from.toFixed(5)} ≤ T ≤ ${window.to.toFixed(5)} on the first ${n} points (${filter.count()} pass); queries are the set's plain-kNN (type 0) vectors. Quiver gets the filter as a SlotBitset, hnswlib-node as a JS callback (its only form).`,
  );
  return part;
}

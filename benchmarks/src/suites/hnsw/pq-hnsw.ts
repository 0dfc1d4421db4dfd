import type { Metric } from '@quiver/core-math';
import { PqStorage, ProductQuantizer } from '@quiver/pq';
import type { Workload } from '../../data/synthetic.js';
import type { BenchOptions } from '../../options.js';
import type { RecallResult } from '../../recall.js';
import { nowMs } from '../../stats.js';
import { correctness, target, type PartResult } from '../compare-exact.js';
import type { BuiltGraph } from './compare-graphs.js';
import { measureCurves } from './curve.js';
import { exactNeighbours, recallScorer } from './exact-truth.js';
import { buildQuiverGraph, QuiverGraph } from './quiver-hnsw.js';

/** The issue's PQ-HNSW test: with rerank, recall@k reaches this ... */
const PQ_RECALL_TARGET = 0.95;
/** ... while the index (codes + graph) takes at most this share of the float32 index's bytes. */
const PQ_MEMORY_SHARE = 0.25;
/** Recall of the reranked PQ graph at its largest efSearch below this means a bug. */
const WORKING_FLOOR = 0.9;
/** Dimensions per PQ subspace: 4 gives 192-byte codes at 768 dimensions (1/16 of float32). */
const DIMS_PER_SUBSPACE = 4;
/** Training rows: 256 per centroid is all k-means uses (ProductQuantizer's default cap). */
const TRAINING_ROWS = 256 * 256;

export interface PqHnswRun {
  readonly label: string;
  readonly workload: Workload;
  readonly metric: Metric;
  readonly options: BenchOptions;
  readonly targets: boolean;
}

/** The largest subspace count of at most DIMS_PER_SUBSPACE dimensions each that divides `dim`. */
function subspacesFor(dim: number): number {
  for (let m = Math.ceil(dim / DIMS_PER_SUBSPACE); m <= dim; m++) if (dim % m === 0) return m;
  return dim;
}

/**
 * PQ-HNSW with rerank: the graph is built and walked over product-quantization codes (8-bit,
 * `dim / 4` subspaces), and the `efSearch` candidates are rescored with a float32 copy of the
 * vectors (`rerankStorage`). Recall over efSearch against the same exact answers, and bytes per
 * vector against Quiver's float32 graph of the same workload: the index proper (codes + graph)
 * and with the in-memory float32 rerank copy.
 */
export function measurePqHnsw(run: PqHnswRun, floatGraphs: readonly BuiltGraph[], fullRecallOf: (ids: Int32Array) => RecallResult, out: PartResult): void {
  const { metric, options, label } = run;
  const { dim } = run.workload;
  const fullN = run.workload.base.length / dim;
  // `--pq-n` cuts the section to the first rows (its build walks the codes in TypeScript and is slow).
  const n = options.pqN > 0 ? Math.min(options.pqN, fullN) : fullN;
  const workload = n === fullN ? run.workload : { ...run.workload, base: run.workload.base.subarray(0, n * dim) };
  const recallOf = n === fullN ? fullRecallOf : recallScorer(workload, metric, options.k, exactNeighbours(workload, metric, options.k, options.kernels));
  const queryCount = workload.queries.length / dim;
  const float = floatGraphs.find((g) => g.graph instanceof QuiverGraph);
  // Bytes per vector of the float32 graph built on all rows (its per-row cost barely depends on n).
  const floatBytes = float?.graph.indexBytes?.();
  const floatBytesPerVector = floatBytes === undefined ? undefined : floatBytes / fullN;
  const M = subspacesFor(dim);
  const system = `quiver PQ-HNSW (PQ${M}x8) + float32 rerank`;
  const section = `${label} · PQ-HNSW with rerank${n === fullN ? '' : ` (first ${n} rows)`}`;

  console.log(`[bench] ${section}: training and building`);
  const start = nowMs();
  const quantizer = new ProductQuantizer({ dim, M, nbits: 8, metric, seed: options.seed, kernels: options.kernels });
  let graph: QuiverGraph | undefined;
  try {
    quantizer.train(workload.base.subarray(0, Math.min(n, TRAINING_ROWS) * dim));
    const trainMs = nowMs() - start;
    graph = buildQuiverGraph(system, workload.base, dim, metric, { storage: () => new PqStorage({ quantizer }), rerankStorage: 'float32', kernels: options.kernels }, { rerank: true });
    const buildMs = nowMs() - start;
    const { index } = graph;
    const totalBytes = index.byteLength;
    const rerankBytes = (index.rerankStorage?.bytesPerVector ?? 0) * index.size;
    const indexBytes = totalBytes - rerankBytes;
    const base = { section, system, quiver: true } as const;
    out.measurements.push(
      { ...base, figure: 'build time', value: buildMs, unit: 'ms', better: 'lower', note: `PQ training ${(trainMs / 1000).toFixed(1)} s on ${Math.min(n, TRAINING_ROWS)} rows + graph over the codes; one thread` },
      { ...base, figure: 'bytes per vector', value: indexBytes / n, unit: 'B', better: 'lower', note: `codes (${quantizer.codeSize} B) + graph, without the rerank copy` },
      { ...base, figure: 'bytes per vector incl. rerank copy', value: totalBytes / n, unit: 'B', better: 'lower', note: 'with the float32 rerank vectors held in memory' },
    );
    if (float && floatBytesPerVector !== undefined) {
      out.measurements.push({ section, system: float.builder.system, quiver: true, reference: true, figure: 'bytes per vector', value: floatBytesPerVector, unit: 'B', better: 'lower', note: `float32 graph of all ${fullN} rows` });
    }

    graph.loadQueries(workload.queries);
    const curve = measureCurves([graph], { efSearch: options.efSearch, k: options.k, queryCount, repeats: options.repeats, recallOf })[0]!;
    const floatCurve = n === fullN ? (float?.curve ?? []) : [];
    for (const p of curve) {
      const floatPoint = floatCurve.find((f) => f.efSearch === p.efSearch);
      const vsFloat = floatPoint ? `; float32 graph ${floatPoint.recall.toFixed(4)} at ${floatPoint.qps.toFixed(0)} q/s` : '';
      out.measurements.push(
        { ...base, system: `${system}, efSearch ${p.efSearch}`, figure: 'recall@k (tie-aware)', value: p.recall, unit: '', better: 'higher', note: `strict ${p.strictRecall.toFixed(4)}${vsFloat}` },
        { ...base, system: `${system}, efSearch ${p.efSearch}`, figure: 'throughput', value: p.qps, unit: 'q/s', better: 'higher', note: `one query per call, rerank of all efSearch candidates` },
      );
    }
    const last = curve[curve.length - 1]!;
    out.checks.push(correctness(`${label}: ${system} recall@${options.k} at efSearch ${last.efSearch} ≥ ${WORKING_FLOOR}`, last.recall >= WORKING_FLOOR, last.recall.toFixed(4)));
    if (run.targets && floatBytesPerVector !== undefined) {
      const share = indexBytes / n / floatBytesPerVector;
      const reached = curve.find((p) => p.recall >= PQ_RECALL_TARGET);
      const detail = `${reached ? `recall ${reached.recall.toFixed(4)} at efSearch ${reached.efSearch}` : `best recall ${Math.max(...curve.map((p) => p.recall)).toFixed(4)}`}; codes + graph ${(share * 100).toFixed(1)}% of float32 (${((totalBytes / n / floatBytesPerVector) * 100).toFixed(1)}% with the float32 rerank copy)${n === fullN ? '' : `; on the first ${n} rows`}`;
      out.checks.push(target(`${label}: ${system} recall@${options.k} ≥ ${PQ_RECALL_TARGET} at ≤ ${PQ_MEMORY_SHARE} of float32 bytes`, reached !== undefined && share <= PQ_MEMORY_SHARE, detail));
    }
  } finally {
    graph?.dispose();
    quantizer.dispose();
  }
}

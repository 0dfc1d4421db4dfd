import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Metric } from '@quiver/core-math';
import type { HnswIndex } from '@quiver/hnsw';
import { FileRowStorage } from '@quiver/hnsw/node';
import { PqStorage, ProductQuantizer } from '@quiver/pq';
import type { Workload } from '../../data/synthetic.js';
import type { BenchOptions } from '../../options.js';
import type { RecallResult } from '../../recall.js';
import { nowMs } from '../../stats.js';
import { correctness, target, type PartResult } from '../compare-exact.js';
import { measureCurves } from './curve.js';
import { cachedFloatGraph } from './graph-cache.js';
import { QuiverGraph } from './quiver-hnsw.js';

/** The PQ-HNSW test: with rerank, recall@k reaches this ... */
const PQ_RECALL_TARGET = 0.95;
/** ... while the resident index (codes + graph + codebooks) takes at most this share of the float32 index's bytes. */
const PQ_MEMORY_SHARE = 0.25;
/** Recall of the reranked PQ graph at its largest efSearch below this means a bug. */
const WORKING_FLOOR = 0.9;
/**
 * Dimensions per PQ subspace: 2 gives 384-byte codes at 768 dimensions (1/8 of float32). The
 * mixture's isotropic noise is hard for PQ: at 4 dimensions per subspace recall stalls near 0.93.
 */
const DIMS_PER_SUBSPACE = 2;
/** Training rows: 100 per centroid (ProductQuantizer caps k-means at 256). */
const TRAINING_ROWS = 100 * 256;

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
 * Memory-lean PQ-HNSW, as kANNolo's DensePQHNSW builds it: the HNSW graph is built on the float32
 * vectors (one thread, or the float32 graph the comparison just built, through a cache file),
 * then its storage is swapped for 8-bit PQ codes, searched by the graph kernels (an ADC table per
 * query), and the `efSearch` candidates are reranked with float32 rows read on demand from a file
 * (`FileRowStorage`), so the resident index is codes + graph + codebooks. Recall over efSearch
 * against the exact answers, and resident bytes per vector against the float32 index.
 */
export async function measurePqHnsw(run: PqHnswRun, floatIndex: HnswIndex | undefined, recallOf: (ids: Int32Array) => RecallResult, out: PartResult): Promise<void> {
  const { metric, options, label, workload } = run;
  const { dim } = workload;
  const n = workload.base.length / dim;
  const queryCount = workload.queries.length / dim;
  const M = subspacesFor(dim);
  const system = `quiver PQ-HNSW (PQ${M}x8) + file rerank`;
  const section = `${label} · PQ-HNSW, rerank from a file`;
  const base = { section, system, quiver: true } as const;

  console.log(`[bench] ${section}: float32 graph`);
  const graphStart = nowMs();
  const { index, how } = await cachedFloatGraph(run, floatIndex);
  const graphMs = nowMs() - graphStart;
  out.notes.push(`${section}: float32 graph ${how} in ${(graphMs / 1000).toFixed(1)} s.`);
  const floatBytesPerVector = index.byteLength / n;
  const dir = mkdtempSync(join(tmpdir(), 'quiver-pq-hnsw-'));
  const quantizer = new ProductQuantizer({ dim, M, nbits: 8, metric, seed: options.seed, kernels: options.kernels });
  let graph: QuiverGraph | undefined;
  try {
    console.log(`[bench] ${section}: PQ training and encoding`);
    const start = nowMs();
    quantizer.train(workload.base.subarray(0, Math.min(n, TRAINING_ROWS) * dim));
    const trainMs = nowMs() - start;
    const codes = new PqStorage({ quantizer, initialCapacity: n });
    codes.append(workload.base);
    index.swapStorage(codes); // frees the float32 rows
    const encodeMs = nowMs() - start - trainMs;
    // The rerank rows: the raw float32 base on disk (under cosine FileRowStorage normalizes as it reads).
    const rowsFile = join(dir, 'base.f32');
    writeFileSync(rowsFile, new Uint8Array(workload.base.buffer, workload.base.byteOffset, workload.base.byteLength));
    index.setRerankStorage(FileRowStorage.open(rowsFile, { metric, dim, format: 'f32' }));
    graph = new QuiverGraph(system, index, { rerank: true });

    // Resident: codes + graph + search scratch (HnswIndex.byteLength; the file counts nothing)
    // and the codebooks (centroids and their transposed copy).
    const codebookBytes = 2 * quantizer.M * quantizer.ksub * quantizer.dsub * 4;
    const residentPerVector = (index.byteLength + codebookBytes) / n;
    const share = residentPerVector / floatBytesPerVector;
    out.measurements.push(
      { ...base, figure: 'PQ training', value: trainMs, unit: 'ms', better: 'lower', note: `${Math.min(n, TRAINING_ROWS)} rows, one thread` },
      { ...base, figure: 'PQ encoding + storage swap', value: encodeMs, unit: 'ms', better: 'lower', note: `${n} rows` },
      { ...base, figure: 'resident bytes per vector', value: residentPerVector, unit: 'B', better: 'lower', note: `codes ${quantizer.codeSize} B + graph and scratch + codebooks ${(codebookBytes / n).toFixed(1)} B; rerank rows stay in the file; ${(share * 100).toFixed(1)}% of float32` },
      { section, system: 'quiver hnsw (float32)', quiver: true, reference: true, figure: 'resident bytes per vector', value: floatBytesPerVector, unit: 'B', better: 'lower', note: 'HnswIndex.byteLength: vectors + graph and scratch' },
    );

    console.log(`[bench] ${section}: recall / throughput curve`);
    graph.loadQueries(workload.queries);
    const curve = measureCurves([graph], { efSearch: options.efSearch, k: options.k, queryCount, repeats: options.repeats, recallOf })[0]!;
    for (const p of curve) {
      const at = { ...base, system: `${system}, efSearch ${p.efSearch}` };
      out.measurements.push(
        { ...at, figure: 'recall@k (tie-aware)', value: p.recall, unit: '', better: 'higher', note: `strict ${p.strictRecall.toFixed(4)}` },
        { ...at, figure: 'throughput', value: p.qps, unit: 'q/s', better: 'higher', note: `one query per call, ADC search in the graph kernels, rerank of all ${p.efSearch} candidates from the file` },
        { ...at, figure: 'latency p50', value: p.p50Ms, unit: 'ms', better: 'lower' },
      );
    }
    const last = curve[curve.length - 1]!;
    out.checks.push(correctness(`${label}: ${system} recall@${options.k} at efSearch ${last.efSearch} ≥ ${WORKING_FLOOR}`, last.recall >= WORKING_FLOOR, last.recall.toFixed(4)));
    if (run.targets) {
      const reached = curve.find((p) => p.recall >= PQ_RECALL_TARGET);
      const recall = reached ? `recall ${reached.recall.toFixed(4)} at efSearch ${reached.efSearch} (${reached.qps.toFixed(0)} q/s)` : `best recall ${Math.max(...curve.map((p) => p.recall)).toFixed(4)}`;
      const detail = `${recall}; resident ${residentPerVector.toFixed(0)} B/vector = ${(share * 100).toFixed(1)}% of float32's ${floatBytesPerVector.toFixed(0)} B`;
      out.checks.push(target(`${label}: ${system} recall@${options.k} ≥ ${PQ_RECALL_TARGET} at ≤ ${PQ_MEMORY_SHARE} of float32 bytes`, reached !== undefined && share <= PQ_MEMORY_SHARE, detail));
    }
  } finally {
    if (graph) graph.dispose();
    else index.dispose();
    quantizer.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

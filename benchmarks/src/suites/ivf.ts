import { defaultArena, normalized, type KernelChoice, type Metric, type SearchResult } from '@quiver/core-math';
import { FlatIndex } from '@quiver/flat';
import { IvfIndex, type IvfIndexOptions } from '@quiver/pq';
import { loadSiftsmall, siftsmallMissing } from '../data/siftsmall.js';
import { syntheticWorkload, type Workload } from '../data/synthetic.js';
import type { BenchOptions } from '../options.js';
import { recallAtK, type Neighbours } from '../recall.js';
import type { Measurement, SuiteResult } from '../report.js';
import { collectGarbage, nowMs } from '../stats.js';
import { correctness, type PartResult } from './compare-exact.js';
import { parametersOf } from './exact.js';

export interface IvfSuiteScope {
  /** Run the siftsmall workload (when the dataset is there); the smoke suite leaves it out. */
  readonly siftsmall: boolean;
}

/** The settings under test: IVF-Flat, and IVF-PQ with residual codes and exact rerank. */
interface Variant {
  readonly system: string;
  options(dim: number): Omit<IvfIndexOptions, 'dim' | 'metric' | 'nlist' | 'kernels'>;
}

const VARIANTS: readonly Variant[] = [
  { system: 'ivf-flat', options: () => ({ storage: 'flat' }) },
  // Both PQ variants store dim / 4 bytes of code per vector (32 B at d = 128) and rescore
  // k × 8 candidates from float32 rows: 8-bit codes over dim / 4 subspaces, scanned through float
  // tables, against 4-bit codes over dim / 2 subspaces, scanned by the fast scan's uint8 tables.
  { system: 'ivf-pq 8-bit + rerank', options: (dim) => ({ storage: 'pq', nbits: 8, M: largestDivisorAtMost(dim, dim / 4), rerank: true, rerankFactor: 8 }) },
  { system: 'ivf-pq 4-bit fast scan + rerank', options: (dim) => ({ storage: 'pq', nbits: 4, M: largestDivisorAtMost(dim, Math.min(256, dim / 2)), rerank: true, rerankFactor: 8 }) },
];

const FLAT = 'quiver flat (exact scan)';
/** The recall at which the summary compares throughput. */
const RECALL_GOAL = 0.95;

/**
 * IVF-Flat and IVF-PQ (8-bit with rerank, 4-bit fast scan with rerank) against Quiver's exact
 * FlatIndex scan in the same run: build time (train + add) and bytes per vector, then over
 * `--nprobe` recall@k and batch throughput on one thread, each variant's settings timed in turns
 * with the exact scan. Workloads: the synthetic mixture (`--n` × `--dim`, default 100k × 128) and
 * siftsmall with its shipped ground truth. nlist = round(√n).
 */
export async function runIvfSuite(options: BenchOptions, scope: IvfSuiteScope = { siftsmall: true }): Promise<SuiteResult> {
  const result: SuiteResult = {
    suite: 'ivf',
    parameters: parametersOf(options, ['single', 'subset', 'threads', 'bits', 'dims', 'efSearch', 'python']),
    measurements: [],
    checks: [],
    notes: [
      'nlist = round(√n); k-means with the IvfIndex defaults (25 iterations, k-means++, at most 256 training points per centroid), trained on the base vectors. IVF-PQ encodes residuals from the list centroid.',
      `Throughput: batches of all queries on one thread, repeated within each timed sample for about ${SAMPLE_MS} ms; every nprobe setting takes turns with the exact FlatIndex scan (the reference of its section) for --repeats rounds, and the best sample counts.`,
      'Bytes per vector: arena growth during train + add, divided by n (codes, l2 terms, float32 rerank rows, centroids, list padding); each index also keeps 12 B per vector of slot bookkeeping on the JS heap.',
    ],
  };
  const merge = (part: PartResult) => {
    result.measurements.push(...part.measurements);
    result.checks.push(...part.checks);
    result.notes.push(...part.notes);
  };
  for (const metric of options.metrics) {
    const start = nowMs();
    const workload = syntheticWorkload({ ...options, queries: options.queries });
    result.notes.push(`Synthetic ${options.n}×${options.dim} generated in ${((nowMs() - start) / 1000).toFixed(1)} s.`);
    merge(await measureWorkload(`synthetic ${options.n}×${options.dim} ${metric}`, workload, metric, undefined, options));
  }
  const missing = siftsmallMissing(options.datasets);
  if (!scope.siftsmall) return result;
  if (missing) {
    result.notes.push(`siftsmall skipped: ${missing}.`);
    return result;
  }
  const sift = loadSiftsmall(options.datasets);
  merge(await measureWorkload('siftsmall 10000×128 l2', sift, 'l2', { ids: sift.groundTruth, stride: sift.groundTruthK }, options));
  return result;
}

/** One workload: the exact reference, then every variant's build, recall and throughput over nprobe. */
async function measureWorkload(label: string, workload: Workload, metric: Metric, shipped: Neighbours | undefined, options: BenchOptions): Promise<PartResult> {
  const { dim, base, queries } = workload;
  const n = base.length / dim;
  const queryCount = queries.length / dim;
  const k = options.k;
  const nlist = Math.max(1, Math.round(Math.sqrt(n)));
  // The curve ends with every list probed: IVF-Flat must then be exact (checked below).
  const nprobes = [...new Set([...options.nprobe.map((p) => Math.min(p, nlist)), nlist])].sort((a, b) => a - b);
  const out: PartResult = { measurements: [], checks: [], notes: [] };
  const add = (m: Measurement) => out.measurements.push(m);
  const buildSection = `${label} · build (nlist ${nlist})`;

  const flatStart = nowMs();
  const flat = new FlatIndex({ dim, metric, kernels: options.kernels });
  flat.add(base);
  add({ section: buildSection, system: FLAT, figure: 'build time', value: nowMs() - flatStart, unit: 'ms', better: 'lower', quiver: true, reference: true });
  add({ section: buildSection, system: FLAT, figure: 'bytes per vector', value: dim * 4, unit: 'B', better: 'lower', quiver: true, reference: true });
  const exact = flat.search(queries, k);
  const truth: Neighbours = shipped ?? { ids: exact.slots, stride: exact.k };
  // Recall scores come from float64 over the rows as searched (unit rows under cosine).
  const scoredBase = metric === 'cosine' ? normalized(base, dim, 'keep') : base;
  const scoredQueries = metric === 'cosine' ? normalized(queries, dim, 'keep') : queries;
  const recall = (found: SearchResult): number =>
    recallAtK({ metric, base: scoredBase, queries: scoredQueries, dim, truth, found: { ids: found.slots, stride: found.k }, k }).tieAware;
  if (shipped) {
    const flatRecall = recall(exact);
    out.checks.push(correctness(`${label}: exact FlatIndex matches the shipped ground truth`, flatRecall === 1, `recall@${k} ${flatRecall.toFixed(4)}`));
  }

  const summarySection = `${label} · smallest nprobe reaching recall@${k} ≥ ${RECALL_GOAL}`;
  try {
    for (const variant of VARIANTS) {
      collectGarbage();
      const arenaBefore = defaultArena().bytesInUse;
      const start = nowMs();
      const index = new IvfIndex({ dim, metric, nlist, kernels: options.kernels as KernelChoice, ...variant.options(dim) });
      try {
        index.train(base);
        index.add(base);
        const buildMs = nowMs() - start;
        const bytes = (defaultArena().bytesInUse - arenaBefore) / n;
        const described = describe(index);
        add({ section: buildSection, system: variant.system, figure: 'build time', value: buildMs, unit: 'ms', better: 'lower', quiver: true, note: `train + add; ${described}` });
        add({ section: buildSection, system: variant.system, figure: 'bytes per vector', value: bytes, unit: 'B', better: 'lower', quiver: true, note: `payload ${index.bytesPerVector} B` });

        const section = `${label} · ${variant.system} · batch of ${queryCount}, k = ${k}, 1 thread`;
        const recalls = nprobes.map((nprobe) => recall(index.search(queries, k, { nprobe })));
        const qps = bestQps(queryCount, options.repeats, [() => flat.search(queries, k), ...nprobes.map((nprobe) => () => index.search(queries, k, { nprobe }))]);
        add({ section, system: FLAT, figure: 'throughput', value: qps[0]!, unit: 'q/s', better: 'higher', quiver: true, reference: true });
        add({ section, system: FLAT, figure: `recall@${k}`, value: shipped ? recall(exact) : 1, unit: '', better: 'higher', quiver: true, reference: true });
        nprobes.forEach((nprobe, i) => {
          const system = `nprobe ${nprobe}`;
          add({ section, system, figure: 'throughput', value: qps[i + 1]!, unit: 'q/s', better: 'higher', quiver: true });
          add({ section, system, figure: `recall@${k}`, value: recalls[i]!, unit: '', better: 'higher', quiver: true });
        });
        if (variant.options(dim).storage === 'flat' && nprobes.at(-1) === nlist) {
          out.checks.push(correctness(`${label}: IVF-Flat probing every list is exact`, recalls.at(-1) === 1, `recall@${k} ${recalls.at(-1)!.toFixed(4)}`));
        }
        const reached = nprobes.findIndex((_, i) => recalls[i]! >= RECALL_GOAL);
        add({
          section: summarySection,
          system: variant.system,
          figure: 'throughput ÷ exact scan',
          value: reached < 0 ? Number.NaN : qps[reached + 1]! / qps[0]!,
          unit: '×',
          better: 'higher',
          quiver: true,
          note:
            reached < 0
              ? `recall@${k} stays below ${RECALL_GOAL} (best ${Math.max(...recalls).toFixed(4)})`
              : `nprobe ${nprobes[reached]}: recall@${k} ${recalls[reached]!.toFixed(4)}, ${Math.round(qps[reached + 1]!)} q/s; exact scan ${Math.round(qps[0]!)} q/s in the same turns`,
        });
      } finally {
        index.dispose();
      }
    }
  } finally {
    flat.dispose();
  }
  return out;
}

function describe(index: IvfIndex): string {
  if (index.storage === 'flat') return 'float32 lists';
  return `M ${index.M}, ${index.nbits}-bit, rerank k × ${index.rerankFactor}`;
}

/** Batches are repeated within one timed sample until it lasts this long. */
const SAMPLE_MS = 150;

/**
 * Queries per second of several ways to run the same batch: each sample repeats a contender's
 * batch for about SAMPLE_MS (fast IVF batches take a few ms, too short to time on a shared
 * machine), samples alternate between contenders for `rounds` rounds, and the best sample counts
 * (background load only ever slows a sample down).
 */
function bestQps(queries: number, rounds: number, contenders: readonly (() => unknown)[]): number[] {
  const loops = contenders.map((run) => {
    const start = nowMs();
    run();
    return Math.max(1, Math.ceil(SAMPLE_MS / Math.max(nowMs() - start, 0.01)));
  });
  const best = contenders.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    contenders.forEach((run, c) => {
      const start = nowMs();
      for (let i = 0; i < loops[c]!; i++) run();
      best[c] = Math.max(best[c]!, (queries * loops[c]! * 1000) / (nowMs() - start));
    });
  }
  return best;
}

/** The largest divisor of `dim` not above `limit` (at least 1). */
function largestDivisorAtMost(dim: number, limit: number): number {
  for (let m = Math.max(1, Math.floor(limit)); m > 1; m--) if (dim % m === 0) return m;
  return 1;
}

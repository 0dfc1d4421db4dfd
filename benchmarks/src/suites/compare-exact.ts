import { defaultArena, normalized, type Metric, type SearchResult } from '@quiver/core-math';
import { FlatIndex, type FlatPrefilter } from '@quiver/flat';
import { LangChainStore } from '../baselines/langchain.js';
import { numpyUnavailableReason, runNumpyBaseline, type NumpyResult } from '../baselines/numpy.js';
import { PlainLoopStore } from '../baselines/plain-loop.js';
import type { Workload } from '../data/synthetic.js';
import { memorySnapshot, retainedBytes } from '../memory.js';
import type { BenchOptions } from '../options.js';
import { recallAtK, type Neighbours, type RecallResult } from '../recall.js';
import type { Check, Measurement } from '../report.js';
import { workerPool } from '../worker-pools.js';
import { collectGarbage, interleavedQps, nowMs, summarizeLatencies, timeEach, timeEachAsync, type LatencySummary } from '../stats.js';

export interface ExactComparison {
  /** Section prefix, e.g. `dot 100000×384`. */
  readonly label: string;
  readonly workload: Workload;
  readonly metric: Metric;
  readonly options: BenchOptions;
  /** Shipped ground truth; without it, the plain loop's answers on the subset are the truth. */
  readonly groundTruth?: Neighbours;
  /** Add the foundation issue's performance targets as checks. */
  readonly targets: boolean;
}

export interface PartResult {
  readonly measurements: Measurement[];
  readonly checks: Check[];
  readonly notes: string[];
}

/** Recall below this against an exact oracle means a bug, not float32 rounding. */
const RECALL_FLOOR = 0.999;
const PLAIN = 'plain TS loop';
const LANGCHAIN = 'LangChain MemoryVectorStore';

/** What every system's measurement needs: the workload, its slices and where figures go. */
interface Context extends ExactComparison {
  readonly k: number;
  readonly batch: Float32Array;
  readonly batchCount: number;
  /** Queries given to the slow baselines. */
  readonly subsetCount: number;
  readonly singleCount: number;
  query(i: number): Float32Array;
  add(section: Section, m: Omit<Measurement, 'section'>): void;
  readonly out: PartResult;
}

type Section = 'build' | 'single query' | 'batch' | 'recall' | 'memory';

/**
 * Quiver's exact search against numpy, the plain TypeScript loop and LangChain's MemoryVectorStore
 * on one workload: build, single-query latency, batch throughput (one thread and a worker pool),
 * recall, memory. Systems run one after another so they never compete for the cores.
 */
export async function compareExact(comparison: ExactComparison): Promise<PartResult> {
  const { workload, options, label } = comparison;
  const { dim, queries } = workload;
  const queryCount = queries.length / dim;
  const batchCount = Math.min(options.queries, queryCount);
  const out: PartResult = { measurements: [], checks: [], notes: [] };
  const sectionNames: Record<Section, string> = {
    build: 'build',
    'single query': 'single query',
    batch: `batch of ${batchCount} queries`,
    recall: `recall@${options.k}`,
    memory: 'memory',
  };
  const ctx: Context = {
    ...comparison,
    k: options.k,
    batch: queries.subarray(0, batchCount * dim),
    batchCount,
    subsetCount: Math.max(1, Math.min(options.subset, batchCount)),
    singleCount: Math.max(1, options.single),
    query: (i) => queries.subarray((i % queryCount) * dim, ((i % queryCount) + 1) * dim),
    add: (section, m) => out.measurements.push({ ...m, section: `${label} · ${sectionNames[section]}` }),
    out,
  };

  const quiver = await measureQuiver(ctx, 'none');
  const pruned = await measureQuiver(ctx, 'int8');
  out.checks.push(sameResults(`${label}: the int8 prefilter returns the plain scan's results`, quiver.oneThread, pruned.oneThread));
  const plain = measurePlainLoop(ctx);
  const langchain = await measureLangChain(ctx);
  const numpy = await measureNumpy(ctx);
  if (comparison.targets) {
    for (const variant of [quiver, pruned]) checkTargets(ctx, variant, plain.latencies, langchain.latencies, numpy);
  }
  checkRecall(ctx, quiver, plain.ids, langchain.ids, numpy);
  return out;
}

interface QuiverFigures {
  readonly system: string;
  readonly single: LatencySummary;
  readonly batchQps: number;
  readonly pooledQps: number;
  readonly oneThread: SearchResult;
}

/** FlatIndex with the given prefilter: `none` scans float32 rows, `int8` prunes with the sketch. */
async function measureQuiver(ctx: Context, prefilter: FlatPrefilter): Promise<QuiverFigures> {
  const { workload, metric, options, k, batch, batchCount } = ctx;
  const n = workload.base.length / workload.dim;
  // Started before the index exists, so the pool also covers rows allocated after its workers attached.
  const executor = workerPool(options.threads, options.kernels);
  collectGarbage();
  const arenaBefore = defaultArena().bytesInUse;
  const start = nowMs();
  const index = new FlatIndex({ dim: workload.dim, metric, kernels: options.kernels, prefilter });
  index.add(workload.base);
  const buildMs = nowMs() - start;
  const system = `quiver flat (${index.backend}${prefilter === 'none' ? '' : `, ${prefilter} prefilter`})`;
  ctx.add('build', { system, figure: 'build time', value: buildMs, unit: 'ms', better: 'lower', quiver: true });
  ctx.add('build', { system, figure: 'bytes per vector', value: (defaultArena().bytesInUse - arenaBefore) / n, unit: 'B', better: 'lower', quiver: true, note: 'arena growth' });
  try {
    const single = summarizeLatencies(timeEach(ctx.singleCount, 10, (i) => index.search(ctx.query(i), k)));
    addLatency(ctx, system, single, true);
    let oneThread: SearchResult | undefined;
    let pooled: SearchResult | undefined;
    const [batchQpsValue, pooledQps] = (await interleavedQps(batchCount, options.repeats, [
      () => (oneThread = index.search(batch, k)),
      async () => (pooled = await index.searchAsync(batch, k, { executor })),
    ])) as [number, number];
    ctx.add('batch', { system: `${system}, 1 thread`, figure: 'throughput', value: batchQpsValue, unit: 'q/s', better: 'higher', quiver: true, reference: prefilter === 'none' });
    ctx.add('batch', { system: `${system}, ${options.threads} threads`, figure: 'throughput', value: pooledQps, unit: 'q/s', better: 'higher', quiver: true, note: 'WorkerPool' });
    ctx.out.checks.push(sameResults(`${ctx.label}: worker pool returns the one-thread results`, oneThread!, pooled!));

    const memory = memorySnapshot();
    ctx.add('memory', { system, figure: 'process RSS', value: memory.rssBytes / 2 ** 20, unit: 'MiB', better: 'lower', quiver: true, note: 'after its runs; includes the workload arrays' });
    ctx.add('memory', { system, figure: 'arena size', value: defaultArena().byteLength / 2 ** 20, unit: 'MiB', better: 'lower', quiver: true });
    return { system, single, batchQps: batchQpsValue, pooledQps, oneThread: oneThread! };
  } finally {
    index.dispose();
  }
}

interface BaselineAnswers {
  /** Top-k ids of the subset queries, `k` per query. */
  readonly ids: Int32Array;
  readonly latencies: number[];
}

function measurePlainLoop(ctx: Context): BaselineAnswers {
  const { workload, metric, k, subsetCount } = ctx;
  const before = memorySnapshot();
  const start = nowMs();
  const store = new PlainLoopStore(workload.dim, metric);
  store.add(workload.base);
  addBuild(ctx, PLAIN, nowMs() - start, before);
  const ids = new Int32Array(subsetCount * k).fill(-1);
  const latencies = timeEach(subsetCount, 1, (i) => ids.set(store.search(ctx.query(i), k).ids, i * k));
  addSlowBaseline(ctx, PLAIN, latencies, '');
  return { ids, latencies };
}

async function measureLangChain(ctx: Context): Promise<BaselineAnswers> {
  const { workload, metric, k, subsetCount } = ctx;
  const before = memorySnapshot();
  const start = nowMs();
  const store = new LangChainStore(workload.dim, metric);
  await store.add(workload.base);
  addBuild(ctx, LANGCHAIN, nowMs() - start, before, 'addVectors of number[] rows');
  const ids = new Int32Array(subsetCount * k).fill(-1);
  const latencies = await timeEachAsync(subsetCount, 1, async (i) => ids.set(await store.search(ctx.query(i), k), i * k));
  addSlowBaseline(ctx, LANGCHAIN, latencies, metric === 'l2' ? '' : '; scores cosine');
  return { ids, latencies };
}

async function measureNumpy(ctx: Context): Promise<NumpyResult | undefined> {
  const { workload, metric, options, k, label } = ctx;
  const unavailable = options.python ? numpyUnavailableReason() : 'disabled by --no-python';
  if (unavailable) {
    ctx.out.notes.push(`${label}: numpy baseline skipped (${unavailable}).`);
    return undefined;
  }
  const numpy = await runNumpyBaseline({ ...workload, metric, k, single: ctx.singleCount, batch: ctx.batchCount, repeats: options.repeats });
  const base = { unit: '', better: 'lower', quiver: false } as const;
  ctx.add('build', { ...base, system: 'numpy', figure: 'build time', value: numpy.buildMs, unit: 'ms', note: 'np.load + normalize/norms' });
  ctx.add('build', { ...base, system: 'numpy', figure: 'bytes per vector', value: numpy.bytesPerVector, unit: 'B' });
  addLatency(ctx, 'numpy', numpy.single!, false, 'X @ q + argpartition + sort');
  ctx.add('batch', { system: 'numpy, loop of single queries', figure: 'throughput', value: numpy.loop.qps, unit: 'q/s', better: 'higher', quiver: false });
  ctx.add('batch', { system: 'numpy, one GEMM', figure: 'throughput', value: numpy.gemm.qps, unit: 'q/s', better: 'higher', quiver: false, note: 'Q @ X.T + argpartition per row' });
  ctx.add('memory', { ...base, system: 'numpy', figure: 'peak RSS', value: numpy.peakRssBytes / 2 ** 20, unit: 'MiB', note: 'python process' });
  ctx.out.notes.push(`${label}: numpy ${numpy.numpy}, BLAS ${numpy.blas}, OPENBLAS_NUM_THREADS=${numpy.blasThreads}.`);
  return numpy;
}

/** The foundation issue's targets (docs: benchmarks/README.md). */
function checkTargets(ctx: Context, quiver: QuiverFigures, plain: number[], langchain: number[], numpy: NumpyResult | undefined): void {
  const { options, out } = ctx;
  const label = `${ctx.label}, ${quiver.system}`;
  const speedup = quiver.pooledQps / quiver.batchQps;
  out.checks.push(target(`${label}: ${options.threads} threads ≥ 1.6× one thread`, speedup >= 1.6, `${speedup.toFixed(2)}×`));
  if (numpy) {
    const p50 = numpy.single!.p50Ms;
    out.checks.push(target(`${label}: single-query p50 ≤ numpy`, quiver.single.p50Ms <= p50, `${quiver.single.p50Ms.toFixed(3)} ms vs ${p50.toFixed(3)} ms`));
    for (const [name, qps] of [['numpy GEMM', numpy.gemm.qps], ['numpy loop', numpy.loop.qps]] as const) {
      out.checks.push(target(`${label}: 1-thread batch ≥ ${name}`, quiver.batchQps >= qps, `${quiver.batchQps.toFixed(0)} vs ${qps.toFixed(0)} q/s`));
    }
  }
  for (const [name, latencies] of [[PLAIN, plain], [LANGCHAIN, langchain]] as const) {
    const batchRatio = quiver.batchQps / qpsOf(latencies);
    out.checks.push(target(`${label}: 1-thread batch ≥ 5× ${name}`, batchRatio >= 5, `${batchRatio.toFixed(1)}×`));
    const singleRatio = summarizeLatencies(latencies).p50Ms / quiver.single.p50Ms;
    out.checks.push(target(`${label}: single-query p50 ≥ 5× faster than ${name}`, singleRatio >= 5, `${singleRatio.toFixed(1)}×`));
  }
}

/** Recall of every system, scored independently in float64 (recall.ts), and Quiver's correctness checks. */
function checkRecall(ctx: Context, quiver: QuiverFigures, plainIds: Int32Array, langchainIds: Int32Array, numpy: NumpyResult | undefined): void {
  const { workload, metric, k, label, groundTruth, batchCount, subsetCount, out } = ctx;
  const { dim } = workload;
  const scored = metric === 'cosine' ? { base: normalized(workload.base, dim), queries: normalized(workload.queries, dim) } : workload;
  const recall = (truth: Neighbours, found: Neighbours, count: number): RecallResult =>
    recallAtK({ metric, dim, k, truth, found, base: scored.base, queries: scored.queries.subarray(0, count * dim) });
  const truth = groundTruth ?? { ids: plainIds, stride: k };
  const truthName = groundTruth ? 'the shipped ground truth' : "the plain loop's answers";
  const truthCount = groundTruth ? batchCount : subsetCount;
  const addRecall = (system: string, result: RecallResult, quiverRow: boolean, count: number, caveat = '') =>
    ctx.add('recall', { system, figure: 'recall (tie-aware)', value: result.tieAware, unit: '', better: 'higher', quiver: quiverRow, note: `vs ${truthName} on ${count} queries; strict ${result.strict.toFixed(4)}${caveat}` });

  const quiverRecall = recall(truth, { ids: quiver.oneThread.slots, stride: k }, truthCount);
  addRecall(quiver.system, quiverRecall, true, truthCount);
  const floor = groundTruth ? 1 : RECALL_FLOOR;
  out.checks.push(correctness(`${label}: Quiver recall@${k} vs ${truthName}`, quiverRecall.tieAware >= floor, `${quiverRecall.tieAware.toFixed(4)} (${quiverRecall.imperfectQueries} imperfect queries)`));
  if (groundTruth) addRecall(PLAIN, recall(truth, { ids: plainIds, stride: k }, subsetCount), false, subsetCount);
  const langchainCaveat = metric === 'dot' ? '; it ranks by cosine, not by dot' : '';
  addRecall(LANGCHAIN, recall(truth, { ids: langchainIds, stride: k }, subsetCount), false, subsetCount, langchainCaveat);
  if (numpy) {
    const numpyIds = { ids: numpy.ids.flat(), stride: k };
    addRecall('numpy', recall(truth, numpyIds, truthCount), false, truthCount);
    const agreement = recall(numpyIds, { ids: quiver.oneThread.slots, stride: k }, batchCount);
    out.checks.push(correctness(`${label}: Quiver agrees with numpy on all ${batchCount} batch queries`, agreement.tieAware >= RECALL_FLOOR, `tie-aware recall ${agreement.tieAware.toFixed(4)}`));
  }
}

function addBuild(ctx: Context, system: string, buildMs: number, before: ReturnType<typeof memorySnapshot>, note?: string): void {
  const n = ctx.workload.base.length / ctx.workload.dim;
  ctx.add('build', { system, figure: 'build time', value: buildMs, unit: 'ms', better: 'lower', quiver: false, ...(note ? { note } : {}) });
  ctx.add('build', { system, figure: 'bytes per vector', value: retainedBytes(before, memorySnapshot()) / n, unit: 'B', better: 'lower', quiver: false, note: 'heap + ArrayBuffer growth' });
}

/** Latency and throughput of a baseline that ran the subset one query at a time. */
function addSlowBaseline(ctx: Context, system: string, latencies: number[], note: string): void {
  addLatency(ctx, system, summarizeLatencies(latencies), false);
  ctx.add('batch', { system, figure: 'throughput', value: qpsOf(latencies), unit: 'q/s', better: 'higher', quiver: false, note: `${latencies.length} queries, one by one${note}` });
}

function addLatency(ctx: Context, system: string, latency: LatencySummary, quiver: boolean, note?: string): void {
  const detail = `${latency.samples} queries${note ? `; ${note}` : ''}`;
  ctx.add('single query', { system, figure: 'latency p50', value: latency.p50Ms, unit: 'ms', better: 'lower', quiver, note: detail });
  ctx.add('single query', { system, figure: 'latency p99', value: latency.p99Ms, unit: 'ms', better: 'lower', quiver, note: detail });
}

function qpsOf(latenciesMs: readonly number[]): number {
  return (latenciesMs.length * 1000) / latenciesMs.reduce((sum, v) => sum + v, 0);
}

export function correctness(name: string, pass: boolean, detail: string): Check {
  return { name, pass, detail, kind: 'correctness' };
}

export function target(name: string, pass: boolean, detail: string): Check {
  return { name, pass, detail, kind: 'target' };
}

/** The pool must return exactly the one-thread answer: same slots, bit-identical scores. */
function sameResults(name: string, a: SearchResult, b: SearchResult): Check {
  let mismatches = 0;
  for (let i = 0; i < a.slots.length; i++) if (a.slots[i] !== b.slots[i] || !Object.is(a.scores[i], b.scores[i])) mismatches++;
  for (let q = 0; q < a.queryCount; q++) if (a.counts[q] !== b.counts[q]) mismatches++;
  return correctness(name, mismatches === 0 && a.queryCount === b.queryCount, `${mismatches} differing entries`);
}

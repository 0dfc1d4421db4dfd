import { MemoryVectorStore } from '@langchain/classic/vectorstores/memory';
import { Document, type DocumentInterface } from '@langchain/core/documents';
import { NoEmbeddings } from '../baselines/langchain.js';
import type { Metric } from '@quiver/core-math';
import { QuiverVectorStore, type QuiverSimilarity } from '@quiver/langchain';
import { syntheticWorkload } from '../data/synthetic.js';
import type { BenchOptions } from '../options.js';
import type { Measurement, SuiteResult } from '../report.js';
import { collectGarbage, interleavedQps, nowMs } from '../stats.js';
import { correctness, target } from './compare-exact.js';
import { parametersOf } from './exact.js';

/** The target: QuiverVectorStore (exact backend) at >= 10x MemoryVectorStore's queries per second. */
const QPS_TARGET = 10;
/** Metadata categories; an equality on one admits 1 / CATEGORIES of the documents. */
const CATEGORIES = 10;
const QUIVER = 'QuiverVectorStore (exact)';
const MEMORY = 'LangChain MemoryVectorStore';

/** MemoryVectorStore's similarity function that scores as QuiverVectorStore does for each metric. */
const MEMORY_SIMILARITY: Record<QuiverSimilarity, ((a: number[], b: number[]) => number) | undefined> = {
  cosine: undefined, // its default
  dot: (a, b) => {
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
    return sum;
  },
  euclidean: (a, b) => {
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
    return -Math.sqrt(sum);
  },
};

function similarityOf(metric: Metric): QuiverSimilarity {
  return metric === 'l2' ? 'euclidean' : metric;
}

/**
 * LangChain's `similaritySearchVectorWithScore` through both stores as their users call it
 * (`number[]` vectors, Documents with metadata), unfiltered and with a metadata equality admitting
 * 10% of the documents: QuiverVectorStore with the exact backend (an object filter, answered from
 * the inverted index) against MemoryVectorStore (the equivalent function filter), in the same run.
 * Quiver runs `--queries` queries, MemoryVectorStore `--subset`; both one call at a time.
 */
export async function runLangchainSuite(options: BenchOptions, withTargets = true): Promise<SuiteResult> {
  const { n, dim, k, repeats } = options;
  // MemoryVectorStore needs at least one query for a ratio.
  const subset = Math.max(1, options.subset);
  const queryCount = Math.max(options.queries, subset);
  const result: SuiteResult = {
    suite: 'langchain',
    parameters: parametersOf(options, ['bits', 'dims', 'efSearch', 'parts', 'nprobe', 'threads', 'single', 'datasets', 'python']),
    measurements: [],
    checks: [],
    notes: [],
  };
  const start = nowMs();
  const workload = syntheticWorkload({ ...options, queries: queryCount });
  const rows = toRows(workload.base, dim);
  const queries = toRows(workload.queries, dim);
  const documents = rows.map((_, i) => new Document({ pageContent: `document ${i}`, metadata: { row: i, category: `c${i % CATEGORIES}` }, id: `doc-${i}` }));
  result.notes.push(
    `Synthetic data generated in ${((nowMs() - start) / 1000).toFixed(1)} s (${options.clusters} clusters, spread ${options.spread}, seed ${options.seed}); each document has metadata { row, category } with ${CATEGORIES} categories.`,
    `Throughput = queries per second of one-at-a-time similaritySearchVectorWithScore calls (k = ${k}); QuiverVectorStore over ${options.queries} queries, MemoryVectorStore over ${subset}, timed in alternation, median of ${repeats} rounds after a warm-up.`,
    `Filtered: QuiverVectorStore gets { category: 'c3' } (compiled to an inverted-index allowlist, which the store keeps for the next query with the same filter until it changes); MemoryVectorStore gets (doc) => doc.metadata.category === 'c3', the only filter form it takes. The "new filter each query" row cycles through the ten categories, so every query compiles its allowlist afresh.`,
  );

  for (const metric of options.metrics) {
    const similarity = similarityOf(metric);
    const section = `${similarity} ${n}×${dim}`;
    const quiver = new QuiverVectorStore(new NoEmbeddings(), { similarity });
    const memorySimilarity = MEMORY_SIMILARITY[similarity];
    const memory = new MemoryVectorStore(new NoEmbeddings(), memorySimilarity ? { similarity: memorySimilarity } : {});
    const quiverAddMs = await timed(() => quiver.addVectors(rows, documents));
    const memoryAddMs = await timed(() => memory.addVectors(rows, documents));
    const add = (system: string, figure: string, value: number, unit: string, better: 'higher' | 'lower', isQuiver: boolean, note?: string): void => {
      const row: Measurement = { section, system, figure, value, unit, better, quiver: isQuiver, ...(note ? { note } : {}) };
      result.measurements.push(row);
    };
    add(QUIVER, 'addVectors (ms)', quiverAddMs, 'ms', 'lower', true);
    add(MEMORY, 'addVectors (ms)', memoryAddMs, 'ms', 'lower', false);

    const category = (q: number): string => `c${q % CATEGORIES}`;
    const modes = [
      { label: 'unfiltered', quiverFilter: () => undefined, memoryFilter: () => undefined, target: true },
      {
        label: `filtered (${100 / CATEGORIES}%)`,
        quiverFilter: () => ({ category: 'c3' }),
        memoryFilter: () => (doc: DocumentInterface) => doc.metadata['category'] === 'c3',
        target: true,
      },
      {
        // A different filter every query: the allowlist is compiled each time, never reused.
        label: `filtered (${100 / CATEGORIES}%, a new filter each query)`,
        quiverFilter: (q: number) => ({ category: category(q) }),
        memoryFilter: (q: number) => (doc: DocumentInterface) => doc.metadata['category'] === category(q),
        target: false,
      },
    ];
    for (const mode of modes) {
      const quiverRun = async (count: number): Promise<[DocumentInterface, number][][]> => {
        const out: [DocumentInterface, number][][] = [];
        for (let q = 0; q < count; q++) out.push(await quiver.similaritySearchVectorWithScore(queries[q]!, k, mode.quiverFilter(q)));
        return out;
      };
      const memoryRun = async (count: number): Promise<[DocumentInterface, number][][]> => {
        const out: [DocumentInterface, number][][] = [];
        for (let q = 0; q < count; q++) out.push(await memory.similaritySearchVectorWithScore(queries[q]!, k, mode.memoryFilter(q)));
        return out;
      };
      collectGarbage();
      // interleavedQps with a "batch" of 1 gives runs per second; each run has its own query count.
      const [quiverRuns, memoryRuns] = await interleavedQps(1, repeats, [() => quiverRun(options.queries), () => memoryRun(subset)]);
      const quiverQps = quiverRuns! * options.queries;
      const memoryQps = memoryRuns! * subset;
      const figure = `${mode.label} qps (k=${k})`;
      add(QUIVER, figure, quiverQps, 'q/s', 'higher', true);
      add(MEMORY, figure, memoryQps, 'q/s', 'higher', false);

      const agreement = compareHits(await quiverRun(subset), await memoryRun(subset));
      result.checks.push(correctness(`${section} ${mode.label}: same top-${k} as MemoryVectorStore`, agreement.pass, agreement.detail));
      if (withTargets && mode.target) {
        const ratio = quiverQps / memoryQps;
        result.checks.push(target(`${section} ${mode.label}: >= ${QPS_TARGET}x MemoryVectorStore qps`, ratio >= QPS_TARGET, `${ratio.toFixed(1)}x`));
      }
    }
    quiver.dispose();
  }
  return result;
}

function toRows(data: Float32Array, dim: number): number[][] {
  const rows: number[][] = [];
  for (let offset = 0; offset < data.length; offset += dim) rows.push(Array.from(data.subarray(offset, offset + dim)));
  return rows;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = nowMs();
  await fn();
  return nowMs() - start;
}

/**
 * Tie-aware agreement: at every rank the scores match to float32 precision (Quiver scores in
 * float32, MemoryVectorStore in float64), and the documents match wherever scores are not tied.
 */
function compareHits(ours: [DocumentInterface, number][][], theirs: [DocumentInterface, number][][]): { pass: boolean; detail: string } {
  let mismatches = 0;
  let compared = 0;
  for (let q = 0; q < theirs.length; q++) {
    const a = ours[q]!;
    const b = theirs[q]!;
    if (a.length !== b.length) {
      mismatches++;
      continue;
    }
    for (let r = 0; r < b.length; r++) {
      compared++;
      const [docA, scoreA] = a[r]!;
      const [docB, scoreB] = b[r]!;
      const close = Math.abs(scoreA - scoreB) <= 1e-4 * Math.max(1, Math.abs(scoreB));
      const tied = (r > 0 && Math.abs(b[r - 1]![1] - scoreB) <= 1e-4 * Math.max(1, Math.abs(scoreB))) || (r + 1 < b.length && Math.abs(b[r + 1]![1] - scoreB) <= 1e-4 * Math.max(1, Math.abs(scoreB)));
      if (!close || (!tied && docA.id !== docB.id)) mismatches++;
    }
  }
  return { pass: mismatches === 0, detail: `${mismatches} mismatches in ${compared} ranks over ${theirs.length} queries` };
}

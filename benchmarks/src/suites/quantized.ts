import { defaultArena, normalized } from '@quiver/core-math';
import { NumpyAnnIndex } from '@quiver/flat';
import { numpyUnavailableReason, runNumpyBaseline } from '../baselines/numpy.js';
import { loadSiftsmall, siftsmallMissing } from '../data/siftsmall.js';
import { syntheticWorkload, type Workload } from '../data/synthetic.js';
import type { BenchOptions } from '../options.js';
import { recallAtK } from '../recall.js';
import type { Measurement, SuiteResult } from '../report.js';
import { batchQps, collectGarbage, nowMs } from '../stats.js';
import type { PartResult } from './compare-exact.js';
import { correctness, target } from './compare-exact.js';
import { parametersOf } from './exact.js';

/** Below this, 8-bit codes are broken rather than merely lossy. */
const EIGHT_BIT_RECALL_FLOOR = 0.8;

/**
 * txtai-style NumpyAnnIndex with `quantize` 1/2/4/8 bits against its float32 search (cosine:
 * rows and queries normalized, as txtai does): recall@k against the float results, throughput
 * ratio, build time and bytes per vector. numpy (GEMM and loop, cosine) is the outside reference.
 */
export async function runQuantizedSuite(options: BenchOptions, requireSiftsmall = true): Promise<SuiteResult> {
  const { n, dim, clusters, spread, seed } = options;
  const result: SuiteResult = { suite: 'quantized', parameters: parametersOf(options, ['metrics', 'threads', 'single', 'subset']), measurements: [], checks: [], notes: [] };
  const workloads: [string, Workload][] = [[`synthetic ${n}×${dim}`, syntheticWorkload({ n, dim, clusters, spread, seed, queries: options.queries })]];
  const missing = siftsmallMissing(options.datasets);
  if (missing && !requireSiftsmall) result.notes.push(`quantized on siftsmall skipped: ${missing}.`);
  else workloads.push(['siftsmall', loadSiftsmall(options.datasets)]);
  for (const [label, workload] of workloads) {
    const part = await compareQuantized(label, workload, options);
    result.measurements.push(...part.measurements);
    result.checks.push(...part.checks);
    result.notes.push(...part.notes);
  }
  return result;
}

async function compareQuantized(label: string, workload: Workload, options: BenchOptions): Promise<PartResult> {
  const { dim, base, queries } = workload;
  const { k } = options;
  const n = base.length / dim;
  const batchCount = Math.min(options.queries, queries.length / dim);
  const batch = queries.subarray(0, batchCount * dim);
  const out: PartResult = { measurements: [], checks: [], notes: [] };
  const add = (m: Measurement) => out.measurements.push({ ...m, section: `${label} · ${m.section}` });
  const scored = { base: normalized(base, dim), queries: normalized(batch, dim) };

  let floatQps = 0;
  let floatIds: Int32Array | undefined;
  for (const bits of [undefined, ...options.bits]) {
    const system = bits === undefined ? 'quiver float32' : `quiver ${bits}-bit`;
    collectGarbage();
    const arenaBefore = defaultArena().bytesInUse;
    const start = nowMs();
    const index = new NumpyAnnIndex({ dim, quantize: bits ?? false, kernels: options.kernels });
    index.index(base);
    const buildMs = nowMs() - start;
    const bytes = defaultArena().bytesInUse - arenaBefore;
    let hits: ReturnType<NumpyAnnIndex['search']> = [];
    const { qps } = await batchQps(batchCount, options.repeats, () => (hits = index.search(batch, k)));
    index.dispose();
    const ids = new Int32Array(batchCount * k).fill(-1);
    hits.forEach((row, q) => row.forEach(([id], i) => (ids[q * k + i] = id)));
    const reference = bits === undefined;
    add({ section: 'build', system, figure: 'build time', value: buildMs, unit: 'ms', better: 'lower', quiver: true, reference });
    add({ section: 'build', system, figure: 'bytes per vector', value: bytes / n, unit: 'B', better: 'lower', quiver: true, reference, note: 'arena growth' });
    add({ section: `batch of ${batchCount} queries`, system, figure: 'throughput', value: qps, unit: 'q/s', better: 'higher', quiver: true, reference });
    if (reference) {
      floatQps = qps;
      floatIds = ids;
      continue;
    }
    const recall = recallAtK({ metric: 'dot', dim, k, ...scored, truth: { ids: floatIds!, stride: k }, found: { ids, stride: k } });
    add({ section: `recall@${k} vs float32 search`, system, figure: 'recall (tie-aware)', value: recall.tieAware, unit: '', better: 'higher', quiver: true, note: `strict ${recall.strict.toFixed(4)}` });
    out.checks.push(target(`${label}: ${bits}-bit faster than float32`, qps > floatQps, `${(qps / floatQps).toFixed(2)}×`));
    if (bits === 8) {
      out.checks.push(correctness(`${label}: 8-bit recall@${k} ≥ ${EIGHT_BIT_RECALL_FLOOR}`, recall.tieAware >= EIGHT_BIT_RECALL_FLOOR, recall.tieAware.toFixed(4)));
    }
  }

  const unavailable = options.python ? numpyUnavailableReason() : 'disabled by --no-python';
  if (unavailable) out.notes.push(`${label}: numpy baseline skipped (${unavailable}).`);
  else {
    const numpy = await runNumpyBaseline({ base, queries: batch, dim, metric: 'cosine', k, single: 0, batch: batchCount, repeats: options.repeats });
    const section = `batch of ${batchCount} queries`;
    add({ section, system: 'numpy float32, loop of single queries', figure: 'throughput', value: numpy.loop.qps, unit: 'q/s', better: 'higher', quiver: false });
    add({ section, system: 'numpy float32, one GEMM', figure: 'throughput', value: numpy.gemm.qps, unit: 'q/s', better: 'higher', quiver: false });
  }
  return out;
}

import { loadSiftsmall } from '../data/siftsmall.js';
import type { BenchOptions } from '../options.js';
import { FlatIndex } from '@quiver/flat';
import { recallAtK } from '../recall.js';
import type { SuiteResult } from '../report.js';
import { compareExact, correctness } from './compare-exact.js';
import { parametersOf } from './exact.js';

/**
 * siftsmall (10k × 128, 100 queries, l2): Quiver's exact search must return the shipped ground
 * truth (tie-aware) at k = 10 and k = 100; throughput against the same baselines as `exact`.
 */
export async function runSiftsmallSuite(options: BenchOptions, targets = false): Promise<SuiteResult> {
  const sift = loadSiftsmall(options.datasets);
  const groundTruth = { ids: sift.groundTruth, stride: sift.groundTruthK };
  const label = 'siftsmall l2';
  const part = await compareExact({ label, workload: sift, metric: 'l2', options, groundTruth, targets });
  const result: SuiteResult = { suite: 'siftsmall', parameters: { ...parametersOf(options, ['n', 'dim', 'seed', 'clusters', 'spread', 'bits', 'metrics']), metric: 'l2' }, ...part };

  // recall@100: the deepest the shipped ground truth goes.
  const depth = sift.groundTruthK;
  const index = new FlatIndex({ dim: sift.dim, metric: 'l2', kernels: options.kernels });
  index.add(sift.base);
  try {
    const found = index.search(sift.queries, depth);
    const recall = recallAtK({ metric: 'l2', dim: sift.dim, k: depth, base: sift.base, queries: sift.queries, truth: groundTruth, found: { ids: found.slots, stride: depth } });
    result.measurements.push({
      section: `${label} · recall@${depth}`,
      system: `quiver flat (${index.backend})`,
      figure: 'recall (tie-aware)',
      value: recall.tieAware,
      unit: '',
      better: 'higher',
      quiver: true,
      note: `vs the shipped ground truth, all queries; strict ${recall.strict.toFixed(4)}`,
    });
    result.checks.push(correctness(`${label}: Quiver recall@${depth} vs the shipped ground truth`, recall.tieAware === 1, `${recall.tieAware.toFixed(4)} (${recall.imperfectQueries} imperfect queries)`));
  } finally {
    index.dispose();
  }
  return result;
}

import { syntheticWorkload } from '../data/synthetic.js';
import type { BenchOptions } from '../options.js';
import type { SuiteResult } from '../report.js';
import { nowMs } from '../stats.js';
import { compareExact } from './compare-exact.js';

/**
 * Exact search on a seeded Gaussian mixture (default 100k × 384, k = 10) for each metric:
 * Quiver's FlatIndex against numpy, a plain TypeScript loop and LangChain's MemoryVectorStore.
 */
export async function runExactSuite(options: BenchOptions, targets = true): Promise<SuiteResult> {
  const { n, dim, clusters, spread, seed } = options;
  const start = nowMs();
  const workload = syntheticWorkload({ n, dim, clusters, spread, seed, queries: Math.max(options.queries, options.single) });
  const notes = [`Synthetic data generated in ${((nowMs() - start) / 1000).toFixed(1)} s (${clusters} clusters, spread ${spread}, seed ${seed}).`];
  const result: SuiteResult = { suite: 'exact', parameters: parametersOf(options, ['bits', 'datasets']), measurements: [], checks: [], notes };
  for (const metric of options.metrics) {
    const part = await compareExact({ label: `${metric} ${n}×${dim}`, workload, metric, options, targets });
    result.measurements.push(...part.measurements);
    result.checks.push(...part.checks);
    result.notes.push(...part.notes);
  }
  return result;
}

/** The options that shaped a suite's figures, for its report. */
export function parametersOf(options: BenchOptions, ignored: readonly (keyof BenchOptions)[] = []): Record<string, unknown> {
  const skip = new Set<string>(['out', ...ignored]);
  return Object.fromEntries(Object.entries(options).filter(([key]) => !skip.has(key)));
}

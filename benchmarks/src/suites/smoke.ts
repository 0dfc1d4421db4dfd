import { siftsmallMissing } from '../data/siftsmall.js';
import type { BenchOptions } from '../options.js';
import type { SuiteResult } from '../report.js';
import { runExactSuite } from './exact.js';
import { runHnswSuite } from './hnsw.js';
import { runIvfSuite } from './ivf.js';
import { runLangchainSuite } from './langchain.js';
import { runLlamaindexSuite } from './llamaindex.js';
import { runQuantizedSuite } from './quantized.js';
import { runSiftsmallSuite } from './siftsmall.js';

/** Options that make every suite finish in seconds; the CLI's smoke defaults. */
export const SMOKE_SIZES = {
  n: 2000,
  dim: 32,
  queries: 50,
  single: 20,
  subset: 10,
  repeats: 1,
  clusters: 8,
  metrics: ['dot', 'cosine', 'l2'],
} as const satisfies Partial<BenchOptions>;

/**
 * Every suite at tiny sizes: proves the harness, the baselines and Quiver's answers (correctness
 * checks) without judging speed, which tiny sizes cannot show. Performance targets are left out.
 * siftsmall parts are skipped with a note when the dataset is not there.
 */
export async function runSmokeSuite(options: BenchOptions): Promise<SuiteResult> {
  const parts: SuiteResult[] = [await runExactSuite(options, false)];
  const missing = siftsmallMissing(options.datasets);
  if (missing) parts.push({ suite: 'siftsmall', parameters: {}, measurements: [], checks: [], notes: [`skipped: ${missing}.`] });
  else parts.push(await runSiftsmallSuite({ ...options, queries: 100 }, false));
  parts.push(await runQuantizedSuite(options, false));
  // Quiver's graphs only: hnswlib-node needs a native build, which CI does not do.
  parts.push(await runHnswSuite(options, { baseline: false, targets: false }));
  // Synthetic only: training siftsmall's 8-bit codebooks takes seconds.
  parts.push(await runIvfSuite({ ...options, nprobe: [2, 8] }, { siftsmall: false }));
  parts.push(await runLangchainSuite(options, false));
  parts.push(await runLlamaindexSuite(options, false));
  return {
    suite: 'smoke',
    parameters: parts[0]!.parameters,
    measurements: parts.flatMap((p) => p.measurements.map((m) => ({ ...m, section: `${p.suite} · ${m.section}` }))),
    checks: parts.flatMap((p) => p.checks.filter((c) => c.kind === 'correctness').map((c) => ({ ...c, name: `${p.suite} · ${c.name}` }))),
    notes: parts.flatMap((p) => p.notes.map((note) => `${p.suite}: ${note}`)),
  };
}

import { isVectorSearchError } from '@quiver/core-math';
import { collectEnvironment } from './environment.js';
import { parseCommandLine, USAGE, type BenchOptions, type SuiteName } from './options.js';
import { buildReport, renderMarkdown, writeReport, type SuiteResult } from './report.js';
import { runExactSuite } from './suites/exact.js';
import { runHnswSuite } from './suites/hnsw.js';
import { runIdmapSuite } from './suites/idmap.js';
import { runIvfSuite } from './suites/ivf.js';
import { runLangchainSuite } from './suites/langchain.js';
import { runLlamaindexSuite } from './suites/llamaindex.js';
import { runQuantizedSuite } from './suites/quantized.js';
import { runSiftsmallSuite } from './suites/siftsmall.js';
import { runSmokeSuite } from './suites/smoke.js';
import { runTurboquantSuite } from './suites/turboquant.js';
import { closeWorkerPools } from './worker-pools.js';

const RUNNERS: Record<SuiteName, (options: BenchOptions) => Promise<SuiteResult>> = {
  exact: (options) => runExactSuite(options),
  siftsmall: (options) => runSiftsmallSuite(options),
  quantized: (options) => runQuantizedSuite(options),
  hnsw: (options) => runHnswSuite(options),
  idmap: (options) => runIdmapSuite(options),
  turboquant: (options) => runTurboquantSuite(options),
  ivf: (options) => runIvfSuite(options),
  langchain: (options) => runLangchainSuite(options),
  llamaindex: (options) => runLlamaindexSuite(options),
  smoke: runSmokeSuite,
};

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    console.error(`[bench] ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  const { suite, options } = parsed;
  if (!(globalThis as { gc?: unknown }).gc) console.warn('note: run with --expose-gc for steadier memory figures');
  const environment = collectEnvironment(argv);
  console.log(`[bench] ${suite}: ${environment.cpuModel}, Node ${environment.node}`);
  let result: SuiteResult;
  try {
    result = await RUNNERS[suite](options);
  } finally {
    await closeWorkerPools();
  }
  const peakRss = process.resourceUsage().maxRSS / 1024;
  result.notes.push(`Peak RSS of this Node process over the whole run, all systems included: ${peakRss.toFixed(0)} MiB.`);
  const report = buildReport(result, environment);
  const paths = writeReport(report, options.out);
  console.log(renderMarkdown(report));
  console.log(`[bench] wrote ${paths.json} and ${paths.markdown}`);
  const failed = report.checks.filter((c) => !c.pass && (c.kind === 'correctness' || options.strict));
  for (const check of failed) console.error(`[bench] FAILED ${check.kind} check: ${check.name}: ${check.detail}`);
  return failed.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (isVectorSearchError(error)) console.error(`[bench] ${error.name}: ${error.message}`);
    else console.error('[bench]', error);
    process.exitCode = 1;
  },
);

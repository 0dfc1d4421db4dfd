import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { InvalidArgumentError, parseMetric, type KernelChoice, type Metric } from '@quiver/core-math';
import { SMOKE_SIZES } from './suites/smoke.js';

/** Parts of the hnsw suite: the hnswlib-node comparison curves, PQ-HNSW, deletion, siftsmall, filtered search. */
export const HNSW_PARTS = ['curves', 'pq', 'deletion', 'siftsmall', 'filtered'] as const;

export const SUITES = ['exact', 'siftsmall', 'quantized', 'hnsw', 'idmap', 'turboquant', 'ivf', 'langchain', 'llamaindex', 'smoke'] as const;
export type SuiteName = (typeof SUITES)[number];

/** The benchmarks package folder (this file is src/options.ts or dist/options.js). */
export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface BenchOptions {
  /** Base vectors of synthetic workloads. */
  readonly n: number;
  readonly dim: number;
  /** Queries in the throughput batch. */
  readonly queries: number;
  /** Single queries timed for latency percentiles. */
  readonly single: number;
  /** Queries given to the slow baselines (plain loop, LangChain). */
  readonly subset: number;
  readonly k: number;
  /** Worker threads of the pooled run. */
  readonly threads: number;
  readonly seed: number;
  readonly clusters: number;
  readonly spread: number;
  readonly metrics: readonly Metric[];
  /** Timed runs per batch figure; the median is kept. */
  readonly repeats: number;
  /** Quantization widths of the quantized suite. */
  readonly bits: readonly number[];
  /** Dimensions of the hnsw suite's synthetic workloads (`--dim` gives one). */
  readonly dims: readonly number[];
  /** efSearch settings of the hnsw suite's recall / throughput curves. */
  readonly efSearch: readonly number[];
  /**
   * Parts of the hnsw suite to run (`HNSW_PARTS`); a subset updates only the sections it measures
   * in the existing results file.
   */
  readonly parts: readonly string[];
  /** nprobe settings of the ivf suite's curves. */
  readonly nprobe: readonly number[];
  readonly kernels: KernelChoice;
  readonly datasets: string;
  /** Run the numpy baseline when python3 with numpy is present. */
  readonly python: boolean;
  /** A missed performance target fails the run (correctness failures always do). */
  readonly strict: boolean;
  readonly out: string;
}

const DEFAULTS: BenchOptions = {
  n: 100_000,
  dim: 384,
  queries: 1000,
  single: 200,
  subset: 20,
  k: 10,
  threads: 2,
  seed: 42,
  clusters: 64,
  spread: 0.5,
  metrics: ['dot', 'cosine'],
  repeats: 3,
  bits: [1, 2, 4, 8],
  dims: [],
  efSearch: [10, 16, 24, 32, 48, 64, 96, 128, 192, 256],
  parts: HNSW_PARTS,
  nprobe: [1, 2, 4, 8, 16, 32, 64],
  kernels: 'auto',
  datasets: resolve(PACKAGE_DIR, '..', '..', 'shared', 'datasets'),
  python: true,
  strict: false,
  out: join(PACKAGE_DIR, 'results'),
};

/** Per-suite defaults, applied before the command line. */
const SUITE_DEFAULTS: Record<SuiteName, Partial<BenchOptions>> = {
  exact: {},
  siftsmall: { k: 10, queries: 100, single: 100, subset: 100, repeats: 5, metrics: ['l2'] },
  quantized: { queries: 1000, single: 0, subset: 0 },
  hnsw: { dims: [128, 768], queries: 1000, single: 0, subset: 0, metrics: ['cosine'] },
  idmap: { queries: 1000, single: 0, subset: 0, metrics: ['dot'] },
  turboquant: { dim: 1536, k: 64, queries: 1000, single: 0, subset: 0, metrics: ['dot'], bits: [2, 3, 4] },
  ivf: { dim: 128, queries: 1000, single: 0, subset: 0, metrics: ['l2'] },
  langchain: { queries: 200, single: 0, subset: 20, metrics: ['cosine'] },
  llamaindex: { queries: 200, single: 0, subset: 20, metrics: ['cosine'] },
  smoke: SMOKE_SIZES,
};

const NUMERIC = ['n', 'dim', 'queries', 'single', 'subset', 'k', 'threads', 'seed', 'clusters', 'repeats'] as const;

export const USAGE = `usage: pnpm bench <${SUITES.join('|')}> [options]
  --n <int>            base vectors of synthetic workloads (default 100000)
  --dim <int>          dimension of synthetic workloads (default 384)
  --queries <int>      queries in the throughput batch (default 1000; siftsmall 100)
  --single <int>       single queries timed for latency (default 200)
  --subset <int>       queries given to the slow baselines, plain loop and LangChain (default 20)
  --k <int>            neighbours per query (default 10)
  --threads <int>      worker threads of the pooled run (default 2)
  --seed <int>         seed of the synthetic data (default 42)
  --clusters <int>     Gaussian mixture components (default 64)
  --spread <float>     standard deviation around each centre (default 0.5)
  --metric <list>      metrics, comma separated: dot,cosine,l2 (default dot,cosine; siftsmall l2; hnsw cosine)
  --repeats <int>      timed runs per batch figure, median kept (default 3)
  --bits <list>        quantized suite widths (default 1,2,4,8)
  --dims <list>        hnsw suite synthetic dimensions (default 128,768; --dim gives one)
  --ef <list>          hnsw suite efSearch settings (default 10,16,24,32,48,64,96,128,192,256)
  --parts <list>       hnsw suite parts: ${HNSW_PARTS.join(',')} (default all; a subset
                       re-measures those sections and keeps the others of the existing results file)
  --nprobe <list>      ivf suite nprobe settings (default 1,2,4,8,16,32,64)
  --kernels <choice>   auto | wasm | js (default auto)
  --datasets <dir>     datasets folder (default <repo>/../shared/datasets)
  --out <dir>          results folder (default benchmarks/results)
  --no-python          skip the numpy baseline
  --strict             exit non-zero when a performance target is missed`;

function positiveInteger(name: string, raw: string, allowZero = false): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new InvalidArgumentError(`--${name}`, `must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function parseCommandLine(argv: readonly string[]): { suite: SuiteName; options: BenchOptions } {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      n: { type: 'string' },
      dim: { type: 'string' },
      queries: { type: 'string' },
      single: { type: 'string' },
      subset: { type: 'string' },
      k: { type: 'string' },
      threads: { type: 'string' },
      seed: { type: 'string' },
      clusters: { type: 'string' },
      repeats: { type: 'string' },
      spread: { type: 'string' },
      metric: { type: 'string' },
      bits: { type: 'string' },
      dims: { type: 'string' },
      ef: { type: 'string' },
      nprobe: { type: 'string' },
      parts: { type: 'string' },
      kernels: { type: 'string' },
      datasets: { type: 'string' },
      out: { type: 'string' },
      'no-python': { type: 'boolean' },
      strict: { type: 'boolean' },
    },
  });
  const suite = positionals[0] ?? 'exact';
  if (!(SUITES as readonly string[]).includes(suite) || positionals.length > 1) {
    throw new InvalidArgumentError('suite', `expected one of ${SUITES.join(', ')}, got ${JSON.stringify(positionals.join(' '))}`);
  }
  const options: Record<string, unknown> = { ...DEFAULTS, ...SUITE_DEFAULTS[suite as SuiteName] };
  for (const name of NUMERIC) {
    const raw = values[name];
    if (typeof raw === 'string') options[name] = positiveInteger(name, raw, name === 'single' || name === 'subset' || name === 'seed');
  }
  if (values.spread !== undefined) {
    const spread = Number(values.spread);
    if (!(spread > 0 && Number.isFinite(spread))) throw new InvalidArgumentError('--spread', `must be a positive number, got ${values.spread}`);
    options['spread'] = spread;
  }
  if (values.metric !== undefined) options['metrics'] = values.metric.split(',').map((m) => parseMetric(m.trim()));
  if (values.bits !== undefined) {
    options['bits'] = values.bits.split(',').map((b) => {
      const bits = positiveInteger('bits', b.trim());
      if (bits > 8) throw new InvalidArgumentError('--bits', `must be between 1 and 8, got ${bits}`);
      return bits;
    });
  }
  if (values.dim !== undefined && values.dims === undefined) options['dims'] = [options['dim']];
  if (values.dims !== undefined) options['dims'] = values.dims.split(',').map((d) => positiveInteger('dims', d.trim()));
  if (values.parts !== undefined) {
    options['parts'] = values.parts.split(',').map((part) => {
      const name = part.trim();
      if (!(HNSW_PARTS as readonly string[]).includes(name)) throw new InvalidArgumentError('--parts', `must list parts of ${HNSW_PARTS.join(', ')}, got ${JSON.stringify(name)}`);
      return name;
    });
  }
  if (values.ef !== undefined) options['efSearch'] = values.ef.split(',').map((ef) => positiveInteger('ef', ef.trim()));
  if (values.nprobe !== undefined) options['nprobe'] = values.nprobe.split(',').map((p) => positiveInteger('nprobe', p.trim()));
  if (values.kernels !== undefined) {
    if (!['auto', 'wasm', 'js'].includes(values.kernels)) throw new InvalidArgumentError('--kernels', `must be auto, wasm or js, got ${values.kernels}`);
    options['kernels'] = values.kernels;
  }
  if (values.datasets !== undefined) options['datasets'] = resolve(values.datasets);
  if (values.out !== undefined) options['out'] = resolve(values.out);
  if (values['no-python']) options['python'] = false;
  if (values.strict) options['strict'] = true;
  return { suite: suite as SuiteName, options: options as unknown as BenchOptions };
}

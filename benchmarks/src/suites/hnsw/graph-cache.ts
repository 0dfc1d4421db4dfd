import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Metric } from '@quiver/core-math';
import { HnswIndex } from '@quiver/hnsw';
import { loadHnswIndexFile, saveHnswIndex } from '@quiver/hnsw/node';
import type { BenchOptions } from '../../options.js';
import { PACKAGE_DIR } from '../../options.js';
import { nowMs } from '../../stats.js';
import { HNSW_PARAMETERS } from './graph-under-test.js';

/** Where float32 graphs are kept between runs (git-ignored; a function: options.ts and the suites import each other). */
const cacheDir = () => join(PACKAGE_DIR, 'results', 'tmp', 'hnsw-graphs');

export interface CachedGraphRun {
  readonly workload: { readonly dim: number; readonly base: Float32Array };
  readonly metric: Metric;
  readonly options: BenchOptions;
}

/** The cache file of a synthetic workload's float32 graph: every input of the graph is in the name. */
function cachePath({ workload, metric, options }: CachedGraphRun): string {
  const n = workload.base.length / workload.dim;
  const { M, efConstruction, seed } = HNSW_PARAMETERS;
  const data = `${metric}-${n}x${workload.dim}-seed${options.seed}-c${options.clusters}-s${options.spread}`;
  return join(cacheDir(), `${data}-M${M}-efc${efConstruction}-g${seed}.quiver`);
}

/**
 * A float32 HnswIndex of a synthetic workload (the suite's M, efConstruction and seed) that the
 * caller owns and may change: loaded from the cache file when an earlier run left one; else
 * `built` (the comparison's graph of the same workload, left untouched) is saved there and loaded
 * back as a copy; else the graph is built with one thread (`add`) and saved. Building 100k × 768
 * takes minutes; loading it, seconds. Returns how the graph was obtained, for the report.
 */
export async function cachedFloatGraph(run: CachedGraphRun, built: HnswIndex | undefined): Promise<{ index: HnswIndex; how: string }> {
  const path = cachePath(run);
  const shown = relative(join(PACKAGE_DIR, '..'), path);
  const kernels = run.options.kernels;
  if (existsSync(path)) {
    const index = await loadHnswIndexFile(path, { kernels });
    return { index, how: `loaded from ${shown} (saved ${statSync(path).mtime.toISOString()} by an earlier run)` };
  }
  mkdirSync(cacheDir(), { recursive: true });
  if (built) {
    await saveHnswIndex(built, path);
    return { index: await loadHnswIndexFile(path, { kernels }), how: `of the comparison above, saved to ${shown} and loaded back` };
  }
  const { M, efConstruction, seed } = HNSW_PARAMETERS;
  const { workload, metric } = run;
  const index = new HnswIndex({ dim: workload.dim, metric, M, efConstruction, seed, kernels });
  const start = nowMs();
  try {
    index.add(workload.base);
    await saveHnswIndex(index, path);
  } catch (error) {
    index.dispose();
    throw error;
  }
  return { index, how: `built with one thread (HnswIndex.add, ${((nowMs() - start) / 1000).toFixed(1)} s) and saved to ${shown}` };
}

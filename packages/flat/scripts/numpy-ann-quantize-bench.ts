/**
 * Ad hoc measurement (not a unit test): recall@10 of NumpyAnnIndex's quantized search against its
 * float search, and query throughput of each, on a seeded Gaussian mixture.
 *
 *   cd packages/flat && npx vitest run --config scripts/vitest.config.ts
 *   (environment: BENCH_N, BENCH_DIM, BENCH_QUERIES, QUIVER_KERNELS)
 */
import { SeededRandom } from '@quiver/core-math';
import { it } from 'vitest';
import { NumpyAnnIndex, type AnnHit } from '../src/numpy-ann-index.js';

const n = Number(process.env.BENCH_N ?? 5000);
const dim = Number(process.env.BENCH_DIM ?? 128);
const queryCount = Number(process.env.BENCH_QUERIES ?? 200);
const kernels = 'auto';
const k = 10;

function gaussianMixture(seed: number, rows: number, clusters: number, spread: number): Float32Array {
  const rng = new SeededRandom(seed);
  const centres = rng.fillGaussian(new Float32Array(clusters * dim));
  const out = new Float32Array(rows * dim);
  for (let i = 0; i < rows; i++) {
    const c = rng.nextInt(clusters);
    for (let j = 0; j < dim; j++) out[i * dim + j] = centres[c * dim + j]! + spread * rng.nextGaussian();
  }
  return out;
}

function recall(truth: AnnHit[][], found: AnnHit[][]): number {
  let hits = 0;
  for (let q = 0; q < truth.length; q++) {
    const expected = new Set(truth[q]!.map(([id]) => id));
    for (const [id] of found[q]!) if (expected.has(id)) hits++;
  }
  return hits / (truth.length * k);
}

/**
 * Best-of-7 throughput, alternating with the float index so both see the same machine load
 * (other processes share this machine; the fastest round is the least disturbed).
 */
function timePair(float: NumpyAnnIndex, quantized: NumpyAnnIndex, queries: Float32Array): { hits: AnnHit[][]; qps: number; floatQps: number } {
  let hits: AnnHit[][] = [];
  let best = 0;
  let floatBest = 0;
  const qps = (run: () => void): number => {
    const start = performance.now();
    run();
    return (queryCount * 1000) / (performance.now() - start);
  };
  for (let round = 0; round < 7; round++) {
    floatBest = Math.max(floatBest, qps(() => float.search(queries, k)));
    best = Math.max(best, qps(() => (hits = quantized.search(queries, k))));
  }
  return { hits, qps: best, floatQps: floatBest };
}

it('measures recall@10 and throughput per bit width', { timeout: 600_000 }, () => {
for (const [clusters, spread] of [[32, 0.6], [1000, 1.0]] as const) {
  const data = gaussianMixture(7, n, clusters, spread);
  const queries = gaussianMixture(8, queryCount, clusters, spread);
  const float = new NumpyAnnIndex({ dim, kernels });
  float.index(data);
  const truth = float.search(queries, k);
  console.log(`\n${n} x ${dim}, ${clusters} clusters (spread ${spread}), ${queryCount} queries, k=${k}, kernels=${kernels}`);
  for (const bits of [8, 6, 4, 3, 2, 1]) {
    const index = new NumpyAnnIndex({ dim, kernels, quantize: bits });
    index.index(data);
    const run = timePair(float, index, queries);
    const line = `${bits}-bit  recall@10 ${recall(truth, run.hits).toFixed(3)}  ${run.qps.toFixed(0).padStart(6)} q/s`;
    console.log(`${line}  vs float ${run.floatQps.toFixed(0).padStart(6)} q/s  (${(run.qps / run.floatQps).toFixed(2)}x)`);
    index.dispose();
  }
  float.dispose();
}
});

/**
 * Quiver on siftsmall: exact l2 search over 10,000 SIFT vectors, its 100 queries, recall@10
 * against the shipped ground truth and queries per second, with and without the int8 prefilter
 * (same results); then txtai-style quantized indexes with Quiver's centring and rerank extensions,
 * then TurboQuant codes at 4 and 2 bits, then HNSW and PQ-HNSW graphs.
 *
 *   pnpm demo                                   (from the repository root)
 *   QUIVER_DATASETS=/path/to/datasets pnpm demo (datasets elsewhere)
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlatIndex, NumpyAnnIndex, type NumpyAnnIndexOptions } from '@quiver/flat';
import { missingFiles, loadSiftsmall } from './siftsmall.js';
import { graphSection } from './graphs.js';
import { turboQuantSection } from './turboquant.js';
import { overlapRecall, tieAwareRecallL2 } from './recall.js';
import { formatQps as format, queriesPerSecond } from './timing.js';

const K = 10;

/** `<repo>/../shared/datasets`; this file runs from examples/siftsmall-demo/dist. */
function datasetsDir(): string {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  return process.env['QUIVER_DATASETS'] ?? resolve(repoRoot, '..', 'shared', 'datasets');
}

function main(): number {
  const dir = resolve(datasetsDir(), 'siftsmall');
  const missing = missingFiles(dir);
  if (missing.length > 0) {
    console.error(`siftsmall not found in ${dir} (missing ${missing.join(', ')}).`);
    console.error('Put the dataset at <repo>/../shared/datasets/siftsmall or set QUIVER_DATASETS to the folder that holds siftsmall/.');
    return 1;
  }
  const sift = loadSiftsmall(dir);
  const { dim, base, queries } = sift;
  const queryCount = queries.length / dim;
  console.log(`siftsmall: ${base.length / dim} base vectors × ${dim}, ${queryCount} queries (${dir})\n`);

  let exactSingleQps = 0;
  let exactBatchQps = 0;
  for (const prefilter of ['none', 'int8'] as const) {
    const start = performance.now();
    const index = new FlatIndex({ dim, metric: 'l2', prefilter });
    index.add(base);
    const buildMs = performance.now() - start;
    const result = index.search(queries, K);
    const { recall, perfectQueries } = tieAwareRecallL2(base, queries, dim, sift.groundTruth, sift.groundTruthK, result.slots, K);
    const batchQps = queriesPerSecond(queryCount, () => index.search(queries, K));
    const singleQps = queriesPerSecond(queryCount, () => {
      for (let q = 0; q < queryCount; q++) index.search(queries.subarray(q * dim, (q + 1) * dim), K);
    });
    if (prefilter === 'none') {
      exactSingleQps = singleQps;
      exactBatchQps = batchQps;
    }
    const variant = prefilter === 'none' ? '' : ', int8 prefilter';
    console.log(`FlatIndex, exact l2 (${index.backend} kernels${variant}), built in ${buildMs.toFixed(1)} ms`);
    console.log(`  recall@${K} vs the shipped ground truth (ties count): ${recall.toFixed(4)} (${perfectQueries}/${queryCount} queries exact)`);
    console.log(`  ${format(batchQps)} queries/s as one batch, ${format(singleQps)} queries/s one at a time`);
    index.dispose();
  }

  console.log(`\nNumpyAnnIndex (txtai semantics: normalized rows, cosine), recall@${K} = overlap with its float32 top ${K}:`);
  const variants: { name: string; options: NumpyAnnIndexOptions }[] = [
    { name: 'float32', options: { dim } },
    { name: '8-bit', options: { dim, quantize: 8 } },
    { name: '4-bit', options: { dim, quantize: 4 } },
    { name: '4-bit + rerank ×8', options: { dim, quantize: 4, rerank: 8 } },
    { name: '1-bit', options: { dim, quantize: 1 } },
    { name: '1-bit centred', options: { dim, quantize: 1, center: true } },
    { name: '1-bit centred + rerank ×40', options: { dim, quantize: 1, center: true, rerank: 40 } },
  ];
  let floatIds: Int32Array | undefined;
  let floatQps = 0;
  for (const { name, options } of variants) {
    const start = performance.now();
    const ann = new NumpyAnnIndex(options);
    ann.index(base);
    const annBuildMs = performance.now() - start;
    const ids = new Int32Array(queryCount * K).fill(-1);
    ann.search(queries, K).forEach((hits, q) => hits.forEach(([id], i) => (ids[q * K + i] = id)));
    const qps = queriesPerSecond(queryCount, () => ann.search(queries, K));
    ann.dispose();
    if (!floatIds) {
      floatIds = ids;
      floatQps = qps;
      console.log(`  ${name.padEnd(27)} recall 1.0000  ${format(qps).padStart(7)} queries/s  (built in ${annBuildMs.toFixed(1)} ms)`);
    } else {
      const overlap = overlapRecall(floatIds, ids, K);
      console.log(`  ${name.padEnd(27)} recall ${overlap.toFixed(4)}  ${format(qps).padStart(7)} queries/s  (${(qps / floatQps).toFixed(2)}× float32, built in ${annBuildMs.toFixed(1)} ms)`);
    }
  }
  turboQuantSection(sift, exactBatchQps);
  graphSection(sift, exactSingleQps);
  return 0;
}

process.exitCode = main();

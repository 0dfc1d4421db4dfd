import { DensePQHNSW, HnswIndex } from '@quiver/hnsw';
import type { SiftSmall } from './siftsmall.js';
import { tieAwareRecallL2 } from './recall.js';
import { formatQps, queriesPerSecond, timed } from './timing.js';

const K = 10;
const EF_SEARCH = [16, 32, 64, 128];

/**
 * HNSW (M = 16, efConstruction = 200) over float32 rows, then PQ-HNSW (the same graph searched over
 * 8-bit PQ codes, candidates reranked with the float32 rows): recall@10 against the shipped ground
 * truth and single-query throughput over efSearch, as a ratio to exact search in the same run.
 */
export function graphSection(sift: SiftSmall, exactSingleQps: number): void {
  const { dim, base, queries } = sift;
  const queryCount = queries.length / dim;
  const oneAtATime = (search: (query: Float32Array) => unknown) => () => {
    for (let q = 0; q < queryCount; q++) search(queries.subarray(q * dim, (q + 1) * dim));
  };

  const { value: hnsw, ms: hnswMs } = timed(() => {
    const index = new HnswIndex({ dim, metric: 'l2', M: 16, efConstruction: 200 });
    index.add(base);
    return index;
  });
  console.log(`\nHnswIndex (M 16, efConstruction 200, float32, ${hnsw.backend} kernels), built in ${(hnswMs / 1000).toFixed(2)} s; one query at a time:`);
  for (const efSearch of EF_SEARCH) {
    const result = hnsw.search(queries, K, { efSearch });
    const { recall } = tieAwareRecallL2(base, queries, dim, sift.groundTruth, sift.groundTruthK, result.slots, K);
    const qps = queriesPerSecond(queryCount, oneAtATime((query) => hnsw.search(query, K, { efSearch })));
    console.log(`  efSearch ${String(efSearch).padStart(3)}: recall@${K} ${recall.toFixed(4)}  ${formatQps(qps).padStart(7)} queries/s  (${(qps / exactSingleQps).toFixed(1)}× exact)`);
  }
  hnsw.dispose();

  const subspaces = 32;
  const { value: pq, ms: pqMs } = timed(() => DensePQHNSW.buildFromArray(base, dim, { m: 16, efConstruction: 200, metric: 'l2', pqSubspaces: subspaces }));
  console.log(`\nDensePQHNSW (${subspaces} subspaces × 8 bits = ${pq.codeBytesPerVector} B/vector instead of ${dim * 4}, rerank with float32), built in ${(pqMs / 1000).toFixed(2)} s:`);
  for (const efSearch of EF_SEARCH) {
    const { ids } = pq.batchSearch(queries, K, efSearch);
    const { recall } = tieAwareRecallL2(base, queries, dim, sift.groundTruth, sift.groundTruthK, ids, K);
    const qps = queriesPerSecond(queryCount, oneAtATime((query) => pq.search(query, K, efSearch)));
    console.log(`  efSearch ${String(efSearch).padStart(3)}: recall@${K} ${recall.toFixed(4)}  ${formatQps(qps).padStart(7)} queries/s  (${(qps / exactSingleQps).toFixed(1)}× exact)`);
  }
  pq.dispose();
}

// Serial `add` against `addParallel` over an HnswPool: build time and recall@10 at a few efSearch.
// Usage (after `npx tsc -p tsconfig.build.json`): node scripts/measure-parallel.mjs [n] [dim] [threads]
import { HnswIndex } from '@quiver/hnsw';
import { HnswPool } from '@quiver/hnsw/node';
import { bruteForceTopK, gaussianMixture, recallAtK } from '@quiver/testkit';

const n = Number(process.argv[2] ?? 20000);
const dim = Number(process.argv[3] ?? 128);
const threads = Number(process.argv[4] ?? 2);
const data = gaussianMixture({ n, dim, clusters: 64, seed: 42, spread: 0.5 });
const queries = gaussianMixture({ n: 200, dim, clusters: 64, seed: 42, spread: 0.5, sampleSeed: 7 });
const truth = bruteForceTopK(data, queries, dim, 10, 'l2');
const options = { dim, metric: 'l2', M: 16, efConstruction: 200 };

const pool = new HnswPool({ threads });
const report = (name, index, seconds) => {
  const recalls = [16, 32, 64, 128].map((efSearch) => `ef${efSearch} ${recallAtK(index.search(queries, 10, { efSearch }), truth).toFixed(4)}`);
  console.log(`${name.padEnd(22)} build ${seconds.toFixed(2)} s  ${recalls.join('  ')}`);
};
let t = performance.now();
const serial = new HnswIndex(options);
serial.add(data);
report('serial add', serial, (performance.now() - t) / 1000);
t = performance.now();
const parallel = await HnswIndex.buildParallel(data, options, pool);
report(`addParallel x${threads}`, parallel, (performance.now() - t) / 1000);
t = performance.now();
await parallel.searchAsync(queries, 10, { efSearch: 64 }, pool);
const asyncMs = performance.now() - t;
t = performance.now();
parallel.search(queries, 10, { efSearch: 64 });
console.log(`200 queries ef64: search ${(performance.now() - t).toFixed(1)} ms, searchAsync x${threads} ${asyncMs.toFixed(1)} ms`);
await pool.close();

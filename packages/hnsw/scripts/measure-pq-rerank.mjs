// PQ-HNSW with rerank against the float32 graph: recall@10 and resident bytes per vector.
// The benchmark suite's synthetic workload (seeded Gaussian mixture, 64 clusters, spread 0.5, cosine),
// graph M = 16, efConstruction = 200 built on the float32 vectors (addParallel over an HnswPool),
// then searched over PQ codes (kANNolo's DensePQHNSW), rescoring candidates from: an in-memory
// float32 copy, an in-memory int8 copy, or the base vectors' .npy file read on demand.
// Usage (after `npx tsc -p tsconfig.build.json` here): node scripts/measure-pq-rerank.mjs [n] [dim] [queries]
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom, exactScan, getKernels, normalized } from '@quiver/core-math';
import { HnswIndex, Int8RowStorage } from '@quiver/hnsw';
import { FileRowStorage, HnswPool, loadHnswIndexFile, saveHnswIndex } from '@quiver/hnsw/node';
import { encodeNpy } from '@quiver/io-formats';
import { PqStorage, ProductQuantizer } from '@quiver/pq';

const n = Number(process.argv[2] ?? 100000);
const dim = Number(process.argv[3] ?? 768);
const queryCount = Number(process.argv[4] ?? 200);
const K = 10;
const metric = 'cosine';

function mixture(count, centres, random) {
  const out = new Float32Array(count * dim);
  for (let row = 0; row < count; row++) {
    const centre = random.nextInt(64) * dim;
    for (let j = 0; j < dim; j++) out[row * dim + j] = centres[centre + j] + 0.5 * random.nextGaussian();
  }
  return out;
}
const centres = new Float32Array(64 * dim);
new SeededRandom(42).fillGaussian(centres);
const base = mixture(n, centres, new SeededRandom(43));
const queries = mixture(queryCount, centres, new SeededRandom(44));
const dir = mkdtempSync(join(tmpdir(), 'quiver-pq-rerank-'));
const npy = join(dir, 'base.npy');
writeFileSync(npy, encodeNpy({ dtype: 'float32', shape: [n, dim], data: base }));

// Exact answers: a wasm scan over the normalized rows.
const kernels = getKernels();
const unit = normalized(base, dim);
const block = kernels.arena.alloc(unit.byteLength);
kernels.arena.f32(block.ptr, unit.length).set(unit);
const truth = exactScan(kernels, { ptr: block.ptr, count: n, dim }, 'dot', normalized(queries, dim), K);
kernels.arena.free(block);
const recall = (result) => {
  let hits = 0;
  for (let q = 0; q < queryCount; q++) {
    const want = new Set(truth.slots.subarray(q * K, (q + 1) * K));
    for (let i = 0; i < K; i++) if (want.has(result.slots[q * K + i])) hits++;
  }
  return hits / (queryCount * K);
};
const timed = (fn) => {
  const start = performance.now();
  const result = fn();
  return { result, qps: queryCount / ((performance.now() - start) / 1000) };
};

// The float32 graph takes minutes: it is cached across runs (QUIVER_GRAPH_CACHE=<path>).
const cache = process.env.QUIVER_GRAPH_CACHE;
let index;
if (cache && existsSync(cache)) {
  index = await loadHnswIndexFile(cache);
  console.log(`graph loaded from ${cache}`);
} else {
  const pool = new HnswPool({ threads: 2 });
  const start = performance.now();
  index = await HnswIndex.buildParallel(base, { dim, metric, M: 16, efConstruction: 200 }, pool);
  console.log(`graph ${n}x${dim} built in ${((performance.now() - start) / 1000).toFixed(1)} s (addParallel, 2 threads)`);
  await pool.close();
  if (cache) await saveHnswIndex(index, cache);
}
const floatBytes = index.byteLength / n;
console.log(`float32 HNSW: ${floatBytes.toFixed(0)} B/vector (vectors + graph)`);
for (const efSearch of [32, 64, 128]) {
  const { result, qps } = timed(() => index.search(queries, K, { efSearch }));
  console.log(`  float32 ef${efSearch}: recall@10 ${recall(result).toFixed(4)}  ${qps.toFixed(0)} q/s`);
}

const int8 = new Int8RowStorage(dim, metric, kernels.arena);
int8.append(unit);
const grid = [[100, 100], [200, 200], [400, 200], [400, 400], [800, 400], [800, 800]];
for (const M of [dim / 4, dim / 2]) {
  const quantizer = new ProductQuantizer({ dim, M, nbits: 8, metric, seed: 42 });
  const start = performance.now();
  quantizer.train(unit.subarray(0, Math.min(n, 25000) * dim));
  const codes = new PqStorage({ quantizer, initialCapacity: n });
  codes.append(unit);
  console.log(`PQ${M}x8 trained (25k rows) and encoded in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  index.swapStorage(codes); // the previous storage (float32 rows, or the last codes) is disposed
  const quantizerBytes = 2 * M * 256 * (dim / M) * 4; // centroids + their transposed copy
  for (const [name, source] of [['.npy file on demand', FileRowStorage.open(npy, { metric, dim })], ['int8 in memory', wrapKeep(int8)]]) {
    index.setRerankStorage(source);
    const inMemory = name.endsWith('memory') ? source.bytesPerVector : 0;
    const resident = (index.byteLength + quantizerBytes) / n;
    const graphOnly = index.byteLength / n - M - inMemory;
    console.log(`PQ${M} + ${name}: ${resident.toFixed(0)} B/vector resident (codes ${M} + graph ${graphOnly.toFixed(0)} + rerank ${inMemory} + codebooks ${(quantizerBytes / n).toFixed(1)}) = ${((100 * resident) / floatBytes).toFixed(1)}% of float32`);
    for (const [efSearch, rerank] of name.endsWith('memory') ? grid.slice(1, 3) : grid) {
      const { result, qps } = timed(() => index.search(queries, K, { efSearch, rerank }));
      console.log(`  ef${efSearch} rerank ${rerank}: recall@10 ${recall(result).toFixed(4)}  ${qps.toFixed(0)} q/s`);
    }
  }
}
index.setRerankStorage(undefined);
index.dispose();
int8.dispose();
rmSync(dir, { recursive: true, force: true });

/** The int8 copy as a rerank storage the index may dispose without freeing the shared rows. */
function wrapKeep(storage) {
  return { dim: storage.dim, metric: storage.metric, get size() { return storage.size; }, bytesPerVector: storage.bytesPerVector, append: (v) => storage.append(v), reconstruct: (s, o) => storage.reconstruct(s, o), scorer: () => storage.scorer() };
}

import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorruptFileError, DimensionMismatchError, UnsupportedOperationError } from '@quiver/core-math';
import { encodeFvecs, encodeNpy } from '@quiver/io-formats';
import { bruteForceTopK, gaussianMixture, recallAtK } from '@quiver/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { loadHnswIndex } from '../hnsw-codec.js';
import { HnswIndex } from '../hnsw-index.js';
import { FileRowStorage } from './file-row-storage.js';
import { DensePQHNSW } from './kannolo-files.js';

const dir = mkdtempSync(join(tmpdir(), 'quiver-hnsw-rows-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const DIM = 16;
const N = 1200;
const data = gaussianMixture({ n: N, dim: DIM, clusters: 8, seed: 31, spread: 0.6 });
const queries = gaussianMixture({ n: 40, dim: DIM, clusters: 8, seed: 31, spread: 0.6, sampleSeed: 4 });
const npy = join(dir, 'base.npy');
writeFileSync(npy, encodeNpy({ dtype: 'float32', shape: [N, DIM], data }));

describe('FileRowStorage (rerank rows read from a file on demand)', () => {
  it('reranks exactly like an in-memory float32 copy, from .npy, .fvecs and raw files', () => {
    const fvecs = join(dir, 'base.fvecs');
    writeFileSync(fvecs, encodeFvecs(data, DIM));
    const raw = join(dir, 'base.f32');
    writeFileSync(raw, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    const inMemory = new HnswIndex({ dim: DIM, metric: 'cosine', M: 8, efConstruction: 48, storage: 'int8', rerankStorage: 'float32' });
    inMemory.add(data);
    const expected = inMemory.search(queries, 10, { efSearch: 32, rerank: true });
    const index = new HnswIndex({ dim: DIM, metric: 'cosine', M: 8, efConstruction: 48, storage: 'int8' });
    index.add(data);
    const withoutFile = index.byteLength;
    for (const path of [npy, fvecs, raw]) {
      const rows = FileRowStorage.open(path, { metric: 'cosine', dim: DIM });
      expect(rows.size).toBe(N);
      index.setRerankStorage(rows);
      expect(index.search(queries, 10, { efSearch: 32, rerank: true })).toEqual(expected);
    }
    // Nothing per vector in memory.
    expect(index.byteLength).toBe(withoutFile);
    // Saving leaves the file out; loading, then reattaching it, gives the same results.
    const loaded = loadHnswIndex(index.toBytes());
    expect(loaded.rerankStorage).toBeUndefined();
    loaded.setRerankStorage(FileRowStorage.open(npy, { metric: 'cosine' }));
    expect(loaded.search(queries, 10, { efSearch: 32, rerank: true })).toEqual(expected);
    // A read-only file refuses new rows before anything changes.
    expect(() => loaded.add(data.subarray(0, DIM))).toThrow(UnsupportedOperationError);
    expect(loaded.slotCount).toBe(N);
    for (const i of [inMemory, index, loaded]) i.dispose();
  });

  it('a writable raw file takes the rows of later adds', () => {
    const path = join(dir, 'grow.f32');
    writeFileSync(path, new Uint8Array(data.buffer, data.byteOffset, 600 * DIM * 4));
    const index = new HnswIndex({ dim: DIM, metric: 'l2', M: 8, efConstruction: 48, storage: 'float16' });
    index.add(data.subarray(0, 600 * DIM));
    index.setRerankStorage(FileRowStorage.open(path, { metric: 'l2', dim: DIM, writable: true }));
    index.add(data.subarray(600 * DIM));
    expect(statSync(path).size).toBe(N * DIM * 4);
    const result = index.search(queries, 10, { rerank: 40 });
    expect(recallAtK(result, bruteForceTopK(data, queries, DIM, 10, 'l2'))).toBeGreaterThanOrEqual(0.97);
    expect(result.scores[0]).toBeCloseTo(bruteForceTopK(data, queries, DIM, 10, 'l2').scores[0]!, 4);
    index.dispose();
  });

  it('refuses damaged files and mismatched dimensions', () => {
    const cut = join(dir, 'cut.npy');
    const bytes = encodeNpy({ dtype: 'float32', shape: [N, DIM], data });
    writeFileSync(cut, bytes.subarray(0, bytes.length - 4));
    expect(() => FileRowStorage.open(cut, { metric: 'l2' })).toThrow(CorruptFileError);
    const odd = join(dir, 'odd.fvecs');
    writeFileSync(odd, encodeFvecs(data, DIM).subarray(0, 100));
    expect(() => FileRowStorage.open(odd, { metric: 'l2' })).toThrow(CorruptFileError);
    expect(() => FileRowStorage.open(npy, { metric: 'l2', dim: 8 })).toThrow(DimensionMismatchError);
    const rows = FileRowStorage.open(npy, { metric: 'l2' });
    rows.dispose();
    expect(() => rows.reconstruct(0)).toThrow(UnsupportedOperationError);
  });

  it("DensePQHNSW.buildFromFile with rerank: 'file' keeps only codes and graph in memory", () => {
    const index = DensePQHNSW.buildFromFile(npy, { m: 8, efConstruction: 48, metric: 'euclidean', pqSubspaces: 4, rerank: 'file' });
    const truth = bruteForceTopK(data, queries, DIM, 10, 'l2');
    const asResult = (ids: Int32Array) => ({ k: 10, queryCount: 40, slots: ids, counts: new Uint32Array(40).fill(10) });
    const { ids } = index.batchSearch(queries, 10, 48);
    expect(recallAtK(asResult(ids), truth)).toBeGreaterThanOrEqual(0.97);
    // The float32 copy (64 B per vector here) is the difference to the default build.
    const withCopy = DensePQHNSW.buildFromFile(npy, { m: 8, efConstruction: 48, metric: 'euclidean', pqSubspaces: 4 });
    expect(withCopy.bytesPerVector - index.bytesPerVector).toBeCloseTo(DIM * 4, 6);
    withCopy.dispose();
    const saved = join(dir, 'pq.quiver');
    index.save(saved);
    const loaded = DensePQHNSW.load(saved, { rerankFile: npy });
    expect(loaded.batchSearch(queries, 10, 48)).toEqual(index.batchSearch(queries, 10, 48));
    for (const i of [index, loaded]) i.dispose();
  });
});

import { CorruptFileError, InvalidArgumentError, decodeEnvelope, encodeEnvelope } from '@quiver/core-math';
import { PqStorage } from '@quiver/pq';
import { bruteForceTopK, gaussianMixture, recallAtK } from '@quiver/testkit';
import { describe, expect, it } from 'vitest';
import { DenseFlatIndex, DensePlainHNSW, DensePQHNSW } from './kannolo.js';

const DIM = 32;
const N = 1500;
const data = gaussianMixture({ n: N, dim: DIM, clusters: 12, seed: 8, spread: 0.5 });
const queries = gaussianMixture({ n: 40, dim: DIM, clusters: 12, seed: 8, spread: 0.5, sampleSeed: 3 });
const asResult = (ids: Int32Array, k: number) => ({ k, queryCount: ids.length / k, slots: ids, counts: new Uint32Array(ids.length / k).fill(k) });

describe('kANNolo-style entry points', () => {
  it('DensePlainHNSW: euclidean distances, recall, -1 padding, round trip', () => {
    const index = DensePlainHNSW.buildFromArray(data, DIM, { m: 12, efConstruction: 100, metric: 'euclidean' });
    const { ids, distances } = index.batchSearch(queries, 10, 64);
    expect(recallAtK(asResult(ids, 10), bruteForceTopK(data, queries, DIM, 10, 'l2'))).toBeGreaterThanOrEqual(0.95);
    expect(distances[0]!).toBeGreaterThanOrEqual(0); // squared distances, ascending
    expect(distances[1]!).toBeGreaterThanOrEqual(distances[0]!);
    const loaded = DensePlainHNSW.fromBytes(index.toBytes());
    expect(loaded.search(queries.subarray(0, DIM), 10, 64)).toEqual(index.search(queries.subarray(0, DIM), 10, 64));
    const tiny = DensePlainHNSW.buildFromArray(data.subarray(0, 3 * DIM), DIM, { metric: 'ip' });
    const padded = tiny.search(queries.subarray(0, DIM), 5);
    expect([...padded.ids.subarray(3)]).toEqual([-1, -1]);
    expect(padded.distances[4]).toBe(-Infinity);
    for (const i of [index, loaded, tiny]) i.dispose();
  });

  it('DensePQHNSW reranks PQ candidates to high recall', () => {
    const index = DensePQHNSW.buildFromArray(data, DIM, { m: 12, efConstruction: 100, metric: 'dotproduct', pqSubspaces: 8 });
    expect(index.index.backend).toBe('wasm'); // searched by the graph kernels, linked by the walker
    const { ids } = index.batchSearch(queries, 10, 64);
    expect(recallAtK(asResult(ids, 10), bruteForceTopK(data, queries, DIM, 10, 'dot'))).toBeGreaterThanOrEqual(0.9);
    index.dispose();
  });

  it('DensePQHNSW saves and loads graph, codes, codebooks and rerank rows; refuses inconsistent PQ files', () => {
    for (const rerank of [true, false]) {
      const index = DensePQHNSW.buildFromArray(data, DIM, { m: 8, efConstruction: 48, metric: 'euclidean', pqSubspaces: 8, nbits: rerank ? 8 : 4, rerank });
      const loaded = DensePQHNSW.fromBytes(index.toBytes());
      expect(loaded.index.storage).toBeInstanceOf(PqStorage);
      expect([loaded.quantizer.M, loaded.quantizer.nbits, loaded.index.rerankStorageName]).toEqual([8, rerank ? 8 : 4, rerank ? 'float32' : undefined]);
      expect(loaded.batchSearch(queries, 10, 32)).toEqual(index.batchSearch(queries, 10, 32));
      expect(Buffer.compare(loaded.toBytes(), index.toBytes())).toBe(0);
      // Codes take 8 (or 4) bytes per vector instead of 128.
      expect(loaded.bytesPerVector).toBeLessThan(rerank ? 300 : 200);
      for (const i of [index, loaded]) i.dispose();
    }
    const plain = DensePlainHNSW.buildFromArray(data.subarray(0, 100 * DIM), DIM, { m: 4 });
    expect(() => DensePQHNSW.fromBytes(plain.toBytes())).toThrow(InvalidArgumentError);
    plain.dispose();
    const pq = DensePQHNSW.buildFromArray(data.subarray(0, 300 * DIM), DIM, { m: 4, pqSubspaces: 4, nbits: 4 });
    const { header, sections } = decodeEnvelope(pq.toBytes(), { maxMajor: 1 });
    const rewrite = (tag: string, edit: (bytes: Uint8Array) => Uint8Array | number) => {
      const edited = new Map<string, Uint8Array>([...sections].map(([t, bytes]) => [t, bytes.slice()]));
      const replaced = edit(edited.get(tag)!);
      if (replaced instanceof Uint8Array) edited.set(tag, replaced);
      return encodeEnvelope({ ...header, kind: 'HNSW', scalar: 'B', metric: header.metric!, sections: [...edited].map(([t, bytes]) => ({ tag: t, data: bytes })) });
    };
    expect(() => DensePQHNSW.fromBytes(rewrite('PARM', (b) => (new Uint32Array(b.buffer, b.byteOffset, 16)[8] = 5)))).toThrow(CorruptFileError);
    expect(() => DensePQHNSW.fromBytes(rewrite('PQCB', (b) => (new Float32Array(b.buffer, b.byteOffset, 4)[3] = NaN)))).toThrow(CorruptFileError);
    expect(() => DensePQHNSW.fromBytes(rewrite('ROWS', (b) => b.subarray(1)))).toThrow(CorruptFileError);
    pq.dispose();
  });

  it('DenseFlatIndex is exact', () => {
    const index = DenseFlatIndex.buildFromArray(data, DIM, { metric: 'l2' });
    const { ids } = index.batchSearch(queries, 10);
    expect(recallAtK(asResult(ids, 10), bruteForceTopK(data, queries, DIM, 10, 'l2'))).toBe(1);
    index.dispose();
  });
});
